//! Every lint fires on a pack made to trip it, stays quiet on the fixed version, and the
//! built-in rules load without a single warning.

use chipgate::rules::{Code, Diagnostic, Loader, PackSource, Severity, LINTS};

const HEADER: &str = "[pack]\nname = \"lint-test\"\nversion = \"1.0.0\"\n";

const REGIME: &str = r#"
[[regime]]
id = "acme"
title = "ACME policy"
citation = { document = "ACME ECP-7" }
effective = 2025-01-01
"#;

/// Loads the built-in rules plus one in-memory file; returns every diagnostic.
fn diags(body: &str) -> Vec<Diagnostic> {
    let text = format!("{HEADER}{body}");
    let (d, _) = Loader::new().pack(PackSource::Memory(vec![("lint.toml".into(), text)])).validate();
    let errors: Vec<_> = d.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "unexpected errors: {errors:#?}");
    d
}

/// The messages of the warnings with one code.
fn warnings(body: &str, code: &str) -> Vec<String> {
    let d = diags(body);
    assert!(d.iter().all(|d| d.severity == Severity::Warning));
    d.into_iter().filter(|d| d.code == code).map(|d| d.message).collect()
}

fn rule(table: &str, id: &str, extra: &str, when: &str) -> String {
    format!("\n[[{table}]]\nid = \"{id}\"\nregime = \"acme\"\n{extra}\nwhen = \"{when}\"\n")
}

#[test]
fn builtin_rules_load_without_warnings() {
    let (_, warnings) = Loader::new().load().expect("built-in rules load");
    assert!(warnings.is_empty(), "{warnings:#?}");
}

#[test]
fn every_lint_code_is_tested_here_and_documented_in_the_guide() {
    let me = include_str!("lints.rs");
    let readme = std::fs::read_to_string("docs/rule-packs.md").unwrap();
    let section = readme.split("<!-- packs:start -->").nth(1).and_then(|s| s.split("<!-- packs:end -->").next()).unwrap_or("");
    for l in LINTS {
        assert!(me.contains(&format!("\"{}\"", l.code)), "lint `{}` has no test", l.code);
        assert!(section.contains(&format!("`{}`", l.code)), "lint `{}` is not documented in docs/rule-packs.md", l.code);
    }
    // Every other code has its row in the table of error codes, in the words of `Code::about`.
    for c in Code::ALL.iter().filter(|c| !LINTS.iter().any(|l| l.code == **c)) {
        let row = format!("| `{c}` | {} |", c.about().replace('|', "\\|"));
        assert!(section.contains(&row), "docs/rule-packs.md has no row `{row}`");
    }
}

#[test]
fn date_overlap_and_gap_between_superseding_regimes() {
    let body = r#"
[[regime]]
id = "old"
title = "old"
citation = { document = "x" }
effective = 2020-01-01
superseded_by = "new"

[[regime]]
id = "new"
title = "new"
citation = { document = "x" }
effective = 2021-01-01
"#;
    assert_eq!(
        warnings(body, "date-overlap"),
        ["regime `old` is superseded by `new` but has no `until`: both are in force from 2021-01-01 on"]
    );
    let gap = body.replace("superseded_by", "until = 2020-06-01\nsuperseded_by");
    assert_eq!(
        warnings(&gap, "date-gap"),
        ["regime `old` ends on 2020-06-01, but `new`, which supersedes it, takes effect only on 2021-01-01"]
    );
    let fixed = body.replace("superseded_by", "until = 2021-01-01\nsuperseded_by");
    assert!(diags(&fixed).is_empty());
}

