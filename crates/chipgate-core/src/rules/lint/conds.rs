//! `never-holds` and `shadowed-rule`: rules that can never decide anything.

use super::super::cond::Op;
use super::super::diag::{Code, Diagnostic};
use super::super::{Cond, Rule, RuleKind, RuleSet, Set};
use super::dates::{common, describe, span_of};
use super::Index;
use crate::chip::Metric;

pub(super) fn lint(rs: &RuleSet, ix: &Index<'_>, out: &mut Vec<Diagnostic>) {
    for r in &rs.rules {
        if let Some(d) = never(ix, r) {
            out.push(d);
        }
    }
    repeats(rs, ix, out);
    reviews(rs, ix, out);
    review_ties(rs, ix, out);
    eccn_precedence(rs, ix, out);
}

fn never(ix: &Index<'_>, r: &Rule) -> Option<Diagnostic> {
    let (file, raw) = ix.rules.get(r.id.as_str())?;
    let own_inverted = matches!((&raw.effective, &raw.until), (Some(a), Some(b)) if a.get_ref().to_string() >= b.get_ref().to_string());
    if let (Some(a), Some(b), false) = (r.effective, r.until, own_inverted) {
        if a >= b {
            let span = raw.until.as_ref().or(raw.effective.as_ref()).map(|d| d.span()).or_else(|| raw.id_span()).unwrap_or_default();
            return Some(
                Diagnostic::warning(
                    Code::NeverHolds,
                    *file,
                    span,
                    format!("rule `{}` is never in force: it takes effect on {a} and ends on {b}", r.id),
                )
                .with_help("a rule is in force only within its regime's dates; check `effective` and `until` of both"),
            );
        }
    }
    let why = unsatisfiable(&r.when)?;
    Some(
        Diagnostic::warning(
            Code::NeverHolds,
            *file,
            raw.when_span().unwrap_or_default(),
            format!("the condition of rule `{}` can never hold: {why}", r.id),
        )
        .with_help("check the operators and thresholds; a rule that never holds never changes a verdict"),
    )
}

/// Why a condition can never be true, if it certainly cannot (a conservative check).
pub(super) fn unsatisfiable(c: &Cond) -> Option<String> {
    match c {
        Cond::Const(false) => Some("it is `false`".into()),
        Cond::Or(v) => {
            let whys: Option<Vec<String>> = v.iter().map(unsatisfiable).collect();
            whys.map(|w| format!("no alternative can hold ({})", w.join("; ")))
        }
        Cond::Not(x) if always(x) => Some("it negates a condition that always holds".into()),
        Cond::Not(x) if !matches!(x.as_ref(), Cond::Cmp { .. }) => None,
        Cond::Eccn(l) | Cond::Chip(l) | Cond::Exporter(l) if l.is_empty() => Some("it tests membership in an empty list".into()),
        Cond::And(_) | Cond::Cmp { .. } | Cond::Not(_) => {
            let mut parts = Vec::new();
            conjuncts(c, &mut parts);
            if let Some(why) = parts.iter().find_map(|p| if matches!(p, Cond::And(_)) { None } else { unsatisfiable_atom(p) }) {
                return Some(why);
            }
            contradiction(&parts)
        }
        _ => None,
    }
}

fn unsatisfiable_atom(c: &Cond) -> Option<String> {
    if bound(c).is_some() {
        return None;
    }
    unsatisfiable(c)
}

fn always(c: &Cond) -> bool {
    match c {
        Cond::Const(b) => *b,
        Cond::And(v) => v.iter().all(always),
        Cond::Or(v) => v.iter().any(always),
        Cond::Not(x) => unsatisfiable(x).is_some(),
        _ => false,
    }
}

/// The operands of nested `and`s, flattened.
pub(super) fn conjuncts<'a>(c: &'a Cond, out: &mut Vec<&'a Cond>) {
    match c {
        Cond::And(v) => v.iter().for_each(|x| conjuncts(x, out)),
        other => out.push(other),
    }
}

