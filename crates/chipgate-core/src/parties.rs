//! Screening parties against the party lists of the rule packs (the Entity List and any other a
//! pack declares): names are compared after normalising case, punctuation, legal-form words
//! and word order, and scored for the near misses that a person must settle.
//!
//! What a list is, its entries, their dates and citations, and the scores at which a name is a
//! match or a possible one are pack data (`[[party_list]]`, `[[party]]`); this module only
//! compares names.

use borsh::{BorshDeserialize, BorshSerialize};
use jiff::civil::Date;
use serde::Serialize;

use crate::rules::{Citation, Origin, Policy};

pub mod csl;

/// A list of parties: `[[party_list]]`.
#[derive(Debug, Clone, PartialEq, Serialize, BorshSerialize, BorshDeserialize)]
pub struct PartyList {
    /// Id that rules name (`party in ['entity-list']`).
    pub id: String,
    /// Its name in answers ("Entity List").
    pub name: String,
    /// Where it is published.
    pub citation: Citation,
    /// The score (0–1) from which a name is the listed party: the requirement applies.
    pub match_score: f64,
    /// The score from which a name may be the listed party: the answer is indeterminate until
    /// a person settles it.
    pub possible_score: f64,
    /// The sources of the Consolidated Screening List whose entries join this list when a user
    /// loads that list ([`csl`]): a `source` as the CSL names it (`Entity List (EL) - Bureau of
    /// Industry and Security`) or its abbreviation (`EL`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub screening_sources: Vec<String>,
    /// How an entry's license-requirement wording reads (`[party_list.requirement]`).
    #[serde(skip_serializing_if = "Reading::is_empty")]
    pub requirement: Reading,
    /// Where it was defined.
    #[serde(skip)]
    pub origin: Origin,
}

/// How the license-requirement wording of a list's entries reads, as pack data
/// (`[party_list.requirement]`): whether an entry's requirement reaches every item these rules
/// classify (ICs, boards and computers), or leaves it open for a person to read. The entries of
/// a screening list loaded with `--parties` bring their own wording, and not every one is "for
/// all items subject to the EAR".
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize, BorshSerialize, BorshDeserialize)]
#[serde(deny_unknown_fields)]
pub struct Reading {
    /// Words that say the requirement is for every item ("all items subject to the EAR").
    /// Empty: every entry's requirement reaches every item (no reading is made).
    pub all_items: Vec<String>,
    /// Words that open an exception ("except", "other than").
    #[serde(default)]
    pub exception_words: Vec<String>,
    /// What an exception may begin with and still leave every such item inside the requirement
    /// ("technology", "food and medicine").
    #[serde(default)]
    pub excepting_only: Vec<String>,
}

impl Reading {
    /// Whether a list declares no reading.
    pub fn is_empty(&self) -> bool {
        self.all_items.is_empty()
    }

    /// Whether an entry's requirement, as worded, reaches every item these rules classify: it
    /// names all items, and every exception it makes begins with words of `excepting_only`.
    /// Words are compared in lower case, whatever spaces stand between them.
    pub fn reaches_every_item(&self, wording: &str) -> bool {
        if self.is_empty() {
            return true;
        }
        let fold = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
        let text = fold(wording);
        if !self.all_items.iter().any(|w| text.contains(&fold(w))) {
            return false;
        }
        self.exception_words.iter().map(|w| fold(w)).all(|word| {
            text.match_indices(&word).all(|(at, _)| {
                let rest = text.get(at + word.len()..).unwrap_or_default();
                // A word of its own, not part of a longer one ("except" in "excepting").
                let whole = text.get(..at).and_then(|b| b.chars().next_back()).is_none_or(|c| !c.is_alphanumeric())
                    && rest.chars().next().is_none_or(|c| !c.is_alphanumeric());
                let rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ':' || c == ',');
                !whole || self.excepting_only.iter().any(|e| rest.starts_with(&fold(e)))
            })
        })
    }
}

