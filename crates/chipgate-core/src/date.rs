//! Dates as users write them: `YYYY-MM-DD`, within the years an export can plausibly be meant.

use jiff::civil::Date;

/// The years chipgate accepts. A date outside them is a typo (`0024-06-01` for `2024-06-01`),
/// and would otherwise be answered as "before every rule" or "after every rule" in silence.
pub const YEARS: std::ops::RangeInclusive<i16> = 1900..=2199;

/// Why a date was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Not a `YYYY-MM-DD` date that exists.
    #[error("invalid date `{0}`{1}; expected YYYY-MM-DD, such as 2024-06-01")]
    Invalid(String, Why),
    /// A real date, but not one an export can be meant on.
    #[error("implausible date `{0}`: years {start} to {end} are accepted", start = YEARS.start(), end = YEARS.end())]
    Implausible(String),
}

/// What is wrong with a date written `YYYY-MM-DD` that does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// Not written `YYYY-MM-DD`.
    Shape,
    /// No such month.
    Month(u8),
    /// No such day in that month.
    Day(u8),
}

impl std::fmt::Display for Why {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Why::Shape => Ok(()),
            Why::Month(m) => write!(f, ": there is no month {m}"),
            Why::Day(d) => write!(f, ": that month has no day {d}"),
        }
    }
}

/// Parses a `YYYY-MM-DD` date (surrounding spaces allowed) in [`YEARS`].
pub fn parse(s: &str) -> Result<Date, DateError> {
    let t = s.trim();
    let is_iso = t.len() == 10 && t.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    let d: Date = match t.parse() {
        Ok(d) if is_iso => d,
        // Extended years (`-009999-01-01`, `+002024-06-01`) parse, but nobody means them.
        Ok(_) => return Err(DateError::Implausible(s.to_string())),
        Err(_) => {
            let num = |r: std::ops::Range<usize>| t.get(r).and_then(|x| x.parse::<u8>().ok()).unwrap_or(0);
            let why = match (is_iso, num(5..7)) {
                (false, _) => Why::Shape,
                (true, m) if !(1..=12).contains(&m) => Why::Month(m),
                (true, _) => Why::Day(num(8..10)),
            };
            return Err(DateError::Invalid(s.to_string(), why));
        }
    };
    if !plausible(d) {
        return Err(DateError::Implausible(s.to_string()));
    }
    Ok(d)
}

/// Whether a date's year is in [`YEARS`].
pub fn plausible(d: Date) -> bool {
    YEARS.contains(&d.year())
}

/// How the dates of a shipment file are written when they are not ISO 8601: a strftime-style
/// format such as `%d.%m.%Y`, `%m/%d/%Y`, `%d/%m/%Y` or `%Y%m%d`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateFormat(String);

/// Why a date format was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a date format; write it with a year, a month and a day, e.g. %d.%m.%Y, %m/%d/%Y or %Y%m%d")]
pub struct FormatError(String);

impl DateFormat {
    /// A format, which must write a year (`%Y`, `%y`), a month (`%m`, `%b`, `%B`) and a day
    /// (`%d`, `%e`).
    pub fn new(format: &str) -> Result<DateFormat, FormatError> {
        let has = |codes: &[&str]| codes.iter().any(|c| format.contains(c));
        let complete = has(&["%Y", "%y"]) && has(&["%m", "%b", "%B", "%h"]) && has(&["%d", "%e"]);
        let writes = jiff::fmt::strtime::format(format, jiff::civil::date(2024, 6, 1)).is_ok();
        if complete && writes {
            Ok(DateFormat(format.to_string()))
        } else {
            Err(FormatError(format.to_string()))
        }
    }

