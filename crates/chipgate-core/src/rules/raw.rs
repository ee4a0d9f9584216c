//! The serde mirror of a rule file, with spans kept for every value a later check may point at.
//! Unknown keys are refused here, so a typo gets the toml crate's precise position.

use serde::Deserialize;
use toml::value::Datetime;
use toml::Spanned;

/// A spanned string.
pub type SStr = Spanned<String>;

/// One rule file.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    pub pack: Option<Spanned<RawPack>>,
    #[serde(default)]
    pub country: Vec<Spanned<RawCountry>>,
    #[serde(default)]
    pub treated_as: Vec<Spanned<RawTreatedAs>>,
    #[serde(default)]
    pub group: Vec<Spanned<RawGroup>>,
    #[serde(default)]
    pub set: Vec<Spanned<RawSet>>,
    #[serde(default)]
    pub eccn: Vec<Spanned<RawEccn>>,
    #[serde(default)]
    pub regime: Vec<Spanned<RawRegime>>,
    #[serde(default)]
    pub classification: Vec<Spanned<RawRule>>,
    #[serde(default)]
    pub requirement: Vec<Spanned<RawRule>>,
    #[serde(default)]
    pub exception: Vec<Spanned<RawRule>>,
    #[serde(default)]
    pub review: Vec<Spanned<RawRule>>,
    #[serde(default)]
    pub presumption: Vec<Spanned<RawRule>>,
    #[serde(default)]
    pub chip: Vec<Spanned<RawChip>>,
    #[serde(default)]
    pub party_list: Vec<Spanned<RawPartyList>>,
    #[serde(default)]
    pub party: Vec<Spanned<RawParty>>,
}

/// `[[party_list]]`: a list of parties (the Entity List) that rules test with `party in [...]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPartyList {
    pub id: SStr,
    pub name: String,
    pub citation: Option<Spanned<RawCitation>>,
    /// The score (0-1) from which a name is the listed party.
    #[serde(rename = "match")]
    pub match_score: Option<Spanned<f64>>,
    /// The score from which a name may be the listed party (indeterminate).
    pub possible: Option<Spanned<f64>>,
    /// The sources of the Consolidated Screening List whose entries are this list's, when a
    /// user loads that list (`--parties FILE`): the CSL's `source` column or its abbreviation.
    #[serde(default)]
    pub screening_sources: Vec<String>,
    /// How the entries' license-requirement wording reads.
    #[serde(default)]
    pub requirement: Option<crate::parties::Reading>,
    #[serde(default)]
    pub replaces: bool,
}

/// `[[party]]`: one entry of a party list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawParty {
    pub id: SStr,
    pub list: SStr,
    pub name: SStr,
    #[serde(default)]
    pub aliases: Vec<SStr>,
    pub country: Option<SStr>,
    pub address: Option<String>,
    pub license_requirement: String,
    pub review_policy: Option<SStr>,
    /// The review policy in the entry's own words.
    pub review_policy_text: Option<String>,
    pub added: Option<Spanned<Datetime>>,
    pub removed: Option<Spanned<Datetime>>,
    pub citation: Option<Spanned<RawCitation>>,
    #[serde(default)]
    pub footnotes: Vec<String>,
    pub note: Option<String>,
    #[serde(default)]
    pub replaces: bool,
}

/// `[pack]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPack {
    pub name: SStr,
    pub version: SStr,
    pub requires: Option<SStr>,
    pub description: Option<String>,
    #[serde(default)]
    pub extends: Vec<SStr>,
    /// Lint codes this pack acknowledges: their warnings on its files are not shown.
    #[serde(default)]
    pub allow: Vec<SStr>,
    /// The country whose export rules the pack states (`US`): the default ship-from, and what
    /// tells an export from a reexport.
    pub jurisdiction: Option<SStr>,
}

/// A citation: a document (Federal Register, CFR part, official page) and an optional URL.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawCitation {
    pub document: SStr,
    pub url: Option<SStr>,
}

/// `[[country]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCountry {
    pub code: SStr,
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub replaces: bool,
}

/// `[[treated_as]]`: the rules treat one destination as another (Hong Kong as China).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTreatedAs {
    pub country: SStr,
    #[serde(rename = "as")]
    pub as_: SStr,
    pub citation: Option<Spanned<RawCitation>>,
    pub note: Option<String>,
}

/// `[[group]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGroup {
    pub id: SStr,
    pub name: String,
    pub citation: Option<Spanned<RawCitation>>,
    #[serde(default)]
    pub members: Vec<SStr>,
    #[serde(default)]
    pub change: Vec<Spanned<RawChange>>,
    /// Countries the regulations always name together with this group ("D:5 or Macau").
    #[serde(default)]
    pub named_with: Vec<SStr>,
    #[serde(default)]
    pub replaces: bool,
    pub note: Option<String>,
}

/// `[[group.change]]`: a dated membership span.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChange {
    pub country: SStr,
    pub from: Option<Spanned<Datetime>>,
    pub until: Option<Spanned<Datetime>>,
    pub citation: Option<Spanned<RawCitation>>,
    pub note: Option<String>,
}

/// `[[set]]`: a named set expression.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSet {
    pub id: SStr,
    pub expr: SStr,
    pub description: Option<String>,
    pub citation: Option<Spanned<RawCitation>>,
    #[serde(default)]
    pub replaces: bool,
}

/// `[[eccn]]`: a classification a rule may assign, in precedence order.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEccn {
    pub id: SStr,
    pub family: Option<SStr>,
    pub title: String,
    pub explain: Option<String>,
    pub citation: Option<Spanned<RawCitation>>,
    #[serde(default)]
    pub items: Vec<SStr>,
    pub licensed_as: Option<SStr>,
    #[serde(default)]
    pub replaces: bool,
}

