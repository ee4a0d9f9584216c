//! `chipgate check`: one chip, one destination, one date.

use std::io::Write;

use anyhow::Result;
use chipgate::chip::{fmt_num, Metric};
use chipgate::eval::Decision;
use chipgate::request::{Answer, Check};
use chipgate::RuleSet;
use clap::Args;
use comfy_table::Cell;

use super::chip_args::{ChipArgs, SOURCE};
use super::parties::PartyArgs;
use super::render::{self, table};
use super::{Cli, Format};

/// Arguments of `chipgate check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub chip: ChipArgs,
    /// Destination country (ISO code or name, e.g. `CN`, `China`, `Hong Kong`).
    #[arg(long = "to", value_name = "COUNTRY")]
    pub to: String,
    /// Date of the shipment (YYYY-MM-DD); default today (UTC).
    #[arg(long)]
    pub date: Option<String>,
    #[command(flatten)]
    pub parties: PartyArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Also give every rule evaluated, its condition as a tree: printed in the human view, as
    /// `evaluated` in JSON.
    #[arg(long)]
    pub trace: bool,
    /// One line: the chip, destination and date, the verdict, the ECCN, the exceptions or the
    /// review policy, what is missing, and the rules packs when not the built-in ones alone (for
    /// an order desk, a log or a chat).
    #[arg(long, conflicts_with_all = ["format", "trace"])]
    pub short: bool,
}

/// Runs the command.
pub fn run(cli: &Cli, a: &CheckArgs, out: &mut dyn Write) -> Result<u8> {
    // Not freed: the process ends after one answer, and freeing the rule set's many small
    // allocations was 13 % of the instructions of a `check` (callgrind; docs/performance.md).
    let rs = std::mem::ManuallyDrop::new(super::load(cli)?);
    // The human view reads the tree of rules evaluated (why no rule holds) with or without
    // --trace; the JSON document carries it only with --trace.
    let mut request = a.request();
    request.trace |= a.format == Format::Human;
    let d = request.decide(&rs, super::today(), SOURCE)?;
    match a.format {
        Format::Json => render::json(out, &Answer::new(&rs, &d), Vec::new())?,
        Format::Human if a.short => short(&rs, &d, out)?,
        Format::Human => {
            human(&rs, &d, a.trace, out)?;
            render::provenance(&rs, false, out)?;
        }
    }
    Ok(super::exit_for(d.verdict))
}

impl CheckArgs {
    /// The request the flags make.
    pub fn request(&self) -> Check {
        self.parties.with(Check { to: self.to.clone(), date: self.date.clone(), trace: self.trace, ..self.chip.request() })
    }
}

/// The answer in one line, e.g. `NVIDIA H100 SXM5 80GB → China (CN) on 2024-01-15: LICENSE
/// REQUIRED; ECCN 3A090.a; review: presumption of denial`.
fn short(rs: &chipgate::rules::RuleSet, d: &Decision, out: &mut dyn Write) -> Result<()> {
    let verdict = super::color::verdict(d.verdict, render::verdict_short(d.verdict));
    let mut parts = vec![verdict, format!("ECCN {}", d.eccn.as_deref().unwrap_or("—"))];
    if d.eccn.is_none() && !d.eccn_candidates.is_empty() {
        parts[1] = format!(
            "ECCN undetermined ({})",
            d.eccn_candidates.iter().map(|c| c.eccn.as_deref().unwrap_or("none")).collect::<Vec<_>>().join(" | ")
        );
    }
    if !d.exceptions.is_empty() {
        parts.push(format!("exceptions: {}", d.exceptions.iter().map(|e| e.name.as_str()).collect::<Vec<_>>().join(", ")));
    }
    if !d.possible_exceptions.is_empty() {
        let names: Vec<&str> = d.possible_exceptions.iter().map(|e| e.name.as_str()).collect();
        let s = if names.len() == 1 { "" } else { "s" };
        parts.push(format!("possible exception{s}: {} (not a clearance)", names.join(", ")));
    }
    if let Some(r) = &d.review_policy {
        parts.push(format!("review: {}", render::policy(r.policy)));
    } else if d.review_undetermined {
        parts.push("review: undetermined".into());
    }
    if !d.missing.is_empty() {
        parts.push(format!("missing: {}", chipgate::eval::Missing::join(&d.missing, ", ")));
    }
    if !d.replaced.is_empty() {
        parts.push("rests on definitions a pack replaced".into());
    }
    if !rs.packs.iter().all(|p| p.is_builtin()) {
        parts.push(format!("rules {}", rs.version()));
    }
    // The kind of transaction only when it is not the usual export from the rules' jurisdiction.
    let from = match &d.ship_from {
        Some(f) if d.transaction.name() != "export" => format!(", from {} ({}): {}", f.name, f.code, d.transaction.name()),
        _ => String::new(),
    };
    writeln!(out, "{} → {} ({}) on {}{from}: {}", d.chip.name, d.destination.name, d.destination.code, d.date, parts.join("; "))?;
    Ok(())
}

