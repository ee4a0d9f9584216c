//! The answer: a [`Decision`] with its verdict, classification, licensing, the rules that
//! decided it, a trace of every condition evaluated, and margins to thresholds.

use jiff::civil::Date;
use serde::Serialize;

use crate::chip::{Flag, Metric, Metrics};
use crate::rules::{Citation, Policy};

/// The overall answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[derive(strum::VariantArray, strum::IntoStaticStr, strum::EnumString, strum::Display)]
#[strum(serialize_all = "snake_case")]
pub enum Verdict {
    /// No license is required.
    NoLicenseRequired,
    /// A license is required, but a license exception is available.
    LicenseException,
    /// A license is required.
    LicenseRequired,
    /// A comprehensive embargo or sanction applies.
    Embargoed,
    /// Missing data could change the answer.
    Indeterminate,
}

impl Verdict {
    /// Every verdict, in order.
    pub const ALL: &'static [Verdict] = <Verdict as strum::VariantArray>::VARIANTS;

    /// The snake_case name used in outputs (serde's and strum's, which a test holds equal).
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Three-valued truth: a condition over a missing figure is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Truth {
    /// Holds.
    True,
    /// Does not hold.
    False,
    /// Depends on missing data.
    Unknown,
}

/// A rule evaluated, with the tree of its condition: which tests it made, how they combine,
/// and the truth of each part. A licensing rule is evaluated once per classification assumed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RuleTrace {
    /// The rule's id.
    pub rule: String,
    /// The ECCN assumed while evaluating it, for licensing rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assuming_eccn: Option<String>,
    /// The contained item (its catalog id) it was evaluated for, when the item asked about is
    /// a computer or an assembly: the classification of what it contains.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// Whether it held.
    pub result: Truth,
    /// Its condition, evaluated.
    pub when: TraceNode,
}

impl RuleTrace {
    /// The tests of its condition, in the order they were evaluated.
    pub fn tests(&self) -> impl Iterator<Item = &Test> {
        let mut stack = vec![&self.when];
        std::iter::from_fn(move || {
            while let Some(node) = stack.pop() {
                match node {
                    TraceNode::Test(t) => return Some(t),
                    TraceNode::All { of, .. } | TraceNode::Any { of, .. } => stack.extend(of.iter().rev()),
                    TraceNode::Not { of, .. } => stack.push(of),
                    TraceNode::Const { .. } => {}
                }
            }
            None
        })
    }

    /// Its tests as entries of the flat trace.
    fn entries(&self) -> impl Iterator<Item = TraceEntry> + '_ {
        self.tests().map(|t| TraceEntry {
            rule: self.rule.clone(),
            assuming_eccn: self.assuming_eccn.clone(),
            item: self.item.clone(),
            metric: t.metric,
            op: t.op,
            threshold: t.threshold.clone(),
            actual: t.actual.clone(),
            result: t.result,
        })
    }
}

/// The flat trace of rules evaluated: each test with its rule, in evaluation order.
pub(crate) fn flat_trace(evaluated: &[RuleTrace]) -> Vec<TraceEntry> {
    evaluated.iter().flat_map(RuleTrace::entries).collect()
}

/// A condition evaluated: a combination of conditions with its truth (Kleene logic: unknown
/// where missing data leaves it open), or a test.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(no_recursion))]
#[serde(tag = "node", rename_all = "snake_case")]
pub enum TraceNode {
    /// `all`: holds when every one holds.
    All {
        /// Its truth.
        result: Truth,
        /// The conditions combined.
        of: Vec<TraceNode>,
    },
    /// `any`: holds when one holds.
    Any {
        /// Its truth.
        result: Truth,
        /// The conditions combined.
        of: Vec<TraceNode>,
    },
    /// `not`: holds when the condition does not.
    Not {
        /// Its truth.
        result: Truth,
        /// The condition negated.
        of: Box<TraceNode>,
    },
    /// `true` or `false` as written.
    Const {
        /// Its truth.
        result: Truth,
    },
    /// A test of a figure or of the transaction.
    Test(Test),
}

impl TraceNode {
    /// Its truth.
    pub fn result(&self) -> Truth {
        match self {
            TraceNode::All { result, .. } | TraceNode::Any { result, .. } | TraceNode::Not { result, .. } | TraceNode::Const { result } => {
                *result
            }
            TraceNode::Test(t) => t.result,
        }
    }
}

