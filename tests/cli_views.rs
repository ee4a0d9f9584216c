//! `chipgate chips`, `chips show`, `timeline` and `diff`, run as the real binary: stdout,
//! stderr and exit codes.

mod common;

use serde_json::Value;

use common::chipgate;

fn ok(args: &[&str]) -> String {
    let r = chipgate(args);
    assert_eq!(r.code, 0, "{args:?}\nstdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    r.stdout
}

fn json(args: &[&str]) -> Value {
    serde_json::from_str(&ok(args)).unwrap()
}

fn fails(args: &[&str]) -> String {
    let r = chipgate(args);
    assert_eq!(r.code, 2, "{args:?} should fail with 2\nstdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    r.stderr
}

// ---------------------------------------------------------------------------------------------
// chips

#[test]
fn chips_lists_the_catalog_with_figures_and_eccn() {
    let out = ok(&["chips", "--date", "2024-01-15"]);
    for s in ["NVIDIA H100 SXM5 80GB", "15832", "19.45", "ECCN on 2024-01-15", "3A090.a", "3A090.b", "AMD Instinct MI300X"] {
        assert!(out.contains(s), "missing `{s}`:\n{out}");
    }
    assert!(out.contains("40 chips.") && out.contains("also has 16 computers and assemblies"), "{out}");
}

#[test]
fn chips_systems_lists_the_computers_and_assemblies_with_what_they_contain() {
    let out = ok(&["chips", "--systems", "--date", "2024-01-15"]);
    for s in ["NVIDIA DGX H100", "8 × NVIDIA H100 SXM5 80GB", "computer", "assembly", "4A090.a", "16 computers and assemblies"] {
        assert!(out.contains(s), "missing `{s}`:\n{out}");
    }
    assert!(!out.contains("NVIDIA T4"), "{out}");
    let v = json(&["chips", "--systems", "--date", "2022-12-01", "--format", "json"]);
    let systems = v["chips"].as_array().unwrap();
    let find = |id: &str| systems.iter().find(|c| c["id"] == id).unwrap().clone();
    assert_eq!(find("nvidia-dgx-a100")["eccn"], "4A090.a");
    assert_eq!(find("nvidia-dgx-a100")["item"], "computer");
    assert_eq!(find("nvidia-dgx-a100")["contains"], serde_json::json!([{"chip": "nvidia-a100-sxm", "count": 8}]));
    assert_eq!(find("nvidia-hgx-a800-8gpu")["eccn"], Value::Null, "the A800 escaped the 2022 rule, and so did its board");
    let csv = ok(&["chips", "--systems", "--search", "DGX H100", "--format", "csv", "--date", "2024-01-15"]);
    assert!(csv.lines().next().unwrap().ends_with(",item,contains"), "{csv}");
    assert!(csv.contains(",computer,nvidia-h100-sxmx8"), "{csv}");
    let show = ok(&["chips", "show", "DGX H100", "--date", "2024-01-15"]);
    for s in ["Contains", "NVIDIA H100 SXM5 80GB (nvidia-h100-sxm)", "3A090.a", "the highest of the items it contains", "supercluster.blog"]
    {
        assert!(show.contains(s), "missing `{s}`:\n{show}");
    }
}

#[test]
fn chips_table_rounds_pd_once() {
    // 5284.8 / 608.5 = 8.68496…: rounding to 4 digits first would show 8.69.
    let out = ok(&["chips", "--search", "RTX 4090", "--date", "2024-01-15"]);
    assert!(out.contains("┆ 8.68 ┆") && !out.contains("8.69"), "{out}");
}

#[test]
fn chips_json_has_every_chip_and_undetermined_classifications() {
    let v = json(&["chips", "--date", "2024-01-15", "--format", "json"]);
    assert_eq!(v["date"], "2024-01-15");
    let chips = v["chips"].as_array().unwrap();
    assert_eq!(chips.len(), 40);
    let find = |id: &str| chips.iter().find(|c| c["id"] == id).unwrap().clone();
    assert_eq!(find("nvidia-h800-sxm")["eccn"], "3A090.a");
    assert_eq!(find("nvidia-h800-sxm")["tpp"], 15832.0);
    assert_eq!(find("nvidia-rtx-4090-d")["eccn"], Value::Null);
    let tpu = find("google-tpu-v4");
    assert_eq!(tpu["eccn"], Value::Null);
    assert_eq!(tpu["missing"], serde_json::json!(["pd"]));
    assert!(tpu["eccn_candidates"].as_array().unwrap().contains(&Value::from("3A090.b")));
}

#[test]
fn chips_filters_by_vendor_eccn_and_text() {
    let csv = ok(&["chips", "--vendor", "amd", "--format", "csv", "--date", "2024-01-15"]);
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with("id,name,vendor,datacenter,tpp,pd"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 6, "{csv}");
    assert!(rows.iter().all(|r| r.contains(",AMD,")), "{csv}");

    let v = json(&["chips", "--eccn", "3a090.b", "--date", "2024-01-15", "--format", "json"]);
    let mut ids: Vec<&str> = v["chips"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    ids.sort();
    assert_eq!(ids, vec!["amd-mi210", "nvidia-a30", "nvidia-a40", "nvidia-l40"]);

    let v = json(&["chips", "--search", "4090", "--format", "json"]);
    assert_eq!(v["chips"].as_array().unwrap().len(), 2);

    let v = json(&["chips", "--eccn", "undetermined", "--date", "2024-01-15", "--format", "json"]);
    let ids: Vec<&str> = v["chips"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"google-tpu-v4"), "{ids:?}");

    assert!(ok(&["chips", "--vendor", "nobody"]).contains("No chip matches."));
}

#[test]
fn undetermined_eccns_are_marked_in_the_table() {
    let out = ok(&["chips", "--search", "tpu v4", "--date", "2024-01-15"]);
    assert!(out.contains("undetermined (pd unknown)"), "{out}");
    let out = ok(&["chips", "--search", "h100 nvl", "--date", "2023-01-15"]);
    assert!(out.contains("3A090.a?") && out.contains("interconnect_gbps"), "{out}");
}

#[test]
fn chips_show_prints_every_figure_its_derivation_and_sources() {
    let out = ok(&["chips", "show", "NVIDIA H100 SXM5", "--date", "2024-01-15"]);
    for s in [
        "NVIDIA H100 SXM5 80GB (nvidia-h100-sxm)",
        "Aliases",
        "H100 SXM",
        "3A090.a (us-2023-10/3a090.a.1",
        "TPP 15832 / applicable die area 814 mm²",
        "int8 1979 × 8 bits",
        "Applicable die area (mm²)",
        "Cross-check: TPP derived 15832 vs published 15832",
        "Sources",
        "[1] ",
        "epoch.ai",
        "Notes",
    ] {
        assert!(out.contains(s), "missing `{s}`:\n{out}");
    }
}

#[test]
fn chips_show_json_and_aliases() {
    let v = json(&["chips", "show", "RTX4090D", "--format", "json", "--date", "2024-01-15"]);
    assert_eq!(v["chip"]["id"], "nvidia-rtx-4090-d");
    assert_eq!(v["classification"]["eccn"], Value::Null);
    assert!(v["metrics"]["tpp"]["derivation"].as_str().unwrap().contains("× bit length"));
    assert!(!v["sources"].as_array().unwrap().is_empty());
    let v = json(&["chips", "show", "h100 sxm", "--format", "json"]);
    assert_eq!(v["chip"]["id"], "nvidia-h100-sxm");
    assert!(ok(&["chips", "show", "tpu v4", "--date", "2024-01-15"]).contains("undetermined: none | 3A090.a | 3A090.b; missing pd"));
}

#[test]
fn chips_show_rejects_ambiguous_and_unknown_names() {
    let err = fails(&["chips", "show", "H2"]);
    assert!(err.contains("chip name `H2` is ambiguous") && err.contains("`H20`") && err.contains("`H200`"), "{err}");
    let err = fails(&["chips", "show", "H100X"]);
    assert!(err.contains("unknown chip `H100X`; did you mean `H100`"), "{err}");
    let err = fails(&["chips", "--date", "2024-13-01"]);
    assert!(err.contains("invalid date `2024-13-01`"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// timeline

#[test]
fn timeline_h800_to_china() {
    let out = ok(&["timeline", "H800", "--to", "CN", "--until", "2026-11-29"]);
    for s in [
        "NVIDIA H800 SXM5 80GB → China (CN), 2022-01-01 to 2026-11-29",
        "no license required",
        "2023-11-17",
        "license required",
        "presumption of denial",
        "case-by-case",
        "+ us-2023-10/3a090.a.1",
        "+ us-2026-01/case-by-case-china",
        "2026-01-15",
    ] {
        assert!(out.contains(s), "missing `{s}`:\n{out}");
    }
}

#[test]
fn timeline_json_periods() {
    let v = json(&["timeline", "h800", "--to", "China", "--until", "2026-11-29", "--exporter", "Acme Distribution", "--format", "json"]);
    let p = v["periods"].as_array().unwrap();
    assert_eq!(p.len(), 3);
    assert_eq!(p[0]["from"], "2022-01-01");
    assert_eq!(p[0]["until"], "2023-11-17");
    assert_eq!(p[0]["status"]["verdict"], "no_license_required");
    assert_eq!(p[1]["status"]["verdict"], "license_required");
    assert_eq!(p[1]["status"]["eccn"], "3A090.a");
    assert_eq!(p[1]["status"]["review_policy"], "presumption_of_denial");
    assert_eq!(p[2]["from"], "2026-01-15");
    assert_eq!(p[2]["until"], Value::Null);
    assert_eq!(p[2]["status"]["review_policy"], "case_by_case");
    assert_eq!(p[2]["changed_by"][0]["id"], "us-2026-01/case-by-case-china");
    assert_eq!(p[2]["changed_by"][0]["kind"], "in_force");
    assert!(v["rules_version"].as_str().unwrap().starts_with("chipgate-builtin@"));
}

#[test]
fn timeline_for_nvidia_starts_with_its_letter_and_says_the_exporter_was_presumed() {
    // Without --exporter, NVIDIA (the H800's vendor) is presumed: its letter of 2023-10-23 made
    // the 2023 rule's requirement apply to it at once.
    let v = json(&["timeline", "h800", "--to", "China", "--until", "2026-11-29", "--format", "json"]);
    let p = v["periods"].as_array().unwrap();
    assert_eq!(p[0]["until"], "2023-10-23", "{p:#?}");
    assert_eq!(p[1]["from"], "2023-10-23");
    assert_eq!(p[1]["status"]["verdict"], "license_required");
    let by: Vec<&str> = p[1]["changed_by"].as_array().unwrap().iter().filter_map(|c| c["id"].as_str()).collect();
    assert!(by.contains(&"us-2023-10/nvidia-letter-datacenter"), "{by:?}");
    let assumed: Vec<&str> = v["assumptions"].as_array().unwrap().iter().filter_map(|a| a.as_str()).collect();
    assert!(assumed.iter().any(|a| a.starts_with("exporter presumed to be the chip's vendor, NVIDIA")), "{assumed:?}");
    // A distributor named is not presumed to be anyone.
    let v = json(&["timeline", "h800", "--to", "China", "--until", "2026-11-29", "--exporter", "Acme Distribution", "--format", "json"]);
    let assumed: Vec<&str> = v["assumptions"].as_array().unwrap().iter().filter_map(|a| a.as_str()).collect();
    assert!(!assumed.iter().any(|a| a.starts_with("exporter presumed")), "{assumed:?}");
}

#[test]
fn timeline_from_and_until_bound_the_view() {
    let v = json(&["timeline", "H800", "--to", "CN", "--from", "2024-01-01", "--until", "2025-12-31", "--format", "json"]);
    let p = v["periods"].as_array().unwrap();
    assert_eq!(p.len(), 1, "{p:#?}");
    assert_eq!(p[0]["from"], "2024-01-01");
}

#[test]
fn timeline_for_a_hypothetical_chip_and_an_end_user_hq() {
    let args = [
        "timeline",
        "--tpp",
        "5000",
        "--datacenter",
        "--interconnect",
        "400",
        "--memory-bandwidth",
        "3000",
        "--to",
        "CN",
        "--until",
        "2026-06-01",
        "--format",
        "json",
    ];
    let v = json(&args);
    assert_eq!(v["chip"]["hypothetical"], true);
    let p = v["periods"].as_array().unwrap();
    assert_eq!(p.last().unwrap()["status"]["review_policy"], "case_by_case");

    // Shipped to Singapore for a Chinese-headquartered company: the headquarters rule applies.
    let v = json(&["timeline", "H100", "--to", "SG", "--end-user-hq", "CN", "--until", "2026-06-01", "--format", "json"]);
    assert_eq!(v["end_user_hq"]["code"], "CN");
    let p = v["periods"].as_array().unwrap();
    let last = &p.last().unwrap()["status"];
    assert_eq!(last["verdict"], "license_required");
    assert!(last["reasons"].as_array().unwrap().contains(&Value::from("us-2023-10/headquarters")));
}

#[test]
fn timeline_input_errors_exit_2() {
    assert!(fails(&["timeline", "H100X", "--to", "CN"]).contains("unknown chip `H100X`"));
    assert!(fails(&["timeline", "H100", "--to", "Atlantis"]).contains("unknown country `Atlantis`"));
    assert!(fails(&["timeline", "H100", "--to", "CN", "--from", "2024-02-30"]).contains("invalid date `2024-02-30`"));
    assert!(fails(&["timeline", "H100", "--to", "CN", "--from", "2025-01-01", "--until", "2024-01-01"]).contains("is after --until"));
    assert!(fails(&["timeline", "--to", "CN"]).contains("name a chip"));
}

// ---------------------------------------------------------------------------------------------
// diff

#[test]
fn diff_lists_the_a800_and_h800_as_newly_license_required() {
    let out = ok(&["diff", "--from", "2023-06-01", "--until", "2024-01-15", "--destinations", "CN"]);
    for s in ["NVIDIA A800 SXM4 80GB", "NVIDIA A800 PCIe 80GB", "NVIDIA H800 SXM5 80GB", "+ us-2023-10/3a090.a.1", "review: presumption of"]
    {
        assert!(out.contains(s), "missing `{s}`:\n{out}");
    }
    assert!(!out.contains("NVIDIA H100 SXM5 80GB"), "the H100 was already controlled:\n{out}");

    let v = json(&["diff", "--from", "2023-06-01", "--until", "2024-01-15", "--destinations", "CN", "--format", "json"]);
    let rows = v["rows"].as_array().unwrap();
    // The boards made of them too (4A090.a from 2023-11-17: their ICs became 3A090.a).
    for id in ["nvidia-a800-sxm", "nvidia-h800-sxm", "nvidia-hgx-a800-8gpu", "nvidia-hgx-h800-8gpu"] {
        let r = rows.iter().find(|r| r["chip"]["id"] == id).unwrap_or_else(|| panic!("{id}"));
        assert_eq!(r["before"]["verdict"], "no_license_required");
        assert_eq!(r["after"]["verdict"], "license_required");
        assert_eq!(r["after"]["review_policy"], "presumption_of_denial");
        assert!(r["responsible"].as_array().unwrap().iter().any(|c| c["id"] == "us-2023-10/destinations"));
    }
    assert_eq!(v["compared"], 56, "the 40 chips and the 16 computers and assemblies");
}

#[test]
fn diff_the_2026_h200_review_change_as_csv() {
    let csv =
        ok(&["diff", "--from", "2025-12-01", "--until", "2026-02-01", "--destinations", "CN", "--chips", "H200,B200", "--format", "csv"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("chip_id,chip,destination,changed,before_verdict"), "{csv}");
    assert_eq!(lines.len(), 2, "only the H200 changes:\n{csv}");
    assert!(lines[1].starts_with("nvidia-h200-sxm,"), "{csv}");
    assert!(lines[1].contains("presumption_of_denial") && lines[1].contains("case_by_case"), "{csv}");
    assert!(lines[1].contains("review_policy") && lines[1].ends_with("+ us-2026-01/case-by-case-china"), "{csv}");
}

#[test]
fn diff_destinations_accept_names_and_codes() {
    let v = json(&[
        "diff",
        "--from",
        "2023-06-01",
        "--to",
        "2024-01-15",
        "--destinations",
        "china, Hong Kong ,UAE",
        "--chips",
        "H800",
        "--format",
        "json",
    ]);
    assert_eq!(v["destinations"], serde_json::json!(["CN", "HK", "AE"]));
    let dests: Vec<&str> = v["rows"].as_array().unwrap().iter().map(|r| r["destination"]["code"].as_str().unwrap()).collect();
    assert_eq!(dests, vec!["CN", "HK", "AE"]);
}

#[test]
fn diff_defaults_to_every_country_the_rules_mention() {
    let v = json(&["diff", "--from", "2023-06-01", "--until", "2024-01-15", "--chips", "H800", "--format", "json"]);
    let dests: Vec<&str> = v["destinations"].as_array().unwrap().iter().map(|d| d.as_str().unwrap()).collect();
    for code in ["CN", "HK", "MO", "AE", "SA", "VN", "NI", "CU", "DE"] {
        assert!(dests.contains(&code), "{code} missing from {dests:?}");
    }
    assert!(dests.len() > 50, "{dests:?}");
}

#[test]
fn diff_collapse_groups_destinations() {
    let out =
        ok(&["diff", "--from", "2023-06-01", "--until", "2024-01-15", "--destinations", "CN,HK,MO,DE", "--chips", "H800", "--collapse"]);
    assert!(out.contains("CN, HK, MO"), "{out}");
    assert_eq!(out.matches("NVIDIA H800 SXM5").count(), 2, "{out}");
}

#[test]
fn diff_with_nothing_changed_says_so() {
    let out = ok(&["diff", "--from", "2023-12-01", "--until", "2024-01-15", "--destinations", "CN"]);
    assert!(out.contains("0 of 56") && out.contains("Nothing changed"), "{out}");
}

#[test]
fn diff_input_errors_exit_2() {
    assert!(fails(&["diff", "--from", "2023-06-01", "--destinations", "CN,Atlantis"]).contains("unknown country `Atlantis`"));
    assert!(fails(&["diff", "--from", "yesterday"]).contains("invalid date `yesterday`"));
    assert!(fails(&["diff", "--from", "2023-06-01", "--chips", "H2"]).contains("ambiguous"));
    fails(&["diff", "--until", "2024-01-01"]);
}

#[test]
fn completions_for_every_shell_and_a_man_page() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let r = chipgate(&["completions", shell]);
        assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
        for sub in ["check", "audit", "timeline", "diff", "chips", "rules", "completions", "man"] {
            assert!(r.stdout.contains(sub), "{shell} completes `{sub}`");
        }
    }
    let r = chipgate(&["completions", "tcsh"]);
    assert_eq!(r.code, 2);
    let r = chipgate(&["man"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.starts_with(".ie \\n(.g .ds Aq"), "roff");
    assert!(
        r.stdout.contains(".SH NAME") && r.stdout.contains(".SH SUBCOMMANDS") && r.stdout.contains("chipgate\\-check(1)"),
        "{}",
        r.stdout
    );
    let r = chipgate(&["--version"]);
    assert!(r.stdout.starts_with("chipgate 0.1.0 (built-in rules chipgate-builtin@"), "{}", r.stdout);
}

#[test]
fn map_draws_the_rules_regions_and_the_catalog_on_a_date() {
    let before = chipgate(&["map", "--date", "2023-06-01", "--steps", "20"]);
    assert_eq!(before.code, 0, "{}", before.stderr);
    let svg = &before.stdout;
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\"") && svg.ends_with("</svg>\n"));
    assert!(svg.contains("data-chip=\"nvidia-a800-sxm\" data-eccn=\"none\""), "the A800 is outside the 2022 rule");
    assert!(!svg.contains("data-cell=\"3A090.a\""), "before the October 2023 rule a chip given TPP and density alone is undetermined");
    assert!(svg.contains("data-cell=\"?\"") && svg.contains("undetermined (interconnect_gbps)"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("map.svg");
    let after = chipgate(&["map", "--date", "2024-01-15", "--steps", "20", "-o", path.to_str().unwrap()]);
    assert_eq!((after.code, after.stdout.as_str()), (0, ""), "{}", after.stderr);
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(svg.contains("data-chip=\"nvidia-a800-sxm\" data-eccn=\"3A090.a\""));
    // 20 × 20 cells, each classified or left blank; the shaded ones are 3A090.a or .b.
    let cells = svg.matches("data-cell=\"3A090.").count();
    assert!(cells > 200 && cells < 400, "{cells}");
    assert_eq!(svg.matches("<g data-chip=").count(), svg.matches("</g>").count());
    // Every element that opens is closed (a cheap well-formedness check).
    assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
    let only = chipgate(&["map", "--date", "2024-01-15", "--chips", "H800,A800"]);
    assert_eq!(only.stdout.matches("<g data-chip=").count(), 2);
    let bad = chipgate(&["map", "--tpp-max=-5"]);
    assert!(bad.stderr.contains("--tpp-max must be a number > 0"), "{}", bad.stderr);
    assert_eq!(bad.code, 2);
}

// ---------------------------------------------------------------------------------------------
// old spellings (issue 17: one vocabulary across commands)

#[test]
fn the_old_spellings_still_answer_with_a_warning() {
    let new = chipgate(&["diff", "--from", "2023-06-01", "--until", "2024-01-15", "--destinations", "CN", "--format", "csv"]);
    let old = chipgate(&["diff", "--from", "2023-06-01", "--to", "2024-01-15", "--destinations", "CN", "--format", "csv"]);
    assert_eq!((old.code, &old.stdout), (new.code, &new.stdout));
    assert!(new.stderr.is_empty(), "{}", new.stderr);
    assert!(old.stderr.contains("warning: `chipgate diff --to DATE` is now `--until DATE`"), "{}", old.stderr);
    assert!(fails(&["diff", "--from", "2023-06-01", "--to", "2024-01-15", "--until", "2024-01-15"]).contains("cannot be used with"));

    let new = chipgate(&["audit", "examples/shipments.csv", "--date", "2026-06-01", "--format", "human", "-q"]);
    let old = chipgate(&["audit", "examples/shipments.csv", "--date", "2026-06-01", "--format", "table", "-q"]);
    assert_eq!((old.code, &old.stdout), (new.code, &new.stdout));
    assert!(!new.stderr.contains("warning: `chipgate audit --format table`"), "{}", new.stderr);
    assert!(old.stderr.contains("warning: `chipgate audit --format table` is now `--format human`"), "{}", old.stderr);
}

#[test]
fn dash_as_the_output_is_standard_output() {
    let plain = chipgate(&["map", "--date", "2024-01-15", "--steps", "10"]);
    let dash = chipgate(&["map", "--date", "2024-01-15", "--steps", "10", "-o", "-"]);
    assert_eq!((dash.code, &dash.stdout), (0, &plain.stdout));
    assert!(plain.stdout.starts_with("<svg"), "{}", &plain.stdout[..80.min(plain.stdout.len())]);
    assert!(!std::path::Path::new("-").exists(), "a file named `-` was written");
}

#[test]
fn every_json_document_carries_its_schema_version() {
    let docs: [&[&str]; 8] = [
        &["check", "H100", "--to", "CN", "--format", "json"],
        &["chips", "--format", "json"],
        &["chips", "show", "H100", "--format", "json"],
        &["timeline", "H100", "--to", "CN", "--format", "json"],
        &["diff", "--from", "2023-06-01", "--until", "2024-01-15", "--destinations", "CN", "--format", "json"],
        &["rules", "list", "--format", "json"],
        &["rules", "show", "us-2023-10/3a090.a.1", "--format", "json"],
        &["rules", "explain", "3A090.a", "--format", "json"],
    ];
    for args in docs {
        let r = chipgate(args);
        let v: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}\n{}", r.stderr));
        assert_eq!(v["schema_version"], "1", "{args:?}");
    }
}

#[test]
fn rules_show_names_the_pack_that_defined_a_rule_another_amended() {
    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("pack.toml");
    let text = "[pack]\nname = \"amend-demo\"\nversion = \"0.1.0\"\nallow = [\"replaces-definition\"]\n\n[[requirement]]\namends = \"us-2023-10/destinations\"\nsummary = \"amended summary\"\n";
    std::fs::write(&pack, text).unwrap();
    let p = pack.to_str().unwrap();
    let human = ok(&["rules", "show", "us-2023-10/destinations", "--rules", p]);
    assert!(human.contains("amended summary"), "{human}");
    for piece in ["Changed", "of pack `chipgate-builtin` amended", "by pack `amend-demo`"] {
        assert!(human.contains(piece), "`{piece}` not in:\n{human}");
    }
    let v = json(&["rules", "show", "us-2023-10/destinations", "--rules", p, "--format", "json"]);
    assert_eq!(v["changes"][0]["replaced_pack"], "chipgate-builtin");
    assert_eq!(v["changes"][0]["change"], "amended");
    // A rule nobody changed has no `changes`.
    let plain = json(&["rules", "show", "us-2023-10/destinations", "--format", "json"]);
    assert!(plain.get("changes").is_none());
}

/// A pack's computers and assemblies are checked as they are read: each part a catalog item, at
/// least one of it, no IC that contains anything, no item inside itself; and `--contains` says
/// what is wrong with the parameter.
#[test]
fn contains_errors_name_the_entry_and_the_parameter() {
    let dir = std::env::temp_dir().join(format!("chipgate-parts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pack = dir.join("pack.toml");
    std::fs::write(
        &pack,
        "[pack]\nname = \"p\"\nversion = \"1.0.0\"\n\n[[chip]]\nid = \"box\"\nname = \"Box\"\nvendor = \"X\"\nitem = \"computer\"\n\
         contains = [{ chip = \"box\", count = 2 }]\n\n[[chip]]\nid = \"ic1\"\nname = \"IC1\"\nvendor = \"X\"\ncontains = [{ chip = \"H100\" }]\n\n\
         [[chip]]\nid = \"board\"\nname = \"Board\"\nvendor = \"X\"\nitem = \"assembly\"\ncontains = [{ chip = \"H100\", count = 0 }, { chip = \"Z9\" }]\n\n\
         [[chip]]\nid = \"odd\"\nname = \"Odd\"\nvendor = \"X\"\nitem = \"rack\"\n",
    )
    .unwrap();
    let r = chipgate(&["rules", "validate", "--rules", pack.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    let err = format!("{}{}", r.stdout, r.stderr);
    for s in [
        "error[bad-part]: `box` contains itself: box → box",
        "error[bad-part]: chip `ic1` is an integrated circuit, which contains no items",
        "error[bad-part]: `count` must be a whole number of at least 1",
        "error[unknown-chip]: unknown chip `Z9`",
        "error[unknown-item]: `rack` is not a kind of item",
    ] {
        assert!(err.contains(s), "missing `{s}`:\n{err}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(fails(&["check", "--contains", "H100x0", "--to", "CN"]).contains("the count must be a whole number of at least 1"));
    assert!(fails(&["check", "--contains", "H100x8", "--item", "ic", "--to", "CN"]).contains("an integrated circuit contains no items"));
    assert!(fails(&["check", "--contains", "H100x8", "--item", "rack", "--to", "CN"]).contains("--item `rack` is not a kind of item"));
}

/// The foundry rule's inputs: `diff` refuses them (its catalog chips give no node or transistor
/// count, so every answer would be left open), `none` gives no attestation, and a role
/// chipgate does not know is an error naming the flag.
#[test]
fn the_foundry_rules_inputs_where_they_can_answer() {
    let refused = fails(&["diff", "--from", "2025-01-01", "--until", "2026-03-01", "--chips", "RTX 4090", "--exporter-role", "fabricator"]);
    assert!(
        refused.contains("--exporter-role: a diff compares catalog chips, which give no process node or transistor count"),
        "{refused}"
    );
    let refused = fails(&["diff", "--from", "2025-01-01", "--until", "2026-03-01", "--attested-by", "fabricator"]);
    assert!(refused.contains("--attested-by: a diff compares catalog chips"), "{refused}");
    // An exporter of another role is bound by no presumption: the diff it gets is the plain one.
    let plain = ["diff", "--from", "2025-01-01", "--until", "2026-03-01", "--chips", "H100", "--destinations", "CN"];
    assert_eq!(ok(&[&plain[..], &["--exporter-role", "other"]].concat()), ok(&plain));
    let base = [
        "check",
        "--tpp",
        "1000",
        "--die-area",
        "400",
        "--node",
        "7",
        "--to",
        "CN",
        "--date",
        "2026-03-01",
        "--exporter-role",
        "fabricator",
    ];
    let run = chipgate(&[&base[..], &["--attested-by", "none", "--format", "json"]].concat());
    assert_eq!(run.code, 1, "{}", run.stderr);
    let none: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(none["verdict"], "license_required");
    assert!(none.get("attested_by").is_none(), "`none` is no attestation: {none}");
    assert!(fails(&["check", "H100", "--to", "CN", "--exporter-role", "fab"])
        .contains("--exporter-role: unknown exporter role `fab`; use one of fabricator, osat, other"));
}
