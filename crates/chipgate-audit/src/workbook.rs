//! Workbooks as audit input: a sheet of an `.xlsx`, `.xlsm`, `.xlsb`, `.xls` or `.ods` file
//! (read with calamine) is turned into CSV on a thread of its own and fed to [`audit`], the same
//! engine as for a CSV file, so that a sheet's rows get the verdicts the same rows get in a CSV.
//!
//! A cell becomes the text a CSV export would hold: a string as it is, a number as Rust prints
//! it (`8`, `2.5`; whole numbers without `.0`), a boolean as `true`/`false`, a date or date-time
//! cell as its calendar date `YYYY-MM-DD` (the time of day is dropped), a duration as its number
//! of days, an empty cell as an empty field, and an error value as its text (`#N/A`, `#DIV/0!`):
//! in a column the audit reads it is then a located error on its row (`unknown chip `#N/A``,
//! `invalid date `#N/A``), never an empty field, which could turn a broken date into the default
//! date or a broken figure into an absent one; elsewhere it passes through as text.
//!
//! The header is the sheet's first non-empty row; columns count from `A`. Every sheet row is
//! one CSV line, an empty row an empty line (skipped, as a blank line of a CSV is), so that a
//! row's `line` is its row number in the sheet (unless a cell above it holds a line break).
//! `.xlsx`, `.xlsm` and `.xlsb` sheets are streamed cell by cell; `.xls` and `.ods` sheets are
//! loaded whole by calamine (memory grows with the sheet).

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::sync::mpsc::{self, Receiver, SyncSender};

use calamine::{CellType, DataType, Ods, Range, Reader, SheetType, SheetVisible, Sheets, Xls, Xlsb, Xlsx};

use super::sink::csv_field;
use super::{audit, AuditError, Options, Sink, Summary};
use chipgate_core::RuleSet;

/// The file name extensions read as workbooks (lowercase).
pub const EXTENSIONS: [&str; 5] = ["xlsx", "xlsm", "xlsb", "xls", "ods"];

/// Whether a path names a workbook, by its extension (in any case).
pub fn is_workbook(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// A worksheet of a workbook, as listed in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetName {
    /// The sheet's name.
    pub name: String,
    /// Hidden in the workbook (Excel does not show its tab).
    pub hidden: bool,
}

/// Why a workbook cannot be audited (a bad row never stops an audit: see [`audit`]).
#[derive(Debug, thiserror::Error)]
pub enum WorkbookError {
    /// The file cannot be opened as a workbook.
    #[error("cannot open the workbook")]
    Open(#[source] calamine::Error),
    /// The workbook has no worksheet (only chart sheets, say).
    #[error("the workbook has no worksheet")]
    NoSheet,
    /// `--sheet` names no worksheet.
    #[error("no sheet `{given}` in the workbook; sheets: {}", list(.sheets))]
    UnknownSheet {
        /// What was asked for.
        given: String,
        /// The worksheets there are.
        sheets: Vec<SheetName>,
    },
    /// The sheet cannot be read.
    #[error("cannot read sheet `{sheet}`")]
    Sheet {
        /// The sheet.
        sheet: String,
        /// Why.
        #[source]
        source: calamine::Error,
    },
    /// The audit of the sheet failed.
    #[error("sheet `{sheet}`")]
    Audit {
        /// The sheet.
        sheet: String,
        /// Why.
        #[source]
        source: AuditError,
    },
}

/// Sheets as the error messages list them: `1 `Shipments`, 2 `Notes` (hidden)`.
fn list(sheets: &[SheetName]) -> String {
    let one = |(i, s): (usize, &SheetName)| format!("{} `{}`{}", i + 1, s.name, if s.hidden { " (hidden)" } else { "" });
    sheets.iter().enumerate().map(one).collect::<Vec<_>>().join(", ")
}

/// A workbook opened for an audit.
pub struct Workbook {
    book: Sheets<BufReader<File>>,
    sheets: Vec<SheetName>,
}

impl Workbook {
    /// Opens a workbook; its kind is told by its extension (see [`EXTENSIONS`]), else guessed.
    pub fn open(path: &Path) -> Result<Workbook, WorkbookError> {
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).unwrap_or_default();
        let book = match ext.as_str() {
            "xlsx" | "xlsm" => calamine::open_workbook::<Xlsx<_>, _>(path).map(Sheets::Xlsx).map_err(calamine::Error::Xlsx),
            "xlsb" => calamine::open_workbook::<Xlsb<_>, _>(path).map(Sheets::Xlsb).map_err(calamine::Error::Xlsb),
            "xls" => calamine::open_workbook::<Xls<_>, _>(path).map(Sheets::Xls).map_err(calamine::Error::Xls),
            "ods" => calamine::open_workbook::<Ods<_>, _>(path).map(Sheets::Ods).map_err(calamine::Error::Ods),
            _ => calamine::open_workbook_auto(path),
        }
        .map_err(WorkbookError::Open)?;
        let sheets = book
            .sheets_metadata()
            .iter()
            .filter(|s| s.typ == SheetType::WorkSheet)
            .map(|s| SheetName { name: s.name.clone(), hidden: s.visible != SheetVisible::Visible })
            .collect();
        Ok(Workbook { book, sheets })
    }