#[test]
fn date_overlap_and_gap_between_versions_of_one_exception() {
    let v1 = r#"
[[requirement]]
id = "acme/sg"
regime = "acme"
kind = "destination"
when = "destination in SG"

[[exception]]
id = "acme/waiver-1"
regime = "acme"
name = "WAIVER"
relieves = ["acme/sg"]
until = 2026-01-01
when = "end_user_hq in US"

[[exception]]
id = "acme/waiver-2"
regime = "acme"
name = "WAIVER"
relieves = ["acme/sg"]
effective = 2026-01-01
when = "end_user_hq in US | GB"
"#;
    assert!(diags(&format!("{REGIME}{v1}")).is_empty());
    let overlap = v1.replace("until = 2026-01-01", "until = 2026-03-01");
    assert_eq!(
        warnings(&format!("{REGIME}{overlap}"), "date-overlap"),
        ["rules `acme/waiver-1` and `acme/waiver-2` of the same family are both in force from 2026-01-01 until 2026-03-01"]
    );
    let gap = v1.replace("until = 2026-01-01", "until = 2025-11-01");
    assert_eq!(
        warnings(&format!("{REGIME}{gap}"), "date-gap"),
        ["rule `acme/waiver-2` takes effect on 2026-01-01, but `acme/waiver-1` of the same family ends on 2025-11-01: neither is in force in between"]
    );
}

#[test]
fn never_holds() {
    let body = format!(
        "{REGIME}{}{}{}{}",
        rule("requirement", "acme/contradiction", "kind = \"item\"", "tpp >= 4800 and tpp < 1600"),
        rule("requirement", "acme/negative", "kind = \"item\"", "not (memory_gb >= 0)"),
        rule("requirement", "acme/false", "kind = \"item\"", "false or (datacenter and not datacenter)"),
        rule("requirement", "acme/fine", "kind = \"item\"", "2400 <= tpp < 4800 and datacenter"),
    );
    assert_eq!(
        warnings(&body, "never-holds"),
        [
            "the condition of rule `acme/contradiction` can never hold: no value satisfies `tpp >= 4800 and tpp < 1600`",
            "the condition of rule `acme/negative` can never hold: `memory_gb < 0` is never true of a metric, which is never negative",
            "the condition of rule `acme/false` can never hold: no alternative can hold (it is `false`; it requires a condition and its negation)",
        ]
    );
    let dates = format!("{REGIME}{}", rule("requirement", "acme/before", "kind = \"item\"\nuntil = 2024-01-01", "datacenter"));
    assert_eq!(
        warnings(&dates, "never-holds"),
        ["rule `acme/before` is never in force: it takes effect on 2025-01-01 and ends on 2024-01-01"]
    );
}

#[test]
fn shadowed_rules() {
    let repeat = format!(
        "{REGIME}{}{}",
        rule("requirement", "acme/a", "kind = \"destination\"", "destination in SG"),
        rule("requirement", "acme/b", "kind = \"destination\"", "destination in SG"),
    );
    assert_eq!(
        warnings(&repeat, "shadowed-rule"),
        ["rule `acme/b` repeats `acme/a`: same condition and outcome, both in force from 2025-01-01 on"]
    );
    // Reviews are tried newest first: a broad newer policy hides a narrower older one.
    let review = format!(
        "{REGIME}{}{}",
        rule("review", "acme/narrow", "policy = \"case_by_case\"", "destination in SG and tpp >= 6000"),
        rule("review", "acme/broad", "policy = \"presumption_of_denial\"\neffective = 2026-01-01", "destination in SG and tpp > 4800"),
    );
    let narrow_until = review.replace("policy = \"case_by_case\"", "policy = \"case_by_case\"\nuntil = 2026-01-01");
    assert!(warnings(&narrow_until, "shadowed-rule").is_empty());
    let same_start = review.replace("\neffective = 2026-01-01", "");
    assert!(warnings(&same_start, "shadowed-rule").is_empty(), "the narrow rule is defined first, so it is tried first");
    let broad_first = format!(
        "{REGIME}{}{}",
        rule("review", "acme/broad", "policy = \"presumption_of_denial\"", "destination in SG and tpp > 4800"),
        rule("review", "acme/narrow", "policy = \"case_by_case\"", "destination in SG and tpp >= 6000"),
    );
    assert_eq!(
        warnings(&broad_first, "shadowed-rule"),
        ["review rule `acme/narrow` never decides: `acme/broad` is tried first and holds whenever it does"]
    );
}

