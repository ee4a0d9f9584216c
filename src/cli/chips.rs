//! `chipgate chips`: the catalog as a table (name, vendor, datacenter, TPP, performance density,
//! interconnect, DRAM bandwidth, ECCN on a date), and `chipgate chips show NAME`: one chip with
//! every figure, its derivation and its sources.

use std::io::Write;

use anyhow::Result;
use chipgate::chip::{fmt_num, Chip, Metric, Metrics};
use chipgate::history::catalog::{Entry, Filter, List, Sheet};
use chipgate::history::Classification;
use chipgate::RuleSet;
use clap::{Args, Subcommand, ValueEnum};
use jiff::civil::Date;

use super::chip_args::lookup;
use super::render::{self, table};
use super::{Cli, Format, EXIT_CLEAR};

/// Output format of the list views.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// A table for people.
    Human,
    /// One JSON document.
    Json,
    /// CSV with a header row.
    Csv,
}

/// Arguments of `chipgate chips`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ChipsArgs {
    #[command(subcommand)]
    pub action: Option<ChipsAction>,
    /// Only chips of this vendor (e.g. `NVIDIA`, `amd`).
    #[arg(long)]
    pub vendor: Option<String>,
    /// Only chips with this ECCN or ECCN prefix (e.g. `3A090.a`, `3A090`), `none` or `undetermined`.
    #[arg(long)]
    pub eccn: Option<String>,
    /// Only chips whose name, id, alias, architecture or form factor contains TEXT.
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// List the computers and assemblies (servers, boards) and what they contain, instead of the chips.
    #[arg(long)]
    pub systems: bool,
    /// Classify under the rules in force on this date (YYYY-MM-DD); default today (UTC).
    #[arg(long)]
    pub date: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,
}

/// Subcommands of `chipgate chips`.
#[derive(Debug, Subcommand)]
pub enum ChipsAction {
    /// One chip with every figure, its derivation and its sources.
    Show(ShowArgs),
}

/// Arguments of `chipgate chips show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Chip name or alias (e.g. `H100`, `RTX 4090 D`).
    pub name: String,
    /// Classify under the rules in force on this date (YYYY-MM-DD); default today (UTC).
    #[arg(long)]
    pub date: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// Runs the command.
pub fn run(cli: &Cli, a: &ChipsArgs, out: &mut dyn Write) -> Result<u8> {
    match &a.action {
        Some(ChipsAction::Show(s)) => show(cli, s, out),
        None => list(cli, a, out),
    }
}

fn list(cli: &Cli, a: &ChipsArgs, out: &mut dyn Write) -> Result<u8> {
    let rs = super::load(cli)?;
    let date = super::date_or_today(&a.date)?;
    let filter = Filter { vendor: a.vendor.clone(), eccn: a.eccn.clone(), search: a.search.clone(), systems: a.systems };
    let rows: Vec<(Entry, Classification)> = filter.apply(&rs, date).into_iter().map(|(c, class)| (Entry::new(c, &class), class)).collect();
    match a.format {
        ListFormat::Json => {
            let chips = rows.iter().map(|(r, _)| r.clone()).collect();
            super::render::json(
                out,
                &List { schema_version: chipgate::request::SCHEMA_VERSION, date, rules_version: rs.version(), chips },
                Vec::new(),
            )?;
        }
        ListFormat::Csv => csv_rows(&rows, out)?,
        ListFormat::Human if a.systems => {
            human_systems(&rs, &rows, date, out)?;
            super::render::provenance(&rs, true, out)?;
        }
        ListFormat::Human => {
            human_list(&rows, date, out)?;
            let systems = rs.catalog.chips().filter(|c| c.item.composite()).count();
            if systems > 0 {
                render::prose(
                    out,
                    &format!("The catalog also has {systems} computers and assemblies: `chipgate chips --systems` lists them."),
                )?;
            }
            super::render::provenance(&rs, true, out)?;
        }
    }
    Ok(EXIT_CLEAR)
}

fn round(v: f64, digits: i32) -> f64 {
    let k = 10f64.powi(digits);
    (v * k).round() / k
}

