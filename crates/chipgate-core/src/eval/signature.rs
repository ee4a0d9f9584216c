//! What an answer depends on. Within one period (between two change dates), a decision's
//! verdict, classification, exceptions, review, reasons and missing figures (all but the trace
//! and the margins, which name actual values) depend on
//! - the chip only through the truth of the chip tests of the rules in force: figure
//!   comparisons, flags, catalog ids, and the exporter (given, or the chip's vendor presumed);
//! - each country of the query (destination, end user's headquarters, ship-from) only through
//!   its membership of the sets the rules in force test it against, and the destination also
//!   through whether it is the rules' jurisdiction;
//! - the ship-from and the destination together through the kind of transaction.
//!
//! So two queries on dates of one period whose signatures are equal get the same answer. The
//! audit memoises on them: a shipment list with thousands of distinct figure sets needs only
//! as many evaluations as there are distinct answers.

use jiff::civil::Date;

use super::Exporter;
use crate::chip::{Chip, Metrics};
use crate::geo::Country;
use crate::rules::{Cond, RuleSet, Set, Transaction};

/// The part a country plays in a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Where the item goes.
    Destination,
    /// Where the end user (or its ultimate parent) is headquartered.
    EndUserHq,
    /// Where the item ships from.
    ShipFrom,
}

/// Who exports, as a query gives it: the exporter's name (none: the chip's vendor, presumed),
/// its role, and the attestations given for the item.
#[derive(Debug, Clone, Copy, Default)]
pub struct Exporting<'a> {
    /// The exporter's name.
    pub name: Option<&'a str>,
    /// Its role.
    pub role: Option<crate::rules::ExporterRole>,
    /// The attestations given.
    pub attested_by: &'a [crate::rules::Attestation],
}

/// A signature's byte for a test of a rule not in force on the date (so not evaluated).
const OUT: u8 = 3;

/// The tests of a rule set that signatures are made of, each with the index of its rule.
#[derive(Debug)]
pub struct Signatures<'r> {
    rs: &'r RuleSet,
    chip_tests: Vec<(&'r Cond, usize)>,
    /// The sets tested against the destination, the end user's headquarters, the ship-from.
    sets: [Vec<(&'r Set, usize)>; 3],
    transactions: bool,
}

impl<'r> Signatures<'r> {
    /// The tests of every rule.
    pub fn new(rs: &'r RuleSet) -> Signatures<'r> {
        let mut s = Signatures { rs, chip_tests: Vec::new(), sets: [Vec::new(), Vec::new(), Vec::new()], transactions: false };
        for (i, r) in rs.rules.iter().enumerate() {
            for t in r.when.tests() {
                let (role, set) = match t {
                    Cond::Cmp { .. }
                    | Cond::Flag(_)
                    | Cond::Chip(_)
                    | Cond::Exporter(_)
                    | Cond::ExporterRole(_)
                    | Cond::AttestedBy(_)
                    | Cond::Item(_)
                    | Cond::DescribedIn(_)
                    | Cond::Contains(_) => {
                        s.chip_tests.push((t, i));
                        continue;
                    }
                    Cond::Transaction(_) => {
                        s.transactions = true;
                        continue;
                    }
                    Cond::Destination { set, .. } => (Role::Destination, set),
                    Cond::EndUserHq { set, .. } => (Role::EndUserHq, set),
                    Cond::ShipFrom { set, .. } => (Role::ShipFrom, set),
                    // The parties are classed apart, by what their screening finds (the audit joins
                    // it to the end-user class).
                    Cond::Party(_) | Cond::OwnedBy { .. } => continue,
                    Cond::Const(_) | Cond::Eccn(_) | Cond::And(_) | Cond::Or(_) | Cond::Not(_) => continue,
                };
                if let Some(v) = s.sets.get_mut(role as usize) {
                    v.push((set, i));
                }
            }
        }
        s
    }

    fn in_force(&self, rule: usize, date: Date) -> bool {
        self.rs.rules.get(rule).is_some_and(|r| r.in_force(date))
    }

    /// Appends the chip's signature on a date: one byte per chip test (0 false, 1 true,
    /// 2 unknown for a missing figure, 3 its rule not in force). `exporter` is the exporter as
    /// the query gives it (none: the chip's vendor, presumed), with its role and the
    /// attestations given.
    pub fn chip(&self, chip: &Chip, exporter: Exporting<'_>, date: Date, out: &mut Vec<u8>) {
        if chip.item.composite() {
            // A computer's or an assembly's tests read what it contains, classified on the date
            // (its `chip`, `contains` and figure tests): it is told apart by its own figures
            // (below) and by what it contains, item by item.
            out.push(4);
            for p in &chip.contains {
                out.extend_from_slice(p.chip.as_bytes());
                out.push(0);
                out.extend_from_slice(&p.count.to_le_bytes());
            }
            out.push(0xff);
        }
        let m = Metrics::of(chip);
        let party = Exporter::of(exporter.name, &chip.vendor).name();
        let byte = |t: Option<bool>| match t {
            Some(false) => 0,
            Some(true) => 1,
            None => 2,
        };
        for (t, rule) in &self.chip_tests {
            out.push(match t {
                _ if !self.in_force(*rule, date) => OUT,
                Cond::Cmp { metric, op, value } => byte(m.get(*metric).map(|x| op.apply(x, *value))),
                Cond::Flag(f) => byte(m.flag(*f)),
                Cond::Chip(list) => byte(Some(list.contains(&chip.id))),
                Cond::Item(list) => byte(Some(list.contains(&chip.item))),
                Cond::DescribedIn(list) => byte(Some(chip.described_in_any(list))),
                Cond::Exporter(list) => byte(Some(party.is_some_and(|p| list.iter().any(|x| crate::rules::same_party(x, p))))),
                Cond::ExporterRole(list) => byte(Some(exporter.role.is_some_and(|r| list.contains(&r)))),
                Cond::AttestedBy(list) => byte(Some(exporter.attested_by.iter().any(|a| list.contains(a)))),
                _ => OUT,
            });
        }
    }

    /// Appends a country's signature in a role on a date: its membership of each set the rules
    /// test that role against (3: the rule not in force), and for the destination, when a rule
    /// tests the kind of transaction, whether it is the rules' jurisdiction.
    pub fn country(&self, role: Role, country: &Country, date: Date, out: &mut Vec<u8>) {
        let codes = country.codes();
        for (s, rule) in self.sets.get(role as usize).into_iter().flatten() {
            out.push(if self.in_force(*rule, date) { u8::from(self.rs.in_set(s, &codes, date)) } else { OUT });
        }
        if self.transactions && role == Role::Destination {
            out.push(u8::from(self.rs.jurisdiction.as_deref() == Some(country.code.as_str())));
        }
    }

    /// The kind of transaction as a signature's byte: 0 when no rule tests it, else the kind
    /// (from the ship-from, none: the rules' jurisdiction) plus one.
    pub fn transaction(&self, ship_from: Option<&Country>, destination: &Country) -> u8 {
        if !self.transactions {
            return 0;
        }
        let kind = Transaction::between(ship_from.map(|c| c.code.as_str()), &destination.code, self.rs.jurisdiction.as_deref());
        kind as u8 + 1
    }
}
