//! Conditions in plain words, for people reading a rule.

use super::cond::Op;
use super::Cond;
use crate::chip::{fmt_num, Flag, Metric};

/// A condition in plain words, for people (`chipgate rules show`).
pub fn in_words(c: &Cond) -> String {
    let nested = |x: &Cond| match x {
        Cond::And(v) | Cond::Or(v) if v.len() > 1 => format!("({})", in_words(x)),
        _ => in_words(x),
    };
    match c {
        Cond::Const(true) => "always".into(),
        Cond::Const(false) => "never".into(),
        Cond::And(v) => v.iter().map(nested).collect::<Vec<_>>().join(" and "),
        Cond::Or(v) => v.iter().map(nested).collect::<Vec<_>>().join(" or "),
        Cond::Not(x) => match x.as_ref() {
            Cond::Flag(f) => format!("not {}", flag(*f)),
            Cond::Destination { text, .. } => format!("the destination is not in {text}"),
            Cond::EndUserHq { text, .. } => format!("the end user is not headquartered in {text}"),
            other => format!("not {}", nested(other)),
        },
        Cond::Cmp { metric, op, value } => {
            let op = match op {
                Op::Ge => "is at least",
                Op::Gt => "is more than",
                Op::Le => "is at most",
                Op::Lt => "is less than",
                Op::Eq => "is",
                Op::Ne => "is not",
            };
            format!("{} {op} {}", metric_words(*metric), fmt_num(*value))
        }
        Cond::Flag(f) => flag(*f).into(),
        Cond::Eccn(l) => format!("the item is classified {}", l.join(" or ")),
        Cond::Chip(l) => format!("the chip is {}, or the item contains it", l.join(" or ")),
        Cond::Item(l) => {
            let names: Vec<&str> = l.iter().map(|i| i.name()).collect();
            format!("the item is {}", names.join(" or "))
        }
        Cond::Contains(l) => format!("the item contains an item classified {}", l.join(" or ")),
        Cond::DescribedIn(l) => format!("the item is also described in {}", l.join(" or ")),
        Cond::ShipFrom { text, .. } => format!("the item ships from {text}"),
        Cond::Transaction(l) => {
            let names: Vec<&str> = l.iter().map(|t| t.name()).collect();
            format!("the transaction is {}", names.join(" or "))
        }
        Cond::Exporter(l) => format!("the exporter is {} (without --exporter: the chip's vendor)", l.join(" or ")),
        Cond::ExporterRole(l) => {
            let names: Vec<&str> = l.iter().map(|r| r.name()).collect();
            format!("the exporter is a {} (without --exporter-role: none of these)", names.join(" or "))
        }
        Cond::AttestedBy(l) => {
            let names: Vec<&str> = l.iter().map(|a| a.name()).collect();
            format!("an attestation by {} is given", names.join(" or "))
        }
        Cond::Party(_) => "the end user or the consignee is a listed party".into(),
        Cond::OwnedBy { op, share, .. } => format!(
            "listed parties own {} {} % of the end user or the consignee, directly or indirectly, alone or together",
            op.share_words(),
            fmt_num(*share)
        ),
        Cond::Destination { text, .. } => format!("the destination is in {text}"),
        Cond::EndUserHq { text, .. } => format!("the end user (or its ultimate parent) is headquartered in {text}"),
    }
}

/// A flag in words.
pub fn flag(f: Flag) -> &'static str {
    match f {
        Flag::Datacenter => "designed or marketed for datacenters",
        Flag::Hbm => "a standalone high-bandwidth-memory stack",
    }
}

/// A metric in words, with its unit.
pub fn metric_words(m: Metric) -> &'static str {
    match m {
        Metric::Tpp => "TPP",
        Metric::Pd => "performance density",
        Metric::DieAreaMm2 => "die area (mm²)",
        Metric::InterconnectGbps => "chip-to-chip transfer rate (GB/s)",
        Metric::MemoryBandwidthGbps => "DRAM bandwidth (GB/s)",
        Metric::MemoryBandwidthDensity => "memory bandwidth density (GB/s/mm²)",
        Metric::NodeNm => "process node (nm)",
        Metric::TransistorsBillion => "aggregated approximated transistor count (billions)",
        Metric::HbmStacks => "HBM stacks in the package",
        Metric::MemoryGb => "memory (GB)",
        Metric::TdpW => "TDP (W)",
    }
}

