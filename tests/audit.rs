//! `chipgate audit` run as a whole process on temp files: passthrough fidelity, one output row
//! per input row, bad rows, header mapping, stdin/stdout, formats, exit codes, the summary, and
//! that every row's verdict equals `chipgate check` for the same query.

use std::path::{Path, PathBuf};

mod common;

use serde_json::Value;

struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

impl Run {
    fn out(&self) -> String {
        String::from_utf8(self.stdout.clone()).expect("utf-8 stdout")
    }
}

/// Runs the real binary on the built-in rules only, with optional standard input.
fn chipgate(args: &[&str], stdin: Option<&[u8]>) -> Run {
    let out = common::run(args, None, stdin);
    Run { code: out.status.code().expect("exit code"), stdout: out.stdout, stderr: String::from_utf8(out.stderr).unwrap() }
}

/// A temporary directory for inputs and outputs.
struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Dir {
        Dir(tempfile::tempdir().unwrap())
    }
    fn file(&self, name: &str, content: &[u8]) -> PathBuf {
        let p = self.0.path().join(name);
        std::fs::write(&p, content).unwrap();
        p
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Audits a file as CSV to stdout; returns the run and the parsed output records.
fn audit_csv(input: &[u8], extra: &[&str]) -> (Run, Vec<csv::StringRecord>) {
    let d = Dir::new();
    let f = d.file("in.csv", input);
    let mut args = vec!["audit", s(&f), "-q"];
    args.extend_from_slice(extra);
    for (flag, default) in [("--format", "csv"), ("--date", "2025-01-01")] {
        if !extra.contains(&flag) {
            args.extend([flag, default]);
        }
    }
    let r = chipgate(&args, None);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    let as_csv = !extra.contains(&"--format") || extra.contains(&"csv");
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).from_reader(&r.stdout[..]);
    let recs =
        if as_csv { rdr.byte_records().map(|x| csv::StringRecord::from_byte_record_lossy(x.unwrap())).collect() } else { Vec::new() };
    (r, recs)
}

const OUT: [&str; 7] = ["eccn", "license_required", "exceptions", "review_policy", "verdict", "reasons", "error"];

