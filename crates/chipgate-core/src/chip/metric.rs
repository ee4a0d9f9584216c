//! The figures a chip can have, declared once: each metric's name (in conditions, rule files,
//! JSON and the audit's columns), the parameter and flag that give it, its unit, its words in
//! tables and derivations, and what to supply when it is missing. Every front end and view
//! takes them from [`Metric::about`] instead of spelling them out.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::Serialize;

/// Every metric the rule language can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Total processing performance.
    Tpp,
    /// Performance density.
    Pd,
    /// Applicable die area.
    DieAreaMm2,
    /// Chip-to-chip transfer rate.
    InterconnectGbps,
    /// Total DRAM bandwidth.
    MemoryBandwidthGbps,
    /// HBM memory bandwidth density.
    MemoryBandwidthDensity,
    /// Memory size.
    MemoryGb,
    /// Thermal design power.
    TdpW,
    /// Process node.
    NodeNm,
    /// Aggregated approximated transistor count.
    TransistorsBillion,
    /// High-bandwidth-memory stacks in the package.
    HbmStacks,
}

/// What there is to say about a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct About {
    /// The metric.
    pub metric: Metric,
    /// Its name: in conditions (`tpp >= 4800`), a rule file's `[[chip]]` figures (all but `pd`,
    /// which is derived), the chip's and the metrics' JSON keys, and the audit's spec column.
    pub name: &'static str,
    /// The request parameter that gives it for a hypothetical or modified chip (`die_area`);
    /// the command line's flag is the same with `-` for `_` (`--die-area`). `None`: a user
    /// cannot give it (it is read from the catalog only).
    pub parameter: Option<&'static str>,
    /// The flag's value name in `--help` (`MM2`).
    pub value_name: &'static str,
    /// Its unit, as printed (`mm²`; empty for a plain number).
    pub unit: &'static str,
    /// Its name in a table, without the unit (`Applicable die area`).
    pub label: &'static str,
    /// Its words in a derivation (`applicable die area from SOURCE`).
    pub words: &'static str,
    /// One sentence for help texts and the API's documentation.
    pub description: &'static str,
    /// What a user supplies to make it known when an answer needs it.
    pub hint: &'static str,
}

impl About {
    /// Its name in a table with the unit: `Applicable die area (mm²)`, `TPP`.
    pub fn heading(&self) -> String {
        if self.unit.is_empty() {
            self.label.to_string()
        } else {
            format!("{} ({})", self.label, self.unit)
        }
    }

    /// The command-line flag that gives it (`--die-area`), if a user can.
    pub fn flag(&self) -> Option<String> {
        self.parameter.map(crate::request::flag)
    }
}

/// The table: one row per metric, in [`Metric`]'s order.
const ABOUT: [About; Metric::COUNT] = [
    About {
        metric: Metric::Tpp,
        name: "tpp",
        parameter: Some("tpp"),
        value_name: "N",
        unit: "",
        label: "TPP",
        words: "TPP",
        description: "Total processing performance, given directly.",
        hint: "tpp (or dense throughput figures)",
    },
    About {
        metric: Metric::Pd,
        name: "pd",
        parameter: Some("pd"),
        value_name: "N",
        unit: "",
        label: "Performance density",
        words: "performance density",
        description: "Performance density, given directly.",
        hint: "pd (or die_area_mm2)",
    },
    About {
        metric: Metric::DieAreaMm2,
        name: "die_area_mm2",
        parameter: Some("die_area"),
        value_name: "MM2",
        unit: "mm²",
        label: "Applicable die area",
        words: "applicable die area",
        description: "Applicable die area in mm².",
        hint: "die_area_mm2",
    },
    About {
        metric: Metric::InterconnectGbps,
        name: "interconnect_gbps",
        parameter: Some("interconnect"),
        value_name: "GBPS",
        unit: "GB/s",
        label: "Chip-to-chip rate",
        words: "chip-to-chip rate",
        description: "Aggregate bidirectional chip-to-chip transfer rate, GB/s.",
        hint: "interconnect_gbps",
    },
    About {
        metric: Metric::MemoryBandwidthGbps,
        name: "memory_bandwidth_gbps",
        parameter: Some("memory_bandwidth"),
        value_name: "GBPS",
        unit: "GB/s",
        label: "DRAM bandwidth",
        words: "DRAM bandwidth",
        description: "Total DRAM bandwidth, GB/s.",
        hint: "memory_bandwidth_gbps",
    },
    About {
        metric: Metric::MemoryBandwidthDensity,
        name: "memory_bandwidth_density",
        parameter: Some("memory_bandwidth_density"),
        value_name: "N",
        unit: "GB/s/mm²",
        label: "HBM bandwidth density",
        words: "memory bandwidth density",
        description: "Memory bandwidth density of an HBM stack, GB/s/mm².",
        hint: "memory_bandwidth_density",
    },
    About {
        metric: Metric::MemoryGb,
        name: "memory_gb",
        parameter: None,
        value_name: "GB",
        unit: "GB",
        label: "Memory",
        words: "memory size",
        description: "Memory size, GB.",
        hint: "memory_gb",
    },
    About {
        metric: Metric::TdpW,
        name: "tdp_w",
        parameter: None,
        value_name: "W",
        unit: "W",
        label: "TDP",
        words: "TDP",
        description: "Thermal design power, W.",
        hint: "tdp_w",
    },
    About {
        metric: Metric::NodeNm,
        name: "node_nm",
        parameter: Some("node"),
        value_name: "NM",
        unit: "nm",
        label: "Process node",
        words: "process node",
        description: "Process node of the logic dies in nm (16 for the 16/14 nm node), which the foundry due-diligence rule reads.",
        hint: "node_nm (the process node)",
    },
    About {
        metric: Metric::TransistorsBillion,
        name: "transistors_billion",
        parameter: Some("transistors"),
        value_name: "BILLION",
        unit: "billion",
        label: "Transistor count",
        words: "aggregated approximated transistor count",
        description: "Aggregated approximated transistor count of the packaged IC, in billions.",
        hint: "transistors_billion (the aggregated approximated transistor count)",
    },
    About {
        metric: Metric::HbmStacks,
        name: "hbm_stacks",
        parameter: Some("hbm_stacks"),
        value_name: "N",
        unit: "",
        label: "HBM stacks",
        words: "high-bandwidth-memory stacks in the package",
        description: "High-bandwidth-memory stacks in the IC's package (0: none).",
        hint: "hbm_stacks (0 when the package has no HBM)",
    },
];

