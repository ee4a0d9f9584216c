//! The audit of Arrow record batches: each batch comes back with the audit's columns appended,
//! for shipment histories that live in Parquet files, data frames and Spark rather than CSV.
//!
//! A row is read exactly as the same row of a CSV file would be: each cell a column mapping
//! names is written as the text a CSV export would hold (a string as it is, an integer or a
//! float in its shortest form, a boolean as `true`/`false`, a `date32`/`date64` as
//! `YYYY-MM-DD`, a timestamp as the calendar date in its time zone, UTC without one; null as
//! an empty cell) and handed to the same reader, memo and counts as the CSV path
//! (the crate's `Evaluator`), so that verdicts, errors and their messages are the same. The input
//! columns are passed through untouched (shared, not copied).
//!
//! The appended columns, in [`OUTPUT_COLUMNS`] order: `eccn`, `exceptions`, `review_policy`,
//! `verdict`, `reasons` and `error` as UTF-8 strings (lists joined by `; `, as in the CSV), and
//! `license_required` as a boolean. A row that could not be evaluated has `verdict` `error`,
//! its problems in `error`, and nulls in the other five; a row evaluated with a warning has it
//! in `error` (`warning: …`). With [`Options::stamp`], `rules_version` (string) and `as_of`
//! (`date32`) follow.

use std::collections::BTreeMap;
use std::sync::{mpsc, Arc, Mutex};

use arrow_array::builder::{BooleanBuilder, Date32Builder, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch, RecordBatchReader};
use arrow_schema::{ArrowError, DataType, Field as ArrowField, Schema, SchemaRef, TimeUnit};
use csv::ByteRecord;
use jiff::civil::Date;

use std::io;

use super::ahead::Done;
use super::columns::{Columns, Field};
use super::memo::{Finding, Shared, OUTPUT_COLUMNS};
use super::row::{Reader, RowError};
use super::scan::Fields;
use super::summary::InputFormat;
use super::{AuditError, Evaluator, Header, Options, Outcome, Row, Sink, Summary, STAMP_COLUMNS};
use chipgate_core::RuleSet;

/// The schema of the audited batches of an input schema: its fields, then the audit's.
pub fn output_schema(input: &Schema, opts: &Options) -> SchemaRef {
    let mut fields: Vec<ArrowField> = input.fields().iter().map(|f| f.as_ref().clone()).collect();
    for name in OUTPUT_COLUMNS {
        let kind = if name == "license_required" { DataType::Boolean } else { DataType::Utf8 };
        fields.push(ArrowField::new(name, kind, true));
    }
    if opts.stamp {
        fields.push(ArrowField::new(STAMP_COLUMNS[0], DataType::Utf8, false));
        fields.push(ArrowField::new(STAMP_COLUMNS[1], DataType::Date32, true));
    }
    Arc::new(Schema::new_with_metadata(fields, input.metadata().clone()))
}

/// Audits a stream of record batches of one schema: hands each audited batch (the input's
/// columns, then the audit's, see [`output_schema`]) to `out`, in order, and returns the
/// totals. The columns are found by name as a CSV header's are (with `opts.columns` for the
/// rest); a column the audit reads must be of a type it can read as text (strings of any
/// kind, dictionary-encoded strings, integers, floats, decimals, booleans, dates,
/// timestamps). Fails when the schema cannot be audited, a batch cannot be read, or `out`
/// fails; bad rows never stop it.
pub fn audit_batches<I>(
    rs: &RuleSet,
    opts: &Options,
    schema: &Schema,
    batches: I,
    out: &mut dyn FnMut(RecordBatch) -> Result<(), ArrowError>,
) -> Result<Summary, AuditError>
where
    I: IntoIterator<Item = Result<RecordBatch, ArrowError>>,
{
    let mut emit = ToBatches { build: Build { schema: output_schema(schema, opts), stamp: opts.stamp, numbered: opts.row_numbers }, out };
    drive(rs, opts, schema, batches, &mut emit)
}