/// The rule set as `chipgate rules list --format json` gives it: its version, the packs with
/// how many regimes and rules each defines, then every regime and rule.
#[derive(Debug, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Listing<'a> {
    /// The version of the document's shape ([`crate::request::SCHEMA_VERSION`]).
    pub schema_version: &'static str,
    /// [`super::RuleSet::version`].
    pub version: String,
    /// The packs, in load order.
    pub packs: Vec<PackCount<'a>>,
    /// Every regime.
    pub regimes: &'a [super::Regime],
    /// Every rule.
    pub rules: &'a [super::Rule],
}

/// A pack with what it defines.
#[derive(Debug, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PackCount<'a> {
    /// The pack.
    #[serde(flatten)]
    pub pack: &'a super::PackInfo,
    /// Regimes it defines.
    pub regimes: usize,
    /// Rules it defines.
    pub rules: usize,
}

impl<'a> Listing<'a> {
    /// The listing of a rule set.
    pub fn new(rs: &'a super::RuleSet) -> Listing<'a> {
        let packs = rs
            .packs
            .iter()
            .map(|p| PackCount {
                pack: p,
                regimes: rs.regimes.iter().filter(|g| g.origin.pack == p.name).count(),
                rules: rs.rules.iter().filter(|r| r.origin.pack == p.name).count(),
            })
            .collect();
        Listing { schema_version: crate::request::SCHEMA_VERSION, version: rs.version(), packs, regimes: &rs.regimes, rules: &rs.rules }
    }
}

/// One rule as `chipgate rules show ID --format json` gives it: the rule, its regime's id and
/// its condition in words.
#[derive(Debug, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RuleSheet<'a> {
    /// The version of the document's shape ([`crate::request::SCHEMA_VERSION`]).
    pub schema_version: &'static str,
    /// The rule.
    #[serde(flatten)]
    pub rule: &'a super::Rule,
    /// Its regime's id.
    pub regime: String,
    /// Its condition in words.
    pub in_words: String,
    /// What packs loaded later changed of it (replaced, amended, superseded), naming the pack
    /// that defined it first; absent when none did.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<&'a super::Replacement>,
}

impl<'a> RuleSheet<'a> {
    /// The sheet of a rule of a rule set.
    pub fn new(rs: &'a super::RuleSet, rule: &'a super::Rule) -> RuleSheet<'a> {
        RuleSheet {
            schema_version: crate::request::SCHEMA_VERSION,
            rule,
            regime: rs.regime_of(rule).map(|g| g.id.clone()).unwrap_or_default(),
            in_words: rule.when.in_words(),
            changes: rs.changes("rule", &rule.id),
        }
    }
}

/// One regime as `chipgate rules show ID --format json` gives it: the regime and the ids of
/// its rules.
#[derive(Debug, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegimeSheet<'a> {
    /// The version of the document's shape ([`crate::request::SCHEMA_VERSION`]).
    pub schema_version: &'static str,
    /// The regime.
    #[serde(flatten)]
    pub regime: &'a super::Regime,
    /// The ids of its rules, in rule-set order.
    pub rules: Vec<&'a str>,
    /// What packs loaded later changed of it (replaced), naming the pack that defined it
    /// first; absent when none did.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<&'a super::Replacement>,
}

impl<'a> RegimeSheet<'a> {
    /// The sheet of a regime of a rule set.
    pub fn new(rs: &'a super::RuleSet, regime: &'a super::Regime) -> RegimeSheet<'a> {
        let rules = rs.rules.iter().filter(|r| rs.regime_of(r).is_some_and(|x| x.id == regime.id)).map(|r| r.id.as_str()).collect();
        RegimeSheet { schema_version: crate::request::SCHEMA_VERSION, regime, rules, changes: rs.changes("regime", &regime.id) }
    }
}

/// Why an id names no rule or regime, with the nearest ids.
pub fn unknown_id(rs: &super::RuleSet, id: &str) -> String {
    let ids = rs.rules.iter().map(|r| r.id.as_str()).chain(rs.regimes.iter().map(|g| g.id.as_str()));
    match super::diag::did_you_mean(id, ids) {
        Some(h) => format!("no rule or regime `{id}`; {h}"),
        None => format!("no rule or regime `{id}`; `chipgate rules list` shows them all"),
    }
}
