//! The audit of Arrow record batches: each batch comes back with the audit's columns appended,
//! for shipment histories that live in Parquet files, data frames and Spark rather than CSV.
//!
//! A row is read exactly as the same row of a CSV file would be: each cell a column mapping
//! names is written as the text a CSV export would hold (a string as it is, an integer or a
//! float in its shortest form, a boolean as `true`/`false`, a `date32`/`date64` as
//! `YYYY-MM-DD`, a timestamp as the calendar date in its time zone, UTC without one; null as
//! an empty cell) and handed to the same reader, memo and counts as the CSV path
//! ([`crate::Evaluator`]), so that verdicts, errors and their messages are the same. The input
//! columns are passed through untouched (shared, not copied).
//!
//! The appended columns, in [`OUTPUT_COLUMNS`] order: `eccn`, `exceptions`, `review_policy`,
//! `verdict`, `reasons` and `error` as UTF-8 strings (lists joined by `; `, as in the CSV), and
//! `license_required` as a boolean. A row that could not be evaluated has `verdict` `error`,
//! its problems in `error`, and nulls in the other five; a row evaluated with a warning has it
//! in `error` (`warning: …`). With [`Options::stamp`], `rules_version` (string) and `as_of`
//! (`date32`) follow.

use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, Date32Builder, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field as ArrowField, Schema, SchemaRef, TimeUnit};
use csv::ByteRecord;
use jiff::civil::Date;

use super::columns::{Columns, Field};
use super::memo::{Shared, OUTPUT_COLUMNS};
use super::row::Reader;
use super::scan::Fields;
use super::summary::InputFormat;
use super::{AuditError, Evaluator, Options, Summary, STAMP_COLUMNS};
use chipgate_core::RuleSet;

/// The schema of the audited batches of an input schema: its fields, then the audit's.
pub fn output_schema(input: &Schema, opts: &Options) -> SchemaRef {
    let mut fields: Vec<ArrowField> = input.fields().iter().map(|f| f.as_ref().clone()).collect();
    for name in OUTPUT_COLUMNS {
        let kind = if name == "license_required" { DataType::Boolean } else { DataType::Utf8 };
        fields.push(ArrowField::new(name, kind, true));
    }
    if opts.stamp {
        fields.push(ArrowField::new(STAMP_COLUMNS[0], DataType::Utf8, false));
        fields.push(ArrowField::new(STAMP_COLUMNS[1], DataType::Date32, true));
    }
    Arc::new(Schema::new_with_metadata(fields, input.metadata().clone()))
}

