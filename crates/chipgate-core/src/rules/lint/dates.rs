//! `date-overlap` and `date-gap`: versions of one rule family that are in force at the same
//! time, or that leave days on which none is.

use std::ops::Range;

use jiff::civil::Date;

use super::super::diag::{Code, Diagnostic};
use super::super::{Rule, RuleKind, RuleSet};
use super::Index;

/// A half-open span of days; `None` is open-ended.
type Span = (Option<Date>, Option<Date>);

/// The days both spans cover, if any.
pub(super) fn common(a: Span, b: Span) -> Option<Span> {
    let start = a.0.max(b.0);
    let end = match (a.1, b.1) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    };
    match (start, end) {
        (Some(s), Some(e)) if s >= e => None,
        _ => Some((start, end)),
    }
}

/// `from X to Y` / `from X on` / `at all times`, for messages.
pub(super) fn describe(s: Span) -> String {
    match s {
        (Some(a), Some(b)) => format!("from {a} until {b}"),
        (Some(a), None) => format!("from {a} on"),
        (None, Some(b)) => format!("until {b}"),
        (None, None) => "at all times".into(),
    }
}

/// Whether a rule is in force on some day.
fn ever(r: &Rule) -> bool {
    common(span_of(r), (None, None)).is_some()
}

pub(super) fn span_of(r: &Rule) -> Span {
    (r.effective, r.until)
}

pub(super) fn lint(rs: &RuleSet, ix: &Index<'_>, out: &mut Vec<Diagnostic>) {
    regimes(rs, ix, out);
    let chains = chains(rs, ix);
    let n = rs.rules.len();
    let mut family: Vec<usize> = (0..n).collect();
    for (i, j) in candidates(rs, &chains) {
        let (Some(a), Some(b)) = (rs.rules.get(i), rs.rules.get(j)) else { continue };
        if !same_family(a, b, &chains) || !ever(a) || !ever(b) {
            continue;
        }
        union(&mut family, i, j);
        // Same condition and same outcome at the same time is `shadowed-rule`'s business.
        if a.when == b.when && a.kind == b.kind {
            continue;
        }
        if let Some(both) = common(span_of(a), span_of(b)) {
            out.extend(overlap(ix, a, b, both));
        }
    }
    gaps(rs, ix, &mut family, out);
}

fn table(k: &RuleKind) -> u8 {
    match k {
        RuleKind::Classification { .. } => 0,
        RuleKind::Requirement { .. } => 1,
        RuleKind::Exception { .. } => 2,
        RuleKind::Review { .. } => 3,
        RuleKind::Presumption { .. } => 4,
    }
}

fn suffix(id: &str) -> &str {
    id.rsplit('/').next().unwrap_or(id)
}

