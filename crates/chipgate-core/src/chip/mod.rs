//! Chips and their metrics: catalog entries, hypothetical specs, and the derivation of
//! "total processing performance" (TPP) and performance density (PD).

use borsh::{BorshDeserialize, BorshSerialize};
use serde::Serialize;

mod metric;
mod overrides;
mod resolve;

pub use metric::{About, Metric, MetricMap};
pub use overrides::{hypothetical, Overrides};
pub use resolve::{normalize, Catalog, Resolution};

/// A numeric precision a throughput figure is given for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// IEEE double precision (vector units).
    Fp64,
    /// Double precision on tensor/matrix units.
    Fp64Tensor,
    /// Single precision.
    Fp32,
    /// Half precision (tensor units).
    Fp16,
    /// bfloat16 (tensor units).
    Bf16,
    /// 8-bit floating point.
    Fp8,
    /// 8-bit integer.
    Int8,
    /// 4-bit floating point.
    Fp4,
    /// 4-bit integer.
    Int4,
    /// A figure given directly by bit length (hypothetical chips).
    Bits(u32),
}

impl Precision {
    /// Every named precision with its source spelling.
    pub const NAMED: [(&'static str, Precision); 9] = [
        ("fp64", Precision::Fp64),
        ("fp64_tensor", Precision::Fp64Tensor),
        ("fp32", Precision::Fp32),
        ("fp16", Precision::Fp16),
        ("bf16", Precision::Bf16),
        ("fp8", Precision::Fp8),
        ("int8", Precision::Int8),
        ("fp4", Precision::Fp4),
        ("int4", Precision::Int4),
    ];

    /// Parses a precision name.
    pub fn parse(s: &str) -> Option<Precision> {
        Self::NAMED.iter().find(|(n, _)| n.eq_ignore_ascii_case(s)).map(|(_, p)| *p)
    }

    /// The bit length of one operand of the operation.
    pub fn bits(self) -> u32 {
        match self {
            Precision::Fp64 | Precision::Fp64Tensor => 64,
            Precision::Fp32 => 32,
            Precision::Fp16 | Precision::Bf16 => 16,
            Precision::Fp8 | Precision::Int8 => 8,
            Precision::Fp4 | Precision::Int4 => 4,
            Precision::Bits(b) => b,
        }
    }

    /// The name used in rule files and output.
    pub fn name(self) -> String {
        match Self::NAMED.iter().find(|(_, p)| *p == self) {
            Some((n, _)) => (*n).to_string(),
            None => format!("{}-bit", self.bits()),
        }
    }
}

/// A figure with where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Figure {
    /// The value.
    pub value: f64,
    /// The source (document, URL, or "command line").
    pub source: String,
    /// Confidence mark, where the reference gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<String>,
    /// How the figure was obtained.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basis: Option<String>,
}

impl Figure {
    /// A figure typed in by the user.
    pub fn given(value: f64) -> Figure {
        Figure { value, source: "given on the command line".into(), confidence: None, basis: None }
    }
}

/// A dense throughput figure for one precision.
#[derive(Debug, Clone, PartialEq, Serialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Throughput {
    /// The precision.
    pub precision: Precision,
    /// Dense TOPS or TFLOPS.
    pub tops: f64,
    /// Source and confidence.
    pub source: String,
    /// Confidence mark.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<String>,
    /// The processing unit the figure belongs to, when the IC has more than one (a GPU and an
    /// NPU on one die, say): TPP is aggregated over all processing units on the IC, so the best
    /// figure of each unit is summed. `None` is the IC's one (or default) unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

/// The field of a metric in a struct that has one, named as the metric (`Chip`, `Metrics`),
/// borrowed as `$($place)+` says (`&self`, `&mut self`): the one place that maps the metrics to
/// those fields, which stay named for serde, borsh and the API schema.
macro_rules! metric_field {
    ($m:expr, $($place:tt)+) => {
        match $m {
            Metric::Tpp => $($place)+.tpp,
            Metric::Pd => $($place)+.pd,
            Metric::DieAreaMm2 => $($place)+.die_area_mm2,
            Metric::InterconnectGbps => $($place)+.interconnect_gbps,
            Metric::MemoryBandwidthGbps => $($place)+.memory_bandwidth_gbps,
            Metric::MemoryBandwidthDensity => $($place)+.memory_bandwidth_density,
            Metric::MemoryGb => $($place)+.memory_gb,
            Metric::TdpW => $($place)+.tdp_w,
            Metric::NodeNm => $($place)+.node_nm,
            Metric::TransistorsBillion => $($place)+.transistors_billion,
            Metric::HbmStacks => $($place)+.hbm_stacks,
        }
    };
}

