//! A sink writing an `.xlsx` workbook (rust_xlsxwriter, in its constant-memory mode: rows go to
//! a temporary file as they come, so memory stays bounded on any number of rows): a sheet
//! `Audit` with the input columns and the audit columns, its header frozen with filters, each
//! row filled in its verdict's colour; then, at [`XlsxSink::save`], a sheet `Summary` with the
//! totals, the column mapping, the date rows without one were evaluated as of and the rule
//! packs, so that the file stands as a record of the audit.
//!
//! Every cell is a string or a number, never a formula: a cell that starts with `=` is text, as
//! the CSV sink's `excel_safe` makes it. An input cell is a number when it is one exactly as
//! Rust prints it (`8`, `2.5`; not `0042` or `1e3`, which stay text as written).

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;

use rust_xlsxwriter::{Color, Format, Workbook, Worksheet, XlsxError};

use super::columns::{Columns, Field};
use super::memo::OUTPUT_COLUMNS;
use super::sink::{Header, Outcome, Row, Sink, STAMP_COLUMNS};
use super::workbook::column_name;
use super::Summary;
use chipgate_core::{RuleSet, Verdict};

/// The most rows an xlsx sheet holds (the header included).
const MAX_ROWS: u32 = 1 << 20;

/// The most columns an xlsx sheet holds.
const MAX_COLUMNS: usize = 1 << 14;

/// The fill of a row by its outcome (none for rows that need nothing): Excel's own "bad",
/// "neutral" and "note" tones, so that a filtered sheet reads at a glance.
fn fill(verdict: Option<Verdict>) -> Option<u32> {
    match verdict {
        Some(Verdict::NoLicenseRequired) => None,
        Some(Verdict::LicenseException) => Some(0xFFEB9C),
        Some(Verdict::LicenseRequired) => Some(0xFFC7CE),
        Some(Verdict::Embargoed) => Some(0xFF9B9B),
        Some(Verdict::Indeterminate) => Some(0xDDEBF7),
        None => Some(0xF8CBAD),
    }
}

/// Why a workbook cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum XlsxWriteError {
    /// More rows than a sheet holds.
    #[error("an xlsx sheet holds at most {} rows (the header and {} rows); write CSV for this input (--format csv)", MAX_ROWS, MAX_ROWS - 1)]
    TooManyRows,
    /// More columns than a sheet holds.
    #[error("the output would have {0} columns; an xlsx sheet holds at most {MAX_COLUMNS}; write CSV for this input (--format csv)")]
    TooManyColumns(usize),
    /// A cell too long for a sheet.
    #[error("row {row}, column {column}: the cell holds more than 32,767 characters, the most an xlsx cell may; write CSV for this input (--format csv)")]
    CellTooLong {
        /// Data row (one-based).
        row: u64,
        /// Column name.
        column: String,
    },
    /// The workbook library failed.
    #[error("cannot write the workbook")]
    Xlsx(#[source] XlsxError),
}

impl From<XlsxWriteError> for io::Error {
    fn from(e: XlsxWriteError) -> io::Error {
        match e {
            XlsxWriteError::Xlsx(XlsxError::IoError(io)) => io,
            e => io::Error::other(e),
        }
    }
}

/// Writes the audit as a workbook: rows through [`Sink::row`], the file at [`XlsxSink::save`].
pub struct XlsxSink {
    book: Workbook,
    /// The next sheet row (0 is the header).
    next: u32,
    /// Input columns.
    width: usize,
    columns: Option<Columns>,
    names: Vec<String>,
    stamp: Option<String>,
    header: Format,
    /// The fill of each verdict, in [`Verdict::ALL`] order, then of errors.
    fills: Vec<Option<Format>>,
}

impl XlsxSink {
    /// A sink whose rows wait in a temporary file in `tempdir` (the system's when `None`)
    /// until [`XlsxSink::save`]; the file has no name and is gone when the process ends.
    pub fn new(tempdir: Option<&Path>) -> io::Result<XlsxSink> {
        let x = |e| io::Error::from(XlsxWriteError::Xlsx(e));
        let mut book = Workbook::new();
        if let Some(dir) = tempdir {
            book.set_tempdir(dir).map_err(x)?;
        }
        book.add_worksheet_with_constant_memory().map_err(x)?.set_name("Audit").map_err(x)?;
        let fills = Verdict::ALL.iter().map(|v| Some(*v)).chain([None]).map(|v| fill(v).map(background)).collect();
        Ok(XlsxSink {
            book,
            next: 0,
            width: 0,
            columns: None,
            names: Vec::new(),
            stamp: None,
            header: Format::new().set_bold().set_background_color(Color::RGB(0xD9E1F2)),
            fills,
        })
    }

