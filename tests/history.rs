//! Views across time on the built-in rules: timelines (periods at every boundary, merging,
//! the changes that start each period) and diffs (the A800/H800 story of November 2023, the
//! January 2026 review change for the H200).

use chipgate::history::{
    changes_between, diff, mentioned_countries, period_starts, timeline, ChangeKind, Diff, DiffRequest, HistoryError, Status, Timeline,
    TimelineRequest,
};
use chipgate::rules::Policy;
use chipgate::{evaluate, Chip, Query, RuleSet, Verdict};
use jiff::civil::{date, Date};
use jiff::ToSpan;

fn rules() -> RuleSet {
    RuleSet::builtin().unwrap()
}

fn chip<'a>(rs: &'a RuleSet, id: &str) -> &'a Chip {
    rs.catalog.by_id(id).unwrap_or_else(|| panic!("{id} is not in the catalog"))
}

const START: Date = date(2022, 1, 1);
const END: Date = date(2026, 11, 29);

/// An exporter that no is-informed letter names.
const DISTRIBUTOR: &str = "Acme Distribution";

/// The timeline from START to END for an end user's headquarters and an exporter (`None`:
/// the chip's vendor, presumed).
fn tl_with(rs: &RuleSet, c: &Chip, to: &str, hq: Option<&str>, exporter: Option<&str>) -> Timeline {
    let req = TimelineRequest {
        chip: c,
        hypothetical: false,
        destination: to,
        end_user_hq: hq,
        exporter,
        ship_from: None,
        exporter_role: None,
        attested_by: &[],
        parties: Default::default(),
        from: START,
        to: END,
    };
    timeline(rs, &req).unwrap()
}

fn tl_by(rs: &RuleSet, c: &Chip, to: &str, exporter: Option<&str>) -> Timeline {
    tl_with(rs, c, to, None, exporter)
}

fn tl(rs: &RuleSet, c: &Chip, to: &str, hq: Option<&str>) -> Timeline {
    tl_with(rs, c, to, hq, None)
}

fn status(rs: &RuleSet, c: &Chip, to: &str, hq: Option<&str>, on: Date) -> Status {
    Status::of(
        &evaluate(
            rs,
            &Query {
                chip: c,
                hypothetical: false,
                destination: to,
                date: on,
                end_user_hq: hq,
                exporter: None,
                ship_from: None,
                exporter_role: None,
                attested_by: &[],
                parties: Default::default(),
            },
        )
        .unwrap(),
    )
}

fn ids(changes: &[chipgate::history::Change]) -> Vec<&str> {
    changes.iter().map(|c| c.id.as_str()).collect()
}

// ---------------------------------------------------------------------------------------------
// Timelines

#[test]
fn h800_to_china_no_license_until_the_2023_rule_then_denial_then_case_by_case() {
    let rs = rules();
    // As a distributor sees it: NVIDIA's own letter of 2023-10-23 does not bind it.
    let t = tl_by(&rs, chip(&rs, "nvidia-h800-sxm"), "CN", Some(DISTRIBUTOR));
    let p = &t.periods;
    assert_eq!(p.len(), 3, "{p:#?}");

    assert_eq!((p[0].from, p[0].until), (START, Some(date(2023, 11, 17))));
    assert_eq!(p[0].status.verdict, Verdict::NoLicenseRequired);
    assert_eq!(p[0].status.eccn, None);
    assert!(p[0].changed_by.is_empty());

    assert_eq!((p[1].from, p[1].until), (date(2023, 11, 17), Some(date(2026, 1, 15))));
    assert_eq!(p[1].status.verdict, Verdict::LicenseRequired);
    assert_eq!(p[1].status.eccn.as_deref(), Some("3A090.a"));
    assert_eq!(p[1].status.review_policy, Some(Policy::PresumptionOfDenial));
    assert!(p[1].status.exceptions.is_empty());
    let by = ids(&p[1].changed_by);
    for id in ["us-2023-10/3a090.a.1", "us-2023-10/destinations", "us-2023-10/review-d5-macau"] {
        assert!(by.contains(&id), "{id} missing from {by:?}");
    }
    assert!(p[1].changed_by.iter().all(|c| c.kind == ChangeKind::InForce && c.date == Some(date(2023, 11, 17))));
    assert!(!by.contains(&"us-2023-10/nac"), "NAC does not apply to a datacenter 3A090.a chip: {by:?}");

    assert_eq!((p[2].from, p[2].until), (date(2026, 1, 15), None));
    assert_eq!(p[2].status.verdict, Verdict::LicenseRequired);
    assert_eq!(p[2].status.review_policy, Some(Policy::CaseByCase));
    assert_eq!(ids(&p[2].changed_by), vec!["us-2026-01/case-by-case-china"]);
}

