//! Reading ahead on a second thread: CSV parsing and reading each row into its query key (the
//! larger half of an audit's work) overlap with evaluating and writing on the caller's thread.
//! Records travel in reusable batches over a bounded channel, so memory stays a few batches
//! whatever the input size.

use std::io::Read;
use std::sync::mpsc::{Receiver, SyncSender};

use super::columns::Columns;
use super::row::{ErrorKind, Parsed, Problem, Reader};
use super::scan::{Fields, Scanner};

/// Records per batch.
const BATCH: usize = 1024;

/// Input bytes per batch, at most (unless one record is longer).
const BATCH_BYTES: usize = 256 << 10;

/// Batches in flight between the threads (bounds memory).
pub(crate) const IN_FLIGHT: usize = 4;

/// A row read: its query key, or what is wrong with it.
pub(crate) type Interpreted = Result<Parsed, Vec<Problem>>;

/// Records read ahead, with the bytes each was read from and what they ask.
#[derive(Default)]
pub(crate) struct Batch {
    len: usize,
    /// The input bytes the records were read from.
    raw: Vec<u8>,
    /// The fields the parser copied out of `raw` (those of records with quoted fields that
    /// are not plain slices of it).
    fields: Vec<u8>,
    /// Where each field of each record is: in `raw`, or in `fields` when copied.
    bounds: Vec<(usize, usize)>,
    /// Per record: where its bounds start, how many, and whether its fields were copied.
    recs: Vec<(usize, usize, bool)>,
    /// Per record: its bytes in `raw` (without line breaks), the line it starts on, and
    /// whether the bytes stand for the fields (not for a ragged row).
    spans: Vec<(usize, usize, u64, bool)>,
    rows: Vec<Interpreted>,
}

/// One record of a batch.
pub(crate) struct Record<'a> {
    /// The fields, fitted to the header.
    pub fields: Fields<'a>,
    /// The bytes it was read from, when they match the fields.
    pub raw: Option<&'a [u8]>,
    /// The line it starts on.
    pub line: u64,
    /// What it asks.
    pub row: &'a Interpreted,
}

impl Batch {
    /// The records, in input order.
    pub fn records(&self) -> impl Iterator<Item = Record<'_>> {
        self.recs.iter().take(self.len).zip(&self.spans).zip(&self.rows).map(|((&(f, n, copied), &(s, end, line, exact)), row)| Record {
            fields: self.fields_at(f, n, copied),
            raw: self.raw.get(s..end).filter(|_| exact),
            line,
            row,
        })
    }
}

impl Batch {
    /// The fields of a record whose bounds start at `f` (`n` of them).
    fn fields_at(&self, f: usize, n: usize, copied: bool) -> Fields<'_> {
        Fields { bytes: if copied { &self.fields } else { &self.raw }, bounds: self.bounds.get(f..f + n).unwrap_or_default() }
    }
}

/// Reads rows into their query keys; lives on the reading thread.
pub(crate) struct Interpreter<'r> {
    pub reader: Reader<'r>,
    pub columns: Columns,
    pub width: usize,
}

impl Interpreter<'_> {
    /// Reads a record with as many fields as the header.
    fn interpret(&mut self, rec: Fields<'_>) -> Interpreted {
        self.reader.parse(&self.columns, rec)
    }
}

/// Fits a ragged record (its fields in `bytes`, their bounds the last ones from `f`) to the
/// header's width in place, and describes what was done.
fn ragged(bytes: &[u8], bounds: &mut Vec<(usize, usize)>, f: usize, width: usize) -> Problem {
    let have = bounds.len().saturating_sub(f);
    let message = if have < width {
        bounds.resize(f + width, (0, 0));
        format!("{have} field{} where the header has {width}; padded with empty fields, not evaluated", if have == 1 { "" } else { "s" })
    } else {
        let rec = Fields { bytes, bounds: bounds.get(f..).unwrap_or_default() };
        let extra: Vec<String> = rec.iter().skip(width).map(|f| format!("`{}`", String::from_utf8_lossy(f))).collect();
        bounds.truncate(f + width);
        format!(
            "{have} fields where the header has {width}; not evaluated; the extra field{} cut from the columns: {}",
            if extra.len() == 1 { " was" } else { "s were" },
            extra.join(", ")
        )
    };
    Problem { kind: ErrorKind::RaggedRow, column: None, message }
}

/// Reads batches until the input ends, an error occurs, or the receiver hangs up.
pub(crate) fn read_ahead<R: Read>(
    mut scan: Scanner<R>,
    mut interp: Interpreter<'_>,
    full: SyncSender<Result<Batch, csv::Error>>,
    empty: Receiver<Batch>,
) {
    loop {
        let mut b = empty.try_recv().unwrap_or_default();
        let (more, error) = fill(&mut scan, &mut interp, &mut b);
        if b.len > 0 && full.send(Ok(b)).is_err() {
            return;
        }
        if let Some(e) = error {
            let _ = full.send(Err(e.into()));
            return;
        }
        if !more {
            return;
        }
    }
}

/// Fills a batch; returns whether more records may follow, and a read error.
fn fill<R: Read>(scan: &mut Scanner<R>, interp: &mut Interpreter<'_>, b: &mut Batch) -> (bool, Option<std::io::Error>) {
    b.len = 0;
    b.spans.clear();
    b.rows.clear();
    b.recs.clear();
    b.fields.clear();
    b.bounds.clear();
    scan.begin(&mut b.raw);
    let mut result = (true, None);
    while b.len < BATCH && scan.taken() < BATCH_BYTES {
        let f = b.bounds.len();
        let span = match scan.record(&mut b.raw, &mut b.fields, &mut b.bounds) {
            Ok(Some(span)) => span,
            Ok(None) => {
                result = (false, None);
                break;
            }
            Err(e) => {
                result = (false, Some(e));
                break;
            }
        };
        let raw = b.raw.get(span.start..span.end).unwrap_or_default();
        // The span starts where the previous record ended: count the line breaks before this
        // one (blank lines, or the `\n` of a CRLF).
        let breaks = raw.iter().take_while(|c| **c == b'\n' || **c == b'\r').filter(|c| **c == b'\n').count() as u64;
        let (s, end) = trim_span(raw);
        let whole = b.bounds.len() - f == interp.width;
        let row = if whole {
            interp.interpret(b.fields_at(f, interp.width, span.copied))
        } else {
            let bytes = if span.copied { &b.fields } else { &b.raw };
            Err(vec![ragged(bytes, &mut b.bounds, f, interp.width)])
        };
        let empty = b.bounds.get(f..).unwrap_or_default().iter().all(|(s, e)| s == e);
        b.spans.push((span.start + s, span.start + end, span.line + breaks, whole && (end > s || empty)));
        b.recs.push((f, interp.width, span.copied));
        b.rows.push(row);
        b.len += 1;
    }
    scan.end(&b.raw);
    result
}

/// A record's bytes without the line breaks around it (blank lines before it, its terminator).
pub(crate) fn trim_eol(raw: &[u8]) -> &[u8] {
    let (s, e) = trim_span(raw);
    raw.get(s..e).unwrap_or_default()
}

/// Where [`trim_eol`] cuts.
fn trim_span(raw: &[u8]) -> (usize, usize) {
    let eol = |b: &u8| *b == b'\n' || *b == b'\r';
    let start = raw.iter().position(|b| !eol(b)).unwrap_or(raw.len());
    let end = raw.iter().rposition(|b| !eol(b)).map_or(start, |i| i + 1);
    (start, end)
}