    fn sheet(&mut self) -> io::Result<&mut Worksheet> {
        self.book.worksheet_from_index(0).map_err(|e| XlsxWriteError::Xlsx(e).into())
    }

    /// Adds the `Summary` sheet and writes the workbook to `w`. `notes` are extra lines for the
    /// record, such as the input file (`("Input", "orders.xlsx, sheet Q3")`).
    pub fn save<W: Write + Send>(mut self, summary: &Summary, rs: &RuleSet, notes: &[(String, String)], w: W) -> io::Result<()> {
        let x = |e| io::Error::from(XlsxWriteError::Xlsx(e));
        let last_col = self.names.len().saturating_sub(1);
        let last_row = self.next.saturating_sub(1);
        self.sheet()?.autofilter(0, 0, last_row, col(last_col)?).map_err(x)?;
        let mapping = self.mapping();
        let sheet = self.book.add_worksheet().set_name("Summary").map_err(x)?;
        SummarySheet { sheet, row: 0, bold: Format::new().set_bold() }.write(summary, rs, notes, &mapping, &self.fills).map_err(x)?;
        self.book.save_to_writer(w).map_err(x)
    }

    /// Which column each field was read from: (`destination`, `Ship-to (C)`).
    fn mapping(&self) -> Vec<(&'static str, String)> {
        let Some(c) = &self.columns else { return Vec::new() };
        Field::all().filter_map(|f| c.index(f).map(|i| (f.name(), format!("{} ({})", c.name(i), column_name(i as u32))))).collect()
    }

    /// Writes one cell: a number when the text is one as Rust prints it, else a string.
    fn cell(&mut self, row: u32, c: usize, text: &str, format: Option<&Format>, number: u64) -> io::Result<()> {
        let column = || self.names.get(c).cloned().unwrap_or_default();
        let long = |e| match e {
            XlsxError::MaxStringLengthExceeded => XlsxWriteError::CellTooLong { row: number, column: column() },
            XlsxError::RowColumnLimitError => XlsxWriteError::TooManyRows,
            e => XlsxWriteError::Xlsx(e),
        };
        let c16 = col(c)?;
        let result = {
            let sheet = self.book.worksheet_from_index(0).map_err(XlsxWriteError::Xlsx)?;
            match (as_number(text), format) {
                (Some(n), Some(f)) => sheet.write_number_with_format(row, c16, n, f).map(drop),
                (Some(n), None) => sheet.write_number(row, c16, n).map(drop),
                (None, Some(f)) => sheet.write_string_with_format(row, c16, text, f).map(drop),
                (None, None) => sheet.write_string(row, c16, text).map(drop),
            }
        };
        result.map_err(|e| long(e).into())
    }
}

/// A column index as the workbook's.
fn col(c: usize) -> io::Result<u16> {
    u16::try_from(c).ok().filter(|c| usize::from(*c) < MAX_COLUMNS).ok_or_else(|| XlsxWriteError::TooManyColumns(c + 1).into())
}

fn background(rgb: u32) -> Format {
    Format::new().set_background_color(Color::RGB(rgb))
}

/// The number a cell's text is exactly as Rust prints it, if any.
fn as_number(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 24 || !b.iter().all(|c| c.is_ascii_digit() || *c == b'.' || *c == b'-') {
        return None;
    }
    let n: f64 = s.parse().ok().filter(|n: &f64| n.is_finite())?;
    let mut again = String::with_capacity(b.len());
    let _ = write!(again, "{n}");
    (again == s).then_some(n)
}

