//! Rule packs: the TOML mirror with spans, the checked [`RuleSet`], the condition language,
//! diagnostics and loading (built-in packs embedded at build time, user packs layered on top).

use borsh::{BorshDeserialize, BorshSerialize};
use jiff::civil::Date;
use serde::Serialize;

use crate::chip::{Catalog, Flag, Metric};
use crate::geo::{Countries, Group};

mod check;
pub mod compiled;
pub mod cond;
pub mod diag;
mod lint;
mod load;
// The file format as serde reads it: an implementation detail of loading (the format is
// documented in docs/rule-packs.md and checked by `check`). Some keys (notes, a set's description) are
// there for the file's reader: accepted, never read back.
#[allow(dead_code)]
mod raw;
pub mod words;

pub use diag::{Code, Diagnostic, Severity, Sources};
pub use lint::{Lint, LINTS};
pub use load::{LoadError, Loader, PackSource, BUILTIN_LABEL};

/// A citation: the document and, where there is one, its URL.
#[derive(Debug, Clone, PartialEq, Serialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Citation {
    /// Federal Register document, CFR part, or official page title.
    pub document: String,
    /// URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl std::fmt::Display for Citation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.url {
            Some(u) => write!(f, "{} <{u}>", self.document),
            None => f.write_str(&self.document),
        }
    }
}

/// Where an item was defined.
#[derive(Debug, Clone, PartialEq, Serialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Origin {
    /// File path.
    pub file: String,
    /// One-based line.
    pub line: usize,
    /// Pack name.
    pub pack: String,
}

/// A loaded pack, recorded in outputs so a verdict can be reproduced.
#[derive(Debug, Clone, PartialEq, Serialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PackInfo {
    /// Pack name.
    pub name: String,
    /// Pack version.
    pub version: String,
    /// Where it came from (`builtin` or a path).
    pub location: String,
    /// SHA-256 of its files, in path order (first 16 hex digits).
    pub hash: String,
    /// Description.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
}

impl PackInfo {
    /// Whether it is the pack embedded in the binary (location `builtin`).
    pub fn is_builtin(&self) -> bool {
        self.location == "builtin"
    }
}

/// A regulation or instrument: a Federal Register rule, a CFR part, an is-informed letter.
#[derive(Debug, Clone, PartialEq, Serialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Regime {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Citation.
    pub citation: Citation,
    /// First day in force.
    #[borsh(serialize_with = "crate::rules::compiled::opt_date::write", deserialize_with = "crate::rules::compiled::opt_date::read")]
    pub effective: Option<Date>,
    /// First day no longer in force.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[borsh(serialize_with = "crate::rules::compiled::opt_date::write", deserialize_with = "crate::rules::compiled::opt_date::read")]
    pub until: Option<Date>,
    /// The regime that replaced it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub superseded_by: Option<String>,
    /// Whether it is enforced; rules of an unenforced regime never change a verdict.
    pub enforced: bool,
    /// Why it is not enforced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enforcement_note: Option<String>,
    /// Where it was defined.
    pub origin: Origin,
}

impl Regime {
    /// Whether the regime is in force (published and effective, enforced or not) on a date.
    pub fn in_force(&self, date: Date) -> bool {
        self.effective.is_none_or(|e| date >= e) && self.until.is_none_or(|u| date < u)
    }
}

/// A classification an ECCN rule may assign, with its precedence (declaration order).
#[derive(Debug, Clone, PartialEq, Serialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Eccn {
    /// E.g. `3A090.a`.
    pub id: String,
    /// E.g. `3A090`; exclusion notes apply to a whole family.
    pub family: String,
    /// Title.
    pub title: String,
    /// Plain-words explanation.
    pub explain: String,
    /// Citation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub citation: Option<Citation>,
    /// The kinds of item it classifies (3A090: integrated circuits; 4A090: computers and
    /// assemblies); empty: every kind. Its classification rules are not tried for other kinds.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<crate::chip::Item>,
    /// The ECCN whose license requirements, exceptions and review policies it takes: an `eccn
    /// in [...]` test that names that ECCN holds for this one too (742.6(a)(6) names the `.z`
    /// items with the 4A090 tier they meet). None: its own only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub licensed_as: Option<String>,
}

impl Eccn {
    /// Whether it classifies items of this kind.
    pub fn classifies(&self, item: crate::chip::Item) -> bool {
        self.items.is_empty() || self.items.contains(&item)
    }
}

