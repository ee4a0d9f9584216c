//! Parquet and Arrow IPC files, the formats shipment histories are kept in on data platforms:
//! `audit` reads them batch by batch and writes them the same way (memory stays a few
//! batches), with the audit's columns typed (see `chipgate::audit::arrow`).

use std::fs::File;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use arrow_array::{RecordBatch, RecordBatchReader};
use arrow_schema::{ArrowError, SchemaRef};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

/// A columnar file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Apache Parquet.
    Parquet,
    /// The Arrow IPC file format (Feather v2).
    Ipc,
}

/// The columnar format a file name says, if any: `.parquet`/`.pq`, or `.arrow`/`.feather`/`.ipc`.
pub fn kind_of(path: &Path) -> Option<Kind> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "parquet" | "pq" => Some(Kind::Parquet),
        "arrow" | "feather" | "ipc" => Some(Kind::Ipc),
        _ => None,
    }
}

/// The batches of a file, read as they are needed.
pub type Batches = Box<dyn RecordBatchReader + Send>;

/// Opens a columnar file for reading.
pub fn open(path: &Path, kind: Kind) -> Result<Batches> {
    let shown = path.display();
    let f = File::open(path).with_context(|| format!("cannot open `{shown}`"))?;
    Ok(match kind {
        Kind::Parquet => Box::new(
            ParquetRecordBatchReaderBuilder::try_new(f)
                .and_then(|b| b.with_batch_size(8192).build())
                .with_context(|| format!("cannot read `{shown}` as Parquet"))?,
        ),
        Kind::Ipc => Box::new(
            arrow_ipc::reader::FileReader::try_new(f, None).with_context(|| format!("cannot read `{shown}` as an Arrow IPC file"))?,
        ),
    })
}

/// Rows per Parquet row group.
const ROW_GROUP: usize = 128 * 1024;

/// Writes batches of one schema to a columnar file.
pub enum Writer<W: Write + Send> {
    /// Parquet, zstd-compressed.
    Parquet(ArrowWriter<W>),
    /// Arrow IPC.
    Ipc(arrow_ipc::writer::FileWriter<W>),
}

impl<W: Write + Send> Writer<W> {
    /// Starts a file of `schema`.
    pub fn new(kind: Kind, w: W, schema: SchemaRef) -> Result<Writer<W>, ArrowError> {
        Ok(match kind {
            Kind::Parquet => {
                // A row group is held in memory until it is complete: 128 Ki rows keeps the
                // writer's memory a few tens of MiB whatever the file's size.
                let props = WriterProperties::builder()
                    .set_compression(Compression::ZSTD(ZstdLevel::default()))
                    .set_max_row_group_row_count(Some(ROW_GROUP))
                    .build();
                Writer::Parquet(ArrowWriter::try_new(w, schema, Some(props)).map_err(|e| ArrowError::ExternalError(Box::new(e)))?)
            }
            Kind::Ipc => Writer::Ipc(arrow_ipc::writer::FileWriter::try_new(w, &schema)?),
        })
    }

    /// Writes a batch.
    pub fn write(&mut self, b: &RecordBatch) -> Result<(), ArrowError> {
        match self {
            Writer::Parquet(w) => w.write(b).map_err(|e| ArrowError::ExternalError(Box::new(e))),
            Writer::Ipc(w) => w.write(b),
        }
    }

    /// Ends the file (its footer).
    pub fn close(self) -> Result<(), ArrowError> {
        match self {
            Writer::Parquet(w) => w.close().map(drop).map_err(|e| ArrowError::ExternalError(Box::new(e))),
            Writer::Ipc(mut w) => w.finish(),
        }
    }
}
