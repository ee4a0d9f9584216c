//! What `audit` reads: a CSV file or standard input, or a sheet of a workbook.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use anyhow::{bail, Context, Result};
use chipgate::audit::workbook::{self, Workbook};
use chipgate::audit::{self, Options, Sink, Summary};
use chipgate::RuleSet;

use crate::cli::output::FileId;

/// The input opened.
pub enum Input {
    /// CSV bytes.
    Csv(Box<dyn Read + Send>),
    /// A sheet of a workbook, by name.
    Sheet(Box<Workbook>, String),
    /// The record batches of a Parquet or Arrow IPC file.
    Batches(super::columnar::Batches),
}

/// The input, its size when known, and which file it is.
pub struct Opened {
    pub input: Input,
    pub size: Option<u64>,
    pub id: Option<FileId>,
}

/// Opens the input (`-` is standard input); a workbook (by its extension) at the sheet asked
/// for, or its first visible one.
pub fn open(path: &Path, sheet: Option<&str>) -> Result<Opened> {
    let shown = path.display();
    if path == Path::new("-") {
        if sheet.is_some() {
            bail!("--sheet applies to a workbook file (.xlsx, .xlsm, .xlsb, .xls, .ods); standard input is read as CSV");
        }
        return Ok(Opened { input: Input::Csv(Box::new(std::io::stdin())), size: None, id: FileId::of_stdin() });
    }
    let f = File::open(path).with_context(|| format!("cannot open `{shown}`"))?;
    let size = f.metadata().ok().map(|m| m.len());
    let id = FileId::of_file(&f);
    if let Some(kind) = super::columnar::kind_of(path) {
        if sheet.is_some() {
            bail!("--sheet applies to a workbook file (.xlsx, .xlsm, .xlsb, .xls, .ods); `{shown}` is a columnar file");
        }
        drop(f);
        return Ok(Opened { input: Input::Batches(super::columnar::open(path, kind)?), size, id });
    }
    if !workbook::is_workbook(path) {
        if sheet.is_some() {
            bail!("--sheet applies to a workbook file (.xlsx, .xlsm, .xlsb, .xls, .ods); `{shown}` is read as CSV");
        }
        return Ok(Opened { input: Input::Csv(Box::new(f)), size, id });
    }
    drop(f);
    let book = Workbook::open(path).with_context(|| format!("cannot read `{shown}`"))?;
    let name = book.choose(sheet).with_context(|| format!("`{shown}`"))?;
    Ok(Opened { input: Input::Sheet(Box::new(book), name), size, id })
}

impl Input {
    /// Audits the input into a sink; errors name the file (and the sheet).
    pub fn audit(self, path: &Path, rs: &RuleSet, opts: &Options, sink: &mut dyn Sink) -> Result<Summary> {
        match self {
            Input::Csv(r) => Ok(audit::audit(rs, opts, r, sink)?),
            Input::Sheet(book, sheet) => book.audit(&sheet, rs, opts, sink).with_context(|| format!("`{}`", path.display())),
            Input::Batches(b) => {
                let schema = b.schema();
                audit::arrow::audit_batches_to_sink(rs, opts, &schema, b, sink).with_context(|| format!("`{}`", path.display()))
            }
        }
    }

    /// The sheet read, for a workbook.
    pub fn sheet(&self) -> Option<&str> {
        match self {
            Input::Csv(_) | Input::Batches(_) => None,
            Input::Sheet(_, s) => Some(s),
        }
    }
}
