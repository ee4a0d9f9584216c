//! Streaming CSV audit of shipment lists: every row is read into a query, evaluated (memoised
//! per distinct chip, destination, end user and rule period), and written to a [`Sink`] with its
//! verdict, or with an error naming the row and column. Rows are never dropped, the input is
//! never held whole, and the library never prints: totals come back as a [`Summary`].
//!
//! ```
//! use chipgate_audit::{audit, CsvSink, Options};
//! use chipgate_core::RuleSet;
//! use jiff::civil::date;
//!
//! let rules = RuleSet::builtin().expect("built-in rules load");
//! let input = "id,chip,destination,date\n1,H800,CN,2023-06-01\n2,H800,CN,2024-01-15\n3,H100X,DE,\n";
//! let mut sink = CsvSink::new(Vec::new());
//! let summary = audit(&rules, &Options::new(date(2025, 1, 1)), input.as_bytes(), &mut sink).unwrap();
//! let out = String::from_utf8(sink.into_inner().unwrap()).unwrap();
//! assert_eq!(summary.rows, 3);
//! assert_eq!((summary.findings, summary.error_rows), (1, 1));
//! assert!(out.lines().nth(2).unwrap().contains(",license_required,"));
//! assert!(out.contains("row 3, column chip: unknown chip `H100X`; did you mean `H100`"));
//! ```

#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::sync::{mpsc, Arc, Mutex};

use csv::ByteRecord;
use jiff::civil::Date;
use sink::Format;

mod ahead;
pub mod arrow;
mod classes;
mod columns;
mod decode;
mod hash;
mod memo;
mod row;
mod scan;
mod sink;
mod summary;
pub mod workbook;
mod xlsx;

pub use columns::{parse_mappings, Columns, Field, HeaderError};
pub use decode::{encoding_for, encoding_named};
pub use memo::{Finding, OUTPUT_COLUMNS};
pub use row::{ErrorKind, Problem, Problems, RowError};
pub use scan::{delimiter_for, detect_delimiter, Limits, DELIMITERS};
pub use sink::{csv_field, formula_like, CsvSink, Header, JsonlSink, Outcome, Row, Sink, STAMP_COLUMNS};
pub use summary::{
    ColumnUse, DateRange, DestinationTally, ErrorTally, InputFormat, Summary, SummaryDocument, Tally, VerdictCount, VerdictTally,
};
pub use xlsx::XlsxSink;

use ahead::{Batch, Done};
use chipgate_core::{EvalError, RuleSet};
use classes::Classes;
use memo::{Memo, MemoError, Shared};
use row::Reader;
use scan::Scanner;
use summary::Counter;

/// How to audit.
#[derive(Debug, Clone)]
pub struct Options {
    /// The date for rows without one (the caller passes today when the user gives none).
    pub default_date: Date,
    /// Header mappings: this field is in the column of that name.
    pub columns: Vec<(Field, String)>,
    /// Render each evaluation as JSON with its trace, for [`JsonlSink`].
    pub json: bool,
    /// The most a record may hold; a record over it is an error row.
    pub limits: Limits,
    /// The byte between fields; by default the one of `,` `;` tab `|` that the header line
    /// has most of (see [`detect_delimiter`]).
    pub delimiter: Option<u8>,
    /// The input's character encoding when it is not UTF-8 (a UTF-16 byte-order mark is
    /// recognised without it); see [`encoding_for`].
    pub encoding: Option<&'static encoding_rs::Encoding>,
    /// How the input's dates are written when not ISO 8601 (see [`chipgate_core::date::parse_cell`]).
    pub date_format: Option<chipgate_core::date::DateFormat>,
    /// Have the sink add the [`STAMP_COLUMNS`]: the rule set's version and each row's date.
    /// An input that already has a column of those names is then refused, as one with the
    /// audit's own columns always is ([`HeaderError::AuditColumns`]).
    pub stamp: bool,
    /// The exporter of rows without one (an `exporter` column); absent, the chip's vendor is
    /// presumed where a rule asks (an is-informed letter binds only the exporter it was sent to).
    pub exporter: Option<String>,
    /// The country (ISO code or name) rows without a `ship_from` ship from; absent, the rules'
    /// jurisdiction. A country the rule set does not know is [`AuditError::UnknownShipFrom`].
    pub ship_from: Option<String>,
    /// What the exporter of rows without an `exporter_role` is (a foundry auditing its own
    /// shipments gives `fabricator`); absent, not given.
    pub exporter_role: Option<chipgate_core::rules::ExporterRole>,
    /// The attestations of rows without an `attested_by`.
    pub attested_by: Vec<chipgate_core::rules::Attestation>,
    /// Whether the messages of audited Arrow batches name the row ("row 12, column chip: …"),
    /// counted from the first row of the stream. Off where rows have no number a reader could
    /// find them by (each Spark task audits a partition of its own): a message is on its row.
    pub row_numbers: bool,
}