/// What kind of item a catalog entry is: an integrated circuit, or an item that contains them.
/// The advanced-computing rules classify the two apart (3A090 for the ICs; 4A090 and the `.z`
/// paragraphs for computers, "electronic assemblies" and components containing them), so an
/// ECCN says which kinds it classifies (`items` in `[[eccn]]`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[derive(strum::VariantArray, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum Item {
    /// An integrated circuit (a GPU, an accelerator, an HBM stack).
    #[default]
    Ic,
    /// An "electronic assembly" or module: a card, an SXM or OAM module, a baseboard.
    Assembly,
    /// A computer: a server or system.
    Computer,
}

impl Item {
    /// Every kind.
    pub const ALL: &'static [Item] = <Item as strum::VariantArray>::VARIANTS;

    /// Looks a kind up by its rule-language name.
    pub fn parse(s: &str) -> Option<Item> {
        s.parse().ok()
    }

    /// The rule-language name.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Whether it is made of other items (an assembly or a computer).
    pub fn composite(self) -> bool {
        self != Item::Ic
    }
}

/// How many levels items may nest (a module on a board in a server is three).
pub const MAX_NESTING: usize = 4;

/// An item that a computer or an assembly contains, and how many.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Part {
    /// The catalog id of the item contained.
    pub chip: String,
    /// How many of it.
    pub count: u32,
}

/// A chip: a catalog entry or a hypothetical design; or a computer or assembly that contains
/// chips ([`Item`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Chip {
    /// Catalog id (or `hypothetical`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Vendor.
    pub vendor: String,
    /// Other names it answers to.
    pub aliases: Vec<String>,
    /// The kind of item.
    pub item: Item,
    /// What a computer or an assembly contains (catalog items and how many).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contains: Vec<Part>,
    /// The other entries of the control list the item is described in, apart from the
    /// advanced-computing ones (`5A992.c` for a server with mass-market encryption): the `.z`
    /// paragraphs take in items of those entries that also meet the advanced-computing
    /// parameters. Empty: none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub described_in: Vec<String>,
    /// The documents a computer's or an assembly's entry cites for what it contains (it has no
    /// figures of its own to cite them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<String>,
    /// Designed or marketed for datacenters; `None` when unknown.
    pub datacenter: Option<bool>,
    /// A standalone high-bandwidth-memory stack rather than a logic IC.
    pub hbm: bool,
    /// Release year.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub released: Option<i64>,
    /// Dense throughput per precision.
    pub throughput: Vec<Throughput>,
    /// TPP given directly (overrides the derivation from throughput).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tpp: Option<Figure>,
    /// Performance density given directly (overrides TPP / die area).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pd: Option<Figure>,
    /// Applicable die area, mm².
    #[serde(skip_serializing_if = "Option::is_none")]
    pub die_area_mm2: Option<Figure>,
    /// Aggregate bidirectional chip-to-chip transfer rate, GB/s.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interconnect_gbps: Option<Figure>,
    /// Total DRAM bandwidth, GB/s.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_bandwidth_gbps: Option<Figure>,
    /// Memory bandwidth density of an HBM stack, GB/s/mm².
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_bandwidth_density: Option<Figure>,
    /// Memory size, GB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_gb: Option<Figure>,
    /// Thermal design power, W.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tdp_w: Option<Figure>,
    /// Process node of the logic dies, nm.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_nm: Option<Figure>,
    /// Aggregated approximated transistor count of the packaged IC, billions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transistors_billion: Option<Figure>,
    /// High-bandwidth-memory stacks in the package.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hbm_stacks: Option<Figure>,
    /// Published TPP, for cross-checks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tpp_published: Option<Figure>,
    /// Published performance density, for cross-checks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pd_published: Option<Figure>,
    /// Free-text notes.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub notes: String,
    /// Form factor.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub form_factor: String,
    /// Architecture and process.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub architecture: String,
}

