//! Exact-text tests for the diagnostics of broken rule files (what `chipgate rules validate`
//! prints): missing key, wrong type, unknown reference, duplicate id, bad date, bad semver.

use chipgate::rules::{diag, Loader, PackSource};

/// Loads one fixture on its own and renders every diagnostic.
fn validate(name: &str) -> String {
    let path = format!("tests/fixtures/packs/{name}.toml");
    let (diags, sources) = Loader::empty().pack(PackSource::Path(path.into())).validate();
    diag::render(&sources, &diags)
}

#[test]
fn missing_key() {
    assert_eq!(
        validate("missing-key"),
        r#"error[toml]: missing field `title`
  ┌─ tests/fixtures/packs/missing-key.toml:5:1
  │
5 │ [[regime]]
  │ ^^^^^^^^^^
  │
  = help: add `title = ...` to this `[[regime]]` table

"#
    );
}

#[test]
fn wrong_type() {
    assert_eq!(
        validate("wrong-type"),
        r#"error[toml]: invalid type: string "yes", expected a boolean
  ┌─ tests/fixtures/packs/wrong-type.toml:9:14
  │
9 │ datacenter = "yes"
  │              ^^^^^

"#
    );
}

#[test]
fn unknown_references_are_all_reported_with_suggestions() {
    assert_eq!(
        validate("unknown-reference"),
        r#"error[unknown-reference]: unknown country, group or set `D:6`
   ┌─ tests/fixtures/packs/unknown-reference.toml:28:46
   │
28 │ when = "eccn == '3A090.a' and destination in D:6"
   │                                              ^^^
   │
   = help: did you mean `D:5`?

error[unknown-regime]: unknown regime `acme-poilcy`
   ┌─ tests/fixtures/packs/unknown-reference.toml:32:10
   │
32 │ regime = "acme-poilcy"
   │          ^^^^^^^^^^^^^
   │
   = help: did you mean `acme-policy`?

error[unknown-metric]: unknown metric `tdp_watts`
   ┌─ tests/fixtures/packs/unknown-reference.toml:34:9
   │
34 │ when = "tdp_watts > 700"
   │         ^^^^^^^^^
   │
   = help: did you mean `tdp_w`?

error[unknown-reference]: unknown requirement `acme-policy/d5`
   ┌─ tests/fixtures/packs/unknown-reference.toml:39:13
   │
39 │ relieves = ["acme-policy/d5"]
   │             ^^^^^^^^^^^^^^^^

"#
    );
}

#[test]
fn duplicate_id_points_at_both_definitions() {
    assert_eq!(
        validate("duplicate-id"),
        r#"error[duplicate-id]: duplicate regime id `acme-policy`
   ┌─ tests/fixtures/packs/duplicate-id.toml:12:6
   │
 6 │ id = "acme-policy"
   │      ------------- first defined here (tests/fixtures/packs/duplicate-id.toml:6:6)
   ·
12 │ id = "acme-policy"
   │      ^^^^^^^^^^^^^
   │
   = help: ids must be unique; rename one of them

"#
    );
}

#[test]
fn bad_dates() {
    assert_eq!(
        validate("bad-date"),
        r#"error[bad-date]: expected a date like 2023-11-17, found `2026-01-01T09:00:00Z`
  ┌─ tests/fixtures/packs/bad-date.toml:9:13
  │
9 │ effective = 2026-01-01T09:00:00Z
  │             ^^^^^^^^^^^^^^^^^^^^
  │
  = help: write a plain date without a time or offset

error[empty-range]: regime ends (2026-02-01) before it takes effect (2026-03-01)
   ┌─ tests/fixtures/packs/bad-date.toml:16:9
   │
16 │ until = 2026-02-01
   │         ^^^^^^^^^^

"#
    );
    assert_eq!(
        validate("bad-date-calendar"),
        r#"error[toml]: invalid date, expected day between 01 and 28
  ┌─ tests/fixtures/packs/bad-date-calendar.toml:9:13
  │
9 │ effective = 2025-02-30
  │             ^^^^^^^^^^

"#
    );
}

#[test]
fn bad_semver() {
    assert_eq!(
        validate("bad-semver"),
        r#"error[bad-semver]: `1.0` is not a semantic version: unexpected end of input while parsing minor version number
  ┌─ tests/fixtures/packs/bad-semver.toml:3:11
  │
3 │ version = "1.0"
  │           ^^^^^
  │
  = help: write a version like `1.2.0`

error[bad-semver]: `~> 0.1` is not a version requirement: unexpected character '>' while parsing major version number
  ┌─ tests/fixtures/packs/bad-semver.toml:4:12
  │
4 │ requires = "~> 0.1"
  │            ^^^^^^^^
  │
  = help: write a requirement like `>=0.1`

"#
    );
}

