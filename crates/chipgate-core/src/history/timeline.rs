//! A chip's status for one destination across time: one period per stretch of days with the
//! same verdict, ECCN, exceptions and review policy, each with the changes that started it.

use jiff::civil::Date;
use serde::Serialize;

use crate::chip::Chip;
use crate::eval::{evaluate, ChipRef, CountryRef, Decision, Options, Query};
use crate::rules::RuleSet;

use super::{period_starts, responsible, Change, HistoryError, Status};

/// What to build a timeline for.
#[derive(Debug, Clone)]
pub struct TimelineRequest<'a> {
    /// The chip (catalog entry or hypothetical).
    pub chip: &'a Chip,
    /// Whether the chip was specified or modified by the user.
    pub hypothetical: bool,
    /// Destination country code.
    pub destination: &'a str,
    /// Country code of the end user's headquarters, if known.
    pub end_user_hq: Option<&'a str>,
    /// Who exports, if known (absent: the chip's vendor is presumed where a rule asks).
    pub exporter: Option<&'a str>,
    /// The country code the item ships from (absent: the rules' jurisdiction).
    pub ship_from: Option<&'a str>,
    /// What the exporter is (absent: neither a front-end fabricator nor an OSAT).
    pub exporter_role: Option<crate::rules::ExporterRole>,
    /// The attestations given for the items.
    pub attested_by: &'a [crate::rules::Attestation],
    /// The parties, screened against the rules' party lists.
    pub parties: crate::eval::Parties<'a>,
    /// First day of the view.
    pub from: Date,
    /// Last day of the view (inclusive).
    pub to: Date,
}

/// A stretch of days with the same status.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Period {
    /// First day.
    pub from: Date,
    /// First day of the next period; none for the last period, which lasts to the end of the view.
    pub until: Option<Date>,
    /// The status on every day of the period.
    pub status: Status,
    /// The changes that started the period (empty for the first).
    pub changed_by: Vec<Change>,
}

/// A chip's status for a destination across time.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Timeline {
    /// The chip.
    pub chip: ChipRef,
    /// The destination.
    pub destination: CountryRef,
    /// The end user's headquarters as given (absent: assumed to be the destination).
    pub end_user_hq: Option<CountryRef>,
    /// First day of the view.
    pub from: Date,
    /// Last day of the view (inclusive).
    pub to: Date,
    /// The periods, in date order.
    pub periods: Vec<Period>,
    /// Assumptions made by the evaluations of any period, each once, in the order first made
    /// (an exporter presumed for a letter's months is said though the letter has expired).
    pub assumptions: Vec<crate::eval::Assumption>,
}

impl Timeline {
    /// The period a date falls in, if inside the view.
    pub fn on(&self, date: Date) -> Option<&Period> {
        if date < self.from || date > self.to {
            return None;
        }
        self.periods.iter().rev().find(|p| p.from <= date)
    }
}

/// Builds the timeline: the chip is evaluated at the start of every period between rule or
/// group changes, and consecutive periods with the same status are merged.
pub fn timeline(rs: &RuleSet, req: &TimelineRequest<'_>) -> Result<Timeline, HistoryError> {
    if req.from > req.to {
        return Err(HistoryError::Range { from: req.from, to: req.to });
    }
    let query = |date: Date| Query {
        chip: req.chip,
        hypothetical: req.hypothetical,
        destination: req.destination,
        date,
        end_user_hq: req.end_user_hq,
        exporter: req.exporter,
        ship_from: req.ship_from,
        exporter_role: req.exporter_role,
        attested_by: req.attested_by,
        parties: req.parties,
    };
    let mut periods: Vec<Period> = Vec::new();
    let mut prev: Option<(Date, Decision)> = None;
    let mut assumptions: Vec<crate::eval::Assumption> = Vec::new();
    for start in period_starts(rs, req.from, req.to) {
        let d = rs.period(start).decide(&query(start), Options::UNTRACED)?;
        for a in &d.assumptions {
            if !assumptions.contains(a) {
                assumptions.push(a.clone());
            }
        }
        let status = Status::of(&d);
        let changed_by = match (&prev, periods.last()) {
            (Some(_), Some(last)) if last.status.same(&status) => None,
            // The changes responsible are read from the traces: only the two sides of a change
            // are evaluated again with them (the answers are the same).
            (Some((p, _)), _) => Some(responsible(rs, &evaluate(rs, &query(*p))?, &evaluate(rs, &query(start))?)),
            (None, _) => Some(Vec::new()),
        };
        if let Some(changed_by) = changed_by {
            if let Some(last) = periods.last_mut() {
                last.until = Some(start);
            }
            periods.push(Period { from: start, until: None, status, changed_by });
        }
        prev = Some((start, d));
    }
    let (_, last) = prev.ok_or(HistoryError::Range { from: req.from, to: req.to })?;
    Ok(Timeline {
        chip: last.chip,
        destination: last.destination,
        end_user_hq: last.end_user_hq,
        from: req.from,
        to: req.to,
        periods,
        assumptions,
    })
}
