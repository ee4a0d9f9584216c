//! The audit's totals: rows per verdict, destinations with findings, errors by kind, and what
//! the rows were evaluated against.

use jiff::civil::Date;
use serde::Serialize;

use super::row::{date_key, ErrorKind};
use chipgate_core::{RuleSet, Verdict};

/// Rows and units (sum of `quantity`) with one outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tally {
    /// Rows.
    pub rows: u64,
    /// Units: the sum of the rows' `quantity` (rows without one count zero).
    pub units: u128,
}

/// One verdict's totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerdictTally {
    /// `no_license_required`, …, or `error`.
    pub verdict: &'static str,
    /// Totals.
    #[serde(flatten)]
    pub tally: Tally,
}

/// A destination's rows by verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DestinationTally {
    /// Country code.
    pub code: String,
    /// Country name.
    pub name: String,
    /// Rows evaluated for it.
    pub rows: u64,
    /// Rows that need a license or exception, are embargoed, or are indeterminate.
    pub findings: u64,
    /// Rows per verdict (only verdicts that occur).
    pub verdicts: Vec<VerdictCount>,
}

/// Rows with one verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerdictCount {
    /// The verdict.
    pub verdict: &'static str,
    /// Rows.
    pub rows: u64,
}

/// The first and last date rows were evaluated for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DateRange {
    /// Earliest.
    pub first: Date,
    /// Latest.
    pub last: Date,
}

/// One error kind's count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorTally {
    /// The kind (`unknown_chip`, `bad_date`, …).
    pub kind: &'static str,
    /// Problems of this kind (a row may have several).
    pub count: u64,
}

/// What an audit found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Summary {
    /// The version of the document's shape (`chipgate_core::request::SCHEMA_VERSION`).
    pub schema_version: &'static str,
    /// Data rows read (equal to the rows written).
    pub rows: u64,
    /// Rows evaluated without error.
    pub evaluated: u64,
    /// Rows that need a license or exception, are embargoed, or are indeterminate.
    pub findings: u64,
    /// Rows that could not be evaluated.
    pub error_rows: u64,
    /// Per verdict, in verdict order, then `error`; only outcomes that occur.
    pub verdicts: Vec<VerdictTally>,
    /// Destinations with at least one finding, most findings first.
    pub destinations: Vec<DestinationTally>,
    /// Problems by kind; only kinds that occur.
    pub errors: Vec<ErrorTally>,
    /// Problems of evaluated rows that left their verdicts standing (a quantity that is not a
    /// whole number: its units are not counted), by kind; only kinds that occur.
    pub warnings: Vec<ErrorTally>,
    /// The rule-set fingerprint (packs, versions, hashes).
    pub rules_version: String,
    /// The date used for rows without one.
    pub as_of: Date,
    /// The earliest and latest date evaluated, if any row was.
    pub dates: Option<DateRange>,
    /// Distinct evaluations performed (the rest were served from the memo).
    pub evaluations: u64,
    /// How the input was read.
    pub input: InputFormat,
}

impl Summary {
    /// The exit code `chipgate audit` gives for it: 2 when a row could not be read, else 1
    /// when a row needs a license or exception, is embargoed or is indeterminate, else 0.
    pub fn exit_code(&self) -> u8 {
        if self.error_rows > 0 {
            2
        } else if self.findings > 0 {
            1
        } else {
            0
        }
    }
}

/// The summary document of `chipgate audit --summary-json` (and of the service's audit
/// summary): the summary and its exit code. Written directly, not through
/// `serde_json::Value`, which cannot hold totals past `u64`.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SummaryDocument<'a> {
    /// The summary.
    #[serde(flatten)]
    pub summary: &'a Summary,
    /// [`Summary::exit_code`].
    pub exit_code: u8,
}

impl<'a> SummaryDocument<'a> {
    /// The document of a summary.
    pub fn new(summary: &'a Summary) -> SummaryDocument<'a> {
        SummaryDocument { summary, exit_code: summary.exit_code() }
    }
}

/// How an audit read its input: what it detected or was told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InputFormat {
    /// The byte between fields, as a character (`,`, `;`, a tab, `|`).
    pub delimiter: String,
    /// The character encoding the input was read in (`UTF-8`, `UTF-16LE`, `windows-1252`…).
    pub encoding: String,
    /// Which column each field was read from, in field order.
    pub columns: Vec<ColumnUse>,
}

/// A field and the input column it was read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ColumnUse {
    /// The field (`chip`, `destination`, …).
    pub field: &'static str,
    /// The header name of its column.
    pub column: String,
}

impl Summary {
    /// Whether every row was evaluated and none needs a license, exception, or more data.
    pub fn is_clear(&self) -> bool {
        self.error_rows == 0 && self.findings == 0
    }
}

const OUTCOMES: usize = Verdict::ALL.len() + 1;
const ERROR: usize = Verdict::ALL.len();

fn slot(v: Verdict) -> usize {
    Verdict::ALL.iter().position(|x| *x == v).unwrap_or(0)
}

