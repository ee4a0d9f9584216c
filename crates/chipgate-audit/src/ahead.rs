//! Reading ahead: one thread parses the input into batches of records, each with the bytes it
//! was read from, while worker threads evaluate them (see `audit`). Only a fixed
//! number of batches exist, reused over and over, so memory stays a few batches whatever the
//! input size.

use std::io::Read;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;

use csv::ByteRecord;

use super::memo::Finding;
use super::row::{ErrorKind, Problem, RowError};
use super::scan::{Fields, Limits, Over, Scanner, Span};
use super::AuditError;

/// Records per batch, at most.
pub(crate) const BATCH: usize = 4096;

/// Records per batch when rows are written as JSON with their trace (several kilobytes each),
/// so that the formatted batches in flight stay small.
pub(crate) const BATCH_JSON: usize = 64;

/// Input bytes per batch, at most (unless one record is longer).
const BATCH_BYTES: usize = 256 << 10;

/// Fields per batch, at most (unless one record has more): rows padded to a wide header
/// take room whatever their bytes.
const BATCH_FIELDS: usize = 256 << 10;

/// A limit in words: `1 MiB`, or a number of bytes.
pub(crate) fn bytes_in_words(n: usize) -> String {
    match n {
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 && n % (1 << 10) == 0 => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}

/// What makes a record unreadable, if anything: it passed a limit, or the input ended inside
/// one of its quoted fields (its fields would be whatever the quote swallowed).
fn unreadable(span: &Span, limits: Limits) -> Option<Problem> {
    // Nearly every record: nothing to say, and nothing to format.
    if span.over.is_none() && !span.open {
        return None;
    }
    let bytes_limit = bytes_in_words(limits.record_bytes);
    let message = match span.over {
        Some(Over::Bytes) => format!("the record is longer than the limit of {bytes_limit} (--max-record-bytes); skipped to its end"),
        Some(Over::Fields) => format!("the record has more than {} fields, the limit (--max-fields); skipped to its end", limits.fields),
        Some(Over::Quote(line)) => format!(
            "the quote opened on line {line} is not closed within the limit of {bytes_limit} (--max-record-bytes); the lines after it are read as rows"
        ),
        Some(Over::QuoteToEnd) => format!(
            "the record is longer than the limit of {bytes_limit} (--max-record-bytes), and the input ends inside a quoted field of it"
        ),
        None if span.open => "the input ends inside a quoted field: a quote is not closed".to_string(),
        None => return None,
    };
    let kind =
        if span.open || matches!(span.over, Some(Over::Quote(_) | Over::QuoteToEnd)) { ErrorKind::OpenQuote } else { ErrorKind::TooLarge };
    Some(Problem { kind, column: None, message })
}

/// What became of a row, kept for a sink that takes rows one by one: its outcome, its warnings
/// and the date it was evaluated as of.
pub(crate) type Done = (Result<Arc<Finding>, RowError>, Option<RowError>, Option<jiff::civil::Date>);

/// Records read ahead, with the bytes each was read from; then, from a worker, what became of
/// them.
#[derive(Default)]
pub(crate) struct Batch {
    /// The batch's place in the input: batches are numbered from 0.
    pub seq: u64,
    /// Rows in the batches before this one.
    first_row: u64,
    /// Fields per record (the header's).
    width: usize,
    /// The input bytes the records were read from.
    raw: Vec<u8>,
    /// The fields the parser copied out of `raw` (those of records with quoted fields that
    /// are not plain slices of it).
    fields: Vec<u8>,
    /// Where each field of each record is: in `raw`, or in `fields` when copied.
    bounds: Vec<(usize, usize)>,
    /// The records.
    recs: Vec<Rec>,
    /// The records whose shape was wrong (more or fewer fields than the header), by index in
    /// the batch, in order, with what was wrong: few or none in most batches.
    ragged: Vec<(usize, Problem)>,
    /// The rows, formatted by a worker (for a sink with a [`super::Format`]).
    pub out: Vec<u8>,
    /// What became of each row (for a sink without).
    pub done: Vec<Done>,
}

/// Where a record of a batch is.
#[derive(Debug, Clone, Copy)]
struct Rec {
    /// Where its bounds start (there are `width` of them).
    bounds: usize,
    /// Its bytes in `raw`, without line breaks.
    start: usize,
    end: usize,
    /// The line it starts on.
    line: u64,
    /// Whether its fields were copied (into `fields`).
    copied: bool,
    /// Whether its bytes stand for its fields (not for a ragged row, say).
    exact: bool,
}

/// One record of a batch.
pub(crate) struct Record<'a> {
    /// Its row number (one-based; the header is not counted).
    pub number: u64,
    /// The fields, fitted to the header.
    pub fields: Fields<'a>,
    /// The bytes it was read from, when they match the fields.
    pub raw: Option<&'a [u8]>,
    /// The line it starts on.
    pub line: u64,
    /// What is wrong with its shape, if anything.
    pub ragged: Option<&'a Problem>,
}