impl Options {
    /// Default options for a date.
    pub fn new(default_date: Date) -> Options {
        Options {
            default_date,
            columns: Vec::new(),
            json: false,
            limits: Limits::default(),
            delimiter: None,
            encoding: None,
            date_format: None,
            stamp: false,
            exporter: None,
            ship_from: None,
            exporter_role: None,
            attested_by: Vec::new(),
            row_numbers: true,
        }
    }
}

/// Why an audit stopped: the file is unusable, or the output failed. Bad rows never stop it.
/// Each message leaves its cause to [`std::error::Error::source`], so a chain is said once.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The header cannot be audited.
    #[error(transparent)]
    Header(HeaderError),
    /// The input could not be read.
    #[error("cannot read the input")]
    Read(#[source] csv::Error),
    /// The output could not be written.
    #[error("cannot write the output")]
    Write(#[source] io::Error),
    /// A query could not be evaluated (an inconsistent rule set).
    #[error("cannot evaluate")]
    Eval(#[source] EvalError),
    /// A column the audit reads holds cells of a type it cannot read as text.
    #[error("the column `{column}` is of type {data_type}, which the audit cannot read; give it as strings, numbers, booleans or dates")]
    ColumnType {
        /// The column's name.
        column: String,
        /// Its Arrow type.
        data_type: String,
    },
    /// An Arrow batch could not be read or built.
    #[error("cannot read or build an Arrow batch")]
    Arrow(#[source] ::arrow_schema::ArrowError),
    /// A decision could not be rendered as JSON.
    #[error("cannot render JSON")]
    Json(#[source] serde_json::Error),
    /// A worker thread stopped unexpectedly (a bug).
    #[error("an audit thread stopped unexpectedly")]
    Worker,
    /// [`Options::ship_from`] names no country of the rule set.
    #[error("unknown ship-from country `{0}`; use an ISO 3166-1 alpha-2 code such as `SG` or a name such as `Singapore`")]
    UnknownShipFrom(String),
}

impl AuditError {
    /// The error and its causes, each said once, as one line.
    pub fn message(&self) -> String {
        let mut text = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(c) = cause {
            text = format!("{text}: {c}");
            cause = c.source();
        }
        text
    }

    /// For an input that could not be read because the reader failed with an error of its own
    /// (an `io::Error` made from another error: an upload over its limit, say), that error.
    pub fn read_cause(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        match self {
            AuditError::Read(e) => match e.kind() {
                csv::ErrorKind::Io(io) => io.get_ref(),
                _ => None,
            },
            _ => None,
        }
    }
}

impl From<MemoError> for AuditError {
    fn from(e: MemoError) -> Self {
        match e {
            MemoError::Eval(e) => AuditError::Eval(e),
            MemoError::Json(e) => AuditError::Json(e),
        }
    }
}

/// Audits a CSV stream: writes one row to the sink per input row, in order, and returns the
/// totals. Fails only when the file is unusable (no usable header, unreadable) or the sink fails.
///
/// One thread parses the input into batches of records; worker threads (as many as there are
/// cores, up to four) each take whole batches, read their rows into queries, evaluate them
/// through their own memo, count them, and format them when the sink is one of the audit's
/// own byte sinks ([`CsvSink`], [`JsonlSink`]); the calling thread hands the batches to the
/// sink in input order.
pub fn audit<R: Read + Send>(rs: &RuleSet, opts: &Options, input: R, sink: &mut dyn Sink) -> Result<Summary, AuditError> {
    // A sink that writes JSON gets it, whatever the options say.
    let with_json;
    let opts = if sink.blocks().is_some_and(|b| b.json()) && !opts.json {
        with_json = Options { json: true, ..opts.clone() };
        &with_json
    } else {
        opts
    };
    if let Some(from) = opts.ship_from.as_deref().filter(|f| rs.countries.resolve(f).is_none()) {
        return Err(AuditError::UnknownShipFrom(from.to_string()));
    }
    let (input, encoding, decoded) = decode::decoded(input, opts.encoding).map_err(|e| AuditError::Read(e.into()))?;
    let decoded = decoded.then_some(encoding);
    let (rdr, header, columns) = begin(input, opts, &rs.version(), sink)?;
    let input_format =
        InputFormat { delimiter: char::from(rdr.delimiter()).to_string(), encoding: encoding.name().to_string(), columns: columns.used() };
    // The reading thread keeps a core busy; the workers get the others (at least one). On 2
    // cores one worker beside it took 404 ms of CPU for the 1 M-row bench against 462 ms for
    // two, each of which warms caches of its own (wall 0.29 s against 0.31 s). JSON rows cost
    // the workers far more than reading them costs, so there the workers get every core.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers = if opts.json { cores } else { cores - 1 }.clamp(1, MAX_WORKERS);
    let format = sink.blocks().map(|b| b.format());
    let fields = format.as_ref().map_or_else(|| sink.needs_fields(), |f| f.needs_fields());
    // The workers share the queue of batches to do; the reading thread stops (and so do the
    // workers) when the batches it waits for can no longer come back.
    let (work_tx, work_rx) = mpsc::channel::<Batch>();
    let work_rx = Mutex::new(work_rx);
    let shared = Shared::new(rs, opts.json);
    let counter = std::thread::scope(|scope| {
        let (done_tx, done_rx) = mpsc::channel::<Result<Batch, AuditError>>();
        let (recycle_tx, recycle_rx) = mpsc::channel();
        let fail = done_tx.clone();
        let width = header.len();
        let rows = if opts.json { ahead::BATCH_JSON } else { ahead::BATCH };
        scope.spawn(move || ahead::read_ahead(rdr, width, rows, 2 * workers + 2, work_tx, recycle_rx, fail));
        let mut handles = Vec::new();
        for _ in 0..workers {
            let reader = Reader::new(rs, opts, columns.clone(), decoded);
            let mut w = Worker::new(rs, &shared, workers, opts, reader, format.clone(), fields);
            let (work_rx, done_tx) = (&work_rx, done_tx.clone());
            handles.push(scope.spawn(move || {
                // A worker that panics (a bug) says so, or the writer would wait for its batch.
                let guard = PanicNotice(&done_tx);
                while let Some(mut b) = work_rx.lock().ok().and_then(|rx| rx.recv().ok()) {
                    let r = w.batch(&mut b).map(|()| b);
                    let failed = r.is_err();
                    if guard.0.send(r).is_err() || failed {
                        break;
                    }
                }
                w.eval.counter
            }));
        }
        drop(done_tx);
        let written = write_in_order(done_rx, &recycle_tx, sink, format.is_some(), fields);
        // Stops the reading thread if it waits for a batch, and so the workers.
        drop(recycle_tx);
        let total = join_counts(rs, handles);
        written?;
        total
    })?;
    sink.finish().map_err(AuditError::Write)?;
    Ok(counter.finish(rs, opts.default_date, shared.evaluations(), input_format))
}

/// The counts of the worker threads, added up once they have all ended;
/// [`AuditError::Worker`] if one of them panicked.
pub(crate) fn join_counts(rs: &RuleSet, handles: Vec<std::thread::ScopedJoinHandle<'_, Counter>>) -> Result<Counter, AuditError> {
    let mut total = Some(Counter::new(rs.countries.all().len()));
    for h in handles {
        total = match (total, h.join()) {
            (Some(t), Ok(c)) => Some(t.merge(c)),
            _ => None,
        };
    }
    total.ok_or(AuditError::Worker)
}

/// A row's outcome as a sink sees it.
fn outcome<F: AsRef<Finding>>(got: &Result<F, RowError>) -> Outcome<'_> {
    match got {
        Ok(f) => Outcome::Evaluated(f.as_ref()),
        Err(e) => Outcome::Error(e),
    }
}

/// Sends [`AuditError::Worker`] when dropped by a panicking thread.
pub(crate) struct PanicNotice<'a, T>(pub &'a mpsc::Sender<Result<T, AuditError>>);

impl<T> Drop for PanicNotice<'_, T> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let _ = self.0.send(Err(AuditError::Worker));
        }
    }
}

