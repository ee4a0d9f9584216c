//! Audits of exports as ERPs and spreadsheets write them (issue 13): other delimiters and
//! encodings give the verdicts of the same shipments in a clean CSV.

mod common;

use common::run;

/// The shipments, as a clean comma-separated UTF-8 file would hold them.
const SHIPMENTS: [[&str; 5]; 8] = [
    ["H100", "CN", "2024-06-01", "8", "rack 4; Zürich"],
    ["A800", "CN", "2023-06-01", "16", ""],
    ["A800", "CN", "2024-01-15", "16", "after the October 2023 rule"],
    ["H20", "CN", "2025-05-01", "1024", "東京 office"],
    ["A100", "SG", "2024-06-01", "2", "café \"Sonne\""],
    ["RTX 4090", "DE", "2024-06-01", "1", "München"],
    ["H100", "MO", "2024-06-01", "4", ""],
    ["MI300X", "AE", "2026-08-01", "32", "semi;colon, comma"],
];

const HEADER: [&str; 5] = ["chip", "destination", "date", "quantity", "note"];

/// A file of the shipments with this delimiter and line ending, fields quoted where needed.
fn file(delimiter: u8, eol: &str) -> String {
    let mut w = csv::WriterBuilder::new().delimiter(delimiter).terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    w.write_record(HEADER).unwrap();
    for r in SHIPMENTS {
        w.write_record(r).unwrap();
    }
    let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
    text.replace('\n', eol)
}

/// Audits input bytes from stdin; the output rows as records read with `delimiter`, and the
/// summary on stderr.
fn audit(input: &[u8], args: &[&str], delimiter: u8) -> (Vec<Vec<String>>, String, i32) {
    let mut all = vec!["audit", "-", "--format", "csv", "--date", "2025-01-01"];
    all.extend_from_slice(args);
    let out = run(&all, None, Some(input));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let body = out.stdout.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&out.stdout);
    let mut rdr = csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).from_reader(body);
    let rows = rdr.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect();
    (rows, stderr, out.status.code().unwrap_or(-1))
}

/// The input columns and the verdict, license and reasons of each row.
fn verdicts(rows: &[Vec<String>]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| {
            let n = r.len();
            let mut v: Vec<String> = r[..n - 7].to_vec();
            v.extend([r[n - 6].clone(), r[n - 3].clone(), r[n - 2].clone(), r[n - 1].clone()]);
            v
        })
        .collect()
}

fn clean() -> Vec<Vec<String>> {
    let (rows, stderr, _) = audit(file(b',', "\n").as_bytes(), &[], b',');
    assert!(stderr.contains("Read as UTF-8, comma-separated"), "{stderr}");
    assert_eq!(rows.len(), SHIPMENTS.len() + 1);
    verdicts(&rows)
}