fn human(rs: &RuleSet, d: &Decision, trace: bool, out: &mut dyn Write) -> Result<()> {
    let hq = d.end_user_hq.as_ref().map(|h| format!(", end user headquartered in {} ({})", h.name, h.code)).unwrap_or_default();
    let from = d.ship_from.as_ref().map(|f| format!(", from {} ({}): {}", f.name, f.code, d.transaction.name())).unwrap_or_default();
    let name = if d.chip.hypothetical && d.chip.id != "hypothetical" { format!("{} (modified)", d.chip.name) } else { d.chip.name.clone() };
    render::prose(out, &format!("{name} → {} ({}) on {}{from}{hq}", d.destination.name, d.destination.code, d.date))?;
    writeln!(out)?;
    let mut t = table(&[]);
    t.add_row(vec![Cell::new("Verdict"), render::verdict_cell(d.verdict, render::verdict(d.verdict))]);
    if !d.replaced.is_empty() {
        let r: Vec<String> = d.replaced.iter().map(|r| r.to_string()).collect();
        t.add_row(vec!["Replaced by a pack".to_string(), format!("this answer rests on {}", r.join("; "))]);
    }
    t.add_row(vec!["ECCN".to_string(), render::eccn(d)]);
    t.add_row(vec!["License required", render::license(d)]);
    let ex: Vec<String> = d
        .exceptions
        .iter()
        .map(|e| format!("{}{} ({})", e.name, if e.notification { ", prior notification to BIS" } else { "" }, e.rule))
        .collect();
    t.add_row(vec!["Exceptions".to_string(), if ex.is_empty() { "none".into() } else { ex.join("; ") }]);
    let review = d.review_policy.as_ref().map(|r| format!("{} ({})", render::policy(r.policy), r.rule));
    let none = if d.review_undetermined { "undetermined (see the missing data)" } else { "—" };
    t.add_row(vec!["Review policy".to_string(), review.unwrap_or_else(|| none.into())]);
    render::fit(&mut t);
    writeln!(out, "{t}\n")?;
    let mut sources = render::Sources::default();
    screening(d, &mut sources, out)?;
    metrics(d, &mut sources, out)?;
    contains(d, out)?;
    reasons(rs, d, &mut sources, out)?;
    notes(d, out)?;
    margins(d, out)?;
    if trace {
        traces(d, out)?;
    }
    Ok(())
}

/// The parties named, screened against the rules' party lists: what each matched, or may be.
fn screening(d: &Decision, sources: &mut render::Sources, out: &mut dyn Write) -> Result<()> {
    if d.screening.is_empty() {
        return Ok(());
    }
    let mut t = table(&["Party", "Name given", "Listed party", "Score", "Listed since", "Citation"]);
    for s in &d.screening {
        let role = match s.share {
            Some(x) => format!("{} ({} %)", s.role.replace('_', " "), fmt_num(x)),
            None => s.role.replace('_', " "),
        };
        if s.hits.is_empty() {
            t.add_row(vec![role.clone(), s.name.clone(), "no match".into(), String::new(), String::new(), String::new()]);
        }
        for h in &s.hits {
            let what = if h.decided { "match" } else { "possible match" };
            let alias = if h.matched != h.name { format!(", as `{}`", h.matched) } else { String::new() };
            t.add_row(vec![
                role.clone(),
                s.name.clone(),
                format!("{what}: {} ({}, {}{alias})", h.name, h.list_name, h.entry),
                format!("{:.2}", h.score),
                h.added.map(|a| a.to_string()).unwrap_or_default(),
                sources.cite(&h.citation),
            ]);
        }
    }
    render::fit(&mut t);
    writeln!(out, "Screening\n{t}")?;
    sources.flush(out)?;
    writeln!(out)?;
    Ok(())
}

