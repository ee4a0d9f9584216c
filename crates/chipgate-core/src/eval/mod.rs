//! `evaluate(&RuleSet, &Query) -> Decision`: a pure function of the checked rules and the
//! query (no I/O, no clock). Classification first, then licensing under each classification
//! the data leaves possible; answers that differ across those make the verdict indeterminate.

use std::collections::{BTreeSet, HashMap, HashSet};

use jiff::civil::Date;

use crate::chip::{Chip, Metrics};
use crate::parties::Owner;
use crate::rules::cond::Op;
use crate::rules::{Cond, Policy, Rule, RuleKind, RuleSet};

mod decision;
pub mod signature;

pub use decision::*;

/// A question: may this chip go to this destination on this date?
#[derive(Debug, Clone)]
pub struct Query<'a> {
    /// The chip (catalog entry or hypothetical).
    pub chip: &'a Chip,
    /// Whether the chip was specified or modified by the user.
    pub hypothetical: bool,
    /// Destination country code.
    pub destination: &'a str,
    /// Date the shipment happens.
    pub date: Date,
    /// Country where the end user (or its ultimate parent) is headquartered, if known.
    pub end_user_hq: Option<&'a str>,
    /// Who exports, if known: an is-informed letter binds only the exporter it was sent to.
    /// Absent, the chip's vendor is presumed to be the exporter.
    pub exporter: Option<&'a str>,
    /// The country code the item ships from; absent, the rules' jurisdiction (an export).
    pub ship_from: Option<&'a str>,
    /// What the exporter is (a front-end fabricator, an OSAT company, another); absent, none
    /// of the roles a rule names (the answer says so where a rule would bind such an exporter).
    pub exporter_role: Option<crate::rules::ExporterRole>,
    /// The attestations given for the item (see [`crate::rules::Attestation`]).
    pub attested_by: &'a [crate::rules::Attestation],
    /// The parties to screen against the rules' party lists (the Entity List…); none named,
    /// none screened.
    pub parties: Parties<'a>,
}

/// The parties of a transaction, by name, as given, with what is known of their owners.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Parties<'a> {
    /// The end user.
    pub end_user: Option<&'a str>,
    /// The consignee (who receives the item, when not the end user).
    pub consignee: Option<&'a str>,
    /// The end user's owners (see [`crate::parties::parse_owners`]): none, not known; empty,
    /// no owner to give.
    pub end_user_owners: Option<&'a [Owner]>,
    /// The consignee's owners, the same way.
    pub consignee_owners: Option<&'a [Owner]>,
}

impl<'a> Parties<'a> {
    /// The parties named, with their roles (blank names are none).
    pub fn named(&self) -> impl Iterator<Item = (&'static str, &'a str)> {
        self.with_owners().map(|(role, name, _)| (role, name))
    }

    /// The parties named, with their roles and what is known of their owners.
    pub fn with_owners(&self) -> impl Iterator<Item = (&'static str, &'a str, Option<&'a [Owner]>)> {
        [("end_user", self.end_user, self.end_user_owners), ("consignee", self.consignee, self.consignee_owners)]
            .into_iter()
            .filter_map(|(role, n, o)| n.map(str::trim).filter(|n| !n.is_empty()).map(|n| (role, n, o)))
    }
}

/// A name screened against the party lists, with the listed parties it may be; for an owner
/// of a party, its share.
#[derive(Debug, Clone)]
struct Screened<'a> {
    role: &'static str,
    name: &'a str,
    hits: Vec<crate::parties::Hit>,
    /// The owner's share (percent), if an owner and known.
    share: Option<f64>,
}

/// A party named, with its owners screened; `stated` false when they are not known.
#[derive(Debug, Clone)]
struct Owned<'a> {
    role: &'static str,
    stated: bool,
    owners: Vec<Screened<'a>>,
}

/// The role of an owner of a party of `role`.
fn owner_role(role: &str) -> &'static str {
    if role == "consignee" {
        "consignee_owner"
    } else {
        "end_user_owner"
    }
}

/// Why a query could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvalError {
    /// The country code is not in the rule set.
    UnknownCountry(String),
    /// A query was put to the rules of another date ([`Period::decide`]).
    OtherDate {
        /// The period's date.
        period: Date,
        /// The query's.
        query: Date,
    },
}

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EvalError::UnknownCountry(c) => write!(f, "unknown country `{c}`"),
            EvalError::OtherDate { period, query } => write!(f, "a query of {query} put to the rules in force on {period}"),
        }
    }
}

impl std::error::Error for EvalError {}

/// The most unknown conditions enumerated when classifying; beyond it every ECCN is possible.
const MAX_UNKNOWN: usize = 10;

struct Ctx<'a> {
    rs: &'a RuleSet,
    metrics: &'a Metrics,
    chip: &'a Chip,
    /// What a computer or assembly contains, classified.
    parts: &'a [PartClass],
    dest: Vec<&'a str>,
    hq: Vec<&'a str>,
    /// The ship-from country's codes (with what it is treated as), and the kind of transaction.
    ship_from: Vec<&'a str>,
    transaction: crate::rules::Transaction,
    date: Date,
    eccn: Option<&'a str>,
    /// The ECCN whose licensing `eccn` takes ([`RuleSet::licensed_as`]), looked up once per
    /// classification rather than at every `eccn in [...]` test.
    licensed_as: Option<&'a str>,
    /// With the trace: the nodes of the condition being evaluated, each combination's operands
    /// above it until it is built; and the rules evaluated.
    nodes: Vec<TraceNode>,
    evaluated: Vec<RuleTrace>,
    /// Whether to record the trace (and so the margins).
    tracing: bool,
    missing: BTreeSet<Missing>,
    rule: &'a str,
    /// The exporter as given, or else the chip's vendor (presumed), or neither.
    exporter: Exporter<'a>,
    /// Whether a requirement that holds rests on the presumed exporter; whether one would hold
    /// had the chip (of no vendor) an exporter its letter names.
    presumed: bool,
    unnamed: bool,
    /// Exporter tests answer this instead, when set (to ask whether a letter would bind the
    /// exporter it names).
    force_exporter: Option<bool>,
    /// What the exporter is, as given, and the attestations given for the item.
    role: Option<crate::rules::ExporterRole>,
    attested_by: &'a [crate::rules::Attestation],
    /// Role tests answer this instead, when set (to ask whether a presumption would bind an
    /// exporter of the role it names).
    force_role: Option<bool>,
    /// The parties screened (end user, consignee).
    parties: Vec<Screened<'a>>,
    /// The parties named, with their owners screened.
    owned: Vec<Owned<'a>>,
}

/// Who the exporter is taken to be: as given; else the chip's vendor; else (a hypothetical
/// chip of no vendor) no party a letter could have been sent to, which the answer says.
#[derive(Clone, Copy)]
enum Exporter<'a> {
    Given(&'a str),
    Presumed(&'a str),
    Unnamed,
}

impl<'a> Exporter<'a> {
    /// The exporter as given (blank: none), else the chip's vendor.
    fn of(given: Option<&'a str>, vendor: &'a str) -> Exporter<'a> {
        match (given.map(str::trim).filter(|e| !e.is_empty()), vendor.trim()) {
            (Some(e), _) => Exporter::Given(e),
            (None, "") => Exporter::Unnamed,
            (None, v) => Exporter::Presumed(v),
        }
    }

    fn name(self) -> Option<&'a str> {
        match self {
            Exporter::Given(e) | Exporter::Presumed(e) => Some(e),
            Exporter::Unnamed => None,
        }
    }

    /// The exporter the query named, trimmed; none when it was presumed or unnamed.
    fn given(self) -> Option<&'a str> {
        match self {
            Exporter::Given(e) => Some(e),
            Exporter::Presumed(_) | Exporter::Unnamed => None,
        }
    }
}

