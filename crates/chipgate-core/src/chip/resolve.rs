//! The chip catalog and name resolution: case-insensitive, ignoring spaces, hyphens and
//! underscores, with aliases, and suggestions for unknown names.

use borsh::{BorshDeserialize, BorshSerialize};
use std::collections::HashMap;

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
    chips: Vec<Chip>,
    index: HashMap<String, usize>,
}

impl Catalog {
    /// Builds a catalog; a later chip's keys never shadow an earlier one (the checker reports
    /// clashes before this point).
    pub fn new(chips: Vec<Chip>) -> Catalog {
        let mut index = HashMap::new();
        for (i, c) in chips.iter().enumerate() {
            for key in std::iter::once(&c.id).chain(std::iter::once(&c.name)).chain(c.aliases.iter()) {
                index.entry(normalize(key)).or_insert(i);
            }
        }
        Catalog { chips, index }
    }

    /// Every chip, in catalog order.
    pub fn chips(&self) -> &[Chip] {
        &self.chips
    }

    /// A chip by exact id.
    pub fn by_id(&self, id: &str) -> Option<&Chip> {
        self.chips.iter().find(|c| c.id == id)
    }

    /// Sets what the chip at `index` contains (the checker, once every chip is read).
    pub(crate) fn set_parts(&mut self, index: usize, parts: Vec<super::Part>) {
        if let Some(c) = self.chips.get_mut(index) {
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
        if let Some(c) = self.index.get(&key).and_then(|&i| self.chips.get(i)) {
            return Resolution::Found(c);
        }
        let key_no_vendor = strip_vendor(&key);
        if let Some(c) = self.index.get(key_no_vendor).and_then(|&i| self.chips.get(i)) {
            return Resolution::Found(c);
        }
        let mut prefixed: Vec<&Chip> = Vec::new();
        for (k, &i) in &self.index {
            if key_no_vendor.len() >= 2 && (k.starts_with(key_no_vendor) || strip_vendor(k).starts_with(key_no_vendor)) {
                if let Some(c) = self.chips.get(i) {
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
        for c in &self.chips {
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
