//! Invariants of the engine on the built-in rules, over generated chips, destinations, dates and
//! headquarters:
//!
//! - More TPP never lowers control. Precisely: for a logic IC (not a standalone HBM stack) with
//!   every other figure, the datacenter flag, the destination, the date and the headquarters
//!   fixed, raising TPP (a) never turns "license required" (true) into "no license" (false);
//!   (b) never lowers the verdict's severity (no license < exception < license < embargo) when
//!   both answers are determinate; (c) never lowers the ECCN tier (none < 3A090.b < 3A090.a)
//!   when the datacenter flag is known. This holds across the datacenter note because the note
//!   only releases items *below* TPP 4800: a non-datacenter item goes from "outside 3A090" to
//!   3A090.a with NAC/ACA, which is more control, not less. It does NOT hold across a change of
//!   the datacenter flag (a datacenter item at TPP 4799 with PD 20 is 3A090.a; a non-datacenter
//!   one at TPP 4800 only needs NAC), nor for an HBM stack given a TPP, where 3A090.b takes
//!   precedence over 3A090.c and NAC can replace an HBM license: neither is generated here.
//! - Results for a date never depend on rules that take effect later.
//! - Evaluation never panics on finite specs, and its decision always serialises.

use chipgate::chip::{Chip, Figure, Precision, Throughput};
use chipgate::{evaluate, Decision, Query, RuleSet, Verdict};
use jiff::civil::Date;
use proptest::prelude::*;
use proptest::test_runner::Config;
use std::sync::OnceLock;

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| RuleSet::builtin().expect("built-in rules load"))
}

fn config(cases: u32) -> Config {
    Config { cases, failure_persistence: None, ..Config::default() }
}

/// Destinations that exercise every group: A:5, A:6, D:1, D:4, D:5, E:1, E:2, Macau, Hong Kong,
/// the dated members (NI, KH), and ordinary countries.
const PLACES: [&str; 22] =
    ["CN", "HK", "MO", "VN", "AE", "SA", "IL", "SG", "DE", "JP", "IN", "BR", "US", "AF", "NI", "KH", "RU", "BY", "CU", "IR", "KP", "SY"];

/// A day between 2021-06-01 and 2027-06-01, so every change date has both sides.
fn day() -> impl Strategy<Value = Date> {
    (0i32..2191).prop_map(|n| Date::new(2021, 6, 1).expect("valid date").checked_add(jiff::Span::new().days(n)).expect("in range"))
}

fn place() -> impl Strategy<Value = &'static str> {
    prop::sample::select(&PLACES[..])
}

fn hq() -> impl Strategy<Value = Option<&'static str>> {
    prop::option::weighted(0.3, place())
}

fn fig(v: Option<f64>) -> Option<Figure> {
    v.map(Figure::given)
}

/// How performance density is known: given directly, from a die area, or not at all.
#[derive(Debug, Clone, Copy)]
enum Density {
    Pd(f64),
    Die(f64),
    Unknown,
}

/// Everything about a logic IC except its TPP.
#[derive(Debug, Clone)]
struct Specs {
    density: Density,
    datacenter: Option<bool>,
    interconnect: Option<f64>,
    dram: Option<f64>,
}

impl Specs {
    fn chip(&self, tpp: f64) -> Chip {
        let (pd, die) = match self.density {
            Density::Pd(p) => (Some(p), None),
            Density::Die(d) => (None, Some(d)),
            Density::Unknown => (None, None),
        };
        Chip {
            id: "hypothetical".into(),
            name: "hypothetical chip".into(),
            tpp: Some(Figure::given(tpp)),
            pd: fig(pd),
            die_area_mm2: fig(die),
            datacenter: self.datacenter,
            interconnect_gbps: fig(self.interconnect),
            memory_bandwidth_gbps: fig(self.dram),
            ..Chip::default()
        }
    }
}

/// Values cluster around the thresholds so boundaries are crossed often.
fn near(points: &'static [f64], span: f64, max: f64) -> impl Strategy<Value = f64> {
    prop_oneof![prop::sample::select(points).prop_flat_map(move |p| (p - span)..(p + span)).prop_map(|x: f64| x.max(0.0)), 0.0..max]
}

fn specs() -> impl Strategy<Value = Specs> {
    let density = prop_oneof![
        near(&[1.6, 3.2, 5.92], 0.5, 30.0).prop_map(Density::Pd),
        (100.0..1500.0f64).prop_map(Density::Die),
        Just(Density::Unknown),
    ];
    let datacenter = prop_oneof![Just(Some(true)), Just(Some(false)), Just(None)];
    let interconnect = prop::option::weighted(0.8, near(&[600.0], 100.0, 2000.0));
    let dram = prop::option::weighted(0.8, near(&[6500.0], 500.0, 10000.0));
    (density, datacenter, interconnect, dram).prop_map(|(density, datacenter, interconnect, dram)| Specs {
        density,
        datacenter,
        interconnect,
        dram,
    })
}

fn tpp() -> impl Strategy<Value = f64> {
    near(&[1600.0, 2400.0, 4800.0, 21000.0], 300.0, 60000.0)
}

fn ask(chip: &Chip, destination: &str, date: Date, end_user_hq: Option<&str>) -> Decision {
    evaluate(
        rules(),
        &Query {
            chip,
            hypothetical: true,
            destination,
            date,
            end_user_hq,
            exporter: None,
            ship_from: None,
            exporter_role: None,
            attested_by: &[],
            parties: Default::default(),
        },
    )
    .expect("known countries evaluate")
}

