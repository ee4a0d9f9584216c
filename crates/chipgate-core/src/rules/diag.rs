//! Diagnostics for rule files: what is wrong, where (file, line, column, span), and a hint.
//! Rendering uses codespan-reporting: the source line with carets under the value.

use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label, Severity as CsSeverity};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term;
use codespan_reporting::term::termcolor::{Ansi, NoColor, WriteColor};
use serde::Serialize;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A lint: the pack loads, but something looks wrong.
    Warning,
    /// The pack cannot be used.
    Error,
}

/// A source file that diagnostics point into.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Display path.
    pub name: String,
    /// Full text.
    pub text: String,
    /// Where each line starts, made on first use: locating an offset is a binary search, not
    /// a count of the lines before it (once per rule, that made loading quadratic).
    lines: std::sync::OnceLock<Vec<usize>>,
}

impl SourceFile {
    /// One-based line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let lines = self.lines.get_or_init(|| {
            std::iter::once(0).chain(self.text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1)).collect()
        });
        let line = lines.partition_point(|start| *start <= offset);
        let start = lines.get(line.saturating_sub(1)).copied().unwrap_or(0);
        let col = self.text.get(start..offset).map(|l| l.chars().count()).unwrap_or(0) + 1;
        (line.max(1), col)
    }
}

/// Every source file read for a rule set.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    /// Adds a file and returns its id.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> usize {
        self.files.push(SourceFile { name: name.into(), text: text.into(), lines: std::sync::OnceLock::new() });
        self.files.len() - 1
    }

    /// A file by id.
    pub fn get(&self, id: usize) -> Option<&SourceFile> {
        self.files.get(id)
    }

    /// `file:line:col` of a position.
    pub fn location(&self, file: usize, offset: usize) -> String {
        match self.get(file) {
            Some(f) => {
                let (l, c) = f.line_col(offset);
                format!("{}:{l}:{c}", f.name)
            }
            None => "<unknown>".into(),
        }
    }
}

/// A secondary location, such as the first definition of a duplicated id.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Related {
    /// File id.
    #[serde(skip)]
    pub file: usize,
    /// Byte range.
    #[serde(skip)]
    pub span: Range<usize>,
    /// What is there.
    pub message: String,
}

/// Declares [`Code`]: each variant with its name, which `warning[NAME]` shows, JSON carries and
/// a pack's `allow` takes.
macro_rules! codes {
    ($($variant:ident = $name:literal: $about:literal,)*) => {
        /// A diagnostic's code: stable, shown as `error[NAME]` or `warning[NAME]`; the lints'
        /// ([`super::LINTS`]) are the codes a pack can `allow`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $(
                #[doc = concat!("`", $name, "`: ", $about, ".")]
                $variant,
            )*
        }

        impl Code {
            /// Every code, in the order of their names.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// Its name (`unknown-reference`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $name,)*
                }
            }

            /// What it is about, in a phrase (docs/rule-packs.md lists them).
            pub fn about(self) -> &'static str {
                match self {
                    $(Code::$variant => $about,)*
                }
            }
        }
    };
}

