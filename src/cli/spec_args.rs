//! Command-line arguments that name a catalog chip or describe a hypothetical one.

use anyhow::{bail, Result};
use chipgate::spec::{Chip, Overrides, Precision, Resolution, Throughput};
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
    /// Builds the chip; the flag says whether it is hypothetical (user-specified or modified).
    pub fn build(&self, rs: &RuleSet) -> Result<(Chip, bool)> {
        if self.chip.is_some() && self.based_on.is_some() {
            bail!("give either a chip name or --based-on, not both");
        }
        let base = match self.chip.as_deref().or(self.based_on.as_deref()) {
            Some(name) => Some(lookup(rs, name)?),
            None => None,
        };
        let overrides = self.overrides()?;
        if base.is_none() && overrides.is_empty() {
            bail!("name a chip (e.g. `chipgate check H100 --to CN`) or describe one with --tpp / --throughput");
        }
        Ok(overrides.chip(base))
    }

    /// The figures given, checked; shared with `audit` through [`Overrides`].
    fn overrides(&self) -> Result<Overrides> {
        let num = |name: &str, v: Option<f64>| -> Result<Option<f64>> {
            match v {
                Some(x) if !x.is_finite() || x < 0.0 => bail!("--{name} must be a number ≥ 0, got `{x}`"),
                other => Ok(other),
            }
        };
        Ok(Overrides {
            source: "given on the command line".into(),
            throughput: self.throughput.iter().map(|t| parse_throughput(t)).collect::<Result<_>>()?,
            tpp: num("tpp", self.tpp)?,
            die_area_mm2: num("die-area", self.die_area)?,
            pd: num("pd", self.pd)?,
            datacenter: (self.datacenter || self.consumer).then_some(self.datacenter),
            interconnect_gbps: num("interconnect", self.interconnect)?,
            memory_bandwidth_gbps: num("memory-bandwidth", self.memory_bandwidth)?,
            memory_bandwidth_density: num("memory-bandwidth-density", self.memory_bandwidth_density)?,
            hbm: self.hbm,
        })
    }
}

/// Resolves a catalog chip name, or fails with the candidates or suggestions.
pub fn lookup<'a>(rs: &'a RuleSet, name: &str) -> Result<&'a Chip> {
    match rs.catalog.resolve(name) {
        Resolution::Found(c) => Ok(c),
        Resolution::Ambiguous(c) => {
            let names: Vec<String> = c.iter().take(8).map(|c| format!("`{}` ({})", c.aliases.first().unwrap_or(&c.id), c.name)).collect();
            bail!("chip name `{name}` is ambiguous; candidates: {}", names.join(", "))
        }
        Resolution::Unknown(s) if s.is_empty() => {
            bail!("unknown chip `{name}`; `chipgate chips` lists the catalog, or describe it with --tpp")
        }
        Resolution::Unknown(s) => {
            let s: Vec<String> = s.iter().map(|x| format!("`{x}`")).collect();
            bail!("unknown chip `{name}`; did you mean {}?", s.join(", "))
        }
    }
}

fn parse_throughput(s: &str) -> Result<Throughput> {
    let Some((p, t)) = s.split_once('=') else { bail!("--throughput `{s}` must look like BITS=TOPS, e.g. `8=1979`") };
    let precision = match p.trim().parse::<u32>() {
        Ok(b) if (1..=128).contains(&b) => Precision::Bits(b),
        Ok(b) => bail!("--throughput bit length `{b}` is out of range"),
        Err(_) => Precision::parse(p.trim()).ok_or_else(|| {
            anyhow::anyhow!("--throughput precision `{p}` is unknown; use a bit length or fp64, fp32, fp16, bf16, fp8, int8, fp4, int4")
        })?,
    };
    let tops: f64 = t.trim().parse().map_err(|_| anyhow::anyhow!("--throughput TOPS `{t}` is not a number"))?;
    if !tops.is_finite() || tops < 0.0 {
        bail!("--throughput TOPS must be a number ≥ 0, got `{t}`");
    }
    Ok(Throughput { precision, tops, source: "given on the command line".into(), confidence: None, unit: None })
}