fn severity(v: Verdict) -> Option<u8> {
    match v {
        Verdict::NoLicenseRequired => Some(0),
        Verdict::LicenseException => Some(1),
        Verdict::LicenseRequired => Some(2),
        Verdict::Embargoed => Some(3),
        Verdict::Indeterminate => None,
    }
}

fn tier(d: &Decision) -> Option<u8> {
    if d.verdict == Verdict::Indeterminate && d.eccn.is_none() {
        return None;
    }
    match d.eccn.as_deref() {
        None => Some(0),
        Some("3A090.b") => Some(1),
        Some("3A090.a") => Some(2),
        Some(_) => None,
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn more_tpp_never_lowers_control(
        specs in specs(),
        low in tpp(),
        extra in prop_oneof![0.01..10.0f64, 0.0..40000.0],
        to in place(),
        date in day(),
        hq in hq(),
    ) {
        let high = low + extra;
        let a = ask(&specs.chip(low), to, date, hq);
        let b = ask(&specs.chip(high), to, date, hq);
        let context = || format!("tpp {low} -> {high}: {} -> {}", a.verdict, b.verdict);
        prop_assert!(!(a.license_required == Some(true) && b.license_required == Some(false)), "license dropped: {}", context());
        if let (Some(x), Some(y)) = (severity(a.verdict), severity(b.verdict)) {
            prop_assert!(y >= x, "verdict lowered: {}", context());
        }
        if specs.datacenter.is_some() {
            if let (Some(x), Some(y)) = (tier(&a), tier(&b)) {
                prop_assert!(y >= x, "ECCN lowered: {:?} -> {:?} ({})", a.eccn, b.eccn, context());
            }
        }
    }
}

/// The built-in rules without those that take effect after `date`.
fn rules_known_on(date: Date) -> RuleSet {
    let mut rs = rules().clone();
    rs.rules.retain(|r| r.effective.is_none_or(|e| e <= date));
    rs
}

fn catalog_chip() -> impl Strategy<Value = Chip> {
    let n = rules().catalog.len();
    (0..n).prop_map(|i| rules().catalog.get(i).cloned().expect("index in range"))
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn later_rules_never_change_an_earlier_date(
        chip in prop_oneof![catalog_chip(), (specs(), tpp()).prop_map(|(s, t)| s.chip(t))],
        to in place(),
        date in day(),
        hq in hq(),
    ) {
        let known = rules_known_on(date);
        prop_assert!(known.rules.len() <= rules().rules.len());
        let q = Query { chip: &chip, hypothetical: false, destination: to, date, end_user_hq: hq, exporter: None, ship_from: None, exporter_role: None, attested_by: &[], parties: Default::default()};
        let full = evaluate(rules(), &q).expect("evaluates");
        let then = evaluate(&known, &q).expect("evaluates");
        prop_assert_eq!(full, then);
    }
}

fn finite() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(0.0),
        Just(-0.0),
        Just(f64::MIN_POSITIVE),
        Just(f64::MAX),
        Just(f64::MIN),
        -1e6..1e6f64,
        prop::num::f64::POSITIVE | prop::num::f64::NEGATIVE | prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL | prop::num::f64::ZERO,
    ]
}

fn any_chip() -> impl Strategy<Value = Chip> {
    let opt = || prop::option::of(finite());
    let throughput = prop::collection::vec((0u32..200, finite()), 0..4);
    (
        (opt(), throughput, opt(), opt(), prop::option::of(any::<bool>())),
        (opt(), opt(), opt(), any::<bool>(), opt(), opt()),
        prop::option::of(catalog_chip()),
    )
        .prop_map(|((tpp, tp, die, pd, dc), (ic, dram, mbd, hbm, mem, tdp), base)| {
            let mut c = base.unwrap_or_else(|| Chip { id: "hypothetical".into(), ..Chip::default() });
            if !tp.is_empty() {
                c.throughput = tp
                    .into_iter()
                    .map(|(b, t)| Throughput {
                        precision: Precision::Bits(b),
                        tops: t,
                        source: "proptest".into(),
                        confidence: None,
                        unit: None,
                    })
                    .collect();
            }
            c.tpp = fig(tpp).or(c.tpp);
            c.die_area_mm2 = fig(die).or(c.die_area_mm2);
            c.pd = fig(pd);
            c.datacenter = dc;
            c.interconnect_gbps = fig(ic);
            c.memory_bandwidth_gbps = fig(dram);
            c.memory_bandwidth_density = fig(mbd);
            c.hbm = hbm;
            c.memory_gb = fig(mem);
            c.tdp_w = fig(tdp);
            c
        })
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn evaluation_never_panics_on_finite_specs(
        chip in any_chip(),
        to in prop_oneof![9 => place(), 1 => Just("ZZ")],
        date in prop_oneof![day(), (-2000i16..9000, 1i8..13, 1i8..29).prop_map(|(y, m, d)| Date::new(y, m, d).expect("valid date"))],
        hq in prop::option::weighted(0.3, prop_oneof![9 => place(), 1 => Just("ZZ")]),
    ) {
        let q = Query { chip: &chip, hypothetical: true, destination: to, date, end_user_hq: hq, exporter: None, ship_from: None, exporter_role: None, attested_by: &[], parties: Default::default()};
        match evaluate(rules(), &q) {
            Ok(d) => {
                prop_assert!(serde_json::to_string(&d).is_ok());
                prop_assert_eq!(d.license_required.is_none(), d.verdict == Verdict::Indeterminate);
            }
            Err(e) => prop_assert!(to == "ZZ" || hq == Some("ZZ"), "unexpected error {}", e),
        }
    }
}
