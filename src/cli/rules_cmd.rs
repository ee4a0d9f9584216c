//! `chipgate rules`: list regimes and rules with dates and citations; show one rule; explain an
//! ECCN; validate packs.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Result};
use chipgate::rules::{diag, Cond, PackSource, Rule, RuleKind};

use clap::{Args, Subcommand};

use super::render::{self, table};
use super::{Cli, Format};

/// Arguments of `chipgate rules`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub action: Option<RulesAction>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human, global = true)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum RulesAction {
    /// Packs, regimes and their rules with dates and citations (the default).
    List,
    /// One rule (or regime) with its conditions, dates, citation and where it is defined.
    Show {
        /// Rule or regime id.
        id: String,
    },
    /// An ECCN in plain words.
    Explain {
        /// ECCN, e.g. `3A090.a`.
        eccn: String,
    },
    /// Load and check packs; print every problem.
    Validate {
        /// Packs to check on top of the built-in rules (none: the rules as configured).
        paths: Vec<PathBuf>,
        /// Exit 1 when there are warnings.
        #[arg(long)]
        deny_warnings: bool,
    },
}

/// Runs the command.
pub fn run(cli: &Cli, a: &RulesArgs, out: &mut dyn Write) -> Result<u8> {
    match &a.action {
        None | Some(RulesAction::List) => list(cli, a.format, out),
        Some(RulesAction::Show { id }) => show(cli, id, a.format, out),
        Some(RulesAction::Explain { eccn }) => explain(cli, eccn, a.format, out),
        Some(RulesAction::Validate { paths, deny_warnings }) => validate(cli, paths, *deny_warnings, a.format, out),
    }
}

fn date(d: Option<jiff::civil::Date>) -> String {
    d.map(|d| d.to_string()).unwrap_or_else(|| "—".into())
}

fn list(cli: &Cli, format: Format, out: &mut dyn Write) -> Result<u8> {
    let rs = super::load_linted(cli)?;
    let count = |pack: &str| {
        let regimes = rs.regimes.iter().filter(|g| g.origin.pack == pack).count();
        let rules = rs.rules.iter().filter(|r| r.origin.pack == pack).count();
        (regimes, rules)
    };
    if format == Format::Json {
        super::render::json(out, &chipgate::rules::words::Listing::new(&rs), Vec::new())?;
        return Ok(0);
    }
    let mut p = table(&["Pack", "Version", "From", "Hash", "Regimes", "Rules"]);
    for pk in &rs.packs {
        let (regimes, rules) = count(&pk.name);
        p.add_row(vec![pk.name.clone(), pk.version.clone(), pk.location.clone(), pk.hash.clone(), regimes.to_string(), rules.to_string()]);
    }
    render::fit(&mut p);
    writeln!(out, "{p}\n")?;
    for g in &rs.regimes {
        let enforced =
            if g.enforced { String::new() } else { format!(" — NOT ENFORCED: {}", g.enforcement_note.clone().unwrap_or_default()) };
        let rules: Vec<_> = rs.rules.iter().filter(|r| rs.regime_of(r).is_some_and(|x| x.id == g.id)).collect();
        let n = rules.len();
        let s = if n == 1 { "" } else { "s" };
        render::prose(out, &format!("{} — {} ({n} rule{s}, pack {})", g.id, g.title, g.origin.pack))?;
        render::paragraph(out, "  ", &format!("{} → {}{enforced}", date(g.effective), date(g.until)))?;
        render::paragraph(out, "  ", &g.citation.to_string())?;
        let mut t = table(&["Rule", "Kind", "In force", "Condition"]);
        for r in &rules {
            t.add_row(vec![r.id.clone(), kind(&r.kind), format!("{} → {}", date(r.effective), date(r.until)), r.when_text.clone()]);
        }
        if n > 0 {
            render::fit_first(&mut t, &[0]);
            writeln!(out, "{t}")?;
        }
        writeln!(out)?;
    }
    Ok(0)
}

fn kind(k: &RuleKind) -> String {
    match k {
        RuleKind::Classification { eccn: Some(e), .. } => format!("classifies {e}"),
        RuleKind::Classification { excludes: Some(f), .. } => format!("excludes {f}"),
        RuleKind::Classification { .. } => "classification".into(),
        RuleKind::Requirement { kind: chipgate::rules::RequirementKind::Outside } => "not controlled (outside these rules)".into(),
        RuleKind::Requirement { kind } => {
            format!("requires license ({})", serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default())
        }
        RuleKind::Exception { name, .. } => format!("exception {name}"),
        RuleKind::Review { policy } => format!("review: {}", super::render::policy(*policy)),
        RuleKind::Presumption { eccn, datacenter } => match datacenter {
            Some(true) => format!("presumes {eccn}, designed or marketed for datacenters"),
            Some(false) => format!("presumes {eccn}, not designed or marketed for datacenters"),
            None => format!("presumes {eccn}"),
        },
    }
}