impl<'a> Ctx<'a> {
    /// A context for a chip on a date, for no transaction yet: no destination, end user or
    /// ship-from, an export by no exporter named.
    fn new(rs: &'a RuleSet, metrics: &'a Metrics, chip: &'a Chip, parts: &'a [PartClass], date: Date, tracing: bool) -> Ctx<'a> {
        Ctx {
            rs,
            metrics,
            chip,
            parts,
            dest: Vec::new(),
            hq: Vec::new(),
            ship_from: Vec::new(),
            transaction: crate::rules::Transaction::Export,
            date,
            eccn: None,
            licensed_as: None,
            nodes: Vec::new(),
            evaluated: Vec::new(),
            tracing,
            missing: BTreeSet::new(),
            rule: "",
            exporter: Exporter::Unnamed,
            presumed: false,
            unnamed: false,
            force_exporter: None,
            role: None,
            attested_by: &[],
            force_role: None,
            parties: Vec::new(),
            owned: Vec::new(),
        }
    }

    /// Records a node of the trace: `build` makes it from the nodes of its operands, those
    /// recorded since the stack held `mark` nodes.
    fn record(&mut self, mark: usize, build: impl FnOnce(Vec<TraceNode>) -> TraceNode) {
        if self.tracing {
            let of = self.nodes.split_off(mark.min(self.nodes.len()));
            let node = build(of);
            self.nodes.push(node);
        }
    }

    fn eval(&mut self, c: &Cond) -> Truth {
        let result = match c {
            Cond::Const(b) => {
                let result = truth(*b);
                self.record(self.nodes.len(), |_| TraceNode::Const { result });
                return result;
            }
            Cond::And(v) => {
                let mark = self.nodes.len();
                let result = self.combine(v, Truth::False, Truth::True);
                self.record(mark, |of| TraceNode::All { result, of });
                return result;
            }
            Cond::Or(v) => {
                let mark = self.nodes.len();
                let result = self.combine(v, Truth::True, Truth::False);
                self.record(mark, |of| TraceNode::Any { result, of });
                return result;
            }
            Cond::Not(x) => {
                let mark = self.nodes.len();
                let result = match self.eval(x) {
                    Truth::True => Truth::False,
                    Truth::False => Truth::True,
                    Truth::Unknown => Truth::Unknown,
                };
                // Its operand is one node (every condition records one).
                self.record(mark, |of| match <[TraceNode; 1]>::try_from(of) {
                    Ok([of]) => TraceNode::Not { result, of: Box::new(of) },
                    Err(_) => TraceNode::Const { result },
                });
                return result;
            }
            Cond::Cmp { metric, op, value } => match self.metrics.get(*metric) {
                Some(a) => truth(op.apply(a, *value)),
                None => {
                    self.missing.insert(Missing::Metric(*metric));
                    Truth::Unknown
                }
            },
            Cond::Flag(f) => match self.metrics.flag(*f) {
                Some(b) => truth(b),
                None => {
                    self.missing.insert(Missing::Flag(*f));
                    Truth::Unknown
                }
            },
            Cond::Eccn(list) => truth(self.eccn.is_some_and(|e| crate::rules::eccn_listed(e, self.licensed_as, list))),
            Cond::Chip(list) => truth(list.iter().any(|x| x == &self.chip.id || PartClass::any_id(self.parts, x))),
            Cond::Item(list) => truth(list.contains(&self.chip.item)),
            Cond::DescribedIn(list) => truth(self.chip.described_in_any(list)),
            Cond::Contains(list) => self.contains(list),
            Cond::Destination { set, .. } => truth(self.rs.in_set(set, &self.dest, self.date)),
            Cond::EndUserHq { set, .. } => truth(self.rs.in_set(set, &self.hq, self.date)),
            Cond::Exporter(list) => match (self.force_exporter, self.exporter) {
                (Some(b), _) => truth(b),
                (None, e) => truth(e.name().is_some_and(|n| list.iter().any(|x| crate::rules::same_party(x, n)))),
            },
            Cond::ShipFrom { set, .. } => truth(self.rs.in_set(set, &self.ship_from, self.date)),
            Cond::Transaction(list) => truth(list.contains(&self.transaction)),
            Cond::ExporterRole(list) => match (self.force_role, self.role) {
                (Some(b), _) => truth(b),
                (None, r) => truth(r.is_some_and(|r| list.contains(&r))),
            },
            Cond::AttestedBy(list) => truth(self.attested_by.iter().any(|a| list.contains(a))),
            Cond::Party(lists) => listed(self.rs, &self.parties, lists, &mut self.missing),
            Cond::OwnedBy { lists, op, share } => owned_by(self.rs, &self.owned, lists, (*op, *share), &mut self.missing),
        };
        if let Some((metric, op, threshold, actual)) = self.tracing.then(|| self.test(c)).flatten() {
            self.record(self.nodes.len(), |_| TraceNode::Test(Test { metric, op, threshold, actual, result }));
        }
        result
    }

    /// What a test (a condition that is not and/or/not) compares, for the trace: the metric,
    /// the operator, the threshold and the actual value.
    fn test(&self, c: &Cond) -> Option<(&'static str, &'static str, Value, Option<Value>)> {
        let text = |s: &str| Value::Text(s.to_string());
        Some(match c {
            Cond::Const(_) | Cond::And(_) | Cond::Or(_) | Cond::Not(_) => return None,
            Cond::Cmp { metric, op, value } => (metric.name(), op.as_str(), Value::Num(*value), self.metrics.get(*metric).map(Value::Num)),
            Cond::Flag(f) => (f.name(), "is", Value::Bool(true), self.metrics.flag(*f).map(Value::Bool)),
            Cond::Eccn(list) => {
                let actual = match self.eccn.map(|e| (e, self.licensed_as)) {
                    None => "none".to_string(),
                    Some((e, None)) => e.to_string(),
                    Some((e, Some(a))) => format!("{e} (licensed as {a})"),
                };
                ("eccn", "in", text(&list.join(", ")), Some(Value::Text(actual)))
            }
            Cond::Chip(list) => {
                let mut ids = vec![self.chip.id.as_str()];
                PartClass::ids(self.parts, &mut ids);
                ("chip", "in", text(&list.join(", ")), Some(text(&ids.join(", "))))
            }
            Cond::Item(list) => {
                let names: Vec<&str> = list.iter().map(|i| i.name()).collect();
                ("item", "in", text(&names.join(", ")), Some(text(self.chip.item.name())))
            }
            Cond::DescribedIn(list) => {
                let actual = if self.chip.described_in.is_empty() { "none".to_string() } else { self.chip.described_in.join(", ") };
                ("described_in", "in", text(&list.join(", ")), Some(text(&actual)))
            }
            Cond::Contains(list) => {
                let found: Vec<String> = self
                    .parts
                    .iter()
                    .map(|p| {
                        format!(
                            "{} {}",
                            p.name,
                            p.classified.eccn().unwrap_or(if p.classified.determined() { "not classified" } else { "undetermined" })
                        )
                    })
                    .collect();
                let actual = (!found.is_empty()).then(|| text(&found.join("; ")));
                ("contains", "in", text(&list.join(", ")), actual)
            }
            Cond::Destination { text: t, .. } => ("destination", "in", text(t), Some(text(&self.dest.join(" as ")))),
            Cond::EndUserHq { text: t, .. } => ("end_user_hq", "in", text(t), Some(text(&self.hq.join(" as ")))),
            Cond::Exporter(list) => ("exporter", "in", text(&list.join(", ")), self.exporter.name().map(text)),
            Cond::ShipFrom { text: t, .. } => ("ship_from", "in", text(t), Some(text(&self.ship_from.join(" as ")))),
            Cond::Transaction(list) => {
                let names: Vec<&str> = list.iter().map(|t| t.name()).collect();
                ("transaction", "in", text(&names.join(", ")), Some(text(self.transaction.name())))
            }
            Cond::ExporterRole(list) => {
                let names: Vec<&str> = list.iter().map(|r| r.name()).collect();
                ("exporter_role", "in", text(&names.join(", ")), Some(text(self.role.map_or("not given", |r| r.name()))))
            }
            Cond::AttestedBy(list) => {
                let names: Vec<&str> = list.iter().map(|a| a.name()).collect();
                let given: Vec<&str> = self.attested_by.iter().map(|a| a.name()).collect();
                let actual = if given.is_empty() { "none".to_string() } else { given.join(", ") };
                ("attested_by", "in", text(&names.join(", ")), Some(text(&actual)))
            }
            Cond::Party(lists) => {
                let ids: Vec<&str> = lists.iter().filter_map(|l| self.rs.party_lists.get(*l)).map(|l| l.id.as_str()).collect();
                let screened = &self.parties;
                let found: Vec<String> = screened
                    .iter()
                    .flat_map(|s| s.hits.iter().filter(|h| lists.contains(&h.list)).map(move |h| (s, h)))
                    .map(|(s, h)| format!("{} ~ {} ({:.2})", s.name, h.matched, h.score))
                    .collect();
                let actual = if screened.is_empty() {
                    None
                } else if found.is_empty() {
                    Some(text("no match"))
                } else {
                    Some(text(&found.join("; ")))
                };
                ("party", "in", text(&ids.join(", ")), actual)
            }
            Cond::OwnedBy { lists, op, share } => {
                let ids: Vec<&str> = lists.iter().filter_map(|l| self.rs.party_lists.get(*l)).map(|l| l.id.as_str()).collect();
                let held: Vec<String> = self
                    .owned
                    .iter()
                    .map(|p| {
                        let role = p.role.replace('_', " ");
                        if !p.stated {
                            return format!("{role}: owners not given");
                        }
                        let listed: Vec<String> = p
                            .owners
                            .iter()
                            .filter(|o| o.hits.iter().any(|h| lists.contains(&h.list)))
                            .map(|o| {
                                format!(
                                    "{} {}",
                                    o.name,
                                    o.share.map_or("share unknown".into(), |x| format!("{} %", crate::chip::fmt_num(x)))
                                )
                            })
                            .collect();
                        if listed.is_empty() {
                            format!("{role}: no listed owner")
                        } else {
                            format!("{role}: {}", listed.join(", "))
                        }
                    })
                    .collect();
                let actual = (!held.is_empty()).then(|| text(&held.join("; ")));
                ("owned_by", op.as_str(), text(&format!("{} % by {}", crate::chip::fmt_num(*share), ids.join(", "))), actual)
            }
        })
    }

    /// Whether a computer or an assembly contains an item classified under one of `list`: true
    /// when one certainly is; unknown when one may be (its missing data is named) or when what
    /// it contains is not known; false for an integrated circuit.
    fn contains(&mut self, list: &[String]) -> Truth {
        if !self.chip.item.composite() {
            return Truth::False;
        }
        if self.parts.is_empty() {
            self.missing.insert(Missing::Parts);
            return Truth::Unknown;
        }
        let hit = |(e, _): &(Option<String>, Vec<usize>)| e.as_deref().is_some_and(|e| list.iter().any(|x| x == e));
        if self.parts.iter().any(|p| p.classified.possible.iter().all(hit)) {
            return Truth::True;
        }
        let open: Vec<&PartClass> = self.parts.iter().filter(|p| p.classified.possible.iter().any(hit)).collect();
        for p in &open {
            for m in &p.classified.hints {
                self.missing.insert(Missing::OfPart { part: p.name.clone(), missing: Box::new(m.clone()) });
            }
        }
        if open.is_empty() {
            Truth::False
        } else {
            Truth::Unknown
        }
    }

    /// Kleene and/or: `decisive` if any operand is, unknown if any is, else `otherwise`. Every
    /// operand is evaluated so the trace is complete; a missing figure is reported only when the
    /// result depends on it.
    fn combine(&mut self, v: &[Cond], decisive: Truth, otherwise: Truth) -> Truth {
        let before = self.missing.clone();
        let (mut any_decisive, mut any_unknown) = (false, false);
        for x in v {
            let t = self.eval(x);
            any_decisive |= t == decisive;
            any_unknown |= t == Truth::Unknown;
        }
        if any_decisive {
            self.missing = before;
            decisive
        } else if any_unknown {
            Truth::Unknown
        } else {
            otherwise
        }
    }

    /// Evaluates a rule's condition; with the trace, records the rule with its condition's tree.
    fn rule(&mut self, r: &'a Rule) -> Truth {
        let saved = std::mem::replace(&mut self.rule, &r.id);
        let mark = self.nodes.len();
        let result = self.eval(&r.when);
        self.rule = saved;
        debug_assert!(!self.tracing || self.nodes.len() == mark + 1, "a condition records one node");
        if let Some(when) = self.tracing.then(|| self.nodes.pop()).flatten() {
            self.evaluated.push(RuleTrace { rule: r.id.clone(), assuming_eccn: self.eccn.map(str::to_string), item: None, result, when });
        }
        result
    }
}

