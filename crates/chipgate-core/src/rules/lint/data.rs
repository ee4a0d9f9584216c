//! Lints on the data of a pack: D:5 without Macau, chip figures, country codes, group members,
//! and regimes without a citation or an effective date.

use std::collections::HashSet;

use jiff::civil::Date;
use toml::value::Datetime;
use toml::Spanned;

use super::super::cond::{self, Expr, Name, SetExpr};
use super::super::diag::{Code, Diagnostic};
use super::super::raw::{RawChip, RawFigure, RawGroup};
use super::super::RuleSet;
use super::dates::common;
use super::Index;
use crate::chip::{normalize, Metric};

pub(super) fn lint(rs: &RuleSet, ix: &Index<'_>, out: &mut Vec<Diagnostic>) {
    d5(rs, ix, out);
    let builtin = builtin_countries(ix);
    for f in ix.files {
        for c in &f.raw.chip {
            chip(f.file, c.get_ref(), out);
        }
        for g in &f.raw.group {
            members(f.file, g.get_ref(), out, ix);
        }
        for r in &f.raw.regime {
            let r = r.get_ref();
            if r.citation.is_none() {
                out.push(
                    Diagnostic::warning(Code::MissingCitation, f.file, r.id.span(), format!("regime `{}` has no citation", r.id.get_ref()))
                        .with_help("add `citation = { document = \"88 FR 73458 (FR Doc 2023-23055)\", url = \"https://...\" }`"),
                );
            }
            if r.effective.is_none() {
                out.push(
                    Diagnostic::warning(
                        Code::MissingEffective,
                        f.file,
                        r.id.span(),
                        format!("regime `{}` has no effective date, so it applies to every date in the past", r.id.get_ref()),
                    )
                    .with_help("add `effective = YYYY-MM-DD`, the first day the regime is in force"),
                );
            }
        }
        if !f.builtin {
            for c in &f.raw.country {
                countries(f.file, &c.get_ref().code, &c.get_ref().name, &builtin, out);
            }
        }
    }
}

/// A reference that counts in a set: a name on the left of every `-`, or `*`.
enum Pos<'a> {
    All,
    Ref(&'a Name),
}

fn positive<'a>(s: &'a SetExpr, out: &mut Vec<Pos<'a>>) {
    match s {
        SetExpr::All => out.push(Pos::All),
        SetExpr::Ref(n) => out.push(Pos::Ref(n)),
        SetExpr::Union(a, b) | SetExpr::Inter(a, b) => {
            positive(a, out);
            positive(b, out);
        }
        SetExpr::Diff(a, _) => positive(a, out),
    }
}

/// Whether a set covers a country: `*`, the code, a group with it as a member, or a named set
/// that does.
fn covers(ix: &Index<'_>, s: &SetExpr, country: &str, depth: usize) -> bool {
    let mut refs = Vec::new();
    positive(s, &mut refs);
    refs.iter().any(|p| match p {
        Pos::All => true,
        Pos::Ref(n) if n.text == country => true,
        Pos::Ref(n) => {
            ix.groups.get(n.text.as_str()).is_some_and(|g| g.members.iter().any(|m| m.country == country))
                || (depth < 16
                    && ix
                        .sets
                        .get(n.text.as_str())
                        .and_then(|(_, e)| cond::parse_set(e.get_ref()).ok())
                        .is_some_and(|inner| covers(ix, &inner, country, depth + 1)))
        }
    })
}

fn names_of<'a>(s: &'a SetExpr, group: &str) -> Vec<&'a Name> {
    let mut refs = Vec::new();
    positive(s, &mut refs);
    refs.into_iter().filter_map(|p| if let Pos::Ref(n) = p { (n.text == group).then_some(n) } else { None }).collect()
}

/// The first (group, country) pairing a set breaks: it names the group but does not cover a
/// country the regulations always name with it.
fn broken_pair<'a>(ix: &Index<'a>, s: &'a SetExpr) -> Option<(&'a Name, &'a str, &'a str)> {
    ix.named_with.iter().find_map(|g| {
        let name = *names_of(s, &g.id).first()?;
        let missing = g.named_with.iter().find(|c| !covers(ix, s, c, 0))?;
        Some((name, g.id.as_str(), missing.as_str()))
    })
}

