//! The US Consolidated Screening List as its publisher (the International Trade
//! Administration) offers it for download, CSV or JSON (<https://www.trade.gov/consolidated-screening-list>),
//! read into the party lists of a rule set: `--parties FILE`.
//!
//! Which of the list's sources feed which party list is pack data: a `[[party_list]]` names
//! them in `screening_sources` (the built-in Entity List takes `EL`), so the rules that test the
//! list (`party in ['entity-list']`) apply to the file's entries as they do to the pack's. The
//! entries of other sources are counted, not screened, and the report says so.
//!
//! The columns read (CSV header names; the JSON's keys are the same): `source`, `name`,
//! `alt_names` (`; `-separated), `addresses` (`; `-separated; the first is kept, and its
//! trailing country code), `federal_register_notice`, `start_date` and `end_date` (the days
//! the entry is in force), `license_requirement`, `license_policy`, `entity_number` or `_id`
//! (the entry's id), `source_list_url`. The others are left.

use std::collections::BTreeMap;
use std::path::Path;

use jiff::civil::Date;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{Key, Party};
use crate::rules::{Citation, Origin, PackInfo, Policy};
use crate::RuleSet;

/// Why a screening list could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CslError {
    /// The file could not be read.
    #[error("cannot read the screening list `{path}`: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The CSV is malformed, or a cell is not what its column holds.
    #[error("{path}: row {row}, column `{column}`: {message}")]
    Cell {
        /// The file.
        path: String,
        /// The row (one-based; the header is row 1 of a CSV, the first entry row 1 of a JSON).
        row: u64,
        /// The column.
        column: String,
        /// What is wrong.
        message: String,
    },
    /// The CSV lacks a column the list needs.
    #[error("{path}: no `{column}` column; is it the Consolidated Screening List's CSV? (its header names `source`, `name`, `alt_names`, `start_date`…)")]
    NoColumn {
        /// The file.
        path: String,
        /// The column.
        column: &'static str,
    },
    /// The JSON is not the list's.
    #[error("{path}: {message}")]
    Json {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// No loaded party list takes any of the file's sources.
    #[error("{path}: no party list of the loaded rule packs takes the sources of this file ({sources}); a `[[party_list]]` names the sources it takes in `screening_sources`")]
    NoList {
        /// The file.
        path: String,
        /// The sources found.
        sources: String,
    },
}

/// What a screening list added to the rule set.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Entries added, by party list id.
    pub added: BTreeMap<String, usize>,
    /// Entries of sources that no party list takes, by source: not screened.
    pub left: BTreeMap<String, usize>,
    /// Rows without a name to screen (nothing is left of it once normalised), by row.
    pub unnamed: Vec<u64>,
}

/// One entry as the list gives it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Row {
    #[serde(rename = "_id", alias = "id")]
    id: Option<String>,
    source: String,
    entity_number: Option<String>,
    name: String,
    #[serde(deserialize_with = "list")]
    alt_names: Vec<String>,
    #[serde(deserialize_with = "addresses")]
    addresses: Vec<String>,
    federal_register_notice: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
    license_requirement: Option<String>,
    license_policy: Option<String>,
    source_list_url: Option<String>,
}

/// A list column: `; `-separated text in the CSV, an array of `T` in the JSON.
#[derive(Deserialize)]
#[serde(untagged)]
enum ListCell<T> {
    Text(Option<String>),
    Items(Vec<T>),
}

impl<T> ListCell<T> {
    /// The items, each as one line of text, the empty ones left out.
    fn lines(self, line: impl Fn(T) -> String) -> Vec<String> {
        match self {
            ListCell::Text(t) => split(t.as_deref().unwrap_or("")),
            ListCell::Items(v) => v.into_iter().map(|x| line(x).trim().to_string()).filter(|s| !s.is_empty()).collect(),
        }
    }
}

/// The aliases: text or an array of names.
fn list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(ListCell::<String>::deserialize(d)?.lines(|s| s))
}

/// An address of the JSON download.
#[derive(Deserialize)]
struct Address {
    address: Option<String>,
    city: Option<String>,
    state: Option<String>,
    postal_code: Option<String>,
    country: Option<String>,
}

impl Address {
    /// One line, ending in its country, as the CSV writes an address.
    fn line(self) -> String {
        let parts = [self.address, self.city, self.state, self.postal_code, self.country];
        parts.into_iter().flatten().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect::<Vec<_>>().join(", ")
    }
}

