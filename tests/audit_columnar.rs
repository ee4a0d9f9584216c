//! `chipgate audit` with Parquet and Arrow IPC files: in, out, and mixed with CSV. A typed
//! Parquet file audited to CSV gives the file the CSV audit of the same rows gives; CSV
//! audited to Parquet has the same audit columns, `license_required` a boolean; Parquet to
//! Parquet keeps the input's types; a column that cannot be read is named.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, Date32Builder, Int64Builder, ListBuilder, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;

mod common;

/// A shipment: chip, destination, date, quantity, datacenter, TPP (a hypothetical chip has a
/// TPP instead of a name).
type Shipment = (&'static str, &'static str, &'static str, i64, Option<bool>, Option<i64>);

/// The shipments.
const ROWS: &[Shipment] = &[
    ("H100", "CN", "2024-06-01", 8, None, None),
    ("A800", "CN", "2023-06-01", 16, None, None),
    ("A800", "CN", "2024-06-01", 16, None, None),
    ("H20", "CN", "2025-06-01", 100, None, None),
    ("RTX 4090", "DE", "2025-06-01", 3, None, None),
    ("", "AE", "2025-02-01", 1, Some(true), Some(5000)),
    ("", "US", "2025-02-01", 1, Some(false), Some(1000)),
    ("Tensor X9", "CN", "2025-02-01", 1, None, None),
    ("H100", "Atlantis", "2025-02-01", 1, None, None),
];

fn csv_text() -> String {
    let mut s = String::from("chip,destination,date,quantity,datacenter,tpp\n");
    for (chip, dest, day, q, dc, tpp) in ROWS {
        let dc = dc.map(|b| b.to_string()).unwrap_or_default();
        let tpp = tpp.map(|t| t.to_string()).unwrap_or_default();
        s += &format!("{chip},{dest},{day},{q},{dc},{tpp}\n");
    }
    s
}

/// The same rows typed as a data platform writes them: nulls for empty cells.
fn typed_batch() -> RecordBatch {
    let (mut chip, mut dest, mut day, mut q, mut dc, mut tpp) =
        (StringBuilder::new(), StringBuilder::new(), Date32Builder::new(), Int64Builder::new(), BooleanBuilder::new(), Int64Builder::new());
    for (c, d, t, n, f, p) in ROWS {
        chip.append_option(Some(*c).filter(|c| !c.is_empty()));
        dest.append_value(d);
        let date: jiff::civil::Date = t.parse().unwrap();
        day.append_value((date - jiff::civil::date(1970, 1, 1)).get_days());
        q.append_value(*n);
        dc.append_option(*f);
        tpp.append_option(*p);
    }
    let schema = Schema::new(vec![
        Field::new("chip", DataType::Utf8, true),
        Field::new("destination", DataType::Utf8, false),
        Field::new("date", DataType::Date32, false),
        Field::new("quantity", DataType::Int64, false),
        Field::new("datacenter", DataType::Boolean, true),
        Field::new("tpp", DataType::Int64, true),
    ]);
    let cols: Vec<ArrayRef> = vec![
        Arc::new(chip.finish()),
        Arc::new(dest.finish()),
        Arc::new(day.finish()),
        Arc::new(q.finish()),
        Arc::new(dc.finish()),
        Arc::new(tpp.finish()),
    ];
    RecordBatch::try_new(Arc::new(schema), cols).unwrap()
}

fn write_parquet(path: &Path, batch: &RecordBatch) {
    let mut w = ArrowWriter::try_new(File::create(path).unwrap(), batch.schema(), None).unwrap();
    w.write(batch).unwrap();
    w.close().unwrap();
}

fn read_parquet(path: &Path) -> Vec<RecordBatch> {
    ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap()).unwrap().build().unwrap().map(Result::unwrap).collect()
}

fn audit(args: &[&str]) -> common::Run {
    let mut a = vec!["audit"];
    a.extend_from_slice(args);
    a.extend_from_slice(&["--date", "2025-01-01", "-q"]);
    // Exit 2 says rows could not be evaluated (some are malformed on purpose); a failure of
    // the audit itself would be said on stderr.
    let r = common::chipgate(&a);
    assert!(r.stderr.is_empty(), "{args:?}: {}", r.stderr);
    r
}