/// One entry of a party list: `[[party]]`.
#[derive(Debug, Clone, PartialEq, Serialize, BorshSerialize, BorshDeserialize)]
pub struct Party {
    /// Id (`entity-list/huawei-technologies`).
    pub id: String,
    /// Index of its list in [`crate::RuleSet::party_lists`].
    #[serde(skip)]
    pub list: usize,
    /// The name as listed.
    pub name: String,
    /// The other names the entry gives ("a.k.a.").
    pub aliases: Vec<String>,
    /// The country of the listed address (ISO code), if given.
    pub country: Option<String>,
    /// The address, as listed (short).
    pub address: Option<String>,
    /// The entry's license requirement, as listed.
    pub license_requirement: String,
    /// The entry's license review policy, if the pack states it as one of chipgate's policies.
    pub review_policy: Option<Policy>,
    /// The entry's review policy as listed, in words.
    pub review_policy_text: Option<String>,
    /// The day the entry took effect; none: always.
    #[borsh(serialize_with = "crate::rules::compiled::opt_date::write", deserialize_with = "crate::rules::compiled::opt_date::read")]
    pub added: Option<Date>,
    /// The day it was removed; none: still listed.
    #[borsh(serialize_with = "crate::rules::compiled::opt_date::write", deserialize_with = "crate::rules::compiled::opt_date::read")]
    pub removed: Option<Date>,
    /// The notice that added it.
    pub citation: Citation,
    /// Footnote designations of the entry (e.g. `1` for the foreign direct product rule).
    pub footnotes: Vec<String>,
    /// Notes: later changes, readings, what could not be confirmed.
    pub note: Option<String>,
    /// Where it was defined.
    #[serde(skip)]
    pub origin: Origin,
    /// The normalised names (the name, then the aliases).
    #[serde(skip)]
    pub keys: Vec<Key>,
}

impl Party {
    /// Whether the entry is in force on a date.
    pub fn in_force(&self, date: Date) -> bool {
        self.added.is_none_or(|a| a <= date) && self.removed.is_none_or(|r| date < r)
    }

    /// The entry's names: the listed one, then the aliases.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}

/// A name made comparable: lower case, punctuation as spaces, legal-form words dropped, the
/// words sorted and each once.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Key {
    /// The words, joined by one space.
    pub text: String,
    words: Vec<String>,
    /// The length of `text` in characters.
    chars: usize,
    /// How many times each ASCII letter and digit occurs in `text`, for a quick bound on the
    /// edit distance.
    bag: [u8; 36],
}

/// Words that say what legal form a company has (and the articles and conjunctions around
/// them), not which company it is; dropped wherever they stand.
const LEGAL_FORMS: [&str; 24] = [
    "co",
    "company",
    "corp",
    "corporation",
    "inc",
    "incorporated",
    "ltd",
    "limited",
    "llc",
    "plc",
    "pte",
    "gmbh",
    "ag",
    "sa",
    "sas",
    "bv",
    "nv",
    "kk",
    "pvt",
    "jsc",
    "ojsc",
    "pjsc",
    "the",
    "and",
];

/// The same for names written in Chinese, as the ends of words.
const LEGAL_SUFFIXES: [&str; 5] = ["股份有限公司", "有限责任公司", "有限公司", "集团公司", "公司"];

impl Key {
    /// The comparable form of a name.
    pub fn of(name: &str) -> Key {
        let lower = name.to_lowercase();
        let mut words: Vec<String> = lower
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty() && !LEGAL_FORMS.contains(w))
            .map(|w| {
                let mut w = w;
                for s in LEGAL_SUFFIXES {
                    if let Some(stem) = w.strip_suffix(s).filter(|stem| !stem.is_empty()) {
                        w = stem;
                        break;
                    }
                }
                w.to_string()
            })
            .collect();
        words.sort();
        words.dedup();
        let text = words.join(" ");
        let mut bag = [0u8; 36];
        for b in text.bytes() {
            let slot = match b {
                b'a'..=b'z' => usize::from(b - b'a'),
                b'0'..=b'9' => 26 + usize::from(b - b'0'),
                _ => continue,
            };
            if let Some(n) = bag.get_mut(slot) {
                *n = n.saturating_add(1);
            }
        }
        Key { chars: text.chars().count(), text, words, bag }
    }

    /// Whether a name holding every word of this one is taken for it, possibly: it has two
    /// words or more, or one long word (see [`score`]).
    fn distinctive(&self) -> bool {
        self.words.len() >= 2 || self.chars >= 5
    }

    /// Whether nothing is left of the name (it was only punctuation or legal forms).
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }
}

