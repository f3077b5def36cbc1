//! Integration tests: one binary, one module per area.

mod exec;
mod properties;
mod runtime;
mod support;
