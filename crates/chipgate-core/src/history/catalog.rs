//! The catalog on a date: a chip's classification under the rules in force, independent of
//! the destination.

use jiff::civil::Date;
use serde::Serialize;

use crate::chip::{Chip, Metric};
use crate::eval::Options;
use crate::rules::RuleSet;

/// A chip's classification on a date.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
pub fn classify(rs: &RuleSet, chip: &Chip, date: Date) -> Classification {
    Classification::of(rs, date, &rs.period(date).classify(chip, Options::UNTRACED))
}

impl Classification {
    /// The catalog's words for the engine's classification of a chip on a date.
    pub fn of(rs: &RuleSet, date: Date, c: &crate::eval::Classified) -> Classification {
        let rule_id = |i: &usize| rs.rules.get(*i).map(|r| r.id.clone());
        let (eccn, candidates, missing, rules) = match c.possible.as_slice() {
            [(eccn, deciding)] => (eccn.clone(), Vec::new(), Vec::new(), deciding.iter().filter_map(rule_id).collect()),
            several => (None, several.iter().map(|(e, _)| e.clone()).collect(), c.missing(rs), Vec::new()),
        };
        Classification { date, eccn, candidates, missing, rules }
    }
}

/// One chip of the catalog as the list view shows it (`chipgate chips --format json`): its
/// figures and its classification on the view's date.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Entry<'a> {
    /// Catalog id.
    pub id: &'a str,
    /// Name.
    pub name: &'a str,
    /// Vendor.
    pub vendor: &'a str,
    /// Other names it answers to.
    pub aliases: &'a [String],
    /// The kind of item.
    pub item: crate::chip::Item,
    /// What a computer or an assembly contains (catalog ids and how many).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub contains: &'a [crate::chip::Part],
    /// Designed or marketed for datacenters, if known.
    pub datacenter: Option<bool>,
    /// Total processing performance.
    pub tpp: Option<f64>,
    /// Performance density, to four decimals.
    pub pd: Option<f64>,
    /// Performance density, unrounded.
    #[serde(skip)]
    pub pd_exact: Option<f64>,
    /// Applicable die area, mm².
    pub die_area_mm2: Option<f64>,
    /// Chip-to-chip transfer rate, GB/s.
    pub interconnect_gbps: Option<f64>,
    /// DRAM bandwidth, GB/s.
    pub memory_bandwidth_gbps: Option<f64>,
    /// The ECCN, when determined.
    pub eccn: Option<String>,
    /// The classifications missing data leaves possible, when several.
    pub eccn_candidates: Vec<Option<String>>,
    /// What is missing for them.
    pub missing: Vec<String>,
}

impl<'a> Entry<'a> {
    /// The entry of a chip classified as `class`.
    pub fn new(chip: &'a Chip, class: &Classification) -> Entry<'a> {
        let m = crate::chip::Metrics::of(chip);
        let round4 = |v: f64| (v * 1e4).round() / 1e4;
        Entry {
            id: &chip.id,
            name: &chip.name,
            vendor: &chip.vendor,
            aliases: &chip.aliases,
            item: chip.item,
            contains: &chip.contains,
            datacenter: chip.datacenter,
            tpp: m.get(Metric::Tpp),
            pd: m.get(Metric::Pd).map(round4),
            pd_exact: m.get(Metric::Pd),
            die_area_mm2: m.get(Metric::DieAreaMm2),
            interconnect_gbps: m.get(Metric::InterconnectGbps),
            memory_bandwidth_gbps: m.get(Metric::MemoryBandwidthGbps),
            eccn: class.eccn.clone(),
            eccn_candidates: class.candidates.clone(),
            missing: class.missing.clone(),
        }
    }
}

/// Which chips of the catalog a list view shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct Filter {
    /// Only chips of this vendor (a prefix, case and punctuation ignored).
    pub vendor: Option<String>,
    /// Only chips with this ECCN or ECCN prefix, `none`, or `undetermined` (`?`).
    pub eccn: Option<String>,
    /// Only chips whose name, id, alias, architecture or form factor contains this text.
    pub search: Option<String>,
    /// The computers and assemblies (systems, boards) instead of the integrated circuits.
    pub systems: bool,
}