/// How much a name given looks like a listed name, from 0 to 1: 1 when their keys are equal;
/// else the edit similarity of the keys (a misspelling scores high), or 0.9 when the name
/// given holds every word of a listed name of two words or more, or of one long word ("Huawei
/// Technologies Shenzhen Branch" holds "Huawei Technologies"): a possible match, for a person
/// to settle.
pub fn score(given: &Key, listed: &Key) -> f64 {
    score_from(given, listed, 0.0).unwrap_or(0.0)
}

/// The [`score`] when it is at least `floor`, else none, without working out the edit
/// similarity of names whose lengths alone keep it below the floor (most pairs, in a long
/// list).
fn score_from(given: &Key, listed: &Key, floor: f64) -> Option<f64> {
    if given.is_empty() || listed.is_empty() {
        return None;
    }
    if given.text == listed.text {
        return Some(1.0);
    }
    let holds = listed.distinctive() && listed.words.iter().all(|w| given.words.binary_search(w).is_ok());
    let base = if holds { CONTAINS } else { 0.0 };
    // The edit distance is at least the difference in length, and at least the number of
    // letters and digits one name has more of than the other.
    let (mut more, mut fewer) = (0usize, 0usize);
    for (a, b) in given.bag.iter().zip(&listed.bag) {
        more += usize::from(a.saturating_sub(*b));
        fewer += usize::from(b.saturating_sub(*a));
    }
    let longest = given.chars.max(listed.chars) as f64;
    let least = given.chars.abs_diff(listed.chars).max(more).max(fewer);
    let bound = 1.0 - least as f64 / longest;
    let edit = if bound >= floor.max(base) { strsim::normalized_levenshtein(&given.text, &listed.text) } else { 0.0 };
    Some(edit.max(base)).filter(|s| *s >= floor && *s > 0.0)
}

/// The score of a name that holds every word of a listed one (see [`score`]).
const CONTAINS: f64 = 0.9;

/// A listed party a name may be.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The entry, an index into [`crate::RuleSet::parties`].
    pub entry: usize,
    /// The list, an index into [`crate::RuleSet::party_lists`].
    pub list: usize,
    /// The entry's name (or alias) that the name was closest to.
    pub matched: String,
    /// The score (see [`score`]).
    pub score: f64,
    /// Whether the score reaches the list's match score: the name is the listed party.
    pub decided: bool,
    /// Whether the entry's license requirement, as its list reads the wording
    /// ([`Reading::reaches_every_item`]), reaches every item these rules classify.
    pub reaches: bool,
}

impl Hit {
    /// Whether the hit settles a test of its list: the name is the listed party, and the
    /// entry's requirement reaches the item.
    pub fn settles(&self) -> bool {
        self.decided && self.reaches
    }
}

/// An entry a name may be, whatever the date.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    entry: usize,
    matched: usize,
    score: f64,
}

impl Candidate {
    /// The entry, an index into [`crate::RuleSet::parties`].
    pub fn entry(&self) -> usize {
        self.entry
    }
}

impl crate::RuleSet {
    /// The listed parties a name may be on a date: for each list, its closest entry in force
    /// whose score reaches the list's possible score, best first.
    pub fn screen(&self, name: &str, date: Date) -> Vec<Hit> {
        self.screen_candidates(&self.candidates(name), date)
    }

    /// The entries a name may be on any date: every entry with a name or alias that scores at
    /// least its list's possible score, with the best of them.
    pub fn candidates(&self, name: &str) -> Vec<Candidate> {
        let given = Key::of(name);
        let mut out: Vec<Candidate> = Vec::new();
        if given.is_empty() {
            return out;
        }
        let index = self.party_index.get(self);
        for (entry, key) in index.near(&given) {
            let Some(p) = self.parties.get(entry) else { continue };
            let (Some(k), Some(list)) = (p.keys.get(key), self.party_lists.get(p.list)) else { continue };
            let Some(score) = score_from(&given, k, list.possible_score) else { continue };
            // The best name of an entry; of equal scores, the first.
            match out.last_mut().filter(|c| c.entry == entry) {
                Some(c) if score > c.score || (score == c.score && key < c.matched) => *c = Candidate { entry, matched: key, score },
                Some(_) => {}
                None => out.push(Candidate { entry, matched: key, score }),
            }
        }
        out
    }

    /// Adds entries to the party lists (a screening list a user loaded, say): their dates
    /// become change dates of the rule set, as those of a pack's entries are.
    pub fn add_parties(&mut self, parties: Vec<Party>) {
        for p in &parties {
            self.change_dates.extend(p.added);
            self.change_dates.extend(p.removed);
        }
        self.change_dates.sort();
        self.change_dates.dedup();
        self.parties.extend(parties);
        self.party_index = Index::default();
    }

