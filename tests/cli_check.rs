//! `chipgate check` and `chipgate rules` run as a whole process: stdout, stderr and exit codes
//! (0 no license required, 1 a license / exception / embargo / indeterminate, 2 input error).

mod common;

use serde_json::Value;

use common::chipgate;

/// Runs `check ... --format json`; returns the exit code and the parsed object.
fn check_json(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let r = chipgate(&all);
    assert!(r.code == 0 || r.code == 1, "exit {} for {all:?}\nstderr: {}", r.code, r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", r.stdout));
    (r.code, v)
}

fn reason_ids(v: &Value) -> Vec<String> {
    v["reasons"].as_array().expect("reasons is an array").iter().map(|r| r["id"].as_str().expect("reason id").to_string()).collect()
}

fn pos(hay: &str, needle: &str) -> usize {
    hay.find(needle).unwrap_or_else(|| panic!("`{needle}` not found in:\n{hay}"))
}

/// Asserts a usage error: exit 2, nothing on stdout, every fragment on stderr.
fn assert_input_error(args: &[&str], fragments: &[&str]) {
    let r = chipgate(args);
    assert_eq!(r.code, 2, "{args:?} should exit 2\nstdout: {}\nstderr: {}", r.stdout, r.stderr);
    assert!(r.stdout.is_empty(), "{args:?} printed to stdout: {}", r.stdout);
    for f in fragments {
        assert!(r.stderr.contains(f), "{args:?}: stderr lacks `{f}`:\n{}", r.stderr);
    }
    assert!(!r.stderr.contains("panicked"), "{args:?} panicked:\n{}", r.stderr);
}

#[test]
fn h800_to_china_in_2024_needs_a_license_verdict_first() {
    let r = chipgate(&["check", "H800", "--to", "CN", "--date", "2024-01-15"]);
    assert_eq!(r.code, 1, "stderr: {}", r.stderr);
    let out = &r.stdout;
    assert!(out.contains("2024-01-15"), "the date used is stated:\n{out}");
    assert!(out.contains("H800"));
    let verdict = pos(out, "Verdict");
    assert!(pos(out, "LICENSE REQUIRED") > verdict);
    assert!(verdict < pos(out, "ECCN"), "the verdict comes first");
    assert!(pos(out, "ECCN") < pos(out, "3A090.a"));
    assert!(out.contains("presumption of denial"));
    assert!(out.contains("us-2023-10/destinations"), "the rule that fired is named");
    assert!(out.contains("88 FR 73458"), "the citation is shown");
    assert!(out.contains("Decision support, not legal advice"));
}

#[test]
fn h800_to_china_in_2023_needs_no_license_exit_0() {
    let r = chipgate(&["check", "H800", "--to", "China", "--date", "2023-06-01"]);
    assert_eq!(r.code, 0, "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    assert!(r.stdout.contains("NO LICENSE REQUIRED"), "{}", r.stdout);
    assert!(r.stdout.contains("Decision support, not legal advice"));
}

#[test]
fn json_has_every_contract_field() {
    let (code, v) = check_json(&["H800", "--to", "CN", "--date", "2024-01-15"]);
    assert_eq!(code, 1);
    let fields = [
        "chip",
        "destination",
        "date",
        "tpp",
        "pd",
        "eccn",
        "license_required",
        "exceptions",
        "review_policy",
        "verdict",
        "regimes",
        "reasons",
        "trace",
    ];
    for f in fields {
        assert!(v.get(f).is_some(), "JSON lacks `{f}`: {v:#}");
    }
    assert_eq!(v["chip"]["id"], "nvidia-h800-sxm", "short name resolves to the flagship variant");
    assert_eq!(v["destination"]["code"], "CN");
    assert_eq!(v["date"], "2024-01-15");
    assert_eq!(v["tpp"].as_f64(), Some(15832.0));
    assert!((v["pd"].as_f64().expect("pd is a number") - 19.45).abs() < 0.01);
    assert_eq!(v["eccn"], "3A090.a");
    assert_eq!(v["license_required"], true);
    assert_eq!(v["exceptions"], serde_json::json!([]));
    assert_eq!(v["review_policy"]["policy"], "presumption_of_denial");
    assert_eq!(v["verdict"], "license_required");
    let regimes: Vec<&str> = v["regimes"].as_array().expect("regimes").iter().filter_map(|r| r["id"].as_str()).collect();
    assert!(regimes.contains(&"us-2023-10"), "{regimes:?}");
    assert!(!regimes.contains(&"us-2022-10"), "the 2022 rule is no longer in force: {regimes:?}");
    let reasons = reason_ids(&v);
    assert!(reasons.iter().any(|r| r == "us-2023-10/3a090.a.1") && reasons.iter().any(|r| r == "us-2023-10/destinations"), "{reasons:?}");
    assert!(v["reasons"][0]["citation"]["document"].as_str().is_some_and(|d| d.contains("FR")));
    let trace = v["trace"].as_array().expect("trace");
    assert!(!trace.is_empty());
    for key in ["rule", "metric", "op", "threshold", "result"] {
        assert!(trace.iter().all(|e| e.get(key).is_some()), "trace entries lack `{key}`");
    }
    assert!(trace.iter().any(|e| e["metric"] == "tpp" && e["op"] == ">=" && e["threshold"] == 4800.0 && e["actual"] == 15832.0));
    // The tree, with --trace: the non-datacenter note is all of (not datacenter, tpp < 4800); a
    // datacenter chip makes the `not` false, where the flat trace shows only the test that held.
    assert!(v.get("evaluated").is_none(), "the tree only with --trace");
    let (_, v) = check_json(&["H800", "--to", "CN", "--date", "2024-01-15", "--trace"]);
    let rule =
        |id: &str| v["evaluated"].as_array().unwrap().iter().find(|r| r["rule"] == id).unwrap_or_else(|| panic!("{id}: {v:#}")).clone();
    let note = rule("us-2023-10/note-non-datacenter");
    assert_eq!(note["result"], "false");
    assert_eq!((&note["when"]["node"], &note["when"]["result"]), (&"all".into(), &"false".into()), "{note:#}");
    let not = &note["when"]["of"][0];
    assert_eq!((&not["node"], &not["result"]), (&"not".into(), &"false".into()), "{note:#}");
    assert_eq!((&not["of"]["node"], &not["of"]["metric"], &not["of"]["result"]), (&"test".into(), &"datacenter".into(), &"true".into()));
    let destinations = rule("us-2023-10/destinations");
    assert_eq!((&destinations["assuming_eccn"], &destinations["result"]), (&"3A090.a".into(), &"true".into()), "{destinations:#}");
}

#[test]
fn json_verdicts_and_exit_codes() {
    let cases: [(&[&str], &str, i32); 6] = [
        (&["H100", "--to", "DE", "--date", "2024-06-01"], "no_license_required", 0),
        (&["RTX 4090", "--to", "CN", "--date", "2024-06-01"], "license_exception", 1),
        (&["H100", "--to", "CN", "--date", "2024-06-01"], "license_required", 1),
        (&["T4", "--to", "IR", "--date", "2024-06-01"], "embargoed", 1),
        (&["--tpp", "2000", "--datacenter", "--to", "CN", "--date", "2024-06-01"], "indeterminate", 1),
        (&["H20", "--to", "CN", "--date", "2025-04-09"], "license_required", 1),
    ];
    for (args, verdict, code) in cases {
        let (c, v) = check_json(args);
        assert_eq!(v["verdict"], verdict, "{args:?}");
        assert_eq!(c, code, "{args:?}");
    }
    let (_, v) = check_json(&["RTX 4090", "--to", "VN", "--date", "2024-06-01"]);
    assert_eq!(v["exceptions"][0]["name"], "ACA");
    let (_, v) = check_json(&["--tpp", "2000", "--datacenter", "--to", "CN", "--date", "2024-06-01"]);
    assert_eq!(v["license_required"], Value::Null, "indeterminate: license unknown");
    assert!(v["missing"].to_string().contains("die_area_mm2"), "{}", v["missing"]);
}

#[test]
fn unknown_chip_exits_2_with_suggestions() {
    assert_input_error(&["check", "H100X", "--to", "CN"], &["unknown chip `H100X`", "did you mean", "`H100`"]);
    assert_input_error(&["check", "--based-on", "H8OO", "--interconnect", "600", "--to", "CN"], &["unknown chip `H8OO`"]);
}

#[test]
fn unknown_country_exits_2_with_suggestions() {
    assert_input_error(&["check", "H100", "--to", "Chnia"], &["unknown country `Chnia`", "did you mean", "China"]);
    assert_input_error(&["check", "H100", "--to", "CN", "--end-user-hq", "Chnia"], &["unknown country `Chnia`", "China"]);
}

#[test]
fn bad_dates_exit_2() {
    for d in ["2024-13-01", "yesterday", "15/01/2024", "2024-02-30"] {
        assert_input_error(&["check", "H100", "--to", "CN", "--date", d], &["invalid date", d, "YYYY-MM-DD"]);
    }
}

#[test]
fn bad_chip_flags_exit_2() {
    assert_input_error(&["check", "--tpp", "NaN", "--to", "CN"], &["--tpp"]);
    assert_input_error(&["check", "--tpp", "-5", "--to", "CN"], &[]);
    assert_input_error(&["check", "--throughput", "8=abc", "--to", "CN"], &["--throughput"]);
    assert_input_error(&["check", "--throughput", "fast", "--to", "CN"], &["--throughput"]);
    assert_input_error(&["check", "--tpp", "4800", "--datacenter", "--consumer", "--to", "CN"], &["--consumer"]);
    assert_input_error(&["check", "--to", "CN"], &["name a chip"]);
    assert_input_error(&["check", "H100"], &["--to"]);
}

#[test]
fn hypothetical_tpp_and_datacenter_flags() {
    let on = ["--to", "CN", "--date", "2024-06-01"];
    let (code, v) = check_json(&[&["--tpp", "4800", "--datacenter"][..], &on].concat());
    assert_eq!((code, v["eccn"].as_str(), v["verdict"].as_str()), (1, Some("3A090.a"), Some("license_required")));
    assert_eq!(v["chip"]["hypothetical"], true);
    let (code, v) = check_json(&[&["--tpp", "4799", "--pd", "20", "--consumer"][..], &on].concat());
    assert_eq!((code, v["eccn"].clone(), v["verdict"].as_str()), (0, Value::Null, Some("no_license_required")), "datacenter note");
    let (_, v) = check_json(&[&["--tpp", "4800", "--consumer"][..], &on].concat());
    assert_eq!(v["exceptions"][0]["name"], "NAC");
    let (_, v) = check_json(&[&["--tpp", "4799", "--pd", "20"][..], &on].concat());
    assert_eq!(v["verdict"], "indeterminate", "datacenter unknown where it decides");
    // Each classification possible is licensed with the datacenter flag it implies: below TPP
    // 4800, a 3A090.b item is one designed for datacenters (Note 2), so NAC (to China) or ACA
    // (to Vietnam) is available in that branch.
    for to in ["CN", "VN"] {
        let (_, v) = check_json(&["--tpp", "4000", "--pd", "4", "--to", to, "--date", "2024-06-01"]);
        assert_eq!(v["verdict"], "indeterminate", "{to}");
        assert_eq!(
            v["eccn_candidates"],
            serde_json::json!([{ "eccn": "3A090.b", "verdict": "license_exception" }, { "eccn": null, "verdict": "no_license_required" }]),
            "{to}"
        );
    }
}

#[test]
fn hypothetical_throughput_die_area_and_pd_flags() {
    let on = ["--datacenter", "--to", "CN", "--date", "2024-06-01"];
    let (_, v) = check_json(&[&["--throughput", "8=600", "--pd", "1"][..], &on].concat());
    assert_eq!(v["tpp"].as_f64(), Some(4800.0));
    assert_eq!(v["eccn"], "3A090.a");
    let (_, v) = check_json(&[&["--throughput", "8=599", "--throughput", "fp16=299", "--pd", "1"][..], &on].concat());
    assert_eq!(v["tpp"].as_f64(), Some(4792.0), "the best precision: 599 x 8 beats 299 x 16");
    assert_eq!(v["verdict"], "no_license_required");
    let (_, v) = check_json(&[&["--tpp", "4736", "--die-area", "800"][..], &on].concat());
    assert_eq!(v["pd"].as_f64(), Some(5.92));
    assert_eq!(v["eccn"], "3A090.a");
    let (_, v) = check_json(&[&["--tpp", "3000", "--pd", "4"][..], &on].concat());
    assert_eq!((v["eccn"].as_str(), v["exceptions"][0]["name"].as_str()), (Some("3A090.b"), Some("NAC")));
    // Several processing units on one IC: each unit's best figure, summed.
    let (_, v) = check_json(&[&["--throughput", "gpu:8=400", "--throughput", "npu:int8=250", "--pd", "6"][..], &on].concat());
    assert_eq!(v["tpp"].as_f64(), Some(5200.0));
    assert_input_error(
        &["check", "--throughput", " :8=400", "--to", "CN"],
        &["--throughput", "must name one processing unit", "UNIT:BITS=TOPS"],
    );
    assert_input_error(&["check", "--throughput", "a:b:8=1", "--to", "CN"], &["`a:b:8=1`", "must name one processing unit"]);
    // One unit whatever the case of its name: the best of its figures, not their sum.
    let (_, v) = check_json(&[&["--throughput", "GPU:8=300", "--throughput", "gpu:8=300", "--pd", "6"][..], &on].concat());
    assert_eq!(v["tpp"].as_f64(), Some(2400.0));
}

#[test]
fn hypothetical_interconnect_flag_under_the_2022_rule() {
    let on = ["--to", "CN", "--date", "2023-06-01"];
    let (code, v) = check_json(&[&["--tpp", "4800", "--interconnect", "600"][..], &on].concat());
    assert_eq!((code, v["verdict"].as_str()), (1, Some("license_required")));
    let (code, v) = check_json(&[&["--tpp", "4800", "--interconnect", "599"][..], &on].concat());
    assert_eq!((code, v["verdict"].as_str()), (0, Some("no_license_required")));
}

#[test]
fn hypothetical_memory_bandwidth_flag_decides_the_2026_review() {
    let on = ["--tpp", "15000", "--datacenter", "--to", "CN", "--date", "2026-02-01"];
    let (_, v) = check_json(&[&on[..], &["--memory-bandwidth", "6500"]].concat());
    assert_eq!(v["review_policy"]["policy"], "presumption_of_denial");
    let (_, v) = check_json(&[&on[..], &["--memory-bandwidth", "6499"]].concat());
    assert_eq!(v["review_policy"]["policy"], "case_by_case");
}

#[test]
fn based_on_overrides_a_catalog_chip() {
    let (code, v) = check_json(&["--based-on", "H100", "--interconnect", "400", "--to", "CN", "--date", "2023-06-01"]);
    assert_eq!((code, v["verdict"].as_str()), (0, Some("no_license_required")), "an H100 cut to 400 GB/s is an H800 in 2022");
    assert_eq!(v["chip"]["id"], "nvidia-h100-sxm");
    assert_eq!(v["chip"]["hypothetical"], true);
    assert_eq!(v["tpp"].as_f64(), Some(15832.0), "other figures come from the catalog");
    let (code, _) = check_json(&["H100", "--to", "CN", "--date", "2023-06-01"]);
    assert_eq!(code, 1, "the unmodified H100 needs a license");
}

#[test]
fn end_user_headquarters_flag() {
    let (code, v) = check_json(&["H100", "--to", "SG", "--date", "2024-06-01", "--end-user-hq", "China"]);
    assert_eq!(code, 1);
    assert_eq!(v["end_user_hq"]["code"], "CN");
    assert!(reason_ids(&v).contains(&"us-2023-10/headquarters".to_string()));
    assert_eq!(v["review_policy"]["policy"], "presumption_of_denial");
    let (code, _) = check_json(&["H100", "--to", "SG", "--date", "2024-06-01", "--end-user-hq", "US"]);
    assert_eq!(code, 0);
    let r = chipgate(&["check", "H100", "--to", "SG", "--date", "2024-06-01", "--end-user-hq", "MO"]);
    assert!(r.stdout.contains("headquartered in Macau"), "{}", r.stdout);
}

#[test]
fn hong_kong_is_treated_as_china() {
    let (code, v) = check_json(&["H100", "--to", "Hong Kong", "--date", "2024-06-01"]);
    assert_eq!(code, 1);
    assert_eq!(v["destination"]["code"], "HK");
    assert_eq!(v["destination"]["treated_as"], "CN");
}

#[test]
fn date_defaults_to_today_and_is_stated() {
    let today = || jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date().to_string();
    let before = today();
    let r = chipgate(&["check", "H100", "--to", "DE"]);
    let (_, v) = check_json(&["H100", "--to", "DE"]);
    let after = today();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains(&before) || r.stdout.contains(&after), "today's date is stated:\n{}", r.stdout);
    let used = v["date"].as_str().expect("date");
    assert!(used == before || used == after, "{used} is not today ({before})");
}

#[test]
fn not_enforced_ai_diffusion_is_mentioned_but_changes_nothing() {
    let r = chipgate(&["check", "H100", "--to", "BR", "--date", "2025-06-01"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("us-2025-01/worldwide-3a090a"), "{}", r.stdout);
    assert!(r.stdout.to_lowercase().contains("not enforced"), "{}", r.stdout);
}

#[test]
fn disclaimer_and_missing_data_even_without_margins() {
    let r = chipgate(&["check", "--die-area", "100", "--to", "KP", "--date", "2025-06-01"]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("EMBARGOED"), "{}", r.stdout);
    assert!(r.stdout.contains("Decision support, not legal advice"), "{}", r.stdout);
    let r = chipgate(&["check", "--tpp", "2000", "--datacenter", "--to", "CN", "--date", "2024-06-01"]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("Missing data") && r.stdout.contains("die_area_mm2"), "{}", r.stdout);
}

#[test]
fn trace_flag_prints_every_condition() {
    let r = chipgate(&["check", "H800", "--to", "CN", "--date", "2024-01-15", "--trace"]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("Trace"), "{}", r.stdout);
    assert!(r.stdout.contains("tpp >= 4800"), "{}", r.stdout);
    // Each rule once, its condition as a tree: the operands indented under `all of` and `not`.
    let rows: Vec<Vec<&str>> = r
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("Trace"))
        .map(|l| l.split(['│', '┆']).map(|c| c.trim_end_matches(' ').trim_start_matches(' ')).collect())
        .filter(|c: &Vec<&str>| c.len() == 6)
        .collect();
    let at = rows.iter().position(|c| c[1] == "us-2023-10/note-non-datacenter").expect("the note is traced");
    let tests: Vec<&str> = rows[at..at + 4].iter().map(|c| c[2]).collect();
    assert_eq!(
        tests,
        ["all of", "\u{a0}\u{a0}not", "\u{a0}\u{a0}\u{a0}\u{a0}datacenter is true", "\u{a0}\u{a0}tpp < 4800"],
        "{}",
        r.stdout
    );
    assert_eq!(rows[at + 1][1], "", "the rule is named once");
    assert_eq!(rows.iter().filter(|c| c[1] == "us-2023-10/note-non-datacenter").count(), 1, "{}", r.stdout);
}

#[test]
fn rules_lists_regimes_with_dates_and_citations() {
    let r = chipgate(&["rules"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = &r.stdout;
    for id in [
        "us-2022-10",
        "us-2023-10",
        "us-2024-04",
        "us-2024-12",
        "us-2025-01-ai-diffusion",
        "us-2025-04-h20-mi308",
        "us-2026-01",
        "ear-746-cuba",
        "ear-746-iran",
        "ear-746-north-korea",
        "ear-746-russia",
        "ear-746-belarus",
    ] {
        assert!(out.contains(id), "regime `{id}` not listed");
    }
    for cite in ["87 FR 62186", "88 FR 73458", "89 FR 23876", "89 FR 96790", "90 FR 4544", "91 FR 1684", "15 CFR 746.8"] {
        assert!(out.contains(cite), "citation `{cite}` not listed");
    }
    for date in ["2022-10-07", "2023-11-17", "2024-04-04", "2024-12-02", "2025-01-13", "2026-01-15", "2022-02-24", "2022-03-02"] {
        assert!(out.contains(date), "date {date} not listed");
    }
    assert!(out.to_lowercase().contains("not enforced"), "the AI Diffusion rule is marked not enforced");
    assert!(out.contains("us-2023-10/headquarters"), "rules are listed under their regimes");
}

#[test]
fn the_exporter_and_the_ship_from_are_said_and_change_answers() {
    // The human answer names the ship-from and the kind of transaction, and the assumptions.
    let r = chipgate(&["check", "H20", "--to", "CN", "--date", "2025-06-01"]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("on 2025-06-01, from United States (US): export"), "{}", r.stdout);
    assert!(r.stdout.contains("Assumption: exporter presumed to be the chip's vendor, NVIDIA"), "{}", r.stdout);
    assert!(r.stdout.contains("Assumption: shipped from the rules' jurisdiction, United States (US): export"), "{}", r.stdout);
    let r = chipgate(&["check", "H20", "--to", "CN", "--date", "2025-06-01", "--exporter", "Acme Distribution"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stdout.contains("us-2025-04/h20-mi308-destinations binds NVIDIA, not the exporter given (Acme Distribution)"),
        "{}",
        r.stdout
    );
    let (_, v) = check_json(&["H200", "--to", "CN", "--date", "2026-06-01", "--ship-from", "Singapore"]);
    assert_eq!(v["transaction"], "reexport");
    assert_eq!(v["ship_from"]["code"], "SG");
    assert_eq!(v["review_policy"]["policy"], "presumption_of_denial");
    let (_, v) = check_json(&["H200", "--to", "CN", "--date", "2026-06-01"]);
    assert_eq!(v["transaction"], "export");
    assert_eq!(v["review_policy"]["policy"], "case_by_case");
    assert_input_error(&["check", "H200", "--to", "CN", "--ship-from", "Atlantis"], &["Atlantis"]);
}

/// `--short` is the answer in one line, with the exit code of the full answer.
#[test]
fn short_is_one_line_with_the_same_exit_code() {
    for (args, line) in [
        (
            &["check", "H800", "--to", "CN", "--date", "2024-01-15"][..],
            "NVIDIA H800 SXM5 80GB → China (CN) on 2024-01-15: LICENSE REQUIRED; ECCN 3A090.a; review: presumption of denial\n",
        ),
        (&["check", "H800", "--to", "CN", "--date", "2023-06-01"][..], "NVIDIA H800 SXM5 80GB → China (CN) on 2023-06-01: NO LICENSE REQUIRED; ECCN —\n"),
        (
            &["check", "--tpp", "3000", "--to", "CN", "--date", "2024-05-01"][..],
            "hypothetical chip → China (CN) on 2024-05-01: INDETERMINATE; ECCN undetermined (none | 3A090.a | 3A090.b); missing: datacenter, pd (or die_area_mm2)\n",
        ),
        (
            &["check", "H200", "--to", "CN", "--date", "2026-06-01", "--ship-from", "SG"][..],
            "NVIDIA H200 SXM 141GB → China (CN) on 2026-06-01, from Singapore (SG): reexport: LICENSE REQUIRED; ECCN 3A090.a; review: presumption of denial\n",
        ),
        (
            &["check", "--tpp", "6000", "--pd", "2", "--to", "CN", "--date", "2024-06-01"][..],
            "hypothetical chip → China (CN) on 2024-06-01: LICENSE REQUIRED; ECCN 3A090.a; possible exception: NAC (not a clearance); review: presumption of denial; missing: datacenter\n",
        ),
    ] {
        let full = chipgate(args);
        let mut with_short = args.to_vec();
        with_short.push("--short");
        let short = chipgate(&with_short);
        assert_eq!(short.stdout, line, "{args:?}");
        assert_eq!(short.code, full.code, "{args:?}");
    }
}

#[test]
fn owners_that_cannot_be_read_or_belong_to_no_party_are_errors() {
    let base = ["check", "T4", "--to", "SG", "--date", "2026-12-01"];
    let with = |extra: &[&'static str]| base.iter().copied().chain(extra.iter().copied()).collect::<Vec<&str>>();
    assert_input_error(&with(&["--end-user-owner", "Huawei=60"]), &["--end-user-owner gives the owners of the end user", "--end-user"]);
    assert_input_error(&with(&["--end-user", "X", "--end-user-owner", "Huawei=sixty"]), &["--end-user-owner", "`sixty`", "NAME=PERCENT"]);
    assert_input_error(&with(&["--end-user", "X", "--end-user-owner", "Huawei=60", "--end-user-owner", "SMIC=50"]), &["110 %, over 100 %"]);
    assert_input_error(&with(&["--end-user", "X", "--end-user-owner", "none", "--end-user-owner", "SMIC=5"]), &["`none` stands alone"]);
    assert_input_error(&with(&["--consignee", "X", "--consignee-owner", "=5"]), &["--consignee-owner", "names no owner"]);
}
