//! The audit of Arrow batches (`chipgate::audit::arrow`) against the CSV audit of the same
//! rows: over generated shipments, malformed rows included, every row gets the same verdict,
//! ECCN, license answer, exceptions, review policy, reasons and error text, whether the
//! columns are all strings (as a CSV read by pyarrow without inference) or typed as a Parquet
//! file would type them (integers, floats, dates, booleans, dictionary-encoded strings).

use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, StringBuilder, StringDictionaryBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use arrow_array::{Array, ArrayRef, RecordBatch, StringArray};
use arrow_schema::{ArrowError, DataType, Field, Schema, TimeUnit};
use chipgate::audit::{arrow::audit_batches, audit, CsvSink, Options};
use chipgate::RuleSet;
use common::Lcg;
use jiff::civil::{date, Date};

mod common;

const HEADER: [&str; 8] = ["id", "chip", "destination", "date", "end_user_hq", "quantity", "tpp", "datacenter"];

/// Rows as cells; with `malformed`, some cells no reading could accept.
fn generate(rs: &RuleSet, rows: usize, seed: u64, malformed: bool) -> Vec<[String; 8]> {
    let mut rng = Lcg(seed);
    let chips = ["H100", "A800", "H800", "H20", "L40S", "RTX 4090", "MI300X", "B200", "", ""];
    let dests = ["CN", "HK", "AE", "DE", "US", "RU", "SG", "Hong Kong", "IR"];
    let hqs = ["", "", "CN", "US", "MO"];
    let tpps = ["", "", "", "2400", "4800", "6000", "1600.5"];
    let flags = ["", "true", "false"];
    let bad_chip = ["Tensor X9", "H1OO"];
    let mut days: Vec<Date> = rs.change_dates.iter().flat_map(|d| [*d, d.yesterday().unwrap()]).collect();
    for _ in 0..100 {
        days.push(date(2022, 1, 1).checked_add(jiff::Span::new().days((rng.next() % 1800) as i64)).unwrap());
    }
    (0..rows)
        .map(|i| {
            let mut chip = rng.pick(&chips).to_string();
            let mut tpp = rng.pick(&tpps).to_string();
            if chip.is_empty() && tpp.is_empty() {
                tpp = "4800".into();
            }
            let mut dest = rng.pick(&dests).to_string();
            let mut day = days[(rng.next() as usize) % days.len()].to_string();
            let mut quantity = (rng.next() % 500).to_string();
            if malformed {
                match rng.next() % 12 {
                    0 => chip = rng.pick(&bad_chip).to_string(),
                    1 => day = "2024-02-30".into(),
                    2 => quantity = "a dozen".into(),
                    3 => dest = String::new(),
                    4 => tpp = "lots".into(),
                    5 => dest = "Atlantis".into(),
                    _ => {}
                }
            }
            [i.to_string(), chip, dest, day, rng.pick(&hqs).to_string(), quantity, tpp, rng.pick(&flags).to_string()]
        })
        .collect()
}

/// The rows as CSV.
fn csv_of(rows: &[[String; 8]]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(HEADER).unwrap();
    rows.iter().for_each(|r| w.write_record(r).unwrap());
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

/// The audit's seven columns of each row, from the CSV path.
fn csv_audit(rs: &RuleSet, rows: &[[String; 8]]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut sink = CsvSink::new(&mut out);
    audit(rs, &Options::new(date(2025, 1, 1)), csv_of(rows).as_bytes(), &mut sink).unwrap();
    drop(sink);
    let mut r = csv::Reader::from_reader(out.as_slice());
    r.records().map(|rec| rec.unwrap().iter().skip(HEADER.len()).map(str::to_string).collect()).collect()
}

/// The same seven columns from audited batches, written as the CSV writes them (a null as
/// an empty cell, but an unknown `license_required` as `unknown`).
fn arrow_columns(batches: &[RecordBatch]) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for b in batches {
        let n = b.num_columns();
        for r in 0..b.num_rows() {
            rows.push(
                (n - 7..n)
                    .map(|c| {
                        let a = b.column(c);
                        if a.is_null(r) && a.data_type() == &DataType::Boolean && b.column(n - 3).as_string::<i32>().value(r) != "error" {
                            "unknown".to_string()
                        } else if a.is_null(r) {
                            String::new()
                        } else if a.data_type() == &DataType::Boolean {
                            a.as_boolean().value(r).to_string()
                        } else {
                            a.as_string::<i32>().value(r).to_string()
                        }
                    })
                    .collect(),
            );
        }
    }
    rows
}