/// Audits a stream of record batches of one schema: hands each audited batch (the input's
/// columns, then the audit's, see [`output_schema`]) to `out`, in order, and returns the
/// totals. The columns are found by name as a CSV header's are (with `opts.columns` for the
/// rest); a column the audit reads must be of a type it can read as text (strings of any
/// kind, dictionary-encoded strings, integers, floats, decimals, booleans, dates,
/// timestamps). Fails when the schema cannot be audited, a batch cannot be read, or `out`
/// fails; bad rows never stop it.
pub fn audit_batches<I>(
    rs: &RuleSet,
    opts: &Options,
    schema: &Schema,
    batches: I,
    out: &mut dyn FnMut(RecordBatch) -> Result<(), ArrowError>,
) -> Result<Summary, AuditError>
where
    I: IntoIterator<Item = Result<RecordBatch, ArrowError>>,
{
    if let Some(from) = opts.ship_from.as_deref().filter(|f| rs.countries.resolve(f).is_none()) {
        return Err(AuditError::UnknownShipFrom(from.to_string()));
    }
    let header: ByteRecord = schema.fields().iter().map(|f| f.name().as_bytes()).collect();
    let columns = Columns::new(&header, &opts.columns).map_err(AuditError::Header)?;
    if opts.stamp {
        super::stamp_clash(&columns)?;
    }
    // The columns read, with their place among the input's; each must be readable as text.
    let read: Vec<usize> = Field::ALL.iter().filter_map(|(_, f)| columns.index(*f)).collect();
    for &i in &read {
        let field = schema.field(i);
        if !readable(field.data_type()) {
            return Err(AuditError::ColumnType { column: field.name().clone(), data_type: field.data_type().to_string() });
        }
    }
    let input = InputFormat { delimiter: String::new(), encoding: "Arrow".to_string(), columns: columns.used() };
    let out_schema = output_schema(schema, opts);
    let opts = Options { json: false, ..opts.clone() };
    let shared = Shared::new(rs, false);
    let reader = Reader::new(rs, &opts, columns, None);
    let mut eval = Evaluator::new(rs, &shared, 1, &opts, reader);
    let version = rs.version();
    let (mut cells, mut bounds) = (Vec::new(), vec![(0, 0); schema.fields().len()]);
    let mut number = 0u64;
    for batch in batches {
        let batch = batch.map_err(AuditError::Arrow)?;
        if batch.schema().fields() != schema.fields() {
            return Err(AuditError::Arrow(ArrowError::SchemaError(format!(
                "a batch's columns differ from the first schema's: {} against {}",
                batch.schema(),
                schema
            ))));
        }
        let mut added = Appended::new(batch.num_rows(), opts.stamp);
        for r in 0..batch.num_rows() {
            number += 1;
            cells.clear();
            for &i in &read {
                let start = cells.len();
                text(batch.column(i).as_ref(), r, &mut cells).map_err(AuditError::Arrow)?;
                if let Some(b) = bounds.get_mut(i) {
                    *b = (start, cells.len());
                }
            }
            // One-based rows; the line is the one a CSV file with a header would have, so that
            // messages say the row alone.
            let (got, warning, date) = eval.row(number, number + 1, Fields { bytes: &cells, bounds: &bounds }, None)?;
            added.push(&got, warning.as_ref(), date, &version);
        }
        let mut arrays: Vec<ArrayRef> = batch.columns().to_vec();
        arrays.extend(added.finish());
        out(RecordBatch::try_new(out_schema.clone(), arrays).map_err(AuditError::Arrow)?).map_err(AuditError::Arrow)?;
    }
    Ok(eval.finish(rs, opts.default_date, shared.evaluations(), input))
}

/// The audit's columns of one batch, as they are built.
struct Appended {
    eccn: StringBuilder,
    license: BooleanBuilder,
    exceptions: StringBuilder,
    review: StringBuilder,
    verdict: StringBuilder,
    reasons: StringBuilder,
    error: StringBuilder,
    stamp: Option<(StringBuilder, Date32Builder)>,
}

impl Appended {
    fn new(rows: usize, stamp: bool) -> Appended {
        let s = || StringBuilder::with_capacity(rows, rows * 8);
        Appended {
            eccn: s(),
            license: BooleanBuilder::with_capacity(rows),
            exceptions: s(),
            review: s(),
            verdict: s(),
            reasons: s(),
            error: s(),
            stamp: stamp.then(|| (s(), Date32Builder::with_capacity(rows))),
        }
    }

    fn push(
        &mut self,
        got: &Result<&Arc<super::Finding>, super::RowError>,
        warning: Option<&super::RowError>,
        date: Option<Date>,
        version: &str,
    ) {
        match got {
            Ok(f) => {
                self.eccn.append_value(&f.eccn);
                self.license.append_option(f.license_required);
                self.exceptions.append_value(&f.exceptions);
                self.review.append_value(&f.review_policy);
                self.verdict.append_value(f.verdict.as_str());
                self.reasons.append_value(&f.reasons);
                match warning {
                    Some(w) => self.error.append_value(format!("warning: {w}")),
                    None => self.error.append_value(""),
                }
            }
            Err(e) => {
                self.eccn.append_null();
                self.license.append_null();
                self.exceptions.append_null();
                self.review.append_null();
                self.verdict.append_value("error");
                self.reasons.append_null();
                self.error.append_value(e.to_string());
            }
        }
        if let Some((v, d)) = &mut self.stamp {
            v.append_value(version);
            d.append_option(date.map(days_since_epoch));
        }
    }