/// An audit of a stream of record batches, running on a thread of its own and read as a stream
/// of audited batches: for a consumer that pulls batches (Arrow's C stream interface, a Spark
/// task), so that the input is read only as fast as the output is taken, and one memo serves
/// the whole stream. A failure ends the stream with an error; [`AuditStream::outcome`] then
/// says what became of the audit (its summary, or the error and its causes).
pub struct AuditStream {
    schema: SchemaRef,
    batches: mpsc::Receiver<RecordBatch>,
    thread: Option<std::thread::JoinHandle<Result<Summary, AuditError>>>,
    outcome: StreamOutcome,
}

/// What became of an audit read as a stream, once it ended: its summary, or what stopped it.
pub type StreamOutcome = Arc<Mutex<Option<Result<Summary, String>>>>;

impl AuditStream {
    /// Starts the audit of `input` (see [`audit_batches`] for what it reads).
    pub fn new<R>(rs: Arc<RuleSet>, opts: Options, input: R) -> AuditStream
    where
        R: RecordBatchReader + Send + 'static,
    {
        let input_schema = input.schema();
        let schema = output_schema(&input_schema, &opts);
        let (tx, batches) = mpsc::sync_channel(2);
        let thread = std::thread::spawn(move || {
            let gone = || ArrowError::ExternalError("the reader of the audited batches stopped".into());
            audit_batches(&rs, &opts, &input_schema, input, &mut |b| tx.send(b).map_err(|_| gone()))
        });
        AuditStream { schema, batches, thread: Some(thread), outcome: StreamOutcome::default() }
    }

    /// The summary or the error, shared: set once the stream has ended.
    pub fn outcome(&self) -> StreamOutcome {
        Arc::clone(&self.outcome)
    }
}

impl Iterator for AuditStream {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Ok(b) = self.batches.recv() {
            return Some(Ok(b));
        }
        let result = self.thread.take()?.join().unwrap_or(Err(AuditError::Worker)).map_err(|e| e.message());
        let item = result.as_ref().err().map(|e| Err(ArrowError::ExternalError(e.clone().into())));
        if let Ok(mut o) = self.outcome.lock() {
            *o = Some(result);
        }
        item
    }
}