codes! {
    AmbiguousChip = "ambiguous-chip": "a chip name in a rule matches several catalog chips",
    BadCountryCode = "bad-country-code": "a `[[country]]` code that is not two capital letters (ISO 3166-1 alpha-2)",
    BadDate = "bad-date": "a value that is not a calendar date (`2023-11-17`) where a date is expected",
    BadGroupId = "bad-group-id": "a group or named-set id that a condition cannot name (a `-`, a space)",
    BadNumber = "bad-number": "a figure or threshold that is negative, not finite or out of range",
    BadPart = "bad-part": "a `contains` entry that cannot hold: in an integrated circuit, a count below 1, an item that contains itself or nests too deep",
    BadReference = "bad-reference": "a reference that cannot hold, such as a regime that supersedes itself",
    BadScore = "bad-score": "a screening score outside 0–1, or a `possible` score above the `match` score",
    BadSemver = "bad-semver": "a pack version or `requires` that is not a semantic version (requirement)",
    BadShare = "bad-share": "an `owned_by` test whose operator is not `>=` or `>`, or whose share is not 0–100",
    ChangesOtherKind = "changes-other-kind": "`amends` or `supersedes` names a rule of another table",
    ChangesOwnRule = "changes-own-rule": "`amends` or `supersedes` names a rule of the same pack",
    ClassificationNotItem = "classification-not-item": "a classification rule that tests the transaction (destination, parties, exporter) rather than the item",
    D5WithoutMacau = "d5-without-macau": "a set that names D:5 without Macau (a lint)",
    DateGap = "date-gap": "days between versions of one rule family (a lint)",
    DateOverlap = "date-overlap": "versions of one rule family in force on one day (a lint)",
    DuplicateAlias = "duplicate-alias": "an alias that already names another chip",
    DuplicateId = "duplicate-id": "an id defined twice without `replaces = true`",
    DuplicateMember = "duplicate-member": "a country listed twice in a group (a lint)",
    DuplicatePack = "duplicate-pack": "the same pack loaded twice",
    DuplicatePackHeader = "duplicate-pack-header": "a pack with more than one `[pack]` header",
    EccnPrecedence = "eccn-precedence": "ECCNs of different files that may both hold (a lint)",
    EmptyCitation = "empty-citation": "a citation whose `document` is empty",
    EmptyParty = "empty-party": "a party-list entry or name that is empty or only punctuation",
    EmptyRange = "empty-range": "dates that end before they start (a regime's `until`, an entry's `removed`)",
    EngineTooOld = "engine-too-old": "a pack whose `requires` this chipgate does not meet",
    FigureWithoutSource = "figure-without-source": "a chip figure without a `source` (a lint)",
    FormulaLikeId = "formula-like-id": "an id or name that starts like a spreadsheet formula (`=`, `+`, `-`, `@`)",
    Internal = "internal": "a problem in chipgate itself rather than in the pack",
    JurisdictionConflict = "jurisdiction-conflict": "packs of two jurisdictions loaded together",
    LicensedAsChain = "licensed-as-chain": "a `licensed_as` that names itself or an ECCN that takes another's licensing",
    MisplacedKey = "misplaced-key": "a key that does not go with the others given (`supersedes` with `replaces`, `id` with `amends`)",
    MissingCitation = "missing-citation": "a regime without a citation (a lint)",
    MissingEffective = "missing-effective": "a regime without an effective date (a lint)",
    MissingExtends = "missing-extends": "a pack that `extends` a pack that is not loaded",
    MissingKey = "missing-key": "a required key that is absent (a rule's `id`, `regime` or `when`)",
    MissingPackHeader = "missing-pack-header": "a pack directory or file without a `[pack]` header",
    MissingShare = "missing-share": "an ownership test without its share (`owned_by in [...] >= 50`)",
    MixedSetOperators = "mixed-set-operators": "`|`, `&` and `-` mixed without parentheses (a warning; the pack loads)",
    NeverHolds = "never-holds": "a rule that can never hold (a lint)",
    NonIsoCountryCode = "non-iso-country-code": "a country code that is not ISO 3166-1 (a lint)",
    NothingToAmend = "nothing-to-amend": "`amends` names a rule no earlier pack defines",
    NothingToReplace = "nothing-to-replace": "`replaces = true` on a definition no earlier pack has",
    NothingToSupersede = "nothing-to-supersede": "`supersedes` names a rule no earlier pack defines",
    ReplacesDefinition = "replaces-definition": "a definition that replaces or changes another pack's (a lint)",
    ReviewTie = "review-tie": "review rules of one day that only file order separates (a lint)",
    SetCycle = "set-cycle": "named sets that refer to each other in a cycle",
    SetTooLarge = "set-too-large": "a named set whose expansion is over the limit",
    ShadowedRule = "shadowed-rule": "a rule that an earlier one always decides before it (a lint)",
    SparseThroughput = "sparse-throughput": "a throughput marked sparse, left out of TPP (a lint)",
    SupersedesLaterRule = "supersedes-later-rule": "a rule that supersedes one taking effect on or after its own date",
    Syntax = "syntax": "a condition or set expression that does not parse",
    Toml = "toml": "a file that is not valid TOML, or a key or value of the wrong type",
    UnexpectedShare = "unexpected-share": "a share given to a list test that takes none",
    UnknownChip = "unknown-chip": "a chip name in a rule that the catalog does not have",
    UnknownCountry = "unknown-country": "a country code that no `[[country]]` defines",
    UnknownEccn = "unknown-eccn": "an ECCN, or ECCN family, that no `[[eccn]]` declares",
    UnknownField = "unknown-field": "a name in a condition that is no metric, flag, list or country field, or used the wrong way",
    UnknownItem = "unknown-item": "an item kind (`item`, `items`, an `item` test) that chipgate does not know",
    UnknownKind = "unknown-kind": "a requirement `kind` that chipgate does not know",
    UnknownLint = "unknown-lint": "`allow` names no lint",
    UnknownMetric = "unknown-metric": "a comparison with a name that is no metric",
    UnknownPartyList = "unknown-party-list": "a party test naming no `[[party_list]]`",
    UnknownPolicy = "unknown-policy": "a review policy that chipgate does not know",
    UnknownPrecision = "unknown-precision": "a throughput precision that chipgate does not know",
    UnknownReference = "unknown-reference": "a reference to a requirement, exception, country, group or set that does not exist",
    UnknownRegime = "unknown-regime": "a rule or `superseded_by` naming no regime",
    UnknownSource = "unknown-source": "a figure's `source` naming no key of the chip's `[chip.sources]` (and no document)",
    UnknownTransaction = "unknown-transaction": "a transaction test with a kind that chipgate does not know",
    UnknownValue = "unknown-value": "an `exporter_role` or `attested_by` test with a value that chipgate does not know",
    Unreadable = "unreadable": "a file that cannot be read (not a regular file, over the size limit, not UTF-8)",
}

