//! The input, parsed with `csv_core` straight from the bytes read: the bytes stay in the buffer
//! of the batch whose records they hold, so each record can be written back exactly as it was
//! read (same quoting, same content) without re-encoding its fields, and the input is copied
//! once, not into a window and again into a reader's buffer. Records, fields and line numbers
//! are those of `csv::Reader` (same parser, same settings).

use std::io::{self, Read};

use csv::ByteRecord;
use csv_core::{ReadRecordResult, Reader as Core};

/// The byte-order mark of UTF-8.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Bytes read from the input at a time.
const CHUNK: usize = 32 << 10;

/// Where a record was in its batch's buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Span {
    /// Where the previous record ended (so the line breaks before this one are included).
    pub start: usize,
    /// Where this record ended (after its terminator, or the `\r` of a CRLF).
    pub end: usize,
    /// The line the parser was on at `start`.
    pub line: u64,
}

/// The fields of one record, as parsed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields<'a> {
    /// The fields' bytes, one after another.
    pub bytes: &'a [u8],
    /// Where each field ends in `bytes`.
    pub ends: &'a [usize],
}

impl<'a> Fields<'a> {
    /// The number of fields.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// A field.
    #[inline]
    pub fn get(&self, i: usize) -> Option<&'a [u8]> {
        let end = *self.ends.get(i)?;
        let start = match i.checked_sub(1) {
            Some(p) => *self.ends.get(p)?,
            None => 0,
        };
        self.bytes.get(start..end)
    }

    /// The fields, in order.
    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    /// Copies the fields into a record.
    pub fn copy_to(self, rec: &mut ByteRecord) {
        rec.clear();
        for f in self.iter() {
            rec.push_field(f);
        }
    }
}

/// Reads records into caller-owned buffers; what a buffer holds past its last whole record is
/// carried into the next one.
pub(crate) struct Scanner<R> {
    inner: R,
    core: Core,
    /// Input from the start of the record being read on, for the next buffer.
    carry: Vec<u8>,
    /// Of `carry`, the bytes the parser has already taken.
    fed: usize,
    /// In the current buffer: where the record being read starts, and what the parser took.
    start: usize,
    pos: usize,
    /// The fields of the record being read, and their ends.
    out: Vec<u8>,
    ends: Vec<usize>,
    outlen: usize,
    endlen: usize,
    /// The parser's line at `start`.
    line: u64,
    /// The input is exhausted; the parser has no more records.
    eof: bool,
    done: bool,
    /// The input started with a byte-order mark (dropped).
    pub bom: bool,
}

impl<R: Read> Scanner<R> {
    /// Reads the first bytes, dropping a byte-order mark.
    pub fn new(inner: R) -> io::Result<Scanner<R>> {
        let mut s = Scanner {
            inner,
            core: Core::new(),
            carry: Vec::new(),
            fed: 0,
            start: 0,
            pos: 0,
            out: vec![0; 1024],
            ends: vec![0; 64],
            outlen: 0,
            endlen: 0,
            line: 1,
            eof: false,
            done: false,
            bom: false,
        };
        let mut head = Vec::new();
        s.read_more(&mut head)?;
        if head.starts_with(BOM) {
            s.bom = true;
            head.drain(..BOM.len());
        }
        s.carry = head;
        Ok(s)
    }

