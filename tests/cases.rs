//! Table-driven engine tests: every `tests/cases/*.toml` file is a list of queries with the
//! answers the regulation (shared/reference/regulation.md) gives, checked against the built-in
//! rules. All failing cases are reported together, then the test fails.
//!
//! # Case-file format
//!
//! ```toml
//! [[case]]
//! name = "H800 to China after the October 2023 rule"   # unique within the file
//! # The query: a catalog chip ...
//! chip = "H800"                     # any name `chipgate check` accepts
//! # ... or a hypothetical chip (all optional; `based_on` starts from a catalog chip):
//! # tpp = 4800                     # TPP given directly
//! # throughput = { 8 = 600 }       # dense TOPS by bit length (or precision name), or
//! # throughput = ["8=600", "fp16=300"]  # or per processing unit: ["gpu:8=400", "npu:8=250"]
//! # die_area_mm2 = 800.0, pd = 5.92, datacenter = true, interconnect_gbps = 600.0,
//! # memory_bandwidth_gbps = 4800.0, hbm = true, memory_bandwidth_density = 2.5,
//! # node_nm = 7.0, transistors_billion = 24.0, hbm_stacks = 0.0,
//! # based_on = "H100"
//! to = "CN"                         # destination: code or name ("Hong Kong", "Macau")
//! date = 2024-01-15                 # TOML date or "YYYY-MM-DD"
//! end_user_hq = "CN"                # optional
//! exporter = "Acme Distribution"    # optional (default: the chip's vendor is presumed)
//! ship_from = "SG"                  # optional (default: the jurisdiction, US)
//! exporter_role = "fabricator"      # optional: fabricator | osat | other (default: not given)
//! attested_by = ["approved_osat"]   # optional: the attestations given
//! end_user = "Huawei Technologies"  # optional: screened against the party lists
//! consignee = "Acme Trading"        # optional
//! end_user_owners = "Huawei Technologies=60; Acme Holdings=40"  # optional: or "none"
//! consignee_owners = "none"         # optional (absent: the owners are not known)
//! # Expectations: only the fields given are compared.
//! verdict = "license_required"      # no_license_required | license_exception | license_required
//!                                   # | embargoed | indeterminate
//! eccn = "3A090.a"                  # "none": no ECCN (not classified, or undetermined)
//! license_required = true
//! exceptions = ["NAC"]              # exact list of exception names ([] for none)
//! possible_exceptions = ["ACA"]     # exact list of exceptions offered as "available if …"
//! review_policy = "presumption_of_denial"   # or "none"
//! reasons_include = ["us-2023-10/destinations"]          # rule ids among decision.reasons
//! reasons_exclude = ["us-2023-10/headquarters"]          # rule ids not among them
//! missing_include = ["datacenter"]                       # substrings of decision.missing entries
//! missing_exclude = ["die_area_mm2"]
//! not_enforced_include = ["us-2025-01/worldwide-3a090a"] # rule ids among decision.not_enforced
//! not_enforced_exclude = ["us-2025-01/worldwide-3a090a"]
//! assumptions_include = ["exporter presumed"]             # substrings of decision.assumptions
//! assumptions_exclude = ["exporter presumed"]
//! transaction = "reexport"          # export | reexport | transfer | domestic | import
//! # A computer or an assembly: a catalog one (`chip = "DGX H100"`), or a hypothetical one:
//! # contains = ["H100x8"]          # catalog chips, `CHIP` or `CHIPxN`
//! # item = "assembly"              # ic | assembly | computer (default with `contains`: computer)
//! # described_in = ["5A992.c"]     # other control-list entries it is described in
//! part_eccns = ["3A090.a"]          # the ECCN of each item it contains, in order ("none")
//! ```
//!
//! Unknown keys are errors, so a misspelt expectation cannot pass silently.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chipgate::chip::{Chip, Figure, Resolution, Throughput};
use chipgate::{evaluate, Decision, Query, RuleSet};
use jiff::civil::Date;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    case: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    chip: Option<String>,
    based_on: Option<String>,
    tpp: Option<f64>,
    throughput: Option<toml::Value>,
    die_area_mm2: Option<f64>,
    pd: Option<f64>,
    datacenter: Option<bool>,
    interconnect_gbps: Option<f64>,
    memory_bandwidth_gbps: Option<f64>,
    hbm: Option<bool>,
    memory_bandwidth_density: Option<f64>,
    node_nm: Option<f64>,
    transistors_billion: Option<f64>,
    hbm_stacks: Option<f64>,
    contains: Option<Vec<String>>,
    item: Option<String>,
    described_in: Option<Vec<String>>,
    to: String,
    date: toml::Value,
    end_user_hq: Option<String>,
    exporter: Option<String>,
    ship_from: Option<String>,
    exporter_role: Option<String>,
    attested_by: Option<Vec<String>>,
    end_user: Option<String>,
    consignee: Option<String>,
    end_user_owners: Option<String>,
    consignee_owners: Option<String>,
    assumptions_include: Option<Vec<String>>,
    assumptions_exclude: Option<Vec<String>>,
    transaction: Option<String>,
    verdict: Option<String>,
    eccn: Option<String>,
    license_required: Option<bool>,
    exceptions: Option<Vec<String>>,
    possible_exceptions: Option<Vec<String>>,
    review_policy: Option<String>,
    reasons_include: Option<Vec<String>>,
    reasons_exclude: Option<Vec<String>>,
    missing_include: Option<Vec<String>>,
    missing_exclude: Option<Vec<String>>,
    not_enforced_include: Option<Vec<String>>,
    not_enforced_exclude: Option<Vec<String>>,
    part_eccns: Option<Vec<String>>,
}

