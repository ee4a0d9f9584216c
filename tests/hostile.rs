//! Hostile and oversized input: each case took memory, stack or time without bound before.

use chipgate::RuleSet;

/// An unknown destination of megabytes took about 9 s per MB to find "did you mean"
/// candidates: names of implausible length are not compared.
#[test]
fn suggestions_for_a_huge_unknown_name_are_not_computed() {
    let rs = RuleSet::builtin().unwrap();
    let huge = "Chinaa".repeat(4 << 20);
    assert!(rs.countries.suggest(&huge).is_empty());
    assert!(rs.catalog.suggest(&huge).is_empty());
    assert!(!rs.countries.suggest("Chnia").is_empty());
}

mod packs {
    use chipgate::rules::{diag, Loader, PackSource};
    use std::os::unix::fs::symlink;
    use std::path::Path;

    const HEADER: &str = "[pack]\nname = \"hostile\"\nversion = \"1.0.0\"\n";

    fn validate(path: &Path) -> String {
        let (d, sources) = Loader::empty().pack(PackSource::Path(path.into())).validate();
        assert!(d.iter().any(|d| d.is_error()));
        diag::render(&sources, &d)
    }

    /// `--rules /dev/zero` hung, and a link to it in a pack grew memory without bound.
    #[test]
    fn devices_are_not_read() {
        assert!(validate(Path::new("/dev/zero")).contains("cannot read `/dev/zero`: not a regular file"));
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pack.toml"), HEADER).unwrap();
        symlink("/dev/zero", dir.path().join("zero.toml")).unwrap();
        assert!(validate(dir.path()).contains("zero.toml`: it links out of the pack's directory"));
    }

    /// A FIFO named `*.toml` hung.
    #[test]
    fn a_fifo_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pack.toml"), HEADER).unwrap();
        let fifo = dir.path().join("x.toml");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        assert!(validate(&fifo).contains("not a regular file"));
        assert!(validate(dir.path()).contains("not a regular file"));
    }

    /// Self-referencing links hung; `ln -s ..` walked the parents 40 levels deep; a link to
    /// `/etc/passwd` printed its first line.
    #[test]
    fn links_stay_in_the_pack() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pack.toml"), HEADER).unwrap();
        symlink(dir.path().join("b.toml"), dir.path().join("a.toml")).unwrap();
        symlink(dir.path().join("a.toml"), dir.path().join("b.toml")).unwrap();
        symlink("..", dir.path().join("up")).unwrap();
        symlink("..", dir.path().join("up.toml")).unwrap();
        symlink("/etc/passwd", dir.path().join("passwd.toml")).unwrap();
        let text = validate(dir.path());
        assert!(text.contains("a.toml`: Too many levels of symbolic links"), "{text}");
        assert!(text.contains("up.toml`: it links out of the pack's directory"), "{text}");
        assert!(text.contains("passwd.toml`: it links out of the pack's directory"), "{text}");
        assert!(!text.contains("root"), "{text}");
    }

    /// A file that is not TOML is shown only at the token where it failed.
    #[test]
    fn a_file_that_is_not_toml_is_not_echoed() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x.toml");
        std::fs::write(&f, "root:x:0:0:root:/root:/bin/bash\nSECRET=hunter2\n").unwrap();
        let text = validate(&f);
        assert!(text.contains("error[toml]"), "{text}");
        assert!(!text.contains("root:/root") && !text.contains("hunter2"), "{text}");
    }
}

mod audit {
    use chipgate::audit::{audit, CsvSink, Limits, Options, Summary};
    use chipgate::RuleSet;
    use proptest::prelude::*;

    /// Audits `input` with limits; returns the summary and the output's records.
    fn run(rs: &RuleSet, input: &[u8], limits: Limits) -> (Summary, Vec<csv::StringRecord>) {
        let mut opts = Options::new(jiff::civil::date(2025, 1, 1));
        opts.limits = limits;
        let mut sink = CsvSink::new(Vec::new());
        let summary = audit(rs, &opts, input, &mut sink).unwrap();
        let out = sink.into_inner().unwrap();
        let recs = csv::ReaderBuilder::new().flexible(true).from_reader(&out[..]).records().map(Result::unwrap).collect();
        (summary, recs)
    }

    fn error(r: &csv::StringRecord) -> &str {
        r.get(r.len() - 1).unwrap()
    }

    /// One 500 MB line took 1.5 GB, a line of commas 4.6 GB, an open quote on row 2 of a big
    /// file 2.6 GB then an abort: a record over a limit is an error row naming the limit and the
    /// row, and the rows after it are audited.
    #[test]
    fn records_over_the_limits_are_error_rows_and_the_audit_goes_on() {
        let rs = RuleSet::builtin().unwrap();
        let limits = Limits { record_bytes: 4096, fields: 100 };
        let long = "x".repeat(100_000);
        let commas = ",".repeat(100_000);
        let input =
            format!("chip,destination\nH100,CN\nH100,{long}\nH100,CN{commas}\nH20,\"CN\nH100,DE\n{}H100,CN\n", "H100,CN\n".repeat(1000));
        let (summary, recs) = run(&rs, input.as_bytes(), limits);
        assert_eq!(summary.rows, 1006);
        assert_eq!(summary.error_rows, 3);
        assert_eq!(error(&recs[1]), "row 2, the record is longer than the limit of 4 KiB (--max-record-bytes); skipped to its end");
        assert_eq!(error(&recs[2]), "row 3, the record has more than 100 fields, the limit (--max-fields); skipped to its end");
        assert_eq!(
            error(&recs[3]),
            "row 4, the quote opened on line 5 is not closed within the limit of 4 KiB (--max-record-bytes); the lines after it are read as rows"
        );
        // The line after the stray quote is the next row.
        assert_eq!((&recs[4][0], &recs[4][1]), ("H100", "DE"));
        assert!(recs[5..].iter().all(|r| error(r).is_empty()), "{:?}", &recs[5]);
    }

