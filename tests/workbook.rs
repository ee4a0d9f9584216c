//! Workbooks in and out of `chipgate audit` (issue 13, items 7 and 8): a sheet gets the verdicts
//! the same rows get in a clean CSV, `-o out.xlsx` reads back with the audit columns, fills and
//! a Summary sheet, `--sheet` picks or refuses a sheet, and `--stamp` records how a saved audit
//! was produced. The workbooks are made here, with rust_xlsxwriter (and an .ods by hand).

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use calamine::{Data, Reader};
use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The shipments of the workbook, as a clean CSV would give them (no empty row, ISO dates).
const CLEAN: &str = "order_id,chip,destination,date,quantity,datacenter,tpp,note
SO-1,H100,DE,2023-03-01,64,,,first
SO-2,A800,China,2023-11-20,128,,,\"repeat order, same part\"
SO-3,H20,CN,2024-06-01,8,,,\"=HYPERLINK(\"\"x\"\")\"
1004,,AE,2025-02-01,2,true,4800,
SO-5,H100X,DE,2024-01-15,1,,,
SO-6,H100,VN,2024-01-15,16,,,#N/A
SO-7,H100,CN,,4,,,
SO-8,H100,DE,#N/A,1,,,
";

/// Writes the shipments as a workbook: date and date-time cells, numbers, a boolean, an empty
/// row, formulas whose cached value is an error, and a second sheet `Other`.
fn shipments_xlsx(path: &Path) {
    let mut book = Workbook::new();
    let day = Format::new().set_num_format("yyyy-mm-dd");
    let stamp = Format::new().set_num_format("dd.mm.yyyy hh:mm");
    let date = |y, m, d| ExcelDateTime::from_ymd(y, m, d).unwrap();
    let sh = book.add_worksheet();
    sh.set_name("Shipments").unwrap();
    for (c, h) in ["order_id", "chip", "destination", "date", "quantity", "datacenter", "tpp", "note"].iter().enumerate() {
        sh.write_string(0, c as u16, *h).unwrap();
    }
    let text = |sh: &mut rust_xlsxwriter::Worksheet, r: u32, cells: &[(u16, &str)]| {
        for (c, t) in cells {
            sh.write_string(r, *c, *t).unwrap();
        }
    };
    text(sh, 1, &[(0, "SO-1"), (1, "H100"), (2, "DE"), (7, "first")]);
    sh.write_datetime_with_format(1, 3, date(2023, 3, 1), &day).unwrap();
    sh.write_number(1, 4, 64).unwrap();
    text(sh, 2, &[(0, "SO-2"), (1, "A800"), (2, "China"), (7, "repeat order, same part")]);
    sh.write_datetime_with_format(2, 3, date(2023, 11, 20), &day).unwrap();
    sh.write_number(2, 4, 128).unwrap();
    text(sh, 3, &[(0, "SO-3"), (1, "H20"), (2, "CN"), (7, "=HYPERLINK(\"x\")")]);
    sh.write_datetime_with_format(3, 3, date(2024, 6, 1).and_hms(10, 15, 0).unwrap(), &stamp).unwrap();
    sh.write_number(3, 4, 8).unwrap();
    // Sheet row 5 (index 4) is left empty.
    sh.write_number(5, 0, 1004).unwrap();
    text(sh, 5, &[(2, "AE")]);
    sh.write_datetime_with_format(5, 3, date(2025, 2, 1), &day).unwrap();
    sh.write_number(5, 4, 2).unwrap();
    sh.write_boolean(5, 5, true).unwrap();
    sh.write_number(5, 6, 4800).unwrap();
    text(sh, 6, &[(0, "SO-5"), (1, "H100X"), (2, "DE")]);
    sh.write_datetime_with_format(6, 3, date(2024, 1, 15), &day).unwrap();
    sh.write_number(6, 4, 1).unwrap();
    text(sh, 7, &[(0, "SO-6"), (1, "H100"), (2, "VN"), (3, "2024-01-15")]);
    sh.write_number(7, 4, 16).unwrap();
    sh.write_formula(7, 7, Formula::new("=NA()").set_result("#N/A")).unwrap();
    text(sh, 8, &[(0, "SO-7"), (1, "H100"), (2, "CN")]);
    sh.write_number(8, 4, 4).unwrap();
    text(sh, 9, &[(0, "SO-8"), (1, "H100"), (2, "DE")]);
    sh.write_formula(9, 3, Formula::new("=NA()").set_result("#N/A")).unwrap();
    sh.write_number(9, 4, 1).unwrap();
    let other = book.add_worksheet();
    other.set_name("Other").unwrap();
    for (c, h) in ["chip", "destination", "date"].iter().enumerate() {
        other.write_string(0, c as u16, *h).unwrap();
    }
    other.write_string(1, 0, "H100").unwrap();
    other.write_string(1, 1, "Germany").unwrap();
    other.write_datetime_with_format(1, 2, date(2024, 3, 1), &day).unwrap();
    book.save(path).unwrap();
}

