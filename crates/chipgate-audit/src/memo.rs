//! Memoised evaluation: each distinct (chip class, destination class, end-user class, rule
//! period) is evaluated once, and its output columns are rendered once, for every row that asks
//! it (see `classes` for why rows of one class get the same answer).

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use jiff::civil::Date;
use serde::Serialize;

use super::classes::Classes;
use super::hash::FxMap;
use super::row::{Key, Tables};
use super::sink::csv_field;
use chipgate_core::eval::Options;
use chipgate_core::eval::{Candidate, Decision, ExceptionRef, Missing, Reason, ReviewRef, TraceEntry};
use chipgate_core::{evaluate, EvalError, Query, RuleSet, Verdict};

/// The names of the columns an audit appends to each row, in order.
pub const OUTPUT_COLUMNS: [&str; 7] = ["eccn", "license_required", "exceptions", "review_policy", "verdict", "reasons", "error"];

/// The audit columns for one query, rendered once and shared by every row that asks it.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The verdict.
    pub verdict: Verdict,
    /// The ECCN; empty when not classified; `undetermined (…)` with the candidates when the
    /// data leaves several possible.
    pub eccn: String,
    /// Whether a license is required; `None` when indeterminate.
    pub license_required: Option<bool>,
    /// License exceptions available, `; `-separated.
    pub exceptions: String,
    /// The review policy for a license application, if determined.
    pub review_policy: String,
    /// The rule ids that decided the answer, `; `-separated, then the missing fields, if any.
    pub reasons: String,
    /// The seven columns as CSV, each preceded by a comma (no line terminator).
    pub csv: Vec<u8>,
    /// The JSON members after a row's input (`"eccn":…,"trace":[…]}`); empty unless asked for.
    pub json: String,
}

/// How the ECCN column begins when the classification is left open.
const UNDETERMINED: &str = "undetermined";

impl Finding {
    /// Renders a decision.
    pub fn new(d: &Decision, json: bool) -> Result<Finding, serde_json::Error> {
        let eccn = match (&d.eccn, d.eccn_candidates.is_empty()) {
            (Some(e), _) => e.clone(),
            (None, true) => String::new(),
            (None, false) => {
                let c: Vec<&str> = d.eccn_candidates.iter().map(|c| c.eccn.as_deref().unwrap_or("none")).collect();
                format!("{UNDETERMINED} ({})", c.join(", "))
            }
        };
        let exceptions: Vec<String> = d
            .exceptions
            .iter()
            .map(|e| if e.notification { format!("{} (prior notification to BIS)", e.name) } else { e.name.clone() })
            .collect();
        let mut reasons: Vec<String> = d.reasons.iter().map(|r| r.id.clone()).collect();
        if !d.missing.is_empty() {
            reasons.push(format!("missing: {}", Missing::join(&d.missing, ", ")));
        }
        if !d.replaced.is_empty() {
            let r: Vec<String> = d.replaced.iter().map(|r| r.to_string()).collect();
            reasons.push(format!("rests on replaced definitions: {}", r.join(", ")));
        }
        let mut f = Finding {
            verdict: d.verdict,
            eccn,
            license_required: d.license_required,
            exceptions: exceptions.join("; "),
            review_policy: d.review_policy.as_ref().map(|r| r.policy.name().to_string()).unwrap_or_default(),
            reasons: reasons.join("; "),
            csv: Vec::new(),
            json: String::new(),
        };
        f.csv = f.render_csv();
        if json {
            f.json = json_tail(&JsonTail {
                eccn: d.eccn.as_deref(),
                eccn_candidates: &d.eccn_candidates,
                license_required: d.license_required,
                exceptions: &d.exceptions,
                review_policy: d.review_policy.as_ref(),
                verdict: d.verdict.as_str(),
                reasons: &d.reasons,
                missing: &d.missing,
                replaced: &d.replaced,
                error: None,
                screening: &d.screening,
                trace: &d.trace,
            })?;
        }
        Ok(f)
    }

