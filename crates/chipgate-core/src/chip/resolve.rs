//! The chip catalog and name resolution: case-insensitive, ignoring spaces, hyphens and
//! underscores, with aliases, and suggestions for unknown names.

use borsh::{BorshDeserialize, BorshSerialize};
use std::collections::HashMap;
use std::sync::OnceLock;

use super::Chip;

/// Normalises a name for lookup: lowercase, without spaces, hyphens, underscores, dots,
/// apostrophes and commas.
pub fn normalize(s: &str) -> String {
    s.chars().filter(|c| !matches!(c, ' ' | '-' | '_' | '.' | '\'' | ',' | '’' | '\t')).flat_map(char::to_lowercase).collect()
}

/// The result of looking a chip up by name.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolution<'a> {
    /// Exactly one chip.
    Found(&'a Chip),
    /// Several chips match; the candidates by display name.
    Ambiguous(Vec<&'a Chip>),
    /// Nothing matches; the closest names.
    Unknown(Vec<String>),
}

impl Resolution<'_> {
    /// Why the name names no one chip, in the words every front end uses: the candidates of an
    /// ambiguous name, the suggestions for an unknown one, or else `otherwise` (what the front
    /// end offers instead, such as describing the chip by its figures); `None` when found.
    pub fn why_not(&self, name: &str, otherwise: &str) -> Option<String> {
        match self {
            Resolution::Found(_) => None,
            Resolution::Ambiguous(c) => {
                let names: Vec<String> =
                    c.iter().take(8).map(|c| format!("`{}` ({})", c.aliases.first().unwrap_or(&c.id), c.name)).collect();
                Some(format!("chip name `{name}` is ambiguous; candidates: {}", names.join(", ")))
            }
            Resolution::Unknown(s) if s.is_empty() => {
                Some(format!("unknown chip `{name}`; `chipgate chips` lists the catalog, or {otherwise}"))
            }
            Resolution::Unknown(s) => {
                let s: Vec<String> = s.iter().map(|x| format!("`{x}`")).collect();
                Some(format!("unknown chip `{name}`; did you mean {}?", s.join(", ")))
            }
        }
    }
}

/// The chips of a rule set, indexed by normalised id, name and alias.
#[derive(Debug, Clone, Default, BorshSerialize, BorshDeserialize)]
pub struct Catalog {
    #[borsh(deserialize_with = "crate::rules::compiled::exact::read")]
    chips: Vec<Entry>,
    /// Every normalised id, name and alias with the place of its chip, ordered by key: a sorted
    /// list rather than a hash map, as decoding one cost 2 % of a `check`'s instructions in
    /// hashing alone.
    #[borsh(deserialize_with = "crate::rules::compiled::exact::read")]
    index: Vec<(String, usize)>,
}

/// A chip of the catalog. A compiled rule set keeps each chip's bytes and decodes the chip when
/// it is first asked for: a `check` reads one or two of the catalog's chips, and decoding them
/// all was a tenth of its instructions (issue 17; docs/performance.md).
#[derive(Debug, Clone, Default)]
struct Entry {
    chip: OnceLock<Chip>,
    /// The chip as [`BorshSerialize`] wrote it (empty when the chip was built from a pack).
    bytes: Box<[u8]>,
}

impl Entry {
    fn built(chip: Chip) -> Entry {
        Entry { chip: OnceLock::from(chip), bytes: Box::default() }
    }

    #[allow(clippy::expect_used)]
    fn chip(&self) -> &Chip {
        // The bytes are this build's own: its build script wrote them and read every chip back
        // (build.rs, `Catalog::decode_all`), so a failure here is a damaged binary.
        self.chip.get_or_init(|| Chip::try_from_slice(&self.bytes).expect("a compiled catalog chip decodes"))
    }
}

impl BorshSerialize for Entry {
    fn serialize<W: std::io::Write>(&self, w: &mut W) -> std::io::Result<()> {
        match self.chip.get() {
            Some(c) => borsh::to_vec(c)?.serialize(w),
            None => self.bytes.serialize(w),
        }
    }
}