fn sets_of<'a>(e: &'a Expr, out: &mut Vec<&'a SetExpr>) {
    match e {
        Expr::And(v) | Expr::Or(v) => v.iter().for_each(|x| sets_of(x, out)),
        Expr::Not(x) => sets_of(x, out),
        Expr::InSet { set, .. } => out.push(set),
        _ => {}
    }
}

/// `d5-without-macau`: a set that names a group without a country the regulations always name
/// with it (`named_with` in the group's definition: D:5 "or Macau").
fn d5(rs: &RuleSet, ix: &Index<'_>, out: &mut Vec<Diagnostic>) {
    let warn = |file: usize, span, what: String, group: &str, code: &str| {
        let name = rs.countries.by_code(code).map(|c| c.name.clone()).unwrap_or_else(|| code.to_string());
        Diagnostic::warning(Code::D5WithoutMacau, file, span, format!("{what} names `{group}` without {name} (`{code}`)")).with_help(format!(
            "the regulations say \"{group} or {name}\": {name} is not in {group}; write `{group} | {code}` or use a named set that includes it"
        ))
    };
    for r in &rs.rules {
        let Some((file, raw)) = ix.rules.get(r.id.as_str()) else { continue };
        let Some(when) = &raw.when else { continue };
        let Ok(expr) = cond::parse(when.get_ref()) else { continue };
        let mut sets = Vec::new();
        sets_of(&expr, &mut sets);
        for s in sets {
            if let Some((n, group, code)) = broken_pair(ix, s) {
                let span = ix.inner(*file, when, &n.span);
                out.push(warn(*file, span, format!("rule `{}`", r.id), group, code));
            }
        }
    }
    let mut ids: Vec<&&str> = ix.sets.keys().collect();
    ids.sort();
    for id in ids {
        let Some((file, expr)) = ix.sets.get(*id) else { continue };
        let Ok(s) = cond::parse_set(expr.get_ref()) else { continue };
        if let Some((n, group, code)) = broken_pair(ix, &s) {
            let span = ix.inner(*file, expr, &n.span);
            out.push(warn(*file, span, format!("set `{id}`"), group, code));
        }
    }
}

fn chip(file: usize, c: &RawChip, out: &mut Vec<Diagnostic>) {
    let id = c.id.get_ref();
    for t in &c.throughput {
        let t = t.get_ref();
        if t.sparse {
            out.push(
                Diagnostic::warning(
                    Code::SparseThroughput,
                    file,
                    t.tops.span(),
                    format!("throughput `{}` of chip `{id}` is marked sparse; it is left out of TPP", t.precision.get_ref()),
                )
                .with_help("TPP uses dense figures: give the dense figure (half a 2:4-sparsity figure) without `sparse = true`"),
            );
        } else if t.source.is_none() {
            out.push(no_source(file, id, &format!("throughput `{}`", t.precision.get_ref()), t.tops.span()));
        }
    }
    let metrics = Metric::ALL.into_iter().filter_map(|m| Some((m.name(), c.figure(m)?)));
    let published: [(&str, &Option<Spanned<RawFigure>>); 2] = [("tpp_published", &c.tpp_published), ("pd_published", &c.pd_published)];
    for (name, fig) in metrics.chain(published) {
        if let Some(f) = fig.as_ref().filter(|f| f.get_ref().source.is_none()) {
            out.push(no_source(file, id, &format!("figure `{name}`"), f.get_ref().value.span()));
        }
    }
}

fn no_source(file: usize, chip: &str, what: &str, span: std::ops::Range<usize>) -> Diagnostic {
    Diagnostic::warning(Code::FigureWithoutSource, file, span, format!("{what} of chip `{chip}` has no source"))
        .with_help("add `source = \"...\"`: a key of the chip's `[chip.sources]` table, or a document or URL")
}

/// A half-open span of days; `None` is open-ended.
type Days = (Option<Date>, Option<Date>);