#[test]
fn review_ties() {
    let tie = format!(
        "{REGIME}{}{}",
        rule("review", "acme/narrow", "policy = \"case_by_case\"", "destination in SG and tpp >= 6000"),
        rule("review", "acme/broad", "policy = \"presumption_of_denial\"", "destination in SG and tpp > 4800"),
    );
    assert_eq!(
        warnings(&tie, "review-tie"),
        ["review rules `acme/narrow` (case_by_case) and `acme/broad` (presumption_of_denial) both take effect on 2025-01-01 and may \
          both hold: `acme/narrow`, defined first, decides"]
    );
    // Fixed: a later start for the one that decides, or conditions that exclude each other,
    // or one policy.
    assert!(
        warnings(&tie.replace("policy = \"case_by_case\"", "policy = \"case_by_case\"\neffective = 2025-06-01"), "review-tie").is_empty()
    );
    assert!(warnings(&tie.replace("tpp > 4800", "tpp > 4800 and tpp < 6000"), "review-tie").is_empty());
    assert!(warnings(&tie.replace("case_by_case", "presumption_of_denial"), "review-tie").is_empty());
    // An item has one ECCN: lists that share none exclude each other, as does a list inside one
    // the other excludes; lists that share one do not.
    let broad = tie.replace("destination in SG and tpp > 4800", "eccn in ['3A090.a', '3A090.b'] and destination in SG");
    let narrow = |with: &str| warnings(&broad.replace("destination in SG and tpp >= 6000", with), "review-tie");
    assert!(narrow("eccn in ['4A090.a', '4A090.b'] and destination in SG").is_empty());
    assert!(narrow("not eccn in ['3A090.a', '3A090.b', '4A090.a']").is_empty());
    assert_eq!(narrow("eccn in ['3A090.b', '4A090.b']").len(), 1);
}

#[test]
fn eccn_precedence_across_files() {
    let eccn = "\n[[eccn]]\nid = \"9Z999.x\"\ntitle = \"what-if\"\n";
    let overlapping = format!("{REGIME}{eccn}{}", rule("classification", "acme/x", "eccn = \"9Z999.x\"", "tpp >= 6000"));
    let w = warnings(&overlapping, "eccn-precedence");
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(
        w[0],
        "an item that `acme/x` classifies `9Z999.x` may also be classified `3A090.a` (by `us-2023-10/3a090.a.1`), `3A090.b` (by \
         `us-2023-10/3a090.b.2`), `3A090.c` (by `us-2024-12/3a090.c`), `5A992.z.1` (by `us-2023-10/5a992.z.1`), `5A992.z.2` (by \
         `us-2023-10/5a992.z.2`), `4A003.z.1.a` (by `us-2023-10/4a003.z.1.a`), \
         `4A003.z.1.b` (by `us-2023-10/4a003.z.1.b`), `4A003.z.2.a` (by `us-2023-10/4a003.z.2.a`), \
         `4A003.z.2.b` (by `us-2023-10/4a003.z.2.b`), `4A004.z.1` (by `us-2023-10/4a004.z.1`), \
         `4A004.z.2` (by `us-2023-10/4a004.z.2`), `4A005.z.1` (by `us-2023-10/4a005.z.1`), \
         `4A005.z.2` (by `us-2023-10/4a005.z.2`), `5A002.z.1.a` (by `us-2023-10/5a002.z.1.a`), \
         `5A002.z.1.b` (by `us-2023-10/5a002.z.1.b`), `5A002.z.2.a` (by `us-2023-10/5a002.z.2.a`), \
         `5A002.z.2.b` (by `us-2023-10/5a002.z.2.b`), `5A002.z.3.a` (by `us-2023-10/5a002.z.3.a`), \
         `5A002.z.3.b` (by `us-2023-10/5a002.z.3.b`), `5A002.z.4.a` (by `us-2023-10/5a002.z.4.a`), \
         `5A002.z.4.b` (by `us-2023-10/5a002.z.4.b`), `5A002.z.5.a` (by `us-2023-10/5a002.z.5.a`), \
         `5A002.z.5.b` (by `us-2023-10/5a002.z.5.b`), `5A004.z.1.a` (by `us-2023-10/5a004.z.1.a`), \
         `5A004.z.1.b` (by `us-2023-10/5a004.z.1.b`), `5A004.z.2.a` (by `us-2023-10/5a004.z.2.a`), \
         `5A004.z.2.b` (by `us-2023-10/5a004.z.2.b`), `4A090.a` (by `us-2023-10/4a090.a`), `4A090.b` (by `us-2023-10/4a090.b`), declared in a file read \
         before this one: the ECCN declared first wins"
    );
    // An ECCN of integrated circuits only does not compete with those of computers (4A090, .z):
    // a computer's figures are its ICs', but its rules are not tried for it.
    let ics = overlapping.replace("title = \"what-if\"", "title = \"what-if\"\nitems = [\"ic\"]");
    let w = warnings(&ics, "eccn-precedence");
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("`3A090.c` (by `us-2024-12/3a090.c`), declared"), "{w:?}");
    let apart = ics.replace("tpp >= 6000", "tpp < 1000 and memory_bandwidth_density < 1");
    assert!(warnings(&apart, "eccn-precedence").is_empty(), "{:?}", warnings(&apart, "eccn-precedence"));
}