impl Filter {
    /// Whether a chip passes the kind, vendor and text filters.
    pub fn keeps(&self, c: &Chip) -> bool {
        use crate::chip::normalize;
        let vendor_ok = |v: &str| normalize(&c.vendor).starts_with(&normalize(v));
        let search_ok = |s: &str| {
            let key = normalize(s);
            let plain = s.to_lowercase();
            std::iter::once(&c.name).chain(std::iter::once(&c.id)).chain(&c.aliases).any(|n| normalize(n).contains(&key))
                || [&c.vendor, &c.architecture, &c.form_factor].iter().any(|f| f.to_lowercase().contains(&plain))
        };
        c.item.composite() == self.systems
            && self.vendor.as_deref().filter(|v| !vendor_ok(v)).is_none()
            && self.search.as_deref().filter(|s| !search_ok(s)).is_none()
    }

    /// Whether a classification passes the ECCN filter: `none` matches unclassified chips,
    /// `undetermined` (or `?`) undetermined ones, anything else is a case-insensitive prefix.
    pub fn keeps_class(&self, c: &Classification) -> bool {
        let Some(filter) = &self.eccn else { return true };
        let f = filter.trim().to_lowercase();
        match f.as_str() {
            "none" => c.eccn.is_none() && !c.undetermined(),
            "?" => c.undetermined(),
            _ if f.len() >= 3 && "undetermined".starts_with(&f) => c.undetermined(),
            _ => c.eccn.as_deref().is_some_and(|e| e.to_lowercase().starts_with(&f)),
        }
    }

    /// The catalog's chips that pass, each with its classification on a date.
    pub fn apply<'r>(&self, rs: &'r RuleSet, date: Date) -> Vec<(&'r Chip, Classification)> {
        let mut out = Vec::new();
        for chip in rs.catalog.chips().filter(|c| self.keeps(c)) {
            let class = classify(rs, chip, date);
            if self.keeps_class(&class) {
                out.push((chip, class));
            }
        }
        out
    }
}

/// The list view's document (`chipgate chips --format json`).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct List<'a> {
    /// The version of the document's shape ([`crate::request::SCHEMA_VERSION`]).
    pub schema_version: &'static str,
    /// The date the rules were applied for.
    pub date: Date,
    /// The packs, versions and hashes that answered.
    pub rules_version: String,
    /// The chips shown.
    pub chips: Vec<Entry<'a>>,
}

/// One chip with every figure, its classification and its sources (`chipgate chips show
/// NAME --format json`).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Sheet<'a> {
    /// The version of the document's shape ([`crate::request::SCHEMA_VERSION`]).
    pub schema_version: &'static str,
    /// The catalog entry as the packs give it.
    pub chip: &'a Chip,
    /// The figures the rules read, with their derivations.
    pub metrics: crate::chip::Metrics,
    /// The classification on the date.
    pub classification: Classification,
    /// What a computer or an assembly contains, each item classified on the date.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contains: Vec<crate::eval::PartRef>,
    /// Every source the figures cite, each once.
    pub sources: Vec<String>,
    /// The packs, versions and hashes that answered.
    pub rules_version: String,
}

impl<'a> Sheet<'a> {
    /// The sheet of a chip under the rules in force on a date.
    pub fn new(rs: &RuleSet, chip: &'a Chip, date: Date) -> Sheet<'a> {
        // Classified once: the figures, what it contains and the classification all come of it.
        let classified = rs.period(date).classify(chip, Options::UNTRACED);
        Sheet {
            schema_version: crate::request::SCHEMA_VERSION,
            chip,
            contains: classified.part_refs(rs),
            classification: Classification::of(rs, date, &classified),
            metrics: classified.metrics,
            sources: chip.sources(),
            rules_version: rs.version(),
        }
    }
}