/// Audits batches of `size` rows built by `build` and returns them.
fn arrow_audit(rs: &RuleSet, rows: &[[String; 8]], size: usize, build: fn(&[[String; 8]]) -> RecordBatch) -> Vec<RecordBatch> {
    let batches: Vec<RecordBatch> = rows.chunks(size).map(build).collect();
    let schema = batches[0].schema();
    let mut out = Vec::new();
    let summary = audit_batches(rs, &Options::new(date(2025, 1, 1)), &schema, batches.into_iter().map(Ok), &mut |b| {
        out.push(b);
        Ok(())
    })
    .unwrap();
    assert_eq!(summary.rows, rows.len() as u64);
    out
}

/// Every column a string.
fn strings(rows: &[[String; 8]]) -> RecordBatch {
    let fields: Vec<Field> = HEADER.iter().map(|h| Field::new(*h, DataType::Utf8, false)).collect();
    let cols: Vec<ArrayRef> =
        (0..HEADER.len()).map(|c| Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r[c].as_str()))) as ArrayRef).collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).unwrap()
}

/// A cell, `None` when empty.
fn opt(s: &str) -> Option<&str> {
    Some(s).filter(|s| !s.is_empty())
}

/// Typed as a Parquet file would type well-formed rows: an empty cell is a null.
fn typed(rows: &[[String; 8]]) -> RecordBatch {
    let mut id = Int64Builder::new();
    let mut chip = StringDictionaryBuilder::<Int32Type>::new();
    let mut dest = StringBuilder::new();
    let mut day = Date32Builder::new();
    let mut hq = StringBuilder::new();
    let mut quantity = Int64Builder::new();
    let mut tpp = Float64Builder::new();
    let mut dc = BooleanBuilder::new();
    for r in rows {
        id.append_value(r[0].parse().unwrap());
        chip.append_option(opt(&r[1]));
        dest.append_value(&r[2]);
        let d: Date = r[3].parse().unwrap();
        day.append_value((d - date(1970, 1, 1)).get_days());
        hq.append_option(opt(&r[4]));
        quantity.append_value(r[5].parse().unwrap());
        tpp.append_option(opt(&r[6]).map(|t| t.parse().unwrap()));
        dc.append_option(opt(&r[7]).map(|f| f == "true"));
    }
    let schema = Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("chip", DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)), true),
        Field::new("destination", DataType::Utf8, false),
        Field::new("date", DataType::Date32, false),
        Field::new("end_user_hq", DataType::Utf8, true),
        Field::new("quantity", DataType::Int64, false),
        Field::new("tpp", DataType::Float64, true),
        Field::new("datacenter", DataType::Boolean, true),
    ]);
    let cols: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(chip.finish()),
        Arc::new(dest.finish()),
        Arc::new(day.finish()),
        Arc::new(hq.finish()),
        Arc::new(quantity.finish()),
        Arc::new(tpp.finish()),
        Arc::new(dc.finish()),
    ];
    RecordBatch::try_new(Arc::new(schema), cols).unwrap()
}

#[test]
fn string_batches_answer_every_row_as_the_csv_audit_does_malformed_rows_included() {
    let rs = RuleSet::builtin().unwrap();
    let rows = generate(&rs, 3000, 7, true);
    let want = csv_audit(&rs, &rows);
    let got = arrow_columns(&arrow_audit(&rs, &rows, 700, strings));
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "row {} ({:?})", i + 1, rows[i]);
    }
    assert!(want.iter().any(|w| w[4] == "error"), "the malformed rows are errors");
}

#[test]
fn typed_batches_answer_every_row_as_the_csv_audit_does() {
    let rs = RuleSet::builtin().unwrap();
    let rows = generate(&rs, 3000, 11, false);
    let want = csv_audit(&rs, &rows);
    let batches = arrow_audit(&rs, &rows, 1024, typed);
    let got = arrow_columns(&batches);
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "row {} ({:?})", i + 1, rows[i]);
    }
    // The input columns come back as they went in, the audit's after them.
    let names: Vec<String> = batches[0].schema().fields().iter().map(|f| f.name().clone()).collect();
    assert_eq!(&names[..8], &HEADER.map(String::from));
    assert_eq!(&names[8..], &chipgate::audit::OUTPUT_COLUMNS.map(String::from));
    assert_eq!(batches[0].schema().field(9).data_type(), &DataType::Boolean, "license_required is a boolean");
}