fn col(header: &csv::StringRecord, name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

#[test]
fn passthrough_keeps_every_byte_of_every_row() {
    // BOM, CRLF, quoted commas, doubled quotes, an embedded newline, unicode, a needlessly quoted
    // field, and trailing spaces: all must come back exactly.
    let rows = [
        "id,chip,destination,date,customer,note",
        "1,H100,DE,2024-05-01,Müller GmbH,\"rma, replacement\"",
        "2,H800,CN,2024-01-15,\"He said \"\"urgent\"\"\",\"two\nlines\"",
        "3,\"H20\",Hong Kong,2025-05-01,東京エレクトロン ,  spaced  ",
        "4,A800,CN,2023-06-01,,",
    ];
    let input = format!("\u{feff}{}\r\n", rows.join("\r\n"));
    let (r, recs) = audit_csv(input.as_bytes(), &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.starts_with("\u{feff}".as_bytes()), "the byte-order mark is kept");
    let text = r.out();
    let body = text.trim_start_matches('\u{feff}');
    let lines: Vec<&str> = body.split("\r\n").collect();
    assert_eq!(lines.first().copied(), Some(&*format!("{},{}", rows[0], OUT.join(","))));
    for (i, row) in rows.iter().enumerate().skip(1) {
        assert!(body.contains(&format!("{row},")), "row {i} not passed through verbatim:\n{body}");
    }
    assert!(!body.replace("\r\n", "").contains('\r'), "CRLF line endings throughout");
    // Parsed back, the input columns are equal field for field.
    assert_eq!(recs.len(), rows.len());
    let mut input_rdr = csv::Reader::from_reader(input.trim_start_matches('\u{feff}').as_bytes());
    for (rec, orig) in recs.iter().skip(1).zip(input_rdr.records()) {
        let orig = orig.unwrap();
        assert_eq!(rec.iter().take(orig.len()).collect::<Vec<_>>(), orig.iter().collect::<Vec<_>>());
        assert_eq!(rec.len(), orig.len() + OUT.len());
    }
}

#[test]
fn a_quote_left_open_at_the_end_of_the_input_does_not_swallow_the_audit_columns() {
    // The input ends inside a quoted field: the row is written re-encoded, so that the output
    // parses back to as many rows, each with its audit columns; and it is an error row naming
    // the open quote, not a verdict on whatever the quote swallowed (issue 11).
    let (r, recs) = audit_csv(b"chip,destination,note\nH100,DE,fine\nH100,CN,\"open\nstill open", &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(recs.len(), 3, "{}", r.out());
    assert_eq!(recs[2].get(2), Some("open\nstill open"));
    assert_eq!(recs[2].get(2 + 5), Some("error"));
    assert_eq!(recs[2].get(2 + 7), Some("row 2, the input ends inside a quoted field: a quote is not closed"));
    let (_, recs) = audit_csv(b"chip,destination\nH100,\"CN\n", &[]);
    assert_eq!(recs[1].get(2 + 4), Some("error"), "{recs:?}");
    // A header-only file with an open quote keeps the audit's column names apart.
    let (_, recs) = audit_csv(b"chip,\"destination\n", &[]);
    assert_eq!(recs[0].len(), 2 + 7, "{recs:?}");
    assert_eq!(recs[0].get(2 + 4), Some("verdict"), "{recs:?}");
}

#[test]
fn a_literal_quote_in_a_row_the_parser_reads_is_passed_through() {
    // The escaped quote sends the row through the CSV parser; the stray quote in `5" disk` is a
    // plain byte there. The row is well formed and comes back as it was.
    let row = "H100,DE,5\" disk,\"say \"\"hi\"\"\"";
    let (r, recs) = audit_csv(format!("chip,destination,size,note\n{row}\n").as_bytes(), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.out().contains(&format!("\n{row},")), "{}", r.out());
    assert_eq!((recs[1].get(2), recs[1].get(3)), (Some("5\" disk"), Some("say \"hi\"")));
}

#[test]
fn lf_files_without_a_bom_stay_that_way() {
    let (r, _) = audit_csv(b"chip,destination,date\nH100,DE,2024-05-01\nH100,US,2024-05-01", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = r.out();
    assert!(!out.contains('\r') && !out.starts_with('\u{feff}'));
    assert_eq!(out.lines().count(), 3);
    assert!(out.ends_with('\n'));
}

#[test]
fn one_output_row_per_input_row_in_order() {
    let mut input = String::from("id,chip,destination,date,tpp\n");
    let chips = ["H100", "H20", "H100X", "", "A800", "RTX 4090"];
    let dests = ["CN", "DE", "HK", "Atlantis", "MO", "AE", "VN"];
    // Enough rows for several batches, with ragged rows alone, in pairs and at the start.
    for i in 0..2500 {
        if i == 0 || i % 97 == 0 || i % 389 == 0 {
            input += &format!("{i}-ragged,H100\n");
        }
        if i % 389 == 0 {
            input += &format!("{i}-ragged-too,H100,CN,2024-01-01,,extra\n");
        }
        let chip = chips[i % chips.len()];
        let tpp = if chip.is_empty() { "4800" } else { "" };
        let date = if i % 11 == 0 { "2024-02-31".to_string() } else { format!("{}-0{}-1{}", 2022 + i % 5, 1 + i % 9, i % 10) };
        input += &format!("{i},{chip},{},{date},{tpp}\n", dests[i % dests.len()]);
    }
    let n_in = csv::ReaderBuilder::new().flexible(true).from_reader(input.as_bytes()).records().count();
    let (r, recs) = audit_csv(input.as_bytes(), &[]);
    assert_eq!(r.code, 2);
    assert_eq!(recs.len() - 1, n_in);
    let error = col(&recs[0], "error");
    let mut in_rdr = csv::ReaderBuilder::new().flexible(true).from_reader(input.as_bytes());
    for (rec, orig) in recs.iter().skip(1).zip(in_rdr.records()) {
        assert_eq!(&rec[0], &orig.unwrap()[0], "rows keep their order");
        assert_eq!(rec.len(), 5 + OUT.len(), "every row has every column");
        let ragged = rec[error].contains("where the header has 5");
        assert_eq!(ragged, rec[0].contains("ragged"), "the shape error is on its own row: {rec:?}");
    }
}

#[test]
fn every_kind_of_bad_row_gets_an_error_naming_row_and_column() {
    let input = "chip,destination,date,end_user_hq,quantity,tpp,die_area_mm2,datacenter\n\
                 H100X,DE,2024-05-01,,1,,,\n\
                 H1,DE,2024-05-01,,1,,,\n\
                 H200,Chna,2025-01-20,,1,,,\n\
                 H200,DE,2025-01-20,Atlantis,1,,,\n\
                 A100,CN,2024-13-01,,1,,,\n\
                 L40S,DE,2024-05-01,,-4,,,\n\
                 L40S,DE,2024-05-01,,2.5,,,\n\
                 ,CN,2024-05-01,,1,-100,,\n\
                 ,CN,2024-05-01,,1,4800,lots,\n\
                 ,CN,2024-05-01,,1,4800,600,maybe\n\
                 H100,,2024-05-01,,1,,,\n\
                 ,CN,2024-05-01,,1,,,\n\
                 H100,CN\n\
                 H100,CN,2024-05-01,,1,,,,surplus\n\
                 H100,DE,2024-05-01,,1,,,\n";
    let (r, recs) = audit_csv(input.as_bytes(), &[]);
    assert_eq!(r.code, 2, "any row error exits 2");
    let h = &recs[0];
    let (verdict, error) = (col(h, "verdict"), col(h, "error"));
    let expect = [
        "row 1, column chip: unknown chip `H100X`; did you mean `H100`",
        "row 2, column chip: chip name `H1` is ambiguous; candidates: ",
        "row 3, column destination: unknown country `Chna`; did you mean China (CN)",
        "row 4, column end_user_hq: unknown country `Atlantis`; use an ISO 3166-1 alpha-2 code",
        "row 5, column date: invalid date `2024-13-01`: ",
        "warning: row 6, column quantity: `-4` is not a whole number ≥ 0; the row's units are not counted",
        "warning: row 7, column quantity: `2.5` is not a whole number ≥ 0; the row's units are not counted",
        "row 8, column tpp: `-100` is not a number ≥ 0",
        "row 9, column die_area_mm2: `lots` is not a number ≥ 0",
        "row 10, column datacenter: `maybe` is not yes or no; use true/false, yes/no or 1/0",
        "row 11, column destination: empty; `destination` is required",
        "row 12, column chip: empty; give a catalog chip name, or the chip's figures in the spec columns",
        "row 13, 2 fields where the header has 8; padded with empty fields, not evaluated",
        "row 14, 9 fields where the header has 8; not evaluated; the extra field was cut from the columns: `surplus`",
    ];
    assert_eq!(recs.len(), 1 + expect.len() + 1);
    for (i, e) in expect.iter().enumerate() {
        let rec = &recs[i + 1];
        assert!(rec[error].starts_with(e), "row {}: expected `{e}…`, got `{}`", i + 1, &rec[error]);
        if e.starts_with("warning: ") {
            // A bad quantity leaves the verdict standing.
            assert_eq!(&rec[verdict], "no_license_required", "row {} (L40S to Germany)", i + 1);
            continue;
        }
        assert_eq!(&rec[verdict], "error", "row {}", i + 1);
        for c in ["eccn", "license_required", "exceptions", "review_policy", "reasons"] {
            assert_eq!(&rec[col(h, c)], "", "row {}: {c} is empty on an error row", i + 1);
        }
    }
    // The ragged rows were fitted to the header; the good last row was evaluated.
    assert_eq!(recs[13].iter().take(8).collect::<Vec<_>>(), ["H100", "CN", "", "", "", "", "", ""]);
    assert_eq!(recs[14].iter().take(8).collect::<Vec<_>>(), ["H100", "CN", "2024-05-01", "", "1", "", "", ""]);
    assert_eq!(&recs[15][verdict], "no_license_required");
}

#[test]
fn a_field_that_is_not_utf8_is_a_row_error_and_passes_through() {
    let input = b"chip,destination,note\nH100,D\xff,caf\xe9\nH100,DE,caf\xe9\n";
    let (r, _) = audit_csv(input, &["--date", "2024-05-01"]);
    assert_eq!(r.code, 2);
    let out = &r.stdout;
    let has = |needle: &[u8]| out.windows(needle.len()).any(|w| w == needle);
    assert!(has(b"H100,D\xff,caf\xe9,,,,,error,,\"row 1, column destination: not valid UTF-8; name the file's encoding with --encoding (e.g. windows-1252)\""));
    assert!(has(b"H100,DE,caf\xe9,3A090.a,false,"), "{}", String::from_utf8_lossy(out));
}

#[test]
fn headers_match_case_insensitively_and_map_with_columns() {
    let (r, recs) = audit_csv(b"Order,CHIP,Destination,End User HQ,Date\n1,H100,de,CN,2024-05-01\n", &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(&recs[1][col(&recs[0], "verdict")], "license_required");
    assert!(recs[1][col(&recs[0], "reasons")].contains("headquarters"));

    let input = b"ship_to,part,when,destination\nCN,H800,2024-01-15,US\n";
    let (r, recs) = audit_csv(input, &["--columns", "destination=ship_to,chip=part", "--columns", "date=WHEN"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(&recs[1][col(&recs[0], "verdict")], "license_required", "mapped ship_to wins over destination");
    assert_eq!(&recs[0][3], "destination", "the unmapped column is passed through");

    let (r, _) = audit_csv(b"ship_to,part\nCN,H800\n", &["--columns", "destination=ship_to,chip=part"]);
    assert_eq!(r.code, 1);
    let (r, recs) = audit_csv(b"ship_to,part\nChna,H800\n", &["--columns", "destination=ship_to,chip=part"]);
    assert_eq!(r.code, 2);
    assert!(recs[1][col(&recs[0], "error")].starts_with("row 1, column ship_to: unknown country `Chna`"));
}

/// Asserts an unusable input or bad usage: exit 2, a message on stderr, no rows.
fn assert_unusable(input: Option<&[u8]>, extra: &[&str], fragment: &str) {
    let d = Dir::new();
    let f = match input {
        Some(bytes) => d.file("in.csv", bytes),
        None => d.path("missing.csv"),
    };
    let mut args = vec!["audit", s(&f), "--format", "csv"];
    args.extend_from_slice(extra);
    if !extra.contains(&"--date") {
        args.extend(["--date", "2025-01-01"]);
    }
    let r = chipgate(&args, None);
    assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
    assert!(r.stdout.is_empty(), "{args:?} wrote {}", r.out());
    assert!(r.stderr.contains(fragment), "{args:?}: stderr lacks `{fragment}`:\n{}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
}

#[test]
fn unusable_files_and_bad_mappings_exit_2_with_a_message() {
    assert_unusable(Some(b"chip,origin\nH100,CN\n"), &[], "no `destination` column in the header (columns: `chip`, `origin`)");
    assert_unusable(Some(b"destination,note\nCN,x\n"), &[], "no `chip` column and no spec column");
    assert_unusable(
        Some(b"chip,destination,Destination\nH100,CN,CN\n"),
        &[],
        "columns 2 (`destination`) and 3 (`Destination`) both give `destination`",
    );
    assert_unusable(Some(b"chip,destin\xe9tion\nH100,CN\n"), &[], "header column 2 is not valid UTF-8");
    assert_unusable(Some(b""), &[], "the input is empty");
    assert_unusable(None, &[], "cannot open");
    assert_unusable(Some(b"chip,destination\n"), &["--columns", "destnation=x"], "unknown field `destnation`; did you mean `destination`?");
    assert_unusable(Some(b"chip,destination\n"), &["--columns", "chip=part"], "no column `part` in the header");
    assert_unusable(Some(b"chip,destination\n"), &["--columns", "chip"], "must look like FIELD=COLUMN");
    assert_unusable(Some(b"chip,destination\n"), &["--date", "2025-02-30"], "invalid date `2025-02-30`");
}

#[test]
fn a_header_without_rows_is_clear() {
    let (r, recs) = audit_csv(b"chip,destination\n", &[]);
    assert_eq!(r.code, 0);
    assert_eq!(recs.len(), 1);
}

#[test]
fn stdin_to_stdout_and_output_files() {
    let input = b"chip,destination,date\nH800,CN,2024-01-15\n";
    let r = chipgate(&["audit", "-", "--date", "2025-01-01"], Some(input));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let out = r.out();
    assert!(out.starts_with("chip,destination,date,eccn,"), "csv is the default on a pipe:\n{out}");
    assert!(out.contains("H800,CN,2024-01-15,3A090.a,true,,presumption_of_denial,license_required,"));
    assert!(r.stderr.contains("Audited 1 row against chipgate-builtin@"), "summary on stderr:\n{}", r.stderr);

    let d = Dir::new();
    let f = d.file("in.csv", input);
    let o = d.path("out.csv");
    let r = chipgate(&["audit", s(&f), "-o", s(&o), "-q"], None);
    assert_eq!(r.code, 1);
    assert!(r.stdout.is_empty() && r.stderr.is_empty());
    assert_eq!(std::fs::read_to_string(&o).unwrap(), out);

    let r = chipgate(&["audit", s(&f), "-o", s(&f)], None);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("is a file this command reads"), "{}", r.stderr);
    assert_eq!(std::fs::read(&f).unwrap(), input, "the input is untouched");
}

/// The names in a directory.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

#[cfg(unix)]
#[test]
fn output_files_are_replaced_whole_keeping_their_mode_links_and_symlinks() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let input = b"chip,destination,date\nH800,CN,2024-01-15\n";
    let d = Dir::new();
    let f = d.file("in.csv", input);
    let expected = chipgate(&["audit", s(&f), "-q", "--date", "2025-01-01"], None).stdout;
    let audit_to = |o: &Path| {
        let r = chipgate(&["audit", s(&f), "-o", s(o), "-q", "--date", "2025-01-01"], None);
        assert_eq!(r.code, 1, "{}", r.stderr);
    };
    // A new file gets the mode `File::create` gives (under the same umask), not a temporary file's.
    let reference = d.file("reference", b"");
    let o = d.path("out.csv");
    audit_to(&o);
    assert_eq!(std::fs::read(&o).unwrap(), expected);
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode(&o), mode(&reference));
    // An existing file is replaced whole, keeping its mode; nothing else is left in the directory.
    std::fs::write(&o, "old content that is longer than the audit output, ".repeat(100)).unwrap();
    std::fs::set_permissions(&o, std::fs::Permissions::from_mode(0o640)).unwrap();
    audit_to(&o);
    assert_eq!(std::fs::read(&o).unwrap(), expected);
    assert_eq!(mode(&o), 0o640);
    assert_eq!(names(d.0.path()), ["in.csv", "out.csv", "reference"]);
    // A symbolic link is followed: its target is replaced whole and the link stays.
    let target = d.file("target.csv", b"old");
    let link = d.path("link.csv");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    audit_to(&link);
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read(&target).unwrap(), expected);
    assert_eq!(names(d.0.path()), ["in.csv", "link.csv", "out.csv", "reference", "target.csv"]);
    // A file with another hard link cannot be replaced whole (a rename cuts the link, writing in
    // place can leave a partial file): it is refused and left as it was.
    let hard = d.path("hard.csv");
    std::fs::hard_link(&target, &hard).unwrap();
    std::fs::write(&target, b"old").unwrap();
    let r = chipgate(&["audit", s(&f), "-o", s(&hard), "-q", "--date", "2025-01-01"], None);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("it has other hard links"), "{}", r.stderr);
    assert_eq!(std::fs::read(&target).unwrap(), b"old");
    assert_eq!(std::fs::metadata(&hard).unwrap().ino(), std::fs::metadata(&target).unwrap().ino());
    // So is a read-only file.
    let ro = d.file("ro.csv", b"old");
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o444)).unwrap();
    let r = chipgate(&["audit", s(&f), "-o", s(&ro), "-q", "--date", "2025-01-01"], None);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("read-only"), "{}", r.stderr);
    assert_eq!(std::fs::read(&ro).unwrap(), b"old");
    // Devices are written to as they are; `-o -` is standard output.
    audit_to(Path::new("/dev/null"));
    let r = chipgate(&["audit", s(&f), "-o", "-", "-q", "--date", "2025-01-01"], None);
    assert_eq!(r.stdout, expected);
    assert!(!d.path("-").exists());
}

