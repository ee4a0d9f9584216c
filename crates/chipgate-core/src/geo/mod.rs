//! Countries, their names and aliases, and dated country-group membership. The data comes from
//! rule files; this module only knows how to look it up.

use borsh::{BorshDeserialize, BorshSerialize};
use std::collections::HashMap;
use std::sync::OnceLock;

use jiff::civil::Date;
use serde::Serialize;

use crate::chip::normalize;

/// A country or territory (ISO 3166-1 alpha-2).
#[derive(Debug, Clone, PartialEq, Serialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Country {
    /// ISO code.
    pub code: String,
    /// Short name.
    pub name: String,
    /// Other names it answers to.
    #[serde(skip)]
    pub aliases: Vec<String>,
    /// Another country the rules treat this one as (Hong Kong as China).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub treated_as: Option<String>,
}

impl Country {
    /// The codes the rules see this country as in set membership: its own, and the one it is
    /// treated as (Hong Kong answers to both `HK` and `CN`).
    pub fn codes(&self) -> Vec<&str> {
        std::iter::once(self.code.as_str()).chain(self.treated_as.as_deref()).collect()
    }
}

/// The countries of a rule set, found by exact code, or by normalised code, name and alias.
///
/// Only the list and its order by code are stored in the compiled rule set: the index of every
/// name is built on the first lookup that is not a country's code. Decoding that index (a
/// `HashMap` of about 600 strings) took 0.91 M of the 6.2 M instructions of a whole
/// `chipgate check H100 --to CN` (callgrind, 2026-12-07), which names countries by code only.
#[derive(Debug, Clone, Default, BorshSerialize, BorshDeserialize)]
pub struct Countries {
    #[borsh(deserialize_with = "crate::rules::compiled::exact::read")]
    list: Vec<Country>,
    /// Places in `list`, ordered by code.
    by_code: Vec<u32>,
    #[borsh(skip)]
    index: OnceLock<HashMap<String, usize>>,
}

impl Countries {
    /// Builds the table.
    pub fn new(list: Vec<Country>) -> Countries {
        let mut by_code: Vec<u32> = (0..list.len() as u32).collect();
        by_code.sort_by(|a, b| code_at(&list, *a).cmp(code_at(&list, *b)));
        Countries { list, by_code, index: OnceLock::new() }
    }

    /// Every normalised code, name and alias, with the place of its country; a code wins over
    /// another country's name or alias.
    fn index(&self) -> &HashMap<String, usize> {
        self.index.get_or_init(|| {
            let mut index = HashMap::new();
            for (i, c) in self.list.iter().enumerate() {
                index.insert(normalize(&c.code), i);
            }
            for (i, c) in self.list.iter().enumerate() {
                for k in std::iter::once(&c.name).chain(c.aliases.iter()) {
                    index.entry(normalize(k)).or_insert(i);
                }
            }
            index
        })
    }

    /// Records that the rules treat one country as another (Hong Kong as China).
    pub fn treat_as(&mut self, code: &str, as_code: &str) {
        if let Some(c) = self.list.iter_mut().find(|c| c.code == code) {
            c.treated_as = Some(as_code.to_string());
        }
    }

    /// Every country.
    pub fn all(&self) -> &[Country] {
        &self.list
    }

    /// A country by exact code.
    pub fn by_code(&self, code: &str) -> Option<&Country> {
        self.index_of(code).and_then(|i| self.list.get(i))
    }

    /// The place in [`Countries::all`] of a country, by exact code.
    pub fn index_of(&self, code: &str) -> Option<usize> {
        let at = self.by_code.binary_search_by(|i| code_at(&self.list, *i).cmp(code)).ok()?;
        self.by_code.get(at).map(|i| *i as usize)
    }