/// A checked set expression over countries.
#[derive(Debug, Clone, PartialEq, BorshSerialize, BorshDeserialize)]
pub enum Set {
    /// Every country.
    All,
    /// One country.
    Country(String),
    /// A country group, by index into [`RuleSet::groups`].
    Group(usize),
    /// Union.
    Union(Box<Set>, Box<Set>),
    /// Intersection.
    Inter(Box<Set>, Box<Set>),
    /// Difference.
    Diff(Box<Set>, Box<Set>),
}

/// A checked condition.
#[derive(Debug, Clone, PartialEq, BorshSerialize, BorshDeserialize)]
pub enum Cond {
    /// Constant.
    Const(bool),
    /// All of.
    And(Vec<Cond>),
    /// Any of.
    Or(Vec<Cond>),
    /// Not.
    Not(Box<Cond>),
    /// Metric comparison.
    Cmp {
        /// Metric.
        metric: Metric,
        /// Operator.
        op: cond::Op,
        /// Threshold.
        value: f64,
    },
    /// Flag.
    Flag(Flag),
    /// The ECCN is one of these.
    Eccn(Vec<String>),
    /// The chip is one of these catalog ids, or a computer or assembly that contains one.
    Chip(Vec<String>),
    /// The kind of item is one of these.
    Item(Vec<crate::chip::Item>),
    /// A computer or an assembly contains an item classified under one of these ECCNs (in the
    /// same period); unknown when a contained item's classification is undetermined, or when it
    /// is not known what a computer or assembly contains.
    Contains(Vec<String>),
    /// The item is described in one of these other entries of the control list (see
    /// [`crate::chip::Chip::described_in`]).
    DescribedIn(Vec<String>),
    /// The exporter is one of these parties (an is-informed letter binds the exporter it was
    /// sent to), compared as [`same_party`] compares names. Without an exporter given, the
    /// chip's vendor is presumed to be the exporter.
    Exporter(Vec<String>),
    /// The destination is in the set.
    Destination {
        /// The set.
        set: Set,
        /// Its source text.
        text: String,
    },
    /// The end user's headquarters is in the set.
    EndUserHq {
        /// The set.
        set: Set,
        /// Its source text.
        text: String,
    },
    /// The country the item ships from is in the set.
    ShipFrom {
        /// The set.
        set: Set,
        /// Its source text.
        text: String,
    },
    /// The kind of transaction is one of these.
    Transaction(Vec<Transaction>),
    /// The exporter is one of these kinds of exporter; an exporter whose role is not given is
    /// taken to be none of the roles a rule names (the answer says so when it matters).
    ExporterRole(Vec<ExporterRole>),
    /// One of these has attested what it may about the item (see [`Attestation`]).
    AttestedBy(Vec<Attestation>),
    /// A party to the transaction (the end user or the consignee) is on one of these party
    /// lists (indices into [`RuleSet::party_lists`]): true for a match, unknown for a
    /// possible one.
    Party(Vec<usize>),
    /// A party to the transaction is owned, directly or indirectly, by parties on these lists
    /// holding together a share (percent) that `op share` accepts (`owned_by in
    /// ['entity-list'] >= 50`): the affiliates rule. Unknown when the party's owners are not
    /// known or a possible match could make up the share.
    OwnedBy {
        /// The lists (indices into [`RuleSet::party_lists`]).
        lists: Vec<usize>,
        /// `>=` or `>`.
        op: cond::Op,
        /// The share, 0–100.
        share: f64,
    },
}

/// What kind of transaction a shipment is, from where it ships and where it goes, as 15 CFR
/// 734.13-734.16 tell them apart (the jurisdiction is [`RuleSet::jurisdiction`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[derive(strum::VariantArray, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum Transaction {
    /// From the jurisdiction to another country.
    Export,
    /// From one foreign country to another.
    Reexport,
    /// Within one foreign country (a transfer (in-country)).
    Transfer,
    /// Within the jurisdiction: a domestic sale.
    Domestic,
    /// From abroad into the jurisdiction.
    Import,
}

impl Transaction {
    /// Every kind.
    pub const ALL: &'static [Transaction] = <Transaction as strum::VariantArray>::VARIANTS;

    /// The rule-language name.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Looks a kind up by its rule-language name.
    pub fn parse(s: &str) -> Option<Transaction> {
        s.parse().ok()
    }

