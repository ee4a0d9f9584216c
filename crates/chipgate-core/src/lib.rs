//! chipgate's engine: may this chip go to this destination, on this date, and why?
//!
//! A rules engine for US export controls on advanced computing chips. Regulatory facts live in
//! TOML rule packs (`rules/`, embedded in the binary); this crate loads and checks them into a
//! [`RuleSet`], and [`evaluate`] answers a [`Query`] with a [`Decision`] that explains itself.
//!
//! ```
//! use chipgate_core::{evaluate, Query, RuleSet, Verdict};
//! use jiff::civil::date;
//!
//! let rules = RuleSet::builtin().expect("built-in rules load");
//! let chip = rules.catalog.by_id("nvidia-h800-sxm").expect("H800 is in the catalog");
//! let ask = |d| evaluate(&rules, &Query { chip, hypothetical: false, destination: "CN", date: d, end_user_hq: None, exporter: None, ship_from: None, exporter_role: None, attested_by: &[], parties: Default::default()});
//! assert_eq!(ask(date(2023, 6, 1)).unwrap().verdict, Verdict::NoLicenseRequired);
//! assert_eq!(ask(date(2024, 1, 15)).unwrap().verdict, Verdict::LicenseRequired);
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod chip;
pub mod date;
pub mod eval;
pub mod geo;
pub mod history;
pub mod parties;
pub mod request;
pub mod rules;
pub mod suggest;
pub mod text;

pub use chip::Chip;
pub use eval::{evaluate, Classified, Decision, EvalError, Period, Query, Verdict};
pub use rules::{Loader, PackSource, RuleSet};

#[cfg(test)]
mod tests {
    /// A service shares one loaded rule set between its threads, and sends answers across them.
    #[test]
    fn a_rule_set_and_its_answers_can_be_shared_between_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<crate::RuleSet>();
        shareable::<crate::Decision>();
        shareable::<crate::rules::Loader>();
        shareable::<crate::history::Timeline>();
    }
}