impl Chip {
    /// Every figure the chip has, each with its name as a person reads it: the metrics'
    /// (TPP and performance density marked as given), then the published figures.
    pub fn figures(&self) -> Vec<(String, &Figure)> {
        let given = |m: Metric| match m {
            Metric::Tpp | Metric::Pd => format!("{} (given)", m.about().label),
            _ => m.about().heading(),
        };
        let metrics = Metric::ALL.into_iter().filter_map(|m| Some((given(m), self.figure(m)?)));
        let published = [("Published TPP", &self.tpp_published), ("Published performance density", &self.pd_published)];
        metrics.chain(published.into_iter().filter_map(|(n, f)| Some((n.to_string(), f.as_ref()?)))).collect()
    }

    /// The chip's figure of a metric, if it has one (for TPP and performance density, one
    /// given directly rather than derived).
    pub fn figure(&self, m: Metric) -> Option<&Figure> {
        self.slot(m).as_ref()
    }

    /// Gives or clears the chip's figure of a metric.
    pub fn set_figure(&mut self, m: Metric, f: Option<Figure>) {
        *self.slot_mut(m) = f;
    }

    /// The field that holds a metric's figure: the one place that maps metrics to the
    /// fields (which stay named for serde, borsh and the API schema; a test checks that their
    /// JSON keys are the metrics' names).
    fn slot(&self, m: Metric) -> &Option<Figure> {
        metric_field!(m, &self)
    }

    fn slot_mut(&mut self, m: Metric) -> &mut Option<Figure> {
        metric_field!(m, &mut self)
    }

    /// Whether the item is described in one of `entries` or in a sub-paragraph of one (compared
    /// without case): what the `described_in` test asks.
    pub fn described_in_any(&self, entries: &[String]) -> bool {
        // An item of a sub-paragraph is an item of the paragraph: `5A002.a.1` is in `5A002.a`.
        let within = |d: &str, x: &str| {
            d.get(..x.len()).is_some_and(|head| head.eq_ignore_ascii_case(x))
                && d.get(x.len()..).is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        };
        self.described_in.iter().any(|d| entries.iter().any(|x| within(d, x)))
    }

    /// Every source the chip's throughput and figures cite, each once, in first-use order.
    pub fn sources(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let figures = self.throughput.iter().map(|t| &t.source).chain(self.figures().into_iter().map(|(_, f)| &f.source));
        for s in figures.chain(&self.documents) {
            if !s.is_empty() && !out.contains(s) {
                out.push(s.clone());
            }
        }
        out
    }
}

/// A metric value with how it was derived.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Derived {
    /// The value.
    pub value: f64,
    /// How it was obtained, in words.
    pub derivation: String,
}

/// Every boolean flag the rule language can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[derive(strum::VariantArray, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum Flag {
    /// Designed or marketed for datacenters.
    Datacenter,
    /// A standalone HBM stack.
    Hbm,
}

impl Flag {
    /// Every flag.
    pub const ALL: &'static [Flag] = <Flag as strum::VariantArray>::VARIANTS;

    /// Looks a flag up by name.
    pub fn parse(s: &str) -> Option<Flag> {
        s.parse().ok()
    }

    /// The rule-language name.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// The evaluated metrics of a chip, each with its derivation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Metrics {
    /// TPP.
    pub tpp: Option<Derived>,
    /// Performance density.
    pub pd: Option<Derived>,
    /// Applicable die area.
    pub die_area_mm2: Option<Derived>,
    /// Interconnect.
    pub interconnect_gbps: Option<Derived>,
    /// DRAM bandwidth.
    pub memory_bandwidth_gbps: Option<Derived>,
    /// HBM bandwidth density.
    pub memory_bandwidth_density: Option<Derived>,
    /// Memory size.
    pub memory_gb: Option<Derived>,
    /// TDP.
    pub tdp_w: Option<Derived>,
    /// Process node.
    pub node_nm: Option<Derived>,
    /// Aggregated approximated transistor count.
    pub transistors_billion: Option<Derived>,
    /// HBM stacks in the package.
    pub hbm_stacks: Option<Derived>,
    /// Datacenter flag.
    pub datacenter: Option<bool>,
    /// HBM flag.
    pub hbm: bool,
}