/// A test evaluated: what it compares, the value compared, and whether it held.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Test {
    /// Metric or field.
    pub metric: &'static str,
    /// Operator (`>=`, `in`, `is`).
    pub op: &'static str,
    /// Threshold, list or set.
    pub threshold: Value,
    /// The chip's or query's value; null when missing.
    pub actual: Option<Value>,
    /// The outcome.
    pub result: Truth,
}

/// A value in a trace entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum Value {
    /// A number.
    Num(f64),
    /// A flag.
    Bool(bool),
    /// A name, code or set expression.
    Text(String),
}

/// One condition evaluated.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TraceEntry {
    /// The rule it belongs to.
    pub rule: String,
    /// The ECCN assumed while evaluating it, for licensing rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assuming_eccn: Option<String>,
    /// The contained item (its catalog id) it was evaluated for, when the item asked about is
    /// a computer or an assembly: the classification of what it contains.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// Metric or field.
    pub metric: &'static str,
    /// Operator (`>=`, `in`, `is`).
    pub op: &'static str,
    /// Threshold, list or set.
    pub threshold: Value,
    /// The chip's or query's value; null when missing.
    pub actual: Option<Value>,
    /// The outcome.
    pub result: Truth,
}

/// What a reason is to the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[derive(strum::VariantArray, strum::IntoStaticStr, strum::EnumString, strum::Display)]
#[strum(serialize_all = "snake_case")]
pub enum ReasonKind {
    /// The classification rule that gave the item its ECCN.
    Classification,
    /// The rule that kept the item out of every ECCN tested.
    Exclusion,
    /// The presumption that gave the item its ECCN for this exporter, whatever its figures
    /// (Note 1 to 3A090.a).
    Presumption,
    /// A license requirement that applies.
    Requirement,
    /// A requirement saying that the transaction is not controlled (`kind = "outside"`).
    Outside,
    /// A license exception that is available.
    Exception,
    /// The review policy that applies to a license application.
    Review,
    /// A party of the transaction found on a party list.
    ListedParty,
}

impl ReasonKind {
    /// Every kind, in the order of its declaration.
    pub const ALL: &'static [ReasonKind] = <ReasonKind as strum::VariantArray>::VARIANTS;

    /// Its name, as JSON writes it (`listed_party`).
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A rule that decided the answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reason {
    /// Rule id.
    pub id: String,
    /// What the rule is to the answer.
    pub kind: ReasonKind,
    /// Regime id.
    pub regime: String,
    /// What the rule says.
    pub summary: String,
    /// Citation.
    pub citation: Citation,
}

/// Serializes a type as its sentence ([`std::fmt::Display`]), and describes it so in the API
/// schema: the JSON of `missing` and `assumptions` stays the strings it has always been.
macro_rules! sentence {
    ($ty:ty, $description:literal) => {
        impl Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $ty {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some($description))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $ty {}
    };
}

/// Something not known that leaves part of an answer undetermined, and what would settle it.
/// JSON writes each as its sentence ([`std::fmt::Display`]); lists of them are in the order of
/// those sentences.
#[derive(Debug, Clone)]
pub enum Missing {
    /// A figure of the chip (written as what to supply: `pd (or die_area_mm2)`).
    Metric(Metric),
    /// A yes/no property of the chip.
    Flag(Flag),
    /// What a computer or an assembly contains is not known.
    Parts,
    /// Something not known about an item a computer or an assembly contains.
    OfPart {
        /// The contained item's name.
        part: String,
        /// What is not known about it.
        missing: Box<Missing>,
    },
    /// A party named may be a listed one: a person must confirm whether it is.
    PossibleMatch {
        /// The list's name.
        list: String,
        /// The party's role, in words (`end user`).
        role: String,
        /// The name given.
        name: String,
        /// The listed name it resembles.
        matched: String,
        /// The match score, 0–1.
        score: f64,
    },
    /// A party matches a listed entry whose license requirement, as worded, may leave the item
    /// out (an exception the pack's reading does not settle): a person must read it.
    RequirementWording {
        /// The list's name.
        list: String,
        /// The party's role, in words.
        role: String,
        /// The name given.
        name: String,
        /// The listed name it matched.
        matched: String,
        /// The entry's license requirement, as listed.
        wording: String,
    },
    /// A party's owners, for an ownership test (the affiliates rule), were not given.
    Owners {
        /// The party's role, in words.
        role: String,
        /// The lists the owners are screened against, in words (`Entity List`).
        lists: String,
        /// The test's operator in words (`at least`).
        share_words: &'static str,
        /// The share the test asks for, in percent.
        share: f64,
    },
    /// A listed owner's share was not given.
    OwnerShare {
        /// The party's role, in words.
        role: String,
        /// The owner's name as given.
        owner: String,
        /// The listed name it matched.
        matched: String,
    },
    /// An owner may be a listed party: a person must confirm whether it is.
    PossibleOwnerMatch {
        /// The list's name.
        list: String,
        /// The owned party's role, in words.
        role: String,
        /// The owner's name as given.
        owner: String,
        /// The listed name it resembles.
        matched: String,
        /// The match score, 0–1.
        score: f64,
    },
}

impl Missing {
    /// The list's sentences joined by `sep`.
    pub fn join(list: &[Missing], sep: &str) -> String {
        list.iter().map(ToString::to_string).collect::<Vec<_>>().join(sep)
    }