impl Case {
    fn has_specs(&self) -> bool {
        self.tpp.is_some()
            || self.throughput.is_some()
            || self.die_area_mm2.is_some()
            || self.pd.is_some()
            || self.datacenter.is_some()
            || self.interconnect_gbps.is_some()
            || self.memory_bandwidth_gbps.is_some()
            || self.hbm.is_some()
            || self.memory_bandwidth_density.is_some()
            || self.node_nm.is_some()
            || self.transistors_billion.is_some()
            || self.hbm_stacks.is_some()
            || self.contains.is_some()
            || self.item.is_some()
            || self.described_in.is_some()
    }

    fn has_expectations(&self) -> bool {
        self.verdict.is_some()
            || self.eccn.is_some()
            || self.license_required.is_some()
            || self.exceptions.is_some()
            || self.possible_exceptions.is_some()
            || self.review_policy.is_some()
            || self.reasons_include.is_some()
            || self.reasons_exclude.is_some()
            || self.assumptions_include.is_some()
            || self.assumptions_exclude.is_some()
            || self.transaction.is_some()
            || self.missing_include.is_some()
            || self.missing_exclude.is_some()
            || self.not_enforced_include.is_some()
            || self.not_enforced_exclude.is_some()
            || self.part_eccns.is_some()
    }
}

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("cases")
}

fn case_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("tests/cases exists")
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

fn resolve<'a>(rs: &'a RuleSet, name: &str) -> Result<&'a Chip, String> {
    match rs.catalog.resolve(name) {
        Resolution::Found(c) => Ok(c),
        Resolution::Ambiguous(c) => Err(format!("chip `{name}` is ambiguous: {:?}", c.iter().map(|c| &c.id).collect::<Vec<_>>())),
        Resolution::Unknown(s) => Err(format!("unknown chip `{name}` (did you mean {s:?}?)")),
    }
}

fn given(v: Option<f64>) -> Option<Figure> {
    v.map(Figure::given)
}