    /// Appends up to [`CHUNK`] bytes of input to `buf`.
    fn read_more(&mut self, buf: &mut Vec<u8>) -> io::Result<()> {
        let n = loop {
            match (&mut self.inner).take(CHUNK as u64).read_to_end(buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        };
        if n == 0 {
            self.eof = true;
        }
        Ok(())
    }

    /// Starts a buffer: it begins with the input carried from the last one.
    pub fn begin(&mut self, buf: &mut Vec<u8>) {
        buf.clear();
        buf.append(&mut self.carry);
        self.start = 0;
        self.pos = self.fed;
    }

    /// Bytes of the current buffer the parser has taken.
    pub fn taken(&self) -> usize {
        self.pos
    }

    /// Makes sure the byte after what the parser took is in the buffer, if the input has one.
    pub fn peek(&mut self, buf: &mut Vec<u8>) -> io::Result<()> {
        while self.pos >= buf.len() && !self.eof {
            self.read_more(buf)?;
        }
        Ok(())
    }

    /// Reads the next record, appending its fields to `fields` and their ends (from the start
    /// of the record's fields) to `ends`, and reading more input into `buf` as needed; `None`
    /// at the end of the input.
    pub fn record(&mut self, buf: &mut Vec<u8>, fields: &mut Vec<u8>, ends: &mut Vec<usize>) -> io::Result<Option<Span>> {
        if self.done {
            return Ok(None);
        }
        loop {
            // The parser takes empty input as the end of the input: give it some while any is left.
            self.peek(buf)?;
            let input = buf.get(self.pos..).unwrap_or_default();
            let out = self.out.get_mut(self.outlen..).unwrap_or_default();
            let bounds = self.ends.get_mut(self.endlen..).unwrap_or_default();
            let (res, nin, nout, nend) = self.core.read_record(input, out, bounds);
            self.pos += nin;
            self.outlen += nout;
            self.endlen += nend;
            match res {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => self.out.resize(self.out.len() * 2, 0),
                ReadRecordResult::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                ReadRecordResult::Record => {
                    fields.extend_from_slice(self.out.get(..self.outlen).unwrap_or_default());
                    ends.extend_from_slice(self.ends.get(..self.endlen).unwrap_or_default());
                    let span = Span { start: self.start, end: self.pos, line: self.line };
                    (self.start, self.line, self.outlen, self.endlen) = (self.pos, self.core.line(), 0, 0);
                    return Ok(Some(span));
                }
                ReadRecordResult::End => {
                    self.done = true;
                    return Ok(None);
                }
            }
        }
    }

    /// Ends a buffer: the bytes after its last whole record go to the next one.
    pub fn end(&mut self, buf: &[u8]) {
        self.carry.clear();
        self.carry.extend_from_slice(buf.get(self.start..).unwrap_or_default());
        self.fed = self.pos - self.start;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads every record: in one buffer, or in a new buffer per record (carrying the rest).
    fn records(input: &[u8], per_record: bool) -> Vec<(Vec<String>, u64, String)> {
        let mut s = Scanner::new(input).unwrap();
        let (mut out, mut buf) = (Vec::new(), Vec::new());
        let (mut bytes, mut ends) = (Vec::new(), Vec::new());
        s.begin(&mut buf);
        while let Some(span) = s.record(&mut buf, &mut bytes, &mut ends).unwrap() {
            let rec = Fields { bytes: &bytes, ends: &ends };
            let fields = rec.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect();
            out.push((fields, span.line, String::from_utf8_lossy(&buf[span.start..span.end]).into_owned()));
            bytes.clear();
            ends.clear();
            if per_record {
                s.end(&buf);
                s.begin(&mut buf);
            }
        }
        out
    }

    #[test]
    fn agrees_with_the_csv_reader() {
        let big = "x".repeat(3 * CHUNK);
        let inputs = [
            "a,b\n1,2\n".to_string(),
            "\u{feff}a,b\r\n1,\"2\r\n3\"\r\n\r\n4,5".to_string(),
            "a\n\n\n\"q\"\"x\",y,z\n".to_string(),
            format!("h\n\"{big}\",1\nlast"),
            String::new(),
            "\n\n".to_string(),
        ];
        for input in &inputs {
            let mut rdr =
                csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(input.trim_start_matches('\u{feff}').as_bytes());
            let mut want = Vec::new();
            let mut rec = ByteRecord::new();
            while rdr.read_byte_record(&mut rec).unwrap() {
                let fields: Vec<String> = rec.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect();
                want.push((fields, rec.position().unwrap().line()));
            }
            for per_record in [false, true] {
                let got = records(input.as_bytes(), per_record);
                assert_eq!(got.iter().map(|(f, l, _)| (f.clone(), *l)).collect::<Vec<_>>(), want, "{input:?}");
                let raw: String = got.iter().map(|(_, _, r)| r.as_str()).collect();
                assert!(input.trim_start_matches('\u{feff}').starts_with(&raw), "{input:?}");
            }
        }
    }

    #[test]
    fn drops_a_bom() {
        assert!(Scanner::new(&b"\xEF\xBB\xBFa"[..]).unwrap().bom);
        for input in [&b""[..], b"a", b"\xEF\xBB"] {
            assert!(!Scanner::new(input).unwrap().bom);
        }
    }
}