/// Running totals, indexed for speed; turned into a [`Summary`] at the end.
pub(crate) struct Counter {
    outcomes: [Tally; OUTCOMES],
    dests: Vec<[u64; Verdict::ALL.len()]>,
    errors: [u64; ErrorKind::ALL.len()],
    warnings: [u64; ErrorKind::ALL.len()],
    /// The first and last dates of the rows evaluated, each after its `date_key` (by which
    /// they are compared, cheaper than dates are; first after last while there is none).
    first: (u32, Date),
    last: (u32, Date),
}

impl Counter {
    pub fn new(countries: usize) -> Counter {
        Counter {
            outcomes: [Tally::default(); OUTCOMES],
            dests: vec![[0; Verdict::ALL.len()]; countries],
            errors: [0; ErrorKind::ALL.len()],
            warnings: [0; ErrorKind::ALL.len()],
            first: (u32::MAX, Date::MAX),
            last: (0, Date::MIN),
        }
    }

    pub fn evaluated(&mut self, verdict: Verdict, dest: u32, date: Date, units: u64) {
        let v = slot(verdict);
        if let Some(t) = self.outcomes.get_mut(v) {
            t.rows += 1;
            t.units += u128::from(units);
        }
        if let Some(n) = self.dests.get_mut(dest as usize).and_then(|d| d.get_mut(v)) {
            *n += 1;
        }
        let key = date_key(date);
        if key < self.first.0 {
            self.first = (key, date);
        }
        if key > self.last.0 {
            self.last = (key, date);
        }
    }

    /// Counts a row that could not be evaluated (its quantity is not counted: it may be what
    /// was wrong with it).
    pub fn error(&mut self, kinds: impl Iterator<Item = ErrorKind>) {
        if let Some(t) = self.outcomes.get_mut(ERROR) {
            t.rows += 1;
        }
        for k in kinds {
            if let Some(n) = self.errors.get_mut(k.slot()) {
                *n += 1;
            }
        }
    }

    /// Counts a problem that left an evaluated row's verdict standing.
    pub fn warning(&mut self, kind: ErrorKind) {
        if let Some(n) = self.warnings.get_mut(kind.slot()) {
            *n += 1;
        }
    }

    /// Adds the counts of another counter (of other rows).
    pub fn merge(mut self, other: Counter) -> Counter {
        for (t, o) in self.outcomes.iter_mut().zip(other.outcomes) {
            t.rows += o.rows;
            t.units += o.units;
        }
        for (d, o) in self.dests.iter_mut().zip(other.dests) {
            d.iter_mut().zip(o).for_each(|(n, m)| *n += m);
        }
        self.errors.iter_mut().zip(other.errors).for_each(|(n, m)| *n += m);
        self.warnings.iter_mut().zip(other.warnings).for_each(|(n, m)| *n += m);
        (self.first, self.last) = (self.first.min(other.first), self.last.max(other.last));
        self
    }

    pub fn finish(self, rs: &RuleSet, as_of: Date, evaluations: u64, input: InputFormat) -> Summary {
        let name = |i: usize| Verdict::ALL.get(i).map(|v| v.as_str()).unwrap_or("error");
        let verdicts: Vec<VerdictTally> = self
            .outcomes
            .iter()
            .enumerate()
            .filter(|(_, t)| t.rows > 0)
            .map(|(i, t)| VerdictTally { verdict: name(i), tally: *t })
            .collect();
        let clear = slot(Verdict::NoLicenseRequired);
        let mut destinations: Vec<DestinationTally> = rs
            .countries
            .all()
            .iter()
            .zip(&self.dests)
            .map(|(c, d)| DestinationTally {
                code: c.code.clone(),
                name: c.name.clone(),
                rows: d.iter().sum(),
                findings: d.iter().enumerate().filter(|(i, _)| *i != clear).map(|(_, n)| n).sum(),
                verdicts: d.iter().enumerate().filter(|(_, n)| **n > 0).map(|(i, n)| VerdictCount { verdict: name(i), rows: *n }).collect(),
            })
            .filter(|d| d.findings > 0)
            .collect();
        destinations.sort_by(|a, b| b.findings.cmp(&a.findings).then_with(|| a.code.cmp(&b.code)));
        let tallies = |counts: [u64; ErrorKind::ALL.len()]| -> Vec<ErrorTally> {
            ErrorKind::ALL.iter().zip(counts).filter(|(_, n)| *n > 0).map(|(k, count)| ErrorTally { kind: k.as_str(), count }).collect()
        };
        let (errors, warnings) = (tallies(self.errors), tallies(self.warnings));
        let rows_of = |i: usize| self.outcomes.get(i).map(|t| t.rows).unwrap_or(0);
        let error_rows = rows_of(ERROR);
        let rows: u64 = self.outcomes.iter().map(|t| t.rows).sum();
        Summary {
            schema_version: chipgate_core::request::SCHEMA_VERSION,
            rows,
            evaluated: rows - error_rows,
            findings: rows - error_rows - rows_of(clear),
            error_rows,
            verdicts,
            destinations,
            errors,
            warnings,
            rules_version: rs.version(),
            as_of,
            dates: (self.first <= self.last).then_some(DateRange { first: self.first.1, last: self.last.1 }),
            evaluations,
            input,
        }
    }
}