/// A bound on a metric: `metric op value`, with `not` folded in.
fn bound(c: &Cond) -> Option<(Metric, Op, f64)> {
    match c {
        Cond::Cmp { metric, op, value } => Some((*metric, *op, *value)),
        Cond::Not(x) => match x.as_ref() {
            Cond::Cmp { metric, op, value } => Some((*metric, negate(*op), *value)),
            _ => None,
        },
        _ => None,
    }
}

fn negate(op: Op) -> Op {
    match op {
        Op::Ge => Op::Lt,
        Op::Gt => Op::Le,
        Op::Le => Op::Gt,
        Op::Lt => Op::Ge,
        Op::Eq => Op::Ne,
        Op::Ne => Op::Eq,
    }
}

/// Contradictions among the operands of one `and`: bounds on a metric that leave no value
/// (every metric is ≥ 0), or a condition next to its negation.
fn contradiction(parts: &[&Cond]) -> Option<String> {
    for (i, a) in parts.iter().enumerate() {
        if let Cond::Not(x) = a {
            if parts.iter().enumerate().any(|(j, b)| i != j && **b == **x) {
                return Some("it requires a condition and its negation".into());
            }
        }
    }
    for m in Metric::ALL {
        // lower bound (value, inclusive), upper bound (value, inclusive); metrics are ≥ 0.
        let mut lo = (0.0_f64, true);
        let mut hi = (f64::INFINITY, false);
        let mut texts = Vec::new();
        for (bm, op, v) in parts.iter().filter_map(|p| bound(p)) {
            if bm != m {
                continue;
            }
            texts.push(format!("{} {op} {v}", m.name()));
            match op {
                Op::Ge if v > lo.0 || (v == lo.0 && !lo.1) => lo = (v, true),
                Op::Gt if v >= lo.0 => lo = (v, false),
                Op::Le if v < hi.0 || (v == hi.0 && !hi.1) => hi = (v, true),
                Op::Lt if v <= hi.0 => hi = (v, false),
                Op::Eq => {
                    if v > lo.0 || (v == lo.0 && !lo.1) {
                        lo = (v, true);
                    }
                    if v < hi.0 || (v == hi.0 && !hi.1) {
                        hi = (v, true);
                    }
                }
                _ => {}
            }
        }
        let empty = lo.0 > hi.0 || (lo.0 == hi.0 && !(lo.1 && hi.1));
        if empty && !texts.is_empty() {
            let what = if texts.len() == 1 {
                format!("`{}` is never true of a metric, which is never negative", texts.join(""))
            } else {
                format!("no value satisfies `{}`", texts.join(" and "))
            };
            return Some(what);
        }
    }
    None
}

/// Whether `r` holding implies `e` holds (a conservative, syntactic check): every operand of
/// `e`'s `and` is an operand of `r`'s, or a bound implied by one of `r`'s bounds.
fn implies(r: &Cond, e: &Cond) -> bool {
    let (mut rp, mut ep) = (Vec::new(), Vec::new());
    conjuncts(r, &mut rp);
    conjuncts(e, &mut ep);
    ep.iter().all(|x| always(x) || rp.iter().any(|y| y == x || bound_implies(y, x)))
}

fn bound_implies(y: &Cond, x: &Cond) -> bool {
    let (Some((my, oy, vy)), Some((mx, ox, vx))) = (bound(y), bound(x)) else { return false };
    if my != mx {
        return false;
    }
    match (oy, ox) {
        (Op::Ge, Op::Ge) | (Op::Gt, Op::Gt) | (Op::Gt, Op::Ge) => vy >= vx,
        (Op::Ge, Op::Gt) => vy > vx,
        (Op::Le, Op::Le) | (Op::Lt, Op::Lt) | (Op::Lt, Op::Le) => vy <= vx,
        (Op::Le, Op::Lt) => vy < vx,
        (Op::Eq, _) => ox.apply(vy, vx),
        _ => false,
    }
}

