//! The input, parsed with `csv_core` straight from the bytes read: the bytes stay in the buffer
//! of the batch whose records they hold, so each record can be written back exactly as it was
//! read (same quoting, same content) without re-encoding its fields, and the input is copied
//! once, not into a window and again into a reader's buffer. Records, fields and line numbers
//! are those of `csv::Reader` (same parser, same settings).

use std::io::{self, Read};

use csv::ByteRecord;
use csv_core::{ReadRecordResult, Reader as Core, ReaderBuilder};
use wide::u8x16;

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
    /// The fields were copied out of the input, unquoted, into the caller's field buffer;
    /// otherwise they are slices of the input buffer itself.
    pub copied: bool,
    /// The input ended inside a quoted field of this record (so its bytes, written back with
    /// more after them, would not read as its fields).
    pub open: bool,
    /// When already known: where the record's bytes are without the line breaks around them,
    /// and the line breaks before them.
    pub text: Option<(usize, usize, u64)>,
    /// The record passed a limit and was skipped (its fields and bytes are not kept).
    pub over: Option<Over>,
}

/// The most a record may hold: past either limit it is skipped, to the next line break outside
/// quotes, and becomes an error row; the input is never buffered further.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of one record.
    pub record_bytes: usize,
    /// Fields of one record.
    pub fields: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { record_bytes: 1 << 20, fields: 10_000 }
    }
}

/// How a record passed a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Over {
    /// More bytes than the limit.
    Bytes,
    /// More fields than the limit.
    Fields,
    /// A quote opened on this line was still open after the byte limit: the record was read
    /// again from the line after it, as if the quote were not there.
    Quote(u64),
    /// Past the byte limit, a quote was opened that the input ends inside.
    QuoteToEnd,
}

/// The fields of one record, as parsed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields<'a> {
    /// The buffer the fields are in: the input bytes, or the parser's output.
    pub bytes: &'a [u8],
    /// Where each field is in `bytes`.
    pub bounds: &'a [(usize, usize)],
}

impl<'a> Fields<'a> {
    /// The number of fields.
    pub fn len(&self) -> usize {
        self.bounds.len()
    }

    /// A field.
    #[inline]
    pub fn get(&self, i: usize) -> Option<&'a [u8]> {
        let (start, end) = *self.bounds.get(i)?;
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
    /// The limits of a record.
    pub limits: Limits,
    /// The byte between fields.
    delimiter: u8,
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
            limits: Limits::default(),
            delimiter: b',',
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

    /// Reads fields separated by `d` (a comma unless set) from the first record on.
    pub fn set_delimiter(&mut self, d: u8) {
        self.delimiter = d;
        self.core = parser(d);
    }

    /// The byte between fields.
    pub fn delimiter(&self) -> u8 {
        self.delimiter
    }