    /// Its sentence, borrowed for a figure or a flag (the common case, compared often).
    fn text(&self) -> std::borrow::Cow<'static, str> {
        match self {
            Missing::Metric(m) => m.about().hint.into(),
            Missing::Flag(f) => f.name().into(),
            other => other.to_string().into(),
        }
    }
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Missing::Metric(m) => f.write_str(m.about().hint),
            Missing::Flag(flag) => f.write_str(flag.name()),
            Missing::Parts => f.write_str("what the item contains: the integrated circuits (catalog chips) in it and how many"),
            Missing::OfPart { part, missing } => write!(f, "{missing}, of the contained {part}"),
            Missing::PossibleMatch { list, role, name, matched, score } => write!(
                f,
                "possible {list} match: {role} `{name}` ~ `{matched}` (score {score:.2}); confirm whether it is the listed party"
            ),
            Missing::RequirementWording { list, role, name, matched, wording } => write!(
                f,
                "whether the {list} entry `{matched}` that the {role} `{name}` matches requires a license for this item: its license requirement reads \"{wording}\""
            ),
            Missing::Owners { role, lists, share_words, share } => write!(
                f,
                "the {role}'s owners: whether parties on the {lists} own {share_words} {} % of it, directly or indirectly, alone or together; give each owner with its share, or none",
                crate::chip::fmt_num(*share)
            ),
            Missing::OwnerShare { role, owner, matched } => write!(f, "the share of the {role}'s owner `{owner}`, listed as `{matched}`"),
            Missing::PossibleOwnerMatch { list, role, owner, matched, score } => write!(
                f,
                "possible {list} match: {role}'s owner `{owner}` ~ `{matched}` (score {score:.2}); confirm whether it is the listed party"
            ),
        }
    }
}

// Compared as their sentences, so that sets of them keep the order the answers have always had.
impl PartialEq for Missing {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}

impl Eq for Missing {}

impl PartialOrd for Missing {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Missing {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        match (self, other) {
            (Missing::Metric(a), Missing::Metric(b)) if a == b => std::cmp::Ordering::Equal,
            (Missing::Flag(a), Missing::Flag(b)) if a == b => std::cmp::Ordering::Equal,
            _ => self.text().cmp(&other.text()),
        }
    }
}

sentence!(Missing, "What is not known, and what would settle it, in words");