impl Sink for XlsxSink {
    fn begin(&mut self, h: &Header<'_>) -> io::Result<()> {
        self.width = h.record.len();
        self.stamp = h.stamp.map(str::to_string);
        self.columns = Some(h.columns.clone());
        let stamp = if h.stamp.is_some() { &STAMP_COLUMNS[..] } else { &[] };
        self.names = h.columns.names().iter().cloned().chain(OUTPUT_COLUMNS.iter().chain(stamp).map(|c| c.to_string())).collect();
        col(self.names.len().saturating_sub(1))?;
        let x = |e| io::Error::from(XlsxWriteError::Xlsx(e));
        let (names, header, width) = (self.names.clone(), self.header.clone(), self.width);
        let sheet = self.sheet()?;
        for (i, n) in names.iter().enumerate() {
            let c = col(i)?;
            let audit = i.checked_sub(width).and_then(|j| OUTPUT_COLUMNS.iter().chain(stamp).nth(j)).copied();
            let w = match audit {
                Some("reasons" | "error" | "rules_version") => 48.0,
                Some("exceptions") => 24.0,
                _ => (n.chars().count() as f64 + 3.0).clamp(10.0, 40.0),
            };
            sheet.set_column_width(c, w).map_err(x)?;
            sheet.write_string_with_format(0, c, n.as_str(), &header).map_err(x)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(x)?;
        self.next = 1;
        Ok(())
    }

    fn row(&mut self, row: &Row<'_>) -> io::Result<()> {
        let r = self.next;
        if r >= MAX_ROWS {
            return Err(XlsxWriteError::TooManyRows.into());
        }
        let (verdict, slot) = match row.outcome {
            Outcome::Evaluated(f) => (Some(f.verdict), Verdict::ALL.iter().position(|v| *v == f.verdict)),
            Outcome::Error(_) => (None, Some(Verdict::ALL.len())),
        };
        let format = slot.and_then(|s| self.fills.get(s)).cloned().flatten();
        let format = format.as_ref();
        let width = self.width;
        for (i, f) in row.fields.iter().enumerate().take(width) {
            self.cell(r, i, &String::from_utf8_lossy(f), format, row.number)?;
        }
        let error;
        let audit: [&str; 7] = match row.outcome {
            Outcome::Evaluated(f) => {
                // A warning (a quantity not counted, an ECCN that differs) goes in `error`.
                error = row.warning.map(|w| format!("warning: {w}")).unwrap_or_default();
                [&f.eccn, f.license_str(), &f.exceptions, &f.review_policy, verdict.map_or("", Verdict::as_str), &f.reasons, &error]
            }
            Outcome::Error(e) => {
                error = e.to_string();
                ["", "", "", "", "error", "", &error]
            }
        };
        for (j, text) in audit.iter().enumerate() {
            self.cell(r, width + j, text, format, row.number)?;
        }
        if let Some(version) = self.stamp.clone() {
            let date = row.date.map(|d| d.to_string()).unwrap_or_default();
            self.cell(r, width + audit.len(), &version, format, row.number)?;
            self.cell(r, width + audit.len() + 1, &date, format, row.number)?;
        }
        self.next += 1;
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The `Summary` sheet, written top to bottom.
struct SummarySheet<'a> {
    sheet: &'a mut Worksheet,
    row: u32,
    bold: Format,
}

impl SummarySheet<'_> {
    fn line(&mut self, cells: &[Cell<'_>], format: Option<&Format>) -> Result<(), XlsxError> {
        for (i, c) in cells.iter().enumerate() {
            let c16 = u16::try_from(i).unwrap_or(u16::MAX);
            match (c, format) {
                (Cell::Text(t), Some(f)) => self.sheet.write_string_with_format(self.row, c16, *t, f)?,
                (Cell::Text(t), None) => self.sheet.write_string(self.row, c16, *t)?,
                (Cell::Number(n), Some(f)) => self.sheet.write_number_with_format(self.row, c16, *n, f)?,
                (Cell::Number(n), None) => self.sheet.write_number(self.row, c16, *n)?,
            };
        }
        self.row += 1;
        Ok(())
    }

    fn title(&mut self, text: &str, columns: &[&str]) -> Result<(), XlsxError> {
        self.row += 1;
        let bold = self.bold.clone();
        self.line(&[Cell::Text(text)], Some(&bold))?;
        let cells: Vec<Cell<'_>> = columns.iter().map(|c| Cell::Text(c)).collect();
        self.line(&cells, Some(&bold))
    }

    fn write(
        mut self,
        s: &Summary,
        rs: &RuleSet,
        notes: &[(String, String)],
        mapping: &[(&str, String)],
        fills: &[Option<Format>],
    ) -> Result<(), XlsxError> {
        self.sheet.set_column_width(0, 34)?;
        self.sheet.set_column_width(1, 44)?;
        for c in 2..6 {
            self.sheet.set_column_width(c, 16)?;
        }
        let bold = self.bold.clone();
        self.line(&[Cell::Text("chipgate audit")], Some(&bold))?;
        for (k, v) in notes {
            self.line(&[Cell::Text(k), Cell::Text(v)], None)?;
        }
        let version = rs.version();
        let as_of = s.as_of.to_string();
        let dates = s.dates.map(|d| format!("{} to {}", d.first, d.last)).unwrap_or_default();
        self.line(&[Cell::Text("Rules"), Cell::Text(&version)], None)?;
        self.line(&[Cell::Text("Rows without a date evaluated as of"), Cell::Text(&as_of)], None)?;
        self.line(&[Cell::Text("Row dates"), Cell::Text(&dates)], None)?;
        for (k, n) in [
            ("Rows", s.rows),
            ("Evaluated", s.evaluated),
            ("Findings", s.findings),
            ("Rows with errors", s.error_rows),
            ("Distinct evaluations", s.evaluations),
        ] {
            self.line(&[Cell::Text(k), Cell::Number(n as f64)], None)?;
        }
        self.title("Verdicts", &["Verdict", "Rows", "Units"])?;
        for v in &s.verdicts {
            let slot = Verdict::ALL.iter().position(|x| x.as_str() == v.verdict).unwrap_or(Verdict::ALL.len());
            let units = v.tally.units.to_string();
            let cells = [Cell::Text(v.verdict), Cell::Number(v.tally.rows as f64), units_cell(v.tally.units, &units)];
            self.line(&cells, fills.get(slot).and_then(Option::as_ref))?;
        }
        self.title("Column mapping", &["Field", "Column"])?;
        for (field, column) in mapping {
            self.line(&[Cell::Text(field), Cell::Text(column)], None)?;
        }
        self.title("Rule packs", &["Name", "Version", "Hash", "Location", "Description"])?;
        for p in &rs.packs {
            let cells = [&p.name, &p.version, &p.hash, &p.location, &p.description].map(|t| Cell::Text(t));
            self.line(&cells, None)?;
        }
        self.title("Destinations with findings", &["Destination", "Code", "Rows", "Findings", "By verdict"])?;
        for d in &s.destinations {
            let by: Vec<String> = d.verdicts.iter().map(|v| format!("{} {}", v.verdict, v.rows)).collect();
            let by = by.join(", ");
            let cells =
                [Cell::Text(&d.name), Cell::Text(&d.code), Cell::Number(d.rows as f64), Cell::Number(d.findings as f64), Cell::Text(&by)];
            self.line(&cells, None)?;
        }
        if !s.errors.is_empty() {
            self.title("Errors", &["Kind", "Count"])?;
            for e in &s.errors {
                self.line(&[Cell::Text(e.kind), Cell::Number(e.count as f64)], None)?;
            }
        }
        if !s.warnings.is_empty() {
            self.title("Warnings (verdict given; see the error column)", &["Kind", "Count"])?;
            for w in &s.warnings {
                self.line(&[Cell::Text(w.kind), Cell::Number(w.count as f64)], None)?;
            }
        }
        Ok(())
    }
}

/// A summary cell.
enum Cell<'a> {
    Text(&'a str),
    Number(f64),
}

/// Units as a number while a sheet holds them exactly (up to 2^53), else as text.
fn units_cell(units: u128, text: &str) -> Cell<'_> {
    if units <= 1 << 53 {
        Cell::Number(units as f64)
    } else {
        Cell::Text(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_only_as_rust_prints_them() {
        assert_eq!(as_number("8"), Some(8.0));
        assert_eq!(as_number("2.5"), Some(2.5));
        assert_eq!(as_number("-3"), Some(-3.0));
        for text in ["0042", "1e3", "1.50", "", "2024-06-01", "12345678901234567890", "-", ".5", "1,024", "NaN", "inf"] {
            assert_eq!(as_number(text), None, "{text}");
        }
    }
}