/// The most worker threads: past a few, the reading thread is the bottleneck.
pub(crate) const MAX_WORKERS: usize = 4;

/// Hands evaluated batches to the sink in input order, and returns them to the reading thread.
fn write_in_order(
    done: mpsc::Receiver<Result<Batch, AuditError>>,
    recycle: &mpsc::Sender<Batch>,
    sink: &mut dyn Sink,
    formatted: bool,
    fields: bool,
) -> Result<(), AuditError> {
    let mut waiting = BTreeMap::new();
    let mut next = 0;
    let mut rec = ByteRecord::new();
    for b in done {
        let b = b?;
        waiting.insert(b.seq, b);
        while let Some(b) = waiting.remove(&next) {
            if formatted {
                match sink.blocks() {
                    Some(blocks) => blocks.block(&b.out).map_err(AuditError::Write)?,
                    None => return Err(AuditError::Write(std::io::Error::other("the sink no longer takes formatted rows"))),
                }
            } else {
                for (r, (got, warning, date)) in b.records().zip(&b.done) {
                    r.fields_into(&mut rec, fields);
                    let row = Row {
                        number: r.number,
                        line: r.line,
                        fields: &rec,
                        raw: r.raw,
                        outcome: outcome(got),
                        warning: warning.as_ref(),
                        date: *date,
                    };
                    sink.row(&row).map_err(AuditError::Write)?;
                }
            }
            next += 1;
            let _ = recycle.send(b);
        }
    }
    Ok(())
}