/// Whether a screened name is on one of `lists`: true for a match; unknown for a possible one,
/// which is named in `missing` (a person must settle who the party is).
fn listed(rs: &RuleSet, screened: &[Screened<'_>], lists: &[usize], missing: &mut BTreeSet<Missing>) -> Truth {
    let mut open = Vec::new();
    for s in screened {
        for h in s.hits.iter().filter(|h| lists.contains(&h.list)) {
            if h.settles() {
                return Truth::True;
            }
            let list = rs.party_lists.get(h.list).map_or("party list", |l| l.name.as_str()).to_string();
            let (role, name, matched) = (s.role.replace('_', " "), s.name.to_string(), h.matched.clone());
            open.push(if h.decided {
                // The listed party, whose entry's wording may leave the item out.
                let wording = rs.parties.get(h.entry).map_or("", |p| p.license_requirement.as_str()).to_string();
                Missing::RequirementWording { list, role, name, matched, wording }
            } else {
                Missing::PossibleMatch { list, role, name, matched, score: h.score }
            });
        }
    }
    // Said only when no party matches: a match makes the near misses of the others moot.
    if open.is_empty() {
        return Truth::False;
    }
    missing.extend(open);
    Truth::Unknown
}

/// Whether a party named is owned, by the shares of its owners on one of `lists` added up,
/// as `op share` asks (`>= 50`: the affiliates rule). True when the owners that match hold
/// enough; unknown when the party's owners are not known, or when owners that may be listed
/// (possible matches, listed owners of unknown share) could make up the rest, each named in
/// `missing`; false otherwise, and when no party is named.
fn owned_by(rs: &RuleSet, owned: &[Owned<'_>], lists: &[usize], (op, share): (Op, f64), missing: &mut BTreeSet<Missing>) -> Truth {
    let names: Vec<&str> = lists.iter().filter_map(|l| rs.party_lists.get(*l)).map(|l| l.name.as_str()).collect();
    let names = names.join(" or ");
    let mut open = Vec::new();
    for p in owned {
        let role = p.role.replace('_', " ");
        if !p.stated {
            open.push(Missing::Owners { role: role.clone(), lists: names.clone(), share_words: op.share_words(), share });
            continue;
        }
        let (mut sure, mut could) = (0.0, 0.0);
        let mut unsure = Vec::new();
        for o in &p.owners {
            let hits: Vec<&crate::parties::Hit> = o.hits.iter().filter(|h| lists.contains(&h.list)).collect();
            let Some(best) = hits.iter().find(|h| h.decided).or(hits.first()) else { continue };
            match (best.decided, o.share) {
                (true, Some(x)) => sure += x,
                (true, None) => {
                    could += 100.0;
                    unsure.push(Missing::OwnerShare { role: role.clone(), owner: o.name.to_string(), matched: best.matched.clone() });
                }
                (false, x) => {
                    could += x.unwrap_or(100.0);
                    let list = rs.party_lists.get(best.list).map_or("party list", |l| l.name.as_str());
                    unsure.push(Missing::PossibleOwnerMatch {
                        list: list.to_string(),
                        role: role.clone(),
                        owner: o.name.to_string(),
                        matched: best.matched.clone(),
                        score: best.score,
                    });
                }
            }
        }
        if op.apply(sure, share) {
            return Truth::True;
        }
        if !unsure.is_empty() && op.apply(sure + could, share) {
            open.extend(unsure);
        }
    }
    // Said only when nothing decides: a party owned enough makes the others' owners moot.
    if open.is_empty() {
        return Truth::False;
    }
    missing.extend(open);
    Truth::Unknown
}

fn truth(b: bool) -> Truth {
    if b {
        Truth::True
    } else {
        Truth::False
    }
}

/// The licensing outcome under one classification.
#[derive(Debug, Clone, PartialEq)]
struct Outcome {
    verdict: Verdict,
    /// Whether a license is required, whatever the exceptions: `None` when a requirement that
    /// could fire depends on missing data and none fired.
    license: Option<bool>,
    exceptions: Vec<usize>,
    /// Exceptions that could relieve every requirement but depend on missing data, each with
    /// the fields it depends on.
    possible: Vec<(usize, BTreeSet<Missing>)>,
    review: Option<usize>,
    /// A listed party whose entry's review policy is stricter than the rules' (an index into
    /// [`RuleSet::parties`]): it governs.
    review_entry: Option<usize>,
    /// A party's screening leaves a requirement unknown (a possible match, owners not known)
    /// whose entry could bring a stricter review policy than the one found: the policy is then
    /// not known either.
    review_open: bool,
    /// The listed parties that a requirement fired for (indices into [`RuleSet::parties`]).
    listed: Vec<usize>,
    requirements: Vec<usize>,
    not_enforced: Vec<usize>,
    /// Requirements (letters) that bind another exporter than the one given.
    not_binding: Vec<usize>,
}

impl Outcome {
    /// Whether two outcomes give the same answer: verdict, exceptions and possible exceptions.
    fn same(&self, other: &Outcome) -> bool {
        let possible = |o: &Outcome| o.possible.iter().map(|p| p.0).collect::<Vec<_>>();
        self.verdict == other.verdict && self.exceptions == other.exceptions && possible(self) == possible(other)
    }
}

/// How to evaluate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Record the trace of every test (and so the margins). Without it the answer is the
    /// same (verdict, classification, reasons, missing figures), for less work, when only
    /// that is wanted (as in an audit's CSV columns).
    pub trace: bool,
}

impl Options {
    /// With the trace.
    pub const TRACED: Options = Options { trace: true };
    /// Without it.
    pub const UNTRACED: Options = Options { trace: false };
}

impl Default for Options {
    /// With the trace.
    fn default() -> Self {
        Options::TRACED
    }
}

/// Answers a query against a checked rule set, with the trace: the stages of
/// [`RuleSet::period`], [`Period::classify`] and [`Period::decide`] in one call.
pub fn evaluate(rs: &RuleSet, q: &Query<'_>) -> Result<Decision, EvalError> {
    rs.period(q.date).decide(q, Options::TRACED)
}

/// The first stage of an evaluation: the rules in force on a date, shared by every question
/// asked about that date.
#[derive(Debug, Clone)]
pub struct Period<'a> {
    rs: &'a RuleSet,
    date: Date,
    active: Vec<(usize, &'a Rule)>,
}

impl RuleSet {
    /// The rules in force on a date (see [`Period`]).
    pub fn period(&self, date: Date) -> Period<'_> {
        Period { rs: self, date, active: self.rules.iter().enumerate().filter(|(_, r)| r.in_force(date)).collect() }
    }
}

/// The second stage: what a chip is classified as in a period. Classification rules look at
/// the item alone (the checker refuses one that tests a destination, a party or a ship-from),
/// so a chip is classified once per period, whatever the transactions asked about it.
#[derive(Debug, Clone)]
pub struct Classified {
    /// The classifications the chip's figures leave possible, each an ECCN (none: not
    /// classified) with the rules that decide it (indices into [`RuleSet::rules`]): exactly
    /// one when the classification is determined.
    pub possible: Vec<(Option<String>, Vec<usize>)>,
    /// The classification rules whose truth is unknown and could change the classification
    /// (indices into [`RuleSet::rules`]).
    pub unknown: Vec<usize>,
    /// The chip's figures as the rules read them (a computer's or an assembly's completed from
    /// what it contains, see [`Metrics::fill_from_parts`]).
    pub metrics: Metrics,
    /// What a computer or an assembly contains, each item classified in the same period.
    pub parts: Vec<PartClass>,
    /// The missing fields as the decision words them.
    hints: BTreeSet<Missing>,
    /// With the trace: the rules evaluated, for what it contains first.
    evaluated: Vec<RuleTrace>,
}

/// An item a computer or an assembly contains, classified.
#[derive(Debug, Clone)]
pub struct PartClass {
    /// Its catalog id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// How many of it.
    pub count: u32,
    /// Its kind.
    pub item: crate::chip::Item,
    /// Its classification.
    pub classified: Classified,
}

impl PartClass {
    /// Whether `id` is one of the parts', or of what they contain in turn.
    fn any_id(parts: &[PartClass], id: &str) -> bool {
        parts.iter().any(|p| p.id == id || PartClass::any_id(&p.classified.parts, id))
    }