impl RecordBatchReader for AuditStream {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

/// Audits a stream of record batches into a [`Sink`], as a CSV file of the same cells would
/// be (each cell as the text [`audit_batches`] reads it): for CSV, JSON lines, tables or a
/// workbook out of Parquet or Arrow in.
pub fn audit_batches_to_sink<I>(
    rs: &RuleSet,
    opts: &Options,
    schema: &Schema,
    batches: I,
    sink: &mut dyn Sink,
) -> Result<Summary, AuditError>
where
    I: IntoIterator<Item = Result<RecordBatch, ArrowError>>,
{
    let opts = Options { json: opts.json || sink.blocks().is_some_and(|b| b.json()), ..opts.clone() };
    let mut emit = ToSink { sink, rec: ByteRecord::new(), cell: Vec::new() };
    drive(rs, &opts, schema, batches, &mut emit)
}

/// Where the rows of a batch go once evaluated.
trait Emit {
    /// Before the first row, with the header.
    fn begin(&mut self, header: &ByteRecord, columns: &Columns, stamp: Option<&str>) -> Result<(), AuditError>;
    /// Whether a worker builds the audited batch itself (see [`Evaluated::Built`]); otherwise
    /// it hands back the batch with each row's outcome.
    fn built(&self) -> Option<Build>;
    /// One evaluated batch, in input order.
    fn batch(&mut self, evaluated: Evaluated, version: &str) -> Result<(), AuditError>;
    /// After the last batch.
    fn finish(&mut self) -> Result<(), AuditError>;
}

/// How a worker builds audited batches: their schema, and whether they are stamped.
#[derive(Clone)]
struct Build {
    schema: SchemaRef,
    stamp: bool,
    /// See [`Options::row_numbers`].
    numbered: bool,
}

/// A batch once its rows are evaluated.
enum Evaluated {
    /// The audited batch, built by the worker.
    Built(RecordBatch),
    /// The input batch, the number of its first row, and what became of each row.
    Rows(RecordBatch, u64, Vec<Done>),
}

/// A batch to evaluate: its place in the input, the number of its first row, and the batch.
type Work = (u64, u64, RecordBatch);

/// Reads, evaluates and counts every row of the batches, handing each to `emit`.
///
/// The calling thread reads the batches and hands them, in input order, to `emit`; worker
/// threads (one per core, up to [`crate::MAX_WORKERS`]) each take whole batches, read their rows
/// through an [`Evaluator`] of their own (the memo behind them is shared, so that each class is
/// evaluated once) and, for audited batches, build the audit's columns. A batch is a few
/// thousand rows, so the threads meet once per batch, not per row.
fn drive<I>(rs: &RuleSet, opts: &Options, schema: &Schema, batches: I, emit: &mut dyn Emit) -> Result<Summary, AuditError>
where
    I: IntoIterator<Item = Result<RecordBatch, ArrowError>>,
{
    if let Some(from) = opts.ship_from.as_deref().filter(|f| rs.countries.resolve(f).is_none()) {
        return Err(AuditError::UnknownShipFrom(from.to_string()));
    }
    let header: ByteRecord = schema.fields().iter().map(|f| f.name().as_bytes()).collect();
    let columns = Columns::new(&header, &opts.columns).map_err(AuditError::Header)?;
    if opts.stamp {
        super::stamp_clash(&columns)?;
    }
    // The columns read, with their place among the input's; each must be readable as text.
    let read: Vec<usize> = Field::all().filter_map(|f| columns.index(f)).collect();
    for &i in &read {
        let field = schema.field(i);
        if !readable(field.data_type()) {
            return Err(AuditError::ColumnType { column: field.name().clone(), data_type: field.data_type().to_string() });
        }
    }
    let version = rs.version();
    emit.begin(&header, &columns, opts.stamp.then_some(version.as_str()))?;
    let input = InputFormat { delimiter: String::new(), encoding: "Arrow".to_string(), columns: columns.used() };
    let shared = Shared::new(rs, opts.json);
    let build = emit.built();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, super::MAX_WORKERS);
    let (work_tx, work_rx) = mpsc::sync_channel::<Work>(workers);
    let work_rx = Mutex::new(work_rx);
    let (done_tx, done_rx) = mpsc::channel::<Result<(u64, Evaluated), AuditError>>();
    let counter = std::thread::scope(|scope| {
        let mut handles = Vec::new();
        for _ in 0..workers {
            let reader = Reader::new(rs, opts, columns.clone(), None);
            let mut eval = Evaluator::new(rs, &shared, workers, opts, reader);
            let (work_rx, done_tx, read, build, version) = (&work_rx, done_tx.clone(), &read, build.clone(), version.as_str());
            let width = schema.fields().len();
            handles.push(scope.spawn(move || {
                // A worker that panics (a bug) says so, or the batches would wait for it.
                let guard = super::PanicNotice(&done_tx);
                let mut cells = Cells { bytes: Vec::new(), bounds: vec![(0, 0); width] };
                while let Some((seq, first, batch)) = work_rx.lock().ok().and_then(|rx| rx.recv().ok()) {
                    let r = evaluate(&mut eval, &mut cells, read, &batch, first)
                        .and_then(|done| finish_batch(build.as_ref(), batch, first, done, version));
                    let failed = r.is_err();
                    if guard.0.send(r.map(|e| (seq, e))).is_err() || failed {
                        break;
                    }
                }
                eval.counter
            }));
        }
        drop(done_tx);
        let written = feed(batches, schema, workers, &work_tx, &done_rx, emit, &version);
        // Stops the workers: no more batches come.
        drop(work_tx);
        drop(done_rx);
        let total = super::join_counts(rs, handles);
        written?;
        total
    })?;
    emit.finish()?;
    Ok(counter.finish(rs, opts.default_date, shared.evaluations(), input))
}

