//! `audit --format human`: rows as comfy-tables for people, a table per block of rows so that
//! memory stays bounded on large inputs.

use std::io::{self, Write};

use chipgate::audit::{Columns, Field, Header, Outcome, Row, Sink};
use comfy_table::{ColumnConstraint, Width};
use jiff::civil::Date;

use crate::cli::render::table;

/// Rows per table.
const BLOCK: usize = 200;

/// Writes rows as tables: the fields the audit read, then its answer.
pub struct TableSink<W: Write> {
    out: W,
    default_date: Date,
    columns: Option<Columns>,
    rows: Vec<Vec<String>>,
}

impl<W: Write> TableSink<W> {
    pub fn new(out: W, default_date: Date) -> TableSink<W> {
        TableSink { out, default_date, columns: None, rows: Vec::new() }
    }

    fn flush_block(&mut self) -> io::Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let mut t = table(&["Row", "Shipment", "Verdict", "ECCN", "Exceptions / review", "Reasons / error"]);
        let w = |n| Width::Fixed(n);
        t.set_constraints([
            ColumnConstraint::UpperBoundary(w(5)),
            ColumnConstraint::Boundaries { lower: w(14), upper: w(26) },
            ColumnConstraint::LowerBoundary(w(21)),
            ColumnConstraint::UpperBoundary(w(16)),
            ColumnConstraint::Boundaries { lower: w(12), upper: w(22) },
            ColumnConstraint::LowerBoundary(w(36)),
        ]);
        for r in self.rows.drain(..) {
            t.add_row(r);
        }
        writeln!(self.out, "{t}")
    }

    /// The chip as the row gives it: a catalog name, spec figures, or both.
    fn chip(&self, c: &Columns, row: &Row<'_>) -> String {
        let get = |f: Field| field(c, row, f);
        let specs: Vec<String> =
            Field::specs().filter_map(|f| get(f).filter(|v| !v.is_empty()).map(|v| format!("{}={v}", f.name()))).collect();
        let name = get(Field::Chip).unwrap_or_default();
        match (name.is_empty(), specs.is_empty()) {
            (false, true) => name,
            (true, _) => specs.join(" "),
            (false, false) => format!("{name} with {}", specs.join(" ")),
        }
    }
}

/// A field of a row, as text without the spaces around it; `None` when the file has no such column.
fn field(c: &Columns, row: &Row<'_>, f: Field) -> Option<String> {
    c.index(f).and_then(|i| row.fields.get(i)).map(|b| String::from_utf8_lossy(b).trim().to_string())
}

impl<W: Write> Sink for TableSink<W> {
    fn begin(&mut self, header: &Header<'_>) -> io::Result<()> {
        self.columns = Some(header.columns.clone());
        Ok(())
    }

    fn row(&mut self, row: &Row<'_>) -> io::Result<()> {
        let Some(c) = &self.columns else { return Ok(()) };
        let get = |f: Field| field(c, row, f);
        let mut to = get(Field::Destination).unwrap_or_default();
        if let Some(hq) = get(Field::EndUserHq).filter(|h| !h.is_empty()) {
            to = format!("{to} (end user in {hq})");
        }
        let date = get(Field::Date).filter(|d| !d.is_empty()).unwrap_or_else(|| format!("{} (default)", self.default_date));
        let mut cells = vec![row.number.to_string(), format!("{} → {to}\n{date}", self.chip(c, row))];
        match row.outcome {
            Outcome::Evaluated(f) => {
                let review =
                    if f.review_policy.is_empty() { String::new() } else { format!("review: {}", f.review_policy.replace('_', " ")) };
                let ex = [f.exceptions.as_str(), review.as_str()].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>();
                let mut reasons = f.reasons.replace("; ", "\n");
                if let Some(w) = row.warning {
                    for p in &w.problems {
                        reasons += &format!("\nwarning: column {}: {}", p.column.as_deref().unwrap_or("?"), p.message);
                    }
                }
                cells.extend([f.verdict.to_string(), f.eccn.clone(), ex.join("; "), reasons]);
            }
            Outcome::Error(e) => {
                let problems: Vec<String> = e
                    .problems
                    .iter()
                    .map(|p| match &p.column {
                        Some(c) => format!("column {c}: {}", p.message),
                        None => p.message.clone(),
                    })
                    .collect();
                cells.extend(["error".to_string(), String::new(), String::new(), problems.join("\n")]);
            }
        }
        self.rows.push(cells);
        if self.rows.len() >= BLOCK {
            self.flush_block()?;
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.flush_block()?;
        self.out.flush()
    }
}
