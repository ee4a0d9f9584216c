//! chipgate: may this chip go to this destination, on this date, and why?
//!
//! This package is the command-line tool. Its library is one name for the crates it is built
//! from, so that tests and examples say `chipgate::…`: the engine ([`chipgate_core`]: rule
//! packs, the checked [`RuleSet`], the catalog, [`evaluate`] and the views across time) and the
//! audit ([`audit`], the `chipgate-audit` crate). A program that embeds chipgate depends on
//! those crates directly, without the command line's dependencies.
//!
//! ```
//! use chipgate::{evaluate, Query, RuleSet, Verdict};
//! use jiff::civil::date;
//!
//! let rules = RuleSet::builtin().expect("built-in rules load");
//! let chip = rules.catalog.by_id("nvidia-h800-sxm").expect("H800 is in the catalog");
//! let ask = |d| evaluate(&rules, &Query { chip, hypothetical: false, destination: "CN", date: d, end_user_hq: None, exporter: None, ship_from: None, exporter_role: None, attested_by: &[], parties: Default::default()});
//! assert_eq!(ask(date(2023, 6, 1)).unwrap().verdict, Verdict::NoLicenseRequired);
//! assert_eq!(ask(date(2024, 1, 15)).unwrap().verdict, Verdict::LicenseRequired);
//! ```

#![forbid(unsafe_code)]

pub use chipgate_audit as audit;
pub use chipgate_core::*;

/// The built-in rule set, checked when this program was built and compiled in (build.rs): what
/// [`RuleSet::builtin`] gives, without parsing the packs' TOML. The command line answers from it
/// when no other pack is loaded.
pub fn compiled_builtin() -> std::io::Result<RuleSet> {
    static BYTES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/builtin.rules"));
    rules::compiled::decode(BYTES)
}