/// What an answer takes as given because the query did not say it (or said it of another
/// party), each with the parameter that would change it ([`Assumption::parameter`]). JSON
/// writes each as its sentence ([`std::fmt::Display`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assumption {
    /// An is-informed letter binds another exporter than the one given, so it does not apply.
    LetterNotBinding {
        /// The letter's rule.
        rule: String,
        /// The exporters it binds, in words (`NVIDIA or AMD`).
        binds: String,
        /// The exporter given.
        exporter: String,
    },
    /// No exporter given: the chip's vendor is presumed to export it.
    ExporterPresumed {
        /// The vendor.
        vendor: String,
    },
    /// No exporter given and the chip has no vendor: no letter applies.
    NoExporter,
    /// No ship-from given: the item ships from the rules' jurisdiction.
    ShippedFromJurisdiction {
        /// The jurisdiction, by name.
        country: String,
        /// Its code.
        code: String,
        /// The kind of transaction that makes (`export`).
        transaction: &'static str,
        /// The kind in words.
        words: &'static str,
    },
    /// No end user or consignee named while party lists are in force: nobody was screened.
    NotScreened {
        /// The lists that would have screened them.
        lists: Vec<String>,
    },
    /// No end-user headquarters given: the destination is taken.
    HeadquartersInDestination {
        /// The destination's code.
        code: String,
    },
    /// No exporter role given, and a presumption would bind an exporter of the role it names
    /// (a front-end fabricator's or an OSAT's): the exporter is taken to be neither.
    RoleNotGiven {
        /// The presumption's rule.
        rule: String,
        /// The ECCN it presumes.
        eccn: String,
    },
    /// The destination is treated as another country by the rules (Hong Kong as China).
    TreatedAs {
        /// The destination, by name.
        country: String,
        /// Its code.
        code: String,
        /// The code the rules read.
        treated_as: String,
    },
}

impl Assumption {
    /// The request parameter (the command line's `--` flag with `-` for `_`) that would change
    /// the assumption; none for one that no parameter changes.
    pub fn parameter(&self) -> Option<&'static str> {
        match self {
            Assumption::LetterNotBinding { .. } | Assumption::ExporterPresumed { .. } | Assumption::NoExporter => Some("exporter"),
            Assumption::ShippedFromJurisdiction { .. } => Some("ship_from"),
            Assumption::NotScreened { .. } => Some("end_user"),
            Assumption::HeadquartersInDestination { .. } => Some("end_user_hq"),
            Assumption::RoleNotGiven { .. } => Some("exporter_role"),
            Assumption::TreatedAs { .. } => None,
        }
    }
}

impl std::fmt::Display for Assumption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Assumption::LetterNotBinding { rule, binds, exporter } => {
                write!(f, "{rule} binds {binds}, not the exporter given ({exporter}): it does not apply")
            }
            Assumption::ExporterPresumed { vendor } => write!(
                f,
                "exporter presumed to be the chip's vendor, {vendor} (a letter binds only the exporter it was sent to); give --exporter to change"
            ),
            Assumption::NoExporter => f.write_str(
                "no exporter given and the chip has no vendor: no is-informed letter applies (each binds only the exporter it was sent to); give --exporter to name one",
            ),
            Assumption::ShippedFromJurisdiction { country, code, transaction, words } => {
                write!(f, "shipped from the rules' jurisdiction, {country} ({code}): {transaction} ({words}); give --ship-from to change")
            }
            Assumption::NotScreened { lists } => write!(
                f,
                "no end user or consignee named: not screened against the {}; give --end-user (and --consignee) to screen them",
                lists.join(" or ")
            ),
            Assumption::HeadquartersInDestination { code } => {
                write!(f, "end user assumed to be headquartered in the destination ({code}); give --end-user-hq to change")
            }
            Assumption::TreatedAs { country, code, treated_as } => write!(f, "{country} ({code}) is treated as {treated_as} by the rules"),
            Assumption::RoleNotGiven { rule, eccn } => write!(
                f,
                "the exporter is taken to be neither the item's front-end fabricator nor an OSAT company; one of those may have to presume it {eccn} ({rule}); give --exporter-role to change"
            ),
        }
    }
}

sentence!(Assumption, "An assumption the answer makes, in words");

/// A license exception available for the shipment.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExceptionRef {
    /// Exception name (NAC, ACA, HBM).
    pub name: String,
    /// The rule that makes it available.
    pub rule: String,
    /// Whether prior notification to BIS is required.
    pub notification: bool,
    /// Citation.
    pub citation: Citation,
}

/// A license exception that may be available: it depends on data not given (the fields in
/// `depends_on`), or on the classification the missing data leave open. It is not a clearance.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PossibleException {
    /// Exception name (NAC, ACA, HBM).
    pub name: String,
    /// The rule that would make it available.
    pub rule: String,
    /// Whether prior notification to BIS would be required.
    pub notification: bool,
    /// What the rule says.
    pub summary: String,
    /// The eligibility conditions the data cannot show, when the rule states them: the
    /// exception is available only if they are met.
    pub conditions: Option<String>,
    /// The missing fields it depends on (empty: it depends on the classification).
    pub depends_on: Vec<Missing>,
    /// Citation.
    pub citation: Citation,
}

