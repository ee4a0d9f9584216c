//! Figures a user gives to describe a hypothetical chip or to override a catalog chip's, shared
//! by `check` (flags) and `audit` (CSV columns) so both build the same chip from the same input.

use super::{Chip, Figure, Throughput};

/// User-given figures; `None` (or empty) leaves the base chip's figure as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    /// Where the figures came from, recorded as each figure's source.
    pub source: String,
    /// Dense throughput figures; when given they replace the base chip's and clear its TPP.
    pub throughput: Vec<Throughput>,
    /// TPP given directly.
    pub tpp: Option<f64>,
    /// Applicable die area, mm²; clears a performance density given directly on the base chip.
    pub die_area_mm2: Option<f64>,
    /// Performance density given directly.
    pub pd: Option<f64>,
    /// Designed or marketed for datacenters.
    pub datacenter: Option<bool>,
    /// Aggregate bidirectional chip-to-chip transfer rate, GB/s.
    pub interconnect_gbps: Option<f64>,
    /// Total DRAM bandwidth, GB/s.
    pub memory_bandwidth_gbps: Option<f64>,
    /// Memory bandwidth density of an HBM stack, GB/s/mm².
    pub memory_bandwidth_density: Option<f64>,
    /// The item is a standalone high-bandwidth-memory stack.
    pub hbm: bool,
}

impl Overrides {
    /// Whether no figure is given at all.
    pub fn is_empty(&self) -> bool {
        self.throughput.is_empty()
            && self.tpp.is_none()
            && self.die_area_mm2.is_none()
            && self.pd.is_none()
            && self.datacenter.is_none()
            && self.interconnect_gbps.is_none()
            && self.memory_bandwidth_gbps.is_none()
            && self.memory_bandwidth_density.is_none()
            && !self.hbm
    }

    /// Builds the chip to evaluate from an optional catalog chip: the base as it is when no
    /// figure is given, else the base (or a blank hypothetical chip) with the figures applied.
    /// The flag says whether the chip is hypothetical (user-specified or modified).
    pub fn chip(&self, base: Option<&Chip>) -> (Chip, bool) {
        if self.is_empty() {
            return (base.cloned().unwrap_or_default(), false);
        }
        let mut chip = base.cloned().unwrap_or_else(hypothetical);
        self.apply(&mut chip);
        (chip, true)
    }

    /// Applies the figures to a chip.
    pub fn apply(&self, chip: &mut Chip) {
        let fig = |v: Option<f64>| v.map(|value| Figure { value, source: self.source.clone(), confidence: None, basis: None });
        if !self.throughput.is_empty() {
            chip.throughput = self.throughput.clone();
            chip.tpp = None;
        }
        if let Some(f) = fig(self.tpp) {
            chip.tpp = Some(f);
        }
        if let Some(f) = fig(self.die_area_mm2) {
            chip.die_area_mm2 = Some(f);
            chip.pd = None;
        }
        if let Some(f) = fig(self.pd) {
            chip.pd = Some(f);
        }
        if let Some(dc) = self.datacenter {
            chip.datacenter = Some(dc);
        }
        if let Some(f) = fig(self.interconnect_gbps) {
            chip.interconnect_gbps = Some(f);
        }
        if let Some(f) = fig(self.memory_bandwidth_gbps) {
            chip.memory_bandwidth_gbps = Some(f);
        }
        if let Some(f) = fig(self.memory_bandwidth_density) {
            chip.memory_bandwidth_density = Some(f);
        }
        chip.hbm |= self.hbm;
    }
}

/// A blank chip described only by the figures the user gives.
pub fn hypothetical() -> Chip {
    Chip { id: "hypothetical".into(), name: "hypothetical chip".into(), ..Chip::default() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_figures_keep_the_base_as_it_is() {
        let base = Chip { id: "x".into(), tpp: Some(Figure::given(100.0)), ..Chip::default() };
        assert_eq!(Overrides::default().chip(Some(&base)), (base, false));
    }

    #[test]
    fn die_area_clears_a_given_density_and_figures_record_their_source() {
        let base = Chip { id: "x".into(), pd: Some(Figure::given(9.0)), ..Chip::default() };
        let o = Overrides { source: "row 3".into(), die_area_mm2: Some(800.0), ..Overrides::default() };
        let (c, hypo) = o.chip(Some(&base));
        assert!(hypo);
        assert_eq!(c.id, "x");
        assert_eq!(c.pd, None);
        assert_eq!(c.die_area_mm2.map(|f| (f.value, f.source)), Some((800.0, "row 3".to_string())));
    }

    #[test]
    fn figures_alone_describe_a_hypothetical_chip() {
        let o = Overrides { tpp: Some(4800.0), datacenter: Some(false), ..Overrides::default() };
        let (c, hypo) = o.chip(None);
        assert!(hypo);
        assert_eq!((c.id.as_str(), c.datacenter), ("hypothetical", Some(false)));
    }
}