/// Reads the header, maps its columns and hands it to the sink.
fn begin<R: Read>(
    input: R,
    opts: &Options,
    rules_version: &str,
    sink: &mut dyn Sink,
) -> Result<(Scanner<R>, ByteRecord, Columns), AuditError> {
    let read = |e: io::Error| AuditError::Read(e.into());
    let mut scan = Scanner::new(input).map_err(read)?;
    scan.limits = opts.limits;
    let delimiter = opts.delimiter.unwrap_or_else(|| scan.detect_delimiter());
    scan.set_delimiter(delimiter);
    let bom = scan.bom;
    let (mut buf, mut fields, mut bounds, mut header) = (Vec::new(), Vec::new(), Vec::new(), ByteRecord::new());
    scan.begin(&mut buf);
    let span = scan.record(&mut buf, &mut fields, &mut bounds).map_err(read)?;
    if span.is_some_and(|s| s.over.is_some()) {
        return Err(AuditError::Header(HeaderError::TooLarge { limits: opts.limits }));
    }
    // A header left inside a quote is written again from its fields, or the quote would
    // swallow the audit's columns.
    let open = span.is_some_and(|s| s.open);
    let copied = span.is_none_or(|s| s.copied);
    scan::Fields { bytes: if copied { &fields } else { &buf }, bounds: &bounds }.copy_to(&mut header);
    let columns = Columns::new(&header, &opts.columns).map_err(AuditError::Header)?;
    if opts.stamp {
        stamp_clash(&columns)?;
    }
    let end = scan.taken();
    scan.peek(&mut buf).map_err(read)?;
    let byte = |i: usize| buf.get(i).copied();
    // The parser stops after the `\r` of a CRLF, or after its `\n`.
    let crlf = (end.checked_sub(1).and_then(byte) == Some(b'\n') && end.checked_sub(2).and_then(byte) == Some(b'\r'))
        || (end.checked_sub(1).and_then(byte) == Some(b'\r') && byte(end) == Some(b'\n'));
    let raw = buf.get(..end).map(ahead::trim_eol).filter(|_| !open);
    let stamp = opts.stamp.then_some(rules_version);
    sink.begin(&Header { record: &header, raw, columns: &columns, bom, crlf, delimiter, stamp }).map_err(AuditError::Write)?;
    scan.end(&buf);
    Ok((scan, header, columns))
}

/// Refuses a header with a column named like one of the [`STAMP_COLUMNS`] (matched as header
/// names are: trimmed, in any case, spaces and hyphens as `_`): the output would have two.
fn stamp_clash(columns: &Columns) -> Result<(), AuditError> {
    let present: Vec<String> =
        columns.names().iter().filter(|n| STAMP_COLUMNS.contains(&columns::header_key(n).as_str())).cloned().collect();
    if present.is_empty() {
        return Ok(());
    }
    Err(AuditError::Header(HeaderError::AuditColumns { present, all: false }))
}