fn metrics(d: &Decision, sources: &mut render::Sources, out: &mut dyn Write) -> Result<()> {
    let m = &d.metrics;
    let mut t = table(&["Metric", "Value", "Derivation"]);
    // The metrics the 2022–2025 rules test, known or not; the others are in `chips show`.
    let shown = [Metric::Tpp, Metric::Pd, Metric::DieAreaMm2, Metric::InterconnectGbps, Metric::MemoryBandwidthGbps];
    for metric in shown {
        let name = metric.about().heading();
        match m.derived(metric) {
            Some(x) => t.add_row(vec![name, fmt_num(x.value), sources.text(&x.derivation)]),
            None => t.add_row(vec![name, "unknown".into(), String::new()]),
        };
    }
    let dc = match m.datacenter {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unknown",
    };
    t.add_row(vec!["Designed/marketed for datacenters", dc, ""]);
    render::fit(&mut t);
    writeln!(out, "{t}")?;
    sources.flush(out)?;
    writeln!(out)?;
    Ok(())
}

/// What a computer or an assembly contains, each item as classified on the date.
fn contains(d: &Decision, out: &mut dyn Write) -> Result<()> {
    if d.contains.is_empty() {
        return Ok(());
    }
    writeln!(out, "{}\n", render::parts(&d.contains))?;
    Ok(())
}

/// A trace entry's or a margin's rule, with the contained item it was evaluated for.
fn rule_of(rule: &str, item: Option<&str>) -> String {
    match item {
        Some(i) => format!("{rule} (of {i})"),
        None => rule.to_string(),
    }
}

fn reasons(rs: &RuleSet, d: &Decision, sources: &mut render::Sources, out: &mut dyn Write) -> Result<()> {
    if d.reasons.is_empty() {
        return why_not(rs, d, out);
    }
    let mut t = table(&["Rule", "What it says", "Citation"]);
    for r in &d.reasons {
        t.add_row(vec![format!("{}\n({})", r.id, r.kind), r.summary.clone(), sources.cite(&r.citation)]);
    }
    render::fit_first(&mut t, &[0]);
    writeln!(out, "Why\n{t}")?;
    sources.flush(out)?;
    writeln!(out)?;
    Ok(())
}

/// When no rule applies: the classification tests that failed, from the trace. When some are
/// unknown (missing data, a possible party match), those come first, and the heading says that
/// they leave the answer open rather than that nothing holds (a rule of a regime that is not
/// enforced leaves nothing open).
fn why_not(rs: &RuleSet, d: &Decision, out: &mut dyn Write) -> Result<()> {
    use chipgate::eval::{RuleTrace, Test, Truth};
    let mut entries: Vec<(&RuleTrace, &Test)> = d
        .evaluated
        .iter()
        .filter(|r| r.assuming_eccn.is_none())
        .flat_map(|r| r.tests().map(move |t| (r, t)))
        .filter(|(_, t)| t.result != Truth::True)
        .collect();
    if entries.is_empty() {
        writeln!(out, "No rule in force applies to this chip and destination.\n")?;
        return Ok(());
    }
    // The tests that leave the answer open: unknown, in a rule whose result is unknown (in a
    // rule that another test makes false, an unknown test decides nothing). They come first.
    let enforced = |rule: &str| rs.rules.iter().find(|r| r.id == rule).and_then(|r| rs.regime_of(r)).is_some_and(|g| g.enforced);
    let deciding = |(r, t): &(&RuleTrace, &Test)| t.result == Truth::Unknown && r.result == Truth::Unknown && enforced(&r.rule);
    entries.sort_by_key(|e| !deciding(e));
    let open = d.verdict == chipgate::Verdict::Indeterminate && entries.first().is_some_and(deciding);
    let mut t = table(&["Rule", if open { "Test that does not hold, or is unknown" } else { "Test that does not hold" }, "Actual"]);
    for e in entries {
        let (r, test) = e;
        let actual = render::actual(test);
        let actual = if open && deciding(&e) { format!("unknown: {actual}") } else { actual };
        t.add_row(vec![rule_of(&r.rule, r.item.as_deref()), render::test(test), actual]);
    }
    render::fit_first(&mut t, &[0]);
    let heading = if open {
        "Why not settled: no classification or license requirement in force holds for certain; the unknown tests (first) could make one hold"
    } else {
        "Why not: no classification or license requirement in force holds"
    };
    render::prose(out, heading)?;
    writeln!(out, "{t}\n")?;
    Ok(())
}

