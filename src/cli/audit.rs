//! `chipgate audit`: a CSV of shipments in, one verdict per row out, a summary on stderr.

use std::fs::File;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use chipgate::audit::{self, CsvSink, JsonlSink, Options, Sink, Summary};
use chipgate::RuleSet;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use super::render::table;
use super::{Cli, EXIT_CLEAR, EXIT_ERROR, EXIT_FINDING};

mod output;
mod rows;

/// Output format of `audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuditFormat {
    /// Every input column, then the audit columns.
    Csv,
    /// One JSON object per row, with the trace.
    Jsonl,
    /// Tables for people (small files).
    Table,
}

/// Arguments of `chipgate audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// CSV file of shipments (header row required), or `-` for standard input.
    #[arg(value_name = "FILE")]
    pub input: PathBuf,
    /// Write the audited rows to this file instead of standard output. The file appears (or
    /// replaces the previous one) only when the audit is complete; an audit that stops on an
    /// unusable input leaves no file there.
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Output format; default csv, or table when a small file is audited to a terminal.
    #[arg(long, value_enum)]
    pub format: Option<AuditFormat>,
    /// Date for rows without one (YYYY-MM-DD); default today (UTC).
    #[arg(long)]
    pub date: Option<String>,
    /// Header names for fields, FIELD=COLUMN, comma-separated or repeated (e.g. `destination=ship_to,chip=part`).
    #[arg(long, value_name = "FIELD=COLUMN")]
    pub columns: Vec<String>,
    /// Also write the summary as JSON to this file.
    #[arg(long, value_name = "PATH")]
    pub summary_json: Option<PathBuf>,
    /// Do not print the summary on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    /// The most bytes one record may hold; a longer one is an error row (skipped to its end).
    #[arg(long, value_name = "BYTES", default_value_t = audit::Limits::default().record_bytes)]
    pub max_record_bytes: usize,
    /// The most fields one record may have; a record with more is an error row.
    #[arg(long, value_name = "N", default_value_t = audit::Limits::default().fields)]
    pub max_fields: usize,
}

/// Inputs at least this large get a progress bar (when stderr is a terminal).
const LARGE: u64 = 8 << 20;

/// Files at most this large are shown as a table by default on a terminal.
const SMALL: u64 = 256 << 10;

/// Runs the command.
pub fn run(cli: &Cli, a: &AuditArgs, out: &mut dyn Write) -> Result<u8> {
    let rs = super::load(cli)?;
    let mut opts = Options::new(super::date_or_today(&a.date)?);
    opts.columns = audit::parse_mappings(&a.columns)?;
    opts.limits = audit::Limits { record_bytes: a.max_record_bytes.max(1), fields: a.max_fields.max(1) };
    let (input, size) = open(&a.input, a.output.as_deref())?;
    let small = size.is_some_and(|s| s <= SMALL);
    let format = match a.format {
        Some(f) => f,
        None if a.output.is_none() && small && std::io::stdout().is_terminal() => AuditFormat::Table,
        None => AuditFormat::Csv,
    };
    opts.json = format == AuditFormat::Jsonl;
    let bar = progress(size);
    let input: Box<dyn Read + Send> = match &bar {
        Some(b) => Box::new(b.wrap_read(input)),
        None => input,
    };
    let summary = match &a.output {
        Some(p) => {
            let o = output::Output::create(p)?;
            let summary = write(&rs, &opts, format, input, o.file())?;
            o.commit()?;
            summary
        }
        None => write(&rs, &opts, format, input, out)?,
    };
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let code = if summary.error_rows > 0 {
        EXIT_ERROR
    } else if summary.findings > 0 {
        EXIT_FINDING
    } else {
        EXIT_CLEAR
    };
    if !a.quiet {
        eprint!("{}", render_summary(&summary, &rs));
    }
    if let Some(p) = &a.summary_json {
        let mut v = serde_json::to_value(&summary)?;
        if let Some(o) = v.as_object_mut() {
            o.insert("exit_code".into(), code.into());
        }
        let text = serde_json::to_string_pretty(&v)? + "\n";
        std::fs::write(p, text).with_context(|| format!("cannot write `{}`", p.display()))?;
    }
    Ok(code)
}

fn write<W: Write>(rs: &RuleSet, opts: &Options, format: AuditFormat, input: Box<dyn Read + Send>, w: W) -> Result<Summary> {
    let mut sink: Box<dyn Sink + '_> = match format {
        AuditFormat::Csv => Box::new(CsvSink::new(w)),
        AuditFormat::Jsonl => Box::new(JsonlSink::new(w)),
        AuditFormat::Table => Box::new(rows::TableSink::new(w, opts.default_date)),
    };
    Ok(audit::audit(rs, opts, input, sink.as_mut())?)
}

/// Opens the input (`-` is standard input) and returns its size when known.
fn open(path: &Path, output: Option<&Path>) -> Result<(Box<dyn Read + Send>, Option<u64>)> {
    if path == Path::new("-") {
        return Ok((Box::new(std::io::stdin()), None));
    }
    let f = File::open(path).with_context(|| format!("cannot open `{}`", path.display()))?;
    if let Some(o) = output {
        if std::fs::canonicalize(o).ok().zip(std::fs::canonicalize(path).ok()).is_some_and(|(a, b)| a == b) {
            bail!("the output `{}` is the input file; write to another file", o.display());
        }
    }
    let size = f.metadata().ok().map(|m| m.len());
    Ok((Box::new(f), size))
}

/// A progress bar over the input bytes, only for large files when stderr is a terminal.
fn progress(size: Option<u64>) -> Option<ProgressBar> {
    let size = size.filter(|s| *s >= LARGE && std::io::stderr().is_terminal())?;
    let style = ProgressStyle::with_template("{spinner} auditing {bar:40} {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    Some(ProgressBar::new(size).with_style(style))
}

fn render_summary(s: &Summary, rs: &RuleSet) -> String {
    let mut text = String::new();
    let dates = s.dates.map(|d| format!("; row dates {} to {}", d.first, d.last)).unwrap_or_default();
    text += &format!(
        "\nAudited {} row{} against {} (rows without a date as of {}{dates}); {} distinct evaluation{}\n",
        s.rows,
        if s.rows == 1 { "" } else { "s" },
        rs.version(),
        s.as_of,
        s.evaluations,
        if s.evaluations == 1 { "" } else { "s" },
    );
    let mut t = table(&["Verdict", "Rows", "Units"]);
    for v in &s.verdicts {
        t.add_row(vec![v.verdict.to_string(), v.tally.rows.to_string(), v.tally.units.to_string()]);
    }
    t.add_row(vec!["total".to_string(), s.rows.to_string(), s.verdicts.iter().map(|v| v.tally.units).sum::<u64>().to_string()]);
    text += &format!("{t}\n");
    if !s.destinations.is_empty() {
        let mut t = table(&["Destination", "Rows", "Findings", "By verdict"]);
        for d in &s.destinations {
            let by: Vec<String> = d.verdicts.iter().map(|v| format!("{} {}", v.verdict, v.rows)).collect();
            t.add_row(vec![format!("{} ({})", d.name, d.code), d.rows.to_string(), d.findings.to_string(), by.join(", ")]);
        }
        text += &format!("Destinations with findings\n{t}\n");
    }
    if !s.errors.is_empty() {
        let mut t = table(&["Error", "Count"]);
        for e in &s.errors {
            t.add_row(vec![e.kind.to_string(), e.count.to_string()]);
        }
        text += &format!("Rows with errors: {} (verdict `error`; see the error column)\n{t}\n", s.error_rows);
    }
    text
}