    /// Whether missing figures leave the classification open (the ECCN column lists the
    /// candidates).
    pub fn eccn_undetermined(&self) -> bool {
        self.eccn.starts_with(UNDETERMINED)
    }

    /// Whether the row needs a license or an exception, is embargoed, or is indeterminate.
    pub fn is_finding(&self) -> bool {
        self.verdict != Verdict::NoLicenseRequired
    }

    /// The license column in words.
    pub fn license_str(&self) -> &'static str {
        match self.license_required {
            Some(true) => "true",
            Some(false) => "false",
            None => "unknown",
        }
    }

    /// The audit columns' values, in [`OUTPUT_COLUMNS`] order (the last, `error`, empty).
    pub fn columns(&self) -> [&str; 7] {
        [&self.eccn, self.license_str(), &self.exceptions, &self.review_policy, self.verdict.as_str(), &self.reasons, ""]
    }

    fn render_csv(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for v in self.columns() {
            out.push(b',');
            csv_field(&mut out, v.as_bytes());
        }
        out
    }

    fn size(&self) -> usize {
        std::mem::size_of::<Finding>()
            + self.eccn.len()
            + self.exceptions.len()
            + self.review_policy.len()
            + self.reasons.len()
            + self.csv.len()
            + self.json.len()
    }
}

/// The JSON members of a row after its input.
#[derive(Serialize)]
struct JsonTail<'a> {
    eccn: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    eccn_candidates: &'a [Candidate],
    license_required: Option<bool>,
    exceptions: &'a [ExceptionRef],
    review_policy: Option<&'a ReviewRef>,
    verdict: &'a str,
    reasons: &'a [Reason],
    missing: &'a [Missing],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    replaced: &'a [chipgate_core::rules::Replacement],
    error: Option<&'a str>,
    /// The parties named and what each matched, as `check` gives them; absent when none is.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    screening: &'a [chipgate_core::eval::ScreeningRef],
    trace: &'a [TraceEntry],
}

fn json_tail(t: &JsonTail<'_>) -> Result<String, serde_json::Error> {
    let s = serde_json::to_string(t)?;
    Ok(s.strip_prefix('{').map(str::to_string).unwrap_or(s))
}

/// The JSON members of an error row after its input.
pub fn error_json(message: &str) -> Result<String, serde_json::Error> {
    json_tail(&JsonTail {
        eccn: None,
        eccn_candidates: &[],
        license_required: None,
        exceptions: &[],
        review_policy: None,
        verdict: "error",
        reasons: &[],
        missing: &[],
        replaced: &[],
        error: Some(message),
        screening: &[],
        trace: &[],
    })
}

/// Why a row could not be evaluated after it was read.
#[derive(Debug)]
pub enum MemoError {
    /// The evaluator refused the query.
    Eval(EvalError),
    /// The decision could not be rendered as JSON.
    Json(serde_json::Error),
}

/// The most memory the memo may hold (rendered outputs and traces) before it starts over.
const MEMO_CAP_BYTES: usize = 4 << 20;

/// Evaluations shared by the workers of an audit, by a key that means the same to all of them
/// (see `Classes::shared_key`): each distinct class is evaluated once, by the first worker
/// that meets it, and the count of evaluations does not depend on how rows fell to workers.
pub(crate) struct Shared {
    json: bool,
    /// The parties the rules' exporter tests name (see [`Key::exporter`]).
    parties: Vec<String>,
    inner: Mutex<SharedInner>,
}

#[derive(Default)]
struct SharedInner {
    map: HashMap<Vec<u8>, Arc<Finding>>,
    bytes: usize,
    evaluations: u64,
}

impl Shared {
    pub fn new(rs: &RuleSet, json: bool) -> Shared {
        Shared { json, parties: rs.exporters().into_iter().map(str::to_string).collect(), inner: Mutex::default() }
    }

