//! `chipgate diff`: what changed between two dates over the catalog and a set of destinations,
//! the "re-check everything after a rule change" job.

use std::io::Write;

use anyhow::Result;
use chipgate::history::{Diff, Status};
use chipgate::request::{self, Versioned};
use chipgate::Verdict;
use clap::Args;
use comfy_table::Cell;

use super::chips::ListFormat;
use super::parties::PartyArgs;
use super::render::{self, table};
use super::timeline::{change_short, eccn_words, status_words};
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
    /// Human output: every row, not only the first (JSON and CSV always hold every row).
    #[arg(long)]
    pub all: bool,
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
        exporter_role: a.parties.exporter_role.clone(),
        attested_by: a.parties.attested_by.clone(),
        end_user: a.parties.end_user.clone(),
        consignee: a.parties.consignee.clone(),
        end_user_owner: a.parties.end_user_owner.clone(),
        consignee_owner: a.parties.consignee_owner.clone(),
    };
    let d = req.build(&rs, super::today())?;
    match a.format {
        ListFormat::Json => render::json(out, &Versioned::new(&rs, &d), Vec::new())?,
        ListFormat::Csv => csv_rows(&d, out)?,
        ListFormat::Human => {
            human(&d, a.collapse, a.all, out)?;
            render::provenance(&rs, true, out)?;
        }
    }
    Ok(EXIT_CLEAR)
}

/// Rows of the human table shown without `--all`.
const FIRST_ROWS: usize = 20;

fn human(d: &Diff, collapse: bool, all: bool, out: &mut dyn Write) -> Result<()> {
    let n = d.destinations.len();
    let (cs, ds) = (if d.chips == 1 { "" } else { "s" }, if n == 1 { "" } else { "s" });
    let text = format!(
        "Changes from {} to {}: {} of {} (chip, destination) pairs differ ({} chip{cs} × {n} destination{ds})",
        d.from,
        d.to,
        d.rows.len(),
        d.compared,
        d.chips
    );
    render::prose(out, &text)?;
    writeln!(out)?;
    if d.rows.is_empty() {
        writeln!(out, "Nothing changed: no verdict, ECCN, exception or review policy differs.")?;
        return Ok(());
    }
    summary(d, out)?;
    let (before, after) = (d.from.to_string(), d.to.to_string());
    let mut t = table(&["Chip", "To", &before, &after, "Responsible"]);
    let mut groups: Vec<Group> = Vec::new();
    for r in &d.rows {
        let resp: Vec<String> = r.responsible.iter().map(change_short).collect();
        let g = Group {
            chip: r.chip.name.clone(),
            destinations: vec![r.destination.code.clone()],
            before: (r.before.verdict, status_words(&r.before, true)),
            after: (r.after.verdict, status_words(&r.after, true)),
            responsible: resp.join("\n"),
        };
        match groups.last_mut().filter(|last| collapse && last.same_change(&g)) {
            Some(last) => last.destinations.push(r.destination.code.clone()),
            None => groups.push(g),
        }
    }
    let shown = if all { groups.len() } else { groups.len().min(FIRST_ROWS) };
    let left = groups.len() - shown;
    for g in groups.into_iter().take(shown) {
        t.add_row(vec![
            Cell::new(g.chip),
            Cell::new(g.destinations.join(", ")),
            render::verdict_cell(g.before.0, g.before.1),
            render::verdict_cell(g.after.0, g.after.1),
            Cell::new(if g.responsible.is_empty() { "—".into() } else { g.responsible }),
        ]);
    }
    render::fit_first(&mut t, &[4]);
    writeln!(out, "{t}")?;
    if left > 0 {
        let s = if left == 1 { "" } else { "s" };
        render::prose(out, &format!("… and {left} more row{s}: --all prints every one (--format csv or json too)."))?;
    }
    render::prose(out, "+ rule: came into force between the dates; − rule: went out of force. Decision support, not legal advice.")?;
    Ok(())
}

/// One row of the human table: a chip's change, for one destination or (with `--collapse`)
/// every destination where it is the same.
struct Group {
    chip: String,
    destinations: Vec<String>,
    before: (Verdict, String),
    after: (Verdict, String),
    responsible: String,
}

impl Group {
    fn same_change(&self, other: &Group) -> bool {
        (&self.chip, &self.before, &self.after, &self.responsible) == (&other.chip, &other.before, &other.after, &other.responsible)
    }
}

/// How the verdicts moved: each (before, after) pair of verdicts with its count of (chip,
/// destination) pairs, most first; pairs whose verdict stayed are counted as other changes.
fn summary(d: &Diff, out: &mut dyn Write) -> Result<()> {
    let mut moves: Vec<((Verdict, Verdict), usize)> = Vec::new();
    for r in &d.rows {
        let key = (r.before.verdict, r.after.verdict);
        match moves.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => *n += 1,
            None => moves.push((key, 1)),
        }
    }
    moves.sort_by_key(|m| std::cmp::Reverse(m.1));
    let mut t = table(&["Before", "After", "Pairs"]);
    for ((b, a), n) in moves {
        let same = b == a;
        t.add_row(vec![
            render::verdict_cell(b, render::verdict_lower(b)),
            render::verdict_cell(a, if same { "the same (ECCN, exceptions or review changed)" } else { render::verdict_lower(a) }),
            Cell::new(n),
        ]);
    }
    render::fit(&mut t);
    writeln!(out, "{t}\n")?;
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
