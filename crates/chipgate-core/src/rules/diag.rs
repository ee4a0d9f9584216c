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

/// A problem found in a rule file.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Lint or error code (e.g. `unknown-reference`).
    pub code: &'static str,
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
    pub fn error(code: &'static str, file: usize, span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Error, code, message: message.into(), file, span, help: None, related: Vec::new() }
    }

    /// A warning.
    pub fn warning(code: &'static str, file: usize, span: Range<usize>, message: impl Into<String>) -> Diagnostic {
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
    pub code: &'a str,
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
        let d = Diagnostic::error("unknown-metric", f, 24..33, "unknown metric `tdp_watts`").with_help("did you mean `tdp_w`?");
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
        let text = render(&s, &[Diagnostic::error("x", f, 1..40, "bad span")]);
        assert!(text.contains("error[x]: bad span"), "{text}");
    }

    #[test]
    fn suggests_close_names() {
        assert_eq!(did_you_mean("tdp_watts", ["tpp", "tdp_w", "pd"]).as_deref(), Some("did you mean `tdp_w`?"));
        assert_eq!(did_you_mean("zzz", ["tpp"]), None);
    }
}
