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

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

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