impl BorshDeserialize for Entry {
    fn deserialize_reader<R: std::io::Read>(r: &mut R) -> std::io::Result<Self> {
        Ok(Entry { chip: OnceLock::new(), bytes: Vec::<u8>::deserialize_reader(r)?.into_boxed_slice() })
    }
}

impl Catalog {
    /// Builds a catalog; a later chip's keys never shadow an earlier one (the checker reports
    /// clashes before this point).
    pub fn new(chips: Vec<Chip>) -> Catalog {
        let mut keys = HashMap::new();
        for (i, c) in chips.iter().enumerate() {
            for key in std::iter::once(&c.id).chain(std::iter::once(&c.name)).chain(c.aliases.iter()) {
                keys.entry(normalize(key)).or_insert(i);
            }
        }
        let mut index: Vec<(String, usize)> = keys.into_iter().collect();
        index.sort_unstable();
        Catalog { chips: chips.into_iter().map(Entry::built).collect(), index }
    }

    /// Every chip, in catalog order.
    pub fn chips(&self) -> impl ExactSizeIterator<Item = &Chip> + Clone {
        self.chips.iter().map(Entry::chip)
    }

    /// The chip at `index` in catalog order.
    pub fn get(&self, index: usize) -> Option<&Chip> {
        self.chips.get(index).map(Entry::chip)
    }

    /// The place in catalog order of a chip this catalog gave out (found by its address, so
    /// that no other chip is decoded to compare it).
    pub fn index_of(&self, chip: &Chip) -> Option<usize> {
        self.chips.iter().position(|e| e.chip.get().is_some_and(|c| std::ptr::eq(c, chip)))
    }

    /// The chip a normalised key names.
    fn find(&self, key: &str) -> Option<&Chip> {
        let at = self.index.binary_search_by(|(k, _)| k.as_str().cmp(key)).ok()?;
        self.index.get(at).and_then(|&(_, i)| self.get(i))
    }

    /// How many chips the catalog holds.
    pub fn len(&self) -> usize {
        self.chips.len()
    }

    /// Whether the catalog holds no chip.
    pub fn is_empty(&self) -> bool {
        self.chips.is_empty()
    }

    /// Decodes every chip of a compiled catalog now; an error names the first chip that does not
    /// decode (the build script's check of its own bytes).
    pub fn decode_all(&self) -> std::io::Result<()> {
        for (i, e) in self.chips.iter().enumerate() {
            if e.chip.get().is_none() {
                let chip =
                    Chip::try_from_slice(&e.bytes).map_err(|err| std::io::Error::new(err.kind(), format!("catalog chip {i}: {err}")))?;
                let _ = e.chip.set(chip);
            }
        }
        Ok(())
    }

    /// A chip by exact id.
    pub fn by_id(&self, id: &str) -> Option<&Chip> {
        // Every id is a key of the index (the checker refuses a clash), so the index finds it
        // without decoding the others.
        self.find(&normalize(id)).filter(|c| c.id == id).or_else(|| self.chips().find(|c| c.id == id))
    }

    /// Sets what the chip at `index` contains (the checker, once every chip is read).
    pub(crate) fn set_parts(&mut self, index: usize, parts: Vec<super::Part>) {
        if let Some(c) = self.chips.get_mut(index).and_then(|e| e.chip.get_mut()) {
            c.contains = parts;
        }
    }

