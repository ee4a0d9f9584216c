//! `chipgate rules`: list regimes and rules with dates and citations; show one rule; explain an
//! ECCN; validate packs.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Result};
use chipgate::rules::{diag, PackSource, RuleKind};
use clap::{Args, Subcommand};

use super::render::table;
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
    let rs = super::load(cli)?;
    if format == Format::Json {
        let v = serde_json::json!({ "packs": rs.packs, "regimes": rs.regimes, "rules": rs.rules });
        serde_json::to_writer_pretty(&mut *out, &v)?;
        writeln!(out)?;
        return Ok(0);
    }
    let mut p = table(&["Pack", "Version", "From", "Hash"]);
    for pk in &rs.packs {
        p.add_row(vec![pk.name.clone(), pk.version.clone(), pk.location.clone(), pk.hash.clone()]);
    }
    writeln!(out, "{p}\n")?;
    for g in &rs.regimes {
        let enforced =
            if g.enforced { String::new() } else { format!(" — NOT ENFORCED: {}", g.enforcement_note.clone().unwrap_or_default()) };
        writeln!(out, "{} — {}\n  {} → {}{enforced}\n  {}", g.id, g.title, date(g.effective), date(g.until), g.citation)?;
        let mut t = table(&["Rule", "Kind", "In force", "Condition"]);
        let mut n = 0;
        for r in rs.rules.iter().filter(|r| rs.regime_of(r).is_some_and(|x| x.id == g.id)) {
            n += 1;
            t.add_row(vec![r.id.clone(), kind(&r.kind), format!("{} → {}", date(r.effective), date(r.until)), r.when_text.clone()]);
        }
        if n > 0 {
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
        RuleKind::Requirement { kind } => {
            format!("requires licence ({})", serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default())
        }
        RuleKind::Exception { name, .. } => format!("exception {name}"),
        RuleKind::Review { policy } => format!("review: {}", super::render::policy(*policy)),
    }
}

fn show(cli: &Cli, id: &str, format: Format, out: &mut dyn Write) -> Result<u8> {
    let rs = super::load(cli)?;
    if let Some(r) = rs.rule(id) {
        if format == Format::Json {
            serde_json::to_writer_pretty(&mut *out, r)?;
            writeln!(out)?;
            return Ok(0);
        }
        let regime = rs.regime_of(r).map(|g| format!("{} — {}", g.id, g.title)).unwrap_or_default();
        let mut t = table(&[]);
        t.add_row(vec!["Rule", &r.id]);
        t.add_row(vec!["Does", &kind(&r.kind)]);
        t.add_row(vec!["Summary", &r.summary]);
        t.add_row(vec!["Condition", &r.when_text]);
        t.add_row(vec!["In force".to_string(), format!("{} → {}", date(r.effective), date(r.until))]);
        t.add_row(vec!["Regime", &regime]);
        t.add_row(vec!["Citation".to_string(), r.citation.to_string()]);
        t.add_row(vec!["Defined at".to_string(), format!("{}:{} (pack {})", r.origin.file, r.origin.line, r.origin.pack)]);
        if !r.note.is_empty() {
            t.add_row(vec!["Note", &r.note]);
        }
        writeln!(out, "{t}")?;
        return Ok(0);
    }
    if let Some(g) = rs.regime(id) {
        if format == Format::Json {
            serde_json::to_writer_pretty(&mut *out, g)?;
        } else {
            writeln!(
                out,
                "{} — {}\n{} → {}\n{}\ndefined at {}:{}",
                g.id,
                g.title,
                date(g.effective),
                date(g.until),
                g.citation,
                g.origin.file,
                g.origin.line
            )?;
        }
        return Ok(0);
    }
    let ids = rs.rules.iter().map(|r| r.id.as_str()).chain(rs.regimes.iter().map(|g| g.id.as_str()));
    match diag::did_you_mean(id, ids) {
        Some(h) => bail!("no rule or regime `{id}`; {h}"),
        None => bail!("no rule or regime `{id}`; `chipgate rules list` shows them all"),
    }
}

fn explain(cli: &Cli, eccn: &str, format: Format, out: &mut dyn Write) -> Result<u8> {
    let rs = super::load(cli)?;
    let Some(e) = rs.eccns.iter().find(|e| e.id.eq_ignore_ascii_case(eccn)) else {
        let h = diag::did_you_mean(eccn, rs.eccns.iter().map(|e| e.id.as_str()));
        bail!("unknown ECCN `{eccn}`{}", h.map(|h| format!("; {h}")).unwrap_or_default());
    };
    let rules: Vec<_> =
        rs.rules.iter().filter(|r| matches!(&r.kind, RuleKind::Classification { eccn: Some(x), .. } if *x == e.id)).collect();
    if format == Format::Json {
        serde_json::to_writer_pretty(&mut *out, &serde_json::json!({ "eccn": e, "rules": rules }))?;
        writeln!(out)?;
        return Ok(0);
    }
    writeln!(out, "{}\n\n{}\n", e.title, e.explain.trim())?;
    for r in rules {
        writeln!(out, "- {} ({} → {}): {}\n  when {}\n  {}", r.id, date(r.effective), date(r.until), r.summary, r.when_text, r.citation)?;
    }
    if let Some(c) = &e.citation {
        writeln!(out, "\nSource: {c}")?;
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
        let v = serde_json::json!({ "errors": errors, "warnings": warnings, "diagnostics": diag::locate(&sources, &diags) });
        serde_json::to_writer_pretty(&mut *out, &v)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", diag::render(&sources, &diags))?;
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