#[test]
fn timestamps_are_read_as_the_date_on_their_zones_clock_and_unreadable_columns_are_refused() {
    use arrow_array::TimestampSecondArray;
    let rs = RuleSet::builtin().unwrap();
    // 2023-10-22T20:00:00Z is 2023-10-23 in Beijing: the day NVIDIA was informed that the A800
    // needs a license to China (the day before, none was required).
    let at = jiff::Timestamp::from_second(1_698_004_800).unwrap();
    assert_eq!(at.to_string(), "2023-10-22T20:00:00Z");
    let run = |zone: Option<&str>| {
        let ts = TimestampSecondArray::from(vec![at.as_second()]).with_timezone_opt(zone.map(str::to_string));
        let schema = Arc::new(Schema::new(vec![
            Field::new("chip", DataType::Utf8, false),
            Field::new("destination", DataType::Utf8, false),
            Field::new("date", DataType::Timestamp(TimeUnit::Second, zone.map(Arc::from)), false),
        ]));
        let b = RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(StringArray::from(vec!["A800"])), Arc::new(StringArray::from(vec!["CN"])), Arc::new(ts)],
        )
        .unwrap();
        let mut out = Vec::new();
        audit_batches(&rs, &Options::new(date(2025, 1, 1)), &schema, [Ok::<_, ArrowError>(b)], &mut |b| {
            out.push(b);
            Ok(())
        })
        .unwrap();
        arrow_columns(&out)[0][4].clone()
    };
    assert_eq!(run(None), "no_license_required");
    assert_eq!(run(Some("+08:00")), "license_required");
    assert_eq!(run(Some("Asia/Shanghai")), "license_required");
    // A column of lists cannot be a destination.
    let list = DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)));
    let schema = Schema::new(vec![Field::new("chip", DataType::Utf8, false), Field::new("destination", list, false)]);
    let err = audit_batches(&rs, &Options::new(date(2025, 1, 1)), &schema, std::iter::empty(), &mut |_| Ok(())).unwrap_err();
    assert!(err.to_string().contains("the column `destination` is of type List"), "{err}");
}

/// The audit read as a stream (`AuditStream`, as the Python package and Spark read it): the
/// same batches as `audit_batches`, in order across its worker threads, then the summary; a
/// failure ends the stream with an error and says its cause.
#[test]
fn an_audit_read_as_a_stream_gives_the_same_batches_in_order_then_its_outcome() {
    use arrow_array::{RecordBatchIterator, RecordBatchReader};
    use chipgate::audit::arrow::AuditStream;

    let rs = Arc::new(RuleSet::builtin().unwrap());
    let rows = generate(&rs, 5000, 21, true);
    let want = arrow_audit(&rs, &rows, 97, strings);
    let batches: Vec<RecordBatch> = rows.chunks(97).map(strings).collect();
    let input = RecordBatchIterator::new(batches.clone().into_iter().map(Ok), batches[0].schema());
    let stream = AuditStream::new(Arc::clone(&rs), Options::new(date(2025, 1, 1)), input);
    let outcome = stream.outcome();
    assert_eq!(stream.schema(), want[0].schema());
    let got: Vec<RecordBatch> = stream.map(Result::unwrap).collect();
    assert_eq!(got, want);
    let summary = outcome.lock().unwrap().clone().unwrap().unwrap();
    assert_eq!(summary.rows, 5000);

    // Without row numbers, the messages are those of the numbered audit after their "row N, ".
    let opts = Options { row_numbers: false, ..Options::new(date(2025, 1, 1)) };
    let input = RecordBatchIterator::new(batches.clone().into_iter().map(Ok), batches[0].schema());
    let plain: Vec<RecordBatch> = AuditStream::new(Arc::clone(&rs), opts, input).map(Result::unwrap).collect();
    let errors = |b: &[RecordBatch]| -> Vec<String> {
        b.iter()
            .flat_map(|b| {
                b.column_by_name("error").unwrap().as_string::<i32>().iter().map(|e| e.unwrap_or("").to_string()).collect::<Vec<_>>()
            })
            .collect()
    };
    let numbered = errors(&want);
    assert!(numbered.iter().any(|e| e.starts_with("row ")));
    for (n, p) in numbered.iter().zip(errors(&plain)) {
        let (warn, rest) = n.strip_prefix("warning: ").map_or(("", n.as_str()), |r| ("warning: ", r));
        let stripped = rest.split_once(", ").map_or(String::new(), |(_, m)| format!("{warn}{m}"));
        assert_eq!(p, if n.is_empty() { String::new() } else { stripped });
    }

    // A batch of other columns midway: the stream ends with an error, and the outcome says it.
    let other = RecordBatch::try_new(
        Arc::new(Schema::new(vec![Field::new("chip", DataType::Utf8, false)])),
        vec![Arc::new(StringArray::from(vec!["H100"])) as ArrayRef],
    )
    .unwrap();
    let mixed = vec![Ok(batches[0].clone()), Ok(other)];
    let input = RecordBatchIterator::new(mixed, batches[0].schema());
    let stream = AuditStream::new(Arc::clone(&rs), Options::new(date(2025, 1, 1)), input);
    let outcome = stream.outcome();
    let items: Vec<Result<RecordBatch, ArrowError>> = stream.collect();
    assert!(items.last().unwrap().is_err(), "{items:?}");
    let said = outcome.lock().unwrap().clone().unwrap().unwrap_err();
    assert!(said.contains("a batch's columns differ"), "{said}");
}