fn notes(d: &Decision, out: &mut dyn Write) -> Result<()> {
    for r in &d.not_enforced {
        let text =
            format!("Not enforced: {} ({}) would have applied: {}. It does not change the verdict.", r.id, r.citation.document, r.summary);
        render::prose(out, &text)?;
    }
    if !d.missing.is_empty() {
        render::prose(out, &format!("Missing data: {}", chipgate::eval::Missing::join(&d.missing, ", ")))?;
    }
    for p in &d.possible_exceptions {
        // What it waits on: the data missing, else the conditions the data cannot show, else
        // the classification.
        let on = match (&p.conditions, p.depends_on.is_empty()) {
            (_, false) => format!("depending on {}", chipgate::eval::Missing::join(&p.depends_on, ", ")),
            (Some(c), true) => format!("available only if {c}"),
            (None, true) => "depending on the classification".to_string(),
        };
        render::prose(out, &format!("Possible exception (not a clearance): {} ({}), {on}: {}", p.name, p.rule, p.summary))?;
    }
    for a in &d.assumptions {
        render::prose(out, &format!("Assumption: {a}"))?;
    }
    let regimes: Vec<String> = d.regimes.iter().map(|r| format!("{}{}", r.id, if r.enforced { "" } else { " (not enforced)" })).collect();
    render::prose(out, &format!("Regimes in force on {}: {}", d.date, regimes.join(", ")))?;
    writeln!(out)?;
    Ok(())
}

fn margins(d: &Decision, out: &mut dyn Write) -> Result<()> {
    if d.margins.is_empty() {
        writeln!(out, "Decision support, not legal advice.")?;
        return Ok(());
    }
    let mut t = table(&["Threshold", "Actual (margin)", "Rule"]);
    for m in &d.margins {
        let sign = if m.margin >= 0.0 { "+" } else { "" };
        t.add_row(vec![
            format!("{} {} {}", m.metric, m.op, fmt_num(m.threshold)),
            format!("{} ({sign}{}, {:+.1}%)", fmt_num(m.actual), fmt_num(m.margin), m.margin_pct),
            rule_of(&m.rule, m.item.as_deref()),
        ]);
    }
    render::fit_first(&mut t, &[2]);
    writeln!(out, "Margins\n{t}\n")?;
    writeln!(out, "Decision support, not legal advice.")?;
    Ok(())
}

/// Every rule evaluated, with the tree of its condition: one row per node, the operands of
/// `all`, `any` and `not` indented under them.
fn traces(d: &Decision, out: &mut dyn Write) -> Result<()> {
    use chipgate::eval::{TraceNode, Truth};
    fn rows(node: &TraceNode, depth: usize, into: &mut Vec<(String, String, &'static str)>) {
        let (what, actual) = match node {
            TraceNode::All { .. } => ("all of".to_string(), String::new()),
            TraceNode::Any { .. } => ("any of".to_string(), String::new()),
            TraceNode::Not { .. } => ("not".to_string(), String::new()),
            // As written in a rule file.
            TraceNode::Const { result } => ((*result == Truth::True).to_string(), String::new()),
            TraceNode::Test(t) => (render::test(t), render::actual(t)),
        };
        // No-break spaces: a cell that wraps keeps them.
        into.push((format!("{}{what}", "\u{a0}\u{a0}".repeat(depth)), actual, render::truth(node.result())));
        match node {
            TraceNode::All { of, .. } | TraceNode::Any { of, .. } => of.iter().for_each(|n| rows(n, depth + 1, into)),
            TraceNode::Not { of, .. } => rows(of, depth + 1, into),
            TraceNode::Const { .. } | TraceNode::Test(_) => {}
        }
    }
    let mut t = table(&["Rule", "Test", "Actual", "Result"]);
    for r in &d.evaluated {
        let mut nodes = Vec::new();
        rows(&r.when, 0, &mut nodes);
        // The rule on its first row, and the classification assumed below it (on the next row,
        // or in the same cell when the condition is one test).
        let mut labels = vec![rule_of(&r.rule, r.item.as_deref())];
        labels.extend(r.assuming_eccn.as_ref().map(|e| format!("assuming {e}")));
        if nodes.len() == 1 {
            labels = vec![labels.join("\n")];
        }
        for (k, (what, actual, result)) in nodes.into_iter().enumerate() {
            t.add_row(vec![labels.get(k).cloned().unwrap_or_default(), what, actual, result.to_string()]);
        }
    }
    render::fit_first(&mut t, &[0]);
    writeln!(out, "Trace\n{t}")?;
    Ok(())
}