/// The throughput figures of a case, each read as `--throughput` reads it
/// ([`chipgate::request::throughput`]): a table `{ 8 = 600 }` or a list `["gpu:8=400"]`.
fn throughput(v: &toml::Value) -> Result<Vec<Throughput>, String> {
    let read = |s: &str| chipgate::request::throughput(s, "test case").map_err(|e| e.to_string());
    match v {
        toml::Value::Table(t) => t
            .iter()
            .map(|(k, v)| match v {
                toml::Value::Integer(_) | toml::Value::Float(_) => read(&format!("{k}={v}")),
                _ => Err(format!("throughput `{k}` is not a number")),
            })
            .collect(),
        toml::Value::Array(a) => {
            a.iter().map(|x| read(x.as_str().ok_or("throughput list entries must be strings like \"8=600\"")?)).collect()
        }
        _ => Err("throughput must be a table { 8 = 600 } or a list [\"8=600\"]".into()),
    }
}

/// Builds the chip of a case: a catalog chip as-is, or specs (optionally over a base chip).
fn build_chip(rs: &RuleSet, c: &Case) -> Result<(Chip, bool), String> {
    let base = match (&c.chip, &c.based_on) {
        (Some(_), Some(_)) => return Err("give `chip` or `based_on`, not both".into()),
        (Some(n), None) if c.has_specs() => return Err(format!("`chip = \"{n}\"` with spec fields: use `based_on`")),
        (Some(n), None) => return Ok((resolve(rs, n)?.clone(), false)),
        (None, Some(n)) => resolve(rs, n)?.clone(),
        (None, None) => Chip { id: "hypothetical".into(), name: "hypothetical chip".into(), ..Chip::default() },
    };
    if !c.has_specs() {
        return Err("no chip: give `chip`, or spec fields such as `tpp`".into());
    }
    let mut chip = base;
    if let Some(t) = &c.throughput {
        chip.throughput = throughput(t)?;
        chip.tpp = None;
    }
    if c.tpp.is_some() {
        chip.tpp = given(c.tpp);
    }
    if c.die_area_mm2.is_some() {
        chip.die_area_mm2 = given(c.die_area_mm2);
        chip.pd = None;
    }
    if c.pd.is_some() {
        chip.pd = given(c.pd);
    }
    if c.datacenter.is_some() {
        chip.datacenter = c.datacenter;
    }
    if c.interconnect_gbps.is_some() {
        chip.interconnect_gbps = given(c.interconnect_gbps);
    }
    if c.memory_bandwidth_gbps.is_some() {
        chip.memory_bandwidth_gbps = given(c.memory_bandwidth_gbps);
    }
    if let Some(h) = c.hbm {
        chip.hbm = h;
    }
    if c.memory_bandwidth_density.is_some() {
        chip.memory_bandwidth_density = given(c.memory_bandwidth_density);
    }
    for (m, v) in [
        (chipgate::chip::Metric::NodeNm, c.node_nm),
        (chipgate::chip::Metric::TransistorsBillion, c.transistors_billion),
        (chipgate::chip::Metric::HbmStacks, c.hbm_stacks),
    ] {
        if v.is_some() {
            chip.set_figure(m, given(v));
        }
    }
    // What a computer or an assembly contains, through the request's own reading (as `check
    // --item/--contains/--described-in` and the audit's columns read them).
    let composite = chipgate::request::Check {
        item: c.item.clone(),
        contains: c.contains.clone().unwrap_or_default(),
        described_in: c.described_in.clone().unwrap_or_default(),
        ..Default::default()
    };
    if c.item.is_some() || c.contains.is_some() || c.described_in.is_some() {
        let blank = c.chip.is_none() && c.based_on.is_none();
        composite.make_composite(rs, &mut chip, blank).map_err(|e| e.to_string())?;
    }
    Ok((chip, true))
}

fn date(v: &toml::Value) -> Result<Date, String> {
    let s = match v {
        toml::Value::Datetime(d) => d.to_string(),
        toml::Value::String(s) => s.clone(),
        other => return Err(format!("date must be a date, got `{other}`")),
    };
    s.parse::<Date>().map_err(|e| format!("invalid date `{s}`: {e}"))
}

fn country(rs: &RuleSet, name: &str) -> Result<String, String> {
    rs.countries.resolve(name).map(|c| c.code.clone()).ok_or_else(|| format!("unknown country `{name}`"))
}

