//! Command-line arguments that name a catalog chip or describe a hypothetical one.

use anyhow::Result;
use chipgate::chip::{Chip, Metric, MetricMap};
use chipgate::request::Check;
use chipgate::RuleSet;
use clap::{Arg, ArgMatches, Args, Command, FromArgMatches};

/// A chip: a catalog name, and/or specs that describe or override it.
#[derive(Debug, Clone, Args)]
pub struct ChipArgs {
    /// Catalog chip name or alias (e.g. `H100`, `RTX 4090 D`); omit for a hypothetical chip.
    pub chip: Option<String>,
    /// Start from this catalog chip and override the figures given.
    #[arg(long, value_name = "CHIP")]
    pub based_on: Option<String>,
    /// The figures: one flag per metric a user can give (`--tpp`, `--die-area`, …).
    #[command(flatten)]
    pub figures: FigureArgs,
    /// Dense throughput for a precision: BITS=TOPS or NAME=TOPS (e.g. `8=1979`, `fp16=989`); repeatable. For an IC with several processing units, UNIT:BITS=TOPS per unit (`gpu:8=400 --throughput npu:8=250`): TPP sums each unit's best figure.
    #[arg(long, value_name = "BITS=TOPS")]
    pub throughput: Vec<String>,
    /// Designed or marketed for datacenters.
    #[arg(long, conflicts_with = "consumer")]
    pub datacenter: bool,
    /// Not designed or marketed for datacenters.
    #[arg(long)]
    pub consumer: bool,
    /// The item is a standalone high-bandwidth-memory stack.
    #[arg(long)]
    pub hbm: bool,
    /// What a computer or an assembly contains: a catalog chip, `CHIPxN` for N of it (e.g. `H100x8`); repeatable. Without a chip named, describes a hypothetical computer.
    #[arg(long, value_name = "CHIP[xN]")]
    pub contains: Vec<String>,
    /// The kind of item: `ic`, `assembly` (a card, a module, a board) or `computer`.
    #[arg(long, value_name = "KIND")]
    pub item: Option<String>,
    /// Another control-list entry the item is described in (e.g. `5A992.c`), which the `.z` paragraphs read; repeatable.
    #[arg(long, value_name = "ECCN")]
    pub described_in: Vec<String>,
}

impl ChipArgs {
    /// The chip part of a request, the other fields empty.
    pub fn request(&self) -> Check {
        let mut check = Check {
            chip: self.chip.clone(),
            based_on: self.based_on.clone(),
            throughput: self.throughput.clone(),
            datacenter: self.datacenter,
            consumer: self.consumer,
            hbm: self.hbm,
            contains: self.contains.clone(),
            item: self.item.clone(),
            described_in: self.described_in.clone(),
            ..Check::default()
        };
        for (m, v) in self.figures.0.iter() {
            check.set_figure(m, Some(*v));
        }
        check
    }
}

/// The figure flags, made from the metric table ([`Metric::about`]): each metric a user can
/// give is a flag named as its request parameter (`die_area` is `--die-area`), with the
/// table's value name and description.
#[derive(Debug, Clone, Default)]
pub struct FigureArgs(pub MetricMap<f64>);

impl Args for FigureArgs {
    fn augment_args(cmd: Command) -> Command {
        Metric::given().fold(cmd, |cmd, m| {
            let about = m.about();
            let Some(parameter) = about.parameter else { return cmd };
            cmd.arg(
                Arg::new(parameter)
                    .long(chipgate::request::flag_name(parameter))
                    .value_name(about.value_name)
                    // Without the full stop, as clap writes a one-line doc comment.
                    .help(about.description.trim_end_matches('.'))
                    .value_parser(clap::value_parser!(f64)),
            )
        })
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

impl FromArgMatches for FigureArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut out = FigureArgs::default();
        out.update_from_arg_matches(matches)?;
        Ok(out)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        for m in Metric::given() {
            if let Some(v) = m.about().parameter.and_then(|p| matches.get_one::<f64>(p)) {
                self.0.set(m, Some(*v));
            }
        }
        Ok(())
    }
}

/// The source recorded for figures given as flags.
pub const SOURCE: &str = "given on the command line";

/// Resolves a catalog chip name, or fails with the candidates or suggestions.
pub fn lookup<'a>(rs: &'a RuleSet, name: &str) -> Result<&'a Chip> {
    Ok(chipgate::request::lookup(rs, name, "chip")?)
}