    /// Resolves a user-typed code, name or alias.
    pub fn resolve(&self, name: &str) -> Option<&Country> {
        // A code in any case is its country (codes win in the index too); the index is built
        // only for other names. Only letters and digits, which `normalize` keeps as they are
        // but for their case.
        if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric()) {
            if let Some(c) = self.list.iter().find(|c| c.code.eq_ignore_ascii_case(name)) {
                return Some(c);
            }
        }
        self.index().get(&normalize(name)).and_then(|&i| self.list.get(i))
    }

    /// Why a name is no country, with the closest names (looked for when `suggest`), in the
    /// words every front end uses.
    pub fn why_unknown(&self, name: &str, suggest: bool) -> String {
        let s = if suggest { self.suggest(name) } else { Vec::new() };
        if s.is_empty() {
            format!("unknown country `{name}`; use an ISO 3166-1 alpha-2 code such as `CN` or a name such as `China`")
        } else {
            format!("unknown country `{name}`; did you mean {}?", s.join(", "))
        }
    }

    /// The closest names to an unknown one.
    pub fn suggest(&self, name: &str) -> Vec<String> {
        let key = normalize(name);
        let mut scored: Vec<(f64, String)> = self
            .list
            .iter()
            .filter_map(|c| {
                std::iter::once(&c.name)
                    .chain(c.aliases.iter())
                    .map(|a| (crate::suggest::similarity(&key, &normalize(a)), format!("{} ({})", a, c.code)))
                    .max_by(|x, y| x.0.total_cmp(&y.0))
            })
            .filter(|(s, _)| *s > 0.8)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        scored.into_iter().take(3).map(|(_, n)| n).collect()
    }
}

/// The code of the country at a place of the list ("" past its end).
fn code_at(list: &[Country], i: u32) -> &str {
    list.get(i as usize).map_or("", |c| c.code.as_str())
}

/// A dated span of membership: from `from` (inclusive) until `until` (exclusive).
#[derive(Debug, Clone, PartialEq, Serialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Membership {
    /// Country code.
    pub country: String,
    /// First day of membership, if not always.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[borsh(serialize_with = "crate::rules::compiled::opt_date::write", deserialize_with = "crate::rules::compiled::opt_date::read")]
    pub from: Option<Date>,
    /// First day no longer a member, if ever.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[borsh(serialize_with = "crate::rules::compiled::opt_date::write", deserialize_with = "crate::rules::compiled::opt_date::read")]
    pub until: Option<Date>,
    /// Source of the change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub citation: Option<String>,
}

impl Membership {
    /// Whether this span covers the date.
    pub fn covers(&self, date: Date) -> bool {
        self.from.is_none_or(|f| date >= f) && self.until.is_none_or(|u| date < u)
    }
}

/// A country group (e.g. `D:5`) with dated membership.
#[derive(Debug, Clone, PartialEq, Serialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Group {
    /// Group id.
    pub id: String,
    /// Title.
    pub name: String,
    /// Citation of the list.
    pub citation: String,
    /// Members with their dates.
    #[borsh(deserialize_with = "crate::rules::compiled::exact::read")]
    pub members: Vec<Membership>,
    /// Countries the regulations always name together with the group (D:5 "or Macau").
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub named_with: Vec<String>,
}

impl Group {
    /// Whether a country is a member on a date.
    pub fn contains(&self, code: &str, date: Date) -> bool {
        // Codes are a few bytes: compared inline, not through `memcmp` (sets are tested often).
        let same = |m: &Membership| m.country.len() == code.len() && m.country.bytes().zip(code.bytes()).all(|(a, b)| a == b);
        self.members.iter().any(|m| same(m) && m.covers(date))
    }

    /// Every date at which membership changes.
    pub fn change_dates(&self) -> impl Iterator<Item = Date> + '_ {
        self.members.iter().flat_map(|m| m.from.into_iter().chain(m.until))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn dated_membership_is_half_open() {
        let g = Group {
            id: "D:5".into(),
            name: String::new(),
            citation: String::new(),
            members: vec![Membership { country: "KH".into(), from: None, until: Some(date(2026, 2, 3)), citation: None }],
            named_with: Vec::new(),
        };
        assert!(g.contains("KH", date(2026, 2, 2)));
        assert!(!g.contains("KH", date(2026, 2, 3)));
    }

    #[test]
    fn resolves_names_and_aliases() {
        let c = Countries::new(vec![Country {
            code: "AE".into(),
            name: "United Arab Emirates".into(),
            aliases: vec!["UAE".into()],
            treated_as: None,
        }]);
        assert_eq!(c.resolve("uae").map(|c| c.code.as_str()), Some("AE"));
        assert_eq!(c.resolve("ae").map(|c| c.code.as_str()), Some("AE"));
        assert!(c.resolve("Atlantis").is_none());
    }
}