    /// Of a name's candidates, the listed parties it may be on a date: for each list, its
    /// closest entry in force, best first.
    pub fn screen_candidates(&self, candidates: &[Candidate], date: Date) -> Vec<Hit> {
        let mut best: Vec<Option<Hit>> = vec![None; self.party_lists.len()];
        for c in candidates {
            let Some(p) = self.parties.get(c.entry).filter(|p| p.in_force(date)) else { continue };
            let (Some(list), Some(slot)) = (self.party_lists.get(p.list), best.get_mut(p.list)) else { continue };
            if slot.as_ref().is_none_or(|h| c.score > h.score) {
                let matched = p.names().nth(c.matched).unwrap_or(&p.name).to_string();
                let (decided, reaches) = (c.score >= list.match_score, list.requirement.reaches_every_item(&p.license_requirement));
                *slot = Some(Hit { entry: c.entry, list: p.list, matched, score: c.score, decided, reaches });
            }
        }
        let mut hits: Vec<Hit> = best.into_iter().flatten().collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score));
        hits
    }
}

/// The names of a rule set's party entries, so that a name is compared with the few that can
/// reach a list's possible score instead of with every one (the Consolidated Screening List has
/// tens of thousands). A listed name is a candidate when
/// - the name holds its rarest word (a name holding every word of a distinctive listed one
///   scores `CONTAINS`); or
/// - its length is close enough for the edit similarity to reach the lowest possible score,
///   and it shares enough runs of three characters with the name. Two strings within `d`
///   edits of each other, the longer of length `L`, share at least `L - 2 - 3d` such runs
///   (counted with repeats: the q-gram lemma, Ukkonen 1992), and a similarity of at least
///   `floor` means `d <= (1 - floor) L`, so they share at least `t = (3 floor - 2) n - 2` of
///   the `n - 2` runs of the name given (`n` characters). A name that shares none of the
///   rarest runs of the name given, `n - 1 - t` of them counted with repeats, cannot share
///   `t`: only the names holding one of those are looked at (prefix filtering).
///
/// Both are bounds on what [`score`] can give, so no candidate is lost
/// (`tests/parties_file.rs` compares it with a scan of every name).
#[derive(Debug, Clone, Default)]
pub struct Index(std::sync::OnceLock<Names>);

/// Up to how many names a name is compared with every one: the index costs more than it
/// saves on the few entries of a pack (the built-in Entity List has 17).
const SCAN: usize = 256;

/// See [`Index`].
#[derive(Debug, Clone)]
pub struct Names {
    /// (entry, name, length in characters) of every name: a name's number is its place here.
    names: Vec<(usize, usize, usize)>,
    /// The numbers of the names, by length.
    by_length: Vec<(usize, u32)>,
    /// For each run of three characters, the names that hold it.
    by_run: std::collections::HashMap<[char; 3], Vec<u32>>,
    /// The rarest word of each name that a name holding its words scores [`CONTAINS`]
    /// against, with the numbers of the names filed under it.
    by_word: std::collections::HashMap<String, Vec<u32>>,
    /// The lowest possible score of any list.
    floor: f64,
}

/// The runs of three characters of a text, each with how many times it occurs.
fn runs(text: &str) -> Vec<([char; 3], usize)> {
    let chars: Vec<char> = text.chars().collect();
    let mut all: Vec<[char; 3]> = chars.windows(3).filter_map(|w| <[char; 3]>::try_from(w).ok()).collect();
    all.sort_unstable();
    let mut out: Vec<([char; 3], usize)> = Vec::new();
    for p in all {
        match out.last_mut() {
            Some((q, n)) if *q == p => *n += 1,
            _ => out.push((p, 1)),
        }
    }
    out
}

