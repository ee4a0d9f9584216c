//! The rule set compiled into the binary at build time is the one the built-in packs load to.

use chipgate::rules::compiled;
use chipgate::RuleSet;

#[test]
fn the_compiled_built_in_rules_are_the_packs_checked_now() {
    let compiled = chipgate::compiled_builtin().expect("the compiled rules load");
    let loaded = RuleSet::builtin().expect("the built-in packs load");
    // Every field the evaluator, the views and the audit read is in the encoding; equal bytes
    // are equal rule sets.
    assert_eq!(compiled::encode(&compiled).unwrap(), compiled::encode(&loaded).unwrap());
    assert_eq!(compiled.version(), loaded.version());
    assert_eq!(compiled.packs, loaded.packs);
}