/// `[[regime]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRegime {
    pub id: SStr,
    pub title: String,
    pub citation: Option<Spanned<RawCitation>>,
    pub effective: Option<Spanned<Datetime>>,
    pub until: Option<Spanned<Datetime>>,
    pub superseded_by: Option<SStr>,
    #[serde(default = "yes")]
    pub enforced: bool,
    pub enforcement_note: Option<String>,
    pub note: Option<String>,
    #[serde(default)]
    pub replaces: bool,
}

fn yes() -> bool {
    true
}

/// A classification, requirement, exception, review-policy or presumption rule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    /// Required, unless the entry `amends` a rule (which keeps its id).
    pub id: Option<SStr>,
    /// The rule of an earlier pack whose fields this entry changes (only those it gives).
    pub amends: Option<SStr>,
    /// The rule of an earlier pack this one takes over from on its `effective` date.
    pub supersedes: Option<SStr>,
    pub regime: Option<SStr>,
    pub when: Option<SStr>,
    pub summary: Option<String>,
    pub citation: Option<Spanned<RawCitation>>,
    pub effective: Option<Spanned<Datetime>>,
    pub until: Option<Spanned<Datetime>>,
    pub note: Option<String>,
    pub family: Option<SStr>,
    #[serde(default)]
    pub replaces: bool,
    // classification
    pub eccn: Option<SStr>,
    pub excludes: Option<SStr>,
    // requirement
    pub kind: Option<SStr>,
    // exception
    pub name: Option<String>,
    #[serde(default)]
    pub relieves: Vec<SStr>,
    pub notification: Option<bool>,
    pub conditions: Option<String>,
    // review
    pub policy: Option<SStr>,
    // presumption (and `eccn`)
    pub datacenter: Option<Spanned<bool>>,
}

impl RawRule {
    /// Where a diagnostic about the entry points: its id, or the rule it amends.
    pub fn id_span(&self) -> Option<std::ops::Range<usize>> {
        self.id.as_ref().or(self.amends.as_ref()).map(Spanned::span)
    }

    /// Where a diagnostic about the entry's condition points: the condition, else the entry.
    pub fn when_span(&self) -> Option<std::ops::Range<usize>> {
        self.when.as_ref().map(Spanned::span).or_else(|| self.id_span())
    }
}

/// A figure with its source.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFigure {
    pub value: Spanned<f64>,
    pub source: Option<SStr>,
    pub confidence: Option<SStr>,
    pub basis: Option<String>,
}

/// `[[chip.throughput]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawThroughput {
    pub precision: SStr,
    pub tops: Spanned<f64>,
    pub source: Option<SStr>,
    pub confidence: Option<SStr>,
    #[serde(default)]
    pub sparse: bool,
    pub unit: Option<String>,
}

/// One entry of a `[[chip]]`'s `contains`: `{ chip = "nvidia-h100-sxm", count = 8 }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPart {
    pub chip: SStr,
    pub count: Option<Spanned<i64>>,
}

/// `[[chip]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChip {
    pub id: SStr,
    pub name: String,
    pub vendor: String,
    #[serde(default)]
    pub aliases: Vec<SStr>,
    pub item: Option<SStr>,
    #[serde(default)]
    pub contains: Vec<Spanned<RawPart>>,
    #[serde(default)]
    pub described_in: Vec<SStr>,
    pub datacenter: Option<bool>,
    #[serde(default)]
    pub hbm: bool,
    pub released: Option<i64>,
    pub form_factor: Option<String>,
    pub architecture: Option<String>,
    pub memory_gb: Option<Spanned<f64>>,
    pub memory_type: Option<String>,
    pub notes: Option<String>,
    #[serde(default)]
    pub sources: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub throughput: Vec<Spanned<RawThroughput>>,
    pub tpp: Option<Spanned<RawFigure>>,
    pub die_area_mm2: Option<Spanned<RawFigure>>,
    pub interconnect_gbps: Option<Spanned<RawFigure>>,
    pub memory_bandwidth_gbps: Option<Spanned<RawFigure>>,
    pub memory_bandwidth_density: Option<Spanned<RawFigure>>,
    pub tdp_w: Option<Spanned<RawFigure>>,
    pub node_nm: Option<Spanned<RawFigure>>,
    pub transistors_billion: Option<Spanned<RawFigure>>,
    pub hbm_stacks: Option<Spanned<RawFigure>>,
    pub tpp_published: Option<Spanned<RawFigure>>,
    pub pd_published: Option<Spanned<RawFigure>>,
    #[serde(default)]
    pub replaces: bool,
}

impl RawChip {
    /// The figure table a metric is read from (`[chip.tpp]`): TPP, the die area and the rates;
    /// `None` for performance density (derived, never stored) and memory size (a plain
    /// `memory_gb = 80` beside `memory_type`).
    pub fn figure(&self, m: crate::chip::Metric) -> Option<&Option<Spanned<RawFigure>>> {
        use crate::chip::Metric;
        match m {
            Metric::Tpp => Some(&self.tpp),
            Metric::DieAreaMm2 => Some(&self.die_area_mm2),
            Metric::InterconnectGbps => Some(&self.interconnect_gbps),
            Metric::MemoryBandwidthGbps => Some(&self.memory_bandwidth_gbps),
            Metric::MemoryBandwidthDensity => Some(&self.memory_bandwidth_density),
            Metric::TdpW => Some(&self.tdp_w),
            Metric::NodeNm => Some(&self.node_nm),
            Metric::TransistorsBillion => Some(&self.transistors_billion),
            Metric::HbmStacks => Some(&self.hbm_stacks),
            Metric::Pd | Metric::MemoryGb => None,
        }
    }
}
