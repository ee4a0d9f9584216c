//! `chipgate timeline`: a chip's status for one destination across time, one row per period
//! between the rule or group changes that alter it.

use std::io::Write;

use anyhow::Result;
use chipgate::history::{Change, ChangeKind, Period, Status, Timeline};
use chipgate::request::{self, Check, Versioned};
use chipgate::Verdict;
use clap::Args;
use comfy_table::Cell;

use super::chip_args::{ChipArgs, SOURCE};
use super::parties::PartyArgs;
use super::render::{self, table};
use super::{Cli, Format, EXIT_CLEAR};

pub use chipgate::request::VIEW_START;

/// Arguments of `chipgate timeline`.
#[derive(Debug, Args)]
pub struct TimelineArgs {
    #[command(flatten)]
    pub chip: ChipArgs,
    /// Destination country (ISO code or name, e.g. `CN`, `China`, `Hong Kong`).
    #[arg(long = "to", value_name = "COUNTRY")]
    pub to: String,
    #[command(flatten)]
    pub parties: PartyArgs,
    /// First day of the view (YYYY-MM-DD).
    #[arg(long, default_value = VIEW_START)]
    pub from: String,
    /// Last day of the view (YYYY-MM-DD); default today (UTC).
    #[arg(long)]
    pub until: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// Runs the command.
pub fn run(cli: &Cli, a: &TimelineArgs, out: &mut dyn Write) -> Result<u8> {
    let rs = super::load(cli)?;
    let req = request::Timeline {
        check: a.parties.with(Check { to: a.to.clone(), ..a.chip.request() }),
        from: Some(a.from.clone()),
        until: a.until.clone(),
    };
    let tl = req.build(&rs, super::today(), SOURCE)?;
    match a.format {
        Format::Json => super::render::json(out, &Versioned::new(&rs, &tl), Vec::new())?,
        Format::Human => {
            human(&tl, out)?;
            super::render::provenance(&rs, true, out)?;
        }
    }
    Ok(EXIT_CLEAR)
}

fn human(tl: &Timeline, out: &mut dyn Write) -> Result<()> {
    let hq = tl.end_user_hq.as_ref().map(|h| format!(", end user headquartered in {} ({})", h.name, h.code)).unwrap_or_default();
    let modified = tl.chip.hypothetical && tl.chip.id != "hypothetical";
    let name = if modified { format!("{} (modified)", tl.chip.name) } else { tl.chip.name.clone() };
    render::prose(out, &format!("{name} → {} ({}){hq}, {} to {}", tl.destination.name, tl.destination.code, tl.from, tl.to))?;
    writeln!(out)?;
    // The verdict, ECCN and review policy share a column, so that the rule ids that changed them
    // fit whole beside it in 80 columns.
    let mut t = table(&["From", "Until", "Verdict, ECCN, review", "Changed by"]);
    for p in &tl.periods {
        let changed: Vec<String> = p.changed_by.iter().map(change_short).collect();
        t.add_row(vec![
            Cell::new(p.from),
            Cell::new(p.until.map(|d| d.to_string()).unwrap_or_else(|| "—".into())),
            render::verdict_cell(p.status.verdict, status_words(&p.status, false)),
            Cell::new(if changed.is_empty() { "(start of view)".into() } else { changed.join("\n") }),
        ]);
    }
    render::fit_first(&mut t, &[3]);
    writeln!(out, "{t}")?;
    render::prose(out, &format!("Until is the first day of the next period; the last period runs to the end of the view ({}).", tl.to))?;
    writeln!(out)?;
    notes(tl, out)
}

/// Below the table: missing data, the changes with what they say, assumptions.
fn notes(tl: &Timeline, out: &mut dyn Write) -> Result<()> {
    let missing: Vec<_> = tl.periods.iter().filter(|p| !p.status.missing.is_empty()).collect();
    for p in &missing {
        render::prose(
            out,
            &format!(
                "From {}: missing data: {} (the undetermined parts depend on it)",
                p.from,
                chipgate::eval::Missing::join(&p.status.missing, ", ")
            ),
        )?;
    }
    if !missing.is_empty() {
        writeln!(out)?;
    }
    let changes: Vec<(&Period, &Change)> = tl.periods.iter().flat_map(|p| p.changed_by.iter().map(move |c| (p, c))).collect();
    if !changes.is_empty() {
        writeln!(out, "Changes")?;
        for (p, c) in changes {
            render::paragraph(out, "  ", &format!("{} {}: {}", c.date.unwrap_or(p.from), change_short(c), c.summary))?;
        }
        writeln!(out)?;
    }
    for a in &tl.assumptions {
        render::prose(out, &format!("Assumption: {a}"))?;
    }
    writeln!(out, "Decision support, not legal advice.")?;
    Ok(())
}

/// A change in a few characters: `+ rule` came into force, `− rule` went out of force,
/// `CC joins G` / `CC leaves G` for group membership.
pub fn change_short(c: &Change) -> String {
    match (c.kind, &c.country) {
        (ChangeKind::InForce, _) => format!("+ {}", c.id),
        (ChangeKind::OutOfForce, _) => format!("− {}", c.id),
        (ChangeKind::JoinsGroup, Some(cc)) => format!("{cc} joins {}", c.id),
        (ChangeKind::LeavesGroup, Some(cc)) => format!("{cc} leaves {}", c.id),
        (_, None) => c.id.clone(),
    }
}

/// A status in a few lines: the verdict with its exceptions, the ECCN, and the review policy
/// when there is one to give (the missing data too when `long`).
pub fn status_words(s: &Status, long: bool) -> String {
    let mut lines = vec![verdict_words(s, long), format!("ECCN {}", eccn_words(s))];
    let review = review_words(s, long);
    if review != "—" {
        lines.push(format!("review: {review}"));
    }
    lines.join("\n")
}

/// The verdict in a few words with the exceptions available, and the missing data when
/// indeterminate and `long`.
pub fn verdict_words(s: &Status, long: bool) -> String {
    let mut out = render::verdict_lower(s.verdict).to_string();
    if !s.exceptions.is_empty() {
        out.push_str(&format!(" ({})", s.exceptions.join(", ")));
    }
    if long && !s.missing.is_empty() && s.verdict == Verdict::Indeterminate {
        out.push_str(&format!(" (missing {})", chipgate::eval::Missing::join(&s.missing, ", ")));
    }
    out
}

/// The ECCN, `? a | b` listing the candidates when undetermined, or `—`.
pub fn eccn_words(s: &Status) -> String {
    match (&s.eccn, s.eccn_candidates.is_empty()) {
        (Some(e), _) => e.clone(),
        (None, true) => "—".into(),
        (None, false) => {
            let c: Vec<&str> = s.eccn_candidates.iter().map(|e| e.as_deref().unwrap_or("none")).collect();
            format!("? {}", c.join(" | "))
        }
    }
}

/// The review policy, `undetermined` (with the missing data when `long`) when a license is
/// needed but missing data leaves the policy open, or `—`.
pub fn review_words(s: &Status, long: bool) -> String {
    match s.review_policy {
        Some(p) => render::policy(p).to_string(),
        None if s.verdict == Verdict::LicenseRequired && !s.missing.is_empty() => {
            if long {
                format!("undetermined (missing {})", chipgate::eval::Missing::join(&s.missing, ", "))
            } else {
                "undetermined".into()
            }
        }
        None => "—".into(),
    }
}
