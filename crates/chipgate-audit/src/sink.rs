//! Where audited rows go: the [`Sink`] trait, and sinks writing CSV and JSON lines to any
//! writer. The CSV sink writes each input row back byte for byte as it was read (a ragged row,
//! fitted to the header, is re-encoded, quoting a field only when it must).

use std::io::{self, BufWriter, Write};
use std::sync::Arc;

use csv::ByteRecord;
use jiff::civil::Date;

use super::columns::Columns;
use super::memo::{error_json, Finding, OUTPUT_COLUMNS};
use super::row::RowError;

/// The header of the input, as read.
#[derive(Debug, Clone, Copy)]
pub struct Header<'a> {
    /// The header fields, exactly as read (without a byte-order mark).
    pub record: &'a ByteRecord,
    /// The header line as it was in the input, without its line ending, when still at hand.
    pub raw: Option<&'a [u8]>,
    /// Which column holds which field.
    pub columns: &'a Columns,
    /// The input started with a UTF-8 byte-order mark.
    pub bom: bool,
    /// The input's lines end with CRLF.
    pub crlf: bool,
    /// The byte between the input's fields.
    pub delimiter: u8,
    /// With [`super::Options::stamp`]: the rule set's version, which the sink writes in a
    /// `rules_version` column, and each row's date in `as_of` (see [`STAMP_COLUMNS`]).
    pub stamp: Option<&'a str>,
}

/// The columns `--stamp` adds after the audit columns: the rule set's version (as the summary
/// gives it) and the date the row was evaluated as of (its own date, or the default date for
/// a row without one; empty for a row that could not be evaluated).
pub const STAMP_COLUMNS: [&str; 2] = ["rules_version", "as_of"];

/// What became of a row.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    /// Evaluated.
    Evaluated(&'a Finding),
    /// Not evaluable.
    Error(&'a RowError),
}

/// One audited row.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    /// One-based data row.
    pub number: u64,
    /// One-based line the row starts on.
    pub line: u64,
    /// The input fields: exactly as many as the header has (a ragged row is padded with empty
    /// fields or cut, and says so in its error); empty when `raw` is given and the sink does not
    /// need them ([`Sink::needs_fields`]).
    pub fields: &'a ByteRecord,
    /// The row as it was in the input (same quoting), without its line ending; absent for a
    /// ragged row, whose fields were fitted to the header.
    pub raw: Option<&'a [u8]>,
    /// The outcome.
    pub outcome: Outcome<'a>,
    /// A problem of an evaluated row that leaves its verdict standing (a quantity that is not
    /// a whole number, whose units are then not counted); written in the `error` column.
    pub warning: Option<&'a RowError>,
    /// The date the row was evaluated as of: its own, or the default date for a row without
    /// one; `None` for a row that could not be evaluated.
    pub date: Option<Date>,
}