impl Code {
    /// Looks a code up by name.
    pub fn parse(name: &str) -> Option<Code> {
        Self::ALL.iter().copied().find(|c| c.as_str() == name)
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Code {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(Self::ALL.iter().map(|c| c.as_str())))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Code {}

/// A problem found in a rule file.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Lint or error code (e.g. `unknown-reference`).
    pub code: Code,
    /// One-line message: lowercase, user's value in backticks, no trailing period.
    pub message: String,
    /// File id.
    #[serde(skip)]
    pub file: usize,
    /// Byte range of the value in the file.
    #[serde(skip)]
    pub span: Range<usize>,
    /// Advice, where some helps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Other places involved.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
}

impl Diagnostic {
    /// An error.
    pub fn error(code: Code, file: usize, span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Error, code, message: message.into(), file, span, help: None, related: Vec::new() }
    }

    /// A warning.
    pub fn warning(code: Code, file: usize, span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(code, file, span, message) }
    }

    /// Adds advice.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Adds advice when there is some.
    pub fn with_help_opt(mut self, help: Option<String>) -> Diagnostic {
        self.help = help;
        self
    }

    /// Points at another place.
    pub fn with_related(mut self, file: usize, span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        self.related.push(Related { file, span, message: message.into() });
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Renders diagnostics as text: `error[code]: message`, `┌─ file:line:col`, the source line
/// and carets, then the help.
pub fn render(sources: &Sources, diags: &[Diagnostic]) -> String {
    render_styled(sources, diags, false)
}

/// [`render`], in the colours of a terminal (ANSI escapes) when `color`.
pub fn render_styled(sources: &Sources, diags: &[Diagnostic], color: bool) -> String {
    let mut files = SimpleFiles::new();
    let mut ids = Vec::new();
    let mut i = 0;
    while let Some(f) = sources.get(i) {
        ids.push(files.add(f.name.clone(), f.text.clone()));
        i += 1;
    }
    let mut buf = Vec::new();
    let (mut ansi, mut plain);
    let out: &mut dyn WriteColor = if color {
        ansi = Ansi::new(&mut buf);
        &mut ansi
    } else {
        plain = NoColor::new(&mut buf);
        &mut plain
    };
    let config = term::Config::default();
    for d in diags {
        let Some(&fid) = ids.get(d.file) else { continue };
        let sev = if d.is_error() { CsSeverity::Error } else { CsSeverity::Warning };
        let mut labels = vec![Label::primary(fid, d.span.clone())];
        for r in &d.related {
            if let Some(&rid) = ids.get(r.file) {
                labels.push(Label::secondary(rid, r.span.clone()).with_message(r.message.clone()));
            }
        }
        let mut cs = CsDiagnostic::new(sev).with_code(d.code).with_message(d.message.clone()).with_labels(labels);
        if let Some(h) = &d.help {
            cs = cs.with_notes(vec![format!("help: {h}")]);
        }
        if term::emit(out, &config, &files, &cs).is_err() {
            // A span codespan cannot show (past the end, inside a character): plain text instead.
            let sev = if d.is_error() { "error" } else { "warning" };
            let at = sources.location(d.file, d.span.start.min(sources.get(d.file).map_or(0, |f| f.text.len())));
            let help = d.help.as_ref().map(|h| format!("  = help: {h}\n")).unwrap_or_default();
            let _ = out.write_all(format!("{sev}[{}]: {}\n  ┌─ {at}\n{help}\n", d.code, d.message).as_bytes());
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// A position resolved to file, line and column (one-based), for JSON output.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Position<'a> {
    /// File path.
    pub file: &'a str,
    /// One-based line of the start.
    pub line: usize,
    /// One-based column of the start.
    pub column: usize,
    /// One-based line of the end.
    pub end_line: usize,
    /// One-based column just past the end.
    pub end_column: usize,
}

impl<'a> Position<'a> {
    fn of(sources: &'a Sources, file: usize, span: &Range<usize>) -> Position<'a> {
        match sources.get(file) {
            Some(f) => {
                let (line, column) = f.line_col(span.start);
                let (end_line, end_column) = f.line_col(span.end);
                Position { file: f.name.as_str(), line, column, end_line, end_column }
            }
            None => Position { file: "<unknown>", line: 0, column: 0, end_line: 0, end_column: 0 },
        }
    }
}

/// A secondary location, resolved.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LocatedRelated<'a> {
    /// Where.
    #[serde(flatten)]
    pub at: Position<'a>,
    /// What is there.
    pub message: &'a str,
}

/// A diagnostic with its positions resolved, for JSON output.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Located<'a> {
    /// Where.
    #[serde(flatten)]
    pub at: Position<'a>,
    /// Error or warning.
    pub severity: Severity,
    /// Lint or error code.
    pub code: Code,
    /// One-line message.
    pub message: &'a str,
    /// Advice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<&'a str>,
    /// Other places involved.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<LocatedRelated<'a>>,
}

/// Resolves positions for JSON output.
pub fn locate<'a>(sources: &'a Sources, diags: &'a [Diagnostic]) -> Vec<Located<'a>> {
    diags
        .iter()
        .map(|d| Located {
            at: Position::of(sources, d.file, &d.span),
            severity: d.severity,
            code: d.code,
            message: &d.message,
            help: d.help.as_deref(),
            related: d.related.iter().map(|r| LocatedRelated { at: Position::of(sources, r.file, &r.span), message: &r.message }).collect(),
        })
        .collect()
}

/// The closest of `candidates` to `name`, phrased as help.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let lower = name.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (crate::suggest::similarity(&lower, &c.to_lowercase()), c))
        .filter(|(s, _)| *s > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_location_carets_and_help() {
        let mut s = Sources::default();
        let f = s.add("rules/x.toml", "[[requirement]]\nwhen = \"tdp_watts > 3\"\n");
        let d = Diagnostic::error(Code::UnknownMetric, f, 24..33, "unknown metric `tdp_watts`").with_help("did you mean `tdp_w`?");
        let text = render(&s, &[d]);
        assert!(text.contains("error[unknown-metric]: unknown metric `tdp_watts`"), "{text}");
        assert!(text.contains("rules/x.toml:2:9"), "{text}");
        assert!(text.contains("^^^^^^^^^"), "{text}");
        assert!(text.contains("help: did you mean `tdp_w`?"), "{text}");
    }

    #[test]
    fn spans_outside_the_text_still_render() {
        let mut s = Sources::default();
        let f = s.add("x.toml", "é");
        let text = render(&s, &[Diagnostic::error(Code::Internal, f, 1..40, "bad span")]);
        assert!(text.contains("error[internal]: bad span"), "{text}");
    }

    #[test]
    fn suggests_close_names() {
        assert_eq!(did_you_mean("tdp_watts", ["tpp", "tdp_w", "pd"]).as_deref(), Some("did you mean `tdp_w`?"));
        assert_eq!(did_you_mean("zzz", ["tpp"]), None);
    }
}