/// Compares a decision with a case's expectations; one message per mismatch.
fn compare(c: &Case, d: &Decision) -> Vec<String> {
    let mut bad = Vec::new();
    let mut check = |field: &str, expected: String, actual: String| {
        if expected != actual {
            bad.push(format!("{field}: expected `{expected}`, got `{actual}`"));
        }
    };
    if let Some(v) = &c.verdict {
        check("verdict", v.clone(), d.verdict.as_str().to_string());
    }
    if let Some(e) = &c.eccn {
        check("eccn", e.clone(), d.eccn.clone().unwrap_or_else(|| "none".into()));
    }
    if let Some(l) = c.license_required {
        check("license_required", l.to_string(), d.license_required.map_or("null".into(), |b| b.to_string()));
    }
    if let Some(x) = &c.exceptions {
        let mut want = x.clone();
        want.sort();
        let mut got: Vec<String> = d.exceptions.iter().map(|e| e.name.clone()).collect();
        got.sort();
        check("exceptions", format!("{want:?}"), format!("{got:?}"));
    }
    if let Some(x) = &c.possible_exceptions {
        let mut want = x.clone();
        want.sort();
        let mut got: Vec<String> = d.possible_exceptions.iter().map(|e| e.name.clone()).collect();
        got.sort();
        check("possible_exceptions", format!("{want:?}"), format!("{got:?}"));
    }
    if let Some(want) = &c.part_eccns {
        let got: Vec<String> = d.contains.iter().map(|p| p.eccn.clone().unwrap_or_else(|| "none".into())).collect();
        check("part_eccns", format!("{want:?}"), format!("{got:?}"));
    }
    if let Some(t) = &c.transaction {
        check("transaction", t.clone(), d.transaction.name().to_string());
    }
    if let Some(r) = &c.review_policy {
        check("review_policy", r.clone(), d.review_policy.as_ref().map_or("none".into(), |p| p.policy.name().to_string()));
    }
    let ids = |v: &[chipgate::eval::Reason]| v.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
    let reasons = ids(&d.reasons);
    let not_enforced = ids(&d.not_enforced);
    let mut contains = |field: &str, want: &Option<Vec<String>>, have: &[String], present: bool, substring: bool| {
        for w in want.iter().flatten() {
            let found = have.iter().any(|h| if substring { h.contains(w.as_str()) } else { h == w });
            if found != present {
                let how = if present { "missing" } else { "unexpected" };
                bad.push(format!("{field}: {how} `{w}` (have {have:?})"));
            }
        }
    };
    contains("reasons_include", &c.reasons_include, &reasons, true, false);
    contains("reasons_exclude", &c.reasons_exclude, &reasons, false, false);
    let missing: Vec<String> = d.missing.iter().map(ToString::to_string).collect();
    contains("missing_include", &c.missing_include, &missing, true, true);
    contains("missing_exclude", &c.missing_exclude, &missing, false, true);
    contains("not_enforced_include", &c.not_enforced_include, &not_enforced, true, false);
    contains("not_enforced_exclude", &c.not_enforced_exclude, &not_enforced, false, false);
    let assumptions: Vec<String> = d.assumptions.iter().map(ToString::to_string).collect();
    contains("assumptions_include", &c.assumptions_include, &assumptions, true, true);
    contains("assumptions_exclude", &c.assumptions_exclude, &assumptions, false, true);
    bad
}

fn summary(d: &Decision) -> String {
    format!(
        "actual: verdict={} eccn={} exceptions={:?} review={} reasons={:?} missing={:?}",
        d.verdict,
        d.eccn.as_deref().unwrap_or("none"),
        d.exceptions.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
        d.review_policy.as_ref().map_or("none", |p| p.policy.name()),
        d.reasons.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        d.missing,
    )
}