/// The addresses: text, or an array of objects (`address`, `city`, `state`, `postal_code`,
/// `country`), each made one line.
fn addresses<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(ListCell::<Address>::deserialize(d)?.lines(Address::line))
}

/// `a; b; and c` → `[a, b, c]` (the list's last alias may begin with "and ").
fn split(text: &str) -> Vec<String> {
    text.split(';')
        .map(|s| s.trim())
        .map(|s| s.strip_prefix("and ").unwrap_or(s).trim())
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// The source's abbreviation: `EL` of `Entity List (EL) - Bureau of Industry and Security`.
fn abbreviation(source: &str) -> Option<&str> {
    let open = source.find('(')?;
    let close = source[open..].find(')')? + open;
    Some(source[open + 1..close].trim())
}

/// The review policy the list's words state, if they state one of chipgate's.
fn policy(text: &str) -> Option<Policy> {
    let t = text.to_lowercase();
    if t.contains("presumption of denial") {
        Some(Policy::PresumptionOfDenial)
    } else if t.contains("policy of denial") {
        Some(Policy::PolicyOfDenial)
    } else if t.contains("presumption of approval") {
        Some(Policy::PresumptionOfApproval)
    } else if t.contains("case-by-case") || t.contains("case by case") {
        Some(Policy::CaseByCase)
    } else {
        None
    }
}

/// Reads a screening list (CSV, or JSON when its name ends in `.json` or it begins with `{`
/// or `[`) into the party lists of `rs` that take its sources, and records it among the rule
/// set's packs (name `screening-list`, its hash, its path), so that every answer says what it
/// was screened against.
pub fn load(rs: &mut RuleSet, path: &Path) -> Result<Report, CslError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| CslError::Read { path: shown.clone(), source })?;
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace() && **b != 0xEF && **b != 0xBB && **b != 0xBF);
    let json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) || matches!(first, Some(b'{' | b'['));
    let rows = if json { json_rows(&bytes, &shown)? } else { csv_rows(&bytes, &shown)? };
    let mut report = Report { added: BTreeMap::new(), left: BTreeMap::new(), unnamed: Vec::new() };
    let takes = |source: &str| {
        rs.party_lists.iter().position(|l| {
            l.screening_sources
                .iter()
                .any(|s| s.eq_ignore_ascii_case(source) || abbreviation(source).is_some_and(|a| a.eq_ignore_ascii_case(s)))
        })
    };
    let mut parties = Vec::new();
    let mut newest: Option<Date> = None;
    for (row, line, r) in rows {
        let Some(list) = takes(&r.source) else {
            *report.left.entry(r.source.clone()).or_default() += 1;
            continue;
        };
        let date = |column: &str, v: &Option<String>| -> Result<Option<Date>, CslError> {
            match v.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
                None => Ok(None),
                Some(d) => crate::date::parse(d).map(Some).map_err(|e| CslError::Cell {
                    path: shown.clone(),
                    row,
                    column: column.into(),
                    message: format!("`{d}` is not a date: {e}"),
                }),
            }
        };
        let added = date("start_date", &r.start_date)?;
        let removed = date("end_date", &r.end_date)?;
        newest = newest.max(added);
        let keys: Vec<Key> = std::iter::once(&r.name).chain(&r.alt_names).map(|n| Key::of(n)).collect();
        if keys.first().is_none_or(Key::is_empty) {
            report.unnamed.push(row);
            continue;
        }
        let address = r.addresses.first().cloned();
        let country = address
            .as_deref()
            .and_then(|a| a.rsplit(',').next())
            .map(str::trim)
            .filter(|c| c.len() == 2)
            .and_then(|c| rs.countries.resolve(c))
            .map(|c| c.code.clone());
        let id = r.entity_number.clone().or(r.id.clone()).filter(|i| !i.trim().is_empty()).unwrap_or_else(|| format!("row-{row}"));
        let notice = r.federal_register_notice.clone().filter(|n| !n.trim().is_empty());
        let document = match &notice {
            Some(n) => format!("{n} (Consolidated Screening List: {})", r.source),
            None => format!("Consolidated Screening List: {}", r.source),
        };
        let policy_text = r.license_policy.clone().filter(|p| !p.trim().is_empty());
        if let Some(l) = rs.party_lists.get(list) {
            *report.added.entry(l.id.clone()).or_default() += 1;
        }
        parties.push(Party {
            id: format!("csl/{}", id.trim()),
            list,
            name: r.name.trim().to_string(),
            aliases: r.alt_names,
            country,
            address,
            license_requirement: r
                .license_requirement
                .filter(|l| !l.trim().is_empty())
                .unwrap_or_else(|| "none given in the screening list".into()),
            review_policy: policy_text.as_deref().and_then(policy),
            review_policy_text: policy_text,
            added,
            removed,
            citation: Citation { document, url: r.source_list_url.filter(|u| !u.trim().is_empty()) },
            footnotes: Vec::new(),
            note: Some(format!("from the screening list `{shown}`, row {row}")),
            origin: Origin { file: shown.clone(), line: line as usize, pack: "screening-list".into() },
            keys,
        });
    }
    if parties.is_empty() && !report.left.is_empty() {
        let sources = report.left.keys().cloned().collect::<Vec<_>>().join("; ");
        return Err(CslError::NoList { path: shown, sources });
    }
    let hash = Sha256::digest(&bytes).iter().take(8).map(|b| format!("{b:02x}")).collect();
    rs.packs.push(PackInfo {
        name: "screening-list".into(),
        version: newest.map_or_else(|| "undated".into(), |d| d.to_string()),
        location: shown,
        hash,
        description: "the Consolidated Screening List (--parties)".into(),
    });
    rs.add_parties(parties);
    Ok(report)
}

