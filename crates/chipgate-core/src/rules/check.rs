//! From parsed rule files to a checked [`RuleSet`]: resolves every reference, checks dates,
//! numbers and kinds, applies layering (`replaces`), and collects every problem it finds.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use jiff::civil::Date;
use toml::value::Datetime;
use toml::Spanned;

use super::cond::{self, Expr, SetExpr};
use super::diag::{did_you_mean, Code, Diagnostic, Sources};
use super::raw::*;
use super::*;
use crate::chip::{self, Chip, Figure, Precision, Throughput};
use crate::geo::{Country, Membership};
use crate::parties::{Party, PartyList};

/// One parsed file, with the pack it belongs to.
pub(crate) struct ParsedFile {
    pub file: usize,
    pub pack: String,
    pub raw: RawFile,
    /// Whether the file belongs to the built-in pack.
    pub builtin: bool,
    /// The jurisdiction its pack's `[pack]` header names, on the file that holds the header.
    pub jurisdiction: Option<super::raw::SStr>,
}

/// Where an id was first defined, for clash reports.
#[derive(Clone)]
struct Def {
    file: usize,
    span: Range<usize>,
    pack: String,
    index: usize,
}

/// A group or named set a condition names: its kind and id.
type Named = (&'static str, String);

pub(crate) struct Checker<'a> {
    sources: &'a Sources,
    pub diags: Vec<Diagnostic>,
    rs: RuleSet,
    sets: HashMap<String, (usize, Spanned<String>)>,
    defs: HashMap<(&'static str, String), Def>,
    /// The groups and named sets the condition being resolved names.
    using: Vec<Named>,
    /// Named sets already expanded, by id (`None`: it failed, and said so), with the groups and
    /// sets the expansion names.
    expanded: HashMap<String, (Option<Set>, Vec<Named>)>,
    /// Where each id rules refer to lies, once its definitions are all read.
    ids: Ids,
    /// The replacements made, in order; `None` where a later pack replaced the same item again.
    replacements: Vec<Option<Replacement>>,
    /// The slot in `replacements` of each (kind, id) replaced.
    replaced: HashMap<(&'static str, String), usize>,
    /// The (slot, rule id) pairs already recorded as resting on a replacement.
    resting: HashSet<(usize, String)>,
    /// Never read: lets [`Checker::err`] return a reference without a panic path.
    spare: Diagnostic,
}

/// Indexes by id of what conditions and rules refer to (the first definition of an id, as a
/// search in definition order finds it), so that resolving N rules is not N searches.
#[derive(Default)]
struct Ids {
    regimes: HashMap<String, usize>,
    groups: HashMap<String, usize>,
    eccns: HashSet<String>,
    families: HashSet<String>,
    requirements: HashSet<String>,
}

/// Each item's position by id, the first of an id kept.
/// The scores of a party list that does not give its own: only a name equal to a listed one
/// once normalised is a match; a misspelling or a longer name holding a listed one is a
/// possible match (see [`crate::parties::score`]).
const DEFAULT_MATCH: f64 = 1.0;
const DEFAULT_POSSIBLE: f64 = 0.85;

fn positions<'x>(ids: impl Iterator<Item = &'x String>) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for (i, id) in ids.enumerate() {
        m.entry(id.clone()).or_insert(i);
    }
    m
}

/// The most terms (countries, groups, `*` and operators) a set may expand to, named sets
/// written out: each condition holds its sets whole, and walks them by recursion.
pub const MAX_SET_NODES: usize = 4096;

/// The terms of a set (see [`MAX_SET_NODES`]).
fn set_size(s: &Set) -> usize {
    let mut stack = vec![s];
    let mut n = 0;
    while let Some(s) = stack.pop() {
        n += 1;
        if let Set::Union(a, b) | Set::Inter(a, b) | Set::Diff(a, b) = s {
            stack.push(a);
            stack.push(b);
        }
    }
    n
}

fn sp<T>(s: &Spanned<T>) -> Range<usize> {
    s.span()
}

/// The keys every rule that does not amend another has.
#[derive(Clone, Copy)]
struct Keys<'r> {
    id: &'r SStr,
    regime: &'r SStr,
    when: &'r SStr,
}

/// A rule's dates within its regime's: the later start and the earlier end.
fn within(regime: &Regime, own_from: Option<Date>, own_until: Option<Date>) -> (Option<Date>, Option<Date>) {
    let effective = match (own_from, regime.effective) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    let until = match (own_until, regime.until) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    (effective, until)
}

/// Byte offset of the first character inside a string value (after its opening quote).
pub(crate) fn inner_offset(sources: &Sources, file: usize, s: &Spanned<String>) -> usize {
    let start = sp(s).start;
    let text = sources.get(file).map(|f| f.text.as_str()).unwrap_or("");
    let rest = text.get(start..).unwrap_or("");
    if rest.starts_with("\"\"\"") || rest.starts_with("'''") {
        start + 3 + usize::from(rest.get(3..).is_some_and(|r| r.starts_with('\n')))
    } else {
        start + 1
    }
}

impl<'a> Checker<'a> {
    pub fn new(sources: &'a Sources) -> Self {
        Checker {
            sources,
            diags: Vec::new(),
            rs: RuleSet::default(),
            sets: HashMap::new(),
            defs: HashMap::new(),
            using: Vec::new(),
            expanded: HashMap::new(),
            ids: Ids::default(),
            replacements: Vec::new(),
            replaced: HashMap::new(),
            resting: HashSet::new(),
            spare: Diagnostic::error(Code::Internal, 0, 0..0, ""),
        }
    }

    fn err(&mut self, code: Code, file: usize, span: Range<usize>, msg: impl Into<String>) -> &mut Diagnostic {
        self.diags.push(Diagnostic::error(code, file, span, msg));
        self.diags.last_mut().unwrap_or(&mut self.spare)
    }

    fn origin(&self, file: usize, span: &Range<usize>, pack: &str) -> Origin {
        let f = self.sources.get(file);
        let line = f.map(|f| f.line_col(span.start).0).unwrap_or(0);
        Origin { file: f.map(|f| f.name.clone()).unwrap_or_default(), line, pack: pack.to_string() }
    }

    /// Registers an id; returns `Some(index to replace)` / `None` to append, or `Err(())` when the
    /// definition must be skipped because it clashes.
    fn define(
        &mut self,
        kind: &'static str,
        id: &Spanned<String>,
        file: usize,
        pack: &str,
        replaces: bool,
        next_index: usize,
    ) -> Result<Option<usize>, ()> {
        if crate::text::formula_like(id.get_ref().as_bytes()) {
            self.err(Code::FormulaLikeId, file, sp(id), format!("{kind} id `{}` starts like a spreadsheet formula", id.get_ref())).help =
                Some("ids land at the start of audit cells, where `=`, `+`, `-`, `@`, a tab or a carriage return make Excel run them; start it with a letter or digit".into());
        }
        let key = (kind, id.get_ref().clone());
        match self.defs.get(&key).cloned() {
            None => {
                if replaces {
                    let d = Diagnostic::error(
                        Code::NothingToReplace,
                        file,
                        sp(id),
                        format!("{kind} `{}` says `replaces = true` but no earlier pack defines it", id.get_ref()),
                    )
                    .with_help("remove `replaces = true` to add a new item");
                    self.diags.push(d);
                }
                self.defs.insert(key, Def { file, span: sp(id), pack: pack.to_string(), index: next_index });
                Ok(None)
            }
            Some(prev) if replaces && prev.pack != pack => {
                let loc = self.sources.location(prev.file, prev.span.start);
                let d = Diagnostic::warning(
                    Code::ReplacesDefinition,
                    file,
                    sp(id),
                    format!("{kind} `{}` of pack `{}` is replaced by this definition", id.get_ref(), prev.pack),
                )
                .with_help(
                    "every answer that rests on it will say so; add `allow = [\"replaces-definition\"]` to `[pack]` to acknowledge it",
                )
                .with_related(prev.file, prev.span.clone(), format!("the replaced definition ({loc})"));
                self.diags.push(d);
                // Replaced again: the latest replacement takes the earlier one's place, last.
                if let Some(slot) = self.replaced.insert(key.clone(), self.replacements.len()).and_then(|i| self.replacements.get_mut(i)) {
                    *slot = None;
                }
                self.replacements.push(Some(Replacement {
                    kind,
                    id: id.get_ref().clone(),
                    pack: pack.to_string(),
                    replaced_pack: prev.pack.clone(),
                    change: "replaced",
                    rules: Vec::new(),
                    was_in_force: None,
                }));
                self.defs.insert(key, Def { file, span: sp(id), pack: pack.to_string(), index: prev.index });
                Ok(Some(prev.index))
            }
            Some(prev) => {
                let (msg, help) = if prev.pack == pack {
                    (format!("duplicate {kind} id `{}`", id.get_ref()), "ids must be unique; rename one of them".to_string())
                } else {
                    (
                        format!("{kind} `{}` is already defined by pack `{}`", id.get_ref(), prev.pack),
                        "add `replaces = true` to replace the earlier definition, or choose another id".to_string(),
                    )
                };
                let loc = self.sources.location(prev.file, prev.span.start);
                let d = Diagnostic::error(Code::DuplicateId, file, sp(id), msg).with_help(help).with_related(
                    prev.file,
                    prev.span.clone(),
                    format!("first defined here ({loc})"),
                );
                self.diags.push(d);
                Err(())
            }
        }
    }