#[test]
fn h100_to_china_was_controlled_from_october_2022() {
    let rs = rules();
    let t = tl_by(&rs, chip(&rs, "nvidia-h100-sxm"), "CN", Some(DISTRIBUTOR));
    let first_controlled = t.periods.iter().find(|p| p.status.verdict == Verdict::LicenseRequired).unwrap();
    assert_eq!(first_controlled.from, date(2022, 10, 7));
    assert!(ids(&first_controlled.changed_by).contains(&"us-2022-10/3a090.a"));
    assert_eq!(t.on(date(2022, 10, 6)).unwrap().status.verdict, Verdict::NoLicenseRequired);
    assert_eq!(t.on(date(2024, 1, 15)).unwrap().status.review_policy, Some(Policy::PresumptionOfDenial));
}

#[test]
fn nvidia_itself_was_bound_from_its_letters_dates() {
    let rs = rules();
    // The H100 from the letter of 2022-08-26, the H800 from the letter of 2023-10-23.
    let t = tl_by(&rs, chip(&rs, "nvidia-h100-sxm"), "CN", None);
    let first = t.periods.iter().find(|p| p.status.verdict == Verdict::LicenseRequired).unwrap();
    assert_eq!(first.from, date(2022, 8, 26));
    assert_eq!(ids(&first.changed_by), vec!["us-2022-08/nvidia-a100-h100"]);
    let t = tl_by(&rs, chip(&rs, "nvidia-h800-sxm"), "CN", Some("NVIDIA Corporation"));
    let first = t.periods.iter().find(|p| p.status.verdict == Verdict::LicenseRequired).unwrap();
    assert_eq!(first.from, date(2023, 10, 23));
    assert!(ids(&first.changed_by).contains(&"us-2023-10/nvidia-letter-datacenter"), "{:?}", ids(&first.changed_by));
    assert_eq!(t.on(date(2023, 11, 17)).unwrap().status.verdict, Verdict::LicenseRequired);
}

#[test]
fn h20_to_hong_kong_changes_with_the_april_2025_letter() {
    let rs = rules();
    let t = tl(&rs, chip(&rs, "nvidia-h20"), "HK", None);
    assert_eq!(t.periods.len(), 2, "{:#?}", t.periods);
    assert_eq!(t.periods[1].from, date(2025, 4, 9));
    assert_eq!(t.periods[1].status.verdict, Verdict::LicenseRequired);
    assert!(ids(&t.periods[1].changed_by).contains(&"us-2025-04/h20-mi308-destinations"));
}

#[test]
fn group_membership_changes_start_periods_and_are_named() {
    let rs = rules();
    // Nicaragua joins D:1 and D:5 on 2024-03-15: the H100 becomes license-required there.
    let t = tl(&rs, chip(&rs, "nvidia-h100-sxm"), "NI", None);
    let p = t.on(date(2024, 3, 15)).unwrap();
    assert_eq!(p.from, date(2024, 3, 15));
    assert_eq!(p.status.verdict, Verdict::LicenseRequired);
    assert_eq!(t.on(date(2024, 3, 14)).unwrap().status.verdict, Verdict::NoLicenseRequired);
    let joins: Vec<&str> = p.changed_by.iter().filter(|c| c.kind == ChangeKind::JoinsGroup).map(|c| c.id.as_str()).collect();
    assert!(joins.contains(&"D:5") && joins.contains(&"D:1"), "{:?}", p.changed_by);
    assert!(p.changed_by.iter().all(|c| c.kind != ChangeKind::JoinsGroup || c.country.as_deref() == Some("NI")));

    // Cambodia leaves D:5 on 2025-11-07, when the State Department's list (controlling under the
    // note to D:5) dropped it; it stays in D:1: denial gives way to approval.
    let t = tl(&rs, chip(&rs, "nvidia-h100-sxm"), "KH", None);
    let p = t.on(date(2025, 11, 7)).unwrap();
    assert_eq!(p.from, date(2025, 11, 7));
    assert_eq!(p.status.review_policy, Some(Policy::PresumptionOfApproval));
    assert_eq!(t.on(date(2025, 11, 6)).unwrap().status.review_policy, Some(Policy::PresumptionOfDenial));
    assert!(p.changed_by.iter().any(|c| c.kind == ChangeKind::LeavesGroup && c.id == "D:5" && c.date == Some(date(2025, 11, 7))));
}