/// `shadowed-rule`: a later rule of the same table with the same condition and outcome, in
/// force at the same time as an earlier one.
fn repeats(rs: &RuleSet, ix: &Index<'_>, out: &mut Vec<Diagnostic>) {
    // The earlier rules of each (outcome, condition), instead of every earlier rule.
    let mut seen: std::collections::HashMap<String, Vec<&Rule>> = std::collections::HashMap::new();
    for b in &rs.rules {
        let same = seen.entry(format!("{:?}{:?}", b.kind, b.when)).or_default();
        let first = same.iter().copied().find(|a| a.kind == b.kind && a.when == b.when && common(span_of(a), span_of(b)).is_some());
        same.push(b);
        if let Some(a) = first {
            let both = common(span_of(a), span_of(b)).map(describe).unwrap_or_default();
            out.extend(shadowed(ix, a, b, format!("rule `{}` repeats `{}`: same condition and outcome, both in force {both}", b.id, a.id)));
        }
    }
}

/// `shadowed-rule` for review policies, tried newest-effective first: a review rule is dead
/// when one tried before it is in force whenever it is and holds whenever it holds.
fn reviews(rs: &RuleSet, ix: &Index<'_>, out: &mut Vec<Diagnostic>) {
    let is_review = |r: &Rule| matches!(r.kind, RuleKind::Review { .. }) && rs.regime_of(r).is_some_and(|g| g.enforced);
    // Each review rule is compared with the other review rules only, not with every rule.
    let reviews: Vec<(usize, &Rule)> = rs.rules.iter().enumerate().filter(|(_, r)| is_review(r)).collect();
    for &(j, r) in &reviews {
        let before = |(i, e): &(usize, &Rule)| e.effective > r.effective || (e.effective == r.effective && *i < j);
        let covers = |e: &Rule| common(span_of(e), span_of(r)) == Some(span_of(r));
        let hit = reviews.iter().copied().find(|p| {
            let e = p.1;
            p.0 != j && before(p) && covers(e) && !(e.kind == r.kind && e.when == r.when) && implies(&r.when, &e.when)
        });
        if let Some((_, e)) = hit {
            out.extend(shadowed(
                ix,
                e,
                r,
                format!("review rule `{}` never decides: `{}` is tried first and holds whenever it does", r.id, e.id),
            ));
        }
    }
}

/// `review-tie`: two review rules in force on a common day that take effect on the same day,
/// give different policies and may both hold. Review rules are tried newest `effective` first;
/// between these two only their order in the files decides, which the text should not leave to
/// chance.
fn review_ties(rs: &RuleSet, ix: &Index<'_>, out: &mut Vec<Diagnostic>) {
    let policy = |r: &Rule| match r.kind {
        RuleKind::Review { policy } => Some(policy),
        _ => None,
    };
    let enforced = |r: &Rule| rs.regime_of(r).is_some_and(|g| g.enforced);
    let reviews: Vec<&Rule> = rs.rules.iter().filter(|r| policy(r).is_some() && enforced(r)).collect();
    for (j, b) in reviews.iter().enumerate() {
        let tie = reviews.iter().take(j).find(|a| {
            let Some(both) = common(span_of(a), span_of(b)) else { return false };
            a.effective == b.effective
                && policy(a) != policy(b)
                && !implies(&b.when, &a.when)
                && !exclusive(rs, &a.when, &b.when, &days_of(rs, both))
        });
        let Some(a) = tie else { continue };
        let (Some((file, raw)), Some((afile, araw))) = (ix.rules.get(b.id.as_str()), ix.rules.get(a.id.as_str())) else { continue };
        let aspan = araw.id_span().unwrap_or_default();
        let loc = ix.location(*afile, &aspan);
        let (pa, pb) = (policy(a).map_or("", |p| p.name()), policy(b).map_or("", |p| p.name()));
        let day = a.effective.map_or_else(|| "always".to_string(), |d| format!("on {d}"));
        out.push(
            Diagnostic::warning(
                Code::ReviewTie,
                *file,
                raw.id_span().unwrap_or_default(),
                format!(
                    "review rules `{}` ({pa}) and `{}` ({pb}) both take effect {day} and may both hold: `{}`, defined first, decides",
                    a.id, b.id, a.id
                ),
            )
            .with_related(*afile, aspan, format!("`{}` defined here ({loc})", a.id))
            .with_help("narrow the conditions so that they cannot both hold, or give the one that should decide a later `effective`"),
        );
    }
}