#[test]
fn an_audit_that_cannot_complete_leaves_the_previous_output_untouched() {
    let d = Dir::new();
    let o = d.file("out.csv", b"previous audit");
    for input in [&b"chip,origin\nH100,CN\n"[..], b""] {
        let f = d.file("in.csv", input);
        let r = chipgate(&["audit", s(&f), "-o", s(&o), "--date", "2025-01-01"], None);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert_eq!(names(d.0.path()), ["in.csv", "out.csv"], "no partial output, no temporary file");
        assert_eq!(std::fs::read(&o).unwrap(), b"previous audit");
    }
    let r = chipgate(&["audit", s(&d.path("in.csv")), "-o", s(&d.path("no/such/dir/out.csv"))], None);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("cannot create"), "{}", r.stderr);
}

/// The input, its hard link, a symbolic link to it, and standard input redirected from it are
/// all the input: neither the output nor the summary may be written there.
#[cfg(unix)]
#[test]
fn no_output_is_written_into_an_input() {
    let input = b"chip,destination,date\nH800,CN,2024-01-15\n";
    let d = Dir::new();
    let f = d.file("in.csv", input);
    let hard = d.path("hard.csv");
    std::fs::hard_link(&f, &hard).unwrap();
    let soft = d.path("soft.csv");
    std::os::unix::fs::symlink(&f, &soft).unwrap();
    let other = d.path("other.csv");
    for args in [
        vec!["audit", s(&f), "-o", s(&hard)],
        vec!["audit", s(&f), "-o", s(&soft)],
        vec!["audit", s(&f), "-o", s(&other), "--summary-json", s(&f)],
        vec!["audit", s(&f), "-o", s(&other), "--summary-json", s(&hard)],
    ] {
        let r = chipgate(&args, None);
        assert_eq!(r.code, 2, "{args:?}");
        assert!(r.stderr.contains("is a file this command reads"), "{args:?}: {}", r.stderr);
        assert_eq!(std::fs::read(&f).unwrap(), input, "{args:?}");
    }
    let r = chipgate(&["audit", s(&f), "-o", s(&other), "--summary-json", s(&other)], None);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("are the same file"), "{}", r.stderr);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_chipgate"))
        .args(["audit", "-", "-o", s(&hard)])
        .stdin(std::fs::File::open(&f).unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is a file this command reads"));
    assert_eq!(std::fs::read(&f).unwrap(), input);
    assert_eq!(names(d.0.path()), ["hard.csv", "in.csv", "soft.csv"]);
}