/// How the audit's own sinks format one row. An audit formats rows with it on several threads
/// at once, and hands the sink the formatted rows in input order ([`Blocks::block`]).
pub(crate) trait Format: Send + Sync {
    /// Appends a row, with its line ending.
    fn row(&self, out: &mut Vec<u8>, row: &Row<'_>) -> io::Result<()>;
    /// Whether [`Row::fields`] is needed when [`Row::raw`] is given (see [`Sink::needs_fields`]).
    fn needs_fields(&self) -> bool {
        true
    }
}

/// A destination for audited rows: the header, then every row in input order, then the end.
/// This is all a sink of another crate implements; the audit's own byte sinks ([`CsvSink`],
/// [`JsonlSink`]) also take part in formatting rows on the audit's worker threads, which is
/// the audit's business alone.
pub trait Sink {
    /// Called once with the input's header, before any row.
    fn begin(&mut self, header: &Header<'_>) -> io::Result<()>;
    /// Called for every row, in input order.
    fn row(&mut self, row: &Row<'_>) -> io::Result<()>;
    /// Called once after the last row.
    fn finish(&mut self) -> io::Result<()>;
    /// Whether [`Row::fields`] is needed when [`Row::raw`] is given; when not, it is left empty
    /// (saves splitting every row into a record).
    fn needs_fields(&self) -> bool {
        true
    }
    /// The audit's own sinks' fast path (see [`Blocks`]); `None` for every other sink, which
    /// cannot name the type and so gets its rows through [`Sink::row`].
    #[doc(hidden)]
    #[allow(private_interfaces)] // sealed: only this crate's sinks can give one
    fn blocks(&mut self) -> Option<&mut dyn Blocks> {
        None
    }
}

/// A sink that takes rows formatted on the audit's worker threads, in input order, instead of
/// one by one: [`CsvSink`] and [`JsonlSink`].
pub(crate) trait Blocks {
    /// How it formats a row, asked after [`Sink::begin`].
    fn format(&self) -> Arc<dyn Format>;
    /// Takes rows formatted with [`Blocks::format`], in input order.
    fn block(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Whether it writes each row's decision as JSON ([`Finding::json`]): the audit then
    /// renders it whatever [`super::Options::json`] says.
    fn json(&self) -> bool {
        false
    }
}

/// Appends a field as CSV, quoted only when it must be.
#[inline]
pub fn csv_field(out: &mut Vec<u8>, f: &[u8]) {
    csv_field_in(out, f, b',');
}

/// Appends a field of a file whose fields are separated by `delimiter`, quoted only when it
/// must be.
#[inline]
pub fn csv_field_in(out: &mut Vec<u8>, f: &[u8], delimiter: u8) {
    // A branch-free scan the compiler vectorises; fields are short and rarely need quotes.
    if !f.iter().fold(false, |q, &b| q | matches!(b, b'"' | b'\n' | b'\r') | (b == delimiter)) {
        out.extend_from_slice(f);
        return;
    }
    out.push(b'"');
    for part in f.split_inclusive(|&b| b == b'"') {
        out.extend_from_slice(part);
        if part.last() == Some(&b'"') {
            out.push(b'"');
        }
    }
    out.push(b'"');
}

/// Output is collected in a buffer of this size and written in one call when full.
const BUF: usize = 256 << 10;

/// Writes CSV: every input column, then the audit columns. Keeps the input's byte-order mark
/// and line ending.
pub struct CsvSink<W: Write> {
    out: W,
    buf: Vec<u8>,
    format: Arc<CsvFormat>,
    /// The delimiter asked for; by default the input's.
    delimiter: Option<u8>,
}

/// The rows of a [`CsvSink`]: the input row as it was read, then the audit columns.
#[derive(Debug, Clone)]
pub(crate) struct CsvFormat {
    eol: &'static [u8],
    excel_safe: bool,
    /// The byte between fields of the output.
    delimiter: u8,
    /// The input rows are written field by field (another delimiter, or excel-safe cells),
    /// not copied as they were read.
    reencode: bool,
    /// With a stamp: `,` and the rule set's version as a CSV field, then `,` (the date follows).
    stamp: Option<Vec<u8>>,
}

pub use chipgate_core::text::formula_like;

/// Appends a field as CSV; with `excel_safe`, a formula-like field gets a leading `'`, which
/// spreadsheets show as text (the OWASP advice).
fn cell(out: &mut Vec<u8>, f: &[u8], excel_safe: bool, delimiter: u8) {
    if excel_safe && formula_like(f) {
        let mut quoted = Vec::with_capacity(f.len() + 1);
        quoted.push(b'\'');
        quoted.extend_from_slice(f);
        csv_field_in(out, &quoted, delimiter);
    } else {
        csv_field_in(out, f, delimiter);
    }
}

impl CsvFormat {
    fn fields(&self, out: &mut Vec<u8>, rec: &ByteRecord) {
        for (i, f) in rec.iter().enumerate() {
            if i > 0 {
                out.push(self.delimiter);
            }
            cell(out, f, self.excel_safe, self.delimiter);
        }
    }
}

impl Format for CsvFormat {
    fn row(&self, out: &mut Vec<u8>, row: &Row<'_>) -> io::Result<()> {
        match row.raw {
            Some(raw) if !self.reencode => out.extend_from_slice(raw),
            _ => self.fields(out, row.fields),
        }
        match row.outcome {
            Outcome::Evaluated(f) if self.delimiter == b',' => out.extend_from_slice(&f.csv),
            Outcome::Evaluated(f) => {
                for v in f.columns() {
                    out.push(self.delimiter);
                    csv_field_in(out, v.as_bytes(), self.delimiter);
                }
            }
            Outcome::Error(e) => {
                for v in ["", "", "", "", "error", ""] {
                    out.push(self.delimiter);
                    out.extend_from_slice(v.as_bytes());
                }
                out.push(self.delimiter);
                csv_field_in(out, e.to_string().as_bytes(), self.delimiter);
            }
        }
        if let (Outcome::Evaluated(_), Some(w)) = (row.outcome, row.warning) {
            // The `error` column, the last, is empty: the warning fills it.
            csv_field_in(out, format!("warning: {w}").as_bytes(), self.delimiter);
        }
        if let Some(stamp) = &self.stamp {
            out.extend_from_slice(stamp);
            if let Some(d) = row.date {
                write!(out, "{d}")?;
            }
        }
        out.extend_from_slice(self.eol);
        Ok(())
    }

    fn needs_fields(&self) -> bool {
        self.reencode
    }
}

impl<W: Write> CsvSink<W> {
    /// A sink writing to `w`.
    pub fn new(w: W) -> CsvSink<W> {
        let format = CsvFormat { eol: b"\n", excel_safe: false, delimiter: b',', reencode: false, stamp: None };
        CsvSink { out: w, buf: Vec::with_capacity(BUF + 4096), format: Arc::new(format), delimiter: None }
    }

    /// Neutralises cells a spreadsheet would run as formulas (see [`formula_like`]), input
    /// cells included: for files that will be opened in Excel, LibreOffice or Google Sheets.
    pub fn excel_safe(mut self, on: bool) -> CsvSink<W> {
        self.format = Arc::new(CsvFormat { excel_safe: on, reencode: on, ..(*self.format).clone() });
        self
    }

    /// Separates the output's fields with `delimiter` (by default, with the input's).
    pub fn delimiter(mut self, delimiter: Option<u8>) -> CsvSink<W> {
        self.delimiter = delimiter;
        self
    }

    /// Flushes and returns the writer.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.finish()?;
        Ok(self.out)
    }

    fn spill(&mut self) -> io::Result<()> {
        if self.buf.len() >= BUF {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }
}

impl<W: Write> Sink for CsvSink<W> {
    fn begin(&mut self, h: &Header<'_>) -> io::Result<()> {
        let delimiter = self.delimiter.unwrap_or(h.delimiter);
        let excel_safe = self.format.excel_safe;
        let stamp = h.stamp.map(|v| {
            let mut s = vec![delimiter];
            cell(&mut s, v.as_bytes(), excel_safe, delimiter);
            s.push(delimiter);
            s
        });
        let eol: &'static [u8] = if h.crlf { b"\r\n" } else { self.format.eol };
        let reencode = excel_safe || delimiter != h.delimiter;
        self.format = Arc::new(CsvFormat { eol, excel_safe, delimiter, reencode, stamp });
        if h.bom {
            self.buf.extend_from_slice(b"\xEF\xBB\xBF");
        }
        match h.raw {
            Some(raw) if !self.format.reencode => self.buf.extend_from_slice(raw),
            _ => self.format.fields(&mut self.buf, h.record),
        }
        let stamp = if h.stamp.is_some() { &STAMP_COLUMNS[..] } else { &[] };
        for c in OUTPUT_COLUMNS.iter().chain(stamp) {
            self.buf.push(delimiter);
            self.buf.extend_from_slice(c.as_bytes());
        }
        self.buf.extend_from_slice(self.format.eol);
        self.spill()
    }

    fn row(&mut self, row: &Row<'_>) -> io::Result<()> {
        self.format.row(&mut self.buf, row)?;
        self.spill()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        self.out.flush()
    }

    fn needs_fields(&self) -> bool {
        self.format.needs_fields()
    }

    #[allow(private_interfaces)] // sealed, as the trait's method
    fn blocks(&mut self) -> Option<&mut dyn Blocks> {
        Some(self)
    }
}

impl<W: Write> Blocks for CsvSink<W> {
    fn format(&self) -> Arc<dyn Format> {
        self.format.clone()
    }

    fn block(&mut self, bytes: &[u8]) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        self.out.write_all(bytes)
    }
}

/// Writes one JSON object per row: `row`, `line`, `input` (the input columns by header name),
/// then the audit fields and the trace.
pub struct JsonlSink<W: Write> {
    out: BufWriter<W>,
    format: Arc<JsonlFormat>,
    line: Vec<u8>,
}

/// The rows of a [`JsonlSink`].
#[derive(Debug, Clone, Default)]
pub(crate) struct JsonlFormat {
    /// The header names as JSON strings (repeated names numbered).
    keys: Vec<String>,
    /// With a stamp: the rule set's version as a JSON string.
    stamp: Option<String>,
}

impl Format for JsonlFormat {
    fn row(&self, out: &mut Vec<u8>, row: &Row<'_>) -> io::Result<()> {
        write!(out, "{{\"row\":{},\"line\":{},\"input\":{{", row.number, row.line)?;
        for (i, (k, v)) in self.keys.iter().zip(row.fields.iter()).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(k.as_bytes());
            out.push(b':');
            serde_json::to_writer(&mut *out, &String::from_utf8_lossy(v))?;
        }
        out.extend_from_slice(b"},");
        if let (Outcome::Evaluated(_), Some(w)) = (row.outcome, row.warning) {
            out.extend_from_slice(b"\"warning\":");
            serde_json::to_writer(&mut *out, &w.to_string())?;
            out.push(b',');
        }
        if let Some(version) = &self.stamp {
            write!(out, "\"rules_version\":{version},\"as_of\":")?;
            match row.date {
                Some(d) => write!(out, "\"{d}\",")?,
                None => out.extend_from_slice(b"null,"),
            }
        }
        match row.outcome {
            Outcome::Evaluated(f) => out.extend_from_slice(f.json.as_bytes()),
            Outcome::Error(e) => out.extend_from_slice(error_json(&e.to_string())?.as_bytes()),
        }
        out.push(b'\n');
        Ok(())
    }
}

impl<W: Write> JsonlSink<W> {
    /// A sink writing to `w`.
    pub fn new(w: W) -> JsonlSink<W> {
        JsonlSink { out: BufWriter::with_capacity(BUF, w), format: Arc::default(), line: Vec::with_capacity(4096) }
    }