fn show(cli: &Cli, id: &str, format: Format, out: &mut dyn Write) -> Result<u8> {
    let rs = super::load_linted(cli)?;
    if let Some(r) = rs.rule(id) {
        if format == Format::Json {
            super::render::json(out, &chipgate::rules::words::RuleSheet::new(&rs, r), Vec::new())?;
            return Ok(0);
        }
        let regime = rs.regime_of(r).map(|g| format!("{} — {}", g.id, g.title)).unwrap_or_default();
        let mut t = table(&[]);
        t.add_row(vec!["Rule", &r.id]);
        t.add_row(vec!["Does", &kind(&r.kind)]);
        if let RuleKind::Exception { relieves, notification, .. } = &r.kind {
            let n = if *notification { " (prior notification to BIS)" } else { "" };
            t.add_row(vec!["Relieves".to_string(), format!("{}{n}", relieves.join(", "))]);
        }
        t.add_row(vec!["Summary", &r.summary]);
        t.add_row(vec!["Condition", &r.when_text]);
        t.add_row(vec!["In words".to_string(), r.when.in_words()]);
        t.add_row(vec!["In force".to_string(), format!("{} → {}", date(r.effective), date(r.until))]);
        if let Some(f) = &r.family {
            t.add_row(vec!["Family", f]);
        }
        t.add_row(vec!["Regime", &regime]);
        t.add_row(vec!["Citation".to_string(), r.citation.to_string()]);
        t.add_row(vec!["Defined at".to_string(), format!("{}:{} (pack {})", r.origin.file, r.origin.line, r.origin.pack)]);
        changes(&rs.changes("rule", &r.id), &mut t);
        if !r.note.is_empty() {
            t.add_row(vec!["Note", &r.note]);
        }
        render::fit(&mut t);
        writeln!(out, "{t}")?;
        return Ok(0);
    }
    if let Some(g) = rs.regime(id) {
        let rules: Vec<&str> = rs.rules.iter().filter(|r| rs.regime_of(r).is_some_and(|x| x.id == g.id)).map(|r| r.id.as_str()).collect();
        if format == Format::Json {
            super::render::json(out, &chipgate::rules::words::RegimeSheet::new(&rs, g), Vec::new())?;
            return Ok(0);
        }
        let mut t = table(&[]);
        t.add_row(vec!["Regime", &g.id]);
        t.add_row(vec!["Title", &g.title]);
        t.add_row(vec!["In force".to_string(), format!("{} → {}", date(g.effective), date(g.until))]);
        if let Some(s) = &g.superseded_by {
            t.add_row(vec!["Superseded by", s]);
        }
        if !g.enforced {
            t.add_row(vec!["Enforced".to_string(), format!("no — {}", g.enforcement_note.clone().unwrap_or_default())]);
        }
        t.add_row(vec!["Citation".to_string(), g.citation.to_string()]);
        t.add_row(vec!["Rules".to_string(), rules.join("\n")]);
        t.add_row(vec!["Defined at".to_string(), format!("{}:{} (pack {})", g.origin.file, g.origin.line, g.origin.pack)]);
        changes(&rs.changes("regime", &g.id), &mut t);
        render::fit(&mut t);
        writeln!(out, "{t}")?;
        return Ok(0);
    }
    bail!("{}", chipgate::rules::words::unknown_id(&rs, id))
}

/// The changes other packs made to a definition, one line each (`rule … of pack … amended by
/// pack …`), when there are any.
fn changes(changes: &[&chipgate::rules::Replacement], t: &mut comfy_table::Table) {
    if !changes.is_empty() {
        t.add_row(vec!["Changed".to_string(), changes.iter().map(|c| c.to_string()).collect::<Vec<_>>().join("\n")]);
    }
}

/// Days a rule is in force, in words (the last day inclusive).
fn days(r: &Rule) -> String {
    let last = r.until.and_then(|u| u.yesterday().ok());
    match (r.effective, last) {
        (Some(a), Some(b)) => format!("from {a} to {b}"),
        (Some(a), None) => format!("from {a}"),
        (None, Some(b)) => format!("until {b}"),
        (None, None) => "always".into(),
    }
}

/// Whether a condition names an ECCN in an `eccn in [...]` test, or the ECCN whose licensing it
/// takes.
fn names_eccn(rs: &chipgate::RuleSet, c: &Cond, id: &str) -> bool {
    match c {
        Cond::Eccn(l) => rs.eccn_in(id, l),
        Cond::And(v) | Cond::Or(v) => v.iter().any(|x| names_eccn(rs, x, id)),
        Cond::Not(x) => names_eccn(rs, x, id),
        _ => false,
    }
}

