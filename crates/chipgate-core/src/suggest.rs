//! "Did you mean" suggestions: how alike an unknown name is to a known one, at a bounded cost.
//! Jaro-Winkler takes time proportional to the product of the lengths, so a name of megabytes
//! (a hostile cell, a pasted file) would take seconds per candidate: names longer than any
//! plausible one, or of a length too far from the candidate's to be a typo of it, are not
//! compared at all.

/// The longest name compared, in characters (the longest country alias is under 60).
pub const MAX_LEN: usize = 128;

/// How alike two names are (0 to 1, Jaro-Winkler), or 0 when they are not compared: either is
/// longer than [`MAX_LEN`] characters, or one is more than three times as long as the other
/// (plus three characters), too far apart for any threshold a suggestion uses.
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
    }
}