    fn date(&mut self, file: usize, d: &Spanned<Datetime>) -> Option<Date> {
        let v = d.get_ref();
        match (&v.date, &v.time, &v.offset) {
            (Some(dt), None, None) => match Date::new(dt.year as i16, dt.month as i8, dt.day as i8) {
                Ok(date) => Some(date),
                Err(_) => {
                    self.err(Code::BadDate, file, sp(d), format!("`{v}` is not a valid calendar date"));
                    None
                }
            },
            _ => {
                self.err(Code::BadDate, file, sp(d), format!("expected a date like 2023-11-17, found `{v}`")).help =
                    Some("write a plain date without a time or offset".into());
                None
            }
        }
    }

    fn citation(&mut self, file: usize, c: &Option<Spanned<RawCitation>>) -> Option<Citation> {
        let c = c.as_ref()?;
        let doc = c.get_ref().document.get_ref().trim().to_string();
        if doc.is_empty() {
            self.err(Code::EmptyCitation, file, sp(&c.get_ref().document), "citation `document` is empty");
        }
        Some(Citation { document: doc, url: c.get_ref().url.as_ref().map(|u| u.get_ref().clone()) })
    }

    pub fn check(mut self, files: &[ParsedFile]) -> (RuleSet, Vec<Diagnostic>) {
        let mut countries = Vec::new();
        for f in files {
            self.countries(f, &mut countries);
        }
        self.rs.countries = crate::geo::Countries::new(countries);
        for f in files {
            self.treated_as(f);
        }
        for f in files {
            self.groups(f);
        }
        self.ids.groups = positions(self.rs.groups.iter().map(|g| &g.id));
        for f in files {
            for s in &f.raw.set {
                if !self.referable("set", f.file, &s.get_ref().id) {
                    continue;
                }
                if let Ok(slot) = self.define("set", &s.get_ref().id, f.file, &f.pack, s.get_ref().replaces, 0) {
                    let _ = slot;
                    self.sets.insert(s.get_ref().id.get_ref().clone(), (f.file, s.get_ref().expr.clone()));
                }
            }
        }
        for f in files {
            self.eccns(f);
        }
        self.ids.eccns = self.rs.eccns.iter().map(|e| e.id.clone()).collect();
        self.ids.families = self.rs.eccns.iter().map(|e| e.family.clone()).collect();
        for f in files {
            self.licensed_as(f);
        }
        for f in files {
            self.regimes(f);
        }
        self.ids.regimes = positions(self.rs.regimes.iter().map(|g| &g.id));
        let mut chips = Vec::new();
        let mut names = HashMap::new();
        for f in files {
            self.chips(f, &mut chips, &mut names);
        }
        self.rs.catalog = chip::Catalog::new(chips);
        for f in files {
            self.parts(f);
        }
        for f in files {
            self.party_lists(f);
        }
        for f in files {
            self.parties(f);
        }
        for f in files {
            self.rules(f);
        }
        self.check_relieves(files);
        self.check_superseded(files);
        self.finish_dates();
        let mut first = None;
        for f in files {
            self.jurisdiction(f, &mut first);
        }
        self.rs.replacements = std::mem::take(&mut self.replacements).into_iter().flatten().collect();
        (self.rs, self.diags)
    }

