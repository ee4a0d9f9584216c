//! Lints: warnings about rule packs that load but look wrong.

use super::check::ParsedFile;
use super::diag::{Diagnostic, Sources};
use super::RuleSet;

/// Runs every lint over a checked rule set.
pub(crate) fn lint(_rs: &RuleSet, _sources: &Sources, _files: &[ParsedFile]) -> Vec<Diagnostic> {
    Vec::new()
}