/// The rows of a CSV download: (row, line, entry); row 1 is the header.
fn csv_rows(bytes: &[u8], path: &str) -> Result<Vec<(u64, u64, Row)>, CslError> {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(text);
    let header =
        rdr.headers().map_err(|e| CslError::Cell { path: path.into(), row: 1, column: "header".into(), message: e.to_string() })?.clone();
    for column in ["source", "name"] {
        if !header.iter().any(|h| h.trim() == column) {
            return Err(CslError::NoColumn { path: path.into(), column });
        }
    }
    let mut rows = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let row = i as u64 + 2;
        let rec = rec.map_err(|e| CslError::Cell { path: path.into(), row, column: "(record)".into(), message: e.to_string() })?;
        let line = rec.position().map_or(row, |p| p.line());
        let entry: Row = rec.deserialize(Some(&header)).map_err(|e| {
            let field = match e.kind() {
                csv::ErrorKind::Deserialize { err, .. } => err.field(),
                _ => None,
            };
            let column = field.and_then(|f| header.get(f as usize)).unwrap_or("(record)").to_string();
            CslError::Cell { path: path.into(), row, column, message: e.to_string() }
        })?;
        rows.push((row, line, entry));
    }
    Ok(rows)
}

/// The entries of a JSON download: `{"results": [...]}` or the array alone.
fn json_rows(bytes: &[u8], path: &str) -> Result<Vec<(u64, u64, Row)>, CslError> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Doc {
        Wrapped { results: Vec<serde_json::Value> },
        Bare(Vec<serde_json::Value>),
    }
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let doc: Doc = serde_json::from_slice(text).map_err(|e| CslError::Json {
        path: path.into(),
        message: format!("not the screening list's JSON (an object with `results`, or an array of entries): {e}"),
    })?;
    let (Doc::Wrapped { results: items } | Doc::Bare(items)) = doc;
    items
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let row = i as u64 + 1;
            serde_json::from_value::<Row>(v).map(|r| (row, row, r)).map_err(|e| CslError::Cell {
                path: path.into(),
                row,
                column: "(entry)".into(),
                message: e.to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_known_by_name_or_abbreviation_and_lists_split() {
        assert_eq!(abbreviation("Entity List (EL) - Bureau of Industry and Security"), Some("EL"));
        assert_eq!(abbreviation("Entity List"), None);
        assert_eq!(split("Huawei Technology; Shenzhen Huawei; and HW Co."), ["Huawei Technology", "Shenzhen Huawei", "HW Co."]);
        assert_eq!(split(""), Vec::<String>::new());
        assert_eq!(policy("Presumption of denial."), Some(Policy::PresumptionOfDenial));
        assert_eq!(policy("Case-by-case review for items…"), Some(Policy::CaseByCase));
        assert_eq!(policy("See § 744.11(b)"), None);
    }
}