    /// The ids of the parts and of what they contain, depth first.
    fn ids<'p>(parts: &'p [PartClass], out: &mut Vec<&'p str>) {
        for p in parts {
            out.push(&p.id);
            PartClass::ids(&p.classified.parts, out);
        }
    }

    /// The parts as the decision shows them.
    fn refs(rs: &RuleSet, parts: &[PartClass]) -> Vec<PartRef> {
        parts
            .iter()
            .map(|p| {
                let c = &p.classified;
                // Determined: the rules that decide it; else the classifications left possible.
                let (rules, candidates) = match c.possible.as_slice() {
                    [(_, deciding)] => (deciding.iter().filter_map(|i| rs.rules.get(*i)).map(|r| r.id.clone()).collect(), Vec::new()),
                    several => (Vec::new(), several.iter().map(|(e, _)| e.clone().unwrap_or_else(|| "none".into())).collect()),
                };
                PartRef {
                    id: p.id.clone(),
                    name: p.name.clone(),
                    count: p.count,
                    item: p.item,
                    eccn: c.eccn().map(str::to_string),
                    eccn_candidates: candidates,
                    rules,
                    tpp: c.metrics.get(crate::chip::Metric::Tpp),
                    pd: c.metrics.get(crate::chip::Metric::Pd),
                    contains: PartClass::refs(rs, &c.parts),
                }
            })
            .collect()
    }
}

impl Classified {
    /// What a computer or an assembly contains, as a decision shows it.
    pub fn part_refs(&self, rs: &RuleSet) -> Vec<PartRef> {
        PartClass::refs(rs, &self.parts)
    }

    /// The ECCN, when the classification is determined and the chip classified.
    pub fn eccn(&self) -> Option<&str> {
        match self.possible.as_slice() {
            [(e, _)] => e.as_deref(),
            _ => None,
        }
    }

    /// Whether exactly one classification is possible.
    pub fn determined(&self) -> bool {
        self.possible.len() == 1
    }

    /// The figures and flags whose absence leaves a classification rule unknown, in rule then
    /// condition order (worked out when asked: the decision words them its own way).
    pub fn missing(&self, rs: &RuleSet) -> Vec<String> {
        let mut missing: Vec<String> = Vec::new();
        for r in self.unknown.iter().filter_map(|i| rs.rules.get(*i)) {
            for t in r.when.tests() {
                let name = match t {
                    Cond::Cmp { metric, .. } if self.metrics.get(*metric).is_none() => metric.name(),
                    Cond::Flag(f) if self.metrics.flag(*f).is_none() => f.name(),
                    _ => continue,
                };
                if !missing.iter().any(|m| m == name) {
                    missing.push(name.to_string());
                }
            }
        }
        // What a computer or an assembly leaves open: what it contains, or its items' figures.
        for m in self.hints.iter().filter(|m| matches!(m, Missing::Parts | Missing::OfPart { .. })) {
            missing.push(m.to_string());
        }
        missing
    }
}

impl<'a> Period<'a> {
    /// The date.
    pub fn date(&self) -> Date {
        self.date
    }

    /// The rules in force, in rule-set order.
    pub fn rules(&self) -> impl Iterator<Item = &'a Rule> + '_ {
        self.active.iter().map(|(_, r)| *r)
    }

    fn enforced(&self, r: &Rule) -> bool {
        self.rs.regime_of(r).is_some_and(|g| g.enforced)
    }

    /// Classifies a chip under the enforced classification rules in force: a computer or an
    /// assembly after the items it contains, which its rules (`contains`) and figures read.
    /// Only the rules of ECCNs that classify its kind of item are tried.
    pub fn classify(&self, chip: &Chip, opts: Options) -> Classified {
        self.classify_nested(chip, opts, 0)
    }

    fn classify_nested(&self, chip: &Chip, opts: Options, depth: usize) -> Classified {
        let parts: Vec<PartClass> = if chip.item.composite() && depth < crate::chip::MAX_NESTING {
            // Each part with its own count (the checker and the request resolve every part to a
            // catalog item, so none is left out; were one, the others would keep theirs).
            chip.contains
                .iter()
                .filter_map(|p| Some((self.rs.catalog.by_id(&p.chip)?, p)))
                .map(|(c, p)| PartClass {
                    id: c.id.clone(),
                    name: c.name.clone(),
                    count: p.count,
                    item: c.item,
                    classified: self.classify_nested(c, opts, depth + 1),
                })
                .collect()
        } else {
            Vec::new()
        };
        let mut metrics = Metrics::of(chip);
        let filled: Vec<(&str, &Metrics)> = parts.iter().map(|p| (p.name.as_str(), &p.classified.metrics)).collect();
        metrics.fill_from_parts(&filled);
        let mut ctx = Ctx::new(self.rs, &metrics, chip, &parts, self.date, opts.trace);
        // Each rule's truth, with the fields its truth is missing.
        let (truths, lacks): (Vec<(usize, Truth)>, Vec<BTreeSet<Missing>>) = self
            .active
            .iter()
            .filter(|(_, r)| self.enforced(r) && self.classifies(r, chip.item))
            .map(|(i, r)| {
                let t = ctx.rule(r);
                ((*i, t), std::mem::take(&mut ctx.missing))
            })
            .unzip();
        let (possible, decisive) = classify(self.rs, &truths);
        // Only what an unknown rule that could change the classification lacks is missing: an
        // exclusion whose ECCNs no rule could give, say, leaves nothing open.
        let unknown = truths.iter().zip(&decisive).filter(|((_, t), d)| *t == Truth::Unknown && **d).map(|((i, _), _)| *i).collect();
        let hints = lacks.into_iter().zip(&decisive).filter(|(_, d)| **d).flat_map(|(m, _)| m).collect();
        let mut evaluated = ctx.evaluated;
        if opts.trace {
            // The contained items' classification first, as it was worked out.
            let mut nested: Vec<RuleTrace> = Vec::new();
            for p in &parts {
                nested.extend(p.classified.evaluated.iter().cloned().map(|mut t| {
                    t.item.get_or_insert_with(|| p.id.clone());
                    t
                }));
            }
            nested.append(&mut evaluated);
            evaluated = nested;
        }
        Classified { possible, unknown, metrics, parts, hints, evaluated }
    }

    /// Whether a rule is a classification rule tried for this kind of item: one that assigns
    /// an ECCN that classifies it, or that excludes a family one of whose ECCNs does.
    fn classifies(&self, r: &Rule, item: crate::chip::Item) -> bool {
        match &r.kind {
            RuleKind::Classification { eccn: Some(e), .. } => self.rs.eccns.iter().find(|x| &x.id == e).is_none_or(|x| x.classifies(item)),
            RuleKind::Classification { excludes: Some(f), .. } => {
                let mut family = self.rs.eccns.iter().filter(|x| &x.family == f).peekable();
                family.peek().is_none() || family.any(|x| x.classifies(item))
            }
            RuleKind::Classification { .. } => true,
            _ => false,
        }
    }

    /// The last stages: the licensing of the chip's classification for the query's
    /// transaction (destination, end user, exporter, ship-from), and the decision that
    /// explains it. The query's date must be the period's.
    pub fn decide(&self, q: &Query<'_>, opts: Options) -> Result<Decision, EvalError> {
        let rs = self.rs;
        if q.date != self.date {
            return Err(EvalError::OtherDate { period: self.date, query: q.date });
        }
        let country = |c: &str| rs.countries.by_code(c).ok_or_else(|| EvalError::UnknownCountry(c.to_string()));
        let dest = country(q.destination)?;
        let hq_country = q.end_user_hq.map(country).transpose()?;
        // Without a ship-from, the rules' jurisdiction (an export).
        let from = q.ship_from.or(rs.jurisdiction.as_deref()).map(country).transpose()?;
        let transaction = crate::rules::Transaction::between(from.map(|f| f.code.as_str()), &dest.code, rs.jurisdiction.as_deref());
        let Classified { mut possible, metrics, parts, hints, evaluated, .. } = self.classify(q.chip, opts);
        // The presumptions in force.
        let presumptions: Vec<(usize, &Rule)> =
            self.active.iter().filter(|(_, r)| self.enforced(r) && matches!(r.kind, RuleKind::Presumption { .. })).copied().collect();
        let mut ctx = Ctx::new(rs, &metrics, q.chip, &parts, q.date, opts.trace);
        ctx.dest = dest.codes();
        ctx.hq = hq_country.unwrap_or(dest).codes();
        ctx.ship_from = from.map(|c| c.codes()).unwrap_or_default();
        ctx.transaction = transaction;
        ctx.exporter = Exporter::of(q.exporter, &q.chip.vendor);
        ctx.parties = q.parties.named().map(|(role, name)| Screened { role, name, hits: rs.screen(name, q.date), share: None }).collect();
        ctx.owned = q
            .parties
            .with_owners()
            .map(|(role, _, owners)| Owned {
                role,
                stated: owners.is_some(),
                owners: owners
                    .unwrap_or_default()
                    .iter()
                    .map(|o| Screened { role: owner_role(role), name: &o.name, hits: rs.screen(&o.name, q.date), share: o.share })
                    .collect(),
            })
            .collect();
        ctx.evaluated = evaluated;
        (ctx.role, ctx.attested_by) = (q.exporter_role, q.attested_by);
        ctx.missing = hints.clone();
        let classified_once = possible.len() == 1;
        let presumed = presume(&mut ctx, &presumptions, &mut possible);
        // A presumption that holds leaves nothing of the classification open; one that may
        // hold, beside a single classification, leaves open only what it needs itself.
        let hints = match presumed {
            Some(_) if classified_once || possible.len() == 1 => {
                ctx.missing.retain(|m| !hints.contains(m));
                BTreeSet::new()
            }
            _ => hints,
        };
        // The figures the item is presumed to have under the presumption that applies, if any.
        let presumed_metrics = presumed.and_then(|(_, p)| presumptions.get(p)).map(|(_, r)| {
            let mut m = metrics.clone();
            m.datacenter = presumed_datacenter(r, &metrics);
            m
        });
        // An unknown datacenter flag that only one of the classifications possible allows (a
        // 3A090.b item below TPP 4800 is one designed for datacenters, Note 2): its licensing
        // reads the flag that classification implies.
        let implied: Vec<Option<Metrics>> = self.implied_datacenter(q.chip, &metrics, &possible);
        let enforced = |r: &Rule| self.enforced(r);
        let mut outcomes: Vec<(Option<String>, Vec<usize>, Outcome)> = Vec::new();
        for (k, (eccn, deciding)) in possible.iter().enumerate() {
            ctx.eccn = eccn.as_deref();
            ctx.licensed_as = ctx.eccn.and_then(|e| self.rs.licensed_as(e));
            // Under a presumption, the licensing reads the figures the item is presumed to have.
            ctx.metrics = match (presumed, &presumed_metrics, implied.get(k)) {
                (Some((at, _)), Some(m), _) if k == at => m,
                (_, _, Some(Some(m))) => m,
                _ => &metrics,
            };
            let out = licensing(&mut ctx, &self.active, &enforced);
            outcomes.push((eccn.clone(), deciding.clone(), out));
        }
        (ctx.eccn, ctx.licensed_as, ctx.metrics) = (None, None, &metrics);
        let unbound =
            if presumed.is_none() && q.exporter_role.is_none() { would_presume(&mut ctx, &presumptions, &possible) } else { None };
        let mut d = assemble(rs, q, (dest, hq_country, from), &metrics, ctx, hints, outcomes);
        if let Some(r) = unbound {
            d.assumptions.push(Assumption::RoleNotGiven { rule: r.id.clone(), eccn: presumption_eccn(r).to_string() });
        }
        Ok(d)
    }

