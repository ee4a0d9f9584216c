//! `chipgate audit`: a CSV of shipments (or a sheet of a workbook) in, one verdict per row out,
//! a summary on stderr.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use arrow_schema::ArrowError;
use chipgate::audit::{self, CsvSink, JsonlSink, Options, Sink, Summary, XlsxSink};
use chipgate::RuleSet;
use clap::{Args, ValueEnum};
use indicatif::{HumanBytes, HumanDuration, ProgressBar, ProgressState, ProgressStyle};

use super::output::{FileId, Output};
use super::render::{self, table};
use super::Cli;

mod columnar;
mod input;
mod rows;

use input::Input;

/// Output format of `audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuditFormat {
    /// Every input column, then the audit columns.
    Csv,
    /// One JSON object per row, with the trace.
    Jsonl,
    /// Tables for people (small files). (`table` is its old name, accepted for a release.)
    #[value(alias = "table")]
    Human,
    /// An Excel workbook: the rows, filled by verdict, and a `Summary` sheet (needs -o PATH).
    Xlsx,
    /// Apache Parquet: the input's columns (typed as they were in a Parquet or Arrow input,
    /// else strings), then the audit's, `license_required` a boolean (needs -o PATH).
    Parquet,
    /// The Arrow IPC file format (Feather v2), columns as for Parquet (needs -o PATH).
    Arrow,
}