    /// Whether the item `id` nests its parts as they can be: none inside itself, and none deeper
    /// than [`super::MAX_NESTING`] levels; else what is wrong, in words.
    pub fn nesting(&self, id: &str) -> Result<(), String> {
        fn walk<'c>(cat: &'c Catalog, chip: &'c Chip, path: &mut Vec<&'c str>) -> Result<(), String> {
            if path.contains(&chip.id.as_str()) {
                path.push(&chip.id);
                return Err(format!("`{}` contains itself: {}", chip.id, path.join(" → ")));
            }
            if path.len() >= super::MAX_NESTING {
                return Err(format!("`{}` nests items more than {} levels deep", path.first().unwrap_or(&""), super::MAX_NESTING));
            }
            path.push(&chip.id);
            for p in &chip.contains {
                if let Some(part) = cat.by_id(&p.chip) {
                    walk(cat, part, path)?;
                }
            }
            path.pop();
            Ok(())
        }
        match self.by_id(id) {
            Some(chip) => walk(self, chip, &mut Vec::new()),
            None => Ok(()),
        }
    }

    /// Resolves a user-typed name.
    pub fn resolve(&self, name: &str) -> Resolution<'_> {
        self.lookup(name, true)
    }

    /// Resolves a name without looking for suggestions when it is unknown (for bulk use, where
    /// fuzzy matching every unknown value would be the dominant cost).
    pub fn resolve_quiet(&self, name: &str) -> Resolution<'_> {
        self.lookup(name, false)
    }

    fn lookup(&self, name: &str, suggest: bool) -> Resolution<'_> {
        let key = normalize(name);
        if let Some(c) = self.find(&key) {
            return Resolution::Found(c);
        }
        let key_no_vendor = strip_vendor(&key);
        if let Some(c) = self.find(key_no_vendor) {
            return Resolution::Found(c);
        }
        let mut prefixed: Vec<&Chip> = Vec::new();
        for (k, i) in &self.index {
            if key_no_vendor.len() >= 2 && (k.starts_with(key_no_vendor) || strip_vendor(k).starts_with(key_no_vendor)) {
                if let Some(c) = self.get(*i) {
                    if !prefixed.iter().any(|p| p.id == c.id) {
                        prefixed.push(c);
                    }
                }
            }
        }
        prefixed.sort_by(|a, b| a.name.cmp(&b.name));
        match prefixed.len() {
            1 => Resolution::Found(prefixed.remove(0)),
            0 => Resolution::Unknown(if suggest { self.suggest(name) } else { Vec::new() }),
            _ => Resolution::Ambiguous(prefixed),
        }
    }

    /// The closest known names to a user-typed one, best first.
    pub fn suggest(&self, name: &str) -> Vec<String> {
        let key = normalize(name);
        let mut scored: Vec<(f64, String)> = Vec::new();
        for c in self.chips() {
            let best = std::iter::once(&c.name)
                .chain(c.aliases.iter())
                .map(|a| (crate::suggest::similarity(&key, &normalize(a)), a))
                .max_by(|x, y| x.0.total_cmp(&y.0));
            if let Some((score, alias)) = best {
                if score > 0.75 {
                    scored.push((score, alias.clone()));
                }
            }
        }
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        scored.into_iter().take(3).map(|(_, n)| n).collect()
    }
}

fn strip_vendor(key: &str) -> &str {
    for v in ["nvidia", "amd", "intel", "huawei", "google", "geforce"] {
        if let Some(rest) = key.strip_prefix(v) {
            if !rest.is_empty() {
                return strip_vendor(rest);
            }
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat() -> Catalog {
        let mk = |id: &str, name: &str, aliases: &[&str]| Chip {
            id: id.into(),
            name: name.into(),
            aliases: aliases.iter().map(|s| s.to_string()).collect(),
            ..Chip::default()
        };
        Catalog::new(vec![
            mk("nvidia-h100-sxm", "NVIDIA H100 SXM5 80GB", &["H100", "H100 SXM"]),
            mk("nvidia-h100-pcie", "NVIDIA H100 PCIe 80GB", &["H100 PCIe"]),
            mk("nvidia-rtx-4090-d", "NVIDIA GeForce RTX 4090 D", &["RTX 4090 D"]),
        ])
    }

    #[test]
    fn resolves_aliases_ignoring_case_spaces_and_vendor() {
        let c = cat();
        for n in ["h100", "H100 sxm", "NVIDIA H100 SXM", "nvidia-h100-sxm", "RTX4090D", "geforce rtx 4090 d"] {
            assert!(matches!(c.resolve(n), Resolution::Found(_)), "{n}");
        }
        assert!(matches!(c.resolve("h100 p"), Resolution::Found(ch) if ch.id == "nvidia-h100-pcie"));
    }

    #[test]
    fn ambiguous_and_unknown_names() {
        let c = cat();
        assert!(matches!(c.resolve("H1"), Resolution::Ambiguous(v) if v.len() == 2));
        let Resolution::Unknown(s) = c.resolve("H100X") else { panic!() };
        assert_eq!(s.first().map(String::as_str), Some("H100"));
    }
}
