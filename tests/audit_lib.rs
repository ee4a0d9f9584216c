//! The audit library: over thousands of generated rows, every row's audit columns equal a direct
//! `evaluate` of the same query (so memoisation by equivalence class never changes an answer),
//! identity-keyed (JSON) and class-keyed (CSV) runs agree, and every row comes out, in order.

use chipgate::audit::{audit, CsvSink, ErrorKind, Finding, Header, JsonlSink, Options, Outcome, Row, Sink};
use chipgate::chip::{Metric, Overrides, Resolution};
use chipgate::{evaluate, Query, RuleSet};
use common::Lcg;
use jiff::civil::{date, Date};

mod common;

/// A row's audit columns, or its error message and problem kinds.
type Written = Result<Finding, (String, Vec<ErrorKind>)>;

/// Keeps what the audit wrote: header names, and per row its number, fields and outcome.
#[derive(Default)]
struct Collect {
    header: Vec<String>,
    rows: Vec<(u64, Vec<String>, Written)>,
}

impl Sink for Collect {
    fn begin(&mut self, h: &Header<'_>) -> std::io::Result<()> {
        self.header = h.columns.names().to_vec();
        Ok(())
    }

    fn row(&mut self, r: &Row<'_>) -> std::io::Result<()> {
        let fields = r.fields.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect();
        let out = match r.outcome {
            Outcome::Evaluated(f) => Ok(f.clone()),
            Outcome::Error(e) => Err((e.to_string(), e.problems.iter().map(|p| p.kind).collect())),
        };
        self.rows.push((r.number, fields, out));
        Ok(())
    }

