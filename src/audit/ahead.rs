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
    /// The records' fields, one after another, and where each field ends (from the start of
    /// its record's fields).
    fields: Vec<u8>,
    ends: Vec<usize>,
    /// Per record: where its fields start in `fields`, and its ends in `ends`.
    recs: Vec<(usize, usize, usize)>,
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
        self.recs.iter().take(self.len).zip(&self.spans).zip(&self.rows).map(|((&(f, e, n), &(s, end, line, exact)), row)| Record {
            fields: fields_at(&self.fields, &self.ends, f, e, n),
            raw: self.raw.get(s..end).filter(|_| exact),
            line,
            row,
        })
    }
}

/// The fields of a record whose fields start at `f` and ends at `e` (`n` of them).
fn fields_at<'a>(fields: &'a [u8], ends: &'a [usize], f: usize, e: usize, n: usize) -> Fields<'a> {
    Fields { bytes: fields.get(f..).unwrap_or_default(), ends: ends.get(e..e + n).unwrap_or_default() }
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

/// Fits a ragged record (its fields from `f` in `fields`, its ends from `e` in `ends`, the last
/// ones) to the header's width in place, and describes what was done.
fn ragged(fields: &mut Vec<u8>, ends: &mut Vec<usize>, f: usize, e: usize, width: usize) -> Problem {
    let have = ends.len().saturating_sub(e);
    let message = if have < width {
        let last = ends.last().copied().filter(|_| have > 0).unwrap_or(0);
        ends.resize(e + width, last);
        format!("{have} field{} where the header has {width}; padded with empty fields, not evaluated", if have == 1 { "" } else { "s" })
    } else {
        let rec = fields_at(fields, ends, f, e, have);
        let extra: Vec<String> = rec.iter().skip(width).map(|f| format!("`{}`", String::from_utf8_lossy(f))).collect();
        let cut = width.checked_sub(1).and_then(|i| ends.get(e + i)).copied().unwrap_or(0);
        fields.truncate(f + cut);
        ends.truncate(e + width);
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
    b.ends.clear();
    scan.begin(&mut b.raw);
    let mut result = (true, None);
    while b.len < BATCH && scan.taken() < BATCH_BYTES {
        let (f, e) = (b.fields.len(), b.ends.len());
        let span = match scan.record(&mut b.raw, &mut b.fields, &mut b.ends) {
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
        let whole = b.ends.len() - e == interp.width;
        let row = if whole {
            interp.interpret(fields_at(&b.fields, &b.ends, f, e, interp.width))
        } else {
            Err(vec![ragged(&mut b.fields, &mut b.ends, f, e, interp.width)])
        };
        b.spans.push((span.start + s, span.start + end, span.line + breaks, whole && (end > s || b.fields.len() == f)));
        b.recs.push((f, e, interp.width));
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