    /// Evaluations performed.
    pub fn evaluations(&self) -> u64 {
        self.inner.lock().map_or(0, |i| i.evaluations)
    }

    /// The finding for a shared key, evaluating `key` on `date` if it is new. The evaluation
    /// happens under the lock, so that no two workers evaluate one class.
    fn get(&self, rs: &RuleSet, shared: Vec<u8>, (key, tables): (&Key, Tables<'_>), date: Date) -> Result<Arc<Finding>, MemoError> {
        // A worker that panicked holding the lock left a whole map behind: go on with it.
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(f) = inner.map.get(&shared) {
            return Ok(f.clone());
        }
        if inner.bytes > MEMO_CAP_BYTES {
            inner.map.clear();
            inner.bytes = 0;
        }
        let d = decide(rs, (key, tables), date, self.json, &self.parties).map_err(MemoError::Eval)?;
        let f = Arc::new(Finding::new(&d, self.json).map_err(MemoError::Json)?);
        inner.evaluations += 1;
        inner.bytes += f.size() + shared.len();
        inner.map.insert(shared, f.clone());
        Ok(f)
    }
}

/// A worker's findings by class key (see `classes`), starting over when what it holds passes
/// its size.
struct Level {
    map: FxMap<u128, Arc<Finding>>,
    bytes: usize,
    cap: usize,
}

impl Level {
    fn new(cap: usize) -> Level {
        Level { map: FxMap::default(), bytes: 0, cap }
    }

    /// The finding for a key, from `miss` the first time.
    fn get(&mut self, key: u128, miss: impl FnOnce() -> Result<Arc<Finding>, MemoError>) -> Result<&Arc<Finding>, MemoError> {
        if self.bytes > self.cap && !self.map.contains_key(&key) {
            self.map.clear();
            self.bytes = 0;
        }
        Ok(match self.map.entry(key) {
            Entry::Occupied(o) => o.into_mut(),
            Entry::Vacant(v) => {
                let f = miss()?;
                self.bytes += f.size() + std::mem::size_of::<u128>();
                v.insert(f)
            }
        })
    }
}

/// Four ids as one key.
fn pack(ids: [u32; 4]) -> u128 {
    ids.iter().fold(0u128, |k, n| (k << 32) | u128::from(*n))
}

/// The most slots of a worker's query table (512 KiB of them) before it starts over.
const QUERY_SLOTS: usize = 1 << 18;

/// One worker's evaluations, in front of the shared ones. Rows naming a catalog chip without
/// figures (nearly all rows of a real list) are looked up by the query itself, else (and the
/// first time) by their class key (see `classes`).
///
/// What a row looks up is kept small, because it is looked up for every row while the batches
/// stream through the cache: a query is numbered by its (chip, destination, end-user
/// headquarters, parties on no list by their signature), about 2k of them in the million-row
/// bench file; each number has two bytes per rule period, the place of its finding among the
/// class findings the worker has met (1.6k there). A table
/// with an entry per query (24k queries, 1 MiB, met in random order) missed the cache on most
/// rows: waiting for it took 14–18 % of the audit's time, against about 10 % now.
pub(crate) struct Memo {
    /// Query numbers by (chip, destination, end-user headquarters, parties).
    numbers: FxMap<u64, u32>,
    /// By query number and period (`periods` slots per number): the place of its finding in
    /// `outcomes` plus one; 0 until met.
    queries: Vec<u16>,
    periods: usize,
    /// The class findings of the queries met, with their places and the memory they hold.
    outcomes: Vec<Arc<Finding>>,
    /// By the address of the finding (alive while in `outcomes`).
    places: FxMap<usize, u16>,
    outcome_bytes: usize,
    cap: usize,
    classes: Level,
}

impl Memo {
    /// A memo for one of `workers` workers over a rule set: together their class levels hold
    /// at most as much as the shared level (what they hold and it has let go of stays alive
    /// through them), and so do the findings their query tables point to.
    pub fn new(rs: &RuleSet, workers: usize) -> Memo {
        let cap = MEMO_CAP_BYTES / workers.max(1);
        Memo {
            numbers: FxMap::default(),
            queries: Vec::new(),
            periods: rs.periods(),
            outcomes: Vec::new(),
            places: FxMap::default(),
            outcome_bytes: 0,
            cap,
            classes: Level::new(cap),
        }
    }