    /// The worksheets, in workbook order.
    pub fn sheets(&self) -> &[SheetName] {
        &self.sheets
    }

    /// The sheet to audit: by default the first visible worksheet; else the one of that name,
    /// or failing that the N-th worksheet (one-based, hidden ones counted) when `given` is a
    /// number N.
    pub fn choose(&self, given: Option<&str>) -> Result<String, WorkbookError> {
        let Some(given) = given else {
            let first = self.sheets.iter().find(|s| !s.hidden).or(self.sheets.first());
            return first.map(|s| s.name.clone()).ok_or(WorkbookError::NoSheet);
        };
        let unknown = || WorkbookError::UnknownSheet { given: given.to_string(), sheets: self.sheets.clone() };
        if let Some(s) = self.sheets.iter().find(|s| s.name == given) {
            return Ok(s.name.clone());
        }
        let n: usize = given.trim().parse().map_err(|_| unknown())?;
        n.checked_sub(1).and_then(|i| self.sheets.get(i)).map(|s| s.name.clone()).ok_or_else(unknown)
    }

    /// Audits a sheet (named as [`Workbook::sheets`] lists it): the same as [`audit`] on the
    /// sheet saved as CSV. The sheet reaches the audit as comma-separated UTF-8, whatever its
    /// cells hold, so `opts.delimiter` and `opts.encoding` do not apply.
    pub fn audit(self, sheet: &str, rs: &RuleSet, opts: &Options, sink: &mut dyn Sink) -> Result<Summary, WorkbookError> {
        let opts = &Options { delimiter: Some(b','), encoding: None, ..opts.clone() };
        let Workbook { mut book, .. } = self;
        let range = match &book {
            Sheets::Xlsx(_) | Sheets::Xlsb(_) => None,
            Sheets::Xls(_) | Sheets::Ods(_) => {
                let r = book.worksheet_range(sheet);
                Some(r.map_err(|source| WorkbookError::Sheet { sheet: sheet.to_string(), source })?)
            }
        };
        let (tx, rx) = mpsc::sync_channel(CHUNKS);
        let name = sheet.to_string();
        let (summary, fed) = std::thread::scope(|scope| {
            let feeder = scope.spawn(move || match range {
                Some(r) => feed_range(&r, tx),
                None => feed_cells(book, &name, tx),
            });
            let summary = audit(rs, opts, ChunkReader { rx, chunk: Vec::new(), at: 0, ended: false }, sink);
            (summary, feeder.join())
        });
        // The reader's own failure first: the audit's is then only that its input stopped.
        let sheet_error = |source| WorkbookError::Sheet { sheet: sheet.to_string(), source };
        match fed {
            Ok(Ok(())) => summary.map_err(|source| WorkbookError::Audit { sheet: sheet.to_string(), source }),
            Ok(Err(e)) => Err(sheet_error(e)),
            // The reader stopped mid-sheet (a bug): the rows it did not give were never audited.
            Err(_) => Err(sheet_error(calamine::Error::Msg("the workbook reader stopped unexpectedly"))),
        }
    }
}