#[test]
fn d5_without_macau() {
    let body = format!(
        "{REGIME}{}{}{}{}\n[[set]]\nid = \"ACME:D5\"\nexpr = \"D:5 - CN\"\n\n[[set]]\nid = \"ACME:MO\"\nexpr = \"MO\"\n",
        rule("requirement", "acme/d5", "kind = \"destination\"", "destination in D:5"),
        rule("requirement", "acme/d5-mo", "kind = \"destination\"", "destination in D:5 | MO"),
        rule("requirement", "acme/d5-set", "kind = \"party\"", "end_user_hq in D:5 | ACME:MO"),
        rule("requirement", "acme/d5-d1", "kind = \"destination\"", "destination in (D:5 | D:1) - CN"),
    );
    assert_eq!(
        warnings(&body, "d5-without-macau"),
        ["rule `acme/d5` names `D:5` without Macau (`MO`)", "set `ACME:D5` names `D:5` without Macau (`MO`)"]
    );
}

#[test]
fn chip_figures_without_source_and_sparse_throughput() {
    let body = r#"
[[chip]]
id = "acme-x1"
name = "ACME X1"
vendor = "ACME"
datacenter = true

[chip.sources]
ds = "ACME X1 datasheet rev B"

[[chip.throughput]]
precision = "fp8"
tops = 1000
source = "ds"

[[chip.throughput]]
precision = "fp16"
tops = 500

[[chip.throughput]]
precision = "int8"
tops = 2000
sparse = true
source = "ds"

[chip.die_area_mm2]
value = 600
"#;
    assert_eq!(
        warnings(body, "figure-without-source"),
        ["throughput `fp16` of chip `acme-x1` has no source", "figure `die_area_mm2` of chip `acme-x1` has no source"]
    );
    assert_eq!(warnings(body, "sparse-throughput"), ["throughput `int8` of chip `acme-x1` is marked sparse; it is left out of TPP"]);
    // The sparse figure is not used: TPP comes from the dense fp8 figure (1000 x 8).
    let text = format!("{HEADER}{body}");
    let (rs, _) = Loader::new().pack(PackSource::Memory(vec![("lint.toml".into(), text)])).load().unwrap();
    let chip = rs.catalog.by_id("acme-x1").unwrap();
    assert_eq!(chipgate::chip::Metrics::of(chip).tpp.map(|t| t.value), Some(8000.0));
}

#[test]
fn non_iso_country_codes() {
    let body = r#"
[[country]]
code = "UK"
name = "United Kingdom"

[[country]]
code = "XX"
name = "Nowhere"

[[country]]
code = "QB"
name = "Atlantis"
"#;
    assert_eq!(
        warnings(body, "non-iso-country-code"),
        [
            "`UK` is not the ISO 3166-1 alpha-2 code of United Kingdom",
            "`XX` is a user-assigned code, not an ISO 3166-1 alpha-2 country code",
            "`QB` is not an ISO 3166-1 alpha-2 code known to chipgate",
        ]
    );
    // Replacing a built-in country (to rename it) is no `non-iso-country-code`; it is said as a replacement.
    let d = diags("[[country]]\ncode = \"GB\"\nname = \"Britain\"\nreplaces = true\n");
    assert_eq!(d.iter().map(|d| d.code).collect::<Vec<_>>(), ["replaces-definition"]);
}

