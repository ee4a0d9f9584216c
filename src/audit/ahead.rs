//! Reading ahead on a second thread: CSV parsing and reading each row into its query key (the
//! larger half of an audit's work) overlap with evaluating and writing on the caller's thread.
//! Records travel in reusable batches over a bounded channel, so memory stays a few batches
//! whatever the input size.

use std::io::Read;
use std::sync::mpsc::{Receiver, SyncSender};

use csv::ByteRecord;

use super::classes::Classes;
use super::columns::Columns;
use super::input::Tee;
use super::row::{ErrorKind, Parsed, Problem, Reader};

/// Records per batch.
const BATCH: usize = 1024;

/// Batches in flight between the threads (bounds memory).
pub(crate) const IN_FLIGHT: usize = 4;

/// A row read: its query key and memo class, or what is wrong with it.
pub(crate) type Interpreted = Result<(Parsed, [u32; 4]), Vec<Problem>>;

/// Records read ahead, with the bytes each was read from and what they ask.
#[derive(Default)]
pub(crate) struct Batch {
    recs: Vec<ByteRecord>,
    len: usize,
    raw: Vec<u8>,
    /// Per record: its bytes in `raw` (without line breaks), the line it starts on, and
    /// whether the bytes stand for the fields (not for a ragged row, nor when the input window
    /// no longer held them).
    spans: Vec<(usize, usize, u64, bool)>,
    rows: Vec<Interpreted>,
}

/// One record of a batch.
pub(crate) struct Record<'a> {
    /// The fields, fitted to the header.
    pub fields: &'a ByteRecord,
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
        self.recs.iter().take(self.len).zip(&self.spans).zip(&self.rows).map(|((fields, &(s, e, line, exact)), row)| Record {
            fields,
            raw: self.raw.get(s..e).filter(|_| exact),
            line,
            row,
        })
    }
}

/// Reads rows into their query keys; lives on the reading thread.
pub(crate) struct Interpreter<'r> {
    pub reader: Reader<'r>,
    pub classes: Classes<'r>,
    pub columns: &'r Columns,
    pub width: usize,
    pub fixed: ByteRecord,
}

impl Interpreter<'_> {
    /// Reads a record, fitting a ragged one to the header in place.
    fn interpret(&mut self, rec: &mut ByteRecord) -> Interpreted {
        if rec.len() != self.width {
            let problem = ragged(rec, &mut self.fixed, self.width);
            std::mem::swap(rec, &mut self.fixed);
            return Err(vec![problem]);
        }
        let p = self.reader.parse(self.columns, rec)?;
        Ok((p, self.classes.key(&p.key, p.date)))
    }
}

/// Fits a ragged row to the header's width in `fixed` and describes what was done.
fn ragged(rec: &ByteRecord, fixed: &mut ByteRecord, width: usize) -> Problem {
    fixed.clear();
    for f in rec.iter().take(width) {
        fixed.push_field(f);
    }
    let have = rec.len();
    let message = if have < width {
        for _ in have..width {
            fixed.push_field(b"");
        }
        format!("{have} field{} where the header has {width}; padded with empty fields, not evaluated", if have == 1 { "" } else { "s" })
    } else {
        let extra: Vec<String> = rec.iter().skip(width).map(|f| format!("`{}`", String::from_utf8_lossy(f))).collect();
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
    mut rdr: csv::Reader<Tee<R>>,
    mut interp: Interpreter<'_>,
    full: SyncSender<Result<Batch, csv::Error>>,
    empty: Receiver<Batch>,
) {
    loop {
        let mut b = empty.try_recv().unwrap_or_default();
        let (more, error) = fill(&mut rdr, &mut interp, &mut b);
        if b.len > 0 && full.send(Ok(b)).is_err() {
            return;
        }
        if let Some(e) = error {
            let _ = full.send(Err(e));
            return;
        }
        if !more {
            return;
        }
    }
}

/// Fills a batch; returns whether more records may follow, and a read error.
fn fill<R: Read>(rdr: &mut csv::Reader<Tee<R>>, interp: &mut Interpreter<'_>, b: &mut Batch) -> (bool, Option<csv::Error>) {
    b.len = 0;
    b.raw.clear();
    b.spans.clear();
    b.rows.clear();
    while b.len < BATCH {
        if b.recs.len() == b.len {
            b.recs.push(ByteRecord::new());
        }
        let Some(rec) = b.recs.get_mut(b.len) else { return (false, None) };
        match rdr.read_byte_record(rec) {
            Ok(true) => {}
            Ok(false) => return (false, None),
            Err(e) => return (false, Some(e)),
        }
        let (start, line) = rec.position().map(|p| (p.byte(), p.line())).unwrap_or((0, 0));
        let end = rdr.position().byte();
        let span = rdr.get_ref().slice(start, end).unwrap_or_default();
        // The reader's position is where the previous record ended: count the line breaks
        // before this one (blank lines, or the `\n` of a CRLF).
        let breaks = span.iter().take_while(|c| **c == b'\n' || **c == b'\r').filter(|c| **c == b'\n').count() as u64;
        let from = b.raw.len();
        b.raw.extend_from_slice(trim_eol(span));
        let whole = rec.len() == interp.width;
        b.spans.push((from, b.raw.len(), line + breaks, whole && (b.raw.len() > from || rec.as_slice().is_empty())));
        rdr.get_mut().release(end);
        b.rows.push(interp.interpret(rec));
        b.len += 1;
    }
    (true, None)
}

/// A record's bytes without the line breaks around it (blank lines before it, its terminator).
pub(crate) fn trim_eol(raw: &[u8]) -> &[u8] {
    let eol = |b: &u8| *b == b'\n' || *b == b'\r';
    let start = raw.iter().position(|b| !eol(b)).unwrap_or(raw.len());
    let end = raw.iter().rposition(|b| !eol(b)).map_or(start, |i| i + 1);
    raw.get(start..end).unwrap_or_default()
}