/// Arguments of `chipgate audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// CSV file of shipments (header row required), or `-` for standard input; or a workbook
    /// (`.xlsx`, `.xlsm`, `.xlsb`, `.xls`, `.ods`), whose first visible sheet is read; or a
    /// Parquet (`.parquet`) or Arrow IPC (`.arrow`, `.feather`) file, read batch by batch.
    #[arg(value_name = "FILE")]
    pub input: PathBuf,
    /// The sheet of a workbook to audit: its name, or its number N (1 is the first worksheet,
    /// hidden ones counted), e.g. `--sheet Shipments` or `--sheet 2`; default the first visible.
    #[arg(long, value_name = "NAME|N")]
    pub sheet: Option<String>,
    /// Write the audited rows to this file instead of standard output (`-`: standard output).
    /// The audit is written beside PATH under a temporary name and renamed over PATH only when
    /// it is complete: on any failure or interruption PATH keeps its previous content. A file
    /// that cannot be replaced that way (other hard links, read-only) is refused.
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Output format; default xlsx, parquet or arrow when -o names a `.xlsx`, `.parquet` or
    /// `.arrow`/`.feather` file, else csv, or table when a small file is audited to a terminal.
    #[arg(long, value_enum)]
    pub format: Option<AuditFormat>,
    /// Date for rows without one (YYYY-MM-DD); default today (UTC).
    #[arg(long)]
    pub date: Option<String>,
    /// Header names for fields, FIELD=COLUMN, comma-separated or repeated (e.g. `destination=ship_to,chip=part`).
    #[arg(long, value_name = "FIELD=COLUMN")]
    pub columns: Vec<String>,
    /// Also write the summary as JSON to this file (replaced whole, as with -o).
    #[arg(long, value_name = "PATH")]
    pub summary_json: Option<PathBuf>,
    /// Neutralise cells a spreadsheet would run as formulas (starting with `=`, `+`, `-`, `@`, a
    /// tab or a carriage return; input cells included) by a leading `'`, the OWASP advice for
    /// CSV files that will be opened in Excel, LibreOffice or Google Sheets. CSV output only
    /// (xlsx output is always safe: its cells are text or numbers, never formulas).
    #[arg(long)]
    pub excel_safe: bool,
    /// The character between the input's fields: `,` `;` `tab` `|` or another single ASCII
    /// character. By default the one of `,` `;` tab `|` that the header line has most of
    /// (outside quotes), e.g. `;` for a European SAP export.
    #[arg(long, value_name = "CHAR", value_parser = audit::delimiter_for)]
    pub delimiter: Option<u8>,
    /// The input's character encoding when it is not UTF-8: a label such as `windows-1252`,
    /// `latin1`, `shift_jis`, `gb18030`, `utf-16le`. UTF-16 with a byte-order mark (Excel's
    /// "Unicode Text") is recognised without it. Output is always UTF-8.
    #[arg(long, value_name = "NAME", value_parser = audit::encoding_named)]
    pub encoding: Option<&'static encoding_rs::Encoding>,
    /// How the file's dates are written, strftime-style: `%d.%m.%Y` (German), `%m/%d/%Y` (US),
    /// `%d/%m/%Y` (British), `%Y%m%d`. Without it, ISO 8601 dates and timestamps
    /// (`2024-06-01T10:15:00Z`: the date written in them), `DD.MM.YYYY`, `YYYYMMDD` and Excel
    /// serial numbers are read; `01/02/2024` is an error naming its two readings.
    #[arg(long, value_name = "FMT", value_parser = parse_date_format)]
    pub date_format: Option<chipgate::date::DateFormat>,
    /// The character between the output's fields (CSV output); by default the input's.
    /// `--output-delimiter ,` turns a `;`-separated export into a comma-separated audit.
    #[arg(long, value_name = "CHAR", value_parser = audit::delimiter_for)]
    pub output_delimiter: Option<u8>,
    /// Add the columns `rules_version` (the rule packs, versions and hashes) and `as_of` (the
    /// date each row was evaluated as of: its own, else --date) to every row, so that a saved
    /// audit shows how it was produced. An input with columns of those names is then refused.
    #[arg(long)]
    pub stamp: bool,
    /// Who exports the rows without an `exporter` column value (a company name): an
    /// is-informed letter binds only the exporter it was sent to. Default: each chip's vendor.
    #[arg(long, value_name = "NAME")]
    pub exporter: Option<String>,
    /// The country the rows without a `ship_from` column value ship from (ISO code or name);
    /// default: the rules' jurisdiction (an export).
    #[arg(long, value_name = "COUNTRY")]
    pub ship_from: Option<String>,
    /// What the exporter of the rows without an `exporter_role` column value is: `fabricator`
    /// (a foundry auditing its own shipments), `osat` or `other`. Default: neither a
    /// fabricator nor an OSAT.
    #[arg(long, value_name = "ROLE")]
    pub exporter_role: Option<String>,
    /// An attestation for the rows without an `attested_by` column value (see `check
    /// --attested-by`); repeatable.
    #[arg(long, value_name = "WHO")]
    pub attested_by: Vec<String>,
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
    if a.excel_safe && a.format.is_some_and(|f| !matches!(f, AuditFormat::Csv | AuditFormat::Xlsx)) {
        bail!("--excel-safe applies to CSV output; drop it or use --format csv");
    }
    if a.stamp && a.format == Some(AuditFormat::Human) {
        bail!("--stamp applies to csv, jsonl and xlsx output; drop it or choose one of those with --format");
    }
    let rs = super::load(cli)?;
    let mut opts = Options::new(super::date_or_today(&a.date)?);
    opts.columns = audit::parse_mappings(&a.columns)?;
    opts.limits = audit::Limits { record_bytes: a.max_record_bytes.max(1), fields: a.max_fields.max(1) };
    opts.delimiter = a.delimiter;
    opts.encoding = a.encoding;
    opts.date_format = a.date_format.clone();
    opts.exporter = a.exporter.clone();
    opts.ship_from = a.ship_from.as_deref().map(|f| super::country(&rs, f)).transpose()?;
    (opts.exporter_role, opts.attested_by) = chipgate::request::exporting(a.exporter_role.as_deref(), &a.attested_by)?;
    if a.output_delimiter.is_some() && a.format.is_some_and(|f| f != AuditFormat::Csv) {
        bail!("--output-delimiter applies to CSV output; drop it or use --format csv");
    }
    opts.stamp = a.stamp;
    let output = a.output.as_deref().filter(|p| *p != Path::new("-"));
    let opened = input::open(&a.input, a.sheet.as_deref())?;
    let small = opened.size.is_some_and(|s| s <= SMALL);
    let format = match a.format {
        Some(f) => f,
        None if output.is_some_and(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))) => AuditFormat::Xlsx,
        None => match output.and_then(columnar::kind_of) {
            Some(columnar::Kind::Parquet) => AuditFormat::Parquet,
            Some(columnar::Kind::Ipc) => AuditFormat::Arrow,
            None if output.is_none() && !a.stamp && small && std::io::stdout().is_terminal() => AuditFormat::Human,
            None => AuditFormat::Csv,
        },
    };
    if format == AuditFormat::Xlsx && output.is_none() {
        bail!("xlsx output is written to a file: name it with -o PATH.xlsx (a workbook is not streamed to standard output)");
    }
    if matches!(format, AuditFormat::Parquet | AuditFormat::Arrow) && output.is_none() {
        bail!("{format:?} output is written to a file: name it with -o PATH (a columnar file is not streamed to standard output)");
    }
    opts.json = format == AuditFormat::Jsonl;
    // Both files are opened (and refused) before the audit starts, and put in place after it.
    let inputs: Vec<FileId> = opened.id.into_iter().collect();
    if let (Some(o), Some(j)) = (output, a.summary_json.as_deref()) {
        if same_file(o, j) {
            bail!("the output `{}` and the summary `{}` are the same file; name two files", o.display(), j.display());
        }
    }
    let out_file = output.map(|p| Output::create(p, &inputs)).transpose()?;
    let json_file = a.summary_json.as_deref().map(|p| Output::create(p, &inputs).map(|o| (o, p))).transpose()?;
    let mut bar = None;
    let input = match opened.input {
        Input::Csv(r) => {
            bar = progress(opened.size);
            let r: Box<dyn Read + Send> = match &bar {
                Some(b) => Box::new(b.wrap_read(r)),
                None => r,
            };
            Input::Csv(r)
        }
        sheet => sheet,
    };
    let sheet = input.sheet().map(str::to_string);
    if matches!(input, Input::Sheet(..) | Input::Batches(_)) && (a.delimiter.is_some() || a.encoding.is_some()) {
        bail!("--delimiter and --encoding apply to text files; a workbook's or a columnar file's cells are read as they are");
    }
    let job = Job { rs: &rs, opts: &opts, path: &a.input, excel_safe: a.excel_safe, output_delimiter: a.output_delimiter };
    let summary = match (&out_file, format) {
        (Some(o), AuditFormat::Xlsx) => job.xlsx(input, o)?,
        (Some(o), AuditFormat::Parquet) => job.columnar(input, o, columnar::Kind::Parquet)?,
        (Some(o), AuditFormat::Arrow) => job.columnar(input, o, columnar::Kind::Ipc)?,
        (Some(o), _) => job.write(format, input, o.writer())?,
        (None, _) => job.write(format, input, out)?,
    };
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let code = summary.exit_code();
    if let Some((j, path)) = json_file {
        let text = serde_json::to_string_pretty(&audit::SummaryDocument::new(&summary))? + "\n";
        j.file().write_all(text.as_bytes()).with_context(|| format!("cannot write `{}`", path.display()))?;
        j.commit()?;
    }
    if let Some(o) = out_file {
        o.commit()?;
    }
    if !a.quiet {
        super::say(&render_summary(&summary, &rs, sheet.as_deref()));
    }
    Ok(code)
}

