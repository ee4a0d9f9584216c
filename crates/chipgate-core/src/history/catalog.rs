//! The catalog on a date: a chip's classification under the rules in force, independent of
//! the destination.

use std::collections::HashMap;

use jiff::civil::Date;
use serde::Serialize;

use crate::eval::{evaluate, evaluate_untraced, Query, TraceEntry, Truth};
use crate::rules::{RuleKind, RuleSet};
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

/// Classifies a chip under the rules in force on a date. Classification rules do not depend on
/// the destination, so the chip is evaluated against a country no rule names (else the first
/// country), where the licensing part cannot hide the deciding rules; that part is discarded.
pub fn classify(rs: &RuleSet, chip: &Chip, date: Date) -> Result<Classification, HistoryError> {
    let named = super::mentioned_countries(rs);
    let all = rs.countries.all();
    let country = all.iter().find(|c| !named.contains(&c.code)).or(all.first()).ok_or(HistoryError::NoCountries)?;
    let q = Query { chip, hypothetical: false, destination: &country.code, date, end_user_hq: None, exporter: None, ship_from: None };
    let d = evaluate_untraced(rs, &q)?;
    let candidates: Vec<Option<String>> = d.eccn_candidates.iter().map(|c| c.eccn.clone()).collect();
    // What is missing is read from the trace, and said only when the classification is
    // undetermined: only then is the chip evaluated again with it (the answer is the same).
    let missing = if candidates.is_empty() { Vec::new() } else { missing(rs, &evaluate(rs, &q)?.trace) };
    let rules = d.reasons.iter().filter(|r| r.kind == "classification" || r.kind == "exclusion").map(|r| r.id.clone()).collect();
    Ok(Classification { date, eccn: d.eccn, candidates, missing, rules })
}

/// The metrics and flags missing from the tests of the classification rules that are unknown,
/// in rule then trace order.
fn missing(rs: &RuleSet, trace: &[TraceEntry]) -> Vec<String> {
    // The classification's trace entries by rule, in trace order.
    let mut by_rule: HashMap<&str, Vec<&TraceEntry>> = HashMap::new();
    for t in trace.iter().filter(|t| t.assuming_eccn.is_none()) {
        by_rule.entry(t.rule.as_str()).or_default().push(t);
    }
    let mut missing: Vec<String> = Vec::new();
    for r in rs.rules.iter().filter(|r| matches!(r.kind, RuleKind::Classification { .. })) {
        let Some(entries) = by_rule.get(r.id.as_str()) else { continue };
        if super::replay(&r.when, &mut entries.iter().map(|t| t.result)) != Some(Truth::Unknown) {
            continue;
        }
        for t in entries.iter().filter(|t| t.actual.is_none()) {
            if !missing.contains(&t.metric) {
                missing.push(t.metric.clone());
            }
        }
    }
    missing
}