    /// The kind in words.
    pub fn words(self) -> &'static str {
        match self {
            Transaction::Export => "a shipment out of the jurisdiction",
            Transaction::Reexport => "a shipment from one foreign country to another",
            Transaction::Transfer => "a transfer within one foreign country",
            Transaction::Domestic => "a sale within the jurisdiction, not an export",
            Transaction::Import => "a shipment into the jurisdiction, not an export",
        }
    }

    /// The kind of a shipment to `to` from `from`, or from the jurisdiction `home` when no
    /// ship-from is given; rules of no jurisdiction and no ship-from: an export (a shipment out
    /// of wherever they govern).
    pub fn between(from: Option<&str>, to: &str, home: Option<&str>) -> Transaction {
        match from.or(home) {
            Some(f) => Transaction::of(f, to, home),
            None => Transaction::Export,
        }
    }

    /// The kind of a shipment from `from` to `to` under the rules of `home`.
    pub fn of(from: &str, to: &str, home: Option<&str>) -> Transaction {
        match (Some(from) == home, Some(to) == home) {
            (true, true) => Transaction::Domestic,
            (true, false) => Transaction::Export,
            (false, true) => Transaction::Import,
            (false, false) if from == to => Transaction::Transfer,
            (false, false) => Transaction::Reexport,
        }
    }
}

/// What the exporter is, where a rule binds some exporters only: the foundry due-diligence rule
/// (Note 1 to 3A090.a) binds the "front-end fabricator" and the "OSAT" company that export an
/// IC they made or packaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[derive(strum::VariantArray, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum ExporterRole {
    /// A "front-end fabricator" (a foundry): it made the IC's dies on the wafer. Also read from
    /// `foundry` and `front_end_fabricator`.
    #[strum(to_string = "fabricator", serialize = "foundry", serialize = "front_end_fabricator")]
    Fabricator,
    /// An "Outsourced Semiconductor Assembly and Test" company: it packaged or tested the IC.
    Osat,
    /// Anyone else (the designer, a distributor, a user): no rule for fabricators binds it.
    Other,
}

/// Who has attested what about an IC, where a rule lets an attestation rebut a presumption
/// (Note 1 to 3A090.a, paragraphs a. to c.).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[derive(strum::VariantArray, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum Attestation {
    /// The IC's designer is an "approved IC designer" and attests its TPP and performance density.
    ApprovedDesigner,
    /// The IC's designer is an "authorized IC designer" and attests its TPP and performance density.
    AuthorizedDesigner,
    /// The front-end fabricator packaged the IC (outside the places the rule names) and attests
    /// its "aggregated approximated transistor count".
    Fabricator,
    /// An "approved OSAT" company packaged the IC and attests its transistor count.
    ApprovedOsat,
}

macro_rules! named_values {
    ($t:ty, $what:literal) => {
        impl $t {
            /// Every value.
            pub const ALL: &'static [$t] = <$t as strum::VariantArray>::VARIANTS;

            /// The rule-language name.
            pub fn name(self) -> &'static str {
                self.into()
            }

            /// Looks a value up by its rule-language name (`-` may stand for `_`, and case is
            /// ignored, as a user types it).
            pub fn parse(s: &str) -> Option<$t> {
                let s = s.trim().replace('-', "_").to_ascii_lowercase();
                s.parse().ok()
            }

            #[doc = concat!("The values, for messages about ", $what, ": `a, b, c`.")]
            pub fn names() -> String {
                Self::ALL.iter().map(|v| v.name()).collect::<Vec<_>>().join(", ")
            }
        }
    };
}

named_values!(ExporterRole, "an exporter role");
named_values!(Attestation, "an attestation");

impl Set {
    /// Every country code the expression names literally (groups are not expanded).
    pub fn countries(&self) -> Vec<&str> {
        match self {
            Set::All | Set::Group(_) => Vec::new(),
            Set::Country(c) => vec![c.as_str()],
            Set::Union(a, b) | Set::Inter(a, b) | Set::Diff(a, b) => {
                let mut v = a.countries();
                v.extend(b.countries());
                v
            }
        }
    }
}

impl Cond {
    /// The condition in plain words (see [`words::in_words`]).
    pub fn in_words(&self) -> String {
        words::in_words(self)
    }