    /// The finding for a row asking `key` on `date`, classed by `classes` when needed.
    pub fn get(
        &mut self,
        rs: &RuleSet,
        shared: &Shared,
        classes: &mut Classes<'_>,
        (key, tables): (&Key, Tables<'_>),
        date: Date,
    ) -> Result<&Arc<Finding>, MemoError> {
        if self.outcome_bytes > self.cap || self.outcomes.len() >= usize::from(u16::MAX) {
            self.forget();
        }
        let Some(slot) = self.slot(key, tables) else {
            return classed(&mut self.classes, rs, shared, classes, (key, tables), date);
        };
        let place = match self.queries.get(slot) {
            Some(&place) if place != 0 => place,
            _ => {
                let f = classed(&mut self.classes, rs, shared, classes, (key, tables), date)?.clone();
                let place = self.place(f);
                if let Some(s) = self.queries.get_mut(slot) {
                    *s = place;
                }
                place
            }
        };
        match self.outcomes.get(usize::from(place) - 1) {
            Some(f) => Ok(f),
            None => classed(&mut self.classes, rs, shared, classes, (key, tables), date),
        }
    }

    /// The slot of a query in `queries`, numbering it if new; `None` for a query with figures
    /// of its own, parties that may be listed, or ids too large to number. Parties on no list
    /// on any date are numbered by their signature, which is the same for every period.
    fn slot(&mut self, key: &Key, tables: Tables<'_>) -> Option<usize> {
        const BITS: u32 = 16;
        const ABSENT: u64 = (1 << BITS) - 1;
        let id = |n: Option<u32>| match n {
            None => Some(ABSENT),
            Some(n) => Some(u64::from(n)).filter(|n| *n < ABSENT),
        };
        if !key.plain_but_parties() || key.period as usize >= self.periods {
            return None;
        }
        let parties = u64::from(tables.parties.timeless_id(key.parties)?);
        let query = (parties << (3 * BITS)) | (id(key.chip)? << (2 * BITS)) | (id(Some(key.dest))? << BITS) | id(key.hq)?;
        if (self.numbers.len() + 1) * self.periods > QUERY_SLOTS && !self.numbers.contains_key(&query) {
            self.numbers.clear();
            self.queries.clear();
        }
        let next = self.numbers.len() as u32;
        let number = *self.numbers.entry(query).or_insert(next) as usize;
        if number == next as usize {
            self.queries.resize((number + 1) * self.periods, 0);
        }
        Some(number * self.periods + key.period as usize)
    }

    /// The place of a finding in `outcomes`, plus one; added if new (there is room: see `get`).
    fn place(&mut self, f: Arc<Finding>) -> u16 {
        let at = Arc::as_ptr(&f) as usize;
        if let Some(p) = self.places.get(&at) {
            return *p;
        }
        self.outcome_bytes += f.size() + std::mem::size_of::<(Arc<Finding>, usize, u16)>();
        self.outcomes.push(f);
        let place = self.outcomes.len() as u16;
        self.places.insert(at, place);
        place
    }

    /// Starts the query table over.
    fn forget(&mut self) {
        self.numbers.clear();
        self.queries.clear();
        self.outcomes.clear();
        self.places.clear();
        self.outcome_bytes = 0;
    }
}

/// The finding for a query through its class: in the worker's class level, else the shared one.
fn classed<'m>(
    level: &'m mut Level,
    rs: &RuleSet,
    shared: &Shared,
    classes: &mut Classes<'_>,
    (key, tables): (&Key, Tables<'_>),
    date: Date,
) -> Result<&'m Arc<Finding>, MemoError> {
    let signature = tables.parties.signature(key.parties, key.period);
    let class = classes.key(key, date, signature, tables.composites);
    let shared_key = || classes.shared_key(class, key, signature, tables.composites.signature(key.composite));
    level.get(pack(class), || shared.get(rs, shared_key(), (key, tables), date))
}

/// What an exporter of none of the parties the rules name is called in an answer (the audit
/// classes such exporters together).
pub(crate) const ANOTHER_EXPORTER: &str = "an exporter no rule names";

/// Evaluates the query a key stands for (its places in `tables`), on a date; with the trace
/// only when `traced`. `parties` are the ones the rules' exporter tests name (see
/// [`Key::exporter`]).
pub(crate) fn decide(
    rs: &RuleSet,
    (key, tables): (&Key, Tables<'_>),
    date: Date,
    traced: bool,
    parties: &[String],
) -> Result<Decision, EvalError> {
    let (chip, hypothetical) = super::row::chip_of(rs, key, tables.composites);
    let named = tables.parties.names(key.parties);
    let code = |i: Option<u32>| i.and_then(|i| rs.countries.all().get(i as usize)).map(|c| c.code.as_str());
    let destination = code(Some(key.dest)).ok_or_else(|| EvalError::UnknownCountry(key.dest.to_string()))?;
    let exporter = key.exporter.map(|i| parties.get(i as usize).map_or(ANOTHER_EXPORTER, String::as_str));
    let attested_by = super::row::attestations(key.attested);
    let q = Query {
        chip: &chip,
        hypothetical,
        destination,
        date,
        end_user_hq: code(key.hq),
        exporter,
        ship_from: code(key.ship_from),
        exporter_role: key.role,
        attested_by: &attested_by,
        parties: named,
    };
    if traced {
        evaluate(rs, &q)
    } else {
        rs.period(date).decide(&q, Options::UNTRACED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_table_starts_over_when_full_and_keeps_answering() {
        let rs = RuleSet::builtin().unwrap();
        let (parties, composites) = (crate::row::PartyTable::default(), crate::row::CompositeTable::default());
        let tables = Tables { parties: &parties, composites: &composites };
        let (shared, mut classes, mut memo) = (Shared::new(&rs, false), Classes::new(&rs, false), Memo::new(&rs, 1));
        let date = jiff::civil::date(2025, 6, 1);
        let period = rs.period_index(date) as u32;
        // More (chip, destination, end user) than the table numbers at once, twice over: the
        // second time, every query is numbered again, mostly with another query's old number.
        let side = (QUERY_SLOTS / memo.periods).isqrt() as u32 + 2;
        assert!(side as usize <= rs.countries.all().len());
        let keys = (0..side).flat_map(|dest| {
            (0..side).map(move |hq| Key {
                chip: Some(0),
                spec: Default::default(),
                dest,
                hq: Some(hq),
                period,
                exporter: None,
                ship_from: None,
                role: None,
                attested: 0,
                parties: None,
                composite: None,
            })
        });
        let first: Vec<Finding> =
            keys.clone().map(|k| (**memo.get(&rs, &shared, &mut classes, (&k, tables), date).unwrap()).clone()).collect();
        assert!(memo.numbers.len() < first.len(), "the table started over");
        let distinct: std::collections::HashSet<&str> =
            first.iter().map(|f| f.csv.as_slice()).map(|c| std::str::from_utf8(c).unwrap()).collect();
        assert!(distinct.len() > 1, "queries with different answers");
        for (k, f) in keys.zip(&first) {
            assert_eq!(**memo.get(&rs, &shared, &mut classes, (&k, tables), date).unwrap(), *f, "{k:?}");
        }
    }
}