fn explain(cli: &Cli, eccn: &str, format: Format, out: &mut dyn Write) -> Result<u8> {
    let rs = super::load_linted(cli)?;
    let Some(e) = rs.eccns.iter().find(|e| e.id.eq_ignore_ascii_case(eccn)) else {
        let h = diag::did_you_mean(eccn, rs.eccns.iter().map(|e| e.id.as_str()));
        bail!("unknown ECCN `{eccn}`{}", h.map(|h| format!("; {h}")).unwrap_or_default());
    };
    let of = |pred: &dyn Fn(&Rule) -> bool| -> Vec<&Rule> { rs.rules.iter().filter(|r| pred(r)).collect() };
    let sections: [(&str, Vec<&Rule>); 5] = [
        ("classified", of(&|r| matches!(&r.kind, RuleKind::Classification { eccn: Some(x), .. } if *x == e.id))),
        ("excluded", of(&|r| matches!(&r.kind, RuleKind::Classification { excludes: Some(f), .. } if *f == e.family))),
        ("license_required", of(&|r| matches!(r.kind, RuleKind::Requirement { .. }) && names_eccn(&rs, &r.when, &e.id))),
        ("exceptions", of(&|r| matches!(r.kind, RuleKind::Exception { .. }) && names_eccn(&rs, &r.when, &e.id))),
        ("review", of(&|r| matches!(r.kind, RuleKind::Review { .. }) && names_eccn(&rs, &r.when, &e.id))),
    ];
    if format == Format::Json {
        let mut v = serde_json::json!({ "schema_version": chipgate::request::SCHEMA_VERSION, "eccn": e, "precedence": rs.eccns.iter().map(|x| &x.id).collect::<Vec<_>>() });
        for (key, rules) in &sections {
            let list: Vec<serde_json::Value> = rules
                .iter()
                .map(|r| {
                    let mut v = serde_json::to_value(r).unwrap_or_default();
                    if let Some(o) = v.as_object_mut() {
                        o.insert("in_words".into(), r.when.in_words().into());
                    }
                    v
                })
                .collect();
            v[*key] = list.into();
        }
        super::render::json(out, &v, Vec::new())?;
        return Ok(0);
    }
    writeln!(out, "{}\n\n{}\n", e.title, e.explain.trim())?;
    let order: Vec<&str> = rs.eccns.iter().map(|x| x.id.as_str()).collect();
    let headings = [
        format!("An item is {} when (if several ECCNs match, the first of {} wins):", e.id, order.join(", ")),
        format!("It is not {} (nor any ECCN of the {} family) when:", e.id, e.family),
        "A license is required when:".to_string(),
        "License exceptions:".to_string(),
        "License applications are reviewed under:".to_string(),
    ];
    for ((_, rules), heading) in sections.iter().zip(headings) {
        if rules.is_empty() {
            continue;
        }
        writeln!(out, "{heading}")?;
        for r in rules {
            let what = match &r.kind {
                RuleKind::Exception { name, .. } => format!("{name}: "),
                RuleKind::Review { policy } => format!("{}: ", super::render::policy(*policy)),
                _ => String::new(),
            };
            let enforced = if rs.regime_of(r).is_some_and(|g| !g.enforced) { " [never enforced]" } else { "" };
            writeln!(out, "  - {what}{} ({}, {}){enforced}\n    {}", r.when.in_words(), days(r), r.id, r.citation)?;
        }
        writeln!(out)?;
    }
    if let Some(c) = &e.citation {
        writeln!(out, "Source: {c}")?;
    }
    Ok(0)
}

fn validate(cli: &Cli, paths: &[PathBuf], deny_warnings: bool, format: Format, out: &mut dyn Write) -> Result<u8> {
    let mut l = super::loader(cli);
    for p in paths {
        l = l.pack(PackSource::Path(p.clone()));
    }
    let (diags, sources) = l.validate();
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    if format == Format::Json {
        super::render::json(
            out,
            &serde_json::json!({ "schema_version": chipgate::request::SCHEMA_VERSION, "errors": errors, "warnings": warnings, "diagnostics": diag::locate(&sources, &diags) }),
            Vec::new(),
        )?;
    } else {
        write!(out, "{}", diag::render_styled(&sources, &diags, super::color::stdout()))?;
        writeln!(out, "{errors} error{}, {warnings} warning{}", if errors == 1 { "" } else { "s" }, if warnings == 1 { "" } else { "s" })?;
    }
    Ok(if errors > 0 {
        super::EXIT_ERROR
    } else if warnings > 0 && deny_warnings {
        super::EXIT_FINDING
    } else {
        super::EXIT_CLEAR
    })
}
