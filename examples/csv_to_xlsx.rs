//! Turns a shipment CSV into the workbook a spreadsheet would save: numbers as numbers,
//! `YYYY-MM-DD` dates as date cells, `true`/`false` as booleans, the rest as text; for
//! `benches/workbook.sh`. Run with `cargo run --release --example csv_to_xlsx -- IN.csv OUT.xlsx`;
//! with `--shared-strings` last, strings go to a shared-string table as Excel saves them
//! (rust_xlsxwriter then holds the whole sheet in memory while it writes), else inline.

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (input, output, shared) = match args.as_slice() {
        [_, i, o] => (i, o, false),
        [_, i, o, flag] if flag == "--shared-strings" => (i, o, true),
        _ => return Err("usage: csv_to_xlsx IN.csv OUT.xlsx [--shared-strings]".into()),
    };
    let mut book = Workbook::new();
    let day = Format::new().set_num_format("yyyy-mm-dd");
    let sheet = if shared { book.add_worksheet() } else { book.add_worksheet_with_constant_memory()? };
    sheet.set_name("Shipments")?;
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).from_path(input)?;
    for (r, rec) in rdr.records().enumerate() {
        let (rec, r) = (rec?, u32::try_from(r)?);
        for (c, f) in rec.iter().enumerate() {
            let c = u16::try_from(c)?;
            if f.is_empty() {
                continue;
            }
            let date = if r > 0 { date(f) } else { None };
            match (date, f.parse::<f64>(), f) {
                (Some(d), _, _) => sheet.write_datetime_with_format(r, c, d, &day)?,
                (None, Ok(n), _) if r > 0 && n.to_string() == f => sheet.write_number(r, c, n)?,
                (None, _, "true" | "false") if r > 0 => sheet.write_boolean(r, c, f == "true")?,
                _ => sheet.write_string(r, c, f)?,
            };
        }
    }
    book.save(output)?;
    Ok(())
}

/// A `YYYY-MM-DD` field as a date cell.
fn date(f: &str) -> Option<ExcelDateTime> {
    if f.len() != 10 || f.as_bytes().get(4) != Some(&b'-') {
        return None;
    }
    ExcelDateTime::from_ymd(f.get(..4)?.parse().ok()?, f.get(5..7)?.parse().ok()?, f.get(8..)?.parse().ok()?).ok()
}