struct Dir {
    d: tempfile::TempDir,
}

impl Dir {
    fn new() -> Dir {
        Dir { d: tempfile::tempdir().unwrap() }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.d.path().join(name)
    }
    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

/// The audit of a file as CSV on stdout, and its exit code.
fn audit(args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["audit", "--date", "2026-06-01", "-q"];
    all.extend_from_slice(args);
    let r = common::chipgate(&all);
    (r.code, r.stdout, r.stderr)
}

/// An error message without the file line a workbook's empty row shifts (`row 5 (line 7)`).
fn without_lines(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(" (line ") {
        out += &rest[..i];
        let after = &rest[i + 7..];
        let digits = after.find(')').unwrap();
        rest = &after[digits + 1..];
    }
    out + rest
}

#[test]
fn a_sheet_gets_the_verdicts_of_the_same_rows_in_a_clean_csv() {
    let d = Dir::new();
    let book = d.path("orders.xlsx");
    shipments_xlsx(&book);
    let csv = d.write("orders.csv", CLEAN);
    let (j1, j2) = (d.path("s1.json"), d.path("s2.json"));
    let (code, from_book, err) = audit(&[s(&book), "--summary-json", s(&j1)]);
    assert_eq!(err, "");
    let (clean_code, from_csv, _) = audit(&[s(&csv), "--summary-json", s(&j2)]);
    assert_eq!((code, clean_code), (2, 2));
    // Row for row the same output (dates, numbers and booleans read as a CSV holds them), but
    // for the file lines in messages: the sheet's empty row 5 counts as a line.
    assert_eq!(without_lines(&from_book), from_csv);
    assert!(from_book.contains("row 5 (line 7), column chip: unknown chip `H100X`"), "{from_book}");
    assert!(from_book.contains("row 8 (line 10), column date: "), "an error value in the date column is a located error");
    assert!(from_book.contains("SO-6,H100,VN,2024-01-15,16,,,#N/A,3A090.a,"), "elsewhere it passes through: {from_book}");
    assert!(from_book.contains("SO-3,H20,CN,2024-06-01,8,"), "a date-time cell is its calendar date");
    assert!(from_book.contains("1004,,AE,2025-02-01,2,true,4800,,"), "numbers without .0, booleans as true");
    assert_eq!(std::fs::read_to_string(j1).unwrap(), std::fs::read_to_string(j2).unwrap());
    // The summary on stderr names the sheet.
    let r = common::chipgate(&["audit", s(&book), "--date", "2026-06-01", "-o", s(&d.path("o.csv"))]);
    assert!(r.stderr.contains("Audited 8 rows of sheet `Shipments` against chipgate-builtin@"), "{}", r.stderr);
}

#[test]
fn sheets_are_chosen_by_name_or_number_and_unknown_ones_are_listed() {
    let d = Dir::new();
    let book = d.path("orders.xlsx");
    shipments_xlsx(&book);
    let expected = "chip,destination,date,eccn,license_required,exceptions,review_policy,verdict,reasons,error\n\
                    H100,Germany,2024-03-01,3A090.a,false,,,no_license_required,us-2023-10/3a090.a.1; us-2023-10/3a090.a.2,\n";
    for pick in ["Other", "2"] {
        let (code, out, err) = audit(&[s(&book), "--sheet", pick]);
        assert_eq!((code, out.as_str(), err.as_str()), (0, expected, ""), "--sheet {pick}");
    }
    for bad in ["Others", "3", "0", "shipments"] {
        let (code, out, err) = audit(&[s(&book), "--sheet", bad]);
        assert_eq!((code, out.as_str()), (2, ""));
        let want = format!("error: `{}`: no sheet `{bad}` in the workbook; sheets: 1 `Shipments`, 2 `Other`\n", book.display());
        assert_eq!(err, want);
    }
    let csv = d.write("orders.csv", CLEAN);
    let (code, _, err) = audit(&[s(&csv), "--sheet", "1"]);
    assert_eq!(code, 2);
    assert!(err.contains("--sheet applies to a workbook file (.xlsx, .xlsm, .xlsb, .xls, .ods)"), "{err}");

    // By default the first visible sheet: a hidden first sheet is passed over.
    let hidden = d.path("hidden.xlsx");
    let mut wb = Workbook::new();
    let h = wb.add_worksheet();
    h.set_name("Lookup").unwrap().write_string(0, 0, "not a shipment list").unwrap();
    h.set_hidden(true);
    let v = wb.add_worksheet();
    v.set_name("Orders").unwrap().set_active(true);
    v.write_string(0, 0, "chip").unwrap().write_string(0, 1, "destination").unwrap().write_string(0, 2, "date").unwrap();
    v.write_string(1, 0, "H100").unwrap().write_string(1, 1, "Germany").unwrap().write_string(1, 2, "2024-03-01").unwrap();
    wb.save(&hidden).unwrap();
    let (code, out, _) = audit(&[s(&hidden)]);
    assert_eq!((code, out.as_str()), (0, expected));
    let (code, _, err) = audit(&[s(&hidden), "--sheet", "nope"]);
    assert_eq!(code, 2);
    assert!(err.ends_with("sheets: 1 `Lookup` (hidden), 2 `Orders`\n"), "{err}");
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::Float(f) => f.to_string(),
        Data::String(t) => t.clone(),
        other => panic!("only strings and numbers are written: {other:?}"),
    }
}