    /// For each classification possible, the figures with the datacenter flag it implies, when
    /// the flag is unknown and the classification is possible with only one value of it.
    fn implied_datacenter(&self, chip: &Chip, metrics: &Metrics, possible: &Possible) -> Vec<Option<Metrics>> {
        if metrics.datacenter.is_some() || possible.len() < 2 {
            return Vec::new();
        }
        let with = |flag: bool| {
            let mut c = chip.clone();
            c.datacenter = Some(flag);
            self.classify(&c, Options::UNTRACED).possible
        };
        let (yes, no) = (with(true), with(false));
        let allows = |under: &Possible, e: &Option<String>| under.iter().any(|(x, _)| x == e);
        possible
            .iter()
            .map(|(e, _)| {
                let flag = match (allows(&yes, e), allows(&no, e)) {
                    (true, false) => true,
                    (false, true) => false,
                    _ => return None,
                };
                let mut m = metrics.clone();
                m.datacenter = Some(flag);
                Some(m)
            })
            .collect()
    }
}

/// The ECCN a presumption rule presumes.
fn presumption_eccn(r: &Rule) -> &str {
    match &r.kind {
        RuleKind::Presumption { eccn, .. } => eccn,
        _ => "",
    }
}

/// The datacenter flag an item is presumed to have under a presumption rule.
fn presumed_datacenter(r: &Rule, item: &Metrics) -> Option<bool> {
    match &r.kind {
        RuleKind::Presumption { datacenter, .. } => datacenter.or(item.datacenter),
        _ => item.datacenter,
    }
}