impl Metrics {
    /// Derives every metric of a chip: TPP and performance density as the regulation defines
    /// them, the others as the chip gives them.
    pub fn of(chip: &Chip) -> Metrics {
        let mut out = Metrics {
            tpp: derive_tpp(chip),
            pd: None,
            die_area_mm2: None,
            interconnect_gbps: None,
            memory_bandwidth_gbps: None,
            memory_bandwidth_density: None,
            memory_gb: None,
            tdp_w: None,
            node_nm: None,
            transistors_billion: None,
            hbm_stacks: None,
            datacenter: chip.datacenter,
            hbm: chip.hbm,
        };
        for m in Metric::ALL.into_iter().filter(|m| !matches!(m, Metric::Tpp | Metric::Pd)) {
            *out.slot_mut(m) =
                chip.figure(m).map(|f| Derived { value: f.value, derivation: format!("{} from {}", m.about().words, f.source) });
        }
        out.pd = match (&chip.pd, &out.tpp, &out.die_area_mm2) {
            (Some(p), _, _) => Some(Derived { value: p.value, derivation: format!("given ({})", p.source) }),
            (None, Some(t), Some(d)) if d.value > 0.0 => Some(Derived {
                value: t.value / d.value,
                derivation: format!("TPP {} / applicable die area {} mm²", fmt_num(t.value), fmt_num(d.value)),
            }),
            _ => None,
        };
        out
    }

    /// Fills in the figures a computer or an assembly does not give itself from the items it
    /// contains (`parts`: each with its metrics), as the rules read them: the highest of
    /// theirs, so that a threshold one contained item meets the computer meets and one none
    /// meets it does not; known only when every item contained gives it. The datacenter flag,
    /// when not its own, is theirs when they agree.
    pub fn fill_from_parts(&mut self, parts: &[(&str, &Metrics)]) {
        if parts.is_empty() {
            return;
        }
        for m in Metric::ALL {
            if self.derived(m).is_some() {
                continue;
            }
            let given: Option<Vec<(&str, &Derived)>> = parts.iter().map(|(c, pm)| Some((*c, pm.derived(m)?))).collect();
            let best = given.and_then(|g| g.into_iter().max_by(|a, b| a.1.value.total_cmp(&b.1.value)));
            *self.slot_mut(m) = best.map(|(c, d)| Derived {
                value: d.value,
                derivation: format!("the highest of the items it contains: {} of {c}", fmt_num(d.value)),
            });
        }
        if self.datacenter.is_none() {
            let first = parts.first().and_then(|(_, pm)| pm.datacenter);
            if parts.iter().all(|(_, pm)| pm.datacenter == first) {
                self.datacenter = first;
            }
        }
    }

    /// A metric with its derivation, if known.
    pub fn derived(&self, m: Metric) -> Option<&Derived> {
        metric_field!(m, &self).as_ref()
    }

    /// The field that holds a metric (named for serde and the API schema, like [`Chip`]'s).
    fn slot_mut(&mut self, m: Metric) -> &mut Option<Derived> {
        metric_field!(m, &mut self)
    }

    /// The value of a metric, if known.
    pub fn get(&self, m: Metric) -> Option<f64> {
        self.derived(m).map(|d| d.value)
    }

    /// The value of a flag, if known.
    pub fn flag(&self, f: Flag) -> Option<bool> {
        match f {
            Flag::Datacenter => self.datacenter,
            Flag::Hbm => Some(self.hbm),
        }
    }
}

/// TPP: a given figure, or, for each processing unit, the maximum over precisions of dense TOPS ×
/// bit length, summed over the units ("aggregated over all processing units on the integrated
/// circuit"). A standalone HBM stack has no digital processing units, so its TPP is zero.
fn derive_tpp(chip: &Chip) -> Option<Derived> {
    if let Some(t) = &chip.tpp {
        return Some(Derived { value: t.value, derivation: format!("given ({})", t.source) });
    }
    if chip.hbm && chip.throughput.is_empty() {
        return Some(Derived { value: 0.0, derivation: "HBM stack: no digital processing units".into() });
    }
    let mut units: Vec<Option<&str>> = Vec::new();
    for t in &chip.throughput {
        if !units.contains(&t.unit.as_deref()) {
            units.push(t.unit.as_deref());
        }
    }
    let best = |u: Option<&str>| {
        chip.throughput
            .iter()
            .filter(|t| t.unit.as_deref() == u)
            .map(|t| (t.tops * f64::from(t.precision.bits()), t))
            .max_by(|a, b| a.0.total_cmp(&b.0))
    };
    let bests: Vec<(f64, &Throughput)> = units.iter().filter_map(|u| best(*u)).collect();
    let term = |t: &Throughput| format!("{} {} × {} bits", t.precision.name(), fmt_num(t.tops), t.precision.bits());
    match bests.as_slice() {
        [] => None,
        [(value, t)] => {
            Some(Derived { value: *value, derivation: format!("max over precisions of dense TOPS × bit length: {}", term(t)) })
        }
        many => Some(Derived {
            value: many.iter().map(|(v, _)| v).sum(),
            derivation: format!(
                "sum over {} processing units of the max dense TOPS × bit length: {}",
                many.len(),
                many.iter().map(|(_, t)| format!("{} {}", t.unit.as_deref().unwrap_or("main"), term(t))).collect::<Vec<_>>().join(" + ")
            ),
        }),
    }
}

