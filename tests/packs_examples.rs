//! The example packs in `examples/packs/` do what docs/rule-packs.md says they do.

mod common;

use chipgate::rules::{Loader, PackSource};
use chipgate::{evaluate, Query, RuleSet, Verdict};
use jiff::civil::{date, Date};

fn chipgate(args: &[&str]) -> (i32, String, String) {
    let r = common::chipgate(args);
    (r.code, r.stdout, r.stderr)
}

fn with(path: &str) -> RuleSet {
    let (rs, warnings) = Loader::new().pack(PackSource::Path(path.into())).load().unwrap();
    assert!(warnings.is_empty(), "{warnings:#?}");
    rs
}

fn verdict(rs: &RuleSet, chip: &str, to: &str, on: Date) -> Verdict {
    let chip = rs.catalog.by_id(chip).unwrap();
    evaluate(
        rs,
        &Query {
            chip,
            hypothetical: false,
            destination: to,
            date: on,
            end_user_hq: None,
            exporter: None,
            ship_from: None,
            exporter_role: None,
            attested_by: &[],
            parties: Default::default(),
        },
    )
    .unwrap()
    .verdict
}

#[test]
fn company_pack_blocks_a_destination_the_law_allows_and_adds_a_chip() {
    let acme = with("examples/packs/acme");
    let law = RuleSet::builtin().unwrap();
    let on = date(2026, 3, 1);
    assert_eq!(verdict(&law, "nvidia-h100-sxm", "SG", on), Verdict::NoLicenseRequired);
    assert_eq!(verdict(&acme, "nvidia-h100-sxm", "SG", on), Verdict::LicenseRequired);
    assert_eq!(verdict(&acme, "acme-tx1", "SG", on), Verdict::LicenseRequired);
    assert_eq!(verdict(&acme, "acme-tx1", "FR", on), Verdict::NoLicenseRequired, "France is not on the watch list");
    assert_eq!(verdict(&acme, "acme-tx1", "SG", date(2025, 6, 30)), Verdict::NoLicenseRequired, "before the policy took effect");

    let (code, out, err) =
        chipgate(&["check", "acme-tx1", "--to", "SG", "--date", "2026-03-01", "--rules", "examples/packs/acme", "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["verdict"], "license_required");
    assert_eq!(v["eccn"], "3A090.a");
    let reason = v["reasons"].as_array().unwrap().iter().find(|r| r["id"] == "acme-policy/diversion-risk").expect("the policy is a reason");
    assert_eq!(reason["regime"], "acme-policy");
    assert!(reason["citation"]["document"].as_str().unwrap().contains("ECP-7"));
    let (code, out, _) = chipgate(&["check", "acme-tx1", "--to", "SG", "--date", "2026-03-01", "--rules", "examples/packs/acme"]);
    assert_eq!(code, 1);
    assert!(out.contains("LICENSE REQUIRED") && out.contains("acme-policy/diversion-risk"), "{out}");
}

#[test]
fn what_if_pack_newly_catches_chips_from_2027() {
    let what_if = with("examples/packs/what-if-2027");
    let law = RuleSet::builtin().unwrap();
    let (before, after) = (date(2026, 12, 31), date(2027, 1, 2));
    let newly: Vec<&str> = what_if
        .catalog
        .chips()
        .filter(|c| {
            let v0 = verdict(&what_if, &c.id, "CN", before);
            let v1 = verdict(&what_if, &c.id, "CN", after);
            v0 != v1 && matches!(v1, Verdict::LicenseRequired | Verdict::LicenseException)
        })
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(newly, ["google-tpu-v4", "nvidia-rtx-4090-d", "nvidia-rtx-5090-d"]);
    // Up to the end of 2026 the pack changes nothing.
    for c in what_if.catalog.chips() {
        assert_eq!(verdict(&what_if, &c.id, "CN", before), verdict(&law, &c.id, "CN", before), "{}", c.id);
    }
    // Without the pack, nothing changes on 2027-01-01.
    for id in newly {
        assert_eq!(verdict(&law, id, "CN", before), verdict(&law, id, "CN", after));
    }
}

#[test]
fn what_if_pack_through_chipgate_diff() {
    let (code, out, err) = chipgate(&[
        "diff",
        "--from",
        "2026-12-31",
        "--to",
        "2027-01-02",
        "--destinations",
        "CN",
        "--rules",
        "examples/packs/what-if-2027",
        "--format",
        "json",
    ]);
    assert!(code == 0 || code == 1, "exit {code}: {err}");
    for chip in ["google-tpu-v4", "nvidia-rtx-4090-d", "nvidia-rtx-5090-d"] {
        assert!(out.contains(chip), "`{chip}` missing from diff output:\n{out}");
    }
    assert!(out.contains("what-if-2027/3a090.a"), "{out}");
}

#[test]
fn broken_pack_output_is_the_one_in_the_guide() {
    let (code, out, _) = chipgate(&["rules", "validate", "examples/packs/broken"]);
    assert_eq!(code, 2);
    let readme = std::fs::read_to_string("docs/rule-packs.md").unwrap();
    let shown = readme
        .split("<!-- broken-output:start -->\n```text\n")
        .nth(1)
        .and_then(|s| s.split("```\n<!-- broken-output:end -->").next())
        .expect("docs/rule-packs.md shows the broken pack's output");
    assert_eq!(shown, out, "update the docs/rule-packs.md block from `chipgate rules validate examples/packs/broken`");
    assert!(out.ends_with("5 errors, 3 warnings\n"), "{out}");
    for code in ["toml", "missing-citation", "d5-without-macau", "unknown-regime", "unknown-metric", "never-holds", "unknown-reference"] {
        assert!(out.contains(&format!("[{code}]")), "`{code}` not reported:\n{out}");
    }
}
