//! Human rendering helpers: comfy-table setup and wording for verdicts and policies.

use chipgate::chip::fmt_num;
use chipgate::eval::{Decision, Truth, Value};
use chipgate::rules::{Policy, RuleSet};
use chipgate::Verdict;
use comfy_table::{presets, ContentArrangement, Table};
use serde::Serialize;

/// Writes a JSON document, pretty and ending in a line break, with `extra` members added when
/// it is an object (the rule-set version of a result, say).
pub fn json(out: &mut dyn std::io::Write, doc: &impl Serialize, extra: Vec<(&str, serde_json::Value)>) -> anyhow::Result<()> {
    let mut v = serde_json::to_value(doc)?;
    if let Some(o) = v.as_object_mut() {
        for (k, x) in extra {
            o.insert(k.into(), x);
        }
    }
    // Buffered: standard output is line-buffered, and pretty JSON is mostly short lines (a
    // 77 MB document was three million writes).
    use std::io::Write as _;
    let mut w = std::io::BufWriter::with_capacity(64 * 1024, &mut *out);
    serde_json::to_writer_pretty(&mut w, &v)?;
    writeln!(w)?;
    w.flush()?;
    Ok(())
}

/// A table with the house style.
pub fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic);
    if t.width().is_none_or(|w| w < 40) {
        t.set_width(120);
    }
    if !header.is_empty() {
        t.set_header(header.to_vec());
    }
    t
}

/// The last lines of a human view when anything but the built-in pack answered: each pack
/// loaded with its version, content hash and location, so that a printed or pasted what-if
/// answer carries what it rests on and cannot pass for the law. Nothing on the built-in rules
/// alone (`--version` names them). With `replacements`, also every definition a pack replaced
/// (`replaces = true`): a view across dates and chips may rest on any of them, where a check
/// names the ones its answer rests on beside its verdict.
pub fn provenance(rs: &RuleSet, replacements: bool, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    if rs.packs.iter().all(|p| p.is_builtin()) {
        return Ok(());
    }
    writeln!(out, "\nAnswered by these rule packs, not the built-in rules alone:")?;
    for p in &rs.packs {
        writeln!(out, "  {} {} #{} ({})", p.name, p.version, p.hash, if p.is_builtin() { "built in" } else { &p.location })?;
    }
    if replacements {
        for r in &rs.replacements {
            writeln!(out, "Replaced: {r}")?;
        }
    }
    Ok(())
}

/// Verdict in words.
pub fn verdict(v: Verdict) -> &'static str {
    match v {
        Verdict::NoLicenseRequired => "NO LICENSE REQUIRED",
        Verdict::LicenseException => "LICENSE EXCEPTION AVAILABLE (a license is required unless the exception is used)",
        Verdict::LicenseRequired => "LICENSE REQUIRED",
        Verdict::Embargoed => "EMBARGOED (license required for any item)",
        Verdict::Indeterminate => "INDETERMINATE (missing data could change the answer)",
    }
}

/// Verdict in a few words, for one-line answers.
pub fn verdict_short(v: Verdict) -> &'static str {
    match v {
        Verdict::NoLicenseRequired => "NO LICENSE REQUIRED",
        Verdict::LicenseException => "LICENSE EXCEPTION AVAILABLE",
        Verdict::LicenseRequired => "LICENSE REQUIRED",
        Verdict::Embargoed => "EMBARGOED",
        Verdict::Indeterminate => "INDETERMINATE",
    }
}

/// Policy in words.
pub fn policy(p: Policy) -> &'static str {
    match p {
        Policy::PresumptionOfDenial => "presumption of denial",
        Policy::PresumptionOfApproval => "presumption of approval",
        Policy::CaseByCase => "case-by-case",
        Policy::PolicyOfDenial => "policy of denial",
    }
}

/// A trace value in words.
pub fn value(v: &Value) -> String {
    match v {
        Value::Num(n) => fmt_num(*n),
        Value::Bool(b) => b.to_string(),
        Value::Text(t) => t.clone(),
    }
}

/// A truth value in words.
pub fn truth(t: Truth) -> &'static str {
    match t {
        Truth::True => "yes",
        Truth::False => "no",
        Truth::Unknown => "unknown",
    }
}

/// The ECCN in words, including undetermined classifications.
pub fn eccn(d: &Decision) -> String {
    match (&d.eccn, d.eccn_candidates.is_empty()) {
        (Some(e), _) => e.clone(),
        (None, true) => "not classified under the rules in force".into(),
        (None, false) => {
            let c: Vec<String> =
                d.eccn_candidates.iter().map(|c| format!("{} → {}", c.eccn.as_deref().unwrap_or("none"), c.verdict)).collect();
            format!("undetermined: {}", c.join("; "))
        }
    }
}

/// License requirement in words.
pub fn license(d: &Decision) -> &'static str {
    match d.license_required {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unknown",
    }
}