/// A date format given on the command line.
fn parse_date_format(s: &str) -> Result<chipgate::date::DateFormat, String> {
    chipgate::date::DateFormat::new(s).map_err(|e| e.to_string())
}

/// A delimiter in words, for the summary.
fn delimiter_words(d: &str) -> String {
    match d {
        "," => "comma-separated".to_string(),
        ";" => "semicolon-separated".to_string(),
        "\t" => "tab-separated".to_string(),
        "|" => "pipe-separated".to_string(),
        other => format!("`{other}`-separated"),
    }
}

/// Whether two paths name one file, existing or not.
fn same_file(a: &Path, b: &Path) -> bool {
    match (FileId::of_path(a), FileId::of_path(b)) {
        (Some(x), Some(y)) => x == y,
        _ => {
            let full = |p: &Path| {
                let dir = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
                std::fs::canonicalize(dir).ok().map(|d| d.join(p.file_name().unwrap_or_default()))
            };
            full(a).is_some_and(|x| Some(x) == full(b))
        }
    }
}

/// One audit to run.
struct Job<'a> {
    rs: &'a RuleSet,
    opts: &'a Options,
    path: &'a Path,
    excel_safe: bool,
    output_delimiter: Option<u8>,
}

impl Job<'_> {
    /// Audits into a writer, as CSV, JSON lines or tables.
    fn write<W: Write>(&self, format: AuditFormat, input: Input, w: W) -> Result<Summary> {
        let mut sink: Box<dyn Sink + '_> = match format {
            AuditFormat::Csv => Box::new(CsvSink::new(w).excel_safe(self.excel_safe).delimiter(self.output_delimiter)),
            AuditFormat::Jsonl => Box::new(JsonlSink::new(w)),
            AuditFormat::Human => Box::new(rows::TableSink::new(w, self.opts.default_date)),
            AuditFormat::Xlsx => bail!("xlsx output is written to a file: name it with -o PATH.xlsx"),
            AuditFormat::Parquet | AuditFormat::Arrow => bail!("{format:?} output is written to a file: name it with -o PATH"),
        };
        input.audit(self.path, self.rs, self.opts, sink.as_mut())
    }

    /// Audits into a Parquet or Arrow IPC file, batch by batch: the batches of a columnar input
    /// with their types kept and the audit's columns appended; the rows of a CSV file or a
    /// workbook gathered into batches of strings.
    fn columnar(&self, input: Input, o: &Output, kind: columnar::Kind) -> Result<Summary> {
        let cannot = |e: ArrowError| anyhow::Error::new(e).context(format!("cannot write the {kind:?} output"));
        if let Input::Batches(batches) = input {
            let schema = batches.schema();
            let mut w = columnar::Writer::new(kind, o.writer(), audit::arrow::output_schema(&schema, self.opts)).map_err(cannot)?;
            let summary = audit::arrow::audit_batches(self.rs, self.opts, &schema, batches, &mut |b| w.write(&b))
                .with_context(|| format!("`{}`", self.path.display()))?;
            w.close().map_err(cannot)?;
            return Ok(summary);
        }
        let (mut w, mut file) = (None, Some(o.writer()));
        let mut sink = audit::arrow::BatchSink::new(|b: arrow_array::RecordBatch| {
            if let Some(f) = file.take() {
                w = Some(columnar::Writer::new(kind, f, b.schema()).map_err(std::io::Error::other)?);
            }
            match w.as_mut() {
                Some(w) => w.write(&b).map_err(std::io::Error::other),
                None => Err(std::io::Error::other("the columnar writer did not start")),
            }
        });
        let summary = input.audit(self.path, self.rs, self.opts, &mut sink)?;
        drop(sink);
        if let Some(w) = w {
            w.close().map_err(cannot)?;
        }
        Ok(summary)
    }

    /// Audits into a workbook, which is written to the output once the summary is known. Its
    /// rows wait in an unnamed temporary file beside the output meanwhile.
    fn xlsx(&self, input: Input, o: &Output) -> Result<Summary> {
        let mut sink = XlsxSink::new(o.dir()).context("cannot start the workbook")?;
        let sheet = input.sheet().map(str::to_string);
        let summary = input.audit(self.path, self.rs, self.opts, &mut sink)?;
        let mut notes = vec![("Input".to_string(), self.path.display().to_string())];
        if let Some(s) = sheet {
            notes.push(("Sheet".to_string(), s));
        }
        let code = summary.exit_code();
        notes.push(("Exit code".to_string(), code.to_string()));
        notes.push(("Produced by".to_string(), format!("chipgate {}", super::version_line())));
        notes.push(("Command".to_string(), std::env::args().skip(1).collect::<Vec<_>>().join(" ")));
        sink.save(&summary, self.rs, &notes, o.writer()).context("cannot write the workbook")?;
        Ok(summary)
    }
}