/// At every change date, the day before and the day of it fall in periods whose status is
/// exactly what the evaluator answers on those days.
#[test]
fn timeline_periods_are_right_the_day_before_and_the_day_of_every_change() {
    let rs = rules();
    let chips = ["nvidia-h800-sxm", "nvidia-h100-sxm", "nvidia-a800-pcie", "nvidia-h20", "nvidia-rtx-4090", "nvidia-l40", "amd-mi308x"];
    let places: [(&str, Option<&str>); 5] = [("CN", None), ("HK", None), ("AE", None), ("NI", None), ("SG", Some("CN"))];
    let days: Vec<Date> = period_starts(&rs, START, END).into_iter().skip(1).collect();
    assert!(days.len() >= 8, "{days:?}");
    for id in chips {
        let c = chip(&rs, id);
        for (to, hq) in places {
            let t = tl(&rs, c, to, hq);
            for d in &days {
                let before = d.checked_sub(1.day()).unwrap();
                for on in [before, *d] {
                    let want = status(&rs, c, to, hq, on);
                    let got = &t.on(on).unwrap().status;
                    assert!(got.same(&want), "{id} → {to} on {on}: timeline {got:?}, evaluator {want:?}");
                }
            }
        }
    }
}

#[test]
fn periods_are_contiguous_start_on_change_dates_and_differ_from_their_neighbours() {
    let rs = rules();
    for id in ["nvidia-h800-sxm", "nvidia-rtx-4090", "google-tpu-v4", "amd-mi308x"] {
        for to in ["CN", "MO", "AE", "DE", "CU"] {
            let t = tl(&rs, chip(&rs, id), to, None);
            let p = &t.periods;
            assert_eq!(p.first().map(|p| p.from), Some(START));
            assert_eq!(p.last().and_then(|p| p.until), None);
            for w in p.windows(2) {
                assert_eq!(w[0].until, Some(w[1].from), "{id} → {to}");
                assert!(rs.change_dates.contains(&w[1].from), "{id} → {to}: {} is not a change date", w[1].from);
                assert!(!w[0].status.same(&w[1].status), "{id} → {to}: unmerged equal periods at {}", w[1].from);
                assert!(!w[1].changed_by.is_empty(), "{id} → {to}: no change named at {}", w[1].from);
            }
        }
    }
}

#[test]
fn hypothetical_chips_have_timelines_too() {
    let rs = rules();
    let c = Chip {
        id: "hypothetical".into(),
        name: "hypothetical chip".into(),
        datacenter: Some(true),
        tpp: Some(chipgate::chip::Figure::given(5000.0)),
        interconnect_gbps: Some(chipgate::chip::Figure::given(400.0)),
        memory_bandwidth_gbps: Some(chipgate::chip::Figure::given(3000.0)),
        ..Chip::default()
    };
    let t = timeline(
        &rs,
        &TimelineRequest {
            chip: &c,
            hypothetical: true,
            destination: "CN",
            end_user_hq: None,
            exporter: None,
            ship_from: None,
            exporter_role: None,
            attested_by: &[],
            parties: Default::default(),
            from: START,
            to: END,
        },
    )
    .unwrap();
    assert!(t.chip.hypothetical);
    let verdicts: Vec<(Date, Verdict, Option<Policy>)> =
        t.periods.iter().map(|p| (p.from, p.status.verdict, p.status.review_policy)).collect();
    assert_eq!(
        verdicts,
        vec![
            (START, Verdict::NoLicenseRequired, None),
            (date(2023, 11, 17), Verdict::LicenseRequired, Some(Policy::PresumptionOfDenial)),
            (date(2026, 1, 15), Verdict::LicenseRequired, Some(Policy::CaseByCase)),
        ]
    );
}

#[test]
fn a_view_ending_before_a_change_does_not_show_it() {
    let rs = rules();
    let c = chip(&rs, "nvidia-h800-sxm");
    let req = TimelineRequest {
        chip: c,
        hypothetical: false,
        destination: "CN",
        end_user_hq: None,
        exporter: Some(DISTRIBUTOR),
        ship_from: None,
        exporter_role: None,
        attested_by: &[],
        parties: Default::default(),
        from: START,
        to: date(2023, 11, 16),
    };
    let t = timeline(&rs, &req).unwrap();
    assert_eq!(t.periods.len(), 1);
    let req = TimelineRequest { to: date(2023, 11, 17), ..req };
    assert_eq!(timeline(&rs, &req).unwrap().periods.len(), 2);
}