/// CSV chunks in flight between the feeding thread and the audit, at most.
const CHUNKS: usize = 4;

/// The CSV a chunk collects before it is sent.
const CHUNK_BYTES: usize = 64 << 10;

/// What the feeding thread sends.
enum Chunk {
    /// More CSV.
    Data(Vec<u8>),
    /// The sheet could not be read further.
    Failed(String),
    /// The whole sheet was sent.
    End,
}

/// The CSV of a sheet as a [`Read`]: ends only when the feeding thread says the sheet ended,
/// so a reader that stops early (a bug, an unreadable cell) is an error, never a short sheet.
struct ChunkReader {
    rx: Receiver<Chunk>,
    chunk: Vec<u8>,
    at: usize,
    ended: bool,
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at >= self.chunk.len() {
            if self.ended {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok(Chunk::Data(d)) => (self.chunk, self.at) = (d, 0),
                Ok(Chunk::End) => self.ended = true,
                Ok(Chunk::Failed(e)) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
                Err(_) => return Err(io::Error::other("the workbook reader stopped before the end of the sheet")),
            }
        }
        let rest = self.chunk.get(self.at..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), rest.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.at += n;
        Ok(n)
    }
}

/// Streams the cells of an `.xlsx` or `.xlsb` sheet into CSV chunks.
fn feed_cells(mut book: Sheets<BufReader<File>>, sheet: &str, tx: SyncSender<Chunk>) -> Result<(), calamine::Error> {
    let mut csv = Csv::new(tx);
    macro_rules! stream {
        ($reader:expr, $wrap:path) => {{
            let mut cells = $reader.map_err($wrap)?;
            loop {
                match cells.next_cell() {
                    Ok(Some(c)) => {
                        let (row, col) = c.get_position();
                        if !csv.cell(row, col, c.get_value()) {
                            return Ok(());
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        let at = csv.last_cell();
                        csv.fail(format!("cannot read the cell after {at}: {e}"));
                        return Ok(());
                    }
                }
            }
        }};
    }
    match &mut book {
        Sheets::Xlsx(x) => stream!(x.worksheet_cells_reader(sheet), calamine::Error::Xlsx),
        Sheets::Xlsb(x) => stream!(x.worksheet_cells_reader(sheet), calamine::Error::Xlsb),
        Sheets::Xls(_) | Sheets::Ods(_) => return Err(calamine::Error::Msg("this kind of workbook is not streamed")),
    }
    csv.end();
    Ok(())
}

/// Turns a sheet loaded whole (`.xls`, `.ods`) into CSV chunks.
fn feed_range<T: DataType + CellType>(range: &Range<T>, tx: SyncSender<Chunk>) -> Result<(), calamine::Error> {
    let mut csv = Csv::new(tx);
    let (top, left) = range.start().unwrap_or((0, 0));
    for (i, cells) in range.rows().enumerate() {
        for (j, v) in cells.iter().enumerate() {
            let (Ok(i), Ok(j)) = (u32::try_from(i), u32::try_from(j)) else { continue };
            if !csv.cell(top.saturating_add(i), left.saturating_add(j), v) {
                return Ok(());
            }
        }
    }
    csv.end();
    Ok(())
}

/// Writes cells, in sheet order, as CSV: one line per sheet row.
struct Csv {
    tx: SyncSender<Chunk>,
    out: Vec<u8>,
    /// The rows written so far (lines, empty ones included).
    rows: u32,
    /// The fields of the row being written, and where they are in `out`.
    next_col: u32,
    row_start: usize,
    /// The header's width, once it is read.
    width: Option<u32>,
    /// The last cell read, for messages.
    last: (u32, u32),
    text: String,
}

impl Csv {
    fn new(tx: SyncSender<Chunk>) -> Csv {
        Csv {
            tx,
            out: Vec::with_capacity(CHUNK_BYTES + 4096),
            rows: 0,
            next_col: 0,
            row_start: 0,
            width: None,
            last: (0, 0),
            text: String::new(),
        }
    }

    /// Adds a cell (zero-based row and column); false when the audit no longer reads.
    fn cell<T: DataType>(&mut self, row: u32, col: u32, v: &T) -> bool {
        self.last = (row, col);
        while self.rows < row {
            self.end_row();
            if self.out.len() >= CHUNK_BYTES && !self.send() {
                return false;
            }
        }
        self.text.clear();
        cell_text(v, &mut self.text);
        if self.text.is_empty() || col < self.next_col {
            return true;
        }
        for _ in self.next_col.max(1)..=col {
            self.out.push(b',');
        }
        csv_field(&mut self.out, self.text.as_bytes());
        self.next_col = col + 1;
        true
    }

    /// Ends the row being written: pads it to the header's width (an empty row stays empty).
    fn end_row(&mut self) {
        if self.next_col > 0 {
            let width = *self.width.get_or_insert(self.next_col);
            for _ in self.next_col..width {
                self.out.push(b',');
            }
        }
        self.out.push(b'\n');
        (self.rows, self.next_col, self.row_start) = (self.rows + 1, 0, self.out.len());
    }

    fn send(&mut self) -> bool {
        let full = std::mem::replace(&mut self.out, Vec::with_capacity(CHUNK_BYTES + 4096));
        self.row_start = 0;
        self.tx.send(Chunk::Data(full)).is_ok()
    }

    fn end(mut self) {
        if self.next_col > 0 {
            self.end_row();
        }
        if self.send() {
            let _ = self.tx.send(Chunk::End);
        }
    }

    /// Sends the complete rows read so far, then the failure.
    fn fail(mut self, message: String) {
        self.out.truncate(self.row_start);
        if self.send() {
            let _ = self.tx.send(Chunk::Failed(message));
        }
    }

    /// The last cell read, as `B17`.
    fn last_cell(&self) -> String {
        format!("{}{}", column_name(self.last.1), u64::from(self.last.0) + 1)
    }
}

/// A zero-based column as its letters: 0 is `A`, 26 is `AA`.
pub fn column_name(col: u32) -> String {
    let mut n = u64::from(col) + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let r = ((n - 1) % 26) as u8;
        letters.push(char::from(b'A' + r));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// A cell's value as the text a CSV export holds (see the module documentation).
fn cell_text<T: DataType>(v: &T, out: &mut String) {
    if let Some(s) = v.get_string() {
        out.push_str(s);
    } else if let Some(i) = v.get_int() {
        let _ = write!(out, "{i}");
    } else if let Some(f) = v.get_float() {
        let _ = write!(out, "{f}");
    } else if let Some(b) = v.get_bool() {
        out.push_str(if b { "true" } else { "false" });
    } else if let Some(d) = v.get_datetime() {
        if d.is_datetime() {
            let (y, m, d, ..) = d.to_ymd_hms_milli();
            let _ = write!(out, "{y:04}-{m:02}-{d:02}");
        } else {
            let _ = write!(out, "{}", d.as_f64());
        }
    } else if let Some(s) = v.get_datetime_iso() {
        out.push_str(iso_date(s));
    } else if let Some(s) = v.get_duration_iso() {
        out.push_str(s);
    } else if let Some(e) = v.get_error() {
        let _ = write!(out, "{e}");
    }
}

/// The calendar date of an ISO 8601 date or date-time (`2024-06-01T10:15:00` → `2024-06-01`);
/// anything else as it is.
fn iso_date(s: &str) -> &str {
    let b = s.as_bytes();
    let date = b.len() >= 10
        && b.iter().take(10).enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() })
        && b.get(10).is_none_or(|c| matches!(c, b'T' | b' '));
    if date {
        s.get(..10).unwrap_or(s)
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{CellErrorType, Data, DataRef, ExcelDateTime, ExcelDateTimeType};

    fn text(v: DataRef<'_>) -> String {
        let mut s = String::new();
        cell_text(&v, &mut s);
        s
    }

    #[test]
    fn cells_as_a_csv_export_holds_them() {
        assert_eq!(text(DataRef::SharedString("H100")), "H100");
        assert_eq!(text(DataRef::Int(8)), "8");
        assert_eq!(text(DataRef::Float(8.0)), "8");
        assert_eq!(text(DataRef::Float(2.5)), "2.5");
        assert_eq!(text(DataRef::Bool(true)), "true");
        let day = ExcelDateTime::new(45444.0, ExcelDateTimeType::DateTime, false);
        assert_eq!(text(DataRef::DateTime(day)), "2024-06-01");
        let late = ExcelDateTime::new(45444.99, ExcelDateTimeType::DateTime, false);
        assert_eq!(text(DataRef::DateTime(late)), "2024-06-01");
        let dur = ExcelDateTime::new(1.5, ExcelDateTimeType::TimeDelta, false);
        assert_eq!(text(DataRef::DateTime(dur)), "1.5");
        assert_eq!(text(DataRef::DateTimeIso("2024-06-01T10:15:00".into())), "2024-06-01");
        assert_eq!(text(DataRef::DateTimeIso("10:15:00".into())), "10:15:00");
        assert_eq!(text(DataRef::Error(CellErrorType::NA)), "#N/A");
        assert_eq!(text(DataRef::Error(CellErrorType::Div0)), "#DIV/0!");
        assert_eq!(text(DataRef::Empty), "");
    }

    #[test]
    fn column_names() {
        let names: Vec<String> = [0, 1, 25, 26, 27, 51, 52, 701, 702, 16383].iter().map(|c| column_name(*c)).collect();
        assert_eq!(names, ["A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA", "XFD"]);
    }

    fn csv_of(cells: &[(u32, u32, Data)]) -> (String, Option<String>) {
        let (tx, rx) = mpsc::sync_channel(64);
        let mut csv = Csv::new(tx);
        for (r, c, v) in cells {
            assert!(csv.cell(*r, *c, v));
        }
        csv.end();
        let (mut out, mut failed, mut ended) = (Vec::new(), None, false);
        for chunk in rx {
            match chunk {
                Chunk::Data(d) => out.extend(d),
                Chunk::Failed(e) => failed = Some(e),
                Chunk::End => ended = true,
            }
        }
        assert!(ended || failed.is_some());
        (String::from_utf8(out).unwrap(), failed)
    }

    #[test]
    fn one_line_per_sheet_row() {
        let s = |t: &str| Data::String(t.into());
        let cells = [
            (1, 0, s("id")),
            (1, 1, s("chip")),
            (1, 3, s("destination")),
            (2, 0, Data::Float(1.0)),
            (2, 1, s("H100")),
            (2, 3, s("CN")),
            // Row 4 (index 3) is empty; row 5 has a styled empty cell and a quoted field.
            (4, 0, Data::Empty),
            (4, 1, s("A100, rev 2")),
            (5, 3, s("DE")),
            (5, 5, s("beyond the header")),
        ];
        let (csv, failed) = csv_of(&cells);
        assert_eq!(failed, None);
        assert_eq!(csv, "\nid,chip,,destination\n1,H100,,CN\n\n,\"A100, rev 2\",,\n,,,DE,,beyond the header\n");
    }
}
