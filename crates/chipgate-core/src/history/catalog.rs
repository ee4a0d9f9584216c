//! The catalog on a date: a chip's classification under the rules in force, independent of
//! the destination.

use jiff::civil::Date;
use serde::Serialize;

use crate::eval::Options;
use crate::rules::RuleSet;
use crate::spec::Chip;

use super::HistoryError;

/// A chip's classification on a date.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Classification {
    /// The date the rules were applied for.
    pub date: Date,
    /// The ECCN; none when not classified or undetermined.
    pub eccn: Option<String>,
    /// The classifications missing data leaves possible (none: not classified), when several.
    pub candidates: Vec<Option<String>>,
    /// The metrics or flags whose absence leaves the classification undetermined.
    pub missing: Vec<String>,
    /// The classification (or exclusion) rules that decided it.
    pub rules: Vec<String>,
}

impl Classification {
    /// Whether missing data leaves more than one classification possible.
    pub fn undetermined(&self) -> bool {
        !self.candidates.is_empty()
    }
}

/// Classifies a chip under the rules in force on a date: the engine's classification stage
/// ([`crate::Period::classify`]), as the catalog shows it.
pub fn classify(rs: &RuleSet, chip: &Chip, date: Date) -> Result<Classification, HistoryError> {
    let c = rs.period(date).classify(chip, Options::UNTRACED);
    let rule_id = |i: &usize| rs.rules.get(*i).map(|r| r.id.clone());
    let (eccn, candidates, missing, rules) = match c.possible.as_slice() {
        [(eccn, deciding)] => (eccn.clone(), Vec::new(), Vec::new(), deciding.iter().filter_map(rule_id).collect()),
        several => (None, several.iter().map(|(e, _)| e.clone()).collect(), c.missing.clone(), Vec::new()),
    };
    Ok(Classification { date, eccn, candidates, missing, rules })
}