/// A party screened against the party lists.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScreeningRef {
    /// `end_user` or `consignee`; for an owner of one, `end_user_owner` or `consignee_owner`.
    pub role: String,
    /// The name as given.
    pub name: String,
    /// For an owner, the share (percent) it holds, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
    /// The listed parties it may be, best first: at most one per list; empty: no match.
    pub hits: Vec<ListedRef>,
}

/// A listed party a screened name may be.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListedRef {
    /// The list's id (`entity-list`).
    pub list: String,
    /// The list's name.
    pub list_name: String,
    /// The entry's id.
    pub entry: String,
    /// The entry's name as listed.
    pub name: String,
    /// The entry's name or alias the screened name is closest to.
    pub matched: String,
    /// How close (0-1; 1: the same name once case, punctuation, legal forms and word order
    /// are set aside).
    pub score: f64,
    /// Whether the score makes it a match (else a possible match, for a person to settle).
    pub decided: bool,
    /// The country of the listed address.
    pub country: Option<String>,
    /// The day the entry took effect.
    pub added: Option<Date>,
    /// The entry's license requirement, as listed.
    pub license_requirement: String,
    /// The entry's review policy.
    pub review_policy: Option<crate::rules::Policy>,
    /// The notice that added it.
    pub citation: Citation,
}

/// The license review policy that applies.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewRef {
    /// Policy.
    pub policy: Policy,
    /// The rule that sets it.
    pub rule: String,
    /// Citation.
    pub citation: Citation,
}

/// A regime in force on the date.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegimeRef {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Effective date.
    pub effective: Option<Date>,
    /// Whether enforced.
    pub enforced: bool,
    /// Citation.
    pub citation: Citation,
}

/// How far the chip is from a threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Margin {
    /// Rule the threshold belongs to.
    pub rule: String,
    /// The contained item (catalog id) whose figure it is, for a computer or an assembly.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// Metric.
    pub metric: String,
    /// Operator.
    pub op: String,
    /// Threshold.
    pub threshold: f64,
    /// Chip's value.
    pub actual: f64,
    /// `actual - threshold`.
    pub margin: f64,
    /// Margin relative to the threshold, in percent.
    pub margin_pct: f64,
}

/// The possible outcome under one candidate classification, when the classification is not
/// determined by the data given.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Candidate {
    /// The ECCN (none: not classified under the rules in force).
    pub eccn: Option<String>,
    /// The verdict under that classification, if determined.
    pub verdict: Verdict,
}

/// The chip as evaluated.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChipRef {
    /// Catalog id or `hypothetical`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Whether it was specified by the user rather than taken as-is from the catalog.
    pub hypothetical: bool,
    /// The kind of item.
    pub item: crate::chip::Item,
}

/// An item that the computer or assembly asked about contains, as classified on the date.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartRef {
    /// Catalog id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// How many of it.
    pub count: u32,
    /// The kind of item.
    pub item: crate::chip::Item,
    /// Its ECCN; none when not classified or undetermined (see `eccn_candidates`).
    pub eccn: Option<String>,
    /// The classifications missing data leaves possible, when more than one (`none`: not
    /// classified).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub eccn_candidates: Vec<String>,
    /// The rules that decide its classification.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    /// TPP, if known.
    pub tpp: Option<f64>,
    /// Performance density, if known.
    pub pd: Option<f64>,
    /// What it contains in turn.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(no_recursion))]
    pub contains: Vec<PartRef>,
}

/// A country as evaluated.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CountryRef {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// The country the rules treat it as.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub treated_as: Option<String>,
}