#[test]
fn bad_ranges_and_countries_are_errors() {
    let rs = rules();
    let c = chip(&rs, "nvidia-h800-sxm");
    let req = TimelineRequest {
        chip: c,
        hypothetical: false,
        destination: "CN",
        end_user_hq: None,
        exporter: None,
        ship_from: None,
        exporter_role: None,
        attested_by: &[],
        parties: Default::default(),
        from: END,
        to: START,
    };
    assert!(matches!(timeline(&rs, &req), Err(HistoryError::Range { .. })));
    let req = TimelineRequest { from: START, to: END, destination: "XX", ..req };
    assert!(matches!(timeline(&rs, &req), Err(HistoryError::Eval(_))));
}

// ---------------------------------------------------------------------------------------------
// Diffs

fn run_diff(rs: &RuleSet, from: Date, to: Date, dests: &[&str]) -> Diff {
    let req = DiffRequest {
        chips: rs.catalog.chips().collect(),
        destinations: dests.iter().map(|s| s.to_string()).collect(),
        end_user_hq: None,
        exporter: None,
        ship_from: None,
        exporter_role: None,
        attested_by: &[],
        parties: Default::default(),
        from,
        to,
    };
    diff(rs, &req).unwrap()
}

#[test]
fn a800_and_h800_became_license_required_in_china_in_november_2023() {
    let rs = rules();
    let d = run_diff(&rs, date(2023, 6, 1), date(2024, 1, 15), &["CN"]);
    assert_eq!(d.compared, rs.catalog.len());
    for id in ["nvidia-a800-sxm", "nvidia-a800-pcie", "nvidia-h800-sxm"] {
        let row = d.rows.iter().find(|r| r.chip.id == id).unwrap_or_else(|| panic!("{id} not in the diff"));
        assert_eq!(row.destination.code, "CN");
        assert_eq!(row.before.verdict, Verdict::NoLicenseRequired, "{id}");
        assert_eq!(row.after.verdict, Verdict::LicenseRequired, "{id}");
        assert_eq!(row.after.eccn.as_deref(), Some("3A090.a"));
        assert!(row.changed.contains(&"verdict") && row.changed.contains(&"eccn"));
        let r = ids(&row.responsible);
        assert!(r.contains(&"us-2023-10/3a090.a.1") && r.contains(&"us-2023-10/destinations"), "{id}: {r:?}");
        assert!(row.responsible.iter().all(|c| c.kind == ChangeKind::InForce), "{id}: {r:?}");
    }
    // Already controlled before and after, or outside the rules both times: no row.
    for id in ["nvidia-a100-sxm", "nvidia-h100-sxm", "nvidia-rtx-4090-d", "nvidia-h20", "nvidia-t4"] {
        assert!(!d.rows.iter().any(|r| r.chip.id == id), "{id} should not be in the diff");
    }
}

#[test]
fn hong_kong_follows_china_and_germany_sees_only_the_reclassification() {
    let rs = rules();
    let d = run_diff(&rs, date(2023, 6, 1), date(2024, 1, 15), &["HK", "DE"]);
    assert!(d.rows.iter().any(|r| r.chip.id == "nvidia-h800-sxm" && r.destination.code == "HK"));
    // Germany is outside the destination scope: the ECCN changes, the verdict does not.
    let de: Vec<_> = d.rows.iter().filter(|r| r.destination.code == "DE").collect();
    assert!(de.iter().any(|r| r.chip.id == "nvidia-h800-sxm"));
    for r in de {
        assert_eq!(r.changed, vec!["eccn"], "{}", r.chip.id);
        assert_eq!((r.before.verdict, r.after.verdict), (Verdict::NoLicenseRequired, Verdict::NoLicenseRequired));
        // A board's or a card's classification rule is 4A090's, from its ICs' (3A090).
        let rule = if r.chip.item.composite() { "/4a090." } else { "/3a090." };
        assert!(r.responsible.iter().all(|c| c.id.contains(rule)), "{}: {:?}", r.chip.id, ids(&r.responsible));
    }
}

#[test]
fn the_2026_review_change_for_the_h200() {
    let rs = rules();
    let d = run_diff(&rs, date(2025, 12, 1), date(2026, 2, 1), &["CN"]);
    let row = d.rows.iter().find(|r| r.chip.id == "nvidia-h200-sxm").expect("H200 row");
    assert_eq!(row.changed, vec!["review_policy"]);
    assert_eq!(row.before.review_policy, Some(Policy::PresumptionOfDenial));
    assert_eq!(row.after.review_policy, Some(Policy::CaseByCase));
    assert_eq!(row.before.verdict, Verdict::LicenseRequired);
    assert_eq!(row.after.verdict, Verdict::LicenseRequired);
    assert_eq!(ids(&row.responsible), vec!["us-2026-01/case-by-case-china"]);
    assert!(d.rows.iter().any(|r| r.chip.id == "amd-mi325x"));
    // Above TPP 21,000 or DRAM 6,500 GB/s: still a presumption of denial, so no row.
    for id in ["nvidia-b200", "nvidia-gb200", "amd-mi355x"] {
        assert!(!d.rows.iter().any(|r| r.chip.id == id), "{id} should not change");
    }
}