/// The cells a worker reads of the row at hand, as text, and where each is.
struct Cells {
    bytes: Vec<u8>,
    bounds: Vec<(usize, usize)>,
}

/// Hands the batches to the workers and what they give back to `emit`, in input order, with
/// at most two batches per worker under way.
fn feed<I>(
    batches: I,
    schema: &Schema,
    workers: usize,
    work: &mpsc::SyncSender<Work>,
    done: &mpsc::Receiver<Result<(u64, Evaluated), AuditError>>,
    emit: &mut dyn Emit,
    version: &str,
) -> Result<(), AuditError>
where
    I: IntoIterator<Item = Result<RecordBatch, ArrowError>>,
{
    let mut waiting = BTreeMap::new();
    let (mut sent, mut next, mut rows) = (0u64, 0u64, 0u64);
    let mut take = |waiting: &mut BTreeMap<u64, Evaluated>, next: &mut u64| -> Result<(), AuditError> {
        let (seq, e) = done.recv().map_err(|_| AuditError::Worker)??;
        waiting.insert(seq, e);
        while let Some(e) = waiting.remove(next) {
            emit.batch(e, version)?;
            *next += 1;
        }
        Ok(())
    };
    for batch in batches {
        let batch = batch.map_err(AuditError::Arrow)?;
        if batch.schema().fields() != schema.fields() {
            return Err(AuditError::Arrow(ArrowError::SchemaError(format!(
                "a batch's columns differ from the first schema's: {} against {}",
                batch.schema(),
                schema
            ))));
        }
        while sent - next >= 2 * workers as u64 {
            take(&mut waiting, &mut next)?;
        }
        let n = batch.num_rows() as u64;
        work.send((sent, rows, batch)).map_err(|_| AuditError::Worker)?;
        (sent, rows) = (sent + 1, rows + n);
    }
    while next < sent {
        take(&mut waiting, &mut next)?;
    }
    Ok(())
}

/// Reads, evaluates and counts the rows of a batch whose first row is row `first + 1`.
fn evaluate(eval: &mut Evaluator<'_>, cells: &mut Cells, read: &[usize], batch: &RecordBatch, first: u64) -> Result<Vec<Done>, AuditError> {
    let mut done = Vec::with_capacity(batch.num_rows());
    for r in 0..batch.num_rows() {
        let number = first + r as u64 + 1;
        cells.bytes.clear();
        for &i in read {
            let start = cells.bytes.len();
            text(batch.column(i).as_ref(), r, &mut cells.bytes).map_err(AuditError::Arrow)?;
            if let Some(b) = cells.bounds.get_mut(i) {
                *b = (start, cells.bytes.len());
            }
        }
        // One-based rows; the line is the one a CSV file with a header would have, so that
        // messages say the row alone.
        let (got, warning, date) = eval.row(number, number + 1, Fields { bytes: &cells.bytes, bounds: &cells.bounds }, None)?;
        done.push((got.map(Arc::clone), warning, date));
    }
    Ok(done)
}

/// The audited batch, when the worker builds it; else the rows' outcomes.
fn finish_batch(build: Option<&Build>, batch: RecordBatch, first: u64, done: Vec<Done>, version: &str) -> Result<Evaluated, AuditError> {
    let Some(build) = build else { return Ok(Evaluated::Rows(batch, first, done)) };
    let mut added = Appended::new(batch.num_rows(), build.stamp);
    for (got, warning, date) in &done {
        let got = got.as_ref().map(|f| f.as_ref());
        added.push_ref(got, warning.as_ref(), *date, version, build.numbered);
    }
    let mut arrays: Vec<ArrayRef> = batch.columns().to_vec();
    arrays.extend(added.finish());
    RecordBatch::try_new(build.schema.clone(), arrays).map(Evaluated::Built).map_err(AuditError::Arrow)
}

