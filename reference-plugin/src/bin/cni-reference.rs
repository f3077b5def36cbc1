//! `cni-reference`: the interface reference plugin.

use std::process::ExitCode;

fn main() -> ExitCode {
    cni_reference_plugins::skel::main(&cni_reference_plugins::interface::Interface)
}
