//! What changed between two dates over a set of chips and destinations: one row per (chip,
//! destination) whose verdict, ECCN, exceptions or review policy differ, with the changes
//! responsible.

use std::collections::BTreeSet;

use jiff::civil::Date;
use serde::Serialize;

use crate::chip::Chip;
use crate::eval::{evaluate, ChipRef, CountryRef, Options, Query};
use crate::rules::RuleSet;

use super::{responsible, Change, HistoryError, Status};

/// What to compare.
#[derive(Debug, Clone)]
pub struct DiffRequest<'a> {
    /// The chips.
    pub chips: Vec<&'a Chip>,
    /// Destination country codes.
    pub destinations: Vec<String>,
    /// Country code of the end user's headquarters (default: each destination).
    pub end_user_hq: Option<&'a str>,
    /// Who exports, if known (absent: the chip's vendor is presumed where a rule asks).
    pub exporter: Option<&'a str>,
    /// The country code the item ships from (absent: the rules' jurisdiction).
    pub ship_from: Option<&'a str>,
    /// What the exporter is (absent: neither a front-end fabricator nor an OSAT).
    pub exporter_role: Option<crate::rules::ExporterRole>,
    /// The attestations given for the items.
    pub attested_by: &'a [crate::rules::Attestation],
    /// The parties, screened against the rules' party lists.
    pub parties: crate::eval::Parties<'a>,
    /// The date before.
    pub from: Date,
    /// The date after.
    pub to: Date,
}

/// One (chip, destination) whose status differs between the two dates.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DiffRow {
    /// The chip.
    pub chip: ChipRef,
    /// The destination.
    pub destination: CountryRef,
    /// The fields that differ: `verdict`, `eccn`, `exceptions`, `review_policy`.
    pub changed: Vec<&'static str>,
    /// The status on the first date.
    pub before: Status,
    /// The status on the second date.
    pub after: Status,
    /// The rule and group changes between the dates that explain the difference.
    pub responsible: Vec<Change>,
}

/// The differences between two dates.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Diff {
    /// The date before.
    pub from: Date,
    /// The date after.
    pub to: Date,
    /// Number of chips compared.
    pub chips: usize,
    /// Destination codes compared.
    pub destinations: Vec<String>,
    /// End user's headquarters, if given.
    pub end_user_hq: Option<String>,
    /// Number of (chip, destination) pairs compared.
    pub compared: usize,
    /// The pairs whose status differs, in chip then destination order.
    pub rows: Vec<DiffRow>,
}

/// Compares every chip × destination on the two dates.
pub fn diff(rs: &RuleSet, req: &DiffRequest<'_>) -> Result<Diff, HistoryError> {
    let mut rows = Vec::new();
    let same_period = rs.period_index(req.from) == rs.period_index(req.to);
    for chip in &req.chips {
        for dest in &req.destinations {
            let q = |date| Query {
                chip,
                hypothetical: false,
                destination: dest,
                date,
                end_user_hq: req.end_user_hq,
                exporter: req.exporter,
                ship_from: req.ship_from,
                exporter_role: req.exporter_role,
                attested_by: req.attested_by,
                parties: req.parties,
            };
            let before = rs.period(req.from).decide(&q(req.from), Options::UNTRACED)?;
            if same_period {
                continue;
            }
            let after = rs.period(req.to).decide(&q(req.to), Options::UNTRACED)?;
            let (b, a) = (Status::of(&before), Status::of(&after));
            let changed = b.differences(&a);
            if changed.is_empty() {
                continue;
            }
            // The changes responsible are read from the traces: only the pairs that differ
            // are evaluated again with them (the answers are the same).
            let (before, after) = (evaluate(rs, &q(req.from))?, evaluate(rs, &q(req.to))?);
            rows.push(DiffRow {
                chip: after.chip.clone(),
                destination: after.destination.clone(),
                changed,
                responsible: responsible(rs, &before, &after),
                before: b,
                after: a,
            });
        }
    }
    Ok(Diff {
        from: req.from,
        to: req.to,
        chips: req.chips.len(),
        destinations: req.destinations.clone(),
        end_user_hq: req.end_user_hq.map(str::to_string),
        compared: req.chips.len() * req.destinations.len(),
        rows,
    })
}

/// Every country the rules mention, sorted by code: the members of every country group (on
/// any date), every country named in a condition, and every country the rules treat as
/// another (with the one it is treated as). Only countries of the rule set are returned.
pub fn mentioned_countries(rs: &RuleSet) -> Vec<String> {
    let mut codes: BTreeSet<&str> = BTreeSet::new();
    for g in &rs.groups {
        codes.extend(g.members.iter().map(|m| m.country.as_str()));
    }
    for r in &rs.rules {
        codes.extend(r.when.countries());
    }
    for c in rs.countries.all() {
        if let Some(t) = &c.treated_as {
            codes.insert(&c.code);
            codes.insert(t);
        }
    }
    codes.into_iter().filter(|c| rs.countries.by_code(c).is_some()).map(str::to_string).collect()
}