/// Audited batches: the input's columns, then the audit's, to a callback.
struct ToBatches<'o> {
    build: Build,
    out: &'o mut dyn FnMut(RecordBatch) -> Result<(), ArrowError>,
}

impl Emit for ToBatches<'_> {
    fn begin(&mut self, _: &ByteRecord, _: &Columns, _: Option<&str>) -> Result<(), AuditError> {
        Ok(())
    }

    fn built(&self) -> Option<Build> {
        Some(self.build.clone())
    }

    fn batch(&mut self, evaluated: Evaluated, _: &str) -> Result<(), AuditError> {
        match evaluated {
            Evaluated::Built(b) => (self.out)(b).map_err(AuditError::Arrow),
            Evaluated::Rows(..) => Err(AuditError::Worker),
        }
    }

    fn finish(&mut self) -> Result<(), AuditError> {
        Ok(())
    }
}

/// Rows, every cell as text, to a [`Sink`].
struct ToSink<'s> {
    sink: &'s mut dyn Sink,
    rec: ByteRecord,
    /// The cell being written as text (reused from row to row).
    cell: Vec<u8>,
}

impl Emit for ToSink<'_> {
    fn begin(&mut self, header: &ByteRecord, columns: &Columns, stamp: Option<&str>) -> Result<(), AuditError> {
        let h = Header { record: header, raw: None, columns, bom: false, crlf: false, delimiter: b',', stamp };
        self.sink.begin(&h).map_err(AuditError::Write)
    }

    fn built(&self) -> Option<Build> {
        None
    }

    fn batch(&mut self, evaluated: Evaluated, _: &str) -> Result<(), AuditError> {
        let Evaluated::Rows(batch, first, done) = evaluated else { return Err(AuditError::Worker) };
        for (r, (got, warning, date)) in done.iter().enumerate() {
            let number = first + r as u64 + 1;
            self.rec.clear();
            for c in batch.columns() {
                self.cell.clear();
                text(c.as_ref(), r, &mut self.cell).map_err(AuditError::Arrow)?;
                self.rec.push_field(&self.cell);
            }
            let outcome = super::outcome(got);
            let row = Row { number, line: number + 1, fields: &self.rec, raw: None, outcome, warning: warning.as_ref(), date: *date };
            self.sink.row(&row).map_err(AuditError::Write)?;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), AuditError> {
        self.sink.finish().map_err(AuditError::Write)
    }
}

/// A [`Sink`] that gathers audited rows (from a CSV file or a workbook) into record batches of
/// up to [`BatchSink::ROWS`] rows: the input's columns as strings, then the audit's (see
/// [`output_schema`]), handed to a callback, for Parquet or Arrow files out of CSV in.
pub struct BatchSink<'o> {
    out: Box<dyn FnMut(RecordBatch) -> io::Result<()> + 'o>,
    schema: Option<SchemaRef>,
    inputs: Vec<StringBuilder>,
    added: Appended,
    stamp: Option<String>,
    rows: usize,
    sent: bool,
}

impl<'o> BatchSink<'o> {
    /// Rows per batch.
    pub const ROWS: usize = 16 * 1024;

