//! Figures a user gives to describe a hypothetical chip or to override a catalog chip's, shared
//! by `check` (flags) and `audit` (CSV columns) so both build the same chip from the same input.

use super::{Chip, Figure, Metric, MetricMap, Throughput};

/// User-given figures; `None` (or empty) leaves the base chip's figure as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    /// Where the figures came from, recorded as each figure's source.
    pub source: String,
    /// Dense throughput figures; when given they replace the base chip's and clear its TPP.
    pub throughput: Vec<Throughput>,
    /// The metrics given (those [`Metric::given`] names). A die area given clears a
    /// performance density given directly on the base chip.
    pub figures: MetricMap<f64>,
    /// Designed or marketed for datacenters.
    pub datacenter: Option<bool>,
    /// The item is a standalone high-bandwidth-memory stack.
    pub hbm: bool,
}

impl Overrides {
    /// Whether no figure is given at all.
    pub fn is_empty(&self) -> bool {
        self.throughput.is_empty() && self.figures.is_empty() && self.datacenter.is_none() && !self.hbm
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
        if !self.throughput.is_empty() {
            chip.throughput = self.throughput.clone();
            chip.tpp = None;
        }
        if self.figures.get(Metric::DieAreaMm2).is_some() {
            chip.pd = None;
        }
        for (m, value) in self.figures.iter() {
            chip.set_figure(m, Some(Figure { value: *value, source: self.source.clone(), confidence: None, basis: None }));
        }
        if let Some(dc) = self.datacenter {
            chip.datacenter = Some(dc);
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
        let o = Overrides { source: "row 3".into(), figures: [(Metric::DieAreaMm2, 800.0)].into_iter().collect(), ..Overrides::default() };
        let (c, hypo) = o.chip(Some(&base));
        assert!(hypo);
        assert_eq!(c.id, "x");
        assert_eq!(c.pd, None);
        assert_eq!(c.die_area_mm2.map(|f| (f.value, f.source)), Some((800.0, "row 3".to_string())));
    }

    #[test]
    fn figures_alone_describe_a_hypothetical_chip() {
        let o = Overrides { figures: [(Metric::Tpp, 4800.0)].into_iter().collect(), datacenter: Some(false), ..Overrides::default() };
        let (c, hypo) = o.chip(None);
        assert!(hypo);
        assert_eq!((c.id.as_str(), c.datacenter), ("hypothetical", Some(false)));
    }
}
