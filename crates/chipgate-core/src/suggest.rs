//! "Did you mean" suggestions: how alike an unknown name is to a known one, at a bounded cost.
//! Jaro-Winkler takes time proportional to the product of the lengths, so a name of megabytes
//! (a hostile cell, a pasted file) would take seconds per candidate: names longer than any
//! plausible one, or of a length too far from the candidate's to be a typo of it, are not
//! compared at all.
//!
//! Similarity alone suggests noise (`Narnia` is 0.85 like `Armenia`), so a name is suggested only
//! when it is also a plausible typo of the one typed: within an edit distance of a third of the
//! longer name (one edit at least; a swap of neighbours counts as one), or one starts with the
//! other (`Gaudi` for `Gaudi 3`, `tdp_w` for `tdp_watts`).

/// The longest name compared, in characters (the longest country alias is under 60).
pub const MAX_LEN: usize = 128;

/// How alike two names are (0 to 1, Jaro-Winkler), or 0 when they are not compared: either is
/// longer than [`MAX_LEN`] characters, or one is more than three times as long as the other
/// (plus three characters), too far apart for any threshold a suggestion uses, or neither is a
/// plausible typo of the other (see the module's note).
pub fn similarity(a: &str, b: &str) -> f64 {
    // Bytes bound characters from above, and a character is at most four bytes.
    if a.len() > 4 * MAX_LEN || b.len() > 4 * MAX_LEN {
        return 0.0;
    }
    let (la, lb) = (a.chars().count(), b.chars().count());
    let (short, long) = (la.min(lb), la.max(lb));
    if long > MAX_LEN || long > 3 * short + 3 {
        return 0.0;
    }
    let typo = a.starts_with(b) || b.starts_with(a) || strsim::osa_distance(a, b) <= (long / 3).max(1);
    if !typo {
        return 0.0;
    }
    strsim::jaro_winkler(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_plausible_names_only() {
        assert!(similarity("H100X", "H100") > 0.9);
        assert!(similarity("Chna", "China") > 0.8);
        assert_eq!(similarity(&"C".repeat(MAX_LEN + 1), "China"), 0.0);
        assert_eq!(similarity("Chinaaaaaaaaaaaaaaaaaaa", "CN"), 0.0);
        // Alike but no typo of it: three edits in seven letters.
        assert_eq!(similarity("narnia", "armenia"), 0.0);
        assert_eq!(similarity("chna", "chad"), 0.0);
        assert!(similarity("untied states", "united states") > 0.9);
        assert!(similarity("gaudi", "gaudi 3") > 0.9);
    }
}