/// The value beside a label in the Summary sheet.
fn summary_value(sheet: &calamine::Range<Data>, label: &str) -> String {
    let row = sheet.rows().find(|r| r.first().map(cell_text).as_deref() == Some(label)).unwrap_or_else(|| panic!("{label}"));
    cell_text(&row[1])
}

fn sheet_xml(book: &Path, name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(book).unwrap()).unwrap();
    let mut f = zip.by_name(name).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut f, &mut text).unwrap();
    text
}

#[test]
fn xlsx_output_holds_the_audit_and_a_summary_sheet_as_a_record() {
    let d = Dir::new();
    let csv = d.write("orders.csv", CLEAN);
    let out = d.path("audit.xlsx");
    let json = d.path("summary.json");
    let (code, stdout, _) = audit(&[s(&csv), "-o", s(&out), "--summary-json", s(&json)]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    let (_, as_csv, _) = audit(&[s(&csv)]);
    let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();

    let mut book = calamine::open_workbook_auto(&out).unwrap();
    assert_eq!(book.sheet_names(), ["Audit", "Summary"]);
    let audit_sheet = book.worksheet_range("Audit").unwrap();
    // Every cell is the CSV output's field: the input columns, then the audit columns.
    let expected: Vec<Vec<String>> = csv::Reader::from_reader(as_csv.as_bytes())
        .into_byte_records()
        .map(|r| r.unwrap().iter().map(|f| String::from_utf8(f.to_vec()).unwrap()).collect())
        .collect();
    let header: Vec<String> = audit_sheet.rows().next().unwrap().iter().map(cell_text).collect();
    assert_eq!(header.join(","), as_csv.lines().next().unwrap());
    let got: Vec<Vec<String>> = audit_sheet.rows().skip(1).map(|r| r.iter().map(cell_text).collect()).collect();
    assert_eq!(got, expected);
    // Numbers are numbers, a formula-like text is text, and nothing is a formula.
    assert_eq!(audit_sheet.get_value((1, 4)), Some(&Data::Float(64.0)));
    assert_eq!(audit_sheet.get_value((3, 7)), Some(&Data::String("=HYPERLINK(\"x\")".into())));
    let formulas = book.worksheet_formula("Audit").unwrap();
    assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()), "no formulas");

    // Rows filled by verdict: none for no license, Excel's light red for a license, orange for errors.
    let styles = book.worksheet_style("Audit").unwrap();
    let fill = |row: u32| styles.get((row, 12)).and_then(|s| s.fill.as_ref()).and_then(|f| f.get_color());
    let rgb = |row: u32| fill(row).map(|c| (c.red, c.green, c.blue));
    let verdict = |row: usize| got[row - 1][12].clone();
    assert_eq!(verdict(1), "no_license_required");
    assert_eq!(rgb(1), None);
    assert_eq!(verdict(2), "license_required");
    assert_eq!(rgb(2), Some((0xFF, 0xC7, 0xCE)));
    assert_eq!(verdict(5), "error");
    assert_eq!(rgb(5), Some((0xF8, 0xCB, 0xAD)));
    // The header is frozen and has filters over the whole table.
    let xml = sheet_xml(&out, "xl/worksheets/sheet1.xml");
    assert!(xml.contains(r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#), "{xml}");
    assert!(xml.contains(r#"<autoFilter ref="A1:O9"/>"#));

    let sum = book.worksheet_range("Summary").unwrap();
    assert_eq!(summary_value(&sum, "Rules"), summary["rules_version"].as_str().unwrap());
    assert_eq!(summary_value(&sum, "Rows without a date evaluated as of"), "2026-06-01");
    assert_eq!(summary_value(&sum, "Rows"), "8");
    assert_eq!(summary_value(&sum, "Rows with errors"), summary["error_rows"].to_string());
    assert_eq!(summary_value(&sum, "Input"), s(&csv));
    assert_eq!(summary_value(&sum, "Exit code"), "2");
    assert_eq!(summary_value(&sum, "destination"), "destination (C)");
    assert_eq!(summary_value(&sum, "quantity"), "quantity (E)");
    assert_eq!(summary_value(&sum, "license_required"), summary["verdicts"][1]["rows"].to_string());
    let pack = sum.rows().find(|r| cell_text(&r[0]) == "chipgate-builtin").expect("the rule packs are listed");
    assert!(summary["rules_version"].as_str().unwrap().contains(&format!(
        "chipgate-builtin@{}#{}",
        cell_text(&pack[1]),
        cell_text(&pack[2])
    )));
}

#[test]
fn xlsx_output_is_chosen_by_name_needs_a_file_and_keeps_the_previous_one_on_failure() {
    let d = Dir::new();
    let csv = d.write("orders.csv", CLEAN);
    let (code, out, err) = audit(&[s(&csv), "--format", "xlsx"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(err, "error: xlsx output is written to a file: name it with -o PATH.xlsx (a workbook is not streamed to standard output)\n");
    // `.XLSX` in any case picks the format; --format csv keeps CSV whatever the name.
    let upper = d.path("AUDIT.XLSX");
    assert_eq!(audit(&[s(&csv), "-o", s(&upper)]).0, 2);
    assert!(std::fs::read(&upper).unwrap().starts_with(b"PK"));
    let named = d.path("plain.xlsx");
    audit(&[s(&csv), "-o", s(&named), "--format", "csv"]);
    assert!(std::fs::read_to_string(&named).unwrap().starts_with("order_id,"));
    // A failed audit leaves the previous workbook and no temporary file.
    let bad = d.write("bad.csv", "chip,origin\nH100,DE\n");
    let (code, _, err) = audit(&[s(&bad), "-o", s(&upper)]);
    assert_eq!(code, 2);
    assert!(err.contains("no `destination` column"), "{err}");
    let mut book = calamine::open_workbook_auto(&upper).unwrap();
    assert_eq!(book.worksheet_range("Audit").unwrap().get_size(), (9, 15));
    let left: Vec<String> = std::fs::read_dir(d.d.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert!(left.iter().all(|n| !n.ends_with(".chipgate-tmp")), "{left:?}");
    // --excel-safe is accepted with xlsx (its cells are never formulas), refused with jsonl.
    assert_eq!(audit(&[s(&csv), "-o", s(&upper), "--excel-safe"]).0, 2);
    assert!(audit(&[s(&csv), "--format", "jsonl", "--excel-safe"]).2.contains("--excel-safe applies to CSV output"));
}

#[test]
fn stamp_records_the_rules_and_the_date_of_each_row() {
    let d = Dir::new();
    let csv = d.write("orders.csv", CLEAN);
    let json = d.path("summary.json");
    let (code, out, _) = audit(&[s(&csv), "--stamp", "--summary-json", s(&json)]);
    assert_eq!(code, 2);
    let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let version = summary["rules_version"].as_str().unwrap();
    let mut rdr = csv::Reader::from_reader(out.as_bytes());
    let head = rdr.headers().unwrap().clone();
    assert_eq!(head.iter().rev().take(3).collect::<Vec<_>>(), ["as_of", "rules_version", "error"]);
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    let tail = |i: usize| (rows[i][0].to_string(), rows[i][15].to_string(), rows[i][16].to_string());
    assert_eq!(tail(0), ("SO-1".into(), version.into(), "2023-03-01".into()), "a row's own date");
    assert_eq!(tail(6), ("SO-7".into(), version.into(), "2026-06-01".into()), "the default date for a row without one");
    assert_eq!(tail(4), ("SO-5".into(), version.into(), String::new()), "nothing was evaluated for an error row");
    // Without --stamp the output is as before.
    assert!(!audit(&[s(&csv)]).1.contains("rules_version"));

    let (_, jsonl, _) = audit(&[s(&csv), "--stamp", "--format", "jsonl"]);
    let objs: Vec<serde_json::Value> = jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!((objs[0]["rules_version"].as_str(), objs[0]["as_of"].as_str()), (Some(version), Some("2023-03-01")));
    assert_eq!(objs[6]["as_of"], "2026-06-01");
    assert!(objs[4]["as_of"].is_null());

    let book = d.path("stamped.xlsx");
    audit(&[s(&csv), "--stamp", "-o", s(&book)]);
    let mut wb = calamine::open_workbook_auto(&book).unwrap();
    let sheet = wb.worksheet_range("Audit").unwrap();
    let header: Vec<String> = sheet.rows().next().unwrap().iter().map(cell_text).collect();
    assert_eq!(&header[15..], ["rules_version", "as_of"]);
    assert_eq!(cell_text(&sheet.rows().nth(1).unwrap()[16]), "2023-03-01");
    assert_eq!(cell_text(&sheet.rows().nth(1).unwrap()[15]), version);

    // A stamped audit is an audit's output, refused as input; a column named like a stamp
    // column is refused only when stamping (the output would have two).
    let stamped = d.write("stamped.csv", &out);
    let (code, _, err) = audit(&[s(&stamped), "--stamp"]);
    assert_eq!(code, 2);
    assert!(err.contains("it is the output of an audit"), "{err}");
    let as_of = d.write("as_of.csv", "chip,destination,As Of\nH100,DE,2024-01-01\n");
    let (code, _, err) = audit(&[s(&as_of), "--stamp"]);
    assert_eq!(
        (code, err.as_str()),
        (2, "error: the input has a column `As Of`, which the audit adds: the output would have two; rename it first\n")
    );
    assert_eq!(audit(&[s(&as_of)]).0, 0);
    // --stamp never falls back to a table, and is refused with one.
    let (code, _, err) = audit(&[s(&csv), "--stamp", "--format", "human"]);
    assert_eq!(code, 2);
    assert!(err.contains("--stamp applies to csv, jsonl and xlsx output"), "{err}");
}

/// An OpenDocument spreadsheet made by hand: a mimetype, a manifest and a content.xml.
fn ods(path: &Path, rows: &[&str]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet").unwrap();
    zip.start_file("META-INF/manifest.xml", stored).unwrap();
    zip.write_all(br#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#).unwrap();
    zip.start_file("content.xml", stored).unwrap();
    let body: String = rows.iter().map(|r| format!("<table:table-row>{r}</table:table-row>")).collect();
    write!(
        zip,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Orders">{body}</table:table></office:spreadsheet></office:body></office:document-content>"#
    )
    .unwrap();
    zip.finish().unwrap();
}

#[test]
fn an_ods_sheet_gets_the_verdicts_of_the_same_rows_in_a_csv() {
    let d = Dir::new();
    let t = |v: &str| format!(r#"<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>"#);
    let n = |v: &str| format!(r#"<table:table-cell office:value-type="float" office:value="{v}"><text:p>{v}</text:p></table:table-cell>"#);
    let day =
        |v: &str| format!(r#"<table:table-cell office:value-type="date" office:date-value="{v}"><text:p>x</text:p></table:table-cell>"#);
    let empty = "<table:table-cell/>";
    let rows = [
        [t("chip"), t("destination"), t("date"), t("quantity")].concat(),
        [t("A800"), t("China"), day("2023-11-20"), n("128")].concat(),
        empty.to_string(),
        [t("H20"), t("CN"), day("2024-06-01T10:15:00"), n("8")].concat(),
        [t("H100"), t("Macau"), empty.into(), n("2")].concat(),
    ];
    let book = d.path("orders.ods");
    ods(&book, &rows.iter().map(String::as_str).collect::<Vec<_>>());
    let csv = d.write("orders.csv", "chip,destination,date,quantity\nA800,China,2023-11-20,128\nH20,CN,2024-06-01,8\nH100,Macau,,2\n");
    let (code, from_book, err) = audit(&[s(&book)]);
    assert_eq!(err, "");
    let (clean_code, from_csv, _) = audit(&[s(&csv)]);
    assert_eq!((code, from_book), (clean_code, from_csv));
}

#[test]
fn workbooks_saved_by_libreoffice_get_the_verdicts_of_their_csv() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/workbooks");
    let (csv_code, from_csv, _) = audit(&[s(&dir.join("shipments.csv"))]);
    assert_eq!(csv_code, 2);
    for name in ["shipments.xls", "shipments.ods", "shipments-libreoffice.xlsx"] {
        let (code, out, err) = audit(&[s(&dir.join(name))]);
        assert_eq!((code, err.as_str()), (2, ""), "{name}");
        // LibreOffice saves a boolean as the number 1 in an .ods (see the fixtures' README).
        let out = if name.ends_with(".ods") { out.replace("1004,,AE,2025-02-01,2,1,", "1004,,AE,2025-02-01,2,true,") } else { out };
        assert_eq!(out, from_csv, "{name}");
    }
}

#[test]
fn xlsx_output_carries_the_warnings_of_rows() {
    let d = Dir::new();
    let csv = d.write("orders.csv", "chip,destination,quantity\nH100,CN,1.5\nH100,SG,8\n");
    let out = d.path("audit.xlsx");
    let (code, _, _) = audit(&[s(&csv), "-o", s(&out)]);
    assert_eq!(code, 1, "a bad quantity is a warning; the H100 to China needs a license");
    let mut book = calamine::open_workbook_auto(&out).unwrap();
    let rows: Vec<Vec<String>> = book.worksheet_range("Audit").unwrap().rows().map(|r| r.iter().map(cell_text).collect()).collect();
    assert_eq!(rows[1][7], "license_required");
    assert!(rows[1][9].starts_with("warning: row 1, column quantity: `1.5` is not a whole number"), "{:?}", rows[1]);
    assert_eq!(rows[2][9], "");
    let sum = book.worksheet_range("Summary").unwrap();
    assert_eq!(summary_value(&sum, "bad_number"), "1");
}

#[test]
fn a_header_cell_with_semicolons_does_not_change_how_a_sheet_is_read() {
    let d = Dir::new();
    let path = d.path("semi.xlsx");
    let mut book = Workbook::new();
    let sh = book.add_worksheet();
    // More `;` than `,` in the header line the sheet becomes: read as text, it would look `;`-separated.
    for (c, h) in ["chip", "destination", "note; free; text; here"].iter().enumerate() {
        sh.write_string(0, c as u16, *h).unwrap();
    }
    for (c, v) in ["H100", "CN", "a; b"].iter().enumerate() {
        sh.write_string(1, c as u16, *v).unwrap();
    }
    book.save(&path).unwrap();
    let (code, out, err) = audit(&[s(&path), "--format", "csv"]);
    assert_eq!(code, 1, "{err}");
    assert!(out.starts_with("chip,destination,note; free; text; here,eccn,"), "{out}");
    assert!(out.contains("H100,CN,a; b,3A090.a,true,"), "{out}");
    let (code, _, err) = audit(&[s(&path), "--delimiter", ";"]);
    assert_eq!(code, 2);
    assert!(err.contains("--delimiter and --encoding apply to text files"), "{err}");
}