/// The pairs of rules (`i < j`, in order) that may be of one family ([`same_family`]): those
/// sharing a table and a named family, an exception name, a condition, or a regime chain and an
/// id suffix, found through an index instead of by comparing every pair.
fn candidates(rs: &RuleSet, chains: &[usize]) -> Vec<(usize, usize)> {
    let mut buckets: std::collections::HashMap<(u8, u8, String), Vec<usize>> = std::collections::HashMap::new();
    for (i, r) in rs.rules.iter().enumerate() {
        let t = table(&r.kind);
        if let Some(f) = &r.family {
            buckets.entry((t, 3, f.clone())).or_default().push(i);
            continue;
        }
        if let RuleKind::Exception { name, .. } = &r.kind {
            buckets.entry((t, 0, name.clone())).or_default().push(i);
        }
        buckets.entry((t, 1, format!("{:?}", r.when))).or_default().push(i);
        if r.id.contains('/') {
            let chain = chains.get(r.regime).copied().unwrap_or(usize::MAX);
            buckets.entry((t, 2, format!("{chain}/{}", suffix(&r.id)))).or_default().push(i);
        }
    }
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for members in buckets.values() {
        for (k, &i) in members.iter().enumerate() {
            pairs.extend(members.iter().skip(k + 1).map(|&j| (i, j)));
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    pairs.retain(|&(i, j)| matches!((rs.rules.get(i), rs.rules.get(j)), (Some(a), Some(b)) if same_family(a, b, chains)));
    pairs
}

/// Whether two rules are versions of one family: the family the pack names (`family`), else
/// one exception name, one condition, or one id after its `/` in one `superseded_by` chain.
fn same_family(a: &Rule, b: &Rule, chains: &[usize]) -> bool {
    if table(&a.kind) != table(&b.kind) {
        return false;
    }
    // A family the pack names is the only one a rule is of.
    match (&a.family, &b.family) {
        (Some(x), Some(y)) => return x == y,
        (Some(_), None) | (None, Some(_)) => return false,
        (None, None) => {}
    }
    if let (RuleKind::Exception { name: x, .. }, RuleKind::Exception { name: y, .. }) = (&a.kind, &b.kind) {
        if x == y {
            return true;
        }
    }
    let linked = chains.get(a.regime).is_some_and(|c| Some(c) == chains.get(b.regime));
    a.when == b.when || (linked && a.id.contains('/') && suffix(&a.id) == suffix(&b.id))
}

/// For each regime, the index of the first regime of its `superseded_by` chain.
fn chains(rs: &RuleSet, ix: &Index<'_>) -> Vec<usize> {
    let mut root: Vec<usize> = (0..rs.regimes.len()).collect();
    for (i, g) in rs.regimes.iter().enumerate() {
        if let Some(&j) = g.superseded_by.as_ref().and_then(|s| ix.regime_at.get(s.as_str())) {
            union(&mut root, i, j);
        }
    }
    (0..root.len()).map(|i| find(&mut root, i)).collect()
}

fn find(p: &mut [usize], i: usize) -> usize {
    let mut x = i;
    let mut steps = 0;
    while let Some(&up) = p.get(x) {
        if up == x || steps > p.len() {
            break;
        }
        x = up;
        steps += 1;
    }
    x
}

fn union(p: &mut [usize], a: usize, b: usize) {
    let (ra, rb) = (find(p, a), find(p, b));
    if let Some(slot) = p.get_mut(ra.max(rb)) {
        *slot = ra.min(rb);
    }
}

/// The span a diagnostic about a rule's dates points at: `effective`, else the id.
fn date_span(ix: &Index<'_>, r: &Rule, start: bool) -> Option<(usize, Range<usize>)> {
    let (file, raw) = ix.rules.get(r.id.as_str())?;
    let d = if start { raw.effective.as_ref() } else { raw.until.as_ref() };
    Some((*file, d.map(|d| d.span()).or_else(|| raw.id_span())?))
}

fn id_span(ix: &Index<'_>, r: &Rule) -> Option<(usize, Range<usize>)> {
    ix.rules.get(r.id.as_str()).and_then(|(f, raw)| Some((*f, raw.id_span()?)))
}

fn overlap(ix: &Index<'_>, a: &Rule, b: &Rule, both: Span) -> Option<Diagnostic> {
    let (file, span) = date_span(ix, b, true)?;
    let (afile, aspan) = id_span(ix, a)?;
    let loc = ix.location(afile, &aspan);
    Some(
        Diagnostic::warning(
            Code::DateOverlap,
            file,
            span,
            format!("rules `{}` and `{}` of the same family are both in force {}", a.id, b.id, describe(both)),
        )
        .with_related(afile, aspan, format!("`{}` defined here ({loc})", a.id))
        .with_help(match a.until {
            None => format!("if `{}` replaces `{}`, give `{}` an `until` date", b.id, a.id, a.id),
            Some(_) => format!("if `{}` replaces `{}`, the one should end the day the other starts", b.id, a.id),
        }),
    )
}

fn gaps(rs: &RuleSet, ix: &Index<'_>, family: &mut [usize], out: &mut Vec<Diagnostic>) {
    let n = rs.rules.len();
    let roots: Vec<usize> = (0..n).map(|i| find(family, i)).collect();
    let mut by_root: std::collections::HashMap<usize, Vec<usize>> = std::collections::HashMap::new();
    for (j, root) in roots.iter().enumerate() {
        by_root.entry(*root).or_default().push(j);
    }
    let mut done = vec![false; n];
    for i in 0..n {
        if done.get(i).copied().unwrap_or(true) {
            continue;
        }
        let root = roots.get(i).copied().unwrap_or(i);
        let mut members: Vec<&Rule> = Vec::new();
        for &j in by_root.get(&root).map(Vec::as_slice).unwrap_or_default() {
            if let Some(r) = rs.rules.get(j) {
                members.push(r);
            }
            if let Some(d) = done.get_mut(j) {
                *d = true;
            }
        }
        if members.len() < 2 {
            continue;
        }
        members.sort_by_key(|r| r.effective);
        let mut covered: Option<(Option<Date>, &Rule)> = None;
        for r in members {
            if let Some((Some(end), prev)) = covered {
                if r.effective.is_some_and(|e| e > end) {
                    out.extend(gap(ix, prev, r, end));
                }
            }
            covered = match covered {
                None => Some((r.until, r)),
                Some((end, prev)) => {
                    let later = match (end, r.until) {
                        (None, _) => false,
                        (_, None) => true,
                        (Some(x), Some(y)) => y > x,
                    };
                    if later {
                        Some((r.until, r))
                    } else {
                        Some((end, prev))
                    }
                }
            };
        }
    }
}

fn gap(ix: &Index<'_>, prev: &Rule, next: &Rule, end: Date) -> Option<Diagnostic> {
    let (file, span) = date_span(ix, next, true)?;
    let (pfile, pspan) = date_span(ix, prev, false)?;
    let loc = ix.location(pfile, &pspan);
    let start = next.effective?;
    Some(
        Diagnostic::warning(
            Code::DateGap,
            file,
            span,
            format!(
                "rule `{}` takes effect on {start}, but `{}` of the same family ends on {end}: neither is in force in between",
                next.id, prev.id
            ),
        )
        .with_related(pfile, pspan, format!("`{}` defined here, in force until {end} ({loc})", prev.id))
        .with_help(format!("if `{}` replaces `{}`, start it on {end} or end `{}` on {start}", next.id, prev.id, prev.id)),
    )
}

fn regimes(rs: &RuleSet, ix: &Index<'_>, out: &mut Vec<Diagnostic>) {
    for a in &rs.regimes {
        let Some(next) = a.superseded_by.as_deref() else { continue };
        let b = ix.regime_at.get(next).and_then(|&i| rs.regimes.get(i));
        let (Some(b), Some((file, raw))) = (b, ix.regimes.get(a.id.as_str())) else { continue };
        let Some(start) = b.effective else { continue };
        let span =
            raw.until.as_ref().map(|u| u.span()).or_else(|| raw.superseded_by.as_ref().map(|s| s.span())).unwrap_or_else(|| raw.id.span());
        let (code, msg, help) = match a.until {
            None => (
                Code::DateOverlap,
                format!("regime `{}` is superseded by `{}` but has no `until`: both are in force from {start} on", a.id, b.id),
                format!("add `until = {start}` to `{}`", a.id),
            ),
            Some(end) if end > start => (
                Code::DateOverlap,
                format!("regime `{}` ends on {end}, after `{}`, which supersedes it, takes effect on {start}", a.id, b.id),
                format!("end `{}` on {start}", a.id),
            ),
            Some(end) if end < start => (
                Code::DateGap,
                format!("regime `{}` ends on {end}, but `{}`, which supersedes it, takes effect only on {start}", a.id, b.id),
                format!("end `{}` on {start}, or check the effective date of `{}`", a.id, b.id),
            ),
            Some(_) => continue,
        };
        let mut d = Diagnostic::warning(code, *file, span, msg).with_help(help);
        if let Some((bfile, braw)) = ix.regimes.get(b.id.as_str()) {
            let bspan = braw.effective.as_ref().map(|e| e.span()).unwrap_or_else(|| braw.id.span());
            let loc = ix.location(*bfile, &bspan);
            d = d.with_related(*bfile, bspan, format!("`{}` takes effect here ({loc})", b.id));
        }
        out.push(d);
    }
}