impl Record<'_> {
    /// Puts the fields a sink gets into `rec`: all of them when it `needs` them or when the
    /// record's bytes do not stand for them; none otherwise.
    pub fn fields_into(&self, rec: &mut ByteRecord, needs: bool) {
        if needs || self.raw.is_none() {
            self.fields.copy_to(rec);
        } else {
            rec.clear();
        }
    }
}

impl Batch {
    /// The records, in input order.
    pub fn records(&self) -> impl Iterator<Item = Record<'_>> {
        let mut ragged = self.ragged.iter().peekable();
        self.recs.iter().enumerate().map(move |(i, r)| Record {
            number: self.first_row + i as u64 + 1,
            fields: Fields {
                bytes: if r.copied { &self.fields } else { &self.raw },
                bounds: self.bounds.get(r.bounds..r.bounds + self.width).unwrap_or_default(),
            },
            raw: if r.exact { self.raw.get(r.start..r.end) } else { None },
            line: r.line,
            ragged: ragged.next_if(|(at, _)| *at == i).map(|(_, p)| p),
        })
    }

    /// Records in the batch.
    pub fn len(&self) -> usize {
        self.recs.len()
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

/// The reading side of an audit: reads batches of up to `rows` records `width` fields wide,
/// numbered in order, and sends them to the workers (`work`), until the input ends, it fails
/// (the error goes to `fail`), or the workers hang up. Takes batches back from `recycled`,
/// making at most `batches` of them.
pub(crate) fn read_ahead<R: Read>(
    mut scan: Scanner<R>,
    width: usize,
    rows: usize,
    batches: usize,
    work: Sender<Batch>,
    recycled: Receiver<Batch>,
    fail: Sender<Result<Batch, AuditError>>,
) {
    let (mut made, mut seq, mut before) = (0, 0, 0);
    loop {
        let mut b = match recycled.try_recv() {
            Ok(b) => b,
            Err(_) if made < batches => {
                made += 1;
                Batch::default()
            }
            Err(_) => match recycled.recv() {
                Ok(b) => b,
                Err(_) => return,
            },
        };
        let (more, error) = fill(&mut scan, width, rows, &mut b);
        (b.seq, b.first_row) = (seq, before);
        if b.len() > 0 {
            seq += 1;
            before += b.len() as u64;
            if work.send(b).is_err() {
                return;
            }
        }
        if let Some(e) = error {
            let _ = fail.send(Err(AuditError::Read(e.into())));
            return;
        }
        if !more {
            return;
        }
    }
}

/// Fills a batch; returns whether more records may follow, and a read error.
fn fill<R: Read>(scan: &mut Scanner<R>, width: usize, rows: usize, b: &mut Batch) -> (bool, Option<std::io::Error>) {
    b.width = width;
    b.ragged.clear();
    b.recs.clear();
    b.fields.clear();
    b.bounds.clear();
    scan.begin(&mut b.raw);
    let mut result = (true, None);
    while b.recs.len() < rows && scan.taken() < BATCH_BYTES && b.bounds.len() < BATCH_FIELDS {
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
        let (s, end, breaks) = span.text.unwrap_or_else(|| {
            let raw = b.raw.get(span.start..span.end).unwrap_or_default();
            // The span starts where the previous record ended: count the line breaks before
            // this one (blank lines, or the `\n` of a CRLF).
            let breaks = raw.iter().take_while(|c| **c == b'\n' || **c == b'\r').filter(|c| **c == b'\n').count() as u64;
            let (s, end) = trim_span(raw);
            (span.start + s, span.start + end, breaks)
        });
        let whole = b.bounds.len() - f == width && span.over.is_none() && !span.open;
        let bytes = if span.copied { &b.fields } else { &b.raw };
        if let Some(p) = unreadable(&span, scan.limits) {
            if span.over.is_some() {
                // Its fields were not kept.
                b.bounds.truncate(f);
                b.bounds.resize(f + width, (0, 0));
            } else if b.bounds.len() - f != width {
                ragged(bytes, &mut b.bounds, f, width);
            }
            b.ragged.push((b.recs.len(), p));
        } else if !whole {
            b.ragged.push((b.recs.len(), ragged(bytes, &mut b.bounds, f, width)));
        }
        // The bytes stand for the fields unless the row was refitted, is blank with fields
        // (which cannot be told from the bytes), or ends inside a quoted field (the input ended
        // there; written back as it was, the quote would swallow the audit's columns).
        let exact = whole && !span.open && (end > s || b.bounds.get(f..).unwrap_or_default().iter().all(|(s, e)| s == e));
        b.recs.push(Rec { bounds: f, start: s, end, line: span.line + breaks, copied: span.copied, exact });
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
pub(crate) fn trim_span(raw: &[u8]) -> (usize, usize) {
    let eol = |b: &u8| *b == b'\n' || *b == b'\r';
    let start = raw.iter().position(|b| !eol(b)).unwrap_or(raw.len());
    let end = raw.iter().rposition(|b| !eol(b)).map_or(start, |i| i + 1);
    (start, end)
}