    /// The format as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a shipment date was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CellDateError {
    /// A real date, but not one an export can be meant on; or not a date at all.
    #[error(transparent)]
    Date(#[from] DateError),
    /// Written with slashes, day and month in an order only the file's author knows.
    #[error("`{text}` reads {readings}; give the file's order with --date-format {formats}")]
    Ambiguous {
        /// The date as written.
        text: String,
        /// The readings that are real dates, in words.
        readings: String,
        /// The formats that would read it.
        formats: String,
    },
    /// Not written in the format given.
    #[error("`{text}` is not a date written {format}")]
    NoMatch {
        /// The date as written.
        text: String,
        /// The format given.
        format: String,
    },
    /// Not a date in any way chipgate reads one.
    #[error("`{0}` is not a date; write YYYY-MM-DD (or a timestamp such as 2024-06-01T10:15:00Z), or give the file's format with --date-format, e.g. %d.%m.%Y")]
    Unreadable(String),
}

/// Reads the date of a shipment row, as ERPs, databases and spreadsheets write it:
///
/// - ISO 8601: `2024-06-01`, and timestamps such as `2024-06-01T10:15:00Z`,
///   `2024-06-01 23:59:59` or `2024-06-01T08:00:00+08:00`, read as the calendar date written
///   in them (not moved to another time zone);
/// - with `format`, dates written that way (`%d.%m.%Y`…);
/// - without one: `DD.MM.YYYY` (day first, as wherever dots are written), `YYYY/MM/DD`,
///   `YYYYMMDD`, and Excel serial numbers (days in Excel's 1900 system, `45444` for
///   2024-06-01); a date written `01/02/2024` is an error naming its readings, since only the
///   file's author knows whether the month or the day comes first.
///
/// Every date must be in [`YEARS`].
pub fn parse_cell(s: &str, format: Option<&DateFormat>) -> Result<Date, CellDateError> {
    let t = s.trim();
    if let Some(d) = iso_prefix(t) {
        return Ok(d?);
    }
    let checked = |d: Date| if plausible(d) { Ok(d) } else { Err(CellDateError::Date(DateError::Implausible(s.to_string()))) };
    if let Some(f) = format {
        return match jiff::fmt::strtime::parse(f.as_str(), t).and_then(|tm| tm.to_date()) {
            Ok(d) => checked(d),
            Err(_) => Err(CellDateError::NoMatch { text: s.to_string(), format: f.as_str().to_string() }),
        };
    }
    let unreadable = || CellDateError::Unreadable(s.to_string());
    let parts: Vec<&str> = t.split(['.', '/']).collect();
    let numbers: Option<Vec<u16>> = parts.iter().map(|p| (p.len() <= 4 && !p.is_empty()).then(|| p.parse().ok()).flatten()).collect();
    match (numbers.as_deref(), t.contains('/'), t.contains('.')) {
        // `DD.MM.YYYY`
        (Some(&[d, m, y]), false, true) if parts.get(2).is_some_and(|p| p.len() == 4) => {
            real(y, m, d).map_or_else(|| Err(unreadable()), checked)
        }
        // `YYYY/MM/DD`, `YYYY.MM.DD`
        (Some(&[y, m, d]), _, _) if parts.first().is_some_and(|p| p.len() == 4) => real(y, m, d).map_or_else(|| Err(unreadable()), checked),
        // `MM/DD/YYYY` or `DD/MM/YYYY`
        (Some(&[a, b, y]), true, false) if parts.get(2).is_some_and(|p| p.len() == 4 || p.len() == 2) => {
            let year = if y < 100 { "%y" } else { "%Y" };
            let y = if y < 100 { 2000 + y } else { y };
            let mut readings = Vec::new();
            let mut formats = Vec::new();
            for (m, d, f) in [(a, b, format!("%m/%d/{year}")), (b, a, format!("%d/%m/{year}"))] {
                if let Some(date) = real(y, m, d) {
                    readings.push(format!("as {} ({f})", words(date)));
                    formats.push(f);
                }
            }
            if readings.is_empty() {
                return Err(unreadable());
            }
            Err(CellDateError::Ambiguous { text: s.to_string(), readings: readings.join(" or "), formats: formats.join(" or ") })
        }
        _ => excel_or_compact(t).map_or_else(|| Err(unreadable()), checked),
    }
}

/// The date of an ISO 8601 date or timestamp, if `t` starts with `YYYY-MM-DD`; an error if the
/// date or the rest is not right.
fn iso_prefix(t: &str) -> Option<Result<Date, DateError>> {
    let head = t.get(..10)?;
    let is_iso = head.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    if !is_iso {
        return None;
    }
    let rest = t.get(10..).unwrap_or_default();
    if rest.is_empty() {
        return Some(parse(head));
    }
    let time = rest.strip_prefix(['T', 't', ' ']).filter(|r| iso_time(r));
    Some(match time {
        Some(_) => parse(head).map_err(|e| match e {
            DateError::Invalid(_, why) => DateError::Invalid(t.to_string(), why),
            DateError::Implausible(_) => DateError::Implausible(t.to_string()),
        }),
        None => Err(DateError::Invalid(t.to_string(), Why::Shape)),
    })
}

/// Whether `r` is an ISO 8601 time of day with an optional zone: `HH:MM[:SS[.f]]` then `Z`,
/// `±HH[:MM]` or nothing.
fn iso_time(r: &str) -> bool {
    let b = r.as_bytes();
    let two = |i: usize, max: u8| -> bool {
        matches!((b.get(i), b.get(i + 1)), (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() && (x - b'0') * 10 + (y - b'0') <= max)
    };
    if !(two(0, 23) && b.get(2) == Some(&b':') && two(3, 59)) {
        return false;
    }
    let mut i = 5;
    if b.get(i) == Some(&b':') {
        if !two(i + 1, 60) {
            return false;
        }
        i += 3;
        if matches!(b.get(i), Some(b'.' | b',')) {
            let digits = b.get(i + 1..).unwrap_or_default().iter().take_while(|c| c.is_ascii_digit()).count();
            if digits == 0 {
                return false;
            }
            i += 1 + digits;
        }
    }
    let zone = b.get(i..).unwrap_or_default();
    match zone {
        [] | [b'Z' | b'z'] => true,
        [b'+' | b'-', ..] => {
            let z = zone.get(1..).unwrap_or_default();
            let ok = |z: &[u8]| z.len() == 2 && z.iter().all(u8::is_ascii_digit);
            match z.len() {
                2 => ok(z),
                4 => ok(z.get(..2).unwrap_or_default()) && ok(z.get(2..).unwrap_or_default()),
                5 => z.get(2) == Some(&b':') && ok(z.get(..2).unwrap_or_default()) && ok(z.get(3..).unwrap_or_default()),
                _ => false,
            }
        }
        _ => false,
    }
}

/// `YYYYMMDD`, or an Excel serial number: the days since 1899-12-31 in Excel's 1900 date
/// system, which counts a 29 February 1900 that never was (serial 60); a fraction is the time
/// of day.
fn excel_or_compact(t: &str) -> Option<Date> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if t.len() == 8 && digits(t) {
        let n: u32 = t.parse().ok()?;
        return real(u16::try_from(n / 10_000).ok()?, ((n / 100) % 100) as u16, (n % 100) as u16);
    }
    let (whole, fraction) = t.split_once('.').unwrap_or((t, "0"));
    if !(digits(whole) && whole.len() <= 6 && digits(fraction)) {
        return None;
    }
    let n: i32 = whole.parse().ok()?;
    let days = match n {
        1..=59 => n,
        61.. => n - 1,
        _ => return None,
    };
    jiff::civil::date(1899, 12, 31).checked_add(jiff::Span::new().days(i64::from(days))).ok()
}

/// The date of a year, month and day, if it exists.
fn real(y: u16, m: u16, d: u16) -> Option<Date> {
    Date::new(i16::try_from(y).ok()?, i8::try_from(m).ok()?, i8::try_from(d).ok()?).ok()
}

/// A date in words: `2 January 2024`.
fn words(d: Date) -> String {
    const MONTHS: [&str; 12] =
        ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
    let month = MONTHS.get(usize::try_from(d.month() - 1).unwrap_or(0)).copied().unwrap_or("?");
    format!("{} {month} {}", d.day(), d.year())
}

/// Today's date (UTC): the only place chipgate looks at the clock, for the front ends' "no date
/// given" (the engine itself never does).
pub fn today() -> Date {
    jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn shipment_dates_as_exports_write_them() {
        let read = |s: &str| parse_cell(s, None);
        for s in [
            "2024-06-01",
            "2024-06-01T10:15:00Z",
            "2024-06-01 23:59:59",
            "2024-06-01T08:00:00+08:00",
            "2024-06-01T23:30-05:00",
            "2024-06-01t10:15:00.123456z",
            "2024-06-01 10:15:00,5+0530",
            "01.06.2024",
            "1.6.2024",
            "2024/06/01",
            "20240601",
            "45444",
            "45444.75",
        ] {
            assert_eq!(read(s), Ok(date(2024, 6, 1)), "{s}");
        }
        assert_eq!(read("1"), Ok(date(1900, 1, 1)));
        assert_eq!(read("59"), Ok(date(1900, 2, 28)));
        assert_eq!(read("61"), Ok(date(1900, 3, 1)));
        assert_eq!(read("60"), Err(CellDateError::Unreadable("60".into())));
        assert_eq!(
            read("01/02/2024").unwrap_err().to_string(),
            "`01/02/2024` reads as 2 January 2024 (%m/%d/%Y) or as 1 February 2024 (%d/%m/%Y); give the file's order with \
             --date-format %m/%d/%Y or %d/%m/%Y"
        );
        assert_eq!(
            read("25/12/24").unwrap_err().to_string(),
            "`25/12/24` reads as 25 December 2024 (%d/%m/%y); give the file's order with --date-format %d/%m/%y"
        );
        for s in ["2024-06-01T25:00", "2024-06-01 noon", "2024-06-01T10:15+8", "June 1st", "31.02.2024", "1/2", ""] {
            assert!(read(s).is_err(), "{s}");
        }
        assert_eq!(read("2024-02-30T10:00Z"), Err(CellDateError::Date(DateError::Invalid("2024-02-30T10:00Z".into(), Why::Day(30)))));
        assert_eq!(read("999999"), Err(CellDateError::Date(DateError::Implausible("999999".into()))));
        assert_eq!(read("0024-06-01T00:00Z"), Err(CellDateError::Date(DateError::Implausible("0024-06-01T00:00Z".into()))));
    }

    #[test]
    fn formats_given() {
        let us = DateFormat::new("%m/%d/%Y").unwrap();
        assert_eq!(parse_cell("06/01/2024", Some(&us)), Ok(date(2024, 6, 1)));
        assert_eq!(parse_cell("2024-06-01", Some(&us)), Ok(date(2024, 6, 1)));
        assert_eq!(parse_cell("13/01/2024", Some(&us)).unwrap_err().to_string(), "`13/01/2024` is not a date written %m/%d/%Y");
        let de = DateFormat::new("%d.%m.%Y").unwrap();
        assert_eq!(parse_cell("01.06.2024", Some(&de)), Ok(date(2024, 6, 1)));
        assert_eq!(parse_cell("01.06.0024", Some(&de)), Err(CellDateError::Date(DateError::Implausible("01.06.0024".into()))));
        assert_eq!(parse_cell("20240601", Some(&DateFormat::new("%Y%m%d").unwrap())), Ok(date(2024, 6, 1)));
        for bad in ["%d.%m", "%Q", "yyyy-mm-dd"] {
            assert!(DateFormat::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_plausible_iso_dates() {
        assert_eq!(parse(" 2024-06-01 "), Ok(date(2024, 6, 1)));
        assert_eq!(parse("1900-01-01"), Ok(date(1900, 1, 1)));
        assert_eq!(parse("2199-12-31"), Ok(date(2199, 12, 31)));
        for s in ["0024-06-01", "1899-12-31", "2200-01-01", "-009999-01-01", "+002024-06-01", "9999-12-31"] {
            assert_eq!(parse(s), Err(DateError::Implausible(s.into())), "{s}");
        }
        for s in ["2024/06/01", "June 1", "", "2024-6-1"] {
            assert_eq!(parse(s), Err(DateError::Invalid(s.into(), Why::Shape)), "{s}");
        }
        assert_eq!(
            parse("2023-02-29").unwrap_err().to_string(),
            "invalid date `2023-02-29`: that month has no day 29; expected YYYY-MM-DD, such as 2024-06-01"
        );
        assert_eq!(parse("2024-13-01"), Err(DateError::Invalid("2024-13-01".into(), Why::Month(13))));
        assert_eq!(parse("0024-06-01").unwrap_err().to_string(), "implausible date `0024-06-01`: years 1900 to 2199 are accepted");
    }
}