/// Formats a number without a trailing `.0` and with at most three decimals.
pub fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chip(tp: &[(Precision, f64)], die: Option<f64>) -> Chip {
        Chip {
            throughput: tp
                .iter()
                .map(|(p, t)| Throughput { precision: *p, tops: *t, source: "test".into(), confidence: None, unit: None })
                .collect(),
            die_area_mm2: die.map(Figure::given),
            ..Chip::default()
        }
    }

    #[test]
    fn tpp_sums_the_best_figure_of_each_processing_unit() {
        let mut c = chip(&[(Precision::Fp16, 100.0), (Precision::Int8, 300.0)], None);
        c.throughput.push(Throughput {
            precision: Precision::Int8,
            tops: 50.0,
            source: "test".into(),
            confidence: None,
            unit: Some("npu".into()),
        });
        c.throughput.push(Throughput {
            precision: Precision::Int4,
            tops: 80.0,
            source: "test".into(),
            confidence: None,
            unit: Some("npu".into()),
        });
        let m = Metrics::of(&c);
        assert_eq!(m.get(Metric::Tpp), Some(2400.0 + 400.0));
        assert!(m.tpp.as_ref().unwrap().derivation.starts_with("sum over 2 processing units"), "{:?}", m.tpp);
    }

    #[test]
    fn tpp_is_the_max_over_precisions() {
        let m = Metrics::of(&chip(&[(Precision::Fp16, 312.0), (Precision::Int8, 624.0), (Precision::Fp64, 19.5)], Some(826.0)));
        assert_eq!(m.get(Metric::Tpp), Some(4992.0));
        assert!((m.get(Metric::Pd).unwrap() - 6.0436).abs() < 1e-3);
    }

    #[test]
    fn missing_die_area_leaves_pd_unknown() {
        let m = Metrics::of(&chip(&[(Precision::Fp8, 4500.0)], None));
        assert_eq!(m.get(Metric::Tpp), Some(36000.0));
        assert_eq!(m.get(Metric::Pd), None);
    }

    #[test]
    fn formats_numbers() {
        assert_eq!(fmt_num(4800.0), "4800");
        assert_eq!(fmt_num(5.92), "5.92");
        assert_eq!(fmt_num(19.4496), "19.45");
    }
}

#[cfg(test)]
mod table_tests {
    use super::*;

    /// The JSON keys of an object, in order.
    fn keys(v: serde_json::Value) -> Vec<String> {
        v.as_object().unwrap().keys().cloned().collect()
    }

    #[test]
    fn the_named_fields_are_the_metric_tables() {
        // Every metric's figure, set through the table, is serialized under the metric's name.
        let mut chip = Chip::default();
        for (i, m) in Metric::ALL.into_iter().enumerate() {
            chip.set_figure(m, Some(Figure::given(i as f64 + 1.0)));
            assert_eq!(chip.figure(m).map(|f| f.value), Some(i as f64 + 1.0));
        }
        let json = serde_json::to_value(&chip).unwrap();
        for (i, m) in Metric::ALL.into_iter().enumerate() {
            assert_eq!(json[m.name()]["value"], i as f64 + 1.0, "{}", m.name());
        }
        let metrics = Metrics::of(&chip);
        let names = keys(serde_json::to_value(&metrics).unwrap());
        let expected: Vec<String> = Metric::ALL.iter().map(|m| m.name().to_string()).chain(["datacenter".into(), "hbm".into()]).collect();
        assert_eq!(names, expected);
        for m in Metric::ALL {
            assert!(metrics.derived(m).is_some(), "{}", m.name());
        }
        assert_eq!(metrics.get(Metric::TdpW), Some(8.0));
        assert_eq!(metrics.derived(Metric::TdpW).unwrap().derivation, "TDP from given on the command line");
    }

    #[test]
    fn figures_are_named_from_the_table() {
        let chip = Chip { die_area_mm2: Some(Figure::given(814.0)), tpp: Some(Figure::given(1.0)), ..Chip::default() };
        let names: Vec<String> = chip.figures().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["TPP (given)", "Applicable die area (mm²)"]);
    }
}