    /// A sink handing each batch to `out` (at least one, empty for an input without rows).
    pub fn new(out: impl FnMut(RecordBatch) -> io::Result<()> + 'o) -> BatchSink<'o> {
        BatchSink {
            out: Box::new(out),
            schema: None,
            inputs: Vec::new(),
            added: Appended::new(0, false),
            stamp: None,
            rows: 0,
            sent: false,
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        let Some(schema) = self.schema.clone() else { return Ok(()) };
        let mut arrays: Vec<ArrayRef> = self.inputs.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef).collect();
        let added = std::mem::replace(&mut self.added, Appended::new(Self::ROWS, self.stamp.is_some()));
        arrays.extend(added.finish());
        let batch = RecordBatch::try_new(schema, arrays).map_err(io::Error::other)?;
        (self.out)(batch)?;
        self.rows = 0;
        self.sent = true;
        Ok(())
    }
}

impl Sink for BatchSink<'_> {
    fn begin(&mut self, h: &Header<'_>) -> io::Result<()> {
        let names: Vec<String> = h.columns.names().to_vec();
        let input = Schema::new(names.iter().map(|n| ArrowField::new(n, DataType::Utf8, false)).collect::<Vec<_>>());
        let opts = Options { stamp: h.stamp.is_some(), ..Options::new(EPOCH) };
        self.schema = Some(output_schema(&input, &opts));
        self.inputs = names.iter().map(|_| StringBuilder::new()).collect();
        self.stamp = h.stamp.map(str::to_string);
        self.added = Appended::new(Self::ROWS, h.stamp.is_some());
        Ok(())
    }

    fn row(&mut self, row: &Row<'_>) -> io::Result<()> {
        for (i, b) in self.inputs.iter_mut().enumerate() {
            b.append_value(String::from_utf8_lossy(row.fields.get(i).unwrap_or_default()));
        }
        let got = match row.outcome {
            Outcome::Evaluated(f) => Ok(f),
            Outcome::Error(e) => Err(e),
        };
        self.added.push_ref(got, row.warning, row.date, self.stamp.as_deref().unwrap_or_default(), true);
        self.rows += 1;
        if self.rows >= Self::ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        if self.rows > 0 || !self.sent {
            self.flush()?;
        }
        Ok(())
    }
}

/// The audit's columns of one batch, as they are built.
struct Appended {
    eccn: StringBuilder,
    license: BooleanBuilder,
    exceptions: StringBuilder,
    review: StringBuilder,
    verdict: StringBuilder,
    reasons: StringBuilder,
    error: StringBuilder,
    stamp: Option<(StringBuilder, Date32Builder)>,
}

impl Appended {
    fn new(rows: usize, stamp: bool) -> Appended {
        let s = || StringBuilder::with_capacity(rows, rows * 8);
        Appended {
            eccn: s(),
            license: BooleanBuilder::with_capacity(rows),
            exceptions: s(),
            review: s(),
            verdict: s(),
            reasons: s(),
            error: s(),
            stamp: stamp.then(|| (s(), Date32Builder::with_capacity(rows))),
        }
    }

    /// One row's columns; its messages name the row when `numbered`.
    fn push_ref(
        &mut self,
        got: Result<&Finding, &RowError>,
        warning: Option<&RowError>,
        date: Option<Date>,
        version: &str,
        numbered: bool,
    ) {
        let said = |e: &RowError| if numbered { e.to_string() } else { e.problems().to_string() };
        match got {
            Ok(f) => {
                self.eccn.append_value(&f.eccn);
                self.license.append_option(f.license_required);
                self.exceptions.append_value(&f.exceptions);
                self.review.append_value(&f.review_policy);
                self.verdict.append_value(f.verdict.as_str());
                self.reasons.append_value(&f.reasons);
                match warning {
                    Some(w) => self.error.append_value(format!("warning: {}", said(w))),
                    None => self.error.append_value(""),
                }
            }
            Err(e) => {
                self.eccn.append_null();
                self.license.append_null();
                self.exceptions.append_null();
                self.review.append_null();
                self.verdict.append_value("error");
                self.reasons.append_null();
                self.error.append_value(said(e));
            }
        }
        if let Some((v, d)) = &mut self.stamp {
            v.append_value(version);
            d.append_option(date.map(days_since_epoch));
        }
    }