/// Runs one case; `Err` carries every problem found.
fn run_case(rs: &RuleSet, c: &Case) -> Result<(), String> {
    if !c.has_expectations() {
        return Err("no expectation given (verdict, eccn, …)".into());
    }
    let (chip, hypothetical) = build_chip(rs, c)?;
    let dest = country(rs, &c.to)?;
    let hq = c.end_user_hq.as_deref().map(|h| country(rs, h)).transpose()?;
    let from = c.ship_from.as_deref().map(|f| country(rs, f)).transpose()?;
    let owners = |o: &Option<String>| o.as_deref().map(chipgate::parties::parse_owners).transpose();
    let (eu, co) = (owners(&c.end_user_owners)?, owners(&c.consignee_owners)?);
    let exporter_role =
        c.exporter_role.as_deref().map(|r| chipgate::rules::ExporterRole::parse(r).ok_or(format!("unknown role `{r}`"))).transpose()?;
    let attested_by = c
        .attested_by
        .iter()
        .flatten()
        .map(|a| chipgate::rules::Attestation::parse(a).ok_or(format!("unknown attestation `{a}`")))
        .collect::<Result<Vec<_>, _>>()?;
    let q = Query {
        chip: &chip,
        hypothetical,
        destination: &dest,
        date: date(&c.date)?,
        end_user_hq: hq.as_deref(),
        exporter: c.exporter.as_deref(),
        ship_from: from.as_deref(),
        exporter_role,
        attested_by: &attested_by,
        parties: chipgate::eval::Parties {
            end_user: c.end_user.as_deref(),
            consignee: c.consignee.as_deref(),
            end_user_owners: eu.as_deref(),
            consignee_owners: co.as_deref(),
        },
    };
    let d = evaluate(rs, &q).map_err(|e| e.to_string())?;
    let mut bad = compare(c, &d);
    // Without the trace, the same answer.
    let mut traced = d.clone();
    (traced.trace, traced.margins, traced.evaluated) = (Vec::new(), Vec::new(), Vec::new());
    if rs.period(q.date).decide(&q, chipgate::eval::Options::UNTRACED).ok().as_ref() != Some(&traced) {
        bad.push("the untraced evaluation gives another answer".to_string());
    }
    bad.extend(tree_faults(&d));
    // The classification stage alone gives the decision's classification, but where a
    // presumption (which reads the exporter) replaced it, or may, and added its ECCN.
    let class = rs.period(q.date).classify(q.chip, chipgate::eval::Options::UNTRACED);
    let candidates: Vec<Option<String>> = d.eccn_candidates.iter().map(|c| c.eccn.clone()).collect();
    let staged: Vec<Option<String>> = class.possible.iter().map(|(e, _)| e.clone()).collect();
    let presumed = d.reasons.iter().any(|r| r.kind == chipgate::eval::ReasonKind::Presumption)
        || (candidates.len() == staged.len() + 1 && candidates.starts_with(&staged));
    if !presumed
        && ((candidates.is_empty() && (!class.determined() || class.eccn() != d.eccn.as_deref()))
            || (!candidates.is_empty() && staged != candidates))
    {
        bad.push(format!("the classification stage gives {staged:?}, the decision {:?} / {candidates:?}", d.eccn));
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(format!("{}\n      {}", bad.join("\n      "), summary(&d)))
    }
}

#[test]
fn builtin_rules_answer_every_case() {
    let rs = RuleSet::builtin().expect("built-in rules load");
    let files = case_files();
    assert!(!files.is_empty(), "no case files in {}", cases_dir().display());
    let mut failures = String::new();
    let mut total = 0;
    let mut failed = 0;
    for path in &files {
        let shown = path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(path).display().to_string();
        let text = std::fs::read_to_string(path).expect("case file is readable");
        let file: File = match toml::from_str(&text) {
            Ok(f) => f,
            Err(e) => {
                failed += 1;
                let _ = writeln!(failures, "{shown}: cannot parse: {e}");
                continue;
            }
        };
        let mut names: BTreeMap<&str, usize> = BTreeMap::new();
        for c in &file.case {
            *names.entry(c.name.as_str()).or_default() += 1;
        }
        for (n, k) in names.iter().filter(|(_, k)| **k > 1) {
            failed += 1;
            let _ = writeln!(failures, "{shown}: case name \"{n}\" used {k} times");
        }
        for c in &file.case {
            total += 1;
            if let Err(e) = run_case(&rs, c) {
                failed += 1;
                let when = date(&c.date).map_or_else(|e| e, |d| d.to_string());
                let _ = writeln!(failures, "{shown}: case \"{}\" ({} → {} on {when}):\n      {e}", c.name, chip_label(c), c.to);
            }
        }
    }
    eprintln!("{total} cases in {} files", files.len());
    assert!(failed == 0, "{failed} of {total} cases failed:\n{failures}");
}