    fn finish(mut self) -> Vec<ArrayRef> {
        let mut a: Vec<ArrayRef> = vec![
            Arc::new(self.eccn.finish()),
            Arc::new(self.license.finish()),
            Arc::new(self.exceptions.finish()),
            Arc::new(self.review.finish()),
            Arc::new(self.verdict.finish()),
            Arc::new(self.reasons.finish()),
            Arc::new(self.error.finish()),
        ];
        if let Some((mut v, mut d)) = self.stamp.take() {
            a.push(Arc::new(v.finish()));
            a.push(Arc::new(d.finish()));
        }
        a
    }
}

/// The first day of the Unix epoch, which Arrow's dates count from.
const EPOCH: Date = Date::constant(1970, 1, 1);

fn days_since_epoch(d: Date) -> i32 {
    (d - EPOCH).get_days()
}

/// Whether cells of a type can be read as text.
fn readable(t: &DataType) -> bool {
    match t {
        DataType::Dictionary(_, values) => readable(values),
        DataType::Null | DataType::Boolean | DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Date32 | DataType::Date64 | DataType::Timestamp(_, _) => true,
        DataType::Decimal128(_, _) | DataType::Decimal256(_, _) => true,
        t => t.is_integer() || t.is_floating(),
    }
}

/// Appends the text a CSV export would hold for cell `row` of `a` (nothing for a null).
fn text(a: &dyn Array, row: usize, out: &mut Vec<u8>) -> Result<(), ArrowError> {
    use std::io::Write;
    if a.is_null(row) {
        return Ok(());
    }
    let w = |out: &mut Vec<u8>, v: &dyn std::fmt::Display| write!(out, "{v}").map_err(|e| ArrowError::ExternalError(Box::new(e)));
    match a.data_type() {
        DataType::Utf8 => out.extend_from_slice(a.as_string::<i32>().value(row).as_bytes()),
        DataType::LargeUtf8 => out.extend_from_slice(a.as_string::<i64>().value(row).as_bytes()),
        DataType::Utf8View => out.extend_from_slice(a.as_string_view().value(row).as_bytes()),
        DataType::Boolean => out.extend_from_slice(if a.as_boolean().value(row) { b"true" } else { b"false" }),
        DataType::Int8 => w(out, &a.as_primitive::<Int8Type>().value(row))?,
        DataType::Int16 => w(out, &a.as_primitive::<Int16Type>().value(row))?,
        DataType::Int32 => w(out, &a.as_primitive::<Int32Type>().value(row))?,
        DataType::Int64 => w(out, &a.as_primitive::<Int64Type>().value(row))?,
        DataType::UInt8 => w(out, &a.as_primitive::<UInt8Type>().value(row))?,
        DataType::UInt16 => w(out, &a.as_primitive::<UInt16Type>().value(row))?,
        DataType::UInt32 => w(out, &a.as_primitive::<UInt32Type>().value(row))?,
        DataType::UInt64 => w(out, &a.as_primitive::<UInt64Type>().value(row))?,
        DataType::Float16 => w(out, &a.as_primitive::<arrow_array::types::Float16Type>().value(row))?,
        DataType::Float32 => w(out, &a.as_primitive::<arrow_array::types::Float32Type>().value(row))?,
        DataType::Float64 => w(out, &a.as_primitive::<arrow_array::types::Float64Type>().value(row))?,
        DataType::Decimal128(_, _) => w(out, &a.as_primitive::<arrow_array::types::Decimal128Type>().value_as_string(row))?,
        DataType::Decimal256(_, _) => w(out, &a.as_primitive::<arrow_array::types::Decimal256Type>().value_as_string(row))?,
        DataType::Date32 => {
            let days = a.as_primitive::<Date32Type>().value(row);
            w(out, &EPOCH.checked_add(jiff::Span::new().days(days)).map_err(external)?)?
        }
        DataType::Date64 => {
            let ms = a.as_primitive::<Date64Type>().value(row);
            w(out, &jiff::Timestamp::from_millisecond(ms).map_err(external)?.to_zoned(jiff::tz::TimeZone::UTC).date())?
        }
        DataType::Timestamp(unit, tz) => {
            let v = match unit {
                TimeUnit::Second => a.as_primitive::<arrow_array::types::TimestampSecondType>().value(row),
                TimeUnit::Millisecond => a.as_primitive::<arrow_array::types::TimestampMillisecondType>().value(row),
                TimeUnit::Microsecond => a.as_primitive::<arrow_array::types::TimestampMicrosecondType>().value(row),
                TimeUnit::Nanosecond => a.as_primitive::<arrow_array::types::TimestampNanosecondType>().value(row),
            };
            let nanos = i128::from(v)
                * match unit {
                    TimeUnit::Second => 1_000_000_000,
                    TimeUnit::Millisecond => 1_000_000,
                    TimeUnit::Microsecond => 1_000,
                    TimeUnit::Nanosecond => 1,
                };
            let at = jiff::Timestamp::from_nanosecond(nanos).map_err(external)?;
            // The date on the clock of the column's time zone (an offset or an IANA name).
            let zone = match tz.as_deref() {
                None => jiff::tz::TimeZone::UTC,
                Some(name) => match offset(name) {
                    Some(o) => jiff::tz::TimeZone::fixed(o),
                    None => jiff::tz::TimeZone::get(name)
                        .map_err(|e| ArrowError::InvalidArgumentError(format!("unknown time zone `{name}` of a timestamp column: {e}")))?,
                },
            };
            w(out, &at.to_zoned(zone).date())?
        }
        DataType::Dictionary(_, _) => {
            let d = a.as_any_dictionary();
            text(d.values().as_ref(), key_at(d.keys(), row)?, out)?
        }
        t => return Err(ArrowError::InvalidArgumentError(format!("cells of type {t} cannot be read"))),
    }
    Ok(())
}

