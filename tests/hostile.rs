//! Hostile and oversized input: each case took memory, stack or time without bound before.

use chipgate::RuleSet;

/// An unknown destination of megabytes took about 9 s per MB to find "did you mean"
/// candidates: names of implausible length are not compared.
#[test]
fn suggestions_for_a_huge_unknown_name_are_not_computed() {
    let rs = RuleSet::builtin().unwrap();
    let huge = "Chinaa".repeat(4 << 20);
    assert!(rs.countries.suggest(&huge).is_empty());
    assert!(rs.catalog.suggest(&huge).is_empty());
    assert!(!rs.countries.suggest("Chnia").is_empty());
}