fn chip_label(c: &Case) -> String {
    match (&c.chip, &c.based_on) {
        (Some(n), _) => n.clone(),
        (None, Some(b)) => format!("based on {b}"),
        (None, None) => "hypothetical".into(),
    }
}

/// What is wrong with a decision's trace tree: a combination whose truth is not the Kleene
/// combination of its operands', or a flat trace that is not the tree's tests in order (walked
/// here, depth first, not by the library's own iterator).
fn tree_faults(d: &chipgate::Decision) -> Vec<String> {
    use chipgate::eval::{TraceNode, Truth};
    fn check(node: &TraceNode, rule: &str, bad: &mut Vec<String>) {
        let kleene = |of: &[TraceNode], decisive: Truth, otherwise: Truth| {
            let results: Vec<Truth> = of.iter().map(TraceNode::result).collect();
            if results.contains(&decisive) {
                decisive
            } else if results.contains(&Truth::Unknown) {
                Truth::Unknown
            } else {
                otherwise
            }
        };
        let expected = match node {
            TraceNode::All { of, .. } => kleene(of, Truth::False, Truth::True),
            TraceNode::Any { of, .. } => kleene(of, Truth::True, Truth::False),
            TraceNode::Not { of, .. } => match of.result() {
                Truth::True => Truth::False,
                Truth::False => Truth::True,
                Truth::Unknown => Truth::Unknown,
            },
            TraceNode::Const { result } | TraceNode::Test(chipgate::eval::Test { result, .. }) => *result,
        };
        if expected != node.result() {
            bad.push(format!("{rule}: a node of the trace is {:?} where its operands make it {expected:?}", node.result()));
        }
        match node {
            TraceNode::All { of, .. } | TraceNode::Any { of, .. } => of.iter().for_each(|n| check(n, rule, bad)),
            TraceNode::Not { of, .. } => check(of, rule, bad),
            TraceNode::Const { .. } | TraceNode::Test(_) => {}
        }
    }
    let mut bad = Vec::new();
    if d.evaluated.is_empty() {
        bad.push("a traced decision evaluated no rule".to_string());
    }
    fn leaves<'a>(node: &'a TraceNode, into: &mut Vec<&'a chipgate::eval::Test>) {
        match node {
            TraceNode::All { of, .. } | TraceNode::Any { of, .. } => of.iter().for_each(|n| leaves(n, into)),
            TraceNode::Not { of, .. } => leaves(of, into),
            TraceNode::Const { .. } => {}
            TraceNode::Test(t) => into.push(t),
        }
    }
    let mut flat = Vec::new();
    for r in &d.evaluated {
        check(&r.when, &r.rule, &mut bad);
        let mut tests = Vec::new();
        leaves(&r.when, &mut tests);
        if !tests.iter().copied().eq(r.tests()) {
            bad.push(format!("{}: RuleTrace::tests is not its tests depth first", r.rule));
        }
        flat.extend(tests.into_iter().map(|t| chipgate::eval::TraceEntry {
            rule: r.rule.clone(),
            assuming_eccn: r.assuming_eccn.clone(),
            item: r.item.clone(),
            metric: t.metric,
            op: t.op,
            threshold: t.threshold.clone(),
            actual: t.actual.clone(),
            result: t.result,
        }));
    }
    if flat != d.trace {
        bad.push("the flat trace is not the tree's tests in order".to_string());
    }
    bad
}