    /// The default limits: 1 MiB and 10,000 fields.
    #[test]
    fn the_default_limits() {
        assert_eq!(Limits::default(), Limits { record_bytes: 1 << 20, fields: 10_000 });
        let rs = RuleSet::builtin().unwrap();
        let input = format!("chip,destination\nH100,{}\nH100,CN\n", "y".repeat((1 << 20) + 1));
        let (summary, recs) = run(&rs, input.as_bytes(), Limits::default());
        assert_eq!((summary.rows, summary.error_rows), (2, 1));
        assert!(error(&recs[0]).contains("row 1, the record is longer than the limit of 1 MiB (--max-record-bytes)"), "{:?}", &recs[0]);
    }

    /// A quote opened on a line already over the byte limit swallowed the rows after it into
    /// that line's error (up to the limit's worth of them, or all of them when the input ended
    /// first): the line ends at its line break, and each bad line is its own error row.
    #[test]
    fn a_quote_on_a_line_over_the_limit_does_not_swallow_the_rows_after_it() {
        let rs = RuleSet::builtin().unwrap();
        let limits = Limits { record_bytes: 4096, fields: 100 };
        // Past what the parser reads before it sees the limit, so the quote opens while the
        // line is skipped.
        let bad = format!("H100,{},\"x\n", "x".repeat(100_000));
        let tail = "H100,CN\n".repeat(10);
        let input = format!("chip,destination\nH100,CN\n{bad}H20,DE\nH100,CN\n{bad}H100,DE\n{tail}{bad}H20,DE\nH100,CN\n");
        let (summary, recs) = run(&rs, input.as_bytes(), limits);
        let too_long =
            |row: usize| format!("row {row}, the record is longer than the limit of 4 KiB (--max-record-bytes); skipped to its end");
        let errors: Vec<(usize, &str)> =
            recs.iter().enumerate().filter(|(_, r)| !error(r).is_empty()).map(|(i, r)| (i + 1, error(r))).collect();
        assert_eq!(errors, [(2, too_long(2).as_str()), (5, too_long(5).as_str()), (17, too_long(17).as_str())]);
        assert_eq!((summary.rows, summary.error_rows), (19, 3));
        let good: Vec<(&str, &str)> = recs.iter().filter(|r| error(r).is_empty()).map(|r| (&r[0], &r[1])).collect();
        let mut want = vec![("H100", "CN"), ("H20", "DE"), ("H100", "CN"), ("H100", "DE")];
        want.extend([("H100", "CN"); 10]);
        want.extend([("H20", "DE"), ("H100", "CN")]);
        assert_eq!(good, want);
    }

    /// The same past the field limit: a quote opened on a line that already has too many
    /// fields took every row after it (to the byte limit, or the end of the input).
    #[test]
    fn a_quote_on_a_line_over_the_field_limit_does_not_swallow_the_rows_after_it() {
        let rs = RuleSet::builtin().unwrap();
        let limits = Limits { record_bytes: 4096, fields: 100 };
        let bad = format!("H100,CN{},\"x\n", ",x".repeat(200));
        let input = format!("chip,destination\nH100,CN\n{bad}H20,DE\nH100,CN\n{bad}H100,DE\n");
        let (summary, recs) = run(&rs, input.as_bytes(), limits);
        let too_many = |row: usize| format!("row {row}, the record has more than 100 fields, the limit (--max-fields); skipped to its end");
        let errors: Vec<(usize, &str)> =
            recs.iter().enumerate().filter(|(_, r)| !error(r).is_empty()).map(|(i, r)| (i + 1, error(r))).collect();
        assert_eq!(errors, [(2, too_many(2).as_str()), (5, too_many(5).as_str())]);
        assert_eq!((summary.rows, summary.error_rows), (6, 2));
        let good: Vec<(&str, &str)> = recs.iter().filter(|r| error(r).is_empty()).map(|r| (&r[0], &r[1])).collect();
        assert_eq!(good, [("H100", "CN"), ("H20", "DE"), ("H100", "CN"), ("H100", "DE")]);
    }

    static RULES: std::sync::LazyLock<RuleSet> = std::sync::LazyLock::new(|| RuleSet::builtin().unwrap());

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Any input, small limits: no panic, and every row comes out (rows in the summary =
        /// records written), whatever quotes, line breaks and lengths it has.
        #[test]
        fn any_input_is_audited_within_the_limits(body in "([a-zH10,\"\r\n]{0,40}){0,30}", bytes in 17usize..64, fields in 2usize..8) {
            let input = format!("chip,destination\n{body}");
            let (summary, recs) = run(&RULES, input.as_bytes(), Limits { record_bytes: bytes, fields });
            prop_assert_eq!(summary.rows as usize, recs.len());
        }
    }
}