/// The evaluating side of an audit: one per worker thread, with its own caches and counts.
struct Worker<'r> {
    eval: Evaluator<'r>,
    format: Option<Arc<dyn Format>>,
    /// Whether rows given with their bytes need their fields too.
    fields: bool,
    /// The fields of the row being formatted, when needed.
    rec: ByteRecord,
}

impl<'r> Worker<'r> {
    fn new(
        rs: &'r RuleSet,
        shared: &'r Shared,
        workers: usize,
        opts: &Options,
        reader: Reader<'r>,
        format: Option<Arc<dyn Format>>,
        fields: bool,
    ) -> Worker<'r> {
        Worker { eval: Evaluator::new(rs, shared, workers, opts, reader), format, fields, rec: ByteRecord::new() }
    }

    /// Reads, evaluates (through the memo) and counts the rows of a batch; formats them into
    /// the batch, or keeps what became of them for the sink.
    fn batch(&mut self, b: &mut Batch) -> Result<(), AuditError> {
        let (mut out, mut done) = (std::mem::take(&mut b.out), std::mem::take(&mut b.done));
        out.clear();
        done.clear();
        let result = self.rows(b, &mut out, &mut done);
        (b.out, b.done) = (out, done);
        result
    }

    fn rows(&mut self, b: &Batch, out: &mut Vec<u8>, done: &mut Vec<Done>) -> Result<(), AuditError> {
        for r in b.records() {
            let (number, line, raw) = (r.number, r.line, r.raw);
            let (got, warning, date) = self.eval.row(number, line, r.fields, r.ragged)?;
            let Some(format) = &self.format else {
                done.push((got.map(Arc::clone), warning, date));
                continue;
            };
            r.fields_into(&mut self.rec, self.fields);
            let row = Row { number, line, fields: &self.rec, raw, outcome: outcome(&got), warning: warning.as_ref(), date };
            format.row(out, &row).map_err(AuditError::Write)?;
        }
        Ok(())
    }
}

/// What became of a row: its finding (shared with the memo) or what is wrong with it, its
/// warnings, and the date it was evaluated as of.
pub(crate) type RowOutcome<'a> = (Result<&'a Arc<Finding>, RowError>, Option<RowError>, Option<Date>);

/// Reads rows into queries, evaluates them through a memo and counts them: the part of a
/// worker that every input path (CSV, workbooks, Arrow batches) shares, so that a row gets
/// one answer whatever it came in.
pub(crate) struct Evaluator<'r> {
    rs: &'r RuleSet,
    shared: &'r Shared,
    reader: Reader<'r>,
    classes: Classes<'r>,
    memo: Memo,
    counter: Counter,
}

impl<'r> Evaluator<'r> {
    pub(crate) fn new(rs: &'r RuleSet, shared: &'r Shared, workers: usize, opts: &Options, reader: Reader<'r>) -> Evaluator<'r> {
        Evaluator {
            rs,
            shared,
            reader,
            classes: Classes::new(rs, opts.json || rs.replaces_identities()),
            memo: Memo::new(rs, workers),
            counter: Counter::new(rs.countries.all().len()),
        }
    }

    /// Reads, evaluates and counts one row (`ragged`: what is wrong with its shape, if anything).
    pub(crate) fn row(
        &mut self,
        number: u64,
        line: u64,
        fields: scan::Fields<'_>,
        ragged: Option<&Problem>,
    ) -> Result<RowOutcome<'_>, AuditError> {
        let parsed = match ragged {
            Some(p) => Err(vec![p.clone()]),
            None => self.reader.parse(fields),
        };
        Ok(match parsed {
            Ok(p) => {
                let tables = row::Tables { parties: &self.reader.party_table, composites: &self.reader.composites };
                let f = self.memo.get(self.rs, self.shared, &mut self.classes, (&p.key, tables), p.date)?;
                self.counter.evaluated(f.verdict, p.key.dest, p.date, p.quantity);
                let eccn = self.reader.eccn_warning(fields, f);
                let mut warning = None;
                if p.warning.is_some() || eccn.is_some() {
                    let problems: Vec<Problem> = p.warning.map(|w| *w).into_iter().chain(eccn).collect();
                    problems.iter().for_each(|w| self.counter.warning(w.kind));
                    warning = Some(RowError { row: number, line, problems });
                }
                (Ok(f), warning, Some(p.date))
            }
            Err(problems) => {
                let err = RowError { row: number, line, problems };
                self.counter.error(err.problems.iter().map(|p| p.kind));
                (Err(err), None, None)
            }
        })
    }
}