    /// The tests the condition is made of: its leaves, through `and`, `or` and `not`.
    pub fn tests(&self) -> Vec<&Cond> {
        fn walk<'a>(c: &'a Cond, out: &mut Vec<&'a Cond>) {
            match c {
                Cond::And(v) | Cond::Or(v) => v.iter().for_each(|c| walk(c, out)),
                Cond::Not(c) => walk(c, out),
                leaf => out.push(leaf),
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }

    /// Whether any test of the condition is one `f` picks, without collecting the tests.
    pub fn any_test(&self, f: &dyn Fn(&Cond) -> bool) -> bool {
        match self {
            Cond::And(v) | Cond::Or(v) => v.iter().any(|c| c.any_test(f)),
            Cond::Not(c) => c.any_test(f),
            leaf => f(leaf),
        }
    }

    /// Whether the condition tests who the exporter is.
    pub fn tests_exporter(&self) -> bool {
        self.tests().iter().any(|t| matches!(t, Cond::Exporter(_)))
    }

    /// Whether the condition tests what the exporter is (its role).
    pub fn tests_role(&self) -> bool {
        self.any_test(&|t| matches!(t, Cond::ExporterRole(_)))
    }

    /// Every party name the condition's exporter tests name.
    pub fn exporters(&self) -> Vec<&str> {
        self.tests()
            .into_iter()
            .flat_map(|t| match t {
                Cond::Exporter(v) => v.iter().map(String::as_str).collect(),
                _ => Vec::new(),
            })
            .collect()
    }

    /// Every country code named literally in the condition's destination, headquarters and
    /// ship-from sets (groups are not expanded).
    pub fn countries(&self) -> Vec<&str> {
        self.tests()
            .into_iter()
            .flat_map(|t| match t {
                Cond::Destination { set, .. } | Cond::EndUserHq { set, .. } | Cond::ShipFrom { set, .. } => set.countries(),
                _ => Vec::new(),
            })
            .collect()
    }
}

/// Whether an `eccn in [...]` test naming `list` holds for `eccn`, which takes the licensing of
/// `licensed_as` ([`Eccn::licensed_as`]): one of the two is listed.
pub fn eccn_listed(eccn: &str, licensed_as: Option<&str>, list: &[String]) -> bool {
    list.iter().any(|x| x == eccn || licensed_as == Some(x.as_str()))
}

impl RuleSet {
    /// The ECCN whose licensing an ECCN takes ([`Eccn::licensed_as`]), if any.
    pub fn licensed_as(&self, eccn: &str) -> Option<&str> {
        self.eccns.iter().find(|e| e.id == eccn).and_then(|e| e.licensed_as.as_deref())
    }

    /// Whether an `eccn in [...]` test naming `list` holds for `eccn`: listed, or the ECCN whose
    /// licensing it takes is.
    pub fn eccn_in(&self, eccn: &str, list: &[String]) -> bool {
        eccn_listed(eccn, self.licensed_as(eccn), list)
    }

    /// The parties the rules' exporter tests name (the addressees of is-informed letters),
    /// each once (by [`party_key`]), as first written, in rule order.
    pub fn exporters(&self) -> Vec<&str> {
        let mut seen = std::collections::BTreeSet::new();
        self.rules.iter().flat_map(|r| r.when.exporters()).filter(|n| seen.insert(party_key(n))).collect()
    }
}

/// A party's name reduced to what tells parties apart: lower-case words of letters and digits,
/// without a trailing legal form (`NVIDIA Corporation`, `nvidia corp.` and `NVIDIA` are one
/// party; `NVIDIA Singapore Pte. Ltd.` is another, a subsidiary that no letter to NVIDIA names).
pub fn party_key(name: &str) -> String {
    const FORMS: [&str; 12] = ["corporation", "corp", "incorporated", "inc", "limited", "ltd", "llc", "co", "company", "plc", "pte", "the"];
    let lower = name.to_lowercase();
    let mut words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    while words.len() > 1 && words.last().is_some_and(|w| FORMS.contains(w)) {
        words.pop();
    }
    words.join(" ")
}

/// Whether two names name the same party (see [`party_key`]).
pub fn same_party(a: &str, b: &str) -> bool {
    party_key(a) == party_key(b)
}

/// What kind of license requirement a rule states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RequirementKind {
    /// By destination.
    Destination,
    /// By the end user's (or its parent's) headquarters.
    Party,
    /// By named item.
    Item,
    /// A comprehensive embargo or sanction: any item.
    Embargo,
    /// The transaction is not one these rules control (a sale inside the country of export is
    /// not an export): when it holds, no requirement applies and the answer says why.
    Outside,
}

