//! Rule packs layered on the built-in rules: adding items, clashes, `replaces`, version
//! requirements, `extends`, `--no-builtin`, `CHIPGATE_RULES`, packs recorded in outputs, and
//! `chipgate rules validate` exit codes.

use std::path::Path;

mod common;

use chipgate::rules::{diag, Loader, PackSource};
use chipgate::{evaluate, Query, Verdict};
use jiff::civil::date;

use common::{chipgate, chipgate_with as run};

/// A pack directory in a temp dir, from (file name, text) pairs.
fn pack(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

const HEADER: &str = "[pack]\nname = \"user\"\nversion = \"1.0.0\"\nrequires = \">=0.1\"\n";

fn with_user(text: &str) -> Loader {
    Loader::new().pack(PackSource::Memory(vec![("user.toml".into(), format!("{HEADER}{text}"))]))
}

fn errors(l: &Loader) -> String {
    let (d, sources) = l.validate();
    let errors: Vec<_> = d.into_iter().filter(|d| d.is_error()).collect();
    diag::render(&sources, &errors)
}

#[test]
fn a_user_pack_adds_chips_countries_groups_regimes_and_rules() {
    let text = r#"
[[country]]
code = "AQ"
name = "Antarctica (research stations)"
replaces = true

[[group]]
id = "ACME:WATCH"
name = "watch list"
members = ["SG", "AQ"]

[[regime]]
id = "acme-policy"
title = "ACME policy"
citation = { document = "ACME ECP-7" }
effective = 2025-01-01

[[requirement]]
id = "acme-policy/watch"
regime = "acme-policy"
kind = "destination"
when = "eccn in ['3A090.a'] and destination in ACME:WATCH"

[[chip]]
id = "acme-tiny"
name = "ACME Tiny"
vendor = "ACME"
datacenter = true
[chip.tpp]
value = 5000
source = "ACME datasheet"
"#;
    let (rs, warnings) = with_user(text).load().unwrap();
    let codes: Vec<&str> = warnings.iter().map(|w| w.code.as_str()).collect();
    assert_eq!(codes, ["replaces-definition"], "the replaced country is said, nothing else: {warnings:#?}");
    assert_eq!(rs.countries.by_code("AQ").unwrap().name, "Antarctica (research stations)");
    assert!(rs.group("ACME:WATCH").is_some());
    let rule = rs.rule("acme-policy/watch").unwrap();
    assert_eq!((rule.origin.pack.as_str(), rule.origin.file.as_str(), rule.origin.line), ("user", "user.toml", 22));
    assert_eq!(rs.packs.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["chipgate-builtin", "user"]);
    let chip = rs.catalog.by_id("acme-tiny").unwrap();
    let q = Query {
        chip,
        hypothetical: false,
        destination: "SG",
        date: date(2026, 1, 1),
        end_user_hq: None,
        exporter: None,
        ship_from: None,
        exporter_role: None,
        attested_by: &[],
        parties: Default::default(),
    };
    let d = evaluate(&rs, &q).unwrap();
    assert_eq!(d.verdict, Verdict::LicenseRequired);
    assert!(d.reasons.iter().any(|r| r.id == "acme-policy/watch"));
    // The same chip to Singapore on the built-in rules alone needs no license.
    let builtin = chipgate::RuleSet::builtin().unwrap();
    let h100 = builtin.catalog.by_id("nvidia-h100-sxm").unwrap();
    let q = Query {
        chip: h100,
        hypothetical: false,
        destination: "SG",
        date: date(2026, 1, 1),
        end_user_hq: None,
        exporter: None,
        ship_from: None,
        exporter_role: None,
        attested_by: &[],
        parties: Default::default(),
    };
    assert_eq!(evaluate(&builtin, &q).unwrap().verdict, Verdict::NoLicenseRequired);
}

#[test]
fn a_clash_without_replaces_names_both_files_and_lines() {
    let text = "\n[[regime]]\nid = \"us-2023-10\"\ntitle = \"mine\"\ncitation = { document = \"x\" }\neffective = 2025-01-01\n";
    let shown = errors(&with_user(text));
    assert_eq!(
        shown,
        r#"error[duplicate-id]: regime `us-2023-10` is already defined by pack `chipgate-builtin`
   ┌─ user.toml:7:6
   │
 7 │ id = "us-2023-10"
   │      ^^^^^^^^^^^^
   │
   ┌─ rules/us/2023-10-advanced-computing.toml:14:6
   │
14 │ id = "us-2023-10"
   │      ------------ first defined here (rules/us/2023-10-advanced-computing.toml:14:6)
   │
   = help: add `replaces = true` to replace the earlier definition, or choose another id

"#
    );
}

#[test]
fn replaces_true_swaps_the_earlier_definition() {
    let text = r#"
[[chip]]
id = "nvidia-h20"
name = "NVIDIA H20 (corrected figures)"
vendor = "NVIDIA"
aliases = ["H20"]
datacenter = true
replaces = true
[chip.tpp]
value = 2400
source = "corrected datasheet"
"#;
    let (rs, _) = with_user(text).load().unwrap();
    let chip = rs.catalog.by_id("nvidia-h20").unwrap();
    assert_eq!(chip.name, "NVIDIA H20 (corrected figures)");
    assert_eq!(rs.catalog.chips().filter(|c| c.id == "nvidia-h20").count(), 1);
    let nothing = "\n[[chip]]\nid = \"acme-new\"\nname = \"x\"\nvendor = \"x\"\nreplaces = true\n";
    assert!(errors(&with_user(nothing)).contains("chip `acme-new` says `replaces = true` but no earlier pack defines it"));
}

#[test]
fn a_pack_needing_a_newer_engine_is_refused_with_the_version_it_needs() {
    let l = Loader::new().pack(PackSource::Memory(vec![(
        "future.toml".into(),
        "[pack]\nname = \"future\"\nversion = \"1.0.0\"\nrequires = \">=99\"\n".into(),
    )]));
    let shown = errors(&l);
    let engine = env!("CARGO_PKG_VERSION");
    assert!(
        shown.contains(&format!("error[engine-too-old]: pack `future` requires chipgate `>=99`, but this is chipgate {engine}")),
        "{shown}"
    );
    assert!(shown.contains("future.toml:4:12"), "{shown}");
    assert!(l.load().is_err());
}

#[test]
fn extends_names_packs_that_must_be_loaded_first() {
    let l = Loader::empty().pack(PackSource::Path("examples/packs/what-if-2027".into()));
    let shown = errors(&l);
    assert!(
        shown.contains("error[missing-extends]: pack `what-if-2027` extends `chipgate-builtin`, which is not loaded before it"),
        "{shown}"
    );
    assert!(errors(&Loader::new().pack(PackSource::Path("examples/packs/what-if-2027".into()))).is_empty());
}

#[test]
fn missing_header_duplicate_pack_and_unreadable_files() {
    let dir = pack(&[("a.toml", "[[country]]\ncode = \"ZZ\"\nname = \"x\"\n")]);
    let shown = errors(&Loader::new().pack(PackSource::Path(dir.path().into())));
    assert!(shown.contains("has no `[pack]` header"), "{shown}");
    let twice =
        errors(&Loader::new().pack(PackSource::Path("examples/packs/acme".into())).pack(PackSource::Path("examples/packs/acme".into())));
    assert!(twice.contains("pack `acme` is loaded twice"), "{twice}");
    let bad = pack(&[("pack.toml", HEADER), ("bin.toml", "")]);
    std::fs::write(bad.path().join("bin.toml"), [0xff, 0xfe, 0x00, 0x41]).unwrap();
    let shown = errors(&Loader::new().pack(PackSource::Path(bad.path().into())));
    assert!(shown.contains("is not UTF-8 text (invalid byte at offset 0)"), "{shown}");
    let shown = errors(&Loader::new().pack(PackSource::Path("no/such/pack".into())));
    assert!(shown.contains("cannot read `no/such/pack`"), "{shown}");
}

#[test]
fn the_pack_hash_depends_on_content_not_location() {
    let hash = |l: Loader| l.load().unwrap().0.packs.last().unwrap().hash.clone();
    let a = hash(Loader::new().pack(PackSource::Path("examples/packs/acme".into())));
    let b = hash(Loader::new().pack(PackSource::Path(std::fs::canonicalize("examples/packs/acme").unwrap())));
    assert_eq!(a, b);
    let copy = pack(&[
        ("pack.toml", &std::fs::read_to_string("examples/packs/acme/pack.toml").unwrap()),
        ("chips.toml", &std::fs::read_to_string("examples/packs/acme/chips.toml").unwrap()),
        ("policy.toml", &std::fs::read_to_string("examples/packs/acme/policy.toml").unwrap().replace("TH", "VN")),
    ]);
    let c = hash(Loader::new().pack(PackSource::Path(copy.path().into())));
    assert_ne!(a, c);
    assert_eq!(a.len(), 16);
}

#[test]
fn packs_are_recorded_in_check_json() {
    let r = chipgate(&["check", "acme-tx1", "--to", "SG", "--date", "2026-03-01", "--rules", "examples/packs/acme", "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let packs = v["packs"].as_array().unwrap();
    assert_eq!(packs.len(), 2);
    assert_eq!(packs[0]["name"], "chipgate-builtin");
    assert_eq!((packs[1]["name"].as_str(), packs[1]["version"].as_str()), (Some("acme"), Some("1.2.0")));
    assert_eq!(packs[1]["hash"].as_str().unwrap().len(), 16);
    let version = v["rules_version"].as_str().unwrap();
    assert!(version.contains("+acme@1.2.0#"), "{version}");
}

#[test]
fn chipgate_rules_env_var_loads_packs_like_rules_flags() {
    let both = format!("examples/packs/acme:{}", "examples/packs/what-if-2027");
    let r = run(&["rules", "list", "--format", "json"], Some(&both));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let names: Vec<&str> = v["packs"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["chipgate-builtin", "acme", "what-if-2027"]);
    let r = run(&["check", "acme-tx1", "--to", "SG", "--date", "2026-03-01"], Some("examples/packs/acme"));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.contains("acme-policy/diversion-risk"), "{}", r.stdout);
}

#[test]
fn no_builtin_starts_from_nothing() {
    let r = chipgate(&["--no-builtin", "rules", "list", "--format", "json", "--rules", "tests/fixtures/packs/standalone.toml"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let names: Vec<&str> = v["packs"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["standalone"]);
    assert_eq!(v["regimes"].as_array().unwrap().len(), 1);
    let r = chipgate(&["--no-builtin", "check", "H100", "--to", "FR", "--rules", "tests/fixtures/packs/standalone.toml"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("unknown chip `H100`"), "{}", r.stderr);
    let r = chipgate(&[
        "--no-builtin",
        "check",
        "demo-1",
        "--to",
        "FR",
        "--date",
        "2026-01-01",
        "--rules",
        "tests/fixtures/packs/standalone.toml",
    ]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
}

#[test]
fn validate_exit_codes_and_json() {
    let clean = chipgate(&["rules", "validate", "examples/packs/acme"]);
    assert_eq!((clean.code, clean.stdout.as_str()), (0, "0 errors, 0 warnings\n"));
    let dir = pack(&[("pack.toml", HEADER), ("r.toml", "[[regime]]\nid = \"acme\"\ntitle = \"ACME\"\neffective = 2025-01-01\n")]);
    let path = dir.path().to_str().unwrap();
    let warn = chipgate(&["rules", "validate", path]);
    assert_eq!(warn.code, 0, "warnings alone pass");
    assert!(warn.stdout.contains("warning[missing-citation]: regime `acme` has no citation"), "{}", warn.stdout);
    assert!(warn.stdout.ends_with("0 errors, 1 warning\n"), "{}", warn.stdout);
    assert_eq!(chipgate(&["rules", "validate", "--deny-warnings", path]).code, 1);
    let broken = chipgate(&["rules", "validate", "examples/packs/broken", "--format", "json"]);
    assert_eq!(broken.code, 2);
    let v: serde_json::Value = serde_json::from_str(&broken.stdout).unwrap();
    assert_eq!((v["errors"].as_u64(), v["warnings"].as_u64()), (Some(5), Some(3)));
    let d = &v["diagnostics"][0];
    assert_eq!(
        (d["file"].as_str(), d["line"].as_u64(), d["column"].as_u64()),
        (Some("examples/packs/broken/chips.toml"), Some(8), Some(14))
    );
    // A broken pack makes every other command an input error, with a pointer to `validate`.
    let r = chipgate(&["check", "H100", "--to", "CN", "--rules", "examples/packs/broken"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("run `chipgate rules validate --rules examples/packs/broken` for details"), "{}", r.stderr);
    // The command it names finds the problems.
    assert_eq!(chipgate(&["rules", "validate", "--rules", "examples/packs/broken"]).code, 2);
}

#[test]
fn without_the_builtin_rules_a_country_is_unknown_for_a_reason_said() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("pack.toml"), "[pack]\nname = \"solo\"\nversion = \"1.0.0\"\nrequires = \">=0.1\"\n").unwrap();
    let r = chipgate(&["check", "H100", "--to", "CN", "--no-builtin", "--rules", d.path().to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("the rules loaded define no countries"), "{}", r.stderr);
    assert!(!r.stderr.contains("such as `CN`"), "{}", r.stderr);
}

#[test]
fn rules_views_show_packs_rules_and_plain_words() {
    let list = chipgate(&["rules", "list", "--rules", "examples/packs/acme"]);
    assert_eq!(list.code, 0, "{}", list.stderr);
    assert!(list.stdout.contains("acme"), "{}", list.stdout);
    assert!(list.stdout.contains("acme-policy — ACME Corp export compliance policy ECP-7 (1 rule, pack acme)"), "{}", list.stdout);
    let json = chipgate(&["rules", "list", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["packs"][0]["rules"].as_u64(), Some(v["rules"].as_array().unwrap().len() as u64));
    let show = chipgate(&["rules", "show", "us-2023-10/3a090.a.2"]);
    assert_eq!(show.code, 0);
    for want in [
        "tpp >= 1600 and pd >= 5.92",
        "TPP is at least 1600 and performance density is at least 5.92",
        "2023-11-17",
        "88 FR 73458",
        "rules/us/2023-10-advanced-computing.toml:",
    ] {
        assert!(show.stdout.contains(want), "missing {want:?} in\n{}", show.stdout);
    }
    let show = chipgate(&["rules", "show", "acme-policy/diversion-risk", "--rules", "examples/packs/acme"]);
    assert!(show.stdout.contains("examples/packs/acme/policy.toml:18 (pack acme)"), "{}", show.stdout);
    let missing = chipgate(&["rules", "show", "us-2023-10/3a090.a"]);
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("no rule or regime `us-2023-10/3a090.a`; did you mean"), "{}", missing.stderr);
    let explain = chipgate(&["rules", "explain", "3a090.a"]);
    assert_eq!(explain.code, 0);
    for want in [
        "ECCN 3A090.a",
        "An item is 3A090.a when",
        "TPP is at least 4800 (from 2023-11-17, us-2023-10/3a090.a.1)",
        "TPP is at least 4800 and chip-to-chip transfer rate (GB/s) is at least 600 (from 2022-10-07 to 2023-11-16",
        "not designed or marketed for datacenters and TPP is less than 4800",
        "A license is required when:",
        "License exceptions:",
        "NAC:",
        "presumption of denial:",
    ] {
        assert!(explain.stdout.contains(want), "missing {want:?} in\n{}", explain.stdout);
    }
    let unknown = chipgate(&["rules", "explain", "3A090.d"]);
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("unknown ECCN `3A090.d`"), "{}", unknown.stderr);
}

#[test]
fn fixtures_exist() {
    assert!(Path::new("tests/fixtures/packs/standalone.toml").exists());
}

/// A pack that replaces a built-in definition: loading it warns (`replaces-definition`, unless
/// the pack acknowledges it), and every answer resting on it says so, in every format.
#[test]
fn a_pack_that_replaces_a_definition_cannot_flip_an_answer_in_silence() {
    let rule = format!(
        "{HEADER}\n[[requirement]]\nid = \"us-2023-10/destinations\"\nreplaces = true\nregime = \"us-2023-10\"\nkind = \"destination\"\n\
         when = \"destination in MO\"\nsummary = \"what-if\"\ncitation = {{ document = \"what-if\" }}\n"
    );
    let set = format!("{HEADER}\n[[set]]\nid = \"AC:SCOPE\"\nreplaces = true\nexpr = \"MO\"\ncitation = {{ document = \"what-if\" }}\n");
    for (what, text) in [("rule `us-2023-10/destinations`", &rule), ("set `AC:SCOPE`", &set)] {
        let dir = pack(&[("pack.toml", text)]);
        let p = dir.path().to_str().unwrap();
        let r = chipgate(&["check", "H100", "--to", "AE", "--end-user-hq", "AE", "--date", "2025-01-01", "--rules", p]);
        assert_eq!(r.code, 0, "{what}: the what-if clears it: {}", r.stderr);
        assert!(r.stderr.contains("warning[replaces-definition]"), "{what}: {}", r.stderr);
        let said = format!("{what} of pack `chipgate-builtin` replaced by pack `user`");
        assert!(
            r.stdout.contains("Replaced by a pack") && r.stdout.contains(&format!("{what} of pack")),
            "{what}: beside the verdict:\n{}",
            r.stdout
        );
        let r = chipgate(&["check", "H100", "--to", "SG", "--date", "2025-01-01", "--format", "json", "--rules", p]);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(v["replaced"][0]["pack"], "user", "{what}: {}", r.stdout);
        assert_eq!(v["replaced"][0]["replaced_pack"], "chipgate-builtin");
        // The same pack from CHIPGATE_RULES alone.
        let r = run(&["check", "H100", "--to", "SG", "--date", "2025-01-01", "--format", "json"], Some(p));
        assert!(r.stdout.contains("\"replaced\""), "{what}");
        let out = common::run(&["audit", "-", "--date", "2025-01-01", "--rules", p], None, Some(b"chip,destination\nH100,AE\nH100,DE\n"));
        let csv = String::from_utf8(out.stdout).unwrap();
        assert_eq!(csv.matches(&format!("rests on replaced definitions: {said}")).count(), 2, "{what}:\n{csv}");
        // Before the rule is in force, nothing rests on it.
        let r = chipgate(&["check", "H100", "--to", "SG", "--date", "2023-01-01", "--format", "json", "--rules", p]);
        assert!(!r.stdout.contains("\"replaced\""), "{what}: {}", r.stdout);
    }
    // Answers that rest on nothing replaced are as before.
    let dir = pack(&[("pack.toml", &set)]);
    let r = chipgate(&["check", "T4", "--to", "DE", "--date", "2025-01-01", "--format", "json", "--rules", dir.path().to_str().unwrap()]);
    assert!(r.stdout.contains("\"replaced\""), "the 2023 rules are in force and use AC:SCOPE");
    // A pack that means it acknowledges the warning; the answer still says so.
    let acknowledged = rule.replace("requires = \">=0.1\"\n", "requires = \">=0.1\"\nallow = [\"replaces-definition\"]\n");
    let dir = pack(&[("pack.toml", &acknowledged)]);
    let p = dir.path().to_str().unwrap();
    let r = chipgate(&["check", "H100", "--to", "AE", "--end-user-hq", "AE", "--date", "2025-01-01", "--rules", p]);
    assert!(!r.stderr.contains("replaces-definition"), "{}", r.stderr);
    assert!(r.stdout.contains("Replaced by a pack"));
    let r = chipgate(&["rules", "validate", "--deny-warnings", p]);
    assert!(!r.stdout.contains("replaces-definition") && !r.stderr.contains("replaces-definition"), "{}{}", r.stdout, r.stderr);
    let typo = rule.replace("requires = \">=0.1\"\n", "requires = \">=0.1\"\nallow = [\"replace-definition\"]\n");
    let dir = pack(&[("pack.toml", &typo)]);
    let r = chipgate(&["rules", "validate", dir.path().to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(
        r.stdout.contains("`allow` names no lint `replace-definition`") || r.stderr.contains("`allow` names no lint `replace-definition`"),
        "{}{}",
        r.stdout,
        r.stderr
    );
}

/// CHIPGATE_RULES is a path list: a pack at a path that is not UTF-8 still loads.
#[cfg(unix)]
#[test]
fn chipgate_rules_paths_need_not_be_utf8() {
    use std::os::unix::ffi::OsStrExt;
    let text = format!("{HEADER}\n[[country]]\ncode = \"XZ\"\nname = \"Zed\"\n");
    let dir = tempfile::tempdir().unwrap();
    let name = std::ffi::OsStr::from_bytes(b"pack-\xff");
    let p = dir.path().join(name);
    std::fs::create_dir(&p).unwrap();
    std::fs::write(p.join("pack.toml"), text).unwrap();
    let mut list = std::ffi::OsString::from("/nonexistent-but-listed:");
    list.push(p.as_os_str());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_chipgate"))
        .args(["check", "T4", "--to", "XZ", "--date", "2025-01-01"])
        .env("CHIPGATE_RULES", &list)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent-but-listed"), "every listed pack is read, none dropped in silence: {err}");
    let ok = std::process::Command::new(env!("CARGO_BIN_EXE_chipgate"))
        .args(["check", "T4", "--to", "XZ", "--date", "2025-01-01"])
        .env("CHIPGATE_RULES", p.as_os_str())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&ok.stdout).contains("Zed"), "{}", String::from_utf8_lossy(&ok.stderr));
}

/// A replaced chip or regime is said too, and only on the answers about that chip (the audit
/// memo then keeps chips apart by identity).
#[test]
fn a_replaced_chip_or_regime_is_named_on_the_answers_that_rest_on_it() {
    let chip = format!(
        "{HEADER}\n[[chip]]\nid = \"nvidia-h100-sxm\"\nreplaces = true\nname = \"H100 (what-if)\"\nvendor = \"NVIDIA\"\n\
         aliases = [\"H100\"]\ndatacenter = true\n[chip.tpp]\nvalue = 1000\nsource = \"what-if\"\n"
    );
    let dir = pack(&[("pack.toml", &chip)]);
    let p = dir.path().to_str().unwrap();
    let out = common::run(&["audit", "-", "--date", "2025-01-01", "--rules", p], None, Some(b"chip,destination\nH100,AE\nH200,AE\n"));
    let csv = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[1].contains("no_license_required")
            && lines[1].contains("chip `nvidia-h100-sxm` of pack `chipgate-builtin` replaced by pack `user`"),
        "{csv}"
    );
    assert!(lines[2].contains("license_required") && !lines[2].contains("replaced"), "{csv}");
    let regime = std::fs::read_to_string("rules/us/2023-10-advanced-computing.toml").unwrap();
    let start = regime.find("[[regime]]").unwrap();
    let block: String = regime[start..].split("\n\n").next().unwrap().to_string();
    let replaced = format!("{HEADER}\n{}\nreplaces = true\n", block.replace("title = \"", "title = \"what-if: "));
    let dir = pack(&[("pack.toml", &replaced)]);
    let r = chipgate(&["check", "H100", "--to", "AE", "--date", "2025-01-01", "--format", "json", "--rules", dir.path().to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", r.stdout, r.stderr));
    assert_eq!(v["replaced"][0]["kind"], "regime", "{}", r.stdout);
    assert_eq!(v["replaced"][0]["id"], "us-2023-10");
}

#[test]
fn a_rule_can_test_where_an_item_ships_from_and_the_audit_agrees_with_check() {
    let text = r#"
[[group]]
id = "ACME:HUBS"
name = "our regional hubs"
members = ["SG", "AE"]

[[regime]]
id = "acme-hubs"
title = "ACME hub policy"
citation = { document = "ACME ECP-9" }
effective = 2025-01-01

[[requirement]]
id = "acme-hubs/from-a-hub"
regime = "acme-hubs"
kind = "destination"
when = "eccn in ['3A090.a'] and ship_from in ACME:HUBS"
"#;
    let (rs, _) = with_user(text).load().unwrap();
    let h100 = rs.catalog.by_id("nvidia-h100-sxm").unwrap();
    let ask = |from: Option<&str>| {
        let q = Query {
            chip: h100,
            hypothetical: false,
            destination: "GB",
            date: date(2026, 1, 1),
            end_user_hq: None,
            exporter: None,
            ship_from: from,
            exporter_role: None,
            attested_by: &[],
            parties: Default::default(),
        };
        evaluate(&rs, &q).unwrap()
    };
    let from_sg = ask(Some("SG"));
    assert_eq!(from_sg.verdict, Verdict::LicenseRequired);
    assert!(from_sg.reasons.iter().any(|r| r.id == "acme-hubs/from-a-hub"), "{:?}", from_sg.reasons);
    for from in [None, Some("US"), Some("TW")] {
        assert_eq!(ask(from).verdict, Verdict::NoLicenseRequired, "from {from:?}");
    }
    // The audit's ship-from classes give every row the answer of `check`.
    let dir = pack(&[("user.toml", &format!("{HEADER}{text}"))]);
    let pack_path = dir.path().to_str().unwrap();
    let csv_path = dir.path().join("ship.csv");
    std::fs::write(&csv_path, "chip,destination,date,ship_from\nH100,GB,2026-01-01,SG\nH100,GB,2026-01-01,\nH100,GB,2026-01-01,AE\nH100,GB,2026-01-01,TW\nH100,GB,2026-01-01,US\n").unwrap();
    let out = run(&["audit", csv_path.to_str().unwrap(), "--rules", pack_path, "--format", "csv", "-q"], None);
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(out.stdout.as_bytes()).records().map(Result::unwrap).collect();
    let verdicts: Vec<String> = rows.iter().map(|r| r[r.len() - 3].to_string()).collect();
    let mut expected = Vec::new();
    for from in ["SG", "", "AE", "TW", "US"] {
        let mut args = vec!["check", "H100", "--to", "GB", "--date", "2026-01-01", "--rules", pack_path, "--format", "json"];
        args.extend((!from.is_empty()).then_some(["--ship-from", from]).into_iter().flatten());
        let v: serde_json::Value = serde_json::from_str(&run(&args, None).stdout).unwrap();
        expected.push(v["verdict"].as_str().unwrap().to_string());
    }
    assert_eq!(verdicts, expected, "{}", out.stdout);
    assert_eq!(expected, ["license_required", "no_license_required", "license_required", "no_license_required", "no_license_required"]);
}

#[test]
fn transaction_and_exporter_tests_and_the_jurisdiction_are_checked() {
    let rule = |when: &str| {
        format!(
            "\n[[regime]]\nid = \"acme\"\ntitle = \"ACME\"\ncitation = {{ document = \"x\" }}\neffective = 2025-01-01\n\n\
             [[requirement]]\nid = \"acme/r\"\nregime = \"acme\"\nkind = \"destination\"\nwhen = \"{when}\"\n"
        )
    };
    let shown = errors(&with_user(&rule("transaction == 'exprt'")));
    assert!(shown.contains("error[unknown-transaction]: `exprt` is not a kind of transaction"), "{shown}");
    assert!(shown.contains("help: write one of export, reexport, transfer, domestic, import"), "{shown}");
    let shown = errors(&with_user(&rule("exporter in ['NVIDIA', '...']")));
    assert!(shown.contains("error[empty-party]: `...` is not a party's name"), "{shown}");
    assert!(shown.contains("user.toml:16:32"), "the error points at the name: {shown}");

    let header = |j: &str| format!("[pack]\nname = \"other\"\nversion = \"1.0.0\"\nrequires = \">=0.1\"\njurisdiction = \"{j}\"\n");
    let with_header = |j: &str| Loader::new().pack(PackSource::Memory(vec![("other.toml".into(), header(j))]));
    let shown = errors(&with_header("XX"));
    assert!(shown.contains("error[unknown-country]: unknown country `XX` as the pack's jurisdiction"), "{shown}");
    assert!(shown.contains("other.toml:5:"), "{shown}");
    // The built-in rules are for the United States: a pack for Germany cannot join them.
    let shown = errors(&with_header("DE"));
    assert!(
        shown.contains("error[jurisdiction-conflict]: pack `other` is for jurisdiction `DE`, but pack `chipgate-builtin` is for `US`"),
        "{shown}"
    );
    assert!(errors(&with_header("US")).is_empty(), "the same jurisdiction again is no conflict");
    let alone = errors(&Loader::empty().pack(PackSource::Memory(vec![("other.toml".into(), header("DE"))])));
    assert!(alone.contains("unknown country `DE` as the pack's jurisdiction"), "without the built-in countries DE is unknown: {alone}");
}

#[test]
fn a_classification_looks_at_the_item_alone() {
    let rule = |when: &str| {
        format!(
            "\n[[regime]]\nid = \"acme\"\ntitle = \"ACME\"\ncitation = {{ document = \"x\" }}\neffective = 2025-01-01\n\n\
             [[eccn]]\nid = \"X.1\"\ntitle = \"x\"\n\n[[classification]]\nid = \"acme/c\"\nregime = \"acme\"\neccn = \"X.1\"\nwhen = \"{when}\"\n"
        )
    };
    for (when, field) in [
        ("tpp >= 100 and destination in CN", "destination"),
        ("tpp >= 100 or end_user_hq in CN", "end_user_hq"),
        ("not ship_from in SG", "ship_from"),
        ("transaction == 'export'", "transaction"),
        ("exporter in ['NVIDIA']", "exporter"),
    ] {
        let shown = errors(&with_user(&rule(when)));
        assert!(shown.contains(&format!("error[classification-not-item]: a classification cannot test `{field}`")), "{when}: {shown}");
    }
    assert!(errors(&with_user(&rule("tpp >= 100 and datacenter and chip in ['H100']"))).is_empty());
}

/// A human answer on anything but the built-in rules ends with the packs that answered (name,
/// version, hash, location), and a view across dates with the definitions they replaced, so
/// that a pasted what-if answer cannot pass for the law; on the built-in rules alone it does not.
#[test]
fn human_views_end_with_the_packs_that_answered() {
    let what_if = ["--rules", "examples/packs/what-if-2027"];
    let views: [&[&str]; 5] = [
        &["check", "RTX4090D", "--to", "CN", "--date", "2026-06-01"],
        &["timeline", "RTX4090D", "--to", "CN", "--until", "2027-06-01"],
        &["diff", "--from", "2026-12-31", "--until", "2027-01-02", "--destinations", "CN"],
        &["chips", "--date", "2027-01-02", "--search", "4090"],
        &["chips", "show", "RTX4090D", "--date", "2027-01-02"],
    ];
    let (rs, _) = Loader::new().pack(PackSource::Path("examples/packs/what-if-2027".into())).load().expect("the example loads");
    let hash = &rs.packs[1].hash;
    for view in views {
        let plain = chipgate(view);
        assert!(!plain.stdout.contains("Answered by these rule packs"), "{view:?}:\n{}", plain.stdout);
        let args: Vec<&str> = what_if.iter().chain(view).copied().collect();
        let r = chipgate(&args);
        assert!(r.code == 0 || r.code == 1, "{view:?}: {}", r.stderr);
        let tail = r
            .stdout
            .rsplit_once("Answered by these rule packs, not the built-in rules alone:\n")
            .map(|(_, t)| t)
            .unwrap_or_else(|| panic!("{view:?}: no provenance:\n{}", r.stdout));
        assert!(tail.starts_with("  chipgate-builtin "), "{view:?}: {tail}");
        assert!(tail.contains(&format!("  what-if-2027 0.1.0 #{hash} (examples/packs/what-if-2027)\n")), "{view:?}: {tail}");
        let replaced = "rule `us-2023-10/note-non-datacenter` of pack `chipgate-builtin` replaced by pack `what-if-2027`";
        if view[0] == "check" {
            // Beside the verdict, the one this answer rests on.
            assert!(r.stdout.split("ECCN").next().unwrap().contains("Replaced by a pack"), "{}", r.stdout);
        } else {
            assert!(tail.contains(&format!("Replaced: {replaced}\n")), "{view:?}: {tail}");
        }
    }
}

/// `amends` changes only the fields it gives of a rule of an earlier pack; the rule keeps its
/// id, kind, regime and citation, and the change is named on the answers that rest on it, also
/// on dates on which the amended rule is no longer in force.
#[test]
fn an_amendment_changes_only_the_fields_it_gives_and_is_never_silent() {
    let narrowed = format!("{HEADER}\n[[requirement]]\namends = \"us-2023-10/destinations\"\nwhen = \"destination in MO\"\n");
    let dir = pack(&[("pack.toml", &narrowed)]);
    let p = dir.path().to_str().unwrap();
    let base = ["check", "H100", "--to", "AE", "--end-user-hq", "AE", "--date", "2025-01-01"];
    assert_eq!(chipgate(&base).code, 1, "the built-in rules require a license");
    let r = chipgate(&[&base[..], &["--format", "json", "--rules", p]].concat());
    assert_eq!(r.code, 0, "the narrowed rule clears it: {}", r.stderr);
    assert!(r.stderr.contains("warning[replaces-definition]") && r.stderr.contains("is amended by this entry"), "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["replaced"][0]["change"], "amended", "{}", r.stdout);
    assert_eq!(v["replaced"][0]["id"], "us-2023-10/destinations");
    let rs = with_user(&narrowed.replace(HEADER, "")).load().unwrap().0;
    let (old, new) = (
        chipgate::rules::RuleSet::builtin().unwrap().rule("us-2023-10/destinations").cloned().unwrap(),
        rs.rule("us-2023-10/destinations").unwrap(),
    );
    assert_eq!(new.when_text, "destination in MO");
    assert_eq!(
        (&new.kind, new.regime, &new.citation, new.effective, &new.summary),
        (&old.kind, old.regime, &old.citation, old.effective, &old.summary)
    );
    let place = |rs: &chipgate::rules::RuleSet| rs.rules.iter().position(|r| r.id == "us-2023-10/destinations");
    assert_eq!(place(&rs), place(&chipgate::rules::RuleSet::builtin().unwrap()), "it keeps its place among the rules");

    // An amendment that ends the rule early is named on the later answers it clears.
    let ended = format!("{HEADER}\n[[requirement]]\namends = \"us-2023-10/destinations\"\nuntil = 2024-06-01\n");
    let dir = pack(&[("pack.toml", &ended)]);
    let r = chipgate(&[&base[..], &["--rules", dir.path().to_str().unwrap()]].concat());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("Replaced by a pack"), "{}", r.stdout);
    let r = chipgate(&[&base[..], &["--format", "json", "--rules", dir.path().to_str().unwrap()]].concat());
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!((&v["replaced"][0]["change"], &v["verdict"]), (&"amended".into(), &"no_license_required".into()), "{}", r.stdout);
}

/// `supersedes` ends a rule of an earlier pack on the new rule's effective date: the earlier
/// one answers before it, the new one after, and answers after it name the change.
#[test]
fn a_superseding_rule_takes_over_on_its_effective_date() {
    let text = format!(
        "{HEADER}\n[[regime]]\nid = \"what-if-2026\"\ntitle = \"what-if\"\ncitation = {{ document = \"what-if\" }}\neffective = 2026-03-01\n\n\
         [[requirement]]\nid = \"what-if-2026/destinations\"\nsupersedes = \"us-2023-10/destinations\"\nregime = \"what-if-2026\"\n\
         kind = \"destination\"\nwhen = \"eccn in ['3A090.a', '3A090.b'] and destination in MO\"\n"
    );
    let dir = pack(&[("pack.toml", &text)]);
    let p = dir.path().to_str().unwrap();
    let json = |to: &str, date: &str| {
        let r = chipgate(&["check", "H100", "--to", to, "--end-user-hq", to, "--date", date, "--format", "json", "--rules", p]);
        serde_json::from_str::<serde_json::Value>(&r.stdout).unwrap()
    };
    let before = json("AE", "2026-02-28");
    assert_eq!(before["verdict"], "license_required");
    assert!(before.get("replaced").is_none(), "before the new rule, the old one applies as written: {before}");
    let after = json("AE", "2026-03-01");
    assert_eq!(after["verdict"], "no_license_required", "{after}");
    assert_eq!(after["replaced"][0]["change"], "superseded");
    let macau = json("MO", "2026-03-01");
    let reasons: Vec<&str> = macau["reasons"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert!(reasons.contains(&"what-if-2026/destinations") && !reasons.contains(&"us-2023-10/destinations"), "{reasons:?}");
    let rs = with_user(&text.replace(HEADER, "")).load().unwrap().0;
    let old = rs.rule("us-2023-10/destinations").unwrap();
    assert_eq!(old.until, Some(date(2026, 3, 1)));
    assert_eq!(old.family, rs.rule("what-if-2026/destinations").unwrap().family, "one family for the date lints");
    let r = chipgate(&["rules", "validate", p]);
    assert!(!r.stdout.contains("date-") && !r.stderr.contains("date-"), "no overlap or gap between the versions: {}{}", r.stdout, r.stderr);
}

/// What `amends` and `supersedes` refuse, each with its code and where.
#[test]
fn amends_and_supersedes_name_a_rule_of_an_earlier_pack_of_the_same_kind() {
    let cases = [
        ("[[requirement]]\namends = \"us-2023-10/destination\"\nuntil = 2025-01-01\n", "nothing-to-amend", "us-2023-10/destinations"),
        ("[[review]]\namends = \"us-2023-10/destinations\"\npolicy = \"case_by_case\"\n", "changes-other-kind", "`[[requirement]]` rule"),
        ("[[requirement]]\nid = \"x\"\namends = \"us-2023-10/destinations\"\n", "misplaced-key", "`id` is not given with `amends`"),
        ("[[requirement]]\nregime = \"us-2023-10\"\nkind = \"destination\"\n", "missing-key", "needs `id` and `when`"),
        (
            "[[requirement]]\nid = \"a/x\"\nregime = \"us-2023-10\"\nkind = \"destination\"\nwhen = \"destination in MO\"\n\n\
             [[requirement]]\nid = \"a/y\"\nsupersedes = \"a/x\"\nregime = \"us-2024-04\"\nkind = \"destination\"\nwhen = \"destination in MO\"\n",
            "changes-own-rule",
            "rule `a/x` is defined by this pack",
        ),
        (
            "[[requirement]]\nid = \"a/y\"\nsupersedes = \"us-2025-04/h20-mi308-destinations\"\nregime = \"us-2023-10\"\nkind = \"destination\"\nwhen = \"destination in MO\"\n",
            "supersedes-later-rule",
            "not before 2023-11-17",
        ),
    ];
    for (text, code, says) in cases {
        let e = errors(&with_user(text));
        assert!(e.contains(&format!("error[{code}]")) && e.contains(says), "{code}:\n{e}");
        assert!(e.contains("user.toml:"), "{code}: names the file and line:\n{e}");
    }
}