#[test]
fn exit_codes_follow_the_worst_row() {
    let clear = b"chip,destination,date\nH100,DE,2024-05-01\nH20,CN,2024-05-01\n";
    assert_eq!(audit_csv(clear, &[]).0.code, 0);
    let exception = b"chip,destination,date\nRTX 4090,CN,2024-01-15\n";
    assert_eq!(audit_csv(exception, &[]).0.code, 1);
    let indeterminate = b"destination,date,tpp\nCN,2024-05-01,4000\n";
    let (r, recs) = audit_csv(indeterminate, &[]);
    assert_eq!((r.code, &recs[1][col(&recs[0], "verdict")]), (1, "indeterminate"));
    let error = b"chip,destination,date\nH100,DE,2024-05-01\nH100,XX,2024-05-01\nH800,CN,2024-01-15\n";
    assert_eq!(audit_csv(error, &[]).0.code, 2);
}

#[test]
fn jsonl_has_one_object_per_row_with_the_trace() {
    let input = b"id,chip,destination,date\n1,H800,CN,2024-01-15\n2,H100X,DE,2024-01-15\n3,\"a, b\",DE,2024-01-15,extra\n";
    let (r, _) = (audit_csv(input, &["--format", "jsonl"]).0, ());
    assert_eq!(r.code, 2);
    let lines: Vec<Value> = r.out().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    let first = &lines[0];
    assert_eq!((first["row"].as_u64(), first["line"].as_u64()), (Some(1), Some(2)));
    assert_eq!(first["input"]["chip"], "H800");
    assert_eq!(
        (first["verdict"].as_str(), first["eccn"].as_str(), first["license_required"].as_bool()),
        (Some("license_required"), Some("3A090.a"), Some(true))
    );
    assert_eq!(first["review_policy"]["policy"], "presumption_of_denial");
    assert!(first["trace"].as_array().unwrap().len() > 5);
    assert!(first["reasons"].as_array().unwrap().iter().any(|r| r["id"] == "us-2023-10/destinations"));
    assert_eq!(lines[1]["verdict"], "error");
    assert!(lines[1]["error"].as_str().unwrap().starts_with("row 2, column chip: unknown chip `H100X`"));
    assert_eq!(lines[2]["input"]["chip"], "a, b");
}