/// Applies the first presumption (of `presumptions`, in rule-set order) that holds for the
/// query: the item is then presumed of its ECCN alone (whatever its figures give). One whose
/// truth is unknown adds its ECCN to those possible, unless another holds. Returns the place of
/// the presumed classification in `possible` and of the presumption in `presumptions`.
fn presume<'r>(
    ctx: &mut Ctx<'r>,
    presumptions: &[(usize, &'r Rule)],
    possible: &mut Vec<(Option<String>, Vec<usize>)>,
) -> Option<(usize, usize)> {
    let truths: Vec<Truth> = presumptions.iter().map(|(_, r)| ctx.rule(r)).collect();
    let pick = |want: Truth| truths.iter().position(|t| *t == want);
    if let Some(p) = pick(Truth::True) {
        let (i, r) = presumptions.get(p)?;
        *possible = vec![(Some(presumption_eccn(r).to_string()), vec![*i])];
        return Some((0, p));
    }
    let p = pick(Truth::Unknown)?;
    let (i, r) = presumptions.get(p)?;
    // The figures may already give the ECCN presumed: then only a datacenter flag the
    // presumption changes makes another licensing possible (the same ECCN twice).
    let already = possible.iter().any(|(e, _)| e.as_deref() == Some(presumption_eccn(r)));
    if already && presumed_datacenter(r, ctx.metrics) == ctx.metrics.datacenter {
        return None;
    }
    possible.push((Some(presumption_eccn(r).to_string()), vec![*i]));
    Some((possible.len() - 1, p))
}

/// The presumption that would bind the exporter had it one of the roles its rule names, when
/// it would change the item's classification or its datacenter flag: the answer then says that
/// no role was given. Evaluated without tracing, so that the trace shows only what the answer rests on.
fn would_presume<'r>(ctx: &mut Ctx<'r>, presumptions: &[(usize, &'r Rule)], possible: &[(Option<String>, Vec<usize>)]) -> Option<&'r Rule> {
    let (tracing, missing) = (ctx.tracing, ctx.missing.clone());
    let evaluated = ctx.evaluated.len();
    (ctx.force_role, ctx.tracing) = (Some(true), false);
    let item = ctx.metrics;
    let found = presumptions.iter().find(|(_, r)| {
        let already = possible.iter().all(|(e, _)| e.as_deref() == Some(presumption_eccn(r)));
        let changes = !already || presumed_datacenter(r, item) != item.datacenter;
        changes && r.when.tests_role() && ctx.rule(r) != Truth::False
    });
    ctx.force_role = None;
    ctx.evaluated.truncate(evaluated);
    (ctx.tracing, ctx.missing) = (tracing, missing);
    found.map(|(_, r)| *r)
}

/// Possible classifications: (ECCN or none, deciding rule indices) pairs.
type Possible = Vec<(Option<String>, Vec<usize>)>;

/// Enumerates the classifications possible given which rules hold, hold not, or are unknown.
/// Returns (ECCN or none, deciding rule indices) pairs, deduplicated by ECCN, and for each rule
/// of `classes` whether its truth could change the ECCN (never, for a rule whose truth is
/// known; for an unknown one, when some way the other unknowns fall makes it decide).
fn classify(rs: &RuleSet, classes: &[(usize, Truth)]) -> (Possible, Vec<bool>) {
    let unknown: Vec<usize> = classes.iter().enumerate().filter(|(_, (_, t))| *t == Truth::Unknown).map(|(k, _)| k).collect();
    let mut out: Possible = Vec::new();
    let mut decisive = vec![false; classes.len()];
    if unknown.len() > MAX_UNKNOWN {
        out.push((None, Vec::new()));
        out.extend(rs.eccns.iter().map(|e| (Some(e.id.clone()), Vec::new())));
        for k in unknown {
            if let Some(d) = decisive.get_mut(k) {
                *d = true;
            }
        }
        return (out, decisive);
    }
    // The place in `out` of the ECCN each way the unknowns fall gives.
    let mut given: Vec<usize> = Vec::with_capacity(1 << unknown.len());
    for mask in 0u32..(1u32 << unknown.len()) {
        let holds = |k: usize| match classes.get(k).map(|c| c.1) {
            Some(Truth::True) => true,
            Some(Truth::Unknown) => unknown.iter().position(|&u| u == k).is_some_and(|bit| mask & (1 << bit) != 0),
            _ => false,
        };
        let result = pick(rs, classes, &holds);
        let at = match out.iter().position(|(e, _)| *e == result.0) {
            Some(at) => at,
            None => {
                out.push(result);
                out.len() - 1
            }
        };
        given.push(at);
    }
    for (bit, k) in unknown.iter().enumerate() {
        let flips = (0..given.len()).any(|mask| given.get(mask) != given.get(mask ^ (1 << bit)));
        if let Some(d) = decisive.get_mut(*k) {
            *d = flips;
        }
    }
    (out, decisive)
}

fn pick(rs: &RuleSet, classes: &[(usize, Truth)], holds: &dyn Fn(usize) -> bool) -> (Option<String>, Vec<usize>) {
    let rule = |i: usize| rs.rules.get(i);
    let mut excluded: Vec<(&str, usize)> = Vec::new();
    for (k, (i, _)) in classes.iter().enumerate() {
        if let Some(RuleKind::Classification { excludes: Some(f), .. }) = rule(*i).map(|r| &r.kind) {
            if holds(k) {
                excluded.push((f.as_str(), *i));
            }
        }
    }
    let mut best: Option<(usize, &str)> = None;
    let mut deciding = Vec::new();
    for (k, (i, _)) in classes.iter().enumerate() {
        let Some(RuleKind::Classification { eccn: Some(e), .. }) = rule(*i).map(|r| &r.kind) else { continue };
        let Some(rank) = rs.eccns.iter().position(|x| &x.id == e) else { continue };
        let family = rs.eccns.get(rank).map(|x| x.family.as_str()).unwrap_or("");
        if !holds(k) || excluded.iter().any(|(f, _)| *f == family) {
            continue;
        }
        match best {
            Some((r, _)) if r < rank => {}
            Some((r, _)) if r == rank => deciding.push(*i),
            _ => {
                best = Some((rank, e.as_str()));
                deciding = vec![*i];
            }
        }
    }
    match best {
        Some((_, e)) => (Some(e.to_string()), deciding),
        None => (None, excluded.iter().map(|(_, i)| *i).collect()),
    }
}

/// The requirements tried under one classification: those that fired, whether any depends on
/// missing data, those of unenforced regimes that would have fired, and whether an embargo fired.
struct Fired {
    fired: Vec<usize>,
    /// The enforced requirements whose truth is unknown.
    open: Vec<usize>,
    not_enforced: Vec<usize>,
    embargo: bool,
    /// Requirements that hold for the exporter they name but not for the one given.
    not_binding: Vec<usize>,
}

/// Whether a rule that does not hold for the exporter given would hold for the one its
/// exporter test names (a letter sent to another exporter). Asked without the trace or the
/// missing fields, which are the given exporter's.
fn binds_another<'a>(ctx: &mut Ctx<'a>, r: &'a Rule) -> bool {
    let (tracing, missing) = (ctx.tracing, ctx.missing.clone());
    (ctx.tracing, ctx.force_exporter) = (false, Some(true));
    let t = ctx.rule(r);
    (ctx.tracing, ctx.force_exporter, ctx.missing) = (tracing, None, missing);
    t == Truth::True
}

fn requirements<'a>(ctx: &mut Ctx<'a>, active: &[(usize, &'a Rule)], enforced: &dyn Fn(&Rule) -> bool) -> Fired {
    use crate::rules::RequirementKind;
    let mut f = Fired { fired: Vec::new(), open: Vec::new(), not_enforced: Vec::new(), embargo: false, not_binding: Vec::new() };
    for (i, r) in active {
        let RuleKind::Requirement { kind } = r.kind else { continue };
        if kind == RequirementKind::Outside {
            continue;
        }
        // A rule of an unenforced regime is tried for the record only: what it lacks is not
        // missing from the answer.
        let on = enforced(r);
        let before = (!on).then(|| ctx.missing.clone());
        let t = ctx.rule(r);
        if let Some(b) = before {
            ctx.missing = b;
        }
        // Only a rule that tests the exporter can rest on the presumed one or bind another;
        // the condition is walked only for the answers where that matters.
        if on {
            let letter = || r.when.tests_exporter();
            match (t, ctx.exporter) {
                (Truth::True, Exporter::Presumed(_)) if letter() => ctx.presumed = true,
                (Truth::False, Exporter::Given(_)) if letter() && binds_another(ctx, r) => f.not_binding.push(*i),
                (Truth::False, Exporter::Unnamed) if letter() && binds_another(ctx, r) => ctx.unnamed = true,
                _ => {}
            }
        }
        match (t, on) {
            (Truth::True, true) => {
                f.fired.push(*i);
                f.embargo |= kind == RequirementKind::Embargo;
            }
            (Truth::True, false) => f.not_enforced.push(*i),
            (Truth::Unknown, true) => f.open.push(*i),
            _ => {}
        }
    }
    f
}

/// An `outside` requirement that holds: the transaction is not one these rules control.
fn outside<'a>(ctx: &mut Ctx<'a>, active: &[(usize, &'a Rule)], enforced: &dyn Fn(&Rule) -> bool) -> Option<usize> {
    active
        .iter()
        .find(|(_, r)| {
            matches!(r.kind, RuleKind::Requirement { kind: crate::rules::RequirementKind::Outside })
                && enforced(r)
                && ctx.rule(r) == Truth::True
        })
        .map(|(i, _)| *i)
}

fn licensing<'a>(ctx: &mut Ctx<'a>, active: &[(usize, &'a Rule)], enforced: &dyn Fn(&Rule) -> bool) -> Outcome {
    if let Some(i) = outside(ctx, active, enforced) {
        // Not a transaction these rules control: no requirement is tried, and the rule that
        // says so is the reason.
        return Outcome {
            verdict: Verdict::NoLicenseRequired,
            license: Some(false),
            exceptions: Vec::new(),
            possible: Vec::new(),
            review: None,
            review_entry: None,
            review_open: false,
            listed: Vec::new(),
            requirements: vec![i],
            not_enforced: Vec::new(),
            not_binding: Vec::new(),
        };
    }
    let Fired { fired, open, not_enforced, embargo, not_binding } = requirements(ctx, active, enforced);
    let unknown = !open.is_empty();
    let license = if !fired.is_empty() {
        Some(true)
    } else if unknown {
        None
    } else {
        Some(false)
    };
    let mut out = Outcome {
        verdict: Verdict::NoLicenseRequired,
        license,
        exceptions: Vec::new(),
        possible: Vec::new(),
        review: None,
        review_entry: None,
        review_open: false,
        listed: Vec::new(),
        requirements: fired,
        not_enforced,
        not_binding,
    };
    out.listed = listed_parties(ctx, &out.requirements);
    if out.requirements.is_empty() {
        if unknown {
            out.verdict = Verdict::Indeterminate;
        }
        return out;
    }
    if embargo {
        out.verdict = Verdict::Embargoed;
        out.review = review(ctx, active, enforced, &out.requirements);
        out.review_entry = entry_review(ctx.rs, out.review, &out.listed);
        out.review_open = review_open(ctx, &open, out.review, out.review_entry);
        return out;
    }
    let (relieved, maybe) = exceptions(ctx, active, enforced, &mut out);
    let all = out.requirements.len();
    if relieved.len() == all && !unknown {
        out.verdict = Verdict::LicenseException;
        out.possible.clear();
        return out;
    }
    // A license is required whatever the missing data (or the exception's own conditions, which
    // the data cannot show); an exception that could relieve every requirement fired (if the
    // missing data allow, and no requirement still undetermined adds another) is offered as
    // possible, not as available.
    if maybe.len() == all || relieved.len() == all {
        let certain: Vec<(usize, BTreeSet<Missing>)> = out.exceptions.iter().map(|i| (*i, BTreeSet::new())).collect();
        out.possible.splice(0..0, certain);
    } else {
        out.possible.clear();
    }
    out.verdict = Verdict::LicenseRequired;
    out.exceptions.clear();
    out.review = review(ctx, active, enforced, &out.requirements);
    out.review_entry = entry_review(ctx.rs, out.review, &out.listed);
    out.review_open = review_open(ctx, &open, out.review, out.review_entry);
    out
}

/// Whether the requirements left unknown (`open`) by a party's screening could bring in a
/// listed entry whose review policy is stricter than the one found (the rules' `rule`, or the
/// listed party's `entry`): a possible match's entry, a listed owner of unknown share, or,
/// when a party's owners are not known, any entry in force of the lists tested.
fn review_open(ctx: &Ctx<'_>, open: &[usize], rule: Option<usize>, entry: Option<usize>) -> bool {
    let rs = ctx.rs;
    let found = rule_policy(rs, rule).into_iter().chain(entry.and_then(|i| rs.parties.get(i)?.review_policy)).map(strictness).max();
    let stricter = |p: &crate::parties::Party| p.review_policy.is_some_and(|p| found.is_none_or(|f| strictness(p) > f));
    let stricter_at = |i: usize| rs.parties.get(i).is_some_and(stricter);
    open.iter().filter_map(|i| rs.rules.get(*i)).flat_map(|r| r.when.tests()).any(|t| match t {
        Cond::Party(lists) => {
            ctx.parties.iter().flat_map(|s| &s.hits).any(|h| !h.settles() && lists.contains(&h.list) && stricter_at(h.entry))
        }
        Cond::OwnedBy { lists, .. } => ctx.owned.iter().any(|p| {
            if p.stated {
                p.owners.iter().flat_map(|o| &o.hits).any(|h| lists.contains(&h.list) && stricter_at(h.entry))
            } else {
                rs.parties.iter().any(|x| lists.contains(&x.list) && x.in_force(ctx.date) && stricter(x))
            }
        }),
        _ => false,
    })
}

/// The listed parties (matched, not possible) that the requirements fired test for: the
/// entries of the lists their `party` tests name.
fn listed_parties(ctx: &Ctx<'_>, fired: &[usize]) -> Vec<usize> {
    let mut out = Vec::new();
    for r in fired.iter().filter_map(|i| ctx.rs.rules.get(*i)) {
        for t in r.when.tests() {
            let (lists, screened, worded): (&Vec<usize>, Vec<&Screened<'_>>, bool) = match t {
                Cond::Party(lists) => (lists, ctx.parties.iter().collect(), true),
                Cond::OwnedBy { lists, .. } => (lists, ctx.owned.iter().flat_map(|p| &p.owners).collect(), false),
                _ => continue,
            };
            // An owner's entry restricts the party it owns whatever its wording says of items.
            let listed = |h: &&crate::parties::Hit| if worded { h.settles() } else { h.decided };
            for h in screened.iter().flat_map(|s| &s.hits).filter(|h| listed(h) && lists.contains(&h.list)) {
                if !out.contains(&h.entry) {
                    out.push(h.entry);
                }
            }
        }
    }
    out
}

/// The policy of a review rule (`rule`, an index into [`RuleSet::rules`]).
fn rule_policy(rs: &RuleSet, rule: Option<usize>) -> Option<Policy> {
    match rs.rules.get(rule?)?.kind {
        RuleKind::Review { policy } => Some(policy),
        _ => None,
    }
}

/// How strict a review policy is, for choosing between the rules' and a listed party's.
fn strictness(p: Policy) -> u8 {
    match p {
        Policy::PresumptionOfApproval => 0,
        Policy::CaseByCase => 1,
        Policy::PresumptionOfDenial => 2,
        Policy::PolicyOfDenial => 3,
    }
}

/// The listed party whose entry's review policy governs: the strictest of the entries'
/// policies, when it is stricter than the rules' own (a reading: where an Entity List
/// requirement and another apply to one transaction, an application is reviewed under both,
/// so the stricter policy decides it).
fn entry_review(rs: &RuleSet, rule: Option<usize>, listed: &[usize]) -> Option<usize> {
    let ruled = rule_policy(rs, rule).map(strictness);
    listed
        .iter()
        .filter_map(|i| rs.parties.get(*i).and_then(|p| p.review_policy).map(|p| (*i, strictness(p))))
        .filter(|(_, s)| ruled.is_none_or(|r| *s > r))
        .max_by_key(|(_, s)| *s)
        .map(|(i, _)| i)
}

/// Tries the exceptions that relieve any requirement fired: those that hold go to
/// `out.exceptions`, those that depend on missing data to `out.possible` with the fields they
/// depend on. Returns the requirements relieved by the first kind and by either kind.
fn exceptions<'a>(
    ctx: &mut Ctx<'a>,
    active: &[(usize, &'a Rule)],
    enforced: &dyn Fn(&Rule) -> bool,
    out: &mut Outcome,
) -> (BTreeSet<usize>, BTreeSet<usize>) {
    let mut relieved = BTreeSet::new();
    let mut maybe = BTreeSet::new();
    // The requirements fired, by id: an exception looks up what it relieves, instead of
    // comparing every requirement fired with every id it names.
    let fired: HashMap<&str, usize> = out.requirements.iter().filter_map(|f| ctx.rs.rules.get(*f).map(|x| (x.id.as_str(), *f))).collect();
    for (i, r) in active {
        let RuleKind::Exception { relieves, .. } = &r.kind else { continue };
        if !enforced(r) {
            continue;
        }
        let covered: Vec<usize> = relieves.iter().filter_map(|id| fired.get(id.as_str()).copied()).collect();
        if covered.is_empty() {
            continue;
        }
        let outer = std::mem::take(&mut ctx.missing);
        let t = ctx.rule(r);
        let depends = std::mem::replace(&mut ctx.missing, outer);
        ctx.missing.extend(depends.iter().cloned());
        let conditional = matches!(&r.kind, RuleKind::Exception { conditions: Some(_), .. });
        match t {
            Truth::False => continue,
            Truth::True if conditional => out.possible.push((*i, depends)),
            Truth::True => {
                out.exceptions.push(*i);
                relieved.extend(covered.iter().copied());
            }
            Truth::Unknown => out.possible.push((*i, depends)),
        }
        maybe.extend(covered);
    }
    (relieved, maybe)
}

/// The review policy: rules are tried newest first (a later rule amends an earlier one); the
/// first that holds wins. An unknown one before it leaves the policy undetermined. When an
/// embargo applies, the review rules of the embargo's own regime come first: the embargo's
/// policy governs whatever the item's classification.
fn review<'a>(ctx: &mut Ctx<'a>, active: &[(usize, &'a Rule)], enforced: &dyn Fn(&Rule) -> bool, fired: &[usize]) -> Option<usize> {
    let embargo_regimes: Vec<usize> = fired
        .iter()
        .filter_map(|i| ctx.rs.rules.get(*i))
        .filter(|r| matches!(r.kind, RuleKind::Requirement { kind: crate::rules::RequirementKind::Embargo }))
        .map(|r| r.regime)
        .collect();
    let mut reviews: Vec<&(usize, &'a Rule)> =
        active.iter().filter(|(_, r)| matches!(r.kind, RuleKind::Review { .. }) && enforced(r)).collect();
    reviews.sort_by_key(|r| (!embargo_regimes.contains(&r.1.regime), std::cmp::Reverse(r.1.effective)));
    for (i, r) in reviews {
        match ctx.rule(r) {
            Truth::True => return Some(*i),
            Truth::Unknown => return None,
            Truth::False => {}
        }
    }
    None
}

/// The reason kind of a requirement that fired: `outside` for one saying the transaction is not
/// controlled, `requirement` otherwise.
fn requirement_kind(rs: &RuleSet, i: usize) -> ReasonKind {
    match rs.rules.get(i).map(|r| &r.kind) {
        Some(RuleKind::Requirement { kind: crate::rules::RequirementKind::Outside }) => ReasonKind::Outside,
        _ => ReasonKind::Requirement,
    }
}

/// A listed party as a reason: the entry, its list and the notice that added it.
fn listed_reason(rs: &RuleSet, i: usize) -> Option<Reason> {
    let p = rs.parties.get(i)?;
    let list = rs.party_lists.get(p.list)?;
    let added = p.added.map(|a| format!(", listed from {a}")).unwrap_or_default();
    Some(Reason {
        id: p.id.clone(),
        kind: ReasonKind::ListedParty,
        regime: list.id.clone(),
        summary: format!("{} on the {}{added}: {}", p.name, list.name, p.license_requirement),
        citation: p.citation.clone(),
    })
}

fn reason(rs: &RuleSet, i: usize, kind: ReasonKind) -> Option<Reason> {
    let r = rs.rules.get(i)?;
    Some(Reason {
        id: r.id.clone(),
        kind,
        regime: rs.regime_of(r).map(|g| g.id.clone()).unwrap_or_default(),
        summary: r.summary.clone(),
        citation: r.citation.clone(),
    })
}

#[allow(clippy::too_many_arguments)]
fn assemble(
    rs: &RuleSet,
    q: &Query<'_>,
    (dest, hq, from): (&crate::geo::Country, Option<&crate::geo::Country>, Option<&crate::geo::Country>),
    metrics: &Metrics,
    ctx: Ctx<'_>,
    class_missing: BTreeSet<Missing>,
    outcomes: Vec<(Option<String>, Vec<usize>, Outcome)>,
) -> Decision {
    let (presumed, unnamed, transaction, exporter) = (ctx.presumed, ctx.unnamed, ctx.transaction, ctx.exporter);
    let owners = ctx.owned.iter().flat_map(|p| &p.owners);
    let screening: Vec<ScreeningRef> = ctx.parties.iter().chain(owners).map(|s| screening_ref(rs, s)).collect();
    let country_ref = |c: &crate::geo::Country| CountryRef { code: c.code.clone(), name: c.name.clone(), treated_as: c.treated_as.clone() };
    let first = outcomes.first();
    let agree = first.is_some_and(|f| outcomes.iter().all(|o| o.2.same(&f.2)));
    let determinate = agree && first.is_some_and(|f| f.2.verdict != Verdict::Indeterminate);
    let mut d = Decision {
        chip: ChipRef { id: q.chip.id.clone(), name: q.chip.name.clone(), hypothetical: q.hypothetical, item: q.chip.item },
        contains: PartClass::refs(rs, ctx.parts),
        destination: country_ref(dest),
        end_user_hq: hq.map(country_ref),
        exporter: exporter.given().map(str::to_string),
        exporter_role: q.exporter_role,
        attested_by: q.attested_by.to_vec(),
        ship_from: from.map(country_ref),
        transaction,
        date: q.date,
        tpp: metrics.tpp.as_ref().map(|t| t.value),
        pd: metrics.pd.as_ref().map(|t| t.value),
        metrics: metrics.clone(),
        eccn: None,
        eccn_candidates: Vec::new(),
        license_required: None,
        exceptions: Vec::new(),
        possible_exceptions: Vec::new(),
        review_policy: None,
        review_undetermined: false,
        verdict: Verdict::Indeterminate,
        regimes: regimes(rs, q.date),
        reasons: Vec::new(),
        not_enforced: Vec::new(),
        missing: Vec::new(),
        assumptions: Vec::new(),
        trace: Vec::new(),
        evaluated: ctx.evaluated,
        margins: Vec::new(),
        replaced: rs.replaced_for(q.date, &q.chip.id, &[&dest.code, &hq.unwrap_or(dest).code]).into_iter().cloned().collect(),
        screening,
    };
    // One ECCN however the unknowns fall (a presumption that may hold can change only the
    // licensing of the classification the figures give): it is the answer's.
    if outcomes.iter().all(|o| first.is_some_and(|f| f.0 == o.0)) {
        d.eccn = first.and_then(|f| f.0.clone());
    } else {
        d.eccn_candidates = outcomes.iter().map(|(e, _, o)| Candidate { eccn: e.clone(), verdict: o.verdict }).collect();
    }
    if let Some((_, deciding, out)) = first.filter(|_| determinate) {
        d.verdict = out.verdict;
        d.license_required = Some(out.verdict != Verdict::NoLicenseRequired);
        if outcomes.len() == 1 {
            let kind = |i: usize| match rs.rules.get(i).map(|r| &r.kind) {
                Some(RuleKind::Presumption { .. }) => ReasonKind::Presumption,
                _ if d.eccn.is_some() => ReasonKind::Classification,
                _ => ReasonKind::Exclusion,
            };
            d.reasons.extend(deciding.iter().filter_map(|i| reason(rs, *i, kind(*i))));
        }
        d.reasons.extend(out.requirements.iter().filter_map(|i| reason(rs, *i, requirement_kind(rs, *i))));
        for i in &out.exceptions {
            if let Some(r) = rs.rules.get(*i) {
                if let RuleKind::Exception { name, notification, .. } = &r.kind {
                    d.exceptions.push(ExceptionRef {
                        name: name.clone(),
                        rule: r.id.clone(),
                        notification: *notification,
                        citation: r.citation.clone(),
                    });
                    d.reasons.extend(reason(rs, *i, ReasonKind::Exception));
                }
            }
        }
        // One policy for every classification possible, and no party whose screening is open
        // could make it stricter.
        let same_review = outcomes.iter().all(|o| o.2.review == out.review && o.2.review_entry == out.review_entry && !o.2.review_open);
        d.reasons.extend(out.listed.iter().filter_map(|i| listed_reason(rs, *i)));
        if let Some((policy, p)) =
            out.review_entry.filter(|_| same_review).and_then(|i| rs.parties.get(i)).and_then(|p| Some((p.review_policy?, p)))
        {
            d.review_policy = Some(ReviewRef { policy, rule: p.id.clone(), citation: p.citation.clone() });
        } else if let Some(r) = out.review.filter(|_| same_review).and_then(|i| rs.rules.get(i)) {
            if let RuleKind::Review { policy } = r.kind {
                d.review_policy = Some(ReviewRef { policy, rule: r.id.clone(), citation: r.citation.clone() });
                d.reasons.extend(out.review.and_then(|i| reason(rs, i, ReasonKind::Review)));
            }
        }
        let reviewed = out.review.is_some() || out.review_entry.is_some();
        if out.verdict != Verdict::NoLicenseRequired && out.verdict != Verdict::LicenseException && (!reviewed || !same_review) {
            let undetermined = !same_review || outcomes.len() > 1;
            d.missing.extend(ctx.missing.iter().filter(|m| undetermined || !class_missing.contains(*m)).cloned());
        }
        add_possible(rs, &mut d, out.possible.iter().map(|(i, m)| (*i, m)));
    } else {
        d.missing.extend(ctx.missing.iter().cloned());
        license_across(rs, &mut d, &outcomes);
    }
    // A policy would apply to some possibility, but none was given as the answer's.
    let reviewed = |o: &Outcome| o.review.is_some() || o.review_entry.is_some() || o.review_open;
    d.review_undetermined = d.license_required == Some(true) && d.review_policy.is_none() && outcomes.iter().any(|o| reviewed(&o.2));
    let mut seen = BTreeSet::new();
    for (_, _, o) in &outcomes {
        for i in &o.not_enforced {
            if seen.insert(*i) {
                d.not_enforced.extend(reason(rs, *i, ReasonKind::Requirement));
            }
        }
    }
    let mut letters = BTreeSet::new();
    for i in outcomes.iter().flat_map(|o| &o.2.not_binding) {
        let Some(r) = rs.rules.get(*i).filter(|_| letters.insert(*i)) else { continue };
        d.assumptions.push(Assumption::LetterNotBinding {
            rule: r.id.clone(),
            binds: r.when.exporters().join(" or "),
            exporter: exporter.given().unwrap_or_default().to_string(),
        });
    }
    if let (true, Exporter::Presumed(vendor)) = (presumed, exporter) {
        d.assumptions.push(Assumption::ExporterPresumed { vendor: vendor.to_string() });
    }
    if unnamed {
        d.assumptions.push(Assumption::NoExporter);
    }
    if let (None, Some(f)) = (q.ship_from, from) {
        d.assumptions.push(Assumption::ShippedFromJurisdiction {
            country: f.name.clone(),
            code: f.code.clone(),
            transaction: transaction.name(),
            words: transaction.words(),
        });
    }
    // Said only when a rule in force would have screened a party.
    let unscreened = || {
        let screens = rs.party_lists.iter().enumerate().filter(|(i, _)| {
            rs.rules.iter().any(|r| r.in_force(q.date) && r.when.any_test(&|t| matches!(t, Cond::Party(l) if l.contains(i))))
        });
        screens.map(|(_, l)| l.name.clone()).collect::<Vec<String>>()
    };
    let lists = if q.parties.named().next().is_none() && !rs.party_lists.is_empty() { unscreened() } else { Vec::new() };
    if !lists.is_empty() {
        d.assumptions.push(Assumption::NotScreened { lists });
    }
    if hq.is_none() {
        d.assumptions.push(Assumption::HeadquartersInDestination { code: dest.code.clone() });
    }
    if let Some(t) = &dest.treated_as {
        d.assumptions.push(Assumption::TreatedAs { country: dest.name.clone(), code: dest.code.clone(), treated_as: t.clone() });
    }
    d.trace = flat_trace(&d.evaluated);
    d.margins = margins(&d.trace);
    d
}

/// A screened name with the listed parties it may be.
fn screening_ref(rs: &RuleSet, s: &Screened<'_>) -> ScreeningRef {
    let hits = s
        .hits
        .iter()
        .filter_map(|h| {
            let (p, list) = (rs.parties.get(h.entry)?, rs.party_lists.get(h.list)?);
            Some(ListedRef {
                list: list.id.clone(),
                list_name: list.name.clone(),
                entry: p.id.clone(),
                name: p.name.clone(),
                matched: h.matched.clone(),
                score: (h.score * 1000.0).round() / 1000.0,
                decided: h.decided,
                country: p.country.clone(),
                added: p.added,
                license_requirement: p.license_requirement.clone(),
                review_policy: p.review_policy,
                citation: p.citation.clone(),
            })
        })
        .collect();
    ScreeningRef { role: s.role.to_string(), name: s.name.to_string(), share: s.share, hits }
}

/// When the classifications (or exceptions) the data leave possible disagree on the verdict but
/// every one of them requires a license, the license is certain: the verdict is license
/// required, with the requirements they share, and the exceptions some of them would allow
/// offered as possible. When they agree only on whether a license is required, that is said.
fn license_across(rs: &RuleSet, d: &mut Decision, outcomes: &[(Option<String>, Vec<usize>, Outcome)]) {
    let Some(first) = outcomes.first() else { return };
    if outcomes.iter().any(|o| o.2.license != first.2.license) {
        return;
    }
    d.license_required = first.2.license;
    let relievable = |v: Verdict| matches!(v, Verdict::LicenseRequired | Verdict::LicenseException);
    if first.2.license != Some(true) || !outcomes.iter().all(|o| relievable(o.2.verdict)) {
        return;
    }
    d.verdict = Verdict::LicenseRequired;
    let shared: Vec<usize> =
        first.2.requirements.iter().copied().filter(|r| outcomes.iter().all(|o| o.2.requirements.contains(r))).collect();
    d.reasons.extend(shared.iter().filter_map(|i| reason(rs, *i, ReasonKind::Requirement)));
    let no_fields = BTreeSet::new();
    let possible =
        outcomes.iter().flat_map(|o| o.2.exceptions.iter().map(|i| (*i, &no_fields)).chain(o.2.possible.iter().map(|(i, m)| (*i, m))));
    add_possible(rs, d, possible);
    if let Some(r) = first.2.review.filter(|r| outcomes.iter().all(|o| o.2.review == Some(*r))).and_then(|i| rs.rules.get(i)) {
        if let RuleKind::Review { policy } = r.kind {
            d.review_policy = Some(ReviewRef { policy, rule: r.id.clone(), citation: r.citation.clone() });
            d.reasons.extend(first.2.review.and_then(|i| reason(rs, i, ReasonKind::Review)));
        }
    }
}

/// Offers exceptions as possible ("available if …"), each with the fields it depends on, once.
fn add_possible<'m>(rs: &RuleSet, d: &mut Decision, possible: impl Iterator<Item = (usize, &'m BTreeSet<Missing>)>) {
    for (i, fields) in possible {
        let Some(r) = rs.rules.get(i) else { continue };
        let RuleKind::Exception { name, notification, conditions, .. } = &r.kind else { continue };
        for f in fields {
            if !d.missing.contains(f) {
                d.missing.push(f.clone());
            }
        }
        if let Some(p) = d.possible_exceptions.iter_mut().find(|p| p.rule == r.id) {
            p.depends_on.extend(fields.iter().filter(|f| !p.depends_on.contains(f)).cloned().collect::<Vec<_>>());
            continue;
        }
        d.possible_exceptions.push(PossibleException {
            name: name.clone(),
            rule: r.id.clone(),
            notification: *notification,
            summary: r.summary.clone(),
            conditions: conditions.clone(),
            depends_on: fields.iter().cloned().collect(),
            citation: r.citation.clone(),
        });
    }
}

fn regimes(rs: &RuleSet, date: Date) -> Vec<RegimeRef> {
    rs.regimes
        .iter()
        .filter(|g| g.in_force(date))
        .map(|g| RegimeRef {
            id: g.id.clone(),
            title: g.title.clone(),
            effective: g.effective,
            enforced: g.enforced,
            citation: g.citation.clone(),
        })
        .collect()
}

/// The margin to each threshold tested, once per (metric, threshold), in trace order.
fn margins(trace: &[TraceEntry]) -> Vec<Margin> {
    let mut out: Vec<Margin> = Vec::new();
    // What `==` on the threshold says, as a key: -0 is 0, and NaN (never equal) is never seen.
    let key = |th: f64| if th == 0.0 { 0 } else { th.to_bits() };
    let mut seen: HashSet<(Option<&str>, &str, u64)> = HashSet::new();
    for t in trace {
        let (Value::Num(th), Some(Value::Num(a))) = (&t.threshold, &t.actual) else { continue };
        if !th.is_nan() && !seen.insert((t.item.as_deref(), t.metric, key(*th))) {
            continue;
        }
        let pct = if *th != 0.0 { (a - th) / th * 100.0 } else { 0.0 };
        let round = |x: f64| (x * 1e4).round() / 1e4;
        out.push(Margin {
            rule: t.rule.clone(),
            item: t.item.clone(),
            metric: t.metric.to_string(),
            op: t.op.to_string(),
            threshold: *th,
            actual: *a,
            margin: round(a - th),
            margin_pct: round(pct),
        });
    }
    out
}