/// A license review policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[derive(strum::VariantArray, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum Policy {
    /// Presumption of denial.
    PresumptionOfDenial,
    /// Presumption of approval.
    PresumptionOfApproval,
    /// Case-by-case review.
    CaseByCase,
    /// Policy of denial (embargoes).
    PolicyOfDenial,
}

impl Policy {
    /// Every policy.
    pub const ALL: &'static [Policy] = <Policy as strum::VariantArray>::VARIANTS;

    /// The rule-file spelling.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Looks a policy up by its rule-file spelling.
    pub fn parse(s: &str) -> Option<Policy> {
        s.parse().ok()
    }
}

/// What a rule does.
#[derive(Debug, Clone, PartialEq, Serialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RuleKind {
    /// Assigns an ECCN, or excludes a family.
    Classification {
        /// Assigned ECCN.
        #[serde(skip_serializing_if = "Option::is_none")]
        eccn: Option<String>,
        /// Excluded family.
        #[serde(skip_serializing_if = "Option::is_none")]
        excludes: Option<String>,
    },
    /// Requires a license.
    Requirement {
        /// Kind.
        kind: RequirementKind,
    },
    /// Makes a license exception available.
    Exception {
        /// Exception name (NAC, ACA, HBM).
        name: String,
        /// Requirement ids it relieves.
        relieves: Vec<String>,
        /// Whether prior notification to BIS is needed.
        notification: bool,
        /// Eligibility conditions the data cannot show (end user, reporting, certifications):
        /// when given, the exception is offered as "available if …", never as a clearance.
        conditions: Option<String>,
    },
    /// Sets the license review policy.
    Review {
        /// Policy.
        policy: Policy,
    },
    /// Has some exporters presume an item's classification, whatever its figures say (Note 1
    /// to 3A090.a: a front-end fabricator or an OSAT presumes an advanced logic IC is 3A090.a
    /// and designed or marketed for datacenters unless an attestation rebuts it). Applied after
    /// the item is classified, before its licensing; its condition may test the exporter.
    Presumption {
        /// The ECCN presumed.
        eccn: String,
        /// Whether the item is presumed designed or marketed for datacenters (or not); none:
        /// as the item says.
        #[serde(skip_serializing_if = "Option::is_none")]
        datacenter: Option<bool>,
    },
}

impl RuleKind {
    /// The table of a rule file that defines rules of this kind.
    pub fn table(&self) -> &'static str {
        match self {
            RuleKind::Classification { .. } => "classification",
            RuleKind::Requirement { .. } => "requirement",
            RuleKind::Exception { .. } => "exception",
            RuleKind::Review { .. } => "review",
            RuleKind::Presumption { .. } => "presumption",
        }
    }
}

/// A checked rule.
#[derive(Debug, Clone, PartialEq, Serialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rule {
    /// Id.
    pub id: String,
    /// Index into [`RuleSet::regimes`].
    #[serde(skip)]
    pub regime: usize,
    /// What it does.
    pub kind: RuleKind,
    /// Condition.
    #[serde(skip)]
    pub when: Cond,
    /// Condition source text.
    pub when_text: String,
    /// One-line summary.
    pub summary: String,
    /// Citation (the rule's own, else its regime's).
    pub citation: Citation,
    /// First day in force (the later of the rule's and its regime's).
    #[borsh(serialize_with = "crate::rules::compiled::opt_date::write", deserialize_with = "crate::rules::compiled::opt_date::read")]
    pub effective: Option<Date>,
    /// First day no longer in force (the earlier of the rule's and its regime's).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[borsh(serialize_with = "crate::rules::compiled::opt_date::write", deserialize_with = "crate::rules::compiled::opt_date::read")]
    pub until: Option<Date>,
    /// Free-text note (uncertainties, readings chosen).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// The family it is a version of, when the pack names it (`family = "…"`): the date lints
    /// compare the versions of one family. None: a family is found from the condition, or from
    /// the id after its `/` within a regime's `superseded_by` chain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Where it was defined.
    pub origin: Origin,
}