/// A progress bar over the input bytes, only for large files when stderr is a terminal.
fn progress(size: Option<u64>) -> Option<ProgressBar> {
    let size = size.filter(|s| *s >= LARGE && std::io::stderr().is_terminal())?;
    let style = ProgressStyle::with_template("{spinner} auditing {bar:40} {bytes}/{total_bytes} ({pace})")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key("pace", pace);
    Some(ProgressBar::new(size).with_style(style))
}

/// The rate and the time left, from the whole run so far, once it has run long enough to tell.
/// indicatif's own `{eta}` weighs the latest reads, and the first ones are a header line and the
/// read-ahead filling: it said `27h left`, then `14m`, then `4s` in the first tenth of a second
/// of a 1.5-second audit of 3 M rows.
fn pace(state: &ProgressState, w: &mut dyn std::fmt::Write) {
    /// How long, and how much of the input, before an estimate is worth showing.
    const SETTLED: Duration = Duration::from_secs(1);
    let (elapsed, read, size) = (state.elapsed(), state.pos(), state.len().unwrap_or(0));
    if elapsed < SETTLED || read < size / 50 || read == 0 {
        let _ = w.write_str("estimating the time left");
        return;
    }
    let rate = read as f64 / elapsed.as_secs_f64();
    let left = Duration::from_secs_f64(size.saturating_sub(read) as f64 / rate);
    let _ = write!(w, "{}/s, {} left", HumanBytes(rate as u64), HumanDuration(left));
}

