//! The TPP × performance-density map: how the rules in force on a date classify a
//! hypothetical chip at each point of a grid. The regions it shows come from the rules alone
//! (the classification stage at each point), so the map of any date, or of any pack, is right
//! without a threshold written anywhere but the packs.

use jiff::civil::Date;
use serde::Serialize;

use crate::chip::{Chip, Figure};
use crate::eval::Options;
use crate::rules::RuleSet;

/// The most points along one axis.
pub const MAX_STEPS: usize = 200;

/// A map request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MapRequest {
    /// The rules in force on this date.
    pub date: Date,
    /// The largest TPP drawn (the axis runs from 0).
    pub tpp_max: f64,
    /// The largest performance density drawn.
    pub pd_max: f64,
    /// Points along each axis (at most [`MAX_STEPS`]).
    pub steps: usize,
    /// Whether the hypothetical chips are designed or marketed for datacenters.
    pub datacenter: bool,
}

/// The classification at each point of the grid.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Map {
    /// The date.
    pub date: Date,
    /// Whether the chips are datacenter chips.
    pub datacenter: bool,
    /// The TPP of each column (the middle of its cell).
    pub tpp: Vec<f64>,
    /// The performance density of each row (the middle of its cell), from the lowest.
    pub pd: Vec<f64>,
    /// For each row (by `pd`) the classification of each column: the ECCN, `""` for none, or
    /// `"?"` when missing figures leave it undetermined.
    pub cells: Vec<Vec<String>>,
    /// The figures whose absence leaves cells undetermined (a chip given only TPP and
    /// performance density lacks them), each once.
    pub missing: Vec<String>,
    /// The ECCNs drawn, in precedence order.
    pub eccns: Vec<String>,
}

/// Classifies the grid.
pub fn map(rs: &RuleSet, req: &MapRequest) -> Map {
    let steps = req.steps.clamp(1, MAX_STEPS);
    let axis = |max: f64| (0..steps).map(|i| (i as f64 + 0.5) * max.max(0.0) / steps as f64).collect::<Vec<f64>>();
    let (tpp, pd) = (axis(req.tpp_max), axis(req.pd_max));
    let period = rs.period(req.date);
    let mut missing: Vec<String> = Vec::new();
    let mut drawn: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    let cells = pd
        .iter()
        .map(|p| {
            tpp.iter()
                .map(|t| {
                    let chip = Chip {
                        id: "hypothetical".into(),
                        name: "hypothetical chip".into(),
                        tpp: Some(Figure::given(*t)),
                        pd: Some(Figure::given(*p)),
                        datacenter: Some(req.datacenter),
                        ..Chip::default()
                    };
                    let c = period.classify(&chip, Options::UNTRACED);
                    if !c.determined() {
                        for m in c.missing(rs) {
                            if !missing.contains(&m) {
                                missing.push(m);
                            }
                        }
                        return "?".to_string();
                    }
                    let e = c.eccn().unwrap_or_default().to_string();
                    if !e.is_empty() {
                        drawn.insert(e.clone());
                    }
                    e
                })
                .collect()
        })
        .collect();
    let eccns = rs.eccns.iter().filter(|e| drawn.contains(&e.id)).map(|e| e.id.clone()).collect();
    Map { date: req.date, datacenter: req.datacenter, tpp, pd, cells, missing, eccns }
}
