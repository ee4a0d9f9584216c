//! Command-line arguments that name a catalog chip or describe a hypothetical one.

use anyhow::Result;
use chipgate::chip::Chip;
use chipgate::request::Check;
use chipgate::RuleSet;
use clap::Args;

/// A chip: a catalog name, and/or specs that describe or override it.
#[derive(Debug, Clone, Args)]
pub struct ChipArgs {
    /// Catalog chip name or alias (e.g. `H100`, `RTX 4090 D`); omit for a hypothetical chip.
    pub chip: Option<String>,
    /// Start from this catalog chip and override the figures given.
    #[arg(long, value_name = "CHIP")]
    pub based_on: Option<String>,
    /// Total processing performance, given directly.
    #[arg(long, value_name = "N")]
    pub tpp: Option<f64>,
    /// Dense throughput for a precision: BITS=TOPS or NAME=TOPS (e.g. `8=1979`, `fp16=989`); repeatable.
    #[arg(long, value_name = "BITS=TOPS")]
    pub throughput: Vec<String>,
    /// Applicable die area in mm².
    #[arg(long, value_name = "MM2")]
    pub die_area: Option<f64>,
    /// Performance density, given directly.
    #[arg(long, value_name = "N")]
    pub pd: Option<f64>,
    /// Designed or marketed for datacenters.
    #[arg(long, conflicts_with = "consumer")]
    pub datacenter: bool,
    /// Not designed or marketed for datacenters.
    #[arg(long)]
    pub consumer: bool,
    /// Aggregate bidirectional chip-to-chip transfer rate, GB/s.
    #[arg(long, value_name = "GBPS")]
    pub interconnect: Option<f64>,
    /// Total DRAM bandwidth, GB/s.
    #[arg(long, value_name = "GBPS")]
    pub memory_bandwidth: Option<f64>,
    /// The item is a standalone high-bandwidth-memory stack.
    #[arg(long)]
    pub hbm: bool,
    /// Memory bandwidth density of an HBM stack, GB/s/mm².
    #[arg(long, value_name = "N")]
    pub memory_bandwidth_density: Option<f64>,
}

impl ChipArgs {
    /// The chip part of a request, the other fields empty.
    pub fn request(&self) -> Check {
        Check {
            chip: self.chip.clone(),
            based_on: self.based_on.clone(),
            tpp: self.tpp,
            throughput: self.throughput.clone(),
            die_area: self.die_area,
            pd: self.pd,
            datacenter: self.datacenter,
            consumer: self.consumer,
            interconnect: self.interconnect,
            memory_bandwidth: self.memory_bandwidth,
            hbm: self.hbm,
            memory_bandwidth_density: self.memory_bandwidth_density,
            ..Check::default()
        }
    }
}

/// The source recorded for figures given as flags.
pub const SOURCE: &str = "given on the command line";

/// Resolves a catalog chip name, or fails with the candidates or suggestions.
pub fn lookup<'a>(rs: &'a RuleSet, name: &str) -> Result<&'a Chip> {
    Ok(chipgate::request::lookup(rs, name, "chip")?)
}