#[test]
fn table_format_and_summary_json() {
    let d = Dir::new();
    let f = d.file("in.csv", b"chip,destination,date\nH800,CN,2024-01-15\nH100,DE,2024-01-15\nH100,DE,2024-01-15\nH20,Chna,2024-01-15\n");
    let sj = d.path("summary.json");
    let r = chipgate(&["audit", s(&f), "--format", "human", "--summary-json", s(&sj)], None);
    assert_eq!(r.code, 2);
    let out = r.out();
    for frag in ["Shipment", "H800 → CN", "license_required", "review: presumption", "column destination:", "`Chna`"] {
        assert!(out.contains(frag), "table lacks `{frag}`:\n{out}");
    }
    for frag in ["Verdict", "no_license_required", "Destinations with findings", "China (CN)", "unknown_country"] {
        assert!(r.stderr.contains(frag), "summary lacks `{frag}`:\n{}", r.stderr);
    }
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&sj).unwrap()).unwrap();
    assert_eq!(
        (v["rows"].as_u64(), v["evaluated"].as_u64(), v["findings"].as_u64(), v["error_rows"].as_u64()),
        (Some(4), Some(3), Some(1), Some(1))
    );
    assert_eq!(v["exit_code"], 2);
    assert_eq!(v["evaluations"], 2, "the repeated row is memoised");
    assert_eq!(v["errors"][0]["kind"], "unknown_country");
    assert_eq!(v["destinations"][0]["code"], "CN");
    assert!(v["rules_version"].as_str().unwrap().starts_with("chipgate-builtin@"));
    assert_eq!(v["dates"], serde_json::json!({"first": "2024-01-15", "last": "2024-01-15"}));
    assert_eq!(v["destinations"][0]["verdicts"], serde_json::json!([{"verdict": "license_required", "rows": 1}]));
}

/// The `check` arguments for an audit row.
fn check_args(row: &csv::StringRecord, h: &csv::StringRecord) -> Vec<String> {
    let get = |name: &str| h.iter().position(|x| x == name).map(|i| row[i].trim().to_string()).filter(|v| !v.is_empty());
    let mut a = vec!["check".to_string()];
    a.extend(get("chip"));
    a.extend(["--to".into(), get("destination").unwrap(), "--date".into(), get("date").unwrap(), "--format".into(), "json".into()]);
    if let Some(hq) = get("end_user_hq") {
        a.extend(["--end-user-hq".into(), hq]);
    }
    for (col, flag) in [
        ("tpp", "--tpp"),
        ("die_area_mm2", "--die-area"),
        ("pd", "--pd"),
        ("interconnect_gbps", "--interconnect"),
        ("memory_bandwidth_gbps", "--memory-bandwidth"),
    ] {
        if let Some(v) = get(col) {
            a.extend([flag.into(), v]);
        }
    }
    match get("datacenter").as_deref() {
        Some("true") => a.push("--datacenter".into()),
        Some("false") => a.push("--consumer".into()),
        _ => {}
    }
    a
}

