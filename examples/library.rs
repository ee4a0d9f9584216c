//! Using chipgate as a library: load the built-in rules, look a chip up, and evaluate it for a
//! destination on several dates. Run with `cargo run --example library`.

use chipgate::chip::Resolution;
use chipgate::{evaluate, Query, RuleSet};
use jiff::civil::date;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rules = RuleSet::builtin()?;
    let Resolution::Found(chip) = rules.catalog.resolve("H800") else {
        return Err("H800 is not in the catalog".into());
    };
    for day in [date(2023, 6, 1), date(2024, 1, 15), date(2026, 3, 1)] {
        let q = Query {
            chip,
            hypothetical: false,
            destination: "CN",
            date: day,
            end_user_hq: None,
            exporter: None,
            ship_from: None,
            exporter_role: None,
            attested_by: &[],
            parties: Default::default(),
        };
        let d = evaluate(&rules, &q)?;
        let review = d.review_policy.as_ref().map(|r| r.policy.name()).unwrap_or("-");
        let why: Vec<&str> = d.reasons.iter().map(|r| r.id.as_str()).collect();
        println!("{day}: {} (ECCN {}, review {review}) because {}", d.verdict, d.eccn.as_deref().unwrap_or("none"), why.join(", "));
    }
    Ok(())
}