fn date(d: &Option<Spanned<Datetime>>) -> Option<Date> {
    let dt = d.as_ref()?.get_ref().date?;
    Date::new(i16::try_from(dt.year).ok()?, i8::try_from(dt.month).ok()?, i8::try_from(dt.day).ok()?).ok()
}

fn members(file: usize, g: &RawGroup, out: &mut Vec<Diagnostic>, ix: &Index<'_>) {
    let gid = g.id.get_ref();
    let mut seen: Vec<&Spanned<String>> = Vec::new();
    let dup = |m: &Spanned<String>, first: &Spanned<String>, what: String, out: &mut Vec<Diagnostic>| {
        let loc = ix.location(file, &first.span());
        out.push(
            Diagnostic::warning(Code::DuplicateMember, file, m.span(), what)
                .with_related(file, first.span(), format!("first listed here ({loc})"))
                .with_help("list each country once; a dated `[[group.change]]` replaces an undated entry in `members`"),
        );
    };
    let mut listed = HashSet::new();
    for m in &g.members {
        if let Some(first) = seen.iter().find(|s| s.get_ref() == m.get_ref()) {
            dup(m, first, format!("`{}` is listed twice in group `{gid}`", m.get_ref()), out);
        } else {
            seen.push(m);
            listed.insert(m.get_ref().as_str());
        }
    }
    let mut changes: Vec<(&Spanned<String>, Days)> = Vec::new();
    for ch in &g.change {
        let ch = ch.get_ref();
        let span = (date(&ch.from), date(&ch.until));
        if let Some(first) = seen.iter().find(|s| s.get_ref() == ch.country.get_ref()) {
            dup(
                &ch.country,
                first,
                format!("`{}` is both an undated member of group `{gid}` and in a dated change", ch.country.get_ref()),
                out,
            );
        } else if let Some((first, _)) = changes.iter().find(|(c, s)| c.get_ref() == ch.country.get_ref() && common(*s, span).is_some()) {
            dup(&ch.country, first, format!("`{}` is in two changes of group `{gid}` whose dates overlap", ch.country.get_ref()), out);
        }
        changes.push((&ch.country, span));
    }
}

/// (code, name and aliases) of every country in the built-in table, unless no pack but the
/// built-in one defines countries (then there is nothing to compare).
fn builtin_countries(ix: &Index<'_>) -> Vec<(String, Vec<String>)> {
    if ix.files.iter().all(|f| f.builtin || f.raw.country.is_empty()) {
        return Vec::new();
    }
    super::super::load::builtin_countries()
}

fn countries(file: usize, code: &Spanned<String>, name: &str, builtin: &[(String, Vec<String>)], out: &mut Vec<Diagnostic>) {
    let c = code.get_ref();
    let well_formed = c.len() == 2 && c.chars().all(|ch| ch.is_ascii_uppercase());
    if !well_formed || builtin.is_empty() || builtin.iter().any(|(k, _)| k == c) {
        return;
    }
    let key = normalize(name);
    let same = builtin.iter().find(|(_, names)| names.iter().any(|n| normalize(n) == key));
    let user_assigned = c == "AA" || c == "ZZ" || ("QM"..="QZ").contains(&c.as_str()) || c.starts_with('X');
    let (msg, help) = match same {
        Some((k, _)) => (
            format!("`{c}` is not the ISO 3166-1 alpha-2 code of {name}"),
            format!("{name} is `{k}`; refer to it by that code, or say `replaces = true` on a `{k}` entry to change its name"),
        ),
        None if user_assigned => (
            format!("`{c}` is a user-assigned code, not an ISO 3166-1 alpha-2 country code"),
            "shipment files and other tools will not know this code; use the ISO code if the territory has one".to_string(),
        ),
        None => (
            format!("`{c}` is not an ISO 3166-1 alpha-2 code known to chipgate"),
            "check the code against ISO 3166-1; shipment files and other tools will not know a private code".to_string(),
        ),
    };
    out.push(Diagnostic::warning(Code::NonIsoCountryCode, file, code.span(), msg).with_help(help));
}