impl Rule {
    /// Whether the rule is in force on a date.
    pub fn in_force(&self, date: Date) -> bool {
        self.effective.is_none_or(|e| date >= e) && self.until.is_none_or(|u| date < u)
    }
}

/// A checked, consistent rule set: the only input the evaluator accepts.
#[derive(Debug, Clone, Default, BorshSerialize, BorshDeserialize)]
pub struct RuleSet {
    /// Packs loaded, in load order.
    pub packs: Vec<PackInfo>,
    /// Countries.
    pub countries: Countries,
    /// Country groups.
    #[borsh(deserialize_with = "crate::rules::compiled::exact::read")]
    pub groups: Vec<Group>,
    /// ECCNs in precedence order.
    pub eccns: Vec<Eccn>,
    /// Regimes.
    #[borsh(deserialize_with = "crate::rules::compiled::exact::read")]
    pub regimes: Vec<Regime>,
    /// Rules, in definition order.
    #[borsh(deserialize_with = "crate::rules::compiled::exact::read")]
    pub rules: Vec<Rule>,
    /// Chips.
    pub catalog: Catalog,
    /// Every date at which some rule, regime or group membership changes, sorted.
    #[borsh(serialize_with = "crate::rules::compiled::dates::write", deserialize_with = "crate::rules::compiled::dates::read")]
    pub change_dates: Vec<Date>,
    /// The definitions packs replaced (`replaces = true`), each with the rules that rest on it.
    #[borsh(skip)]
    pub replacements: Vec<Replacement>,
    /// The country whose export rules these are (`[pack] jurisdiction`, the last pack's that
    /// names one): the ship-from when none is given, and what tells an export (from it) from a
    /// reexport (from abroad) and an in-country transfer.
    pub jurisdiction: Option<String>,
    /// Party lists (the Entity List…).
    pub party_lists: Vec<crate::parties::PartyList>,
    /// Their entries.
    #[borsh(deserialize_with = "crate::rules::compiled::exact::read")]
    pub parties: Vec<crate::parties::Party>,
    /// Their names, indexed for screening (built when first needed).
    #[borsh(skip)]
    pub(crate) party_index: crate::parties::Index,
}

/// A definition (rule, named set, group, regime, chip, country, ECCN) that a pack replaced
/// with `replaces = true`, or a rule it amended (`amends`) or superseded (`supersedes`). Every
/// answer that rests on one says so.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Replacement {
    /// What was replaced: `rule`, `set`, `group`, `regime`, `chip`, `country`, `eccn`.
    pub kind: &'static str,
    /// Its id.
    pub id: String,
    /// The pack whose definition is in force.
    pub pack: String,
    /// The pack whose definition it replaced.
    pub replaced_pack: String,
    /// How: `replaced`, `amended` (some fields changed) or `superseded` (ended by a later rule).
    pub change: &'static str,
    /// The rules whose condition names it (sets, groups) or that belong to it (regimes).
    #[serde(skip)]
    pub rules: Vec<String>,
    /// For a rule: the dates on which its earlier definition was in force (replaced or
    /// amended) or would have been (the part a superseding rule cut off), from and until. An
    /// answer on those dates rests on the change, even where the rule is no longer in force.
    #[serde(skip)]
    pub was_in_force: Option<(Option<Date>, Option<Date>)>,
}

impl std::fmt::Display for Replacement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} `{}` of pack `{}` {} by pack `{}`", self.kind, self.id, self.replaced_pack, self.change, self.pack)
    }
}

impl RuleSet {
    /// What packs loaded later changed of a definition (`kind` as in [`Replacement::kind`]:
    /// `rule`, `regime`, …): replaced, amended or superseded, in load order.
    pub fn changes(&self, kind: &str, id: &str) -> Vec<&Replacement> {
        self.replacements.iter().filter(|c| c.kind == kind && c.id == id).collect()
    }

    /// The built-in rules embedded in the binary.
    pub fn builtin() -> Result<RuleSet, LoadError> {
        Loader::new().load().map(|(rs, _)| rs)
    }