    /// The delimiter of the header line among what was read first (see [`detect_delimiter`]).
    pub fn detect_delimiter(&self) -> u8 {
        detect_delimiter(&self.carry)
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

    /// Reads the next record, reading more input into `buf` as needed, and appends where its
    /// fields are to `bounds`: in `buf`, or (when [`Span::copied`]) in `fields`, where the
    /// parser copied them; `None` at the end of the input.
    pub fn record(&mut self, buf: &mut Vec<u8>, fields: &mut Vec<u8>, bounds: &mut Vec<(usize, usize)>) -> io::Result<Option<Span>> {
        if self.done {
            return Ok(None);
        }
        let first = bounds.len();
        if let Some(span) = self.plain_line(buf, bounds) {
            let over = if bounds.len() - first > self.limits.fields {
                Some(Over::Fields)
            } else if span.end - span.start > self.limits.record_bytes {
                Some(Over::Bytes)
            } else {
                None
            };
            if over.is_some() {
                bounds.truncate(first);
                let at = span.end;
                return Ok(Some(Span { copied: false, text: Some((at, at, 0)), over, ..span }));
            }
            return Ok(Some(span));
        }
        loop {
            // The parser takes empty input as the end of the input: give it some while any is left.
            self.peek(buf)?;
            let input = buf.get(self.pos..).unwrap_or_default();
            let out = self.out.get_mut(self.outlen..).unwrap_or_default();
            let ends = self.ends.get_mut(self.endlen..).unwrap_or_default();
            let (res, nin, nout, nend) = self.core.read_record(input, out, ends);
            self.pos += nin;
            self.outlen += nout;
            self.endlen += nend;
            let over = if self.endlen > self.limits.fields {
                Some(Over::Fields)
            } else if self.pos - self.start > self.limits.record_bytes {
                Some(Over::Bytes)
            } else {
                None
            };
            if let Some(over) = over {
                return self.skip(buf, over).map(Some);
            }
            match res {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => self.out.resize(self.out.len() * 2, 0),
                ReadRecordResult::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                ReadRecordResult::Record => {
                    let base = fields.len();
                    fields.extend_from_slice(self.out.get(..self.outlen).unwrap_or_default());
                    let mut from = base;
                    for end in self.ends.get(..self.endlen).unwrap_or_default() {
                        bounds.push((from, base + end));
                        from = base + end;
                    }
                    let raw = buf.get(self.start..self.pos).unwrap_or_default();
                    let open = self.eof && self.pos >= buf.len() && ends_quoted(raw, self.delimiter);
                    let span = Span { start: self.start, end: self.pos, line: self.line, copied: true, open, text: None, over: None };
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

    /// The fast path for the common record: one on a single line, whole in the buffer, with
    /// no `""` in its quoted fields. Its fields are where they are in the buffer, as the parser
    /// would read them: split at commas; a field that starts with a quote runs to the closing
    /// quote; a quote elsewhere is a plain byte; a `\r` or `\n` ends the record; blank lines
    /// before it are skipped. The parser is left between records, where it reads any input
    /// alike whatever the record before it, so only its line count needs keeping. Anything
    /// else (`None`) is for the parser.
    fn plain_line(&mut self, buf: &[u8], bounds: &mut Vec<(usize, usize)>) -> Option<Span> {
        let input = buf.get(self.pos..)?;
        let eol = |b: &u8| *b == b'\n' || *b == b'\r';
        // Blank lines (or the `\n` of a CRLF) before the record, if any.
        let (skip, blank) = match input {
            [b, ..] if !eol(b) => (0, 0),
            // The `\n` of the CRLF that ended the record before.
            [b'\n', b, ..] if !eol(b) => (1, 1),
            _ => {
                let skip = input.iter().position(|b| !eol(b))?;
                (skip, input.get(..skip)?.iter().filter(|b| **b == b'\n').count())
            }
        };
        let first = bounds.len();
        let Some(end) = split_line(buf, self.pos + skip, bounds, self.delimiter) else {
            bounds.truncate(first);
            return None;
        };
        let breaks = (blank + usize::from(end.checked_sub(1).and_then(|i| buf.get(i)) == Some(&b'\n'))) as u64;
        // The line ends at its one `\r` or `\n`; before it, blank lines if any.
        let text = (self.start == self.pos).then_some((self.pos + skip, end - 1, blank as u64));
        let span = Span { start: self.start, end, line: self.line, copied: false, open: false, text, over: None };
        self.pos = end;
        self.start = end;
        self.line += breaks;
        self.core.set_line(self.line);
        Some(span)
    }

    /// Skips the record being read, which passed a limit, dropping its bytes as they are read.
    /// Quotes opened after the limit was reached do not count: the record ends at the line
    /// break of the line it was reached on. Past the byte limit, a quote still open is taken
    /// for a stray one: the record ends at the line break after it, and the lines after that
    /// are read as records. Past the field limit, a quote open then runs to its close. The
    /// parser starts over after it.
    fn skip(&mut self, buf: &mut Vec<u8>, mut over: Over) -> io::Result<Span> {
        let eol = |b: &u8| *b == b'\n' || *b == b'\r';
        let newlines = |b: &[u8]| b.iter().filter(|b| **b == b'\n').count() as u64;
        let all = buf.get(self.start..self.pos).unwrap_or_default();
        // The record starts after the line breaks before it.
        let skip = all.iter().take_while(|b| eol(b)).count();
        let raw = all.get(skip..).unwrap_or_default();
        let line = self.line + newlines(all.get(..skip).unwrap_or_default());
        let mut lines = newlines(all);
        let mut q = Quotes { delimiter: self.delimiter, ..Quotes::default() };
        let mut resume = q.feed(raw, 0).map(|end| {
            lines = newlines(all.get(..skip + end).unwrap_or_default());
            self.start + skip + end
        });
        match (resume, over) {
            (None, Over::Bytes) => {
                // The line break after an open quote, if it is in what was read.
                match q.open.and_then(|open| Some((open, raw.get(open..)?.iter().position(eol)?))) {
                    Some((open, i)) => {
                        let at = skip + open + i + 1;
                        over = Over::Quote(line + newlines(raw.get(..open).unwrap_or_default()));
                        lines = newlines(all.get(..at).unwrap_or_default());
                        resume = Some(self.start + at);
                    }
                    // One long line: it ends at its line break, quotes or not (a quote opened
                    // on it past the limit is a stray one too, and cannot take the lines after it).
                    None => q.ignore = true,
                }
            }
            // Past the field limit outside quotes, a quote opened later on the line is a stray
            // one as well; a quoted field open at the limit still runs to its close (within
            // the byte limit).
            (None, Over::Fields) if q.open.is_none() => q.ignore = true,
            _ => {}
        }
        let resume = match resume {
            Some(at) => at,
            None => {
                // Reads on to the record's end, dropping what was read of it.
                let mut from = self.pos;
                loop {
                    let chunk = buf.get(from..).unwrap_or_default();
                    if let Some(end) = q.feed(chunk, self.limits.record_bytes) {
                        lines += newlines(chunk.get(..end).unwrap_or_default());
                        break from + end;
                    }
                    lines += newlines(chunk);
                    buf.truncate(self.start);
                    from = self.start;
                    if self.eof {
                        if q.open.is_some() {
                            // The quote swallowed the rest of the input.
                            over = Over::QuoteToEnd;
                        }
                        break from;
                    }
                    self.read_more(buf)?;
                }
            }
        };
        buf.drain(self.start..resume.min(buf.len()));
        self.pos = self.start;
        self.line += lines;
        self.core = parser(self.delimiter);
        self.core.set_line(self.line);
        (self.outlen, self.endlen) = (0, 0);
        if self.eof && self.pos >= buf.len() {
            self.done = true;
        }
        let at = self.start;
        Ok(Span { start: at, end: at, line, copied: false, open: false, text: Some((at, at, 0)), over: Some(over) })
    }

    /// Ends a buffer: the bytes after its last whole record go to the next one.
    pub fn end(&mut self, buf: &[u8]) {
        self.carry.clear();
        self.carry.extend_from_slice(buf.get(self.start..).unwrap_or_default());
        self.fed = self.pos - self.start;
    }
}

/// Splits the record starting at `at` in `buf` for [`Scanner::plain_line`], appending where
/// its fields are; returns where it ended (after its `\r` or `\n`), or `None` if the parser
/// must read it. The fields are found 64 bytes at a time, from masks of the commas, line
/// breaks and quotes among them ([`Block`]).
#[inline]
fn split_line(buf: &[u8], at: usize, bounds: &mut Vec<(usize, usize)>, delimiter: u8) -> Option<usize> {
    // The field being read starts at `start`, in `block` or before it.
    let mut start = at;
    let mut block = Block::at(buf, start, delimiter);
    if block.quotes == 0 && block.eols != 0 {
        // The common line: short, no quotes. Its fields end at the stops up to the first line
        // break.
        let line = block.stops & (block.eols ^ (block.eols - 1));
        let mut m = line;
        // A counted range: the vector grows once, not at every field.
        bounds.extend((0..line.count_ones()).map(|_| {
            let end = at + m.trailing_zeros() as usize;
            m &= m.wrapping_sub(1);
            let field = (start, end);
            start = end + 1;
            field
        }));
        return Some(start);
    }
    loop {
        let rel = start.wrapping_sub(block.base);
        if rel < 64 && (block.quotes >> rel) & 1 == 1 {
            // A quoted field: to the next quote, which must close it (a line break first is
            // for the parser). From the block's masks when it is in the block.
            let rest = buf.get(start..)?;
            let next = (block.quotes | block.eols) & u64::MAX.checked_shl(rel as u32 + 1).unwrap_or(0);
            let q = match next {
                0 => rest.iter().skip(1).position(|b| matches!(b, b'"' | b'\r' | b'\n'))? + 1,
                _ => block.base + next.trailing_zeros() as usize - start,
            };
            if rest.get(q) != Some(&b'"') || rest.get(q + 1) == Some(&b'"') {
                return None;
            }
            bounds.push((start + 1, start + q));
            let after = start + q + 1;
            match buf.get(after) {
                Some(&b) if b == delimiter => start = after + 1,
                Some(b'\r' | b'\n') => return Some(after + 1),
                _ => return None,
            }
            block = block.resume(buf, start, delimiter);
            continue;
        }
        if block.stops == 0 {
            if block.len < 64 {
                // The buffer ends before the line does.
                return None;
            }
            block = Block::at(buf, block.base + 64, delimiter);
            continue;
        }
        let p = block.stops.trailing_zeros();
        block.stops &= block.stops - 1;
        let end = block.base + p as usize;
        bounds.push((start, end));
        if (block.eols >> p) & 1 == 1 {
            return Some(end + 1);
        }
        start = end + 1;
        if p == 63 {
            block = block.resume(buf, start, delimiter);
        }
    }
}

/// Up to 64 bytes of the input from `base`, with a bit set for each delimiter or line break
/// (`stops`), line break (`eols`) and quote (`quotes`).
struct Block {
    base: usize,
    /// Bytes of the input the block covers (64 unless the buffer ends first).
    len: usize,
    stops: u64,
    eols: u64,
    quotes: u64,
}

impl Block {
    #[inline]
    fn at(buf: &[u8], base: usize, delimiter: u8) -> Block {
        let rest = buf.get(base..).unwrap_or_default();
        let len = rest.len().min(64);
        let (stops, eols, quotes) = match rest.first_chunk::<64>() {
            Some(bytes) => Block::masks(bytes, delimiter),
            None => {
                let mut bytes = [0u8; 64];
                bytes.iter_mut().zip(rest).for_each(|(b, r)| *b = *r);
                Block::masks(&bytes, delimiter)
            }
        };
        Block { base, len, stops, eols, quotes }
    }

    /// The block to go on from at `start`: this one without its stops before `start`, if it
    /// covers `start` (the bytes before it were a quoted field, or taken); else the next 64
    /// bytes.
    #[inline]
    fn resume(self, buf: &[u8], start: usize, delimiter: u8) -> Block {
        match start.checked_sub(self.base).filter(|rel| *rel < 64) {
            Some(rel) => Block { stops: self.stops & (u64::MAX << rel), ..self },
            None => Block::at(buf, start, delimiter),
        }
    }

    #[inline]
    fn masks(bytes: &[u8; 64], delimiter: u8) -> (u64, u64, u64) {
        let (mut stops, mut eols, mut quotes) = (0, 0, 0);
        for (k, chunk) in bytes.chunks_exact(16).enumerate() {
            let v = u8x16::new(chunk.try_into().unwrap_or_default());
            let eol = v.simd_eq(u8x16::splat(b'\n')) | v.simd_eq(u8x16::splat(b'\r'));
            let mask = |m: u8x16| u64::from(m.to_bitmask()) << (16 * k);
            eols |= mask(eol);
            stops |= mask(eol | v.simd_eq(u8x16::splat(delimiter)));
            quotes |= mask(v.simd_eq(u8x16::splat(b'"')));
        }
        (stops, eols, quotes)
    }
}

/// The quoting state of a record read byte by byte, as the parser reads it: a field that
/// starts with a quote runs to the closing quote (`""` inside it is a quote); elsewhere a quote
/// is a plain byte.
#[derive(Default)]
struct Quotes {
    /// At the start of a field.
    field_start: bool,
    /// Inside a quoted field; just after a quote inside one.
    quoted: bool,
    after_quote: bool,
    /// Where the open quoted field started (in the bytes fed, from the first call).
    open: Option<usize>,
    /// Bytes fed.
    fed: usize,
    /// Bytes fed inside the open quoted field.
    inside: usize,
    /// Quotes no longer count: the record ends at its line break.
    ignore: bool,
    /// The byte between fields.
    delimiter: u8,
}

impl Quotes {
    /// Feeds bytes; returns where in them the record ended (after its line break), if it did.
    /// A quote still open after `limit` bytes (when not 0) stops counting.
    fn feed(&mut self, bytes: &[u8], limit: usize) -> Option<usize> {
        if self.fed == 0 {
            self.field_start = true;
        }
        for (i, &b) in bytes.iter().enumerate() {
            let at = self.fed + i;
            if self.ignore {
                if b == b'\n' || b == b'\r' {
                    return Some(i + 1);
                }
                continue;
            }
            if self.quoted {
                self.inside += 1;
                if limit > 0 && self.inside > limit {
                    self.ignore = true;
                }
                match (b, self.after_quote) {
                    (b'"', false) => self.after_quote = true,
                    (b'"', true) => self.after_quote = false,
                    (_, false) => {}
                    (_, true) => {
                        (self.quoted, self.after_quote, self.open) = (false, false, None);
                        match b {
                            b'\n' | b'\r' => return Some(i + 1),
                            _ if b == self.delimiter => self.field_start = true,
                            _ => {}
                        }
                    }
                }
                continue;
            }
            match b {
                b'"' if self.field_start => {
                    (self.quoted, self.open, self.inside, self.field_start) = (true, Some(at), 0, false);
                }
                b'\n' | b'\r' => return Some(i + 1),
                _ if b == self.delimiter => self.field_start = true,
                _ => self.field_start = false,
            }
        }
        self.fed += bytes.len();
        None
    }
}

/// The parser for fields separated by `delimiter`, with the CSV reader's other defaults.
fn parser(delimiter: u8) -> Core {
    ReaderBuilder::new().delimiter(delimiter).build()
}

/// The delimiters recognised in a header line, the first preferred when counts tie.
pub const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// A delimiter as a person gives it: one ASCII character other than a quote or a line break,
/// or one of the names `tab`, `comma`, `semicolon`, `pipe`.
pub fn delimiter_for(s: &str) -> Result<u8, String> {
    let b = match s {
        "tab" | "\\t" | "\t" => b'\t',
        "comma" => b',',
        "semicolon" => b';',
        "pipe" => b'|',
        _ => match s.as_bytes() {
            [b] if b.is_ascii() && !matches!(b, b'"' | b'\n' | b'\r') => *b,
            _ => {
                return Err(format!(
                    "`{s}` is not a delimiter; give one ASCII character other than a quote or a line break, \
                     e.g. `;`, `|`, or `tab`"
                ))
            }
        },
    };
    Ok(b)
}

/// The delimiter of a header line (the bytes up to the first line break outside quotes): the
/// one of [`DELIMITERS`] found most often outside quotes; a comma when none is.
pub fn detect_delimiter(head: &[u8]) -> u8 {
    let head = head.strip_prefix(BOM).unwrap_or(head);
    let mut counts = [0usize; DELIMITERS.len()];
    let mut quoted = false;
    for &b in head {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            _ if !quoted => {
                if let Some(i) = DELIMITERS.iter().position(|d| *d == b) {
                    if let Some(c) = counts.get_mut(i) {
                        *c += 1;
                    }
                }
            }
            _ => {}
        }
    }
    // The first of the largest counts (`max_by_key` would keep the last).
    let best = counts.iter().enumerate().fold((0, 0), |(bi, bc), (i, c)| if *c > bc { (i, *c) } else { (bi, bc) });
    DELIMITERS.get(best.0).copied().unwrap_or(b',')
}

/// Whether a record read at the end of the input ended inside a quoted field: read again,
/// with a line break after it, it would not end there.
fn ends_quoted(raw: &[u8], delimiter: u8) -> bool {
    let mut core = parser(delimiter);
    let (mut out, mut ends) = (vec![0; raw.len() + 1], vec![0; raw.len() + 2]);
    let mut input = raw.to_vec();
    input.push(b'\n');
    !matches!(core.read_record(&input, &mut out, &mut ends).0, ReadRecordResult::Record)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads every record: in one buffer, or in a new buffer per record (carrying the rest).
    /// Each record comes with the line it starts on (as the audit counts it: the parser's line
    /// where the previous record ended, plus the line breaks before this one) and its bytes.
    fn records(input: &[u8], per_record: bool, delimiter: u8) -> Vec<(Vec<String>, u64, String)> {
        let mut s = Scanner::new(input).unwrap();
        s.set_delimiter(delimiter);
        let (mut out, mut buf) = (Vec::new(), Vec::new());
        let (mut bytes, mut bounds) = (Vec::new(), Vec::new());
        s.begin(&mut buf);
        while let Some(span) = s.record(&mut buf, &mut bytes, &mut bounds).unwrap() {
            let rec = Fields { bytes: if span.copied { &bytes } else { &buf }, bounds: &bounds };
            let fields = rec.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect();
            let raw = &buf[span.start..span.end];
            let breaks = raw.iter().take_while(|c| **c == b'\n' || **c == b'\r').filter(|c| **c == b'\n').count() as u64;
            if let Some((s, e, b)) = span.text {
                let (ts, te) = crate::ahead::trim_span(raw);
                assert_eq!((s, e, b), (span.start + ts, span.start + te, breaks), "{raw:?}");
            }
            out.push((fields, span.line + breaks, String::from_utf8_lossy(raw).into_owned()));
            bytes.clear();
            bounds.clear();
            if per_record {
                s.end(&buf);
                s.begin(&mut buf);
            }
        }
        out
    }

    /// The records of an input are those of the CSV reader, each starting on the line its
    /// first byte is on, and their bytes are the input, in order.
    fn check(input: &str) -> Result<(), proptest::test_runner::TestCaseError> {
        check_with(input, b',')
    }

    /// [`check`] for fields separated by `delimiter`.
    fn check_with(input: &str, delimiter: u8) -> Result<(), proptest::test_runner::TestCaseError> {
        let body = input.trim_start_matches('\u{feff}');
        let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(body.as_bytes());
        let mut want = Vec::new();
        let mut rec = ByteRecord::new();
        while rdr.read_byte_record(&mut rec).unwrap() {
            want.push(rec.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect::<Vec<_>>());
        }
        for per_record in [false, true] {
            let got = records(input.as_bytes(), per_record, delimiter);
            let fields: Vec<Vec<String>> = got.iter().map(|(f, _, _)| f.clone()).collect();
            proptest::prop_assert_eq!(&fields, &want, "{:?}", input);
            let mut at = 0;
            for (_, line, raw) in &got {
                let first = at + raw.bytes().position(|c| c != b'\n' && c != b'\r').unwrap_or(raw.len());
                let starts = 1 + body.as_bytes()[..first].iter().filter(|c| **c == b'\n').count() as u64;
                proptest::prop_assert_eq!(*line, starts, "{:?}", input);
                at += raw.len();
            }
            let raw: String = got.iter().map(|(_, _, r)| r.as_str()).collect();
            proptest::prop_assert!(body.starts_with(&raw), "{:?}", input);
        }
        Ok(())
    }

    #[test]
    fn agrees_with_the_csv_reader() {
        let big = "x".repeat(3 * CHUNK);
        let inputs = [
            "a,b\n1,2\n".to_string(),
            "\u{feff}a,b\r\n1,\"2\r\n3\"\r\n\r\n4,5".to_string(),
            "a\n\n\n\"q\"\"x\",y,z\n".to_string(),
            "a,b\r\n1,2\r\n\r\n3,4\r\n".to_string(),
            "a\n\n\nb,c\n\r\nd".to_string(),
            "a,b\rc,d\n\re,f\r\r\ng\n".to_string(),
            "x,5\" disk,y\n1,\"a\"b,2\n".to_string(),
            format!("h\n\"{big}\",1\nlast"),
            format!("h\n{big},1\n{big}\n"),
            String::new(),
            "\n\n".to_string(),
        ];
        for input in &inputs {
            check(input).unwrap();
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(2000))]

        /// Lines the fast path takes and lines the parser reads, mixed at random.
        #[test]
        fn agrees_with_the_csv_reader_on_any_input(input in "[a,\"\r\n\u{e9}]{0,60}") {
            check(&input)?;
        }

        /// Other delimiters, with commas as plain bytes among them.
        #[test]
        fn agrees_with_the_csv_reader_on_other_delimiters(input in "[a,;\t|\"\r\n\u{e9}]{0,60}", d in 0usize..4) {
            check_with(&input, DELIMITERS[d])?;
        }

        /// Fields and lines of any length, crossing the 64-byte blocks the fast path reads.
        #[test]
        fn agrees_with_the_csv_reader_on_long_lines(input in "([a\u{e9}]{0,70}[,\"\r\n]?){0,12}") {
            check(&input)?;
        }
    }

    #[test]
    fn tells_a_record_left_inside_quotes() {
        for (raw, open) in [(&b"a,\"b\nc"[..], true), (b"a,5\" disk", false), (b"\"x\"\"y\",z", false), (b"\n\"q", true), (b"a\n", false)] {
            assert_eq!(ends_quoted(raw, b','), open, "{}", String::from_utf8_lossy(raw));
        }
    }

    #[test]
    fn finds_the_delimiter_of_the_header() {
        for (head, d) in [
            (&b"chip,destination\nH100;CN"[..], b','),
            (b"\xEF\xBB\xBFMaterial;Land;\"Menge, St\xc3\xbcck\"\r\nH100;DE;1,0", b';'),
            (b"chip\tdestination\tdate\n", b'\t'),
            (b"\"chip|x\"|destination|date", b'|'),
            (b"chip;destination,date\n", b','),
            (b"chip\n", b','),
            (b"", b','),
        ] {
            assert_eq!(detect_delimiter(head) as char, d as char, "{}", String::from_utf8_lossy(head));
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