impl Metric {
    /// Every metric, in the table's order.
    pub const ALL: [Metric; 11] = [
        Metric::Tpp,
        Metric::Pd,
        Metric::DieAreaMm2,
        Metric::InterconnectGbps,
        Metric::MemoryBandwidthGbps,
        Metric::MemoryBandwidthDensity,
        Metric::MemoryGb,
        Metric::TdpW,
        Metric::NodeNm,
        Metric::TransistorsBillion,
        Metric::HbmStacks,
    ];

    /// The number of metrics.
    pub const COUNT: usize = Self::ALL.len();

    /// Its row of the table.
    pub fn about(self) -> &'static About {
        // `ABOUT` has `COUNT` rows, one per variant in declaration order (a test checks the
        // order), so a variant's discriminant is always in range.
        #[allow(clippy::indexing_slicing)]
        &ABOUT[self as usize]
    }

    /// Every metric that a user can give (as a parameter, a flag or an audit column).
    pub fn given() -> impl Iterator<Item = Metric> {
        Self::ALL.into_iter().filter(|m| m.about().parameter.is_some())
    }

    /// Looks a metric up by name.
    pub fn parse(s: &str) -> Option<Metric> {
        Self::ALL.into_iter().find(|m| m.name() == s)
    }

    /// The rule-language name.
    pub fn name(self) -> &'static str {
        self.about().name
    }
}

/// A value for some of the metrics, indexed by metric: the figures of a request, an audit
/// row or an override.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MetricMap<T>([Option<T>; Metric::COUNT]);

impl<T> Default for MetricMap<T> {
    fn default() -> Self {
        MetricMap(std::array::from_fn(|_| None))
    }
}

impl<T> MetricMap<T> {
    /// The value of a metric, if given.
    pub fn get(&self, m: Metric) -> Option<&T> {
        self.0.get(m as usize).and_then(Option::as_ref)
    }

    /// Gives or clears the value of a metric.
    pub fn set(&mut self, m: Metric, v: Option<T>) {
        if let Some(slot) = self.0.get_mut(m as usize) {
            *slot = v;
        }
    }

    /// Whether no metric has a value.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(Option::is_none)
    }

    /// Every metric with a value, in the table's order.
    pub fn iter(&self) -> impl Iterator<Item = (Metric, &T)> {
        Metric::ALL.into_iter().zip(&self.0).filter_map(|(m, v)| Some((m, v.as_ref()?)))
    }
}

impl<T> FromIterator<(Metric, T)> for MetricMap<T> {
    fn from_iter<I: IntoIterator<Item = (Metric, T)>>(iter: I) -> Self {
        let mut out = MetricMap::default();
        for (m, v) in iter {
            out.set(m, Some(v));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_one_row_per_metric_in_order() {
        for m in Metric::ALL {
            assert_eq!(m.about().metric, m);
            assert_eq!(serde_json::to_value(m).unwrap(), m.name(), "the enum's serde name is the table's");
            assert_eq!(Metric::parse(m.name()), Some(m));
        }
        let names: std::collections::BTreeSet<_> = Metric::ALL.iter().map(|m| m.name()).collect();
        assert_eq!(names.len(), Metric::COUNT);
    }

    #[test]
    fn parameters_and_flags_are_named_alike() {
        let die = Metric::DieAreaMm2.about();
        assert_eq!(
            (die.parameter, die.flag().as_deref(), die.heading().as_str()),
            (Some("die_area"), Some("--die-area"), "Applicable die area (mm²)")
        );
        assert_eq!(Metric::InterconnectGbps.about().parameter, Some("interconnect"));
        assert!(Metric::given().all(|m| m != Metric::MemoryGb), "memory size is read from the catalog only");
        assert_eq!(Metric::Tpp.about().heading(), "TPP");
    }

    #[test]
    fn a_map_keeps_what_is_set_in_the_tables_order() {
        let mut m: MetricMap<f64> = [(Metric::Pd, 2.0), (Metric::Tpp, 1.0)].into_iter().collect();
        assert_eq!(m.iter().map(|(k, v)| (k, *v)).collect::<Vec<_>>(), [(Metric::Tpp, 1.0), (Metric::Pd, 2.0)]);
        m.set(Metric::Tpp, None);
        assert_eq!(m.get(Metric::Tpp), None);
        m.set(Metric::Pd, None);
        assert!(m.is_empty());
    }
}