fn num(v: Option<f64>, digits: i32) -> String {
    v.map(|x| fmt_num(round(x, digits))).unwrap_or_else(|| "—".into())
}

fn yes_no(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unknown",
    }
}

/// The ECCN in a few words: the ECCN, `3A090.a?` when it is the only classification missing
/// data leaves possible besides none, `undetermined (pd)` otherwise, `—` when not classified.
pub fn eccn_label(c: &Classification) -> String {
    if let Some(e) = &c.eccn {
        return e.clone();
    }
    if !c.undetermined() {
        return "—".into();
    }
    let named: Vec<&str> = c.candidates.iter().flatten().map(String::as_str).collect();
    let why = if c.missing.is_empty() { String::new() } else { format!(" ({} unknown)", c.missing.join(", ")) };
    match named.as_slice() {
        [one] => format!("{one}?{why}"),
        _ => format!("undetermined{why}"),
    }
}

fn candidates(c: &Classification) -> String {
    c.candidates.iter().map(|e| e.as_deref().unwrap_or("none")).collect::<Vec<_>>().join(" | ")
}

fn human_list(rows: &[(Entry, Classification)], date: Date, out: &mut dyn Write) -> Result<()> {
    if rows.is_empty() {
        writeln!(out, "No chip matches.")?;
        return Ok(());
    }
    let eccn_head = format!("ECCN on {date}");
    let mut t = table(&["Chip", "Vendor", "DC", "TPP", "PD", "Interconnect GB/s", "DRAM GB/s", &eccn_head]);
    for (r, c) in rows {
        t.add_row(vec![
            r.name.to_string(),
            r.vendor.to_string(),
            yes_no(r.datacenter).to_string(),
            num(r.tpp, 1),
            num(r.pd_exact, 2),
            num(r.interconnect_gbps, 1),
            num(r.memory_bandwidth_gbps, 0),
            eccn_label(c),
        ]);
    }
    render::fit(&mut t);
    writeln!(out, "{t}")?;
    let s = if rows.len() == 1 { "" } else { "s" };
    let text = format!(
        "{} chip{s}. TPP and PD are derived from dense throughput and die area; `chipgate chips show NAME` shows every figure and its source.",
        rows.len()
    );
    render::prose(out, &text)?;
    Ok(())
}

/// What an item contains, in words: `8 × NVIDIA H100 SXM5 80GB`.
fn contents(rs: &RuleSet, e: &Entry) -> String {
    let name = |id: &str| rs.catalog.by_id(id).map_or(id.to_string(), |c| c.name.clone());
    e.contains.iter().map(|p| format!("{} × {}", p.count, name(&p.chip))).collect::<Vec<_>>().join(", ")
}

fn human_systems(rs: &RuleSet, rows: &[(Entry, Classification)], date: Date, out: &mut dyn Write) -> Result<()> {
    if rows.is_empty() {
        writeln!(out, "No computer or assembly matches.")?;
        return Ok(());
    }
    let eccn_head = format!("ECCN on {date}");
    let mut t = table(&["Computer or assembly", "Vendor", "Kind", "Contains", &eccn_head]);
    for (r, c) in rows {
        t.add_row(vec![r.name.to_string(), r.vendor.to_string(), r.item.name().to_string(), contents(rs, r), eccn_label(c)]);
    }
    render::fit(&mut t);
    writeln!(out, "{t}")?;
    let text = format!(
        "{} computers and assemblies, classified from the chips they contain (4A090 and the `.z` paragraphs); `chipgate chips show NAME` shows one, `chipgate chips` the chips.",
        rows.len()
    );
    render::prose(out, &text)?;
    Ok(())
}