#[test]
fn diff_in_reverse_lists_the_same_pairs_with_before_and_after_swapped() {
    let rs = rules();
    let fwd = run_diff(&rs, date(2023, 6, 1), date(2024, 1, 15), &["CN", "AE"]);
    let back = run_diff(&rs, date(2024, 1, 15), date(2023, 6, 1), &["CN", "AE"]);
    assert_eq!(fwd.rows.len(), back.rows.len());
    for (f, b) in fwd.rows.iter().zip(&back.rows) {
        assert_eq!((&f.chip.id, &f.destination.code), (&b.chip.id, &b.destination.code));
        assert_eq!((&f.before, &f.after), (&b.after, &b.before));
    }
}

#[test]
fn dates_in_the_same_period_have_no_differences() {
    let rs = rules();
    let d = run_diff(&rs, date(2023, 12, 1), date(2024, 1, 15), &["CN", "HK", "AE", "MO"]);
    assert!(d.rows.is_empty(), "{:#?}", d.rows);
}

#[test]
fn unknown_destinations_are_errors() {
    let rs = rules();
    let req = DiffRequest {
        chips: vec![chip(&rs, "nvidia-h100-sxm")],
        destinations: vec!["XX".into()],
        end_user_hq: None,
        exporter: None,
        ship_from: None,
        exporter_role: None,
        attested_by: &[],
        parties: Default::default(),
        from: START,
        to: END,
    };
    assert!(matches!(diff(&rs, &req), Err(HistoryError::Eval(_))));
}

#[test]
fn countries_the_rules_mention() {
    let rs = rules();
    let c = mentioned_countries(&rs);
    for code in ["CN", "HK", "MO", "AE", "SA", "VN", "NI", "KH", "CU", "IR", "KP", "RU", "BY", "DE", "SG"] {
        assert!(c.iter().any(|x| x == code), "{code} missing from {c:?}");
    }
    let mut sorted = c.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(c, sorted);
    assert!(c.iter().all(|x| rs.countries.by_code(x).is_some()));
}

#[test]
fn changes_between_dates_name_rules_and_group_changes() {
    let rs = rules();
    let ch = changes_between(&rs, date(2023, 11, 16), date(2023, 11, 17), &[]);
    assert!(ch.iter().any(|c| c.id == "us-2022-10/3a090.a" && c.kind == ChangeKind::OutOfForce));
    assert!(ch.iter().any(|c| c.id == "us-2023-10/3a090.a.1" && c.kind == ChangeKind::InForce));
    assert!(ch.iter().all(|c| c.date == Some(date(2023, 11, 17))));
    let ch = changes_between(&rs, date(2024, 1, 1), date(2024, 6, 1), &["NI"]);
    assert!(ch.iter().any(|c| c.kind == ChangeKind::JoinsGroup && c.country.as_deref() == Some("NI") && c.date == Some(date(2024, 3, 15))));
    assert!(changes_between(&rs, date(2023, 12, 1), date(2024, 1, 15), &["CN"]).is_empty());
}

#[test]
fn responsible_rules_for_indeterminate_answers_are_the_ones_the_answer_hinges_on() {
    let rs = rules();
    let d = run_diff(&rs, date(2023, 6, 1), date(2024, 1, 15), &["CN"]);
    // TPU v4 after the 2023 rule: TPP 4,400 and no die area, so .a.2 / .b.1 / .b.2 are unknown.
    let row = d.rows.iter().find(|r| r.chip.id == "google-tpu-v4").unwrap();
    assert_eq!(row.after.verdict, Verdict::Indeterminate);
    let r = ids(&row.responsible);
    for id in ["us-2023-10/3a090.a.2", "us-2023-10/3a090.b.1", "us-2023-10/3a090.b.2", "us-2023-10/destinations"] {
        assert!(r.contains(&id), "{id} missing from {r:?}");
    }
    // The non-datacenter note does not hold for a datacenter chip, and TPP < 4800 rules out .a.1.
    for id in ["us-2023-10/note-non-datacenter", "us-2023-10/3a090.a.1"] {
        assert!(!r.contains(&id), "{id} should not be responsible: {r:?}");
    }
}