fn render_summary(s: &Summary, rs: &RuleSet, sheet: Option<&str>) -> String {
    let mut text = String::new();
    let dates = s.dates.map(|d| format!("; row dates {} to {}", d.first, d.last)).unwrap_or_default();
    let sheet = sheet.map(|n| format!(" of sheet `{n}`")).unwrap_or_default();
    text += &format!(
        "\nAudited {} row{}{sheet} against {} (rows without a date as of {}{dates}); {} distinct evaluation{}\n",
        s.rows,
        if s.rows == 1 { "" } else { "s" },
        rs.version(),
        s.as_of,
        s.evaluations,
        if s.evaluations == 1 { "" } else { "s" },
    );
    let renamed: Vec<String> = s
        .input
        .columns
        .iter()
        .filter(|c| !c.column.trim().eq_ignore_ascii_case(c.field))
        .map(|c| format!("{} ← {}", c.field, c.column.trim()))
        .collect();
    let columns = if renamed.is_empty() { String::new() } else { format!("; columns {}", renamed.join(", ")) };
    let layout = if s.input.delimiter.is_empty() { "typed columns".to_string() } else { delimiter_words(&s.input.delimiter) };
    text += &format!("Read as {}, {layout}{columns}\n", s.input.encoding);
    let mut t = table(&["Verdict", "Rows", "Units"]);
    for v in &s.verdicts {
        t.add_row(vec![v.verdict.to_string(), v.tally.rows.to_string(), v.tally.units.to_string()]);
    }
    t.add_row(vec!["total".to_string(), s.rows.to_string(), s.verdicts.iter().map(|v| v.tally.units).sum::<u128>().to_string()]);
    render::fit(&mut t);
    text += &format!("{t}\n");
    if !s.destinations.is_empty() {
        let mut t = table(&["Destination", "Rows", "Findings", "By verdict"]);
        for d in &s.destinations {
            let by: Vec<String> = d.verdicts.iter().map(|v| format!("{} {}", v.verdict, v.rows)).collect();
            t.add_row(vec![format!("{} ({})", d.name, d.code), d.rows.to_string(), d.findings.to_string(), by.join(", ")]);
        }
        render::fit(&mut t);
        text += &format!("Destinations with findings\n{t}\n");
    }
    if !s.errors.is_empty() {
        let mut t = table(&["Error", "Count"]);
        for e in &s.errors {
            t.add_row(vec![e.kind.to_string(), e.count.to_string()]);
        }
        render::fit(&mut t);
        text += &format!("Rows with errors: {} (verdict `error`; see the error column)\n{t}\n", s.error_rows);
    }
    if !s.warnings.is_empty() {
        let mut t = table(&["Warning", "Count"]);
        for w in &s.warnings {
            t.add_row(vec![w.kind.to_string(), w.count.to_string()]);
        }
        render::fit(&mut t);
        text += &format!("Rows with warnings (verdict given; see the error column)\n{t}\n");
    }
    text
}