    /// The pack's jurisdiction, if it names one: a known country, and the same as that of every
    /// other pack that names one (`first`: the first that did), since a rule's `transaction`
    /// test reads the rule set's one jurisdiction.
    fn jurisdiction<'f>(&mut self, f: &'f ParsedFile, first: &mut Option<&'f ParsedFile>) {
        let Some(given) = &f.jurisdiction else { return };
        let Some(code) = self.rs.countries.by_code(given.get_ref()).map(|c| c.code.clone()) else {
            let msg = format!("unknown country `{}` as the pack's jurisdiction", given.get_ref());
            self.err(Code::UnknownCountry, f.file, given.span(), msg).help =
                Some("name the jurisdiction by its ISO code, e.g. `US`".into());
            return;
        };
        match first.and_then(|p| Some((p, p.jurisdiction.as_ref()?))) {
            Some((p, theirs)) if !theirs.get_ref().eq_ignore_ascii_case(&code) => {
                let msg = format!("pack `{}` is for jurisdiction `{code}`, but pack `{}` is for `{}`", f.pack, p.pack, theirs.get_ref());
                self.err(Code::JurisdictionConflict, f.file, given.span(), msg).help = Some(
                    "one rule set answers for one jurisdiction: load each jurisdiction's packs on their own (--no-builtin for another country's rules)"
                        .into(),
                );
            }
            _ => {
                first.get_or_insert(f);
                self.rs.jurisdiction = Some(code);
            }
        }
    }

    /// Whether a group or set id can be written in a condition (letters, digits, `_`, `:`, `.`;
    /// `-`, `|` and `&` are set operators); reports it when not.
    fn referable(&mut self, what: &str, file: usize, id: &Spanned<String>) -> bool {
        let text = id.get_ref();
        let ok = text.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | ':' | '.'));
        if !ok {
            let fixed: String = text.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, ':' | '.') { c } else { '_' }).collect();
            self.err(Code::BadGroupId, file, sp(id), format!("{what} id `{text}` cannot be written in a condition")).help =
                Some(format!("use letters, digits, `_`, `:` and `.` only (`-` is the set-difference operator), e.g. `{fixed}`"));
        }
        ok
    }

    fn countries(&mut self, f: &ParsedFile, list: &mut Vec<Country>) {
        for c in &f.raw.country {
            let c = c.get_ref();
            let code = c.code.get_ref();
            if code.len() != 2 || !code.chars().all(|ch| ch.is_ascii_uppercase()) {
                self.err(Code::BadCountryCode, f.file, sp(&c.code), format!("`{code}` is not an ISO 3166-1 alpha-2 code")).help =
                    Some("use two upper-case letters, e.g. `CN`".into());
                continue;
            }
            let country = Country { code: code.clone(), name: c.name.clone(), aliases: c.aliases.clone(), treated_as: None };
            match self.define("country", &c.code, f.file, &f.pack, c.replaces, list.len()) {
                Ok(Some(i)) => {
                    if let Some(slot) = list.get_mut(i) {
                        *slot = country;
                    }
                }
                Ok(None) => list.push(country),
                Err(()) => {}
            }
        }
    }

    fn country_ref(&mut self, file: usize, code: &Spanned<String>) -> bool {
        if self.rs.countries.by_code(code.get_ref()).is_some() {
            return true;
        }
        let help = match self.rs.countries.resolve(code.get_ref()) {
            Some(c) => Some(format!("did you mean `{}` ({})?", c.code, c.name)),
            None => self.rs.countries.suggest(code.get_ref()).first().map(|s| format!("did you mean {s}?")),
        };
        self.err(Code::UnknownCountry, file, sp(code), format!("unknown country `{}`", code.get_ref())).help = help;
        false
    }

    fn treated_as(&mut self, f: &ParsedFile) {
        for t in &f.raw.treated_as {
            let t = t.get_ref();
            if !(self.country_ref(f.file, &t.country) & self.country_ref(f.file, &t.as_)) {
                continue;
            }
            self.rs.countries.treat_as(t.country.get_ref(), t.as_.get_ref());
        }
    }

    fn groups(&mut self, f: &ParsedFile) {
        for g in &f.raw.group {
            let g = g.get_ref();
            if !g.id.get_ref().contains(':') {
                self.err(Code::BadGroupId, f.file, sp(&g.id), format!("group id `{}` must contain a `:`", g.id.get_ref())).help =
                    Some("group ids look like `D:5`; this keeps them apart from country codes".into());
                continue;
            }
            if !self.referable("group", f.file, &g.id) {
                continue;
            }
            let mut members = Vec::new();
            for m in &g.members {
                if self.country_ref(f.file, m) {
                    members.push(Membership { country: m.get_ref().clone(), from: None, until: None, citation: None });
                }
            }
            for ch in &g.change {
                let ch = ch.get_ref();
                let from = ch.from.as_ref().and_then(|d| self.date(f.file, d));
                let until = ch.until.as_ref().and_then(|d| self.date(f.file, d));
                if let (Some(a), Some(b)) = (from, until) {
                    if a >= b {
                        self.err(
                            Code::EmptyRange,
                            f.file,
                            ch.until.as_ref().map(sp).unwrap_or_else(|| sp(&ch.country)),
                            format!("`until` {b} is not after `from` {a}"),
                        );
                    }
                }
                if self.country_ref(f.file, &ch.country) {
                    let citation = self.citation(f.file, &ch.citation).map(|c| c.to_string());
                    members.push(Membership { country: ch.country.get_ref().clone(), from, until, citation });
                }
            }
            let citation = self.citation(f.file, &g.citation).map(|c| c.to_string()).unwrap_or_default();
            let named_with = g.named_with.iter().filter(|c| self.country_ref(f.file, c)).map(|c| c.get_ref().clone()).collect();
            let group = Group { id: g.id.get_ref().clone(), name: g.name.clone(), citation, members, named_with };
            match self.define("group", &g.id, f.file, &f.pack, g.replaces, self.rs.groups.len()) {
                Ok(Some(i)) => {
                    if let Some(slot) = self.rs.groups.get_mut(i) {
                        *slot = group;
                    }
                }
                Ok(None) => self.rs.groups.push(group),
                Err(()) => {}
            }
        }
    }

    fn eccns(&mut self, f: &ParsedFile) {
        for e in &f.raw.eccn {
            let e = e.get_ref();
            let id = e.id.get_ref().clone();
            let family = e.family.as_ref().map(|s| s.get_ref().clone()).unwrap_or_else(|| id.split('.').next().unwrap_or(&id).to_string());
            let citation = self.citation(f.file, &e.citation);
            let items = e.items.iter().filter_map(|k| self.item_kind(f.file, (k.get_ref(), sp(k)))).collect();
            let licensed_as = e.licensed_as.as_ref().map(|a| a.get_ref().clone());
            let def =
                Eccn { id, family, title: e.title.clone(), explain: e.explain.clone().unwrap_or_default(), citation, items, licensed_as };
            match self.define("eccn", &e.id, f.file, &f.pack, e.replaces, self.rs.eccns.len()) {
                Ok(Some(i)) => {
                    if let Some(slot) = self.rs.eccns.get_mut(i) {
                        *slot = def;
                    }
                }
                Ok(None) => self.rs.eccns.push(def),
                Err(()) => {}
            }
        }
    }

    /// Each `licensed_as` names a declared ECCN that takes no other's licensing (one step, so
    /// that a list test reads one ECCN further at most).
    fn licensed_as(&mut self, f: &ParsedFile) {
        for e in &f.raw.eccn {
            let Some(a) = &e.get_ref().licensed_as else { continue };
            let target = self.rs.eccns.iter().find(|x| &x.id == a.get_ref());
            match target {
                None => {
                    let help = did_you_mean(a.get_ref(), self.rs.eccns.iter().map(|e| e.id.as_str()));
                    self.err(Code::UnknownEccn, f.file, sp(a), format!("unknown ECCN `{}`", a.get_ref())).help = help;
                }
                Some(t) if t.licensed_as.is_some() || t.id == *e.get_ref().id.get_ref() => {
                    let msg = format!("`{}` takes the licensing of another ECCN itself: name the ECCN whose own it is", a.get_ref());
                    self.err(Code::LicensedAsChain, f.file, sp(a), msg);
                }
                Some(_) => {}
            }
        }
    }

    /// The ECCNs a list test names, each one declared in `[[eccn]]` (else an error, with a
    /// did-you-mean).
    fn eccn_refs(&mut self, file: usize, at: impl Fn(&cond::Name) -> Range<usize>, values: &[cond::Name]) -> Vec<String> {
        for v in values {
            if self.ids.eccns.contains(&v.text) {
                continue;
            }
            let help = did_you_mean(&v.text, self.rs.eccns.iter().map(|e| e.id.as_str()));
            self.err(Code::UnknownEccn, file, at(v), format!("unknown ECCN `{}`", v.text)).help = help;
        }
        values.iter().map(|v| v.text.clone()).collect()
    }

    /// The values of a list test of named values (`exporter_role in ['fabricator']`), each
    /// unknown one an error naming the values there are.
    fn values<T: Copy + Into<&'static str> + strum::VariantArray>(
        &mut self,
        file: usize,
        at: impl Fn(&cond::Name) -> Range<usize>,
        values: &[cond::Name],
        what: &str,
        parse: fn(&str) -> Option<T>,
    ) -> Vec<T> {
        let mut out = Vec::new();
        for v in values {
            match parse(&v.text) {
                Some(x) => out.push(x),
                None => {
                    let names: Vec<&str> = T::VARIANTS.iter().map(|x| (*x).into()).collect();
                    self.err(Code::UnknownValue, file, at(v), format!("`{}` is not an {what} chipgate knows", v.text)).help =
                        Some(format!("write one of {}", names.join(", ")));
                }
            }
        }
        out
    }

    /// An item kind as written (`assembly`), or an error naming the kinds.
    fn item_kind(&mut self, file: usize, (text, span): (&str, Range<usize>)) -> Option<chip::Item> {
        let kind = chip::Item::parse(text);
        if kind.is_none() {
            let names: Vec<&str> = chip::Item::ALL.iter().map(|i| i.name()).collect();
            self.err(Code::UnknownItem, file, span, format!("`{text}` is not a kind of item")).help =
                Some(format!("write one of {}", names.join(", ")));
        }
        kind
    }

    fn regimes(&mut self, f: &ParsedFile) {
        for r in &f.raw.regime {
            let span = sp(r);
            let r = r.get_ref();
            let effective = r.effective.as_ref().and_then(|d| self.date(f.file, d));
            let until = r.until.as_ref().and_then(|d| self.date(f.file, d));
            if let (Some(a), Some(b), Some(u)) = (effective, until, r.until.as_ref()) {
                if a >= b {
                    self.err(Code::EmptyRange, f.file, sp(u), format!("regime ends ({b}) before it takes effect ({a})"));
                }
            }
            // A missing citation is a lint (`missing-citation`), not an error.
            let citation = self.citation(f.file, &r.citation).unwrap_or(Citation { document: String::new(), url: None });
            let regime = Regime {
                id: r.id.get_ref().clone(),
                title: r.title.clone(),
                citation,
                effective,
                until,
                superseded_by: r.superseded_by.as_ref().map(|s| s.get_ref().clone()),
                enforced: r.enforced,
                enforcement_note: r.enforcement_note.clone(),
                origin: self.origin(f.file, &span, &f.pack),
            };
            match self.define("regime", &r.id, f.file, &f.pack, r.replaces, self.rs.regimes.len()) {
                Ok(Some(i)) => {
                    if let Some(slot) = self.rs.regimes.get_mut(i) {
                        *slot = regime;
                    }
                }
                Ok(None) => self.rs.regimes.push(regime),
                Err(()) => {}
            }
        }
    }

    fn party_lists(&mut self, f: &ParsedFile) {
        for l in &f.raw.party_list {
            let span = sp(l);
            let l = l.get_ref();
            let mut score = |v: &Option<Spanned<f64>>, default: f64| match v {
                Some(v) if !(0.0..=1.0).contains(v.get_ref()) || v.get_ref().is_nan() => {
                    self.err(Code::BadScore, f.file, sp(v), format!("score `{}` is not between 0 and 1", v.get_ref())).help =
                        Some("a score of 1 is an exact match of the normalised names; 0.95 allows a misspelling in a long name".into());
                    default
                }
                Some(v) => *v.get_ref(),
                None => default,
            };
            let match_score = score(&l.match_score, DEFAULT_MATCH);
            let possible_score = score(&l.possible, DEFAULT_POSSIBLE.min(match_score));
            if possible_score > match_score {
                if let Some(p) = &l.possible {
                    self.err(Code::BadScore, f.file, sp(p), format!("`possible` ({possible_score}) is above `match` ({match_score})"))
                        .help = Some("a possible match scores less than a match".into());
                }
            }
            let citation = self.citation(f.file, &l.citation).unwrap_or(Citation { document: String::new(), url: None });
            let list = PartyList {
                id: l.id.get_ref().clone(),
                name: l.name.clone(),
                citation,
                match_score,
                possible_score,
                screening_sources: l.screening_sources.clone(),
                requirement: l.requirement.clone().unwrap_or_default(),
                origin: self.origin(f.file, &span, &f.pack),
            };
            match self.define("party_list", &l.id, f.file, &f.pack, l.replaces, self.rs.party_lists.len()) {
                Ok(Some(i)) => {
                    if let Some(slot) = self.rs.party_lists.get_mut(i) {
                        *slot = list;
                    }
                }
                Ok(None) => self.rs.party_lists.push(list),
                Err(()) => {}
            }
        }
    }

    fn parties(&mut self, f: &ParsedFile) {
        for p in &f.raw.party {
            let span = sp(p);
            let p = p.get_ref();
            let Some(list) = self.rs.party_lists.iter().position(|l| l.id == *p.list.get_ref()) else {
                let help = did_you_mean(p.list.get_ref(), self.rs.party_lists.iter().map(|l| l.id.as_str()))
                    .or_else(|| Some("declare it with `[[party_list]]` (id, name, citation)".into()));
                self.err(Code::UnknownPartyList, f.file, sp(&p.list), format!("unknown party list `{}`", p.list.get_ref())).help = help;
                continue;
            };
            let mut keys = Vec::new();
            for n in std::iter::once(&p.name).chain(&p.aliases) {
                let key = crate::parties::Key::of(n.get_ref());
                if key.is_empty() {
                    self.err(Code::EmptyParty, f.file, sp(n), format!("`{}` is not a party's name", n.get_ref())).help = Some(
                        "names are compared without case, punctuation and legal forms (Co., Ltd., Inc.); nothing is left of this one"
                            .into(),
                    );
                }
                keys.push(key);
            }
            let country = p.country.as_ref().filter(|c| self.country_ref(f.file, c)).map(|c| c.get_ref().clone());
            let review_policy = p.review_policy.as_ref().and_then(|r| match Policy::parse(r.get_ref()) {
                Some(policy) => Some(policy),
                None => {
                    let help = did_you_mean(r.get_ref(), Policy::ALL.iter().map(|p| p.name()));
                    self.err(Code::UnknownPolicy, f.file, sp(r), format!("unknown review policy `{}`", r.get_ref())).help = help;
                    None
                }
            });
            let added = p.added.as_ref().and_then(|d| self.date(f.file, d));
            let removed = p.removed.as_ref().and_then(|d| self.date(f.file, d));
            if let (Some(a), Some(r), Some(at)) = (added, removed, p.removed.as_ref()) {
                if a >= r {
                    self.err(Code::EmptyRange, f.file, sp(at), format!("entry is removed ({r}) before it is added ({a})"));
                }
            }
            let citation = self.citation(f.file, &p.citation).unwrap_or(Citation { document: String::new(), url: None });
            let party = Party {
                id: p.id.get_ref().clone(),
                list,
                name: p.name.get_ref().clone(),
                aliases: p.aliases.iter().map(|a| a.get_ref().clone()).collect(),
                country,
                address: p.address.clone(),
                license_requirement: p.license_requirement.clone(),
                review_policy,
                review_policy_text: p.review_policy_text.clone(),
                added,
                removed,
                citation,
                footnotes: p.footnotes.clone(),
                note: p.note.clone(),
                origin: self.origin(f.file, &span, &f.pack),
                keys,
            };
            match self.define("party", &p.id, f.file, &f.pack, p.replaces, self.rs.parties.len()) {
                Ok(Some(i)) => {
                    if let Some(slot) = self.rs.parties.get_mut(i) {
                        *slot = party;
                    }
                }
                Ok(None) => self.rs.parties.push(party),
                Err(()) => {}
            }
        }
    }

    /// The party lists a `party in [...]` test names, as indices.
    fn party_list_refs(&mut self, file: usize, at: impl Fn(&cond::Name) -> Range<usize>, values: &[cond::Name]) -> Vec<usize> {
        let mut out = Vec::new();
        for v in values {
            match self.rs.party_lists.iter().position(|l| l.id == v.text) {
                Some(i) => out.push(i),
                None => {
                    let help = did_you_mean(&v.text, self.rs.party_lists.iter().map(|l| l.id.as_str()))
                        .or_else(|| Some("declare it with `[[party_list]]` in a pack".into()));
                    self.err(Code::UnknownPartyList, file, at(v), format!("unknown party list `{}`", v.text)).help = help;
                }
            }
        }
        out
    }

    fn figure(
        &mut self,
        file: usize,
        raw: &Option<Spanned<RawFigure>>,
        sources: &std::collections::BTreeMap<String, String>,
        what: &str,
    ) -> Option<Figure> {
        let fig = raw.as_ref()?;
        let r = fig.get_ref();
        if !self.finite(file, &r.value, what) {
            return None;
        }
        let v = *r.value.get_ref();
        let source = self.source_ref(file, &r.source, sources);
        Some(Figure { value: v, source, confidence: r.confidence.as_ref().map(|c| c.get_ref().clone()), basis: r.basis.clone() })
    }

    /// Whether a figure is a finite number ≥ 0; reports it when not.
    fn finite(&mut self, file: usize, v: &Spanned<f64>, what: &str) -> bool {
        let x = *v.get_ref();
        if x.is_finite() && x >= 0.0 {
            return true;
        }
        self.err(Code::BadNumber, file, sp(v), format!("{what} must be a finite number ≥ 0, found `{x}`")).help =
            Some("figures are magnitudes: write a plain non-negative number such as `4800` or `1.5e3`".into());
        false
    }

    fn source_ref(&mut self, file: usize, key: &Option<SStr>, sources: &std::collections::BTreeMap<String, String>) -> String {
        match key {
            None => String::new(),
            Some(k) => match sources.get(k.get_ref()) {
                Some(s) => s.clone(),
                None if sources.is_empty() => k.get_ref().clone(),
                None => {
                    let help = did_you_mean(k.get_ref(), sources.keys().map(String::as_str));
                    self.err(Code::UnknownSource, file, sp(k), format!("unknown source `{}`", k.get_ref())).help =
                        help.or_else(|| Some("name a key of this chip's `[chip.sources]` table".into()));
                    String::new()
                }
            },
        }
    }

    fn chips(&mut self, f: &ParsedFile, chips: &mut Vec<Chip>, names: &mut HashMap<String, usize>) {
        for c in &f.raw.chip {
            let c = c.get_ref();
            let mut throughput = Vec::new();
            for t in &c.throughput {
                let t = t.get_ref();
                if t.sparse {
                    // Never used for TPP; reported by the `sparse-throughput` lint.
                    continue;
                }
                let Some(precision) = Precision::parse(t.precision.get_ref()) else {
                    let help = did_you_mean(t.precision.get_ref(), Precision::NAMED.iter().map(|(n, _)| *n));
                    self.err(Code::UnknownPrecision, f.file, sp(&t.precision), format!("unknown precision `{}`", t.precision.get_ref()))
                        .help = help;
                    continue;
                };
                if !self.finite(f.file, &t.tops, "throughput") {
                    continue;
                }
                let tops = *t.tops.get_ref();
                let source = self.source_ref(f.file, &t.source, &c.sources);
                throughput.push(Throughput {
                    precision,
                    tops,
                    source,
                    confidence: t.confidence.as_ref().map(|s| s.get_ref().clone()),
                    unit: t.unit.clone().filter(|u| !u.trim().is_empty()),
                });
            }
            let s = &c.sources;
            let figures: Vec<(chip::Metric, Option<Figure>)> = chip::Metric::ALL
                .into_iter()
                .filter_map(|m| Some((m, c.figure(m)?)))
                .map(|(m, raw)| (m, self.figure(f.file, raw, s, m.name())))
                .collect();
            let item = c.item.as_ref().and_then(|k| self.item_kind(f.file, (k.get_ref(), sp(k)))).unwrap_or_default();
            let mut chip = Chip {
                id: c.id.get_ref().clone(),
                name: c.name.clone(),
                vendor: c.vendor.clone(),
                aliases: c.aliases.iter().map(|a| a.get_ref().clone()).collect(),
                item,
                described_in: c.described_in.iter().map(|d| d.get_ref().trim().to_string()).filter(|d| !d.is_empty()).collect(),
                datacenter: c.datacenter,
                hbm: c.hbm,
                released: c.released,
                throughput,
                memory_gb: c.memory_gb.as_ref().filter(|m| self.finite(f.file, m, "memory_gb")).map(|m| Figure {
                    value: *m.get_ref(),
                    source: String::new(),
                    confidence: None,
                    basis: c.memory_type.clone(),
                }),
                tpp_published: self.figure(f.file, &c.tpp_published, s, "tpp_published"),
                pd_published: self.figure(f.file, &c.pd_published, s, "pd_published"),
                notes: c.notes.clone().unwrap_or_default(),
                form_factor: c.form_factor.clone().unwrap_or_default(),
                architecture: c.architecture.clone().unwrap_or_default(),
                ..Chip::default()
            };
            for (m, figure) in figures {
                chip.set_figure(m, figure);
            }
            if chip.item.composite() {
                chip.documents = c.sources.values().cloned().collect();
            }
            match self.define("chip", &c.id, f.file, &f.pack, c.replaces, chips.len()) {
                Ok(Some(i)) => {
                    names.retain(|_, k| *k != i);
                    self.check_aliases(f, c, &chip, i, chips, names);
                    if let Some(slot) = chips.get_mut(i) {
                        *slot = chip;
                    }
                }
                Ok(None) => {
                    self.check_aliases(f, c, &chip, chips.len(), chips, names);
                    chips.push(chip);
                }
                Err(()) => {}
            }
        }
    }

    /// The `contains` of each computer and assembly of a file, resolved against the whole
    /// catalog (a part may be defined in a later file or pack): each part a catalog item, at
    /// least one of it, and no item inside itself or nested deeper than
    /// [`chip::MAX_NESTING`].
    fn parts(&mut self, f: &ParsedFile) {
        for c in &f.raw.chip {
            let c = c.get_ref();
            // Only the definition that holds (a later pack may have replaced this one).
            let Some(def) = self.defs.get(&("chip", c.id.get_ref().clone())) else { continue };
            if def.file != f.file || def.span != sp(&c.id) {
                continue;
            }
            let index = def.index;
            let Some(me) = self.rs.catalog.get(index) else { continue };
            if c.contains.is_empty() {
                continue;
            }
            let (id, composite) = (me.id.clone(), me.item.composite());
            if !composite {
                if let Some(first) = c.contains.first() {
                    self.err(Code::BadPart, f.file, sp(first), format!("chip `{id}` is an integrated circuit, which contains no items"))
                        .help = Some("say what it is: `item = \"assembly\"` (a card, a module, a board) or `item = \"computer\"`".into());
                }
                continue;
            }
            let mut parts = Vec::new();
            for p in &c.contains {
                let raw = p.get_ref();
                let count = raw.count.as_ref().map_or(Some(1), |n| u32::try_from(*n.get_ref()).ok().filter(|n| *n >= 1));
                let Some(count) = count else {
                    let at = raw.count.as_ref().map_or_else(|| sp(p), sp);
                    self.err(Code::BadPart, f.file, at, "`count` must be a whole number of at least 1").help =
                        Some("write how many of the item it contains, e.g. `count = 8`".into());
                    continue;
                };
                match self.rs.catalog.resolve(raw.chip.get_ref()) {
                    chip::Resolution::Found(part) => parts.push(chip::Part { chip: part.id.clone(), count }),
                    other => {
                        let code = if matches!(other, chip::Resolution::Ambiguous(_)) { Code::AmbiguousChip } else { Code::UnknownChip };
                        let message = other.why_not(raw.chip.get_ref(), "add it to the catalog").unwrap_or_default();
                        self.err(code, f.file, sp(&raw.chip), message);
                    }
                }
            }
            self.rs.catalog.set_parts(index, parts);
            if let Err(problem) = self.rs.catalog.nesting(&id) {
                self.err(Code::BadPart, f.file, sp(&c.id), problem).help =
                    Some("an item cannot contain itself, and items nest at most a few levels (a board in a server)".into());
                self.rs.catalog.set_parts(index, Vec::new());
            }
        }
    }

    /// Reports aliases that already name another chip, then indexes this chip's names
    /// (normalised) under `index`.
    fn check_aliases(
        &mut self,
        f: &ParsedFile,
        c: &RawChip,
        chip: &Chip,
        index: usize,
        chips: &[Chip],
        names: &mut HashMap<String, usize>,
    ) {
        for a in &c.aliases {
            let clash = names.get(&chip::normalize(a.get_ref())).filter(|k| **k != index).and_then(|k| chips.get(*k));
            if let Some(o) = clash {
                self.err(Code::DuplicateAlias, f.file, sp(a), format!("alias `{}` already names chip `{}`", a.get_ref(), o.id)).help =
                    Some("each name must resolve to one chip; remove or change this alias".into());
            }
        }
        for k in std::iter::once(&chip.id).chain(std::iter::once(&chip.name)).chain(chip.aliases.iter()) {
            names.entry(chip::normalize(k)).or_insert(index);
        }
    }

    fn rules(&mut self, f: &ParsedFile) {
        let tables: [(&'static str, &Vec<Spanned<RawRule>>); 5] = [
            ("classification", &f.raw.classification),
            ("requirement", &f.raw.requirement),
            ("exception", &f.raw.exception),
            ("review", &f.raw.review),
            ("presumption", &f.raw.presumption),
        ];
        for (table, list) in tables {
            for r in list {
                let raw = r.get_ref();
                if let Some(target) = &raw.amends {
                    self.amend(f, table, r, target);
                    continue;
                }
                if let (Some(at), true) = (&raw.supersedes, raw.replaces) {
                    self.err(Code::MisplacedKey, f.file, sp(at), "`supersedes` is not given with `replaces = true`").help = Some(
                        "`replaces = true` takes the earlier rule's place on every date; `supersedes` ends it when this one starts".into(),
                    );
                    continue;
                }
                let Some(keys) = self.required_keys(f.file, table, r) else { continue };
                let Some(rule) = self.rule(f, table, r, keys) else { continue };
                match self.define("rule", keys.id, f.file, &f.pack, raw.replaces, self.rs.rules.len()) {
                    Ok(Some(i)) => {
                        let was = self.rs.rules.get(i).map(|old| (old.effective, old.until));
                        self.note_window(keys.id.get_ref(), was);
                        if let Some(slot) = self.rs.rules.get_mut(i) {
                            *slot = rule;
                        }
                    }
                    Ok(None) => {
                        self.rs.rules.push(rule);
                        if let Some(target) = &raw.supersedes {
                            self.supersede(f, table, self.rs.rules.len() - 1, target);
                        }
                    }
                    Err(()) => {}
                }
            }
        }
    }

    /// The keys a rule must have unless it amends another: its id, regime and condition.
    fn required_keys<'r>(&mut self, file: usize, table: &str, r: &'r Spanned<RawRule>) -> Option<Keys<'r>> {
        let raw = r.get_ref();
        let mut missing = Vec::new();
        for (key, present) in [("id", raw.id.is_some()), ("regime", raw.regime.is_some()), ("when", raw.when.is_some())] {
            if !present {
                missing.push(format!("`{key}`"));
            }
        }
        match (&raw.id, &raw.regime, &raw.when) {
            (Some(id), Some(regime), Some(when)) => Some(Keys { id, regime, when }),
            _ => {
                let span = raw.id_span().unwrap_or_else(|| sp(r));
                self.err(Code::MissingKey, file, span, format!("a `[[{table}]]` rule needs {}", missing.join(" and "))).help =
                    Some("give them, or `amends = \"RULE-ID\"` to change only some fields of a rule of an earlier pack".into());
                None
            }
        }
    }

    /// Keeps, for the replacement of a rule, the dates its earlier definition was in force:
    /// an answer on those dates rests on the change even where the new one is not in force.
    fn note_window(&mut self, id: &str, was: Option<(Option<Date>, Option<Date>)>) {
        let slot = self.replaced.get(&("rule", id.to_string())).copied();
        if let Some(Some(rep)) = slot.and_then(|i| self.replacements.get_mut(i)) {
            rep.was_in_force = was;
        }
    }

    /// Warns that a pack changes a rule of an earlier pack, and records it for the answers
    /// that rest on it (the `replaces-definition` lint, which a pack acknowledges with `allow`).
    #[allow(clippy::too_many_arguments)]
    fn changed_rule(
        &mut self,
        file: usize,
        at: &SStr,
        id: &str,
        prev: &Def,
        pack: &str,
        change: &'static str,
        what: String,
        was_in_force: Option<(Option<Date>, Option<Date>)>,
    ) {
        let loc = self.sources.location(prev.file, prev.span.start);
        let d = Diagnostic::warning(Code::ReplacesDefinition, file, sp(at), format!("rule `{id}` of pack `{}` is {what}", prev.pack))
            .with_help("every answer that rests on it will say so; add `allow = [\"replaces-definition\"]` to `[pack]` to acknowledge it")
            .with_related(prev.file, prev.span.clone(), format!("the {change} definition ({loc})"));
        self.diags.push(d);
        let key = ("rule", id.to_string());
        if let Some(slot) = self.replaced.insert(key, self.replacements.len()).and_then(|i| self.replacements.get_mut(i)) {
            *slot = None;
        }
        self.replacements.push(Some(Replacement {
            kind: "rule",
            id: id.to_string(),
            pack: pack.to_string(),
            replaced_pack: prev.pack.clone(),
            change,
            rules: Vec::new(),
            was_in_force,
        }));
    }

    /// The earlier pack's definition of rule `target`, for an entry of `table` that `amends` or
    /// `supersedes` it (`verb`), or an error that says why there is none.
    fn earlier_rule(&mut self, f: &ParsedFile, table: &str, target: &SStr, verb: &str) -> Option<(Def, Rule)> {
        let id = target.get_ref();
        let Some(prev) = self.defs.get(&("rule", id.clone())).cloned() else {
            let help = did_you_mean(id, self.rs.rules.iter().map(|x| x.id.as_str()));
            let code = if verb == "supersedes" { Code::NothingToSupersede } else { Code::NothingToAmend };
            self.err(code, f.file, sp(target), format!("`{verb}` names rule `{id}`, which no earlier pack defines")).help = help;
            return None;
        };
        if prev.pack == f.pack {
            self.err(Code::ChangesOwnRule, f.file, sp(target), format!("rule `{id}` is defined by this pack (`{}`)", f.pack)).help =
                Some("change the rule where it is defined; `amends` and `supersedes` change the rules of earlier packs".into());
            return None;
        }
        let old = self.rs.rules.get(prev.index)?.clone();
        let old_table = old.kind.table();
        if old_table != table {
            self.err(
                Code::ChangesOtherKind,
                f.file,
                sp(target),
                format!("rule `{id}` is a `[[{old_table}]]` rule, not a `[[{table}]]` one"),
            )
            .help = Some(format!("write the entry that {verb} it in a `[[{old_table}]]` table"));
            return None;
        }
        Some((prev, old))
    }

    /// An entry that `amends` a rule of an earlier pack: each field it gives takes the place of
    /// the rule's own, the others stay, and so do its id and its place among the rules.
    fn amend(&mut self, f: &ParsedFile, table: &'static str, entry: &Spanned<RawRule>, target: &SStr) {
        let r = entry.get_ref();
        let refused = [("id", r.id.as_ref()), ("supersedes", r.supersedes.as_ref())];
        if let Some((key, at)) = refused.iter().find_map(|(k, v)| Some((*k, (*v)?))) {
            self.err(Code::MisplacedKey, f.file, sp(at), format!("`{key}` is not given with `amends`")).help =
                Some("an amendment keeps the id of the rule it amends and changes only the fields it gives".into());
            return;
        }
        if r.replaces {
            self.err(Code::MisplacedKey, f.file, sp(target), "`replaces` is not given with `amends`").help =
                Some("`amends` changes the fields it gives; `replaces = true` with an `id` replaces the whole rule".into());
            return;
        }
        if !self.fields_fit(f.file, table, r) {
            return;
        }
        let Some((prev, old)) = self.earlier_rule(f, table, target, "amends") else { return };
        let id = target.get_ref();
        let regime_idx = match &r.regime {
            Some(g) => match self.regime_index(f.file, g) {
                Some(i) => i,
                None => return,
            },
            None => old.regime,
        };
        let Some(kind) = self.amended_kind(f.file, r, target, &old.kind) else { return };
        let (when, when_text) = match &r.when {
            Some(w) => {
                self.using.clear();
                let Some(c) = self.condition(f.file, w) else { return };
                if matches!(kind, RuleKind::Classification { .. }) {
                    self.item_only(f.file, w, &c);
                }
                let regime_id = self.rs.regimes.get(regime_idx).map(|g| g.id.clone()).unwrap_or_default();
                self.rest_on_replaced(id, &regime_id);
                (c, w.get_ref().clone())
            }
            None => (old.when.clone(), old.when_text.clone()),
        };
        let Some(regime) = self.rs.regimes.get(regime_idx).cloned() else { return };
        // The rule's own dates are the given ones, else those it had (within its old regime).
        let own_from = match &r.effective {
            Some(d) => self.date(f.file, d),
            None => old.effective,
        };
        let own_until = match &r.until {
            Some(d) => self.date(f.file, d),
            None => old.until,
        };
        let (effective, until) = within(&regime, own_from, own_until);
        if let (Some(a), Some(b)) = (effective, until) {
            if a >= b {
                let at = r.until.as_ref().or(r.effective.as_ref()).map_or_else(|| sp(target), sp);
                self.err(Code::EmptyRange, f.file, at, format!("the amended rule ends ({b}) before it takes effect ({a})")).help =
                    Some("`until` is the first day the rule no longer applies; it must be after `effective`".into());
                return;
            }
        }
        let citation = match self.citation(f.file, &r.citation) {
            Some(c) => c,
            None => old.citation.clone(),
        };
        let rule = Rule {
            id: id.clone(),
            regime: regime_idx,
            kind,
            when,
            when_text,
            summary: r.summary.clone().unwrap_or(old.summary.clone()),
            citation,
            effective,
            until,
            note: r.note.clone().unwrap_or(old.note.clone()),
            family: r.family.as_ref().map(|x| x.get_ref().clone()).or(old.family.clone()),
            origin: self.origin(f.file, &sp(entry), &f.pack),
        };
        let index = prev.index;
        self.changed_rule(f.file, target, id, &prev, &f.pack, "amended", "amended by this entry".into(), Some((old.effective, old.until)));
        self.defs.insert(("rule", id.clone()), Def { file: f.file, span: sp(target), pack: f.pack.clone(), index });
        if let Some(slot) = self.rs.rules.get_mut(index) {
            *slot = rule;
        }
    }

    /// The rule kind of an amendment: the old one, with the fields the entry gives.
    fn amended_kind(&mut self, file: usize, r: &RawRule, id: &SStr, old: &RuleKind) -> Option<RuleKind> {
        Some(match old {
            RuleKind::Classification { .. } if r.eccn.is_some() || r.excludes.is_some() => self.classification_kind(file, r, id)?,
            RuleKind::Requirement { .. } if r.kind.is_some() => self.requirement_kind(file, r, id)?,
            RuleKind::Review { .. } if r.policy.is_some() => self.review_kind(file, r, id)?,
            RuleKind::Exception { name, relieves, notification, conditions } => RuleKind::Exception {
                name: r.name.clone().unwrap_or(name.clone()),
                relieves: if r.relieves.is_empty() { relieves.clone() } else { r.relieves.iter().map(|s| s.get_ref().clone()).collect() },
                notification: r.notification.unwrap_or(*notification),
                conditions: match &r.conditions {
                    Some(c) => Some(c.clone()).filter(|c| !c.trim().is_empty()),
                    None => conditions.clone(),
                },
            },
            other => other.clone(),
        })
    }

    /// A new rule that `supersedes` a rule of an earlier pack: the earlier one ends the day the
    /// new one takes effect, and the two are versions of one family for the date lints.
    fn supersede(&mut self, f: &ParsedFile, table: &str, new_index: usize, target: &SStr) {
        let Some((prev, old)) = self.earlier_rule(f, table, target, "supersedes") else { return };
        let Some(new) = self.rs.rules.get(new_index).cloned() else { return };
        let id = target.get_ref();
        let Some(start) = new.effective else {
            self.err(Code::MissingKey, f.file, sp(target), format!("rule `{}` supersedes `{id}` but has no `effective` date", new.id))
                .help = Some("give `effective`: the day it takes over (its regime's `effective` counts too)".into());
            return;
        };
        if old.effective.is_some_and(|e| e >= start) {
            self.err(
                Code::SupersedesLaterRule,
                f.file,
                sp(target),
                format!(
                    "rule `{id}` takes effect only on {}, not before {start}",
                    old.effective.map_or_else(String::new, |d| d.to_string())
                ),
            )
            .help = Some("a rule can supersede only a rule in force before it; use `amends` to change it, or `replaces = true`".into());
            return;
        }
        let family = old.family.clone().unwrap_or_else(|| old.id.clone());
        let cut = old.until.is_none_or(|u| u > start);
        if let Some(o) = self.rs.rules.get_mut(prev.index) {
            o.family = Some(family.clone());
            if cut {
                o.until = Some(start);
            }
        }
        if let Some(n) = self.rs.rules.get_mut(new_index) {
            n.family.get_or_insert(family);
        }
        if cut {
            let what = format!("superseded by rule `{}` from {start}", new.id);
            self.changed_rule(f.file, target, id, &prev, &f.pack, "superseded", what, Some((Some(start), old.until)));
        }
    }

    /// A classification looks at the item alone (its figures, flags and catalog id): the
    /// engine classifies a chip once per period, before any destination, party or ship-from.
    fn item_only(&mut self, file: usize, text: &Spanned<String>, when: &Cond) {
        let about = |t: &Cond| match t {
            Cond::Destination { .. } => Some("destination"),
            Cond::EndUserHq { .. } => Some("end_user_hq"),
            Cond::ShipFrom { .. } => Some("ship_from"),
            Cond::Transaction(_) => Some("transaction"),
            Cond::Exporter(_) => Some("exporter"),
            Cond::ExporterRole(_) => Some("exporter_role"),
            Cond::AttestedBy(_) => Some("attested_by"),
            Cond::Eccn(_) => Some("eccn"),
            Cond::Party(_) => Some("party"),
            Cond::OwnedBy { .. } => Some("owned_by"),
            _ => None,
        };
        if let Some(field) = when.tests().into_iter().find_map(about) {
            self.err(Code::ClassificationNotItem, file, sp(text), format!("a classification cannot test `{field}`")).help = Some(
                "an item's classification depends on the item alone (its figures, flags and catalog id); test the transaction in a requirement, exception or review"
                    .into(),
            );
        }
    }

    fn rule(&mut self, f: &ParsedFile, table: &'static str, r: &Spanned<RawRule>, keys: Keys<'_>) -> Option<Rule> {
        let span = sp(r);
        let r = r.get_ref();
        let regime_idx = self.regime_index(f.file, keys.regime);
        let kind = self.kind(f.file, table, r, keys.id);
        self.using.clear();
        let when = self.condition(f.file, keys.when);
        let rule_id = keys.id.get_ref();
        let regime_id = keys.regime.get_ref();
        self.rest_on_replaced(rule_id, regime_id);
        let own_from = r.effective.as_ref().and_then(|d| self.date(f.file, d));
        let own_until = r.until.as_ref().and_then(|d| self.date(f.file, d));
        if let (Some(a), Some(b), Some(u)) = (own_from, own_until, r.until.as_ref()) {
            if a >= b {
                self.err(Code::EmptyRange, f.file, sp(u), format!("rule ends ({b}) before it takes effect ({a})")).help =
                    Some("`until` is the first day the rule no longer applies; it must be after `effective`".into());
            }
        }
        let (regime_idx, kind, when) = (regime_idx?, kind?, when?);
        if matches!(kind, RuleKind::Classification { .. }) {
            self.item_only(f.file, keys.when, &when);
        }
        let regime = self.rs.regimes.get(regime_idx)?.clone();
        let (effective, until) = within(&regime, own_from, own_until);
        let citation = match self.citation(f.file, &r.citation) {
            Some(c) => c,
            None => regime.citation.clone(),
        };
        Some(Rule {
            id: rule_id.clone(),
            regime: regime_idx,
            kind,
            when,
            when_text: keys.when.get_ref().clone(),
            summary: r.summary.clone().unwrap_or_default(),
            citation,
            effective,
            until,
            note: r.note.clone().unwrap_or_default(),
            family: r.family.as_ref().map(|x| x.get_ref().clone()),
            origin: self.origin(f.file, &span, &f.pack),
        })
    }

    /// Records that a rule rests on the replaced groups and sets its condition names
    /// (`self.using`) and on its regime, if replaced.
    fn rest_on_replaced(&mut self, rule_id: &str, regime_id: &str) {
        if self.replaced.is_empty() {
            return;
        }
        let used = self.using.iter().map(|(k, id)| (*k, id.clone())).chain(std::iter::once(("regime", regime_id.to_string())));
        let slots: Vec<usize> = used.filter_map(|key| self.replaced.get(&key).copied()).collect();
        for slot in slots {
            let Some(Some(rep)) = self.replacements.get_mut(slot) else { continue };
            if self.resting.insert((slot, rule_id.to_string())) {
                rep.rules.push(rule_id.to_string());
            }
        }
    }

    fn refuse_field(&mut self, file: usize, table: &str, name: &str, present: Option<Range<usize>>) -> bool {
        if let Some(span) = present {
            self.err(Code::MisplacedKey, file, span, format!("`{name}` is not a key of `[[{table}]]`"));
            return false;
        }
        true
    }

    /// Whether the entry has only keys of its table (`eccn` only in a classification, …).
    fn fields_fit(&mut self, file: usize, table: &str, r: &RawRule) -> bool {
        let mut ok = true;
        if table != "classification" && table != "presumption" {
            ok &= self.refuse_field(file, table, "eccn", r.eccn.as_ref().map(sp));
        }
        if table != "classification" {
            ok &= self.refuse_field(file, table, "excludes", r.excludes.as_ref().map(sp));
        }
        if table != "presumption" {
            ok &= self.refuse_field(file, table, "datacenter", r.datacenter.as_ref().map(sp));
        }
        if table != "requirement" {
            ok &= self.refuse_field(file, table, "kind", r.kind.as_ref().map(sp));
        }
        if table != "exception" {
            ok &= self.refuse_field(file, table, "relieves", r.relieves.first().map(sp));
        }
        if table != "review" {
            ok &= self.refuse_field(file, table, "policy", r.policy.as_ref().map(sp));
        }
        ok
    }

    fn kind(&mut self, file: usize, table: &'static str, r: &RawRule, id: &SStr) -> Option<RuleKind> {
        if !self.fields_fit(file, table, r) {
            return None;
        }
        match table {
            "classification" => self.classification_kind(file, r, id),
            "requirement" => self.requirement_kind(file, r, id),
            "exception" => Some(RuleKind::Exception {
                name: {
                    let name = r.name.clone().unwrap_or_else(|| id.get_ref().clone());
                    if crate::text::formula_like(name.as_bytes()) {
                        self.err(Code::FormulaLikeId, file, sp(id), format!("exception name `{name}` starts like a spreadsheet formula"))
                            .help = Some("names land at the start of audit cells; start it with a letter or digit".into());
                    }
                    name
                },
                relieves: r.relieves.iter().map(|s| s.get_ref().clone()).collect(),
                notification: r.notification.unwrap_or(false),
                conditions: r.conditions.clone().filter(|c| !c.trim().is_empty()),
            }),
            "presumption" => self.presumption_kind(file, r, id),
            _ => self.review_kind(file, r, id),
        }
    }

    fn presumption_kind(&mut self, file: usize, r: &RawRule, id: &SStr) -> Option<RuleKind> {
        let Some(e) = &r.eccn else {
            self.err(Code::MissingKey, file, sp(id), format!("presumption `{}` has no `eccn`", id.get_ref())).help =
                Some("add the ECCN the item is presumed to be, e.g. `eccn = \"3A090.a\"`".into());
            return None;
        };
        if !self.ids.eccns.contains(e.get_ref()) {
            let help = did_you_mean(e.get_ref(), self.rs.eccns.iter().map(|x| x.id.as_str()))
                .or_else(|| Some("declare it in an `[[eccn]]` table first".into()));
            self.err(Code::UnknownEccn, file, sp(e), format!("unknown ECCN `{}`", e.get_ref())).help = help;
            return None;
        }
        Some(RuleKind::Presumption { eccn: e.get_ref().clone(), datacenter: r.datacenter.as_ref().map(|d| *d.get_ref()) })
    }

    fn requirement_kind(&mut self, file: usize, r: &RawRule, id: &SStr) -> Option<RuleKind> {
        let Some(k) = &r.kind else {
            self.err(Code::MissingKey, file, sp(id), format!("requirement `{}` has no `kind`", id.get_ref())).help =
                Some("add `kind = \"destination\"` (or `party`, `item`, `embargo`)".into());
            return None;
        };
        let kinds = [
            ("destination", RequirementKind::Destination),
            ("party", RequirementKind::Party),
            ("item", RequirementKind::Item),
            ("embargo", RequirementKind::Embargo),
            ("outside", RequirementKind::Outside),
        ];
        match kinds.iter().find(|(n, _)| n == k.get_ref()) {
            Some((_, kind)) => Some(RuleKind::Requirement { kind: *kind }),
            None => {
                let help = did_you_mean(k.get_ref(), kinds.iter().map(|(n, _)| *n));
                self.err(Code::UnknownKind, file, sp(k), format!("unknown requirement kind `{}`", k.get_ref())).help = help;
                None
            }
        }
    }

    fn review_kind(&mut self, file: usize, r: &RawRule, id: &SStr) -> Option<RuleKind> {
        let Some(p) = &r.policy else {
            self.err(Code::MissingKey, file, sp(id), format!("review `{}` has no `policy`", id.get_ref())).help =
                Some("add `policy = \"presumption_of_denial\"` (or `presumption_of_approval`, `case_by_case`, `policy_of_denial`)".into());
            return None;
        };
        match Policy::parse(p.get_ref()) {
            Some(policy) => Some(RuleKind::Review { policy }),
            None => {
                let help = did_you_mean(p.get_ref(), Policy::ALL.iter().map(|p| p.name()));
                self.err(Code::UnknownPolicy, file, sp(p), format!("unknown review policy `{}`", p.get_ref())).help = help;
                None
            }
        }
    }

    /// The index of a regime a rule names, or an error with a suggestion.
    fn regime_index(&mut self, file: usize, regime: &SStr) -> Option<usize> {
        let i = self.ids.regimes.get(regime.get_ref()).copied();
        if i.is_none() {
            let help = did_you_mean(regime.get_ref(), self.rs.regimes.iter().map(|g| g.id.as_str()));
            self.err(Code::UnknownRegime, file, sp(regime), format!("unknown regime `{}`", regime.get_ref())).help = help;
        }
        i
    }

    fn classification_kind(&mut self, file: usize, r: &RawRule, id: &SStr) -> Option<RuleKind> {
        match (&r.eccn, &r.excludes) {
            (Some(e), None) => {
                if !self.ids.eccns.contains(e.get_ref()) {
                    let help = did_you_mean(e.get_ref(), self.rs.eccns.iter().map(|x| x.id.as_str()))
                        .or_else(|| Some("declare it in an `[[eccn]]` table first".into()));
                    self.err(Code::UnknownEccn, file, sp(e), format!("unknown ECCN `{}`", e.get_ref())).help = help;
                    return None;
                }
                Some(RuleKind::Classification { eccn: Some(e.get_ref().clone()), excludes: None })
            }
            (None, Some(x)) => {
                if !self.ids.families.contains(x.get_ref()) {
                    let help = did_you_mean(x.get_ref(), self.rs.eccns.iter().map(|e| e.family.as_str()));
                    self.err(Code::UnknownEccn, file, sp(x), format!("unknown ECCN family `{}`", x.get_ref())).help = help;
                    return None;
                }
                Some(RuleKind::Classification { eccn: None, excludes: Some(x.get_ref().clone()) })
            }
            _ => {
                self.err(
                    Code::MissingKey,
                    file,
                    sp(id),
                    format!("classification `{}` needs exactly one of `eccn` or `excludes`", id.get_ref()),
                );
                None
            }
        }
    }

    /// Warns of set operators of different kinds mixed without parentheses in `src` (at
    /// `base` in `file`): they are read left to right, which the text should show.
    fn mixed_set_operators(&mut self, file: usize, base: usize, src: &str) {
        for span in cond::mixed_set_operators(src) {
            let op = src.get(span.clone()).unwrap_or("?").to_string();
            self.diags.push(
                Diagnostic::warning(
                    Code::MixedSetOperators,
                    file,
                    base + span.start..base + span.end,
                    format!("`{op}` follows another set operator without parentheses; `|`, `&` and `-` are read left to right"),
                )
                .with_help("add parentheses to show the grouping: `(A - B) | C` is how `A - B | C` is read"),
            );
        }
    }

    fn condition(&mut self, file: usize, src: &Spanned<String>) -> Option<Cond> {
        let base = inner_offset(self.sources, file, src);
        self.mixed_set_operators(file, base, src.get_ref());
        match cond::parse(src.get_ref()) {
            Ok(e) => {
                let n = self.diags.len();
                let c = self.resolve(file, base, &e);
                if self.diags.len() > n {
                    None
                } else {
                    c
                }
            }
            Err(e) => {
                let span = base + e.span.start..base + e.span.end.max(e.span.start + 1);
                let negative = src.get_ref().get(e.span.clone()) == Some("-") && e.message.starts_with("expected a number");
                if negative {
                    self.err(Code::BadNumber, file, span, "negative thresholds are not allowed").help = Some(
                        "every metric is a magnitude ≥ 0, and `-` is the set-difference operator; compare with `0` or a positive number"
                            .into(),
                    );
                } else {
                    self.err(Code::Syntax, file, span, e.message);
                }
                None
            }
        }
    }

    fn resolve(&mut self, file: usize, base: usize, e: &Expr) -> Option<Cond> {
        let at = |n: &cond::Name| base + n.span.start..base + n.span.end;
        Some(match e {
            Expr::Const(b) => Cond::Const(*b),
            Expr::And(v) => Cond::And(v.iter().map(|x| self.resolve(file, base, x)).collect::<Option<Vec<_>>>()?),
            Expr::Or(v) => Cond::Or(v.iter().map(|x| self.resolve(file, base, x)).collect::<Option<Vec<_>>>()?),
            Expr::Not(x) => Cond::Not(Box::new(self.resolve(file, base, x)?)),
            Expr::Cmp { metric, op, value } => match chip::Metric::parse(&metric.text) {
                Some(m) => Cond::Cmp { metric: m, op: *op, value: *value },
                None => {
                    let help = did_you_mean(&metric.text, chip::Metric::ALL.iter().map(|m| m.name()));
                    self.err(Code::UnknownMetric, file, at(metric), format!("unknown metric `{}`", metric.text)).help = help;
                    return None;
                }
            },
            Expr::Flag(n) => match chip::Flag::parse(&n.text) {
                Some(fl) => Cond::Flag(fl),
                None => {
                    let names = chip::Flag::ALL.iter().map(|f| f.name()).chain(chip::Metric::ALL.iter().map(|m| m.name()));
                    let help = did_you_mean(&n.text, names);
                    let msg = if chip::Metric::parse(&n.text).is_some() {
                        format!("metric `{}` needs a comparison, e.g. `{} >= 4800`", n.text, n.text)
                    } else {
                        format!("unknown flag `{}`", n.text)
                    };
                    self.err(Code::UnknownMetric, file, at(n), msg).help = help;
                    return None;
                }
            },
            Expr::InList { field, values } => match field.text.as_str() {
                "eccn" => Cond::Eccn(self.eccn_refs(file, at, values)),
                "chip" => {
                    let mut ids = Vec::new();
                    for v in values {
                        match self.rs.catalog.resolve(&v.text) {
                            chip::Resolution::Found(c) => ids.push(c.id.clone()),
                            chip::Resolution::Ambiguous(cands) => {
                                let names: Vec<String> = cands.iter().map(|c| format!("`{}`", c.id)).collect();
                                self.err(Code::AmbiguousChip, file, at(v), format!("chip name `{}` is ambiguous", v.text)).help =
                                    Some(format!("name one of {}", names.join(", ")));
                            }
                            chip::Resolution::Unknown(s) => {
                                self.err(Code::UnknownChip, file, at(v), format!("unknown chip `{}`", v.text)).help =
                                    s.first().map(|s| format!("did you mean `{s}`?"));
                            }
                        }
                    }
                    Cond::Chip(ids)
                }
                "exporter" => {
                    for v in values.iter().filter(|v| crate::rules::party_key(&v.text).is_empty()) {
                        self.err(Code::EmptyParty, file, at(v), format!("`{}` is not a party's name", v.text)).help =
                            Some("name the exporter a letter was sent to, e.g. `NVIDIA`".into());
                    }
                    Cond::Exporter(values.iter().map(|v| v.text.clone()).collect())
                }
                "item" => Cond::Item(values.iter().filter_map(|v| self.item_kind(file, (&v.text, at(v)))).collect()),
                "contains" => Cond::Contains(self.eccn_refs(file, at, values)),
                "described_in" => Cond::DescribedIn(values.iter().map(|v| v.text.clone()).collect()),
                "party" => Cond::Party(self.party_list_refs(file, at, values)),
                "owned_by" => {
                    self.err(Code::MissingShare, file, at(field), "`owned_by` needs the share held".to_string()).help =
                        Some("write the share, in percent, after the lists: `owned_by in ['entity-list'] >= 50`".into());
                    return None;
                }
                "transaction" => {
                    let mut kinds = Vec::new();
                    for v in values {
                        match crate::rules::Transaction::parse(&v.text) {
                            Some(t) => kinds.push(t),
                            None => {
                                let names: Vec<&str> = crate::rules::Transaction::ALL.iter().map(|t| t.name()).collect();
                                self.err(Code::UnknownTransaction, file, at(v), format!("`{}` is not a kind of transaction", v.text))
                                    .help = Some(format!("write one of {}", names.join(", ")));
                            }
                        }
                    }
                    Cond::Transaction(kinds)
                }
                "exporter_role" => Cond::ExporterRole(self.values(file, at, values, "exporter role", crate::rules::ExporterRole::parse)),
                "attested_by" => Cond::AttestedBy(self.values(file, at, values, "attestation", crate::rules::Attestation::parse)),
                other => {
                    let help = did_you_mean(
                        other,
                        ["eccn", "chip", "exporter", "exporter_role", "attested_by", "transaction", "item", "contains", "described_in"],
                    );
                    self.err(Code::UnknownField, file, at(field), format!("`{other}` cannot be compared with a list of values")).help =
                        help;
                    return None;
                }
            },
            Expr::InListShare { field, values, op, value } => {
                if field.text != "owned_by" {
                    self.err(Code::UnexpectedShare, file, at(field), format!("`{}` in a list takes no share", field.text)).help =
                        Some("only `owned_by` compares a share: `owned_by in ['entity-list'] >= 50`".into());
                    return None;
                }
                if !matches!(op, cond::Op::Ge | cond::Op::Gt) || !(0.0..=100.0).contains(value) {
                    self.err(
                        Code::BadShare,
                        file,
                        at(field),
                        format!("`owned_by` takes `>=` or `>` and a share from 0 to 100, got `{} {value}`", op.as_str()),
                    )
                    .help = Some("write e.g. `owned_by in ['entity-list'] >= 50` (owned 50 percent or more)".into());
                    return None;
                }
                Cond::OwnedBy { lists: self.party_list_refs(file, at, values), op: *op, share: *value }
            }
            Expr::InSet { field, set, text } => {
                let resolved = self.set(file, base, set, 0)?;
                match field.text.as_str() {
                    "destination" => Cond::Destination { set: resolved, text: text.clone() },
                    "end_user_hq" => Cond::EndUserHq { set: resolved, text: text.clone() },
                    "ship_from" => Cond::ShipFrom { set: resolved, text: text.clone() },
                    other => {
                        let help = did_you_mean(other, ["destination", "end_user_hq", "ship_from"]);
                        self.err(Code::UnknownField, file, at(field), format!("`{other}` is not a country field")).help = help;
                        return None;
                    }
                }
            }
        })
    }

    fn set(&mut self, file: usize, base: usize, s: &SetExpr, depth: usize) -> Option<Set> {
        if depth > 32 {
            self.err(Code::SetCycle, file, base..base + 1, "named sets refer to each other in a cycle");
            return None;
        }
        let bin = |a: Set, b: Set, f: fn(Box<Set>, Box<Set>) -> Set| f(Box::new(a), Box::new(b));
        Some(match s {
            SetExpr::All => Set::All,
            SetExpr::Union(a, b) | SetExpr::Inter(a, b) | SetExpr::Diff(a, b) => {
                let make = match s {
                    SetExpr::Union(..) => Set::Union,
                    SetExpr::Inter(..) => Set::Inter,
                    _ => Set::Diff,
                };
                let l = self.set(file, base, a, depth)?;
                let r = self.set(file, base, b, depth)?;
                if set_size(&l) + set_size(&r) > MAX_SET_NODES {
                    self.err(
                        Code::SetTooLarge,
                        file,
                        base..base + 1,
                        format!("set expression expands to more than {MAX_SET_NODES} terms"),
                    )
                    .help = Some("named sets are written out where they are used: define a country group instead".into());
                    return None;
                }
                bin(l, r, make)
            }
            SetExpr::Ref(n) => {
                if let Some(&i) = self.ids.groups.get(&n.text) {
                    self.using.push(("group", n.text.clone()));
                    return Some(Set::Group(i));
                }
                if self.rs.countries.by_code(&n.text).is_some() {
                    return Some(Set::Country(n.text.clone()));
                }
                if let Some((done, uses)) = self.expanded.get(&n.text) {
                    let done = done.clone();
                    self.using.push(("set", n.text.clone()));
                    self.using.extend(uses.iter().cloned());
                    return done;
                }
                if let Some((sfile, expr)) = self.sets.get(&n.text).cloned() {
                    self.using.push(("set", n.text.clone()));
                    let before = self.using.len();
                    let sbase = inner_offset(self.sources, sfile, &expr);
                    if !self.expanded.contains_key(&n.text) {
                        self.mixed_set_operators(sfile, sbase, expr.get_ref());
                    }
                    return match cond::parse_set(expr.get_ref()) {
                        Ok(inner) => {
                            // Each named set is expanded once; its uses share the expansion
                            // (or its failure, reported once) and what it names.
                            let done = self.set(sfile, sbase, &inner, depth + 1);
                            let uses = self.using.get(before..).unwrap_or_default().to_vec();
                            self.expanded.insert(n.text.clone(), (done.clone(), uses));
                            done
                        }
                        Err(e) => {
                            self.err(Code::Syntax, sfile, sbase + e.span.start..sbase + e.span.end, e.message);
                            None
                        }
                    };
                }
                let names: Vec<String> = self
                    .rs
                    .groups
                    .iter()
                    .map(|g| g.id.clone())
                    .chain(self.sets.keys().cloned())
                    .chain(self.rs.countries.all().iter().map(|c| c.code.clone()))
                    .collect();
                let mut help = did_you_mean(&n.text, names.iter().map(String::as_str));
                if let Some(c) = self.rs.countries.resolve(&n.text) {
                    help = Some(format!("write the ISO code `{}` for {}", c.code, c.name));
                }
                self.err(
                    Code::UnknownReference,
                    file,
                    base + n.span.start..base + n.span.end,
                    format!("unknown country, group or set `{}`", n.text),
                )
                .help = help;
                return None;
            }
        })
    }

    fn check_relieves(&mut self, files: &[ParsedFile]) {
        let is_requirement = |x: &&Rule| matches!(x.kind, RuleKind::Requirement { .. });
        self.ids.requirements = self.rs.rules.iter().filter(is_requirement).map(|x| x.id.clone()).collect();
        for f in files {
            for r in &f.raw.exception {
                for rel in &r.get_ref().relieves {
                    if !self.ids.requirements.contains(rel.get_ref()) {
                        let help = did_you_mean(
                            rel.get_ref(),
                            self.rs.rules.iter().filter(|x| matches!(x.kind, RuleKind::Requirement { .. })).map(|x| x.id.as_str()),
                        );
                        self.err(Code::UnknownReference, f.file, sp(rel), format!("unknown requirement `{}`", rel.get_ref())).help = help;
                    }
                }
            }
        }
    }

    fn check_superseded(&mut self, files: &[ParsedFile]) {
        for f in files {
            for r in &f.raw.regime {
                let Some(next) = &r.get_ref().superseded_by else { continue };
                if !self.ids.regimes.contains_key(next.get_ref()) {
                    let help = did_you_mean(next.get_ref(), self.rs.regimes.iter().map(|g| g.id.as_str()));
                    self.err(Code::UnknownRegime, f.file, sp(next), format!("unknown regime `{}`", next.get_ref())).help = help;
                } else if next.get_ref() == r.get_ref().id.get_ref() {
                    self.err(Code::BadReference, f.file, sp(next), format!("regime `{}` cannot supersede itself", next.get_ref()));
                }
            }
        }
    }

    fn finish_dates(&mut self) {
        let mut dates: Vec<Date> = Vec::new();
        for r in &self.rs.rules {
            dates.extend(r.effective);
            dates.extend(r.until);
        }
        for r in &self.rs.regimes {
            dates.extend(r.effective);
            dates.extend(r.until);
        }
        for g in &self.rs.groups {
            dates.extend(g.change_dates());
        }
        // An entry added to (or removed from) a party list changes the answers for that party.
        for p in &self.rs.parties {
            dates.extend(p.added);
            dates.extend(p.removed);
        }
        dates.sort();
        dates.dedup();
        self.rs.change_dates = dates;
    }
}