impl Index {
    fn get(&self, rs: &crate::RuleSet) -> &Names {
        self.0.get_or_init(|| {
            let mut names = Vec::new();
            let mut by_run: std::collections::HashMap<[char; 3], Vec<u32>> = std::collections::HashMap::new();
            let mut by_word: std::collections::HashMap<String, Vec<u32>> = std::collections::HashMap::new();
            // How many names hold each word: a name is filed under its rarest word, which a name
            // holding all of its words holds too, and which few names given hold.
            let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
            for key in rs.parties.iter().flat_map(|p| &p.keys) {
                for w in &key.words {
                    *seen.entry(w.as_str()).or_default() += 1;
                }
            }
            for (e, p) in rs.parties.iter().enumerate() {
                for (k, key) in p.keys.iter().enumerate() {
                    let Ok(n) = u32::try_from(names.len()) else { continue };
                    names.push((e, k, key.chars));
                    for (run, _) in runs(&key.text) {
                        by_run.entry(run).or_default().push(n);
                    }
                    let rarest = key.words.iter().min_by_key(|w| (seen.get(w.as_str()).copied().unwrap_or(0), w.as_str()));
                    if let Some(w) = rarest.filter(|_| key.distinctive()) {
                        by_word.entry(w.clone()).or_default().push(n);
                    }
                }
            }
            let mut by_length: Vec<(usize, u32)> =
                names.iter().enumerate().filter_map(|(i, n)| Some((n.2, u32::try_from(i).ok()?))).collect();
            by_length.sort_unstable();
            let floor = rs.party_lists.iter().map(|l| l.possible_score).fold(1.0, f64::min);
            Names { names, by_length, by_run, by_word, floor }
        })
    }
}

impl Names {
    /// The (entry, name) pairs that may score at least the floor against `given`, by entry and
    /// then name.
    fn near(&self, given: &Key) -> Vec<(usize, usize)> {
        let n = given.chars;
        // The lengths an edit similarity of at least the floor allows: 1 - |n - m| / max(n, m).
        let (low, high) = if self.floor > 0.0 {
            ((n as f64 * self.floor).floor() as usize, (n as f64 / self.floor).ceil() as usize)
        } else {
            (0, usize::MAX)
        };
        let mut near: Vec<u32> = Vec::new();
        // The runs any candidate shares with the name given, at least.
        let t = ((3.0 * self.floor - 2.0) * n as f64 - 2.0).ceil();
        if self.names.len() <= SCAN {
            // Those of a length in reach (a name out of it cannot reach the floor by its
            // letters; one that holds a listed name's words is added below).
            let reach = self.names.iter().zip(0u32..).filter(|((_, _, m), _)| (low..=high).contains(m));
            near.extend(reach.map(|(_, i)| i));
        } else if t >= 1.0 {
            // The rarest runs first: each with the names that hold it.
            let mut mine: Vec<(&[u32], usize)> =
                runs(&given.text).into_iter().map(|(r, count)| (self.by_run.get(&r).map_or(&[][..], Vec::as_slice), count)).collect();
            mine.sort_by_key(|(names, _)| names.len());
            let (mut taken, enough) = (0, n.saturating_sub(2).saturating_sub(t as usize) + 1);
            for (names, count) in mine {
                if taken >= enough {
                    break;
                }
                taken += count;
                near.extend_from_slice(names);
            }
            near.retain(|&i| self.names.get(i as usize).is_some_and(|&(_, _, m)| (low..=high).contains(&m)));
        } else {
            // A name this short (or a floor this low) need share no run: every name of a
            // length in reach.
            let from = self.by_length.partition_point(|(m, _)| *m < low);
            let reach = self.by_length.get(from..).unwrap_or_default().iter().take_while(|(m, _)| *m <= high);
            near.extend(reach.map(|&(_, i)| i));
        }
        for w in &given.words {
            near.extend(self.by_word.get(w).into_iter().flatten().copied());
        }
        let mut out: Vec<(usize, usize)> = near.into_iter().filter_map(|i| self.names.get(i as usize).map(|&(e, k, _)| (e, k))).collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// One owner of a party to a transaction, as given: a name, screened as the parties are, and
/// the share of the party it holds (percent, directly or indirectly), when known. The rules'
/// `owned_by` tests add up the shares of the owners on a list (the EAR's affiliates rule).
#[derive(Debug, Clone, PartialEq)]
pub struct Owner {
    /// The owner's name.
    pub name: String,
    /// Its share, 0–100; none: not known.
    pub share: Option<f64>,
}

/// Reads what is known of a party's owners from one text: owners separated by `;`, each
/// `NAME=PERCENT` (`Huawei Technologies Co., Ltd.=60`, `%` optional) or a bare `NAME` whose
/// share is not known; `none` when no one holds a share that matters (no owner to give).
/// The shares are each 0–100 and add up to at most 100. The message says what is wrong.
pub fn parse_owners(text: &str) -> Result<Vec<Owner>, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("none") {
        return Ok(Vec::new());
    }
    let mut owners = Vec::new();
    for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        if part.eq_ignore_ascii_case("none") {
            return Err("`none` stands alone: it says that no owner is to be given".into());
        }
        let (name, share) = match part.rsplit_once('=') {
            Some((name, share)) => (name.trim(), Some(percent(share.trim()).ok_or_else(|| bad_share(part, share.trim()))?)),
            None => (part, None),
        };
        if name.is_empty() {
            return Err(format!("`{part}` names no owner; write NAME=PERCENT"));
        }
        owners.push(Owner { name: name.to_string(), share });
    }
    if owners.is_empty() {
        return Err("no owner given; write NAME=PERCENT (owners separated by `;`), or `none`".into());
    }
    let total: f64 = owners.iter().filter_map(|o| o.share).sum();
    if total > 100.0 + 1e-9 {
        return Err(format!("the owners' shares add up to {total} %, over 100 %"));
    }
    Ok(owners)
}

