//! Streaming CSV audit of shipment lists: every row is read into a query, evaluated (memoised
//! per distinct chip, destination, end user and rule period), and written to a [`Sink`] with its
//! verdict, or with an error naming the row and column. Rows are never dropped, the input is
//! never held whole, and the library never prints: totals come back as a [`Summary`].
//!
//! ```
//! use chipgate::audit::{audit, CsvSink, Options};
//! use chipgate::RuleSet;
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

use std::io::{self, Read};
use std::sync::mpsc;

use csv::ByteRecord;
use jiff::civil::Date;

mod ahead;
mod behind;
mod classes;
mod columns;
mod hash;
mod memo;
mod row;
mod scan;
mod sink;
mod summary;

pub use behind::WriteBehind;
pub use columns::{parse_mappings, Columns, Field, HeaderError};
pub use memo::{Finding, OUTPUT_COLUMNS};
pub use row::{ErrorKind, Problem, RowError};
pub use sink::{csv_field, CsvSink, Header, JsonlSink, Outcome, Row, Sink};
pub use summary::{DateRange, DestinationTally, ErrorTally, Summary, Tally, VerdictCount, VerdictTally};

use crate::{EvalError, RuleSet};
use ahead::Interpreter;
use classes::Classes;
use memo::{Memo, MemoError};
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
}

impl Options {
    /// Default options for a date.
    pub fn new(default_date: Date) -> Options {
        Options { default_date, columns: Vec::new(), json: false }
    }
}

/// Why an audit stopped: the file is unusable, or the output failed. Bad rows never stop it.
#[derive(Debug)]
pub enum AuditError {
    /// The header cannot be audited.
    Header(HeaderError),
    /// The input could not be read.
    Read(csv::Error),
    /// The output could not be written.
    Write(io::Error),
    /// A query could not be evaluated (an inconsistent rule set).
    Eval(EvalError),
    /// A decision could not be rendered as JSON.
    Json(serde_json::Error),
}

impl std::fmt::Display for AuditError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuditError::Header(e) => write!(f, "{e}"),
            AuditError::Read(e) => write!(f, "cannot read the input: {e}"),
            AuditError::Write(e) => write!(f, "cannot write the output: {e}"),
            AuditError::Eval(e) => write!(f, "cannot evaluate: {e}"),
            AuditError::Json(e) => write!(f, "cannot render JSON: {e}"),
        }
    }
}

impl std::error::Error for AuditError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AuditError::Header(e) => Some(e),
            AuditError::Read(e) => Some(e),
            AuditError::Write(e) => Some(e),
            AuditError::Eval(e) => Some(e),
            AuditError::Json(e) => Some(e),
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
/// The input is parsed on a second thread while this one evaluates and writes.
pub fn audit<R: Read + Send>(rs: &RuleSet, opts: &Options, input: R, sink: &mut dyn Sink) -> Result<Summary, AuditError> {
    let (rdr, header, columns) = begin(input, opts, sink)?;
    // The reading thread owns what it reads per row (shared with the writing thread's hot
    // data, a cache line would bounce between the cores).
    let interp = Interpreter { reader: Reader::new(rs, opts.default_date), columns, width: header.len() };
    let fields = sink.needs_fields();
    let counter = Counter::new(rs.countries.all().len());
    let classes = Classes::new(rs, opts.json);
    let mut out = Writer { rs, memo: Memo::new(opts.json), classes, counter, number: 0, fields, rec: ByteRecord::new() };
    std::thread::scope(|scope| {
        let (full_tx, full_rx) = mpsc::sync_channel(ahead::IN_FLIGHT);
        let (empty_tx, empty_rx) = mpsc::channel();
        scope.spawn(move || ahead::read_ahead(rdr, interp, full_tx, empty_rx));
        for batch in full_rx {
            let batch = batch.map_err(AuditError::Read)?;
            for r in batch.records() {
                out.row(&r, sink)?;
            }
            let _ = empty_tx.send(batch);
        }
        Ok::<(), AuditError>(())
    })?;
    sink.finish().map_err(AuditError::Write)?;
    Ok(out.counter.finish(rs, opts.default_date, out.memo.evaluations))
}

/// Reads the header, maps its columns and hands it to the sink.
fn begin<R: Read>(input: R, opts: &Options, sink: &mut dyn Sink) -> Result<(Scanner<R>, ByteRecord, Columns), AuditError> {
    let read = |e: io::Error| AuditError::Read(e.into());
    let mut scan = Scanner::new(input).map_err(read)?;
    let bom = scan.bom;
    let (mut buf, mut fields, mut bounds, mut header) = (Vec::new(), Vec::new(), Vec::new(), ByteRecord::new());
    scan.begin(&mut buf);
    let copied = scan.record(&mut buf, &mut fields, &mut bounds).map_err(read)?.is_none_or(|s| s.copied);
    scan::Fields { bytes: if copied { &fields } else { &buf }, bounds: &bounds }.copy_to(&mut header);
    let columns = Columns::new(&header, &opts.columns).map_err(AuditError::Header)?;
    let end = scan.taken();
    scan.peek(&mut buf).map_err(read)?;
    let byte = |i: usize| buf.get(i).copied();
    // The parser stops after the `\r` of a CRLF, or after its `\n`.
    let crlf = (end.checked_sub(1).and_then(byte) == Some(b'\n') && end.checked_sub(2).and_then(byte) == Some(b'\r'))
        || (end.checked_sub(1).and_then(byte) == Some(b'\r') && byte(end) == Some(b'\n'));
    let raw = buf.get(..end).map(ahead::trim_eol);
    sink.begin(&Header { record: &header, raw, columns: &columns, bom, crlf }).map_err(AuditError::Write)?;
    scan.end(&buf);
    Ok((scan, header, columns))
}

/// The evaluating and writing side of an audit.
struct Writer<'r> {
    rs: &'r RuleSet,
    memo: Memo,
    classes: Classes<'r>,
    counter: Counter,
    number: u64,
    /// Whether the sink needs the fields of rows it gets the bytes of.
    fields: bool,
    /// The fields of the row being written, when needed.
    rec: ByteRecord,
}

impl Writer<'_> {
    /// Evaluates a record read ahead (through the memo), counts it and hands it to the sink.
    fn row(&mut self, r: &ahead::Record<'_>, sink: &mut dyn Sink) -> Result<(), AuditError> {
        self.number += 1;
        if self.fields || r.raw.is_none() {
            r.fields.copy_to(&mut self.rec);
        } else {
            self.rec.clear();
        }
        let (number, line, fields, raw) = (self.number, r.line, &self.rec, r.raw);
        let written = match r.row {
            Ok(p) => {
                let class = self.classes.key(&p.key, p.date);
                let f = self.memo.get(self.rs, class, &p.key, p.date)?;
                self.counter.evaluated(f.verdict, p.key.dest, p.date, p.quantity);
                sink.row(&Row { number, line, fields, raw, outcome: Outcome::Evaluated(f) })
            }
            Err(problems) => {
                let err = RowError { row: number, line, problems: problems.clone() };
                self.counter.error(err.problems.iter().map(|p| p.kind), 0);
                sink.row(&Row { number, line, fields, raw, outcome: Outcome::Error(&err) })
            }
        };
        written.map_err(AuditError::Write)
    }
}
