//! Lints: warnings about rule packs that load but look wrong. Every lint has a stable code and
//! a rationale ([`LINTS`]); docs/rule-packs.md documents them. Lints never stop a
//! pack from loading; `chipgate rules validate --deny-warnings` turns them into a failure.

use std::collections::HashMap;
use std::ops::Range;

use toml::Spanned;

use super::check::ParsedFile;
use super::diag::{Code, Diagnostic, Sources};
use super::raw::{RawRegime, RawRule, SStr};
use super::RuleSet;
use crate::geo::Group;

mod conds;
mod data;
mod dates;

/// A lint: its code, what it finds, and why that is worth a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lint {
    /// Stable code, shown as `warning[code]`.
    pub code: Code,
    /// What it finds.
    pub finds: &'static str,
    /// Why it matters.
    pub rationale: &'static str,
}

/// Every lint, in the order docs/rule-packs.md lists them.
pub const LINTS: &[Lint] = &[
    Lint {
        code: Code::DateOverlap,
        finds: "two versions of the same rule family in force on the same day: a regime and the regime that supersedes it, two \
                versions of one license exception (same `name`), two rules of one table with the same condition, or rules of \
                one table whose ids end in the same segment in regimes linked by `superseded_by`",
        rationale: "when a regulation replaces another, the old text stops applying the day the new one starts; an overlap means \
                    both apply at once, and the answer depends on which one the engine happens to prefer",
    },
    Lint {
        code: Code::DateGap,
        finds: "versions of the same rule family (as for `date-overlap`) that leave days on which none of them is in force",
        rationale: "a successor that takes effect after its predecessor ends leaves a window in which the control silently \
                    disappears; real amendments take effect the day the old text ends",
    },
    Lint {
        code: Code::NeverHolds,
        finds: "a rule whose condition can never be true (`false`, contradictory bounds on one metric such as \
                `tpp >= 4800 and tpp < 1600`, a negative bound on a metric that is never negative, a flag and its negation, \
                an empty list), or whose dates leave it never in force",
        rationale: "such a rule never changes a verdict, which is almost always a typo in a threshold, an operator or a date",
    },
    Lint {
        code: Code::ShadowedRule,
        finds: "a rule that repeats an earlier rule (same table, same condition, same outcome, in force at the same time), or a \
                review rule that can never decide because a rule tried before it (newer, or as new and defined earlier) is in \
                force whenever it is and holds whenever it holds",
        rationale: "a shadowed rule is dead text: the reader believes it decides something, and the engine never uses it",
    },
    Lint {
        code: Code::ReviewTie,
        finds: "two review rules in force on a common day that take effect on the same day, give different policies and may \
                both hold (their conditions are not shown to exclude each other)",
        rationale: "review rules are tried newest `effective` first; between two of the same day only their order in the files \
                    decides the policy, which a reader cannot see in either rule",
    },
    Lint {
        code: Code::EccnPrecedence,
        finds: "two ECCNs declared in different files (or packs) whose classification rules may both hold for one item on a \
                common day",
        rationale: "the ECCN declared first wins, and across files that order is the order in which files and packs are read, \
                    which neither declaration shows; within one file the order is there to read",
    },
    Lint {
        code: Code::D5WithoutMacau,
        finds: "a set expression (in a rule's condition or a `[[set]]`) that names a country group without covering a country \
                the group's `named_with` lists (built in: `D:5` with Macau, `MO`), directly, through a group or named set, or \
                with `*`",
        rationale: "the advanced-computing rules always say \"Macau or a destination in Country Group D:5\"; Macau is not in D:5, \
                    so naming D:5 alone silently leaves Macau out (use the set `AC:D5MO` or write `D:5 | MO`)",
    },
    Lint {
        code: Code::FigureWithoutSource,
        finds: "a chip figure (a `[[chip.throughput]]` entry or a `[chip.tpp]`-style figure table) without a `source`",
        rationale: "a verdict is only as good as the figures behind it; a figure nobody can trace cannot be checked or updated",
    },
    Lint {
        code: Code::SparseThroughput,
        finds: "a `[[chip.throughput]]` entry marked `sparse = true`",
        rationale: "TPP is defined on dense throughput; 2:4-sparsity figures are twice the dense ones and would double TPP, so \
                    chipgate leaves them out (give the dense figure instead)",
    },
    Lint {
        code: Code::NonIsoCountryCode,
        finds: "a `[[country]]` code that is well formed but is not an ISO 3166-1 alpha-2 code known to chipgate (the built-in \
                country table), e.g. `UK` for the United Kingdom (`GB`) or a user-assigned code such as `XX`",
        rationale: "country codes are how shipments, end users and rules meet; a private code will never match the `GB` in a \
                    shipment file, and rules written against it silently miss",
    },
    Lint {
        code: Code::DuplicateMember,
        finds: "a country listed twice in a group: twice in `members`, in `members` and again in a `[[group.change]]`, or in two \
                changes whose dates overlap",
        rationale: "a repeated member is either a copy-paste slip or a dated change that was meant to replace an undated entry; \
                    in the second case the dates are silently ignored",
    },
    Lint {
        code: Code::ReplacesDefinition,
        finds: "a definition (rule, named set, group, regime, chip, country, ECCN) with `replaces = true` that replaces one of \
                another pack, the built-in pack included, or a rule that `amends` or `supersedes` a rule of another pack",
        rationale: "a replaced rule or set can turn a license requirement into \"no license required\" without a trace in the \
                    answer; the warning says which pack changed what (every answer that rests on it names it too), and a pack \
                    that means it acknowledges it with `allow = [\"replaces-definition\"]` in its `[pack]` header",
    },
    Lint {
        code: Code::MissingCitation,
        finds: "a `[[regime]]` without a `citation`",
        rationale: "every verdict cites the rules that decided it; a regime without a citation gives the reader nothing to check \
                    the answer against",
    },
    Lint {
        code: Code::MissingEffective,
        finds: "a `[[regime]]` without an `effective` date",
        rationale: "without an effective date the regime applies to every date in the past, so historic checks, `timeline` and \
                    `diff` give wrong answers",
    },
];

