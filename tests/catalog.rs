//! The built-in chip catalog: name resolution, figures and sources, TPP / performance density
//! recomputed for every chip against the reference, and classifications against the public
//! statements that name chips (shared/reference/regulation.md §7.1).

use chipgate::chip::{Metrics, Resolution};
use chipgate::history::classify;
use chipgate::{evaluate, Chip, Query, RuleSet, Verdict};
use jiff::civil::{date, Date};

fn rules() -> RuleSet {
    RuleSet::builtin().unwrap()
}

fn chip<'a>(rs: &'a RuleSet, id: &str) -> &'a Chip {
    rs.catalog.by_id(id).unwrap_or_else(|| panic!("{id} is not in the catalog"))
}

/// Catalog id, reference TPP, reference PD, reference applicable die area (mm²).
type Reference = (&'static str, Option<f64>, Option<f64>, Option<f64>);

/// The reference's own arithmetic (shared/reference/chips.csv: tpp_computed, pd_computed,
/// die_area_mm2) for every catalog chip; `None` where the reference has no figure.
#[allow(clippy::approx_constant)] // the L20's PD of 3.14 is a figure, not π
const REFERENCE: &[Reference] = &[
    ("amd-mi250x", Some(6128.0), Some(4.23), Some(1448.0)),
    ("amd-mi210", Some(2899.2), Some(4.00), Some(724.0)),
    ("amd-mi300x", Some(20919.2), Some(20.57), Some(1017.0)),
    ("amd-mi308x", None, None, None),
    ("amd-mi325x", Some(20919.2), Some(20.57), Some(1017.0)),
    ("amd-mi355x", Some(40265.6), None, None),
    ("google-tpu-v4", Some(4400.0), None, None),
    ("google-tpu-v5p", Some(7344.0), None, None),
    ("huawei-ascend-910b", Some(6016.0), Some(9.04), Some(665.6)),
    ("intel-gaudi-2", Some(6920.0), None, None),
    ("intel-gaudi-3", Some(29360.0), None, None),
    ("nvidia-a100-sxm", Some(4992.0), Some(6.04), Some(826.0)),
    ("nvidia-a100-pcie", Some(4992.0), Some(6.04), Some(826.0)),
    ("nvidia-a800-sxm", Some(4992.0), Some(6.04), Some(826.0)),
    ("nvidia-a800-pcie", Some(4992.0), Some(6.04), Some(826.0)),
    ("nvidia-h100-sxm", Some(15832.0), Some(19.45), Some(814.0)),
    ("nvidia-h100-pcie", Some(12096.0), Some(14.86), Some(814.0)),
    ("nvidia-h100-nvl", Some(13368.0), Some(16.42), Some(814.0)),
    ("nvidia-h800-sxm", Some(15832.0), Some(19.45), Some(814.0)),
    ("nvidia-h20", Some(2368.0), Some(2.91), Some(814.0)),
    ("nvidia-l20", Some(1912.0), Some(3.14), Some(608.5)),
    ("nvidia-l2", Some(1544.0), None, None),
    ("nvidia-l40", Some(2896.8), Some(4.76), Some(608.5)),
    ("nvidia-l40s", Some(5864.0), Some(9.64), Some(608.5)),
    ("nvidia-l4", Some(1940.0), Some(6.59), Some(294.5)),
    ("nvidia-a40", Some(2395.2), Some(3.81), Some(628.4)),
    ("nvidia-a30", Some(2640.0), Some(3.20), Some(826.0)),
    ("nvidia-a10", Some(2000.0), Some(3.18), Some(628.4)),
    ("nvidia-v100-sxm2", Some(2000.0), Some(2.45), Some(815.0)),
    ("nvidia-t4", Some(1040.0), Some(1.91), Some(545.0)),
    ("nvidia-h200-sxm", Some(15832.0), Some(19.45), Some(814.0)),
    ("nvidia-b100", Some(28000.0), None, None),
    ("nvidia-b200", Some(36000.0), None, None),
    ("nvidia-gb200", Some(40000.0), None, None),
    ("nvidia-b300", Some(54000.0), None, None),
    ("nvidia-rtx-4090", Some(5284.8), Some(8.68), Some(608.5)),
    ("nvidia-rtx-4090-d", Some(4706.9), Some(7.74), Some(608.5)),
    ("nvidia-rtx-5090", Some(6707.2), Some(8.94), Some(750.0)),
    ("nvidia-rtx-5090-d", Some(4750.0), Some(6.33), Some(750.0)),
    ("nvidia-rtx-6000-ada", Some(5832.0), Some(9.58), Some(608.5)),
];

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

// ---------------------------------------------------------------------------------------------
// Name resolution

fn resolve_id(rs: &RuleSet, name: &str) -> Option<String> {
    match rs.catalog.resolve(name) {
        Resolution::Found(c) => Some(c.id.clone()),
        _ => None,
    }
}

#[test]
fn names_resolve_case_insensitively_ignoring_spaces_hyphens_and_aliases() {
    let rs = rules();
    let cases = [
        ("H100", "nvidia-h100-sxm"),
        ("h100", "nvidia-h100-sxm"),
        ("h100 sxm", "nvidia-h100-sxm"),
        ("NVIDIA H100 SXM5", "nvidia-h100-sxm"),
        ("nvidia-h100-sxm", "nvidia-h100-sxm"),
        ("H100 PCIe", "nvidia-h100-pcie"),
        ("h100-nvl", "nvidia-h100-nvl"),
        ("RTX4090D", "nvidia-rtx-4090-d"),
        ("rtx 4090 d", "nvidia-rtx-4090-d"),
        ("RTX 4090", "nvidia-rtx-4090"),
        ("GeForce RTX 4090", "nvidia-rtx-4090"),
        ("A100", "nvidia-a100-sxm"),
        ("A800", "nvidia-a800-sxm"),
        ("a800 pcie", "nvidia-a800-pcie"),
        ("H800", "nvidia-h800-sxm"),
        ("H20", "nvidia-h20"),
        ("H200", "nvidia-h200-sxm"),
        ("L40S", "nvidia-l40s"),
        ("l40", "nvidia-l40"),
        ("L4", "nvidia-l4"),
        ("MI300X", "amd-mi300x"),
        ("mi308", "amd-mi308x"),
        ("Gaudi 3", "intel-gaudi-3"),
        ("ascend 910b", "huawei-ascend-910b"),
        ("TPU v5p", "google-tpu-v5p"),
    ];
    for (name, id) in cases {
        assert_eq!(resolve_id(&rs, name).as_deref(), Some(id), "`{name}`");
    }
}

#[test]
fn ambiguous_names_list_the_candidates() {
    let rs = rules();
    let Resolution::Ambiguous(c) = rs.catalog.resolve("H2") else { panic!("`H2` should be ambiguous") };
    let ids: Vec<&str> = c.iter().map(|c| c.id.as_str()).collect();
    assert!(ids.contains(&"nvidia-h20") && ids.contains(&"nvidia-h200-sxm"), "{ids:?}");
    let Resolution::Ambiguous(c) = rs.catalog.resolve("RTX 50") else { panic!("`RTX 50` should be ambiguous") };
    assert_eq!(c.len(), 2);
}

#[test]
fn unknown_names_get_suggestions() {
    let rs = rules();
    let Resolution::Unknown(s) = rs.catalog.resolve("H100X") else { panic!("`H100X` should be unknown") };
    assert!(s.iter().any(|x| x == "H100"), "{s:?}");
    let Resolution::Unknown(s) = rs.catalog.resolve("Quantum Flux 9000") else { panic!("should be unknown") };
    assert!(s.is_empty(), "{s:?}");
}

// ---------------------------------------------------------------------------------------------
// Figures and sources

#[test]
fn the_reference_table_covers_the_whole_catalog() {
    let rs = rules();
    let ics: Vec<&Chip> = rs.catalog.chips().filter(|c| !c.item.composite()).collect();
    for c in &ics {
        assert!(REFERENCE.iter().any(|r| r.0 == c.id), "{} is not in the test's reference table", c.id);
    }
    for r in REFERENCE {
        chip(&rs, r.0);
    }
    assert_eq!(ics.len(), REFERENCE.len());
}

/// The computers and assemblies of the catalog (rules/chips/systems.toml): each contains
/// catalog ICs, gives no figure of its own (they come from what it contains), and is classified
/// from its ICs: 4A090.a when one is 3A090.a, nothing when none is 3A090.
#[test]
fn systems_contain_catalog_ics_and_are_classified_from_them() {
    let rs = rules();
    let systems: Vec<&Chip> = rs.catalog.chips().filter(|c| c.item.composite()).collect();
    assert!(systems.len() >= 12, "{} systems", systems.len());
    let day = date(2024, 1, 15);
    for s in systems {
        assert!(!s.contains.is_empty(), "{} contains nothing", s.id);
        assert!(s.throughput.is_empty() && s.tpp.is_none() && s.die_area_mm2.is_none(), "{} repeats a figure", s.id);
        let mut contained = Vec::new();
        for p in &s.contains {
            let ic = chip(&rs, &p.chip);
            assert!(p.count >= 1, "{}", s.id);
            contained.push(classify(&rs, ic, day).eccn);
        }
        let want = if contained.iter().any(|e| e.as_deref() == Some("3A090.a")) {
            Some("4A090.a")
        } else if contained.iter().any(|e| e.as_deref() == Some("3A090.b")) {
            Some("4A090.b")
        } else {
            None
        };
        assert_eq!(classify(&rs, s, day).eccn.as_deref(), want, "{}", s.id);
    }
}

#[test]
fn every_figure_has_a_source() {
    let rs = rules();
    for c in rs.catalog.chips() {
        for t in &c.throughput {
            assert!(!t.source.trim().is_empty(), "{}: {} throughput has no source", c.id, t.precision.name());
            assert!(t.tops > 0.0, "{}: {} throughput is not positive", c.id, t.precision.name());
        }
        let figures = [&c.die_area_mm2, &c.interconnect_gbps, &c.memory_bandwidth_gbps, &c.tpp_published, &c.pd_published, &c.tpp, &c.pd];
        for f in figures.into_iter().flatten() {
            assert!(!f.source.trim().is_empty(), "{}: a figure of {} has no source", c.id, f.value);
        }
        assert!(!c.vendor.is_empty() && !c.name.is_empty(), "{}", c.id);
    }
}

#[test]
fn tpp_and_pd_recomputed_for_every_chip_match_the_reference() {
    let rs = rules();
    let mut failures = Vec::new();
    for (id, tpp, pd, die) in REFERENCE {
        let m = Metrics::of(chip(&rs, id));
        let got_tpp = m.tpp.as_ref().map(|d| d.value);
        let got_pd = m.pd.as_ref().map(|d| d.value);
        let got_die = m.die_area_mm2.as_ref().map(|d| d.value);
        let ok_tpp = match (got_tpp, tpp) {
            (Some(a), Some(b)) => close(a, *b, 0.05),
            (None, None) => true,
            _ => false,
        };
        let ok_pd = match (got_pd, pd) {
            (Some(a), Some(b)) => close(a, *b, 0.0051),
            (None, None) => true,
            _ => false,
        };
        if !ok_tpp || !ok_pd || got_die != *die {
            failures.push(format!("{id}: tpp {got_tpp:?} vs {tpp:?}, pd {got_pd:?} vs {pd:?}, die {got_die:?} vs {die:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn derived_figures_agree_with_the_published_ones_in_the_catalog() {
    let rs = rules();
    let mut checked = 0;
    for c in rs.catalog.chips() {
        let m = Metrics::of(c);
        if let (Some(p), Some(d)) = (&c.tpp_published, &m.tpp) {
            // Published TPPs rest on slightly different rounding (Epoch 1936 for the L4's 1940,
            // 20800 for the MI325X's 20919): within 1 %.
            assert!(close(d.value, p.value, p.value * 0.01), "{}: TPP {} vs published {}", c.id, d.value, p.value);
            checked += 1;
        }
        if let (Some(p), Some(d)) = (&c.pd_published, &m.pd) {
            assert!(close(d.value, p.value, 0.0051), "{}: PD {} vs published {}", c.id, d.value, p.value);
            checked += 1;
        }
    }
    assert!(checked >= 40, "only {checked} published figures checked");
}

#[test]
fn the_figures_the_issue_names() {
    let rs = rules();
    let m = |id: &str| Metrics::of(chip(&rs, id));
    let tpp = |id: &str| m(id).tpp.unwrap().value;
    let pd = |id: &str| m(id).pd.unwrap().value;
    assert_eq!(tpp("nvidia-a100-sxm"), 4992.0);
    assert!(close(pd("nvidia-a100-sxm"), 6.04, 0.005));
    assert_eq!(tpp("nvidia-h100-sxm"), 15832.0);
    assert!(close(pd("nvidia-h100-sxm"), 19.45, 0.005));
    assert_eq!(tpp("nvidia-h20"), 2368.0);
    assert!(close(pd("nvidia-h20"), 2.91, 0.005));
    assert!(close(tpp("nvidia-rtx-4090"), 5285.0, 1.0));
    assert!(close(tpp("nvidia-rtx-4090-d"), 4707.0, 1.0));
    assert_eq!(tpp("nvidia-l40s"), 5864.0);
}

#[test]
fn unknown_die_areas_stay_unknown() {
    let rs = rules();
    for id in ["nvidia-b200", "nvidia-gb200", "nvidia-b300", "amd-mi355x", "intel-gaudi-3", "google-tpu-v4", "amd-mi308x"] {
        let c = chip(&rs, id);
        assert!(c.die_area_mm2.is_none() && c.pd.is_none(), "{id} has an invented die area");
        assert!(Metrics::of(c).pd.is_none(), "{id}");
    }
}

// ---------------------------------------------------------------------------------------------
// Classifications against documented public statements

fn eccn(rs: &RuleSet, id: &str, on: Date) -> Option<String> {
    let c = classify(rs, chip(rs, id), on);
    assert!(!c.undetermined(), "{id} on {on}: classification undetermined ({:?})", c.candidates);
    c.eccn
}

fn ask(rs: &RuleSet, id: &str, to: &str, on: Date) -> chipgate::Decision {
    evaluate(
        rs,
        &Query {
            chip: chip(rs, id),
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
}

#[test]
fn chips_nvidia_named_as_covered_in_october_2023_are_3a090a() {
    // NVIDIA 8-K of 24 Oct 2023: A100, A800, H100, H800, L40S (regulation.md §7.1).
    let rs = rules();
    for id in
        ["nvidia-a100-sxm", "nvidia-a100-pcie", "nvidia-a800-sxm", "nvidia-a800-pcie", "nvidia-h100-sxm", "nvidia-h800-sxm", "nvidia-l40s"]
    {
        assert_eq!(eccn(&rs, id, date(2024, 1, 15)).as_deref(), Some("3A090.a"), "{id}");
        assert_eq!(ask(&rs, id, "CN", date(2024, 1, 15)).verdict, Verdict::LicenseRequired, "{id} to CN");
    }
}

#[test]
fn chips_named_in_the_october_17_8k_are_in_3a090() {
    // NVIDIA 8-K of 17 Oct 2023 also names the L40 and the RTX 4090.
    let rs = rules();
    assert_eq!(eccn(&rs, "nvidia-l40", date(2024, 1, 15)).as_deref(), Some("3A090.b"));
    assert_eq!(eccn(&rs, "nvidia-rtx-4090", date(2024, 1, 15)).as_deref(), Some("3A090.a"));
}

#[test]
fn rtx_4090_d_and_h20_are_outside_3a090() {
    // NVIDIA (Dec 2023): the RTX 4090 D complies; the H20 is caught only by the April 2025 letter.
    let rs = rules();
    for on in [date(2024, 1, 15), date(2025, 6, 1), date(2026, 2, 1)] {
        assert_eq!(eccn(&rs, "nvidia-rtx-4090-d", on), None);
        assert_eq!(eccn(&rs, "nvidia-h20", on), None);
    }
    assert_eq!(ask(&rs, "nvidia-rtx-4090-d", "CN", date(2024, 1, 15)).verdict, Verdict::NoLicenseRequired);
    assert_eq!(ask(&rs, "nvidia-h20", "CN", date(2025, 4, 8)).verdict, Verdict::NoLicenseRequired);
    assert_eq!(ask(&rs, "nvidia-h20", "CN", date(2025, 4, 9)).verdict, Verdict::LicenseRequired);
}

#[test]
fn the_2022_rule_covered_the_a100_and_h100_but_not_the_a800_and_h800() {
    // NVIDIA 8-K of Aug 2022 (A100, H100); the A800/H800 were designed under the 600 GB/s test.
    let rs = rules();
    let on = date(2023, 1, 15);
    for id in ["nvidia-a100-sxm", "nvidia-h100-sxm"] {
        assert_eq!(eccn(&rs, id, on).as_deref(), Some("3A090.a"), "{id}");
        assert_eq!(ask(&rs, id, "CN", on).verdict, Verdict::LicenseRequired, "{id}");
    }
    for id in ["nvidia-a800-sxm", "nvidia-a800-pcie", "nvidia-h800-sxm"] {
        assert_eq!(eccn(&rs, id, on), None, "{id}");
        assert_eq!(ask(&rs, id, "CN", on).verdict, Verdict::NoLicenseRequired, "{id}");
    }
}

#[test]
fn h200_and_mi325x_are_eligible_for_case_by_case_review_in_2026_and_b200_is_not() {
    // BIS rule 2026-00789 names the H200 and MI325X below TPP 21,000 / DRAM 6,500 GB/s.
    let rs = rules();
    let policy = |id: &str| ask(&rs, id, "CN", date(2026, 2, 1)).review_policy.map(|r| r.policy);
    assert_eq!(policy("nvidia-h200-sxm"), Some(chipgate::rules::Policy::CaseByCase));
    assert_eq!(policy("amd-mi325x"), Some(chipgate::rules::Policy::CaseByCase));
    assert_eq!(policy("nvidia-b200"), Some(chipgate::rules::Policy::PresumptionOfDenial));
}

#[test]
fn ascend_910b_is_a_3a090_chip() {
    // BIS GP10 guidance (May 2025): Ascend 910B/C/D are PRC 3A090 ICs.
    let rs = rules();
    assert_eq!(eccn(&rs, "huawei-ascend-910b", date(2025, 6, 1)).as_deref(), Some("3A090.a"));
}

#[test]
fn chips_without_die_area_are_undetermined_only_where_pd_could_change_the_class() {
    let rs = rules();
    let on = date(2024, 1, 15);
    // TPP >= 4800 decides 3A090.a whatever the density.
    for id in ["nvidia-b200", "nvidia-gb200", "amd-mi355x", "intel-gaudi-3", "google-tpu-v5p"] {
        assert_eq!(eccn(&rs, id, on).as_deref(), Some("3A090.a"), "{id}");
    }
    // TPU v4: TPP 4400 with no die area: 3A090.a, .b or nothing depending on the density.
    let c = classify(&rs, chip(&rs, "google-tpu-v4"), on);
    assert!(c.undetermined());
    assert_eq!(c.missing, vec!["pd".to_string()]);
    assert!(c.candidates.contains(&Some("3A090.a".into())) && c.candidates.contains(&None));
}
