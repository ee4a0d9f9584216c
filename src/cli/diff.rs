//! `chipgate diff`: what changed between two dates over the catalog and a set of destinations,
//! the "re-check everything after a rule change" job.

use std::io::Write;

use anyhow::Result;
use chipgate::history::{Diff, Status};
use chipgate::request::{self, Versioned};
use chipgate::Verdict;
use clap::Args;
use comfy_table::{ColumnConstraint, Width};

use super::chips::ListFormat;
use super::parties::PartyArgs;
use super::render::table;
use super::timeline::{change_short, eccn_words, review_words, verdict_words};
use super::{Cli, EXIT_CLEAR};

/// Arguments of `chipgate diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The date before (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub from: String,
    /// The date after (YYYY-MM-DD); default today (UTC).
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// The old name of `--until` (`--to` is a destination in `check` and `timeline`), accepted
    /// for a release with a warning.
    #[arg(long = "to", hide = true, value_name = "DATE", conflicts_with = "until")]
    pub to_deprecated: Option<String>,
    /// Destinations, comma-separated codes or names (e.g. `CN,HK,AE`); default: every country
    /// the rules mention.
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub destinations: Vec<String>,
    /// Only these catalog chips, comma-separated names or aliases; default: the whole catalog.
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub chips: Vec<String>,
    #[command(flatten)]
    pub parties: PartyArgs,
    /// Human output: one row per chip and change, listing every destination it applies to.
    #[arg(long)]
    pub collapse: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,
}

/// Runs the command.
pub fn run(cli: &Cli, a: &DiffArgs, out: &mut dyn Write) -> Result<u8> {
    let rs = super::load(cli)?;
    let req = request::Diff {
        from: a.from.clone(),
        until: a.until.clone().or_else(|| {
            let old = a.to_deprecated.clone()?;
            super::deprecated("`chipgate diff --to DATE`", "`--until DATE`");
            Some(old)
        }),
        destinations: a.destinations.clone(),
        chips: a.chips.clone(),
        end_user_hq: a.parties.end_user_hq.clone(),
        exporter: a.parties.exporter.clone(),
        ship_from: a.parties.ship_from.clone(),
        end_user: a.parties.end_user.clone(),
        consignee: a.parties.consignee.clone(),
    };
    let d = req.build(&rs, super::today())?;
    match a.format {
        ListFormat::Json => super::render::json(out, &Versioned::new(&rs, &d), Vec::new())?,
        ListFormat::Csv => csv_rows(&d, out)?,
        ListFormat::Human => {
            human(&d, a.collapse, out)?;
            super::render::provenance(&rs, true, out)?;
        }
    }
    Ok(EXIT_CLEAR)
}

/// A status in a few lines: verdict with exceptions, ECCN, review policy.
fn status_words(s: &Status) -> String {
    let mut lines = vec![verdict_words(s, true), format!("ECCN {}", eccn_words(s))];
    if s.review_policy.is_some() || s.verdict == Verdict::LicenseRequired {
        lines.push(format!("review: {}", review_words(s, true)));
    }
    lines.join("\n")
}

fn human(d: &Diff, collapse: bool, out: &mut dyn Write) -> Result<()> {
    let n = d.destinations.len();
    writeln!(
        out,
        "Changes from {} to {}: {} of {} (chip, destination) pairs differ ({} chip{} × {n} destination{})\n",
        d.from,
        d.to,
        d.rows.len(),
        d.compared,
        d.chips,
        if d.chips == 1 { "" } else { "s" },
        if n == 1 { "" } else { "s" },
    )?;
    if d.rows.is_empty() {
        writeln!(out, "Nothing changed: no verdict, ECCN, exception or review policy differs.")?;
        return Ok(());
    }
    let (before, after) = (d.from.to_string(), d.to.to_string());
    let mut t = table(&["Chip", "To", &before, &after, "Responsible"]);
    let mut groups: Vec<(String, Vec<String>, String, String, String)> = Vec::new();
    for r in &d.rows {
        let resp: Vec<String> = r.responsible.iter().map(change_short).collect();
        let cells = (r.chip.name.clone(), status_words(&r.before), status_words(&r.after), resp.join("\n"));
        let same =
            |g: &&mut (String, Vec<String>, String, String, String)| (&g.0, &g.2, &g.3, &g.4) == (&cells.0, &cells.1, &cells.2, &cells.3);
        match groups.last_mut().filter(|g| collapse && same(g)) {
            Some(g) => g.1.push(r.destination.code.clone()),
            None => groups.push((cells.0, vec![r.destination.code.clone()], cells.1, cells.2, cells.3)),
        }
    }
    for (chip, dests, b, a, resp) in groups {
        t.add_row(vec![chip, dests.join(", "), b, a, if resp.is_empty() { "—".into() } else { resp }]);
    }
    for (i, w) in [(2, 24), (3, 24), (4, 34)] {
        if let Some(c) = t.column_mut(i) {
            c.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(w)));
        }
    }
    writeln!(out, "{t}")?;
    writeln!(out, "+ rule: came into force between the dates; − rule: went out of force. Decision support, not legal advice.")?;
    Ok(())
}

fn csv_rows(d: &Diff, out: &mut dyn Write) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "chip_id",
        "chip",
        "destination",
        "changed",
        "before_verdict",
        "before_eccn",
        "before_exceptions",
        "before_review_policy",
        "after_verdict",
        "after_eccn",
        "after_exceptions",
        "after_review_policy",
        "responsible",
    ])?;
    let parts = |s: &Status| {
        [
            s.verdict.as_str().to_string(),
            s.eccn.clone().unwrap_or_else(|| if s.eccn_candidates.is_empty() { String::new() } else { eccn_words(s) }),
            s.exceptions.join("; "),
            s.review_policy.map(|p| p.name().to_string()).unwrap_or_default(),
        ]
    };
    for r in &d.rows {
        let mut rec = vec![r.chip.id.clone(), r.chip.name.clone(), r.destination.code.clone(), r.changed.join("; ")];
        rec.extend(parts(&r.before));
        rec.extend(parts(&r.after));
        rec.push(r.responsible.iter().map(change_short).collect::<Vec<_>>().join("; "));
        w.write_record(&rec)?;
    }
    w.flush()?;
    Ok(())
}
