//! Views across time: the periods between rule changes, a chip's timeline for a destination,
//! the diff of the whole catalog between two dates, and the catalog's classification on a date.
//! Every function takes its dates as inputs; nothing here reads the clock.

use std::collections::BTreeSet;

use jiff::civil::Date;
use serde::Serialize;

use crate::eval::{Decision, EvalError, Truth, Verdict};
use crate::rules::{Policy, RuleSet};

pub mod catalog;
mod diff;
pub mod map;
mod timeline;

pub use catalog::{classify, Classification};
pub use diff::{diff, mentioned_countries, Diff, DiffRequest, DiffRow};
pub use timeline::{timeline, Period, Timeline, TimelineRequest};

/// Why a view could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryError {
    /// A query could not be evaluated.
    Eval(EvalError),
    /// The start of the range is after its end.
    Range {
        /// Start.
        from: Date,
        /// End.
        to: Date,
    },
}

impl std::fmt::Display for HistoryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HistoryError::Eval(e) => e.fmt(f),
            HistoryError::Range { from, to } => write!(f, "the range starts `{from}` after it ends `{to}`"),
        }
    }
}

impl std::error::Error for HistoryError {}

impl From<EvalError> for HistoryError {
    fn from(e: EvalError) -> Self {
        HistoryError::Eval(e)
    }
}

/// The part of a [`Decision`] the views compare: verdict, classification, exceptions and
/// review policy, with the rules behind them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Status {
    /// The verdict.
    pub verdict: Verdict,
    /// The ECCN; none when not classified or undetermined.
    pub eccn: Option<String>,
    /// The classifications missing data leaves possible (none: not classified), when several.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub eccn_candidates: Vec<Option<String>>,
    /// License exceptions available, by name.
    pub exceptions: Vec<String>,
    /// Review policy for a license application.
    pub review_policy: Option<Policy>,
    /// Ids of the rules that decided it.
    pub reasons: Vec<String>,
    /// What is not known that makes part of the answer undetermined.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<crate::eval::Missing>,
}

impl Status {
    /// The status of a decision.
    pub fn of(d: &Decision) -> Status {
        Status {
            verdict: d.verdict,
            eccn: d.eccn.clone(),
            eccn_candidates: d.eccn_candidates.iter().map(|c| c.eccn.clone()).collect(),
            exceptions: d.exceptions.iter().map(|e| e.name.clone()).collect(),
            review_policy: d.review_policy.as_ref().map(|r| r.policy),
            reasons: d.reasons.iter().map(|r| r.id.clone()).collect(),
            missing: d.missing.clone(),
        }
    }

    /// The compared fields that differ between two statuses: `verdict`, `eccn`, `exceptions`,
    /// `review_policy`. Empty when the statuses are the same for the views.
    pub fn differences(&self, other: &Status) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.verdict != other.verdict {
            out.push("verdict");
        }
        if self.eccn != other.eccn || self.eccn_candidates != other.eccn_candidates {
            out.push("eccn");
        }
        if self.exceptions != other.exceptions {
            out.push("exceptions");
        }
        if self.review_policy != other.review_policy {
            out.push("review_policy");
        }
        out
    }

    /// Whether the compared fields are equal.
    pub fn same(&self, other: &Status) -> bool {
        self.differences(other).is_empty()
    }
}

/// What kind of change happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// A rule came into force.
    InForce,
    /// A rule went out of force.
    OutOfForce,
    /// A country joined a country group.
    JoinsGroup,
    /// A country left a country group.
    LeavesGroup,
}

/// A change of the rules or of group membership between two dates.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Change {
    /// What happened.
    pub kind: ChangeKind,
    /// When (the first day of the new state), if known.
    pub date: Option<Date>,
    /// The rule id, or the group id.
    pub id: String,
    /// For group changes, the country.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// What the rule says, or the group change in words.
    pub summary: String,
    /// Citation.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub citation: String,
}

/// The start of every period between `from` and `to` (inclusive): `from`, then every change
/// date after it up to `to`. On the days of one period every rule and group evaluates alike.
pub fn period_starts(rs: &RuleSet, from: Date, to: Date) -> Vec<Date> {
    std::iter::once(from).chain(rs.change_dates.iter().copied().filter(|d| *d > from && *d <= to)).collect()
}