/// `eccn-precedence`: classification rules of ECCNs declared in different files that may both
/// hold for one item on a common day; the ECCN declared first wins, by the order in which the
/// files were read. One warning per later ECCN, on its declaration, naming the earlier ones.
fn eccn_precedence(rs: &RuleSet, ix: &Index<'_>, out: &mut Vec<Diagnostic>) {
    let classifying: Vec<(&Rule, &str)> = rs
        .rules
        .iter()
        .filter_map(|r| match &r.kind {
            RuleKind::Classification { eccn: Some(e), .. } => Some((r, e.as_str())),
            _ => None,
        })
        .collect();
    for (later, e) in rs.eccns.iter().enumerate() {
        let Some((file, span)) = ix.eccns.get(e.id.as_str()) else { continue };
        // Each earlier ECCN of another file, with a pair of rules that may both hold.
        let mut earlier: Vec<(&str, &Rule, &Rule, usize, &std::ops::Range<usize>)> = Vec::new();
        for first in rs.eccns.iter().take(later) {
            let Some((ffile, fspan)) = ix.eccns.get(first.id.as_str()).filter(|(f, _)| f != file) else { continue };
            // ECCNs of kinds of item apart (3A090 for ICs, 4A090 for computers) never compete.
            if !crate::chip::Item::ALL.iter().any(|k| first.classifies(*k) && e.classifies(*k)) {
                continue;
            }
            let pair = classifying.iter().filter(|(_, x)| *x == e.id).find_map(|&(b, _)| {
                classifying.iter().filter(|(_, x)| *x == first.id).find_map(|&(a, _)| {
                    let both = common(span_of(a), span_of(b))?;
                    (!exclusive(rs, &a.when, &b.when, &days_of(rs, both))).then_some((a, b))
                })
            });
            if let Some((a, b)) = pair {
                earlier.push((first.id.as_str(), a, b, *ffile, fspan));
            }
        }
        let Some(&(_, _, b, ffile, fspan)) = earlier.first() else { continue };
        let others: Vec<String> = earlier.iter().map(|(id, a, _, _, _)| format!("`{id}` (by `{}`)", a.id)).collect();
        let loc = ix.location(ffile, fspan);
        out.push(
            Diagnostic::warning(
                Code::EccnPrecedence,
                *file,
                span.clone(),
                format!(
                    "an item that `{}` classifies `{}` may also be classified {}, declared in a file read before this one: the ECCN declared first wins",
                    b.id,
                    e.id,
                    others.join(", ")
                ),
            )
            .with_related(ffile, fspan.clone(), format!("`{}` declared here ({loc})", earlier.first().map_or("", |x| x.0)))
            .with_help(format!(
                "narrow the conditions so that they cannot both hold, or declare `{}` in the file of the ECCNs it competes with, in the order meant",
                e.id
            )),
        );
    }
}

/// The days on which the country groups of a span may differ: its first, and each change date
/// within it.
fn days_of(rs: &RuleSet, (from, until): (Option<jiff::civil::Date>, Option<jiff::civil::Date>)) -> Vec<jiff::civil::Date> {
    let first = from.unwrap_or(jiff::civil::Date::MIN);
    let within = rs.change_dates.iter().copied().filter(|d| *d > first && until.is_none_or(|u| *d < u));
    std::iter::once(first).chain(within).collect()
}