/// The full answer to a query.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Decision {
    /// The chip.
    pub chip: ChipRef,
    /// The destination.
    pub destination: CountryRef,
    /// End user's headquarters as given (absent: assumed to be the destination).
    pub end_user_hq: Option<CountryRef>,
    /// Where the item ships from: as given, else the rules' jurisdiction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ship_from: Option<CountryRef>,
    /// The kind of transaction, from the ship-from and the destination.
    pub transaction: crate::rules::Transaction,
    /// The exporter as given (absent: the chip's vendor is presumed, where a rule asks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exporter: Option<String>,
    /// What the exporter is, as given (absent: neither a front-end fabricator nor an OSAT).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exporter_role: Option<crate::rules::ExporterRole>,
    /// The attestations given for the item.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attested_by: Vec<crate::rules::Attestation>,
    /// The date the rules were applied for.
    pub date: Date,
    /// TPP, if known.
    pub tpp: Option<f64>,
    /// Performance density, if known.
    pub pd: Option<f64>,
    /// Every metric with its derivation.
    pub metrics: Metrics,
    /// The ECCN; none when not classified or undetermined (see `eccn_candidates`).
    pub eccn: Option<String>,
    /// The classifications the missing data leaves possible, when more than one.
    pub eccn_candidates: Vec<Candidate>,
    /// Whether a license is required (null when indeterminate).
    pub license_required: Option<bool>,
    /// License exceptions available.
    pub exceptions: Vec<ExceptionRef>,
    /// License exceptions that may be available, depending on missing data; never a clearance.
    pub possible_exceptions: Vec<PossibleException>,
    /// Review policy for a license application.
    pub review_policy: Option<ReviewRef>,
    /// A license is required but its review policy is not known: the classifications missing
    /// data leave possible are reviewed differently, or a party's screening (a possible match,
    /// owners not given) could bring in a stricter entry's policy; `missing` says what would
    /// settle it. Written only when true.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub review_undetermined: bool,
    /// The verdict.
    pub verdict: Verdict,
    /// Regimes in force on the date.
    pub regimes: Vec<RegimeRef>,
    /// Rules that decided the answer.
    pub reasons: Vec<Reason>,
    /// Rules of regimes in force but not enforced that would have applied; they never change
    /// the verdict.
    pub not_enforced: Vec<Reason>,
    /// What is not known that makes part of the answer undetermined.
    pub missing: Vec<Missing>,
    /// Assumptions made.
    pub assumptions: Vec<Assumption>,
    /// Every test evaluated, flat: the tests of `evaluated`, each with its rule.
    pub trace: Vec<TraceEntry>,
    /// With the trace: every rule evaluated, in evaluation order (what a computer contains
    /// first), each with the tree of its condition. What the views read.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evaluated: Vec<RuleTrace>,
    /// Distance to each threshold tested.
    pub margins: Vec<Margin>,
    /// Definitions of earlier packs that a pack replaced and this answer rests on: an answer
    /// that is not the built-in rules' says so.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub replaced: Vec<crate::rules::Replacement>,
    /// What the computer or assembly asked about contains, each item as classified on the
    /// date; none for an integrated circuit.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contains: Vec<PartRef>,
    /// The parties screened against the rules' party lists (the end user and consignee named),
    /// with the listed parties each may be; none when no party was named.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub screening: Vec<ScreeningRef>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chip::Flag;
    use crate::rules::{Policy, Transaction};

    /// An enum's names as serde writes them and as it names them itself (strum) are one.
    fn same_names<T: Serialize + Copy>(all: &[T], name: impl Fn(T) -> &'static str, parse: impl Fn(&str) -> Option<T>) {
        for v in all {
            assert_eq!(serde_json::to_value(v).unwrap(), name(*v));
            assert!(parse(name(*v)).is_some(), "{} does not read back", name(*v));
        }
    }

    #[test]
    fn the_small_enums_have_one_name_each() {
        same_names(Verdict::ALL, Verdict::as_str, |s| s.parse().ok());
        same_names(ReasonKind::ALL, ReasonKind::as_str, |s| s.parse().ok());
        same_names(Policy::ALL, Policy::name, Policy::parse);
        same_names(Transaction::ALL, Transaction::name, Transaction::parse);
        same_names(Flag::ALL, Flag::name, Flag::parse);
        assert_eq!(Verdict::ALL.len(), 5);
        assert!(Verdict::ALL.iter().all(|v| v.to_string() == v.as_str()), "Display writes the name");
        assert!(ReasonKind::ALL.iter().all(|k| k.to_string() == k.as_str()), "Display writes the name");
        assert_eq!(Policy::parse("case_by_case"), Some(Policy::CaseByCase));
        assert_eq!(Transaction::parse("Export"), None, "names are exact, as in rule files");
    }
}