/// Runs every lint over a checked rule set.
pub(crate) fn lint<'a>(rs: &'a RuleSet, sources: &'a Sources, files: &'a [ParsedFile]) -> Vec<Diagnostic> {
    let ix = Index::new(rs, sources, files);
    let mut out = Vec::new();
    dates::lint(rs, &ix, &mut out);
    conds::lint(rs, &ix, &mut out);
    data::lint(rs, &ix, &mut out);
    out
}

/// Where each item of the checked rule set was defined in the parsed files (the last
/// definition of an id wins, as layering does), and the checked groups and regimes by id (the
/// first of an id, as a search finds it), so that no lint searches them once per rule.
pub(crate) struct Index<'a> {
    sources: &'a Sources,
    files: &'a [ParsedFile],
    rules: HashMap<&'a str, (usize, &'a RawRule)>,
    regimes: HashMap<&'a str, (usize, &'a RawRegime)>,
    sets: HashMap<&'a str, (usize, &'a SStr)>,
    /// Where each ECCN was declared: its file and the span of its id.
    eccns: HashMap<&'a str, (usize, std::ops::Range<usize>)>,
    groups: HashMap<&'a str, &'a Group>,
    /// The groups always named with a country (`named_with`), in definition order.
    named_with: Vec<&'a Group>,
    /// The position of each regime of the rule set.
    regime_at: HashMap<&'a str, usize>,
}

impl<'a> Index<'a> {
    fn new(rs: &'a RuleSet, sources: &'a Sources, files: &'a [ParsedFile]) -> Index<'a> {
        let mut ix = Index {
            sources,
            files,
            rules: HashMap::new(),
            regimes: HashMap::new(),
            sets: HashMap::new(),
            eccns: HashMap::new(),
            groups: HashMap::new(),
            named_with: rs.groups.iter().filter(|g| !g.named_with.is_empty()).collect(),
            regime_at: HashMap::new(),
        };
        for g in &rs.groups {
            ix.groups.entry(g.id.as_str()).or_insert(g);
        }
        for (i, g) in rs.regimes.iter().enumerate() {
            ix.regime_at.entry(g.id.as_str()).or_insert(i);
        }
        for f in files {
            let raw = &f.raw;
            for r in raw.classification.iter().chain(&raw.requirement).chain(&raw.exception).chain(&raw.review) {
                // An amendment stands for the rule it amends: it is the latest word on it.
                if let Some(id) = r.get_ref().id.as_ref().or(r.get_ref().amends.as_ref()) {
                    ix.rules.insert(id.get_ref(), (f.file, r.get_ref()));
                }
            }
            for g in &raw.regime {
                ix.regimes.insert(g.get_ref().id.get_ref(), (f.file, g.get_ref()));
            }
            for s in &raw.set {
                ix.sets.insert(s.get_ref().id.get_ref(), (f.file, &s.get_ref().expr));
            }
            for e in &raw.eccn {
                ix.eccns.insert(e.get_ref().id.get_ref(), (f.file, e.get_ref().id.span()));
            }
        }
        ix
    }

    /// `file:line:col` of a span start.
    fn location(&self, file: usize, span: &Range<usize>) -> String {
        self.sources.location(file, span.start)
    }

    /// The span of a string's content, given a byte range inside it.
    fn inner(&self, file: usize, s: &Spanned<String>, range: &Range<usize>) -> Range<usize> {
        let base = super::check::inner_offset(self.sources, file, s);
        base + range.start..base + range.end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_kebab_case() {
        let mut seen = std::collections::HashSet::new();
        for l in LINTS {
            assert!(seen.insert(l.code), "duplicate lint code {}", l.code);
        }
        let mut names = std::collections::HashSet::new();
        for c in Code::ALL {
            let name = c.as_str();
            assert!(names.insert(name), "duplicate code name {name}");
            assert!(name.chars().all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit()), "{name}");
            assert_eq!(Code::parse(name), Some(*c));
            assert_eq!(serde_json::to_value(c).unwrap(), name);
        }
    }
}