#[test]
fn json_diagnostics_carry_file_line_and_column() {
    let (diags, sources) = Loader::empty().pack(PackSource::Path("tests/fixtures/packs/unknown-reference.toml".into())).validate();
    let v = serde_json::to_value(diag::locate(&sources, &diags)).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 4);
    assert_eq!(
        v[2],
        serde_json::json!({
            "file": "tests/fixtures/packs/unknown-reference.toml",
            "line": 34,
            "column": 9,
            "end_line": 34,
            "end_column": 18,
            "severity": "error",
            "code": "unknown-metric",
            "message": "unknown metric `tdp_watts`",
            "help": "did you mean `tdp_w`?"
        })
    );
}

#[test]
fn party_lists_and_entries_are_checked() {
    assert_eq!(
        validate("bad-parties"),
        r#"error[bad-score]: score `1.5` is not between 0 and 1
   ┌─ tests/fixtures/packs/bad-parties.toml:18:9
   │
18 │ match = 1.5
   │         ^^^
   │
   = help: a score of 1 is an exact match of the normalised names; 0.95 allows a misspelling in a long name

error[unknown-party-list]: unknown party list `acme-lst`
   ┌─ tests/fixtures/packs/bad-parties.toml:22:8
   │
22 │ list = "acme-lst"
   │        ^^^^^^^^^^
   │
   = help: did you mean `acme-list`?

error[empty-party]: `Co., Ltd.` is not a party's name
   ┌─ tests/fixtures/packs/bad-parties.toml:29:8
   │
29 │ name = "Co., Ltd."
   │        ^^^^^^^^^^^
   │
   = help: names are compared without case, punctuation and legal forms (Co., Ltd., Inc.); nothing is left of this one

error[unknown-policy]: unknown review policy `presumption_of_doubt`
   ┌─ tests/fixtures/packs/bad-parties.toml:31:17
   │
31 │ review_policy = "presumption_of_doubt"
   │                 ^^^^^^^^^^^^^^^^^^^^^^
   │
   = help: did you mean `presumption_of_denial`?

error[unknown-party-list]: unknown party list `acme-lists`
   ┌─ tests/fixtures/packs/bad-parties.toml:37:19
   │
37 │ when = "party in ['acme-lists']"
   │                   ^^^^^^^^^^^^
   │
   = help: did you mean `acme-list`?

"#
    );
}

#[test]
fn owned_by_tests_need_a_share_of_listed_parties() {
    let out = validate("bad-owned-by");
    for want in [
        "error[missing-share]: `owned_by` needs the share held",
        "error[unexpected-share]: `chip` in a list takes no share",
        "error[bad-share]: `owned_by` takes `>=` or `>` and a share from 0 to 100, got `<= 50`",
        "error[unknown-party-list]: unknown party list `acme-lists`",
        "= help: did you mean `acme-list`?",
    ] {
        assert!(out.contains(want), "{want}\n{out}");
    }
    assert_eq!(out.matches("error[").count(), 4, "{out}");
}

#[test]
fn set_operators_mixed_without_parentheses_are_a_warning() {
    let out = validate("mixed-sets");
    assert_eq!(out.matches("warning[mixed-set-operators]: `|` follows another set operator without parentheses").count(), 2, "{out}");
    assert!(out.contains("mixed-sets.toml:26:"), "the set's own line: {out}");
    assert!(out.contains("mixed-sets.toml:39:"), "the condition's line: {out}");
    assert!(!out.contains("error["), "{out}");
}

#[test]
fn presumptions_name_a_declared_eccn_and_exporter_tests_known_values() {
    let out = validate("bad-presumption");
    for want in [
        "error[missing-key]: presumption `acme/no-eccn` has no `eccn`",
        "error[unknown-eccn]: unknown ECCN `3A090.z`",
        "error[unknown-value]: `fab` is not an exporter role chipgate knows",
        "= help: write one of fabricator, osat, other",
        "error[unknown-value]: `designer` is not an attestation chipgate knows",
        "= help: write one of approved_designer, authorized_designer, fabricator, approved_osat",
        "error[misplaced-key]: `datacenter` is not a key of `[[requirement]]`",
        "error[classification-not-item]: a classification cannot test `exporter_role`",
    ] {
        assert!(out.contains(want), "{want}\n{out}");
    }
    assert_eq!(out.matches("error[").count(), 6, "{out}");
}

#[test]
fn licensed_as_names_a_declared_eccn_one_step_away() {
    let out = validate("bad-licensed-as");
    for want in [
        "error[licensed-as-chain]: `5A002.z.1.a` takes the licensing of another ECCN itself: name the ECCN whose own it is",
        "bad-licensed-as.toml:18:",
        "error[unknown-eccn]: unknown ECCN `4A090.c`",
        "= help: did you mean `4A090.a`?",
    ] {
        assert!(out.contains(want), "{want}\n{out}");
    }
    assert_eq!(out.matches("error[").count(), 2, "{out}");
}