fn utf16le(text: &str) -> Vec<u8> {
    [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect()
}

#[test]
fn delimiters_are_found_in_the_header_and_kept_in_the_output() {
    let want = clean();
    for (d, words) in [(b';', "semicolon-separated"), (b'\t', "tab-separated"), (b'|', "pipe-separated")] {
        let (rows, stderr, code) = audit(file(d, "\n").as_bytes(), &[], d);
        assert_eq!(verdicts(&rows), want, "{}", d as char);
        assert!(stderr.contains(&format!("Read as UTF-8, {words}")), "{stderr}");
        assert_eq!(code, 1);
    }
    // Told, and written with another delimiter.
    let (rows, _, _) = audit(file(b';', "\r\n").as_bytes(), &["--delimiter", ";", "--output-delimiter", ","], b',');
    assert_eq!(verdicts(&rows), want);
}

#[test]
fn a_sap_export_with_bom_crlf_and_semicolons() {
    let want = clean();
    let text = format!("\u{feff}{}", file(b';', "\r\n"));
    let out = run(&["audit", "-", "--format", "csv", "--date", "2025-01-01", "-q"], None, Some(text.as_bytes()));
    assert!(out.stdout.starts_with(b"\xEF\xBB\xBFchip;destination;date;quantity;note;eccn;license_required;"));
    assert!(out.stdout.ends_with(b"\r\n"));
    let (rows, _, _) = audit(text.as_bytes(), &[], b';');
    assert_eq!(verdicts(&rows), want);
}

#[test]
fn the_delimiter_given_wins_over_the_one_found() {
    // More commas than semicolons in the header, but the fields are `;`-separated.
    let text = "chip;destination;\"note, with, commas\"\nH100;CN;x\n";
    let (rows, _, _) = audit(text.as_bytes(), &["--delimiter", ";"], b';');
    assert_eq!(rows[1][0..3], ["H100", "CN", "x"]);
    assert_eq!(rows[1][7], "license_required");
    let out = run(&["audit", "-", "--delimiter", "ab"], None, Some(text.as_bytes()));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a delimiter"));
}

#[test]
fn excel_unicode_text_is_utf16_with_tabs() {
    let want = clean();
    let (rows, stderr, _) = audit(&utf16le(&file(b'\t', "\r\n")), &[], b'\t');
    assert_eq!(verdicts(&rows), want);
    assert!(stderr.contains("Read as UTF-16LE, tab-separated"), "{stderr}");
    let be: Vec<u8> = [0xFE, 0xFF].into_iter().chain(file(b',', "\n").encode_utf16().flat_map(u16::to_be_bytes)).collect();
    assert_eq!(verdicts(&audit(&be, &[], b',').0), want);
}

#[test]
fn named_encodings_are_decoded_and_their_bad_bytes_located() {
    let want = clean();
    // windows-1252 holds every character of the shipments but the Japanese ones.
    let text = file(b';', "\r\n").replace("東京 office", "Tokyo office");
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(!unmappable);
    let (rows, stderr, _) = audit(&bytes, &["--encoding", "windows-1252"], b';');
    let mut expected = want.clone();
    expected[4][4] = "Tokyo office".to_string();
    assert_eq!(verdicts(&rows), expected);
    assert!(stderr.contains("Read as windows-1252, semicolon-separated"), "{stderr}");
    assert_eq!(audit(&bytes, &["--encoding", "latin1"], b';').0, rows);

    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("chip,destination,note\nH100,CN,東京\nH100,SG,ok\n");
    let mut bad = sjis.into_owned();
    bad.extend_from_slice(b"H100,CN,bad\x82\n");
    let (rows, stderr, code) = audit(&bad, &["--encoding", "shift_jis"], b',');
    assert_eq!(rows[1][2], "東京");
    assert_eq!(rows[1][7], "license_required");
    assert_eq!(rows[3][7], "error");
    assert_eq!(
        rows[3][9],
        "row 3, column note: holds bytes that are not valid Shift_JIS (shown as `\u{fffd}`); check --encoding, or fix the file"
    );
    assert!(stderr.contains("bad_encoding"), "{stderr}");
    assert_eq!(code, 2);

    let out = run(&["audit", "-", "--encoding", "klingon"], None, Some(b"chip,destination\n"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown encoding `klingon`"));
}

#[test]
fn a_header_in_another_encoding_names_the_flag() {
    let out = run(&["audit", "-"], None, Some(b"chip,destination,Stra\xdfe\nH100,CN,x\n"));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("header column 3 is not valid UTF-8; name the file's encoding with --encoding"), "{err}");
}

/// The eccn, license, verdict and reasons of each data row.
fn findings(rows: &[Vec<String>]) -> Vec<[String; 4]> {
    rows.iter()
        .skip(1)
        .map(|r| {
            let n = r.len();
            [r[n - 7].clone(), r[n - 6].clone(), r[n - 3].clone(), r[n - 2].clone()]
        })
        .collect()
}

/// A file of the shipments with other headers, a date and a quantity written another way.
fn export(header: &str, delimiter: char, eol: &str, date: impl Fn(&str) -> String, qty: impl Fn(&str) -> String) -> String {
    let d = delimiter.to_string();
    let mut text = header.replace(',', &d) + eol;
    for [chip, dest, day, q, _] in SHIPMENTS {
        text += &[chip.to_string(), dest.to_string(), date(day), qty(q)].join(&d);
        text += eol;
    }
    text
}

/// `YYYY-MM-DD` dates rewritten in another order (`DD.MM.YYYY`).
fn date(order: &'static str) -> impl Fn(&str) -> String {
    move |d| order.replace("YYYY", &d[..4]).replace("MM", &d[5..7]).replace("DD", &d[8..10])
}

/// Quantities of 1000 or more written with a thousands separator.
fn grouped(sep: char) -> impl Fn(&str) -> String {
    move |q| match q.parse::<u32>().unwrap() {
        n if n >= 1000 => format!("{}{sep}{:03}", n / 1000, n % 1000),
        _ => q.to_string(),
    }
}

#[test]
fn erp_exports_give_the_verdicts_of_the_clean_file() {
    let want = findings(&audit(file(b',', "\n").as_bytes(), &[], b',').0);
    // SAP, German locale: `;`, BOM, CRLF, DD.MM.YYYY, grouped quantities, the export's field names.
    let sap = export("\u{feff}Material,Ship-To Country,Posting Date,Qty", ';', "\r\n", date("DD.MM.YYYY"), grouped('.'));
    let (rows, stderr, _) = audit(sap.as_bytes(), &[], b';');
    assert_eq!(findings(&rows), want);
    assert!(stderr.contains("columns destination ← Ship-To Country, chip ← Material, date ← Posting Date, quantity ← Qty"), "{stderr}");
    // A database export: snake_case headers, ISO timestamps with zones.
    let db = export("part_number,ship_to_country,shipped_at,units", ',', "\n", |d| format!("{d}T23:59:59+08:00"), |q| q.to_string());
    assert_eq!(findings(&audit(db.as_bytes(), &[], b',').0), want);
    let db = export("sku,dest,ship_date,quantity", '|', "\n", |d| format!("{d} 10:15:00"), |q| q.to_string());
    assert_eq!(findings(&audit(db.as_bytes(), &[], b'|').0), want);
    // An older US system: windows-1252, tab-separated, MM/DD/YYYY, grouped quantities.
    let us = export("Product,Country,Ship Date,Quantity", '\t', "\r\n", date("MM/DD/YYYY"), grouped(','));
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&us);
    let (rows, stderr, _) = audit(&bytes, &["--encoding", "windows-1252", "--date-format", "%m/%d/%Y"], b'\t');
    assert_eq!(findings(&rows), want, "{stderr}");
    // Without the date format, its slashed dates are errors naming both readings.
    let (rows, _, code) = audit(&bytes, &["--encoding", "windows-1252"], b'\t');
    assert_eq!(code, 2);
    assert_eq!(
        rows[1].last().unwrap(),
        "row 1, column Ship Date: `06/01/2024` reads as 1 June 2024 (%m/%d/%Y) or as 6 January 2024 (%d/%m/%Y); give the file's order \
         with --date-format %m/%d/%Y or %d/%m/%Y"
    );
}

#[test]
fn quantities_with_thousands_separators_are_counted() {
    let text = "chip;destination;quantity\nH100;CN;1.024\nH100;CN;\"2,048\"\nH100;CN;1 000 000\nH100;CN;8.000\n";
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("s.json");
    let out = run(
        &["audit", "-", "--format", "csv", "--date", "2025-01-01", "-q", "--summary-json", summary.to_str().unwrap()],
        None,
        Some(text.as_bytes()),
    );
    assert_eq!(out.status.code(), Some(1), "a bad quantity is a warning: the rows need licenses");
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    let units: u64 = s["verdicts"].as_array().unwrap().iter().map(|v| v["units"].as_u64().unwrap()).sum();
    assert_eq!(units, 1024 + 2048 + 1_000_000);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let last = stdout.lines().last().unwrap();
    assert!(last.starts_with("H100;CN;8.000;3A090.a;true;;presumption_of_denial;license_required;"), "{stdout}");
    assert!(last.ends_with(";\"warning: row 4, column quantity: `8.000` reads as 8 (with `.` as a decimal mark) or as 8000 (as a thousands separator); write the quantity without separators; the row's units are not counted\""), "{last}");
    assert_eq!(s["warnings"], serde_json::json!([{"kind": "bad_number", "count": 1}]));
    assert_eq!(s["input"]["delimiter"], ";");
}

// The commands of docs/exports.md are run, with the other guides', by tests/docs.rs.

#[test]
fn an_eccn_column_is_compared_with_the_classification() {
    let text = "Material,Country,Export Classification,date\nH100,CN,3A090.a,2025-06-01\nH100,DE,5A992,2025-06-01\n\
                H20,CN,3A090.a,2025-06-01\nH20,CN,EAR99,2025-06-01\nMI308X,CN,3A090.b,2025-06-01\n";
    let (rows, stderr, code) = audit(text.as_bytes(), &[], b',');
    let warnings: Vec<&str> = rows.iter().skip(1).map(|r| r.last().unwrap().as_str()).collect();
    assert_eq!(
        warnings,
        [
            "",
            "warning: row 2, column Export Classification: the file gives ECCN `5A992`; chipgate classifies it `3A090.a` (the verdict rests on chipgate's)",
            "warning: row 3, column Export Classification: the file gives ECCN `3A090.a`; chipgate finds it outside the ECCNs of the rules (the verdict rests on chipgate's)",
            "",
            "",
        ]
    );
    // The verdicts are chipgate's.
    assert_eq!(rows[2][8], "no_license_required");
    assert_eq!(rows[3][8], "license_required");
    assert!(stderr.contains("eccn ← Export Classification") && stderr.contains("eccn_differs"), "{stderr}");
    assert_eq!(code, 1);
}

#[test]
fn an_exporter_column_decides_which_letters_bind_a_row() {
    // The H20 rules are letters to NVIDIA: they bind NVIDIA's rows (given, or presumed when the
    // cell is empty), not a distributor's. `--exporter` is the exporter of rows without one.
    let text = "Material,Country,date,Shipper\nH20,CN,2025-06-01,\nH20,CN,2025-06-01,NVIDIA Corporation\n\
                H20,CN,2025-06-01,Acme Distribution\nH20,CN,2025-06-01,nvidia corp.\n";
    let verdict = |rows: &[Vec<String>]| -> Vec<String> { rows.iter().skip(1).map(|r| r[r.len() - 3].clone()).collect() };
    let (first, stderr, code) = audit(text.as_bytes(), &[], b',');
    assert_eq!(verdict(&first), ["license_required", "license_required", "no_license_required", "license_required"], "{stderr}");
    assert!(stderr.contains("exporter ← Shipper"), "{stderr}");
    assert_eq!(code, 1);
    let (rows, _, _) = audit(text.as_bytes(), &["--exporter", "Acme Distribution"], b',');
    assert_eq!(verdict(&rows), ["no_license_required", "license_required", "no_license_required", "license_required"]);
    // The answers are `check`'s.
    for (exporter, row) in [(None, 1), (Some("NVIDIA"), 2), (Some("Acme Distribution"), 3)] {
        let mut args = vec!["check", "H20", "--to", "CN", "--date", "2025-06-01", "--format", "json"];
        args.extend(exporter.iter().flat_map(|e| ["--exporter", e]));
        let out = run(&args, None, None);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let row = &first[row];
        assert_eq!(v["verdict"], row[row.len() - 3].as_str(), "{exporter:?}");
    }
}

#[test]
fn a_ship_from_column_tells_exports_from_reexports() {
    // The January 2026 rule's case-by-case review is for exports from the United States only:
    // a reexport from Singapore, or a transfer within China, keeps the presumption of denial.
    let text = "Material,Country,date,Exporting Country\nH200,CN,2026-06-01,\nH200,CN,2026-06-01,US\nH200,CN,2026-06-01,Singapore\n\
                H200,CN,2026-06-01,CN\nH100,US,2026-06-01,SG\n";
    let policy = |rows: &[Vec<String>]| -> Vec<String> { rows.iter().skip(1).map(|r| r[r.len() - 4].clone()).collect() };
    let (rows, stderr, _) = audit(text.as_bytes(), &[], b',');
    assert_eq!(policy(&rows), ["case_by_case", "case_by_case", "presumption_of_denial", "presumption_of_denial", ""], "{stderr}");
    assert!(stderr.contains("ship_from ← Exporting Country"), "{stderr}");
    assert_eq!(rows[5][rows[5].len() - 3], "no_license_required", "an import into the US is not an export");
    // A country of origin (where the chip was made) is not where it ships from.
    let (_, stderr, _) = audit(b"chip,destination,date,Origin Country\nH200,CN,2026-06-01,TW\n", &[], b',');
    assert!(!stderr.contains("ship_from \u{2190}"), "{stderr}");
    // --ship-from is the ship-from of rows without one.
    let (rows, _, _) = audit(text.as_bytes(), &["--ship-from", "TW"], b',');
    assert_eq!(policy(&rows)[..2], ["presumption_of_denial", "case_by_case"]);
    // A ship-from that is not a country is a row error naming the column.
    let (rows, _, code) = audit(b"chip,destination,date,ship_from\nH200,CN,2026-06-01,Atlantis\n", &[], b',');
    assert!(rows[1].last().unwrap().contains("ship_from"), "{:?}", rows[1]);
    assert_eq!(code, 2);
}