    fn finish(mut self) -> Vec<ArrayRef> {
        let mut a: Vec<ArrayRef> = vec![
            Arc::new(self.eccn.finish()),
            Arc::new(self.license.finish()),
            Arc::new(self.exceptions.finish()),
            Arc::new(self.review.finish()),
            Arc::new(self.verdict.finish()),
            Arc::new(self.reasons.finish()),
            Arc::new(self.error.finish()),
        ];
        if let Some((mut v, mut d)) = self.stamp.take() {
            a.push(Arc::new(v.finish()));
            a.push(Arc::new(d.finish()));
        }
        a
    }
}

/// The first day of the Unix epoch, which Arrow's dates count from.
const EPOCH: Date = Date::constant(1970, 1, 1);

fn days_since_epoch(d: Date) -> i32 {
    (d - EPOCH).get_days()
}

/// Whether cells of a type can be read as text.
fn readable(t: &DataType) -> bool {
    match t {
        DataType::Dictionary(_, values) => readable(values),
        DataType::Null | DataType::Boolean | DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Date32 | DataType::Date64 | DataType::Timestamp(_, _) => true,
        DataType::Decimal128(_, _) | DataType::Decimal256(_, _) => true,
        t => t.is_integer() || t.is_floating(),
    }
}

/// Appends the text a CSV export would hold for cell `row` of `a` (nothing for a null).
fn text(a: &dyn Array, row: usize, out: &mut Vec<u8>) -> Result<(), ArrowError> {
    use std::io::Write;
    if a.is_null(row) {
        return Ok(());
    }
    let w = |out: &mut Vec<u8>, v: &dyn std::fmt::Display| write!(out, "{v}").map_err(|e| ArrowError::ExternalError(Box::new(e)));
    match a.data_type() {
        DataType::Utf8 => out.extend_from_slice(a.as_string::<i32>().value(row).as_bytes()),
        DataType::LargeUtf8 => out.extend_from_slice(a.as_string::<i64>().value(row).as_bytes()),
        DataType::Utf8View => out.extend_from_slice(a.as_string_view().value(row).as_bytes()),
        DataType::Boolean => out.extend_from_slice(if a.as_boolean().value(row) { b"true" } else { b"false" }),
        DataType::Int8 => w(out, &a.as_primitive::<Int8Type>().value(row))?,
        DataType::Int16 => w(out, &a.as_primitive::<Int16Type>().value(row))?,
        DataType::Int32 => w(out, &a.as_primitive::<Int32Type>().value(row))?,
        DataType::Int64 => w(out, &a.as_primitive::<Int64Type>().value(row))?,
        DataType::UInt8 => w(out, &a.as_primitive::<UInt8Type>().value(row))?,
        DataType::UInt16 => w(out, &a.as_primitive::<UInt16Type>().value(row))?,
        DataType::UInt32 => w(out, &a.as_primitive::<UInt32Type>().value(row))?,
        DataType::UInt64 => w(out, &a.as_primitive::<UInt64Type>().value(row))?,
        DataType::Float16 => w(out, &a.as_primitive::<arrow_array::types::Float16Type>().value(row))?,
        DataType::Float32 => w(out, &a.as_primitive::<arrow_array::types::Float32Type>().value(row))?,
        DataType::Float64 => w(out, &a.as_primitive::<arrow_array::types::Float64Type>().value(row))?,
        DataType::Decimal128(_, _) => w(out, &a.as_primitive::<arrow_array::types::Decimal128Type>().value_as_string(row))?,
        DataType::Decimal256(_, _) => w(out, &a.as_primitive::<arrow_array::types::Decimal256Type>().value_as_string(row))?,
        DataType::Date32 => {
            let days = a.as_primitive::<Date32Type>().value(row);
            w(out, &EPOCH.checked_add(jiff::Span::new().days(days)).map_err(external)?)?
        }
        DataType::Date64 => {
            let ms = a.as_primitive::<Date64Type>().value(row);
            w(out, &jiff::Timestamp::from_millisecond(ms).map_err(external)?.to_zoned(jiff::tz::TimeZone::UTC).date())?
        }
        DataType::Timestamp(unit, tz) => {
            let v = match unit {
                TimeUnit::Second => a.as_primitive::<arrow_array::types::TimestampSecondType>().value(row),
                TimeUnit::Millisecond => a.as_primitive::<arrow_array::types::TimestampMillisecondType>().value(row),
                TimeUnit::Microsecond => a.as_primitive::<arrow_array::types::TimestampMicrosecondType>().value(row),
                TimeUnit::Nanosecond => a.as_primitive::<arrow_array::types::TimestampNanosecondType>().value(row),
            };
            let nanos = i128::from(v)
                * match unit {
                    TimeUnit::Second => 1_000_000_000,
                    TimeUnit::Millisecond => 1_000_000,
                    TimeUnit::Microsecond => 1_000,
                    TimeUnit::Nanosecond => 1,
                };
            let at = jiff::Timestamp::from_nanosecond(nanos).map_err(external)?;
            // The date on the clock of the column's time zone (an offset or an IANA name).
            let zone = match tz.as_deref() {
                None => jiff::tz::TimeZone::UTC,
                Some(name) => match offset(name) {
                    Some(o) => jiff::tz::TimeZone::fixed(o),
                    None => jiff::tz::TimeZone::get(name)
                        .map_err(|e| ArrowError::InvalidArgumentError(format!("unknown time zone `{name}` of a timestamp column: {e}")))?,
                },
            };
            w(out, &at.to_zoned(zone).date())?
        }
        DataType::Dictionary(_, _) => {
            let d = a.as_any_dictionary();
            text(d.values().as_ref(), key_at(d.keys(), row)?, out)?
        }
        t => return Err(ArrowError::InvalidArgumentError(format!("cells of type {t} cannot be read"))),
    }
    Ok(())
}