fn csv_rows(rows: &[(Entry, Classification)], out: &mut dyn Write) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "id",
        "name",
        "vendor",
        "datacenter",
        Metric::Tpp.name(),
        Metric::Pd.name(),
        Metric::DieAreaMm2.name(),
        Metric::InterconnectGbps.name(),
        Metric::MemoryBandwidthGbps.name(),
        "eccn",
        "eccn_candidates",
        "missing",
        "item",
        "contains",
    ])?;
    let opt = |v: Option<f64>| v.map(fmt_num).unwrap_or_default();
    for (r, c) in rows {
        w.write_record([
            r.id.to_string(),
            r.name.to_string(),
            r.vendor.to_string(),
            r.datacenter.map(|b| b.to_string()).unwrap_or_default(),
            opt(r.tpp),
            opt(r.pd_exact),
            opt(r.die_area_mm2),
            opt(r.interconnect_gbps),
            opt(r.memory_bandwidth_gbps),
            r.eccn.clone().unwrap_or_default(),
            candidates(c),
            c.missing.join("; "),
            r.item.name().to_string(),
            r.contains.iter().map(|p| format!("{}x{}", p.chip, p.count)).collect::<Vec<_>>().join("; "),
        ])?;
    }
    w.flush()?;
    Ok(())
}

fn show(cli: &Cli, a: &ShowArgs, out: &mut dyn Write) -> Result<u8> {
    let rs = super::load(cli)?;
    let date = super::date_or_today(&a.date)?;
    let chip = lookup(&rs, &a.name)?;
    let sheet = Sheet::new(&rs, chip, date);
    match a.format {
        Format::Json => super::render::json(out, &sheet, Vec::new())?,
        Format::Human => {
            show_human(&rs, chip, &sheet, out)?;
            super::render::provenance(&rs, true, out)?;
        }
    }
    Ok(EXIT_CLEAR)
}

/// Every distinct source the chip's figures cite, in first-use order.
fn show_human(rs: &RuleSet, chip: &Chip, sheet: &Sheet, out: &mut dyn Write) -> Result<()> {
    let (m, class) = (&sheet.metrics, &sheet.classification);
    let srcs = chip.sources();
    let cite = |s: &str| srcs.iter().position(|x| x == s).map(|i| format!("[{}]", i + 1)).unwrap_or_default();
    show_identity(rs, chip, class, out)?;
    if chip.item.composite() {
        show_contains(sheet, out)?;
    } else {
        show_metrics(chip, m, out)?;
        show_throughput(chip, &cite, out)?;
        show_figures(chip, &cite, out)?;
        cross_check(chip, m, out)?;
    }
    if !chip.notes.is_empty() {
        writeln!(out, "Notes")?;
        for line in chip.notes.trim_end().lines() {
            render::prose(out, line)?;
        }
        writeln!(out)?;
    }
    writeln!(out, "Sources")?;
    for (i, s) in srcs.iter().enumerate() {
        render::paragraph(out, "  ", &format!("[{}] {s}", i + 1))?;
    }
    Ok(())
}

fn show_identity(rs: &RuleSet, chip: &Chip, class: &Classification, out: &mut dyn Write) -> Result<()> {
    writeln!(out, "{} ({})", chip.name, chip.id)?;
    let mut t = table(&[]);
    t.add_row(vec!["Vendor", &chip.vendor]);
    t.add_row(vec!["Aliases".to_string(), chip.aliases.join(", ")]);
    t.add_row(vec!["Designed/marketed for datacenters", yes_no(chip.datacenter)]);
    for (k, v) in [("Form factor", &chip.form_factor), ("Architecture", &chip.architecture)] {
        if !v.is_empty() {
            t.add_row(vec![k, v.as_str()]);
        }
    }
    if let Some(y) = chip.released {
        t.add_row(vec!["Released".to_string(), y.to_string()]);
    }
    t.add_row(vec![format!("ECCN on {}", class.date), classification_words(rs, class)]);
    render::fit(&mut t);
    writeln!(out, "{t}\n")?;
    Ok(())
}

/// What a computer or an assembly contains, each item classified on the date, and the figures
/// the rules read for it (the highest of its items').
fn show_contains(sheet: &Sheet, out: &mut dyn Write) -> Result<()> {
    writeln!(out, "{}\n", render::parts(&sheet.contains))?;
    let mut t = table(&["Metric", "Value", "Derivation"]);
    for metric in Metric::ALL {
        if let Some(d) = sheet.metrics.derived(metric) {
            t.add_row(vec![metric.about().heading(), fmt_num(d.value), d.derivation.clone()]);
        }
    }
    render::fit(&mut t);
    writeln!(out, "Figures the rules read (from what it contains)\n{t}\n")?;
    Ok(())
}