#[test]
fn a_typed_parquet_file_audits_to_the_csv_the_same_rows_give() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, parquet) = (dir.path().join("ship.csv"), dir.path().join("ship.parquet"));
    std::fs::write(&csv, csv_text()).unwrap();
    write_parquet(&parquet, &typed_batch());
    let (from_csv, from_parquet) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
    audit(&[csv.to_str().unwrap(), "-o", from_csv.to_str().unwrap()]);
    audit(&[parquet.to_str().unwrap(), "-o", from_parquet.to_str().unwrap()]);
    let (a, b) = (std::fs::read_to_string(&from_csv).unwrap(), std::fs::read_to_string(&from_parquet).unwrap());
    assert_eq!(b, a);
    assert!(a.contains(",license_required,") && a.contains("unknown chip") && a.contains("unknown country"), "{a}");
    // The same rows as an Arrow IPC file.
    let ipc = dir.path().join("ship.arrow");
    let batch = typed_batch();
    let mut w = arrow_ipc::writer::FileWriter::try_new(File::create(&ipc).unwrap(), &batch.schema()).unwrap();
    w.write(&batch).unwrap();
    w.finish().unwrap();
    let from_ipc = dir.path().join("c.csv");
    audit(&[ipc.to_str().unwrap(), "-o", from_ipc.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(&from_ipc).unwrap(), a);
}

#[test]
fn csv_audited_to_parquet_has_the_csv_audits_columns_and_parquet_to_parquet_keeps_types() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, out_csv, out_pq) = (dir.path().join("ship.csv"), dir.path().join("a.csv"), dir.path().join("a.parquet"));
    std::fs::write(&csv, csv_text()).unwrap();
    audit(&[csv.to_str().unwrap(), "-o", out_csv.to_str().unwrap()]);
    audit(&[csv.to_str().unwrap(), "-o", out_pq.to_str().unwrap()]);
    let want: Vec<Vec<String>> =
        csv::Reader::from_path(&out_csv).unwrap().records().map(|r| r.unwrap().iter().map(String::from).collect()).collect();
    let batches = read_parquet(&out_pq);
    let b = &batches[0];
    assert_eq!(b.num_rows(), ROWS.len());
    assert_eq!(b.schema().field_with_name("license_required").unwrap().data_type(), &DataType::Boolean);
    let verdict = b.column_by_name("verdict").unwrap().as_string::<i32>();
    let license = b.column_by_name("license_required").unwrap().as_boolean();
    for (i, w) in want.iter().enumerate() {
        assert_eq!(verdict.value(i), w[10], "row {}", i + 1);
        let l = if arrow_array::Array::is_null(license, i) { "unknown".to_string() } else { license.value(i).to_string() };
        assert_eq!(l, if w[10] == "error" { "unknown".to_string() } else { w[7].clone() }, "row {}", i + 1);
    }
    // Parquet in, Parquet out: the input's columns keep their types.
    let (typed, out) = (dir.path().join("typed.parquet"), dir.path().join("typed-out.parquet"));
    write_parquet(&typed, &typed_batch());
    audit(&[typed.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    let b = &read_parquet(&out)[0];
    assert_eq!(b.schema().field_with_name("date").unwrap().data_type(), &DataType::Date32);
    assert_eq!(b.schema().field_with_name("quantity").unwrap().data_type(), &DataType::Int64);
    assert_eq!(b.column_by_name("verdict").unwrap().as_string::<i32>().value(0), "license_required");
}

#[test]
fn a_column_of_another_type_is_named_and_the_previous_output_stays() {
    let dir = tempfile::tempdir().unwrap();
    let mut dest = ListBuilder::new(StringBuilder::new());
    dest.values().append_value("CN");
    dest.append(true);
    let mut chip = StringBuilder::new();
    chip.append_value("H100");
    let schema = Schema::new(vec![
        Field::new("chip", DataType::Utf8, false),
        Field::new("destination", DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))), false),
    ]);
    let batch = RecordBatch::try_new(Arc::new(schema), vec![Arc::new(chip.finish()), Arc::new(dest.finish())]).unwrap();
    let (input, out) = (dir.path().join("lists.parquet"), dir.path().join("out.parquet"));
    write_parquet(&input, &batch);
    std::fs::write(&out, "the last good result").unwrap();
    let r = common::chipgate(&["audit", input.to_str().unwrap(), "-o", out.to_str().unwrap(), "--date", "2025-01-01"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("the column `destination` is of type List"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "the last good result");
    // Columnar output needs a file.
    let r = common::chipgate(&["audit", input.to_str().unwrap(), "--format", "parquet"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("name it with -o PATH"), "{}", r.stderr);
}
