//! `--format`: which report a run prints, and the one call that renders it.

use super::error::ReportError;
use super::run_info::RunInfo;
use super::{human, json, junit, tap};
use crate::suite::CaseResult;

/// The report formats of `cnitest run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For a terminal: failures in full, then a summary.
    Human,
    /// TAP version 13, with YAML diagnostics.
    Tap,
    /// JUnit XML, for CI systems.
    Junit,
    /// One JSON document.
    Json,
}

/// Renders the report of a finished run. `color` only affects `Human`.
pub fn render(
    format: Format,
    info: &RunInfo,
    results: &[CaseResult],
    color: bool,
) -> Result<String, ReportError> {
    match format {
        Format::Human => Ok(human::render(info, results, color)),
        Format::Tap => Ok(tap::render(info, results)),
        Format::Junit => junit::render(info, results),
        Format::Json => json::render(info, results),
    }
}