    fn finish(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const CHIPS: &[&str] = &[
    "H100",
    "A100",
    "A800",
    "H800",
    "H20",
    "L40S",
    "RTX 4090",
    "RTX 4090 D",
    "H200",
    "B200",
    "L4",
    "A10",
    "MI300X",
    "MI308X",
    "Gaudi 3",
    "T4",
    "Ascend 910B",
    "TPU v4",
    "MI210",
    "L20",
    "A30",
];
const DESTS: &[&str] = &["CN", "HK", "MO", "AE", "DE", "US", "SA", "VN", "RU", "IN", "SG", "KH", "IR", "TW", "MY", "Hong Kong", "macao"];
const HQS: &[&str] = &["", "", "", "CN", "MO", "US", "DE", "HK"];
const TPPS: &[&str] = &["", "1500", "1600", "2399", "2400", "4000", "4799", "4800", "6000"];
const AREAS: &[&str] = &["", "300", "600", "814"];
const FLAGS: &[&str] = &["", "true", "false", "yes", "0"];
const LINKS: &[&str] = &["", "", "600", "900"];
/// Ship-from countries: none (the jurisdiction), the jurisdiction given, abroad, and the
/// destinations themselves (transfers).
const SHIPS: &[&str] = &["", "", "", "US", "SG", "CN", "TW", "HK", "DE", "MO"];
/// Exporters: none (the vendor presumed), the letters' addressees as written several ways, and
/// parties no letter names.
const EXPORTERS: &[&str] = &[
    "",
    "",
    "",
    "NVIDIA",
    "nvidia corporation",
    "AMD",
    "\"Advanced Micro Devices, Inc.\"",
    "Acme Distribution",
    "NVIDIA Singapore Pte. Ltd.",
];

/// Dates spread over 2022–2026, plus every rule change date and the day before it.
fn dates(rs: &RuleSet, rng: &mut Lcg, n: usize) -> Vec<Date> {
    let mut v: Vec<Date> = rs.change_dates.iter().flat_map(|d| [*d, d.yesterday().unwrap()]).collect();
    while v.len() < n {
        let days = rng.next() % (5 * 365);
        v.push(date(2022, 1, 1).checked_add(jiff::Span::new().days(days as i64)).unwrap());
    }
    v
}

fn generate(rs: &RuleSet, rows: usize, seed: u64) -> String {
    let mut rng = Lcg(seed);
    let days = dates(rs, &mut rng, 400);
    let mut s = String::from(
        "id,chip,destination,date,end_user_hq,quantity,tpp,die_area_mm2,datacenter,interconnect_gbps,note,exporter,ship_from\n",
    );
    for i in 0..rows {
        let spec = rng.next().is_multiple_of(5);
        let chip = if spec && rng.next().is_multiple_of(2) { "" } else { rng.pick(CHIPS) };
        let (tpp, area, dc, link) =
            if spec { (rng.pick(TPPS), rng.pick(AREAS), rng.pick(FLAGS), rng.pick(LINKS)) } else { ("", "", "", "") };
        let tpp = if chip.is_empty() && tpp.is_empty() { "4800" } else { tpp };
        let d = days[(rng.next() as usize) % days.len()];
        let (dest, hq, quantity) = (rng.pick(DESTS), rng.pick(HQS), rng.next() % 100);
        s += &format!(
            "{i},{chip},{dest},{d},{hq},{quantity},{tpp},{area},{dc},{link},\"n, {i}\",{},{}\n",
            rng.pick(EXPORTERS),
            rng.pick(SHIPS)
        );
    }
    s
}

fn run(rs: &RuleSet, input: &str, json: bool) -> (Collect, chipgate::audit::Summary) {
    let mut opts = Options::new(date(2025, 1, 1));
    opts.json = json;
    let mut sink = Collect::default();
    let summary = audit(rs, &opts, input.as_bytes(), &mut sink).unwrap();
    (sink, summary)
}

/// What `evaluate` says about a row, rendered like the audit renders it.
fn direct(rs: &RuleSet, header: &[String], fields: &[String]) -> Finding {
    let get = |name: &str| fields[header.iter().position(|h| h == name).unwrap()].trim().to_string();
    let num = |name: &str| {
        let i = header.iter().position(|h| h == name)?;
        Some(fields[i].trim()).filter(|s| !s.is_empty()).map(|s| s.parse::<f64>().unwrap())
    };
    let base = match get("chip").as_str() {
        "" => None,
        name => match rs.catalog.resolve(name) {
            Resolution::Found(c) => Some(c),
            other => panic!("{name}: {other:?}"),
        },
    };
    let overrides = Overrides {
        figures: Metric::given().filter_map(|m| Some((m, num(m.name())?))).collect(),
        datacenter: match get("datacenter").as_str() {
            "" => None,
            v => Some(matches!(v, "true" | "yes" | "1")),
        },
        ..Overrides::default()
    };
    let (chip, hypothetical) = overrides.chip(base);
    let dest = rs.countries.resolve(&get("destination")).unwrap().code.clone();
    let hq = Some(get("end_user_hq")).filter(|h| !h.is_empty()).map(|h| rs.countries.resolve(&h).unwrap().code.clone());
    let d: Date = get("date").parse().unwrap();
    let exporter = header.iter().position(|h| h == "exporter").map(|i| fields[i].trim()).filter(|e| !e.is_empty());
    let ship_from = header.iter().position(|h| h == "ship_from").map(|i| fields[i].trim()).filter(|e| !e.is_empty());
    let q = Query {
        chip: &chip,
        hypothetical,
        destination: &dest,
        date: d,
        end_user_hq: hq.as_deref(),
        exporter,
        ship_from,
        exporter_role: None,
        attested_by: &[],
        parties: Default::default(),
    };
    Finding::new(&evaluate(rs, &q).unwrap(), false).unwrap()
}

#[test]
fn every_row_equals_a_direct_evaluation() {
    let rs = RuleSet::builtin().unwrap();
    let input = generate(&rs, 4000, 42);
    let (out, summary) = run(&rs, &input, false);
    assert_eq!(out.rows.len(), 4000);
    assert_eq!(summary.rows, 4000);
    assert_eq!(summary.error_rows, 0, "{:?}", out.rows.iter().find(|r| r.2.is_err()));
    let mut verdicts = std::collections::BTreeSet::new();
    for (n, fields, got) in &out.rows {
        let got = got.as_ref().unwrap();
        assert_eq!(*got, direct(&rs, &out.header, fields), "row {n}: {fields:?}");
        verdicts.insert(got.verdict);
    }
    // The sample exercises every verdict, and the memo does its job.
    assert_eq!(verdicts.len(), chipgate::Verdict::ALL.len(), "{verdicts:?}");
    assert!(summary.evaluations < 3000, "{} evaluations for 4000 rows", summary.evaluations);
}

#[test]
fn chips_that_differ_only_on_rules_not_in_force_share_an_evaluation() {
    let rs = RuleSet::builtin().unwrap();
    // Performance density is first tested by the October 2023 rule, in force from 2023-11-17:
    // before it, two designs of TPP 3000 that differ only in die area get the same answer.
    let input = "chip,destination,date,end_user_hq,tpp,die_area_mm2,datacenter,interconnect_gbps\n\
                 ,CN,2023-06-01,,3000,100,true,\n\
                 ,CN,2023-06-01,,3000,3000,true,\n\
                 ,CN,2024-06-01,,3000,100,true,\n\
                 ,CN,2024-06-01,,3000,3000,true,\n";
    let (out, summary) = run(&rs, input, false);
    let got: Vec<&Finding> = out.rows.iter().map(|r| r.2.as_ref().unwrap()).collect();
    for (n, fields, _) in &out.rows {
        assert_eq!(*got[*n as usize - 1], direct(&rs, &out.header, fields), "row {n}: {fields:?}");
    }
    assert_eq!((&got[0].eccn, &got[2].eccn, &got[3].eccn), (&got[1].eccn, &"3A090.a".to_string(), &String::new()));
    assert_eq!(summary.evaluations, 3, "one class before the rule, two after");
}

#[test]
fn identity_keyed_and_class_keyed_runs_agree() {
    let rs = RuleSet::builtin().unwrap();
    let input = generate(&rs, 1500, 7);
    let (by_class, s1) = run(&rs, &input, false);
    let (by_identity, s2) = run(&rs, &input, true);
    assert!(s1.evaluations < s2.evaluations, "{} vs {}", s1.evaluations, s2.evaluations);
    for (a, b) in by_class.rows.iter().zip(&by_identity.rows) {
        let (a, b) = (a.2.as_ref().unwrap(), b.2.as_ref().unwrap());
        assert_eq!((&a.verdict, &a.eccn, &a.reasons, &a.csv), (&b.verdict, &b.eccn, &b.reasons, &b.csv));
        assert!(a.json.is_empty() && b.json.contains("\"trace\":["));
    }
    assert_eq!(s1.verdicts, s2.verdicts);
}

#[test]
fn rows_come_out_in_order_with_their_fields() {
    let rs = RuleSet::builtin().unwrap();
    let input = generate(&rs, 300, 3);
    let (out, _) = run(&rs, &input, false);
    let mut rdr = csv::Reader::from_reader(input.as_bytes());
    for ((n, fields, _), rec) in out.rows.iter().zip(rdr.records()) {
        let rec = rec.unwrap();
        assert_eq!(fields, &rec.iter().collect::<Vec<_>>(), "row {n}");
        assert_eq!(fields[0], (n - 1).to_string());
    }
}

#[test]
fn bad_rows_are_counted_by_kind_and_never_dropped() {
    let rs = RuleSet::builtin().unwrap();
    let input = "chip,destination,date,quantity,tpp,datacenter\n\
                 H100,CN,2024-01-15,1,,\n\
                 H100X,Chna,2024-02-30,-1,abc,maybe\n\
                 ,DE,2024-01-15,,,\n\
                 H1,,,,,\n\
                 H100,CN\n\
                 H100,CN,2024-01-15,1,,,extra\n";
    let (out, s) = run(&rs, input, false);
    assert_eq!(out.rows.len(), 6);
    assert_eq!((s.rows, s.error_rows, s.findings), (6, 5, 1));
    let kinds: Vec<Vec<ErrorKind>> = out.rows.iter().filter_map(|r| r.2.as_ref().err().map(|e| e.1.clone())).collect();
    use ErrorKind::*;
    assert_eq!(
        kinds,
        vec![
            vec![UnknownChip, UnknownCountry, BadDate, BadNumber, BadNumber, BadFlag],
            vec![MissingField],
            vec![AmbiguousChip, MissingField],
            vec![RaggedRow],
            vec![RaggedRow],
        ]
    );
    let counts: Vec<(&str, u64)> = s.errors.iter().map(|e| (e.kind, e.count)).collect();
    assert_eq!(
        counts,
        [
            ("missing_field", 2),
            ("unknown_chip", 1),
            ("ambiguous_chip", 1),
            ("unknown_country", 1),
            ("bad_date", 1),
            ("bad_number", 2),
            ("bad_flag", 1),
            ("ragged_row", 2)
        ]
    );
    // Ragged rows are fitted to the header: padded, or cut (the cut field is in the message).
    assert_eq!(out.rows[4].1, ["H100", "CN", "", "", "", ""]);
    assert_eq!(out.rows[5].1, ["H100", "CN", "2024-01-15", "1", "", ""]);
    let msg = &out.rows[5].2.as_ref().unwrap_err().0;
    assert!(msg.contains("7 fields where the header has 6") && msg.contains("`extra`"), "{msg}");
}

#[test]
fn a_column_of_unknown_names_stops_getting_suggestions_but_every_row_is_reported() {
    let rs = RuleSet::builtin().unwrap();
    let mut input = String::from("chip,destination\n");
    for i in 0..700 {
        input += &format!("H100,Chna {i}\n");
    }
    input += "H100X,DE\n";
    let (out, s) = run(&rs, &input, false);
    assert_eq!((s.rows, s.error_rows), (701, 701));
    let msg = |i: usize| out.rows[i].2.as_ref().unwrap_err().0.clone();
    assert!(msg(0).contains("; did you mean "), "{}", msg(0));
    assert!(
        msg(699).starts_with("row 700, column destination: unknown country `Chna 699`; use an ISO 3166-1 alpha-2 code"),
        "{}",
        msg(699)
    );
    assert!(msg(700).starts_with("row 701, column chip: unknown chip `H100X`; `chipgate chips` lists the catalog"), "{}", msg(700));
}

/// A sink that takes rows one by one, writing them through a CSV or JSONL sink (so the audit
/// cannot format them on its worker threads).
struct OneByOne(Box<dyn Sink>);

impl Sink for OneByOne {
    fn begin(&mut self, h: &Header<'_>) -> std::io::Result<()> {
        self.0.begin(h)
    }
    fn row(&mut self, r: &Row<'_>) -> std::io::Result<()> {
        self.0.row(r)
    }
    fn finish(&mut self) -> std::io::Result<()> {
        self.0.finish()
    }
}

/// Writes into a buffer the test keeps.
#[derive(Clone, Default)]
struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Shared {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn rows_formatted_on_workers_equal_rows_written_one_by_one() {
    let rs = RuleSet::builtin().unwrap();
    // Several batches of 1,024 rows, with bad rows among them.
    let mut input = generate(&rs, 2500, 11);
    input += "2500,H100X,CN,2024-01-15,,1,,,,,x\n2501,H100,Chna,,,1,,,,,\n2502,H100,CN\n";
    input += &generate(&rs, 600, 12).split_once('\n').unwrap().1.replace("\n", "\r\n");
    for json in [false, true] {
        let mut opts = Options::new(date(2025, 1, 1));
        opts.json = json;
        let sink = |w: Shared| -> Box<dyn Sink> {
            if json {
                Box::new(JsonlSink::new(w))
            } else {
                Box::new(CsvSink::new(w))
            }
        };
        let (parallel, one_by_one) = (Shared::default(), Shared::default());
        let s1 = audit(&rs, &opts, input.as_bytes(), sink(parallel.clone()).as_mut()).unwrap();
        let s2 = audit(&rs, &opts, input.as_bytes(), &mut OneByOne(sink(one_by_one.clone()))).unwrap();
        let (a, b) = (parallel.0.lock().unwrap().clone(), one_by_one.0.lock().unwrap().clone());
        assert!(a == b, "json {json}: the outputs differ");
        // With traces, the memo outgrows its cap and starts over, at points that depend on
        // how batches fell to workers: then only the number of evaluations may differ.
        let (mut s1, mut s2) = (s1, s2);
        if json {
            (s1.evaluations, s2.evaluations) = (0, 0);
        }
        assert_eq!(s1, s2);
        assert_eq!((s1.rows, s1.error_rows), (3103, 3));
        let out = String::from_utf8(a).unwrap();
        assert_eq!(out.lines().count(), if json { 3103 } else { 3104 }, "json {json}");
        if !json {
            // Every input row, in order, at the start of its output row.
            for (n, (i, o)) in input.lines().zip(out.lines()).enumerate() {
                assert!(o.starts_with(i), "line {}: {o:?} for {i:?}", n + 1);
            }
        }
    }
}

/// A writer that fails after `left` bytes, like a disk that fills up.
struct Failing {
    left: usize,
}

impl std::io::Write for Failing {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::StorageFull, "the disk is full"));
        }
        let n = buf.len().min(self.left);
        self.left -= n;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_writer_that_fails_stops_the_audit_with_the_write_error() {
    let rs = RuleSet::builtin().unwrap();
    let mut input = String::from("chip,destination,date\n");
    for _ in 0..50_000 {
        input += "H100,CN,2024-06-01\n";
    }
    for left in [0, 10, 1000, 300_000, 2_000_000] {
        for json in [false, true] {
            let opts = Options { json, ..Options::new(date(2025, 1, 1)) };
            let w = Failing { left };
            let got = if json {
                audit(&rs, &opts, input.as_bytes(), &mut JsonlSink::new(w))
            } else {
                audit(&rs, &opts, input.as_bytes(), &mut CsvSink::new(w))
            };
            let e = got.expect_err("the output failed");
            assert!(matches!(e, chipgate::audit::AuditError::Write(_)), "{left} {json}: {e:?}");
            assert_eq!(e.to_string(), "cannot write the output", "the cause is the error's source, said once");
            assert_eq!(std::error::Error::source(&e).map(|s| s.to_string()).as_deref(), Some("the disk is full"));
        }
    }
}

#[test]
fn a_jsonl_sink_gets_json_whatever_the_options_say() {
    let rs = RuleSet::builtin().unwrap();
    let input = "chip,destination,date\nH100,CN,2024-06-01\nH20,DE,2024-06-01\nH100X,CN,2024-06-01\n";
    let mut out = Vec::new();
    // `Options::new` leaves `json` false: the sink still gets whole JSON lines.
    audit(&rs, &Options::new(date(2025, 1, 1)), input.as_bytes(), &mut JsonlSink::new(&mut out)).unwrap();
    let lines: Vec<serde_json::Value> =
        String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).expect("each line is JSON")).collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["verdict"], "license_required");
    assert!(lines[0]["trace"].as_array().is_some_and(|t| !t.is_empty()));
    assert_eq!(lines[2]["verdict"], "error");
}

#[test]
fn the_default_ship_from_is_a_country_by_code_or_name_and_an_unknown_one_is_refused() {
    let rs = RuleSet::builtin().unwrap();
    let input = "chip,destination,date\nH200,CN,2026-06-01\n";
    let policy = |ship_from: Option<&str>| {
        let mut opts = Options::new(date(2026, 6, 1));
        opts.ship_from = ship_from.map(str::to_string);
        let mut sink = Collect::default();
        audit(&rs, &opts, input.as_bytes(), &mut sink).map(|_| match &sink.rows[0].2 {
            Ok(f) => f.review_policy.clone(),
            Err(e) => panic!("{e:?}"),
        })
    };
    assert_eq!(policy(None).unwrap(), "case_by_case", "an export from the jurisdiction");
    assert_eq!(policy(Some("Singapore")).unwrap(), "presumption_of_denial", "a reexport, named by the country's name");
    assert_eq!(policy(Some("sg")).unwrap(), "presumption_of_denial");
    let e = policy(Some("Atlantis")).unwrap_err();
    assert!(e.to_string().starts_with("unknown ship-from country `Atlantis`"), "{e}");
}