/// The place in a dictionary's values of the key of `row`.
fn key_at(keys: &dyn Array, row: usize) -> Result<usize, ArrowError> {
    let k = match keys.data_type() {
        DataType::Int8 => keys.as_primitive::<Int8Type>().value(row) as i64,
        DataType::Int16 => keys.as_primitive::<Int16Type>().value(row) as i64,
        DataType::Int32 => keys.as_primitive::<Int32Type>().value(row) as i64,
        DataType::Int64 => keys.as_primitive::<Int64Type>().value(row),
        DataType::UInt8 => keys.as_primitive::<UInt8Type>().value(row) as i64,
        DataType::UInt16 => keys.as_primitive::<UInt16Type>().value(row) as i64,
        DataType::UInt32 => keys.as_primitive::<UInt32Type>().value(row) as i64,
        DataType::UInt64 => i64::try_from(keys.as_primitive::<UInt64Type>().value(row)).unwrap_or(-1),
        t => return Err(ArrowError::InvalidArgumentError(format!("dictionary keys of type {t}"))),
    };
    usize::try_from(k).map_err(|_| ArrowError::InvalidArgumentError(format!("a negative dictionary key ({k})")))
}

/// A fixed offset written as Arrow writes one (`+08:00`, `-0530`, `+08`), if `name` is one.
fn offset(name: &str) -> Option<jiff::tz::Offset> {
    let (sign, rest) = match name.as_bytes().first()? {
        b'+' => (1, &name[1..]),
        b'-' => (-1, &name[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) || !matches!(digits.len(), 2 | 4) {
        return None;
    }
    let hours: i32 = digits.get(..2)?.parse().ok()?;
    let minutes: i32 = digits.get(2..).filter(|m| !m.is_empty()).map_or(Some(0), |m| m.parse().ok())?;
    jiff::tz::Offset::from_seconds(sign * (hours * 3600 + minutes * 60)).ok()
}

fn external(e: jiff::Error) -> ArrowError {
    ArrowError::ExternalError(Box::new(e))
}