#[test]
fn every_row_of_the_audit_equals_check() {
    let input = "chip,destination,date,end_user_hq,tpp,die_area_mm2,pd,datacenter,interconnect_gbps,memory_bandwidth_gbps\n\
                 H800,CN,2023-06-01,,,,,,,\n\
                 H800,CN,2024-01-15,,,,,,,\n\
                 H100,DE,2025-03-01,CN,,,,,,\n\
                 H100,AE,2023-12-15,,,,,,,\n\
                 H100,AE,2025-02-01,,,,,,,\n\
                 H20,CN,2024-06-10,,,,,,,\n\
                 H20,HK,2025-05-01,,,,,,,\n\
                 H20,Macau,2025-05-01,,,,,,,\n\
                 MI308X,CN,2025-06-01,,,,,,,\n\
                 RTX 4090,CN,2022-12-01,,,,,,,\n\
                 RTX 4090,CN,2024-01-15,,,,,,,\n\
                 RTX 4090 D,CN,2024-03-01,,,,,,,\n\
                 A100,RU,2022-03-10,,,,,,,\n\
                 T4,IR,2024-01-01,,,,,,,\n\
                 B200,VN,2026-05-01,,,,,,,\n\
                 Gaudi 3,KH,2025-11-06,,,,,,,\n\
                 Gaudi 3,KH,2025-11-07,,,,,,,\n\
                 Ascend 910B,SA,2025-03-01,,,,,,,\n\
                 A800,China,2023-11-16,,,,,,,\n\
                 A800,China,2023-11-17,,,,,,,\n\
                 L40S,SG,2024-06-01,MO,,,,,,\n\
                 ,CN,2024-06-01,,4800,600,,true,,\n\
                 ,AE,2024-06-01,,2400,814,,true,,\n\
                 ,DE,2024-06-01,,4000,,,,,\n\
                 ,CN,2024-06-01,,4000,,,,,\n\
                 ,CN,2022-11-01,,5000,,,true,700,\n\
                 ,CN,2022-11-01,,5000,,,true,500,\n\
                 ,MO,2025-01-20,,3000,,2.5,false,,\n\
                 ,HK,2025-01-20,,1700,300,,,,3000\n\
                 H100,CN,2024-06-01,,1500,,,,,\n\
                 H100,CN,2024-06-01,,,2000,,,,\n\
                 H20,CN,2025-12-01,US,,,,false,,\n";
    let (r, recs) = audit_csv(input.as_bytes(), &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let h = &recs[0];
    for row in &recs[1..] {
        let args = check_args(row, h);
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let c = chipgate(&argv, None);
        assert!(c.code == 0 || c.code == 1, "{argv:?}: {}", c.stderr);
        let v: Value = serde_json::from_slice(&c.stdout).unwrap();
        let eccn = match (v["eccn"].as_str(), v["eccn_candidates"].as_array()) {
            (Some(e), _) => e.to_string(),
            (None, Some(c)) if !c.is_empty() => {
                let names: Vec<&str> = c.iter().map(|x| x["eccn"].as_str().unwrap_or("none")).collect();
                format!("undetermined ({})", names.join(", "))
            }
            _ => String::new(),
        };
        let license = match v["license_required"].as_bool() {
            Some(b) => b.to_string(),
            None => "unknown".into(),
        };
        let review = v["review_policy"]["policy"].as_str().unwrap_or("").to_string();
        let ids: Vec<&str> = v["reasons"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
        let exceptions: Vec<&str> = v["exceptions"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
        let got = |name: &str| row[col(h, name)].to_string();
        assert_eq!(got("verdict"), v["verdict"].as_str().unwrap(), "{argv:?}");
        assert_eq!(got("eccn"), eccn, "{argv:?}");
        assert_eq!(got("license_required"), license, "{argv:?}");
        assert_eq!(got("review_policy"), review, "{argv:?}");
        assert!(got("reasons").starts_with(&ids.join("; ")), "{argv:?}: {} vs {ids:?}", got("reasons"));
        assert_eq!(
            got("exceptions").split("; ").filter(|e| !e.is_empty()).map(|e| e.split(' ').next().unwrap()).collect::<Vec<_>>(),
            exceptions,
            "{argv:?}"
        );
        assert_eq!(c.code, if got("verdict") == "no_license_required" { 0 } else { 1 });
    }
}

#[test]
fn the_example_file_gives_its_committed_output() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let input = root.join("examples/shipments.csv");
    let expected = root.join("examples/shipments.audit.csv");
    let r = chipgate(&["audit", s(&input), "--date", "2026-06-01", "--format", "csv", "-q"], None);
    assert_eq!(r.code, 2, "the example has bad rows: {}", r.stderr);
    if std::env::var_os("CHIPGATE_BLESS").is_some() {
        std::fs::write(&expected, &r.stdout).unwrap();
    }
    let want = std::fs::read_to_string(&expected).unwrap();
    assert_eq!(
        r.out(),
        want,
        "examples/shipments.audit.csv is stale; if the rules changed on purpose, rerun with CHIPGATE_BLESS=1 (and TRYCMD=overwrite cargo test --test docs for the guides)"
    );
}

/// What `chipgate check` answers with these flags (empty values left out), as an audit row
/// gives it: the verdict, the review policy, and the reasons with the missing data.
fn check_as_row(base: [&str; 4], flags: &[(&str, &str)]) -> (String, String, String) {
    let mut args = vec!["check", base[0], "--to", base[1], "--date", base[2], "--format", base[3]];
    for (flag, v) in flags.iter().filter(|(_, v)| !v.is_empty()) {
        args.extend([*flag, *v]);
    }
    let run = chipgate(&args, None);
    let d: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let mut want: Vec<String> = d["reasons"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect();
    let missing: Vec<&str> = d["missing"].as_array().unwrap().iter().filter_map(|m| m.as_str()).collect();
    if !missing.is_empty() {
        want.push(format!("missing: {}", missing.join(", ")));
    }
    (d["verdict"].as_str().unwrap().to_string(), d["review_policy"]["policy"].as_str().unwrap_or("").to_string(), want.join("; "))
}

/// Asserts that an audited row has the verdict, review policy and reasons (the columns at
/// `cols`) that `check` gave the same query (see [`check_as_row`]).
fn assert_as_check(rec: &csv::StringRecord, (verdict, review, reasons): (usize, usize, usize), check: (String, String, String), row: &str) {
    let (v, policy, want) = check;
    assert_eq!(&rec[verdict], v, "{row}");
    assert_eq!(&rec[review], policy, "{row}");
    assert_eq!(rec[reasons].to_string(), want, "{row}");
}

/// End users and consignees are screened row by row as `check --end-user/--consignee` screens
/// them: the same verdict, review policy and reasons (with the missing data) on every row,
/// misspellings each named in their own row, repeated names answered from the memo.
#[test]
fn end_user_and_consignee_columns_are_screened_as_check_screens_them() {
    let rows = [
        ("T4", "CN", "2024-01-15", "Huawei Technologies Co., Ltd.", ""),
        ("T4", "CN", "2024-01-15", "HUAWEI TECHNOLOGIES CO LTD", ""),
        ("T4", "CN", "2024-01-15", "Huawei Technolgies", ""),
        ("T4", "CN", "2024-01-15", "Huawei Technologes", ""),
        ("T4", "DE", "2024-01-15", "Acme Trading GmbH", ""),
        ("L4", "CN", "2024-01-15", "Acme Trading GmbH", "Sugon"),
        ("T4", "CN", "2019-05-15", "Huawei Technologies Co., Ltd.", ""),
        ("H100", "CN", "2024-01-15", "SMIC", ""),
        ("T4", "CN", "2024-01-15", "SMIC", ""),
        ("T4", "CN", "2024-01-15", "", ""),
        ("T4", "CN", "2024-01-15", "Huawei Technolgies", ""),
        ("H100", "CN", "2024-01-15", "Semiconductor Manufacturing International Corp", ""),
    ];
    let mut input = String::from("chip,destination,date,End User Name,Ultimate Consignee\n");
    for (chip, to, date, end_user, consignee) in rows {
        input.push_str(&format!("{chip},{to},{date},\"{end_user}\",\"{consignee}\"\n"));
    }
    let (r, recs) = audit_csv(input.as_bytes(), &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let header = &recs[0];
    let (verdict, review, reasons) = (col(header, "verdict"), col(header, "review_policy"), col(header, "reasons"));
    for (rec, (chip, to, date, end_user, consignee)) in recs[1..].iter().zip(rows) {
        let row = format!("{chip} → {to} on {date}, end user `{end_user}`, consignee `{consignee}`");
        assert_as_check(
            rec,
            (verdict, review, reasons),
            check_as_row([chip, to, date, "json"], &[("--end-user", end_user), ("--consignee", consignee)]),
            &row,
        );
    }
    // The misspellings are each named in their own rows.
    assert!(recs[3][reasons].contains("`Huawei Technolgies`") && recs[4][reasons].contains("`Huawei Technologes`"));
    assert!(recs[1][reasons].contains("entity-list/huawei-technologies") && !recs[7][reasons].contains("ear-744/entity-list"));
}

/// The owners columns (`end_user_owners`, `consignee_owners`) are read as `check
/// --end-user-owner/--consignee-owner` reads them, for the affiliates rule: the same verdict,
/// review policy and reasons on every row; a cell that cannot be read is an error naming its row
/// and column, and the other rows stand.
#[test]
fn owners_columns_are_screened_as_check_screens_them() {
    let rows = [
        ("T4", "SG", "2026-12-01", "Example Pte Ltd", "Huawei Technologies Co., Ltd.=60; Example Holdings=40", "", ""),
        ("T4", "SG", "2026-06-01", "Example Pte Ltd", "Huawei Technologies Co., Ltd.=60; Example Holdings=40", "", ""),
        ("T4", "SG", "2026-12-01", "Example Pte Ltd", "", "", ""),
        ("T4", "SG", "2026-12-01", "Example Pte Ltd", "none", "", ""),
        ("T4", "SG", "2026-12-01", "Other Pte Ltd", "Huawei Technologies=30; SMIC=25", "", ""),
        ("T4", "SG", "2026-12-01", "Example Pte Ltd", "none", "Example Logistics", "SMIC=75"),
        ("T4", "SG", "2026-12-01", "Example Pte Ltd", "Huawei Technolgies=60", "", ""),
        ("T4", "SG", "2026-12-01", "Example Pte Ltd", "Huawei Technologies", "", ""),
        ("H100", "CN", "2026-12-01", "Example Shenzhen", "Huawei Technologies=100", "", ""),
    ];
    let mut input = String::from("chip,destination,date,end_user,end_user_owners,consignee,consignee_owners\n");
    for (chip, to, date, eu, euo, co, coo) in rows {
        input.push_str(&format!("{chip},{to},{date},\"{eu}\",\"{euo}\",\"{co}\",\"{coo}\"\n"));
    }
    input.push_str("T4,SG,2026-12-01,Example Pte Ltd,Huawei=70; SMIC=40,,\n");
    input.push_str("T4,SG,2026-12-01,,,,SMIC=60\n");
    let (r, recs) = audit_csv(input.as_bytes(), &[]);
    assert_eq!(r.code, 2, "a row could not be evaluated: {}", r.stderr);
    let header = &recs[0];
    let (verdict, review, reasons, error) =
        (col(header, "verdict"), col(header, "review_policy"), col(header, "reasons"), col(header, "error"));
    for (rec, (chip, to, date, eu, euo, co, coo)) in recs[1..].iter().zip(rows) {
        let flags = [("--end-user", eu), ("--end-user-owner", euo), ("--consignee", co), ("--consignee-owner", coo)];
        let row = format!("{chip} → {to} on {date}, end user `{eu}` owned by `{euo}`, consignee `{co}` owned by `{coo}`");
        assert_as_check(rec, (verdict, review, reasons), check_as_row([chip, to, date, "json"], &flags), &row);
    }
    let verdicts: Vec<&str> = recs[1..=rows.len()].iter().map(|r| &r[verdict]).collect();
    assert_eq!(
        verdicts,
        [
            "license_required",
            "no_license_required",
            "indeterminate",
            "no_license_required",
            "license_required",
            "license_required",
            "indeterminate",
            "indeterminate",
            "license_required"
        ]
    );
    let bad = &recs[rows.len() + 1];
    assert_eq!(&bad[verdict], "error");
    assert_eq!(
        &bad[error],
        &format!("row {}, column end_user_owners: the owners' shares add up to 110 %, over 100 %", rows.len() + 1),
        "{bad:?}"
    );
    let orphan = &recs[rows.len() + 2];
    assert_eq!(
        &orphan[error],
        &format!(
            "row {}, column consignee_owners: gives the owners of no consignee: name the consignee too, or leave the owners empty",
            rows.len() + 2
        )
    );
}

/// JSON rows show each row's own owners in `screening`, though unlisted owners change no verdict.
#[test]
fn jsonl_rows_name_their_own_owners() {
    let input = b"chip,destination,date,end_user,end_user_owners\nT4,SG,2026-12-01,Example Pte Ltd,Example Holdings=100\nT4,SG,2026-12-01,Example Pte Ltd,Other Holdings=100\nT4,SG,2026-12-01,Example Pte Ltd,SMIC=50\n";
    let r = audit_csv(input, &["--format", "jsonl"]).0;
    assert_eq!(r.code, 1, "{}", r.stderr);
    let lines: Vec<Value> = r.out().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let owner = |i: usize| (lines[i]["screening"][1]["name"].as_str().map(str::to_string), lines[i]["screening"][1]["share"].as_f64());
    assert_eq!(owner(0), (Some("Example Holdings".into()), Some(100.0)));
    assert_eq!(owner(1), (Some("Other Holdings".into()), Some(100.0)));
    assert_eq!(lines[1]["verdict"], "no_license_required");
    assert_eq!(
        (lines[2]["verdict"].as_str(), lines[2]["screening"][1]["role"].as_str()),
        (Some("license_required"), Some("end_user_owner"))
    );
}

/// The foundry due-diligence rule's columns (`exporter_role`, `attested_by`, `node_nm`,
/// `transistors_billion`, `hbm_stacks`) are read as `check` reads its flags: the same verdict,
/// review policy and reasons on every row; rows that differ only in the exporter's role get
/// their own answers from the memo; a role chipgate does not know is an error naming its row
/// and column; `--exporter-role` gives the role of rows without one.
#[test]
fn foundry_columns_are_read_as_check_reads_its_flags() {
    let rows = [
        ("12", "", "fabricator", "", ""),
        ("12", "", "", "", ""),
        ("12", "13.6", "fabricator", "fabricator", ""),
        ("", "", "osat", "", ""),
        ("12", "13.6", "OSAT", "approved-osat; fabricator", ""),
        ("12", "", "fabricator", "", ""),
        ("12", "40", "Foundry", "fabricator", "0"),
        ("5", "", "other", "", ""),
    ];
    let mut input = String::from("chip,destination,date,node_nm,transistors_billion,exporter_role,attested_by,hbm_stacks\n");
    for (node, count, role, attested, hbm) in rows {
        input.push_str(&format!("T4,CN,2026-03-01,{node},{count},{role},{attested},{hbm}\n"));
    }
    input.push_str("T4,CN,2026-03-01,12,,fab,,\n");
    let (r, recs) = audit_csv(input.as_bytes(), &[]);
    assert_eq!(r.code, 2, "a row could not be evaluated: {}", r.stderr);
    let header = &recs[0];
    let (verdict, review, reasons, error) =
        (col(header, "verdict"), col(header, "review_policy"), col(header, "reasons"), col(header, "error"));
    for (rec, (node, count, role, attested, hbm)) in recs[1..].iter().zip(rows) {
        let attestations: Vec<&str> = attested.split(';').map(str::trim).filter(|a| !a.is_empty()).collect();
        let mut flags = vec![("--node", node), ("--transistors", count), ("--exporter-role", role), ("--hbm-stacks", hbm)];
        flags.extend(attestations.iter().map(|a| ("--attested-by", *a)));
        let row = format!("T4 at {node} nm, {count} bn transistors, exporter `{role}`, attested by `{attested}`");
        assert_as_check(rec, (verdict, review, reasons), check_as_row(["T4", "CN", "2026-03-01", "json"], &flags), &row);
    }
    let verdicts: Vec<&str> = recs[1..=rows.len()].iter().map(|r| &r[verdict]).collect();
    assert_eq!(
        verdicts,
        [
            "license_required",
            "no_license_required",
            "no_license_required",
            "indeterminate",
            "no_license_required",
            "license_required",
            "license_required",
            "no_license_required"
        ]
    );
    assert!(recs[1][reasons].contains("us-2025-01/foundry-presumption"), "{:?}", recs[1]);
    let bad = &recs[rows.len() + 1];
    assert_eq!(&bad[verdict], "error");
    assert!(
        bad[error].contains(&format!("row {}, column exporter_role: `fab` is not one of fabricator, osat, other", rows.len() + 1)),
        "{:?}",
        bad
    );
    // The role and the attestations of rows without them; `none` is no attestation.
    let input =
        b"chip,destination,date,node_nm,transistors_billion,attested_by\nT4,CN,2026-03-01,12,13.6,\nT4,CN,2026-03-01,12,13.6,none\n";
    let (r, recs) = audit_csv(input, &["--exporter-role", "fabricator", "--attested-by", "fabricator"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let verdicts: Vec<&str> = recs[1..].iter().map(|r| &r[col(&recs[0], "verdict")]).collect();
    assert_eq!(verdicts, ["no_license_required", "license_required"]);
    let (r, _) = audit_csv(b"chip,destination\nT4,CN\n", &["--exporter-role", "fab"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--exporter-role: unknown exporter role `fab`; use one of fabricator, osat, other"), "{}", r.stderr);
}

/// Computers and assemblies described in a row (`contains`, `item_kind`, `described_in`) are
/// read as `check --contains/--item/--described-in` reads them: the same verdict, review policy
/// and reasons; two spellings of one computer are one query; what cannot be read is an error
/// naming its row and column, in the columns' words.
#[test]
fn contains_columns_are_read_as_check_reads_its_flags() {
    let rows = [
        ("", "CN", "2024-01-15", "H100x8", "", "5A992.c"),
        ("", "CN", "2024-01-15", "H100x8", "", ""),
        ("", "CN", "2024-01-15", "NVIDIA H100 SXM5 80GB x8", "", ""),
        ("", "SA", "2024-06-01", "L40x4", "", ""),
        ("", "CN", "2024-01-15", "H100x4; L40Sx2", "assembly", ""),
        ("", "CN", "2023-06-01", "A800x8", "", ""),
        ("", "CN", "2024-01-15", "TPU v4", "", ""),
        ("DGX H100", "CN", "2023-01-15", "", "", ""),
        // A catalog IC as an assembly or a computer: the card or board that carries one of it.
        ("H100", "CN", "2024-01-15", "", "assembly", ""),
        ("RTX 4090", "CN", "2024-06-01", "", "computer", ""),
    ];
    let mut input = String::from("chip,destination,date,contains,item_kind,described_in\n");
    for (chip, to, date, contains, item, described) in rows {
        input.push_str(&format!("{chip},{to},{date},\"{contains}\",{item},{described}\n"));
    }
    input.push_str(",CN,2024-01-15,H100x8,ic,\n,CN,2024-01-15,H1000x8,,\n");
    let (r, recs) = audit_csv(input.as_bytes(), &[]);
    assert_eq!(r.code, 2, "two rows could not be evaluated: {}", r.stderr);
    let header = &recs[0];
    let (verdict, eccn, review, reasons, error) =
        (col(header, "verdict"), col(header, "eccn"), col(header, "review_policy"), col(header, "reasons"), col(header, "error"));
    for (rec, (chip, to, date, contains, item, described)) in recs[1..].iter().zip(rows) {
        let mut args = vec!["check"];
        if !chip.is_empty() {
            args.push(chip);
        }
        args.extend(["--to", to, "--date", date, "--format", "json"]);
        for part in contains.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            args.extend(["--contains", part]);
        }
        for (flag, v) in [("--item", item), ("--described-in", described)] {
            if !v.is_empty() {
                args.extend([flag, v]);
            }
        }
        let run = chipgate(&args, None);
        let d: Value = serde_json::from_slice(&run.stdout).unwrap();
        let mut want: Vec<String> = d["reasons"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect();
        let missing: Vec<&str> = d["missing"].as_array().unwrap().iter().filter_map(|m| m.as_str()).collect();
        if !missing.is_empty() {
            want.push(format!("missing: {}", missing.join(", ")));
        }
        let row = format!("{chip} containing `{contains}` ({item}, described in `{described}`) → {to} on {date}");
        let policy = d["review_policy"]["policy"].as_str().unwrap_or("").to_string();
        assert_as_check(rec, (verdict, review, reasons), (d["verdict"].as_str().unwrap().to_string(), policy, want.join("; ")), &row);
        assert_eq!(&rec[eccn], d["eccn"].as_str().unwrap_or(&rec[eccn]), "{row}");
    }
    let eccns: Vec<&str> = recs[1..=3].iter().map(|r| &r[eccn]).collect();
    assert_eq!(eccns, ["5A992.z.1", "4A090.a", "4A090.a"]);
    let carried: Vec<&str> = recs[9..=10].iter().map(|r| &r[eccn][..]).collect();
    assert_eq!(carried, ["4A090.a", "4A090.a"], "{:?}", &recs[9..=10]);
    let (ic, unknown) = (&recs[rows.len() + 1], &recs[rows.len() + 2]);
    assert_eq!((&ic[verdict], &unknown[verdict]), (&"error".to_string()[..], &"error".to_string()[..]));
    assert!(
        ic[error].contains("column contains: an integrated circuit contains no items: drop `contains`, or give `item_kind` assembly"),
        "{ic:?}"
    );
    assert!(unknown[error].contains("column contains: unknown chip `H1000`; did you mean `H100`?"), "{unknown:?}");
    assert!(!unknown[error].contains("column chip"), "the chip column may be empty with `contains`: {unknown:?}");
}