    /// A group by id.
    pub fn group(&self, id: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.id == id)
    }

    /// A regime by id.
    pub fn regime(&self, id: &str) -> Option<&Regime> {
        self.regimes.iter().find(|r| r.id == id)
    }

    /// A rule by id.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The replaced definitions an answer on `date` rests on: replaced rules in force then, the
    /// replaced sets, groups and regimes those rules use, and the chip and countries asked about.
    pub fn replaced_for(&self, date: Date, chip: &str, countries: &[&str]) -> Vec<&Replacement> {
        if self.replacements.is_empty() {
            return Vec::new();
        }
        let in_force: std::collections::HashSet<&str> = self.rules.iter().filter(|r| r.in_force(date)).map(|r| r.id.as_str()).collect();
        self.replacements
            .iter()
            .filter(|r| match r.kind {
                "rule" => {
                    let was = r.was_in_force.is_some_and(|(from, until)| from.is_none_or(|f| date >= f) && until.is_none_or(|u| date < u));
                    was || (r.change != "superseded" && in_force.contains(&r.id.as_str()))
                }
                "chip" => r.id == chip,
                "country" => countries.contains(&r.id.as_str()),
                // An ECCN's text is shown with every answer that classifies under it.
                "eccn" => true,
                _ => r.rules.iter().any(|id| in_force.contains(&id.as_str())),
            })
            .collect()
    }

    /// Whether a pack replaced a chip or a country: their answers then differ by identity, not
    /// only by what the rules test.
    pub fn replaces_identities(&self) -> bool {
        self.replacements.iter().any(|r| matches!(r.kind, "chip" | "country"))
    }

    /// The regime a rule belongs to.
    pub fn regime_of(&self, rule: &Rule) -> Option<&Regime> {
        self.regimes.get(rule.regime)
    }

    /// The index of the period (between change dates) a date falls in; equal indices mean
    /// every rule and group evaluates the same way on both dates.
    pub fn period_index(&self, date: Date) -> usize {
        self.change_dates.partition_point(|d| *d <= date)
    }

    /// How many periods there are: [`RuleSet::period_index`] is below it for every date.
    pub fn periods(&self) -> usize {
        self.change_dates.len() + 1
    }

    /// Whether a country is in a set on a date. A country the rules treat as another (Hong
    /// Kong as China) is in a set when either code is, and out of a difference when either is.
    pub fn in_set(&self, set: &Set, codes: &[&str], date: Date) -> bool {
        match set {
            Set::All => true,
            Set::Country(c) => codes.contains(&c.as_str()),
            Set::Group(g) => self.groups.get(*g).is_some_and(|g| codes.iter().any(|c| g.contains(c, date))),
            Set::Union(a, b) => self.in_set(a, codes, date) || self.in_set(b, codes, date),
            Set::Inter(a, b) => self.in_set(a, codes, date) && self.in_set(b, codes, date),
            Set::Diff(a, b) => self.in_set(a, codes, date) && !self.in_set(b, codes, date),
        }
    }

    /// A fingerprint of the packs loaded, for reproducibility.
    pub fn version(&self) -> String {
        self.packs.iter().map(|p| format!("{}@{}#{}", p.name, p.version, p.hash)).collect::<Vec<_>>().join("+")
    }
}

#[cfg(test)]
mod tests {
    use super::{party_key, same_party, Transaction};

    #[test]
    fn party_names_compare_without_case_punctuation_or_legal_form() {
        assert_eq!(party_key("NVIDIA Corporation"), "nvidia");
        assert!(same_party("nvidia corp.", "NVIDIA"));
        assert!(same_party("Advanced Micro Devices, Inc.", "advanced micro devices"));
        assert!(!same_party("NVIDIA Singapore Pte. Ltd.", "NVIDIA"));
        // A name that is only a legal form keeps it, rather than matching everything.
        assert_eq!(party_key("Inc."), "inc");
        assert_eq!(party_key(" , "), "");
    }

    #[test]
    fn the_kind_of_transaction_follows_from_where_it_ships_from_and_to() {
        let home = Some("US");
        assert_eq!(Transaction::of("US", "CN", home), Transaction::Export);
        assert_eq!(Transaction::of("SG", "CN", home), Transaction::Reexport);
        assert_eq!(Transaction::of("CN", "CN", home), Transaction::Transfer);
        assert_eq!(Transaction::of("US", "US", home), Transaction::Domestic);
        assert_eq!(Transaction::of("SG", "US", home), Transaction::Import);
        // Rules of no jurisdiction know no exports or imports.
        assert_eq!(Transaction::of("SG", "CN", None), Transaction::Reexport);
        assert_eq!(Transaction::of("CN", "CN", None), Transaction::Transfer);
    }
}