#[test]
fn duplicate_group_members() {
    let body = r#"
[[group]]
id = "ACME:WATCH"
name = "ACME watch list"
members = ["SG", "AE", "SG"]

[[group.change]]
country = "AE"
from = 2026-01-01

[[group.change]]
country = "MY"
from = 2025-01-01

[[group.change]]
country = "MY"
from = 2025-06-01
until = 2026-01-01
"#;
    assert_eq!(
        warnings(body, "duplicate-member"),
        [
            "`SG` is listed twice in group `ACME:WATCH`",
            "`AE` is both an undated member of group `ACME:WATCH` and in a dated change",
            "`MY` is in two changes of group `ACME:WATCH` whose dates overlap",
        ]
    );
}

#[test]
fn regime_without_citation_or_effective_date() {
    let body = "[[regime]]\nid = \"acme\"\ntitle = \"ACME policy\"\n";
    assert_eq!(warnings(body, "missing-citation"), ["regime `acme` has no citation"]);
    assert_eq!(warnings(body, "missing-effective"), ["regime `acme` has no effective date, so it applies to every date in the past"]);
}

#[test]
fn warnings_point_at_the_value() {
    let text = format!("{HEADER}{REGIME}{}", rule("requirement", "acme/d5", "kind = \"destination\"", "destination in D:5"));
    let (d, sources) = Loader::new().pack(PackSource::Memory(vec![("lint.toml".into(), text)])).validate();
    assert_eq!(
        chipgate::rules::diag::render(&sources, &d),
        r#"warning[d5-without-macau]: rule `acme/d5` names `D:5` without Macau (`MO`)
   ┌─ lint.toml:15:24
   │
15 │ when = "destination in D:5"
   │                        ^^^
   │
   = help: the regulations say "D:5 or Macau": Macau is not in D:5; write `D:5 | MO` or use a named set that includes it

"#
    );
}

#[test]
fn replacing_another_packs_definition_warns() {
    let body = "\n[[set]]\nid = \"AC:SCOPE\"\nreplaces = true\nexpr = \"MO\"\ncitation = { document = \"x\" }\n";
    assert_eq!(warnings(body, "replaces-definition"), ["set `AC:SCOPE` of pack `chipgate-builtin` is replaced by this definition"]);
}

#[test]
fn a_family_the_pack_names_decides_which_rules_are_versions_of_one() {
    let rules = r#"
[[requirement]]
id = "acme/sg-2020"
regime = "acme"
kind = "destination"
family = "acme/singapore"
until = 2025-06-01
when = "destination in SG"

[[requirement]]
id = "acme/sg-2022"
regime = "acme"
kind = "destination"
family = "acme/singapore"
effective = 2026-01-01
when = "destination in SG | MY"

[[requirement]]
id = "acme/sg-other"
regime = "acme"
kind = "destination"
family = "acme/other"
when = "destination in SG"
"#;
    // The two versions of acme/singapore leave the second half of 2025 uncovered, though their conditions differ;
    // acme/sg-other has the first one's condition but is of another family: no overlap.
    assert_eq!(
        warnings(&format!("{REGIME}{rules}"), "date-gap"),
        ["rule `acme/sg-2022` takes effect on 2026-01-01, but `acme/sg-2020` of the same family ends on 2025-06-01: neither is in force in between"]
    );
    assert!(warnings(&format!("{REGIME}{rules}"), "date-overlap").is_empty());
    let met = rules.replace("effective = 2026-01-01", "effective = 2025-06-01");
    for code in ["date-gap", "date-overlap"] {
        assert!(warnings(&format!("{REGIME}{met}"), code).is_empty(), "{code}");
    }
}
