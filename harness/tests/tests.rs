//! Integration tests: one binary, one module per area.

mod exec;
mod runtime;
mod support;
