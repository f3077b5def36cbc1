//! The `cnitest` binary: parse, run, exit. Run under a name starting with
//! `cnitest-stub` it is the recording stub plugin instead.

fn main() {
    let code = if cnitest::runtime::stub::invoked_as_stub() {
        cnitest::runtime::stub::main()
    } else {
        cnitest::cli::main()
    };
    std::process::exit(code);
}