fn show_metrics(chip: &Chip, m: &Metrics, out: &mut dyn Write) -> Result<()> {
    let mut t = table(&["Metric", "Value", "Derivation"]);
    for metric in [Metric::Tpp, Metric::Pd] {
        let name = metric.about().label;
        match m.derived(metric) {
            Some(d) => t.add_row(vec![name.to_string(), fmt_num(d.value), d.derivation.clone()]),
            None => t.add_row(vec![name.to_string(), "unknown".into(), missing_why(metric, chip)]),
        };
    }
    render::fit(&mut t);
    writeln!(out, "Derived metrics\n{t}\n")?;
    Ok(())
}

fn show_throughput(chip: &Chip, cite: &dyn Fn(&str) -> String, out: &mut dyn Write) -> Result<()> {
    if chip.throughput.is_empty() {
        return Ok(());
    }
    let mut t = table(&["Precision", "Dense TOPS", "× bits", "= TPP candidate", "Confidence", "Source"]);
    for tp in &chip.throughput {
        let bits = tp.precision.bits();
        t.add_row(vec![
            tp.precision.name(),
            fmt_num(tp.tops),
            bits.to_string(),
            fmt_num(tp.tops * f64::from(bits)),
            tp.confidence.clone().unwrap_or_default(),
            cite(&tp.source),
        ]);
    }
    render::fit(&mut t);
    writeln!(out, "Dense throughput (TPP = the largest TOPS × bit length)\n{t}\n")?;
    Ok(())
}

fn show_figures(chip: &Chip, cite: &dyn Fn(&str) -> String, out: &mut dyn Write) -> Result<()> {
    let mut t = table(&["Figure", "Value", "Confidence", "Basis", "Source"]);
    for (name, f) in chip.figures() {
        t.add_row(vec![
            name.to_string(),
            fmt_num(f.value),
            f.confidence.clone().unwrap_or_default(),
            f.basis.clone().unwrap_or_default(),
            cite(&f.source),
        ]);
    }
    render::fit(&mut t);
    writeln!(out, "Figures\n{t}\n")?;
    Ok(())
}

fn classification_words(rs: &RuleSet, c: &Classification) -> String {
    let rules = if c.rules.is_empty() { String::new() } else { format!(" ({})", c.rules.join(", ")) };
    match (&c.eccn, c.undetermined()) {
        (Some(e), _) => format!("{e}{rules}"),
        (None, true) => format!("undetermined: {}; missing {}", candidates(c), c.missing.join(", ")),
        (None, false) if !c.rules.is_empty() => format!("not classified: excluded{rules}"),
        (None, false) => {
            let any = rs.rules.iter().any(|r| r.in_force(c.date) && matches!(r.kind, chipgate::rules::RuleKind::Classification { .. }));
            if any {
                "not classified: no classification rule in force holds".into()
            } else {
                "not classified: no classification rule in force".into()
            }
        }
    }
}

fn missing_why(metric: Metric, chip: &Chip) -> String {
    match metric {
        Metric::Tpp => "no dense throughput figure and no TPP given".into(),
        _ if chip.die_area_mm2.is_none() => "needs the applicable die area, which is not published for this chip".into(),
        _ => "needs TPP".into(),
    }
}

fn cross_check(chip: &Chip, m: &Metrics, out: &mut dyn Write) -> Result<()> {
    let pairs = [(Metric::Tpp, &chip.tpp_published), (Metric::Pd, &chip.pd_published)];
    for (metric, published) in pairs {
        let name = metric.about().label;
        if let (Some(p), Some(d)) = (published, m.derived(metric)) {
            let pct = if p.value != 0.0 { round((d.value - p.value) / p.value * 100.0, 2) + 0.0 } else { 0.0 };
            let text = format!("Cross-check: {name} derived {} vs published {} ({pct:+.2}%)", fmt_num(round(d.value, 2)), fmt_num(p.value));
            render::prose(out, &text)?;
        }
    }
    writeln!(out)?;
    Ok(())
}