/// A share in percent, `%` optional: a finite number from 0 to 100.
fn percent(s: &str) -> Option<f64> {
    let x: f64 = s.strip_suffix('%').unwrap_or(s).trim().parse().ok()?;
    (x.is_finite() && (0.0..=100.0).contains(&x)).then_some(x)
}

fn bad_share(part: &str, share: &str) -> String {
    format!("`{share}` in `{part}` is not a share from 0 to 100 percent; write NAME=PERCENT, e.g. `Example Holdings=60`")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_requirement_reaches_every_item_unless_an_exception_may_leave_it_out() {
        let r = Reading {
            all_items: vec!["all items subject to the EAR".into()],
            exception_words: vec!["except".into(), "other than".into(), "excepting".into()],
            excepting_only: vec!["technology".into(), "food and medicine".into(), "for food and medicine".into()],
        };
        for reaches in [
            "For all items subject to the EAR.",
            "For ALL items  subject to the EAR, see §§ 734.9(e)(1) and 744.11 of the EAR",
            "For all items subject to the EAR, except technology subject to the EAR that is designated as EAR99",
            "For all items subject to the EAR except for food and medicine designated as EAR99.",
            "For all items subject to the EAR, excepting technology",
        ] {
            assert!(r.reaches_every_item(reaches), "{reaches}");
        }
        for open in [
            "For all items subject to the EAR having a classification other than EAR99.",
            "For all items subject to the EAR except items designated EAR99",
            "For items listed on the CCL",
            "none given in the screening list",
            "For all items subject to the EAR except technology, and except items designated EAR99",
        ] {
            assert!(!r.reaches_every_item(open), "{open}");
        }
        // No reading declared: every requirement reaches every item, as before.
        assert!(Reading::default().reaches_every_item("For items listed on the CCL"));
    }

    #[test]
    fn keys_ignore_case_punctuation_legal_forms_and_word_order() {
        let k = Key::of("Huawei Technologies Co., Ltd.");
        assert_eq!(k.text, "huawei technologies");
        assert_eq!(Key::of("HUAWEI TECHNOLOGIES CO LTD"), k);
        assert_eq!(Key::of("Technologies, Huawei (Co.)"), k);
        assert_eq!(Key::of("华为技术有限公司").text, "华为技术");
        assert!(Key::of("Co., Ltd.").is_empty());
    }

    #[test]
    fn scores_tell_matches_from_near_misses() {
        let listed = Key::of("Semiconductor Manufacturing International Corporation");
        assert_eq!(score(&Key::of("SEMICONDUCTOR MANUFACTURING INTERNATIONAL CORP"), &listed), 1.0);
        let typo = score(&Key::of("Semiconductor Manufactoring International"), &listed);
        assert!(typo > 0.9 && typo < 1.0, "{typo}");
        assert_eq!(score(&Key::of("Huawei Technologies Shenzhen Branch"), &Key::of("Huawei Technologies")), CONTAINS);
        assert!(score(&Key::of("Technologies"), &Key::of("Huawei Technologies")) < 0.8);
        assert!(score(&Key::of("Acme Trading GmbH"), &Key::of("Huawei Technologies")) < 0.5);
        assert_eq!(score(&Key::of(""), &listed), 0.0);
    }
}