/// Every rule change and group-membership change (for the given country codes) between two
/// dates, in either order: a rule is listed when it is in force on one date and not the other.
pub fn changes_between(rs: &RuleSet, a: Date, b: Date, codes: &[&str]) -> Vec<Change> {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    let mut out = Vec::new();
    for r in &rs.rules {
        let (was, is) = (r.in_force(lo), r.in_force(hi));
        if was == is {
            continue;
        }
        let (kind, date) = if is { (ChangeKind::InForce, r.effective) } else { (ChangeKind::OutOfForce, r.until) };
        out.push(Change { kind, date, id: r.id.clone(), country: None, summary: r.summary.clone(), citation: r.citation.to_string() });
    }
    for g in &rs.groups {
        for code in codes {
            let (was, is) = (g.contains(code, lo), g.contains(code, hi));
            if was == is {
                continue;
            }
            let spans = || g.members.iter().filter(|m| m.country == *code);
            let member = spans().find(|m| m.covers(lo) || m.covers(hi));
            let date = spans().flat_map(|m| m.from.into_iter().chain(m.until)).filter(|d| *d > lo && *d <= hi).min();
            let (kind, verb) = if is { (ChangeKind::JoinsGroup, "joins") } else { (ChangeKind::LeavesGroup, "leaves") };
            out.push(Change {
                kind,
                date,
                id: g.id.clone(),
                country: Some((*code).to_string()),
                summary: format!("{code} {verb} {}", g.name),
                citation: member.and_then(|m| m.citation.clone()).unwrap_or_else(|| g.citation.clone()),
            });
        }
    }
    out
}

/// The changes between two decisions' dates that explain the difference between them: the rule
/// changes among the rules either decision hinges on (see [`implicated`]), else among the rules
/// either decision evaluated, and the membership changes of the destination and the end
/// user's headquarters.
pub fn responsible(rs: &RuleSet, before: &Decision, after: &Decision) -> Vec<Change> {
    let mut codes: Vec<&str> = Vec::new();
    for c in std::iter::once(&after.destination).chain(after.end_user_hq.as_ref()) {
        codes.push(&c.code);
        codes.extend(c.treated_as.as_deref());
    }
    let all = changes_between(rs, before.date, after.date, &codes);
    let mut hinged = implicated(before);
    hinged.extend(implicated(after));
    let traced: BTreeSet<&str> = own_rules(before).chain(own_rules(after)).map(|r| r.rule.as_str()).collect();
    let is_group = |c: &Change| matches!(c.kind, ChangeKind::JoinsGroup | ChangeKind::LeavesGroup);
    let pick = |ids: &BTreeSet<&str>| -> Vec<Change> {
        all.iter().filter(|c| is_group(c) || ids.contains(c.id.as_str())).cloned().collect::<Vec<_>>()
    };
    let by_reason = pick(&hinged);
    if by_reason.iter().any(|c| !is_group(c)) {
        return by_reason;
    }
    pick(&traced)
}

/// The rules a decision hinges on: its reasons; and when the answer is indeterminate or the
/// classification undetermined, also every rule that holds or is unknown under one of the
/// classifications assumed (from the decision's rule results, so traced decisions only).
pub fn implicated(d: &Decision) -> BTreeSet<&str> {
    let mut ids: BTreeSet<&str> = d.reasons.iter().map(|r| r.id.as_str()).collect();
    if d.verdict != Verdict::Indeterminate && d.eccn_candidates.is_empty() {
        return ids;
    }
    ids.extend(own_rules(d).filter(|r| r.result != Truth::False).map(|r| r.rule.as_str()));
    ids
}

/// The rules evaluated for the item asked about (not for what a computer contains).
fn own_rules(d: &Decision) -> impl Iterator<Item = &crate::eval::RuleTrace> {
    d.evaluated.iter().filter(|r| r.item.is_none())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn period_starts_include_from_and_stop_at_to() {
        let rs = RuleSet { change_dates: vec![date(2022, 10, 7), date(2023, 11, 17), date(2024, 4, 4)], ..RuleSet::default() };
        assert_eq!(period_starts(&rs, date(2022, 1, 1), date(2023, 11, 17)), vec![date(2022, 1, 1), date(2022, 10, 7), date(2023, 11, 17)]);
        assert_eq!(period_starts(&rs, date(2022, 10, 7), date(2023, 11, 16)), vec![date(2022, 10, 7)]);
    }
}