/// Whether two conditions are shown never to hold together on these days (a conservative
/// check): bounds that leave no value, a test beside its negation, country tests whose sets
/// share no country (or a set inside one the other excludes), ECCN lists that share no ECCN
/// (or a list inside one the other excludes), or an `or` each of whose branches is excluded.
fn exclusive(rs: &RuleSet, a: &Cond, b: &Cond, days: &[jiff::civil::Date]) -> bool {
    let (mut pa, mut pb) = (Vec::new(), Vec::new());
    conjuncts(a, &mut pa);
    conjuncts(b, &mut pb);
    let all: Vec<&Cond> = pa.iter().chain(&pb).copied().collect();
    if contradiction(&all).is_some() {
        return true;
    }
    let branches_excluded =
        |parts: &[&Cond], other: &Cond| parts.iter().any(|p| matches!(p, Cond::Or(v) if v.iter().all(|x| exclusive(rs, x, other, days))));
    branches_excluded(&pa, b) || branches_excluded(&pb, a) || pa.iter().any(|x| pb.iter().any(|y| atoms_exclusive(rs, x, y, days)))
}

fn atoms_exclusive(rs: &RuleSet, x: &Cond, y: &Cond, days: &[jiff::civil::Date]) -> bool {
    let negates = |p: &Cond, q: &Cond| matches!(p, Cond::Not(n) if **n == *q);
    if negates(x, y) || negates(y, x) {
        return true;
    }
    // An item has one ECCN: two lists that no ECCN meets both of, or a list inside one the other
    // excludes (an ECCN meets a list that names it or the ECCN whose licensing it takes).
    let meets = move |l: &[String]| rs.eccns.iter().filter(move |e| rs.eccn_in(&e.id, l)).map(|e| e.id.as_str()).collect::<Vec<_>>();
    let inside = |l1: &[String], l2: &[String]| meets(l1).iter().all(|e| rs.eccn_in(e, l2));
    match (x, y) {
        (Cond::Eccn(l1), Cond::Eccn(l2)) if !meets(l1).iter().any(|e| rs.eccn_in(e, l2)) => return true,
        (Cond::Eccn(l1), Cond::Not(n)) | (Cond::Not(n), Cond::Eccn(l1)) if matches!(&**n, Cond::Eccn(l2) if inside(l1, l2)) => return true,
        _ => {}
    }
    let members =
        |set: &Set, day: jiff::civil::Date| -> Vec<bool> { rs.countries.all().iter().map(|c| rs.in_set(set, &c.codes(), day)).collect() };
    match (country_test(x), country_test(y)) {
        // Two tests of one country: no country in both sets.
        (Some((k, s1, false)), Some((l, s2, false))) if k == l => {
            days.iter().all(|d| members(s1, *d).iter().zip(members(s2, *d)).all(|(a, b)| !(*a && b)))
        }
        // A test and the negation of one of the same country: the first set inside the second.
        (Some((k, s1, false)), Some((l, s2, true))) | (Some((l, s2, true)), Some((k, s1, false))) if k == l => {
            days.iter().all(|d| members(s1, *d).iter().zip(members(s2, *d)).all(|(a, b)| !*a || b))
        }
        _ => false,
    }
}

/// A test of a country of the transaction (which one, its set, and whether negated).
fn country_test(c: &Cond) -> Option<(u8, &Set, bool)> {
    let (c, negated) = match c {
        Cond::Not(n) => (&**n, true),
        c => (c, false),
    };
    match c {
        Cond::Destination { set, .. } => Some((0, set, negated)),
        Cond::EndUserHq { set, .. } => Some((1, set, negated)),
        Cond::ShipFrom { set, .. } => Some((2, set, negated)),
        _ => None,
    }
}

fn shadowed(ix: &Index<'_>, a: &Rule, b: &Rule, msg: String) -> Option<Diagnostic> {
    let (file, raw) = ix.rules.get(b.id.as_str())?;
    let (afile, araw) = ix.rules.get(a.id.as_str())?;
    let aspan = araw.id_span().unwrap_or_default();
    let loc = ix.location(*afile, &aspan);
    Some(
        Diagnostic::warning(Code::ShadowedRule, *file, raw.id_span().unwrap_or_default(), msg)
            .with_related(*afile, aspan, format!("`{}` defined here ({loc})", a.id))
            .with_help(format!("remove `{}`, or narrow `{}`'s condition or dates", b.id, a.id)),
    )
}