/// The place in a dictionary's values of the key of `row`.
fn key_at(keys: &dyn Array, row: usize) -> Result<usize, ArrowError> {
    let k = match keys.data_type() {
        DataType::Int8 => keys.as_primitive::<Int8Type>().value(row) as i64,
        DataType::Int16 => keys.as_primitive::<Int16Type>().value(row) as i64,
        DataType::Int32 => keys.as_primitive::<Int32Type>().value(row) as i64,
        DataType::Int64 => keys.as_primitive::<Int64Type>().value(row),
        DataType::UInt8 => keys.as_primitive::<UInt8Type>().value(row) as i64,
        DataType::UInt16 => keys.as_primitive::<UInt16Type>().value(row) as i64,
        DataType::UInt32 => keys.as_primitive::<UInt32Type>().value(row) as i64,
        DataType::UInt64 => i64::try_from(keys.as_primitive::<UInt64Type>().value(row)).unwrap_or(-1),
        t => return Err(ArrowError::InvalidArgumentError(format!("dictionary keys of type {t}"))),
    };
    usize::try_from(k).map_err(|_| ArrowError::InvalidArgumentError(format!("a negative dictionary key ({k})")))
}

/// A fixed offset written as Arrow writes one (`+08:00`, `-0530`, `+08`), if `name` is one.
fn offset(name: &str) -> Option<jiff::tz::Offset> {
    let (sign, rest) = match name.as_bytes().first()? {
        b'+' => (1, &name[1..]),
        b'-' => (-1, &name[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) || !matches!(digits.len(), 2 | 4) {
        return None;
    }
    let hours: i32 = digits.get(..2)?.parse().ok()?;
    let minutes: i32 = digits.get(2..).filter(|m| !m.is_empty()).map_or(Some(0), |m| m.parse().ok())?;
    jiff::tz::Offset::from_seconds(sign * (hours * 3600 + minutes * 60)).ok()
}

fn external(e: jiff::Error) -> ArrowError {
    ArrowError::ExternalError(Box::new(e))
}