    /// Flushes and returns the writer (to add lines after the rows, say).
    pub fn into_inner(self) -> io::Result<W> {
        self.out.into_inner().map_err(std::io::IntoInnerError::into_error)
    }
}

impl<W: Write> Sink for JsonlSink<W> {
    fn begin(&mut self, h: &Header<'_>) -> io::Result<()> {
        let names = h.columns.names();
        let mut keys = Vec::new();
        for (i, n) in names.iter().enumerate() {
            let seen = names.iter().take(i).filter(|m| *m == n).count();
            let key = if seen == 0 { n.clone() } else { format!("{n}_{}", seen + 1) };
            keys.push(serde_json::to_string(&key)?);
        }
        let stamp = h.stamp.map(serde_json::to_string).transpose()?;
        self.format = Arc::new(JsonlFormat { keys, stamp });
        Ok(())
    }

    fn row(&mut self, row: &Row<'_>) -> io::Result<()> {
        self.line.clear();
        self.format.row(&mut self.line, row)?;
        self.out.write_all(&self.line)
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    #[allow(private_interfaces)] // sealed, as the trait's method
    fn blocks(&mut self) -> Option<&mut dyn Blocks> {
        Some(self)
    }
}

impl<W: Write> Blocks for JsonlSink<W> {
    fn format(&self) -> Arc<dyn Format> {
        self.format.clone()
    }

    fn block(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)
    }

    fn json(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(s: &str) -> String {
        let mut v = Vec::new();
        csv_field(&mut v, s.as_bytes());
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(enc("plain"), "plain");
        assert_eq!(enc(""), "");
        assert_eq!(enc("rma, replacement"), "\"rma, replacement\"");
        assert_eq!(enc("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(enc("two\nlines"), "\"two\nlines\"");
        assert_eq!(enc("cr\r"), "\"cr\r\"");
        assert_eq!(enc("\""), "\"\"\"\"");
        assert_eq!(enc("Zürich 東京"), "Zürich 東京");
    }
}
