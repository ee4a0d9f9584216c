//! Human rendering helpers: comfy-table setup and wording for verdicts and policies.

use chipgate::chip::fmt_num;
use chipgate::eval::{Decision, Truth, Value};
use chipgate::rules::{Citation, Policy, RuleSet};
use chipgate::Verdict;
use comfy_table::{presets, Attribute, Cell, Color, ColumnConstraint, ContentArrangement, Table, Width};

use super::color;
use serde::Serialize;

/// Writes a JSON document, pretty and ending in a line break, with `extra` members added when
/// it is an object (the rule-set version of a result, say).
pub fn json(out: &mut dyn std::io::Write, doc: &impl Serialize, extra: Vec<(&str, serde_json::Value)>) -> anyhow::Result<()> {
    let mut v = serde_json::to_value(doc)?;
    if let Some(o) = v.as_object_mut() {
        for (k, x) in extra {
            o.insert(k.into(), x);
        }
    }
    // Buffered: standard output is line-buffered, and pretty JSON is mostly short lines (a
    // 77 MB document was three million writes).
    use std::io::Write as _;
    let mut w = std::io::BufWriter::with_capacity(64 * 1024, &mut *out);
    serde_json::to_writer_pretty(&mut w, &v)?;
    writeln!(w)?;
    w.flush()?;
    Ok(())
}

/// A table with the house style, as wide as the terminal (at least 40 columns); into a pipe or
/// a file, `COLUMNS` wide when that is set, else 120. Its cells are styled (a verdict's colour)
/// when standard output is coloured ([`color::stdout`]).
pub fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic);
    t.set_width(width());
    if color::stdout() {
        // What `--color` decided, over crossterm's own reading of NO_COLOR.
        crossterm::style::force_color_output(true);
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    if !header.is_empty() {
        t.set_header(header.to_vec());
    }
    t
}

/// The width human output is laid out to: the terminal's (at least 40 columns); into a pipe or a
/// file, `COLUMNS` when that is set (and at least 40), else 120. Asked once per process: every
/// table and paragraph of a view is laid out to it.
pub fn width() -> u16 {
    static WIDTH: std::sync::OnceLock<u16> = std::sync::OnceLock::new();
    *WIDTH.get_or_init(|| {
        let columns = || std::env::var("COLUMNS").ok()?.trim().parse::<u16>().ok();
        match Table::new().width() {
            Some(terminal) => terminal.max(40),
            None => columns().filter(|w| *w >= 40).unwrap_or(120),
        }
    })
}

/// Writes a paragraph wrapped to [`width`] between words (an id or an address is never split),
/// its later lines indented by two spaces.
pub fn prose(out: &mut dyn std::io::Write, text: &str) -> std::io::Result<()> {
    paragraph(out, "", text)
}

/// Writes a paragraph as [`prose`] does, every line indented by `indent` (and the later ones by
/// two spaces more): an item of a list under a heading.
pub fn paragraph(out: &mut dyn std::io::Write, indent: &str, text: &str) -> std::io::Result<()> {
    let rest = format!("{indent}  ");
    let options = textwrap::Options::new(usize::from(width()))
        .initial_indent(indent)
        .subsequent_indent(&rest)
        .break_words(false)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    writeln!(out, "{}", textwrap::fill(text, options))
}

/// Lays a table out so that a narrow terminal splits as few words as it can: column by column,
/// the one with the shortest longest word first (a date, an ECCN, then a rule id), each is kept
/// at least as wide as its longest word, while the table still fits its width with room for
/// the rest. What is left wraps between words; only a word wider than that is split.
pub fn fit(t: &mut Table) {
    fit_first(t, &[]);
}

/// Lays a table out as [`fit`] does, keeping the words of the `first` columns whole before
/// any other (the rule ids of a trace, which matter more than a long value beside them).
pub fn fit_first(t: &mut Table, first: &[usize]) {
    /// What a column not kept whole is left at least (its padding included).
    const NARROWEST: usize = 9;
    let width = usize::from(t.width().unwrap_or(120));
    let n = t.column_count();
    let mut longest: Vec<(usize, usize)> = (0..n)
        .map(|column| {
            let words = t.column_cells_iter(column).flatten().flat_map(|c| c.content().lines().map(longest_word).max());
            (words.max().unwrap_or(0), column)
        })
        .collect();
    longest.sort_by_key(|&(word, column)| (first.iter().position(|f| *f == column).unwrap_or(usize::MAX), word));
    let mut used = n + 1 + NARROWEST * n;
    for (word, column) in longest {
        let Some(c) = t.column_mut(column) else { continue };
        // The boundary counts the cell's padding.
        let needed = word + usize::from(c.padding_width());
        if used + needed.saturating_sub(NARROWEST) > width {
            break;
        }
        used += needed.saturating_sub(NARROWEST);
        c.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(u16::try_from(needed).unwrap_or(u16::MAX))));
    }
}

/// The widest word of a line, a one-character word (a `+` or `−` before a rule id) counted with
/// the word after it, so that the two stay on one line. Words are split at spaces, as the
/// table splits them: a no-break space (the indentation of a trace) holds a word together.
fn longest_word(line: &str) -> usize {
    let (mut longest, mut carry) = (0, 0);
    for w in line.split([' ', '\n', '\t']).filter(|w| !w.is_empty()) {
        let n = carry + w.chars().count();
        carry = if w.chars().count() == 1 { n + 1 } else { 0 };
        longest = longest.max(n);
    }
    longest
}

/// The addresses a human view cites, as numbered notes: a table cell says `[2]` where the
/// address would be, and the addresses are printed whole below the table, one to a line, so
/// that a narrow terminal never splits one (and a reader can still click or copy it).
#[derive(Default)]
pub struct Sources {
    urls: Vec<String>,
    printed: usize,
}

impl Sources {
    /// A citation with its address as a note: `88 FR 73458 (FR Doc 2023-23055) [1]`.
    pub fn cite(&mut self, c: &Citation) -> String {
        match &c.url {
            Some(u) => format!("{} {}", c.document, self.note(u)),
            None => c.document.clone(),
        }
    }

    /// Free text (a derivation, say) with every `http://` or `https://` address in it made a note.
    pub fn text(&mut self, s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(at) = rest.find("https://").or_else(|| rest.find("http://")) {
            let (before, from) = rest.split_at(at);
            let end = from.find(|c: char| c.is_whitespace() || c == '>' || c == '<').unwrap_or(from.len());
            // Punctuation after an address closes the sentence around it, not the address.
            let url = from[..end].trim_end_matches([',', ';', '.', ')', ':']);
            out.push_str(before.strip_suffix('<').unwrap_or(before));
            out.push_str(&self.note(url));
            rest = &from[url.len()..];
            rest = rest.strip_prefix('>').unwrap_or(rest);
        }
        out.push_str(rest);
        out
    }

    fn note(&mut self, url: &str) -> String {
        let n = match self.urls.iter().position(|u| u == url) {
            Some(i) => i + 1,
            None => {
                self.urls.push(url.to_string());
                self.urls.len()
            }
        };
        format!("[{n}]")
    }

    /// Prints the notes added since the last call, as `[n] address` lines.
    pub fn flush(&mut self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        for (i, u) in self.urls.iter().enumerate().skip(self.printed) {
            writeln!(out, "  [{}] {u}", i + 1)?;
        }
        self.printed = self.urls.len();
        Ok(())
    }
}

/// The last lines of a human view when anything but the built-in pack answered: each pack
/// loaded with its version, content hash and location, so that a printed or pasted what-if
/// answer carries what it rests on and cannot pass for the law. Nothing on the built-in rules
/// alone (`--version` names them). With `replacements`, also every definition a pack replaced
/// (`replaces = true`): a view across dates and chips may rest on any of them, where a check
/// names the ones its answer rests on beside its verdict.
pub fn provenance(rs: &RuleSet, replacements: bool, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    if rs.packs.iter().all(|p| p.is_builtin()) {
        return Ok(());
    }
    writeln!(out, "\nAnswered by these rule packs, not the built-in rules alone:")?;
    for p in &rs.packs {
        writeln!(out, "  {} {} #{} ({})", p.name, p.version, p.hash, if p.is_builtin() { "built in" } else { &p.location })?;
    }
    if replacements {
        for r in &rs.replacements {
            writeln!(out, "Replaced: {r}")?;
        }
    }
    Ok(())
}

/// A table cell holding a verdict's words, in the verdict's colour when the table is styled.
pub fn verdict_cell(v: Verdict, text: impl Into<String>) -> Cell {
    let c = match color::of_verdict(v) {
        // crossterm's plain colours are the bright ones; the dark ones are ANSI's 31–35.
        anstyle::AnsiColor::Green => Color::DarkGreen,
        anstyle::AnsiColor::Yellow => Color::DarkYellow,
        anstyle::AnsiColor::Red => Color::DarkRed,
        _ => Color::DarkMagenta,
    };
    Cell::new(text.into()).fg(c).add_attribute(Attribute::Bold)
}

/// Verdict in words.
pub fn verdict(v: Verdict) -> &'static str {
    match v {
        Verdict::NoLicenseRequired => "NO LICENSE REQUIRED",
        Verdict::LicenseException => "LICENSE EXCEPTION AVAILABLE (a license is required unless the exception is used)",
        Verdict::LicenseRequired => "LICENSE REQUIRED",
        Verdict::Embargoed => "EMBARGOED (license required for any item)",
        Verdict::Indeterminate => "INDETERMINATE (missing data could change the answer)",
    }
}

/// Verdict in a few words, in lower case, for the cells of the views.
pub fn verdict_lower(v: Verdict) -> &'static str {
    match v {
        Verdict::NoLicenseRequired => "no license required",
        Verdict::LicenseException => "license exception",
        Verdict::LicenseRequired => "license required",
        Verdict::Embargoed => "embargoed",
        Verdict::Indeterminate => "indeterminate",
    }
}

/// Verdict in a few words, for one-line answers.
pub fn verdict_short(v: Verdict) -> &'static str {
    match v {
        Verdict::NoLicenseRequired => "NO LICENSE REQUIRED",
        Verdict::LicenseException => "LICENSE EXCEPTION AVAILABLE",
        Verdict::LicenseRequired => "LICENSE REQUIRED",
        Verdict::Embargoed => "EMBARGOED",
        Verdict::Indeterminate => "INDETERMINATE",
    }
}

/// Policy in words.
pub fn policy(p: Policy) -> &'static str {
    match p {
        Policy::PresumptionOfDenial => "presumption of denial",
        Policy::PresumptionOfApproval => "presumption of approval",
        Policy::CaseByCase => "case-by-case",
        Policy::PolicyOfDenial => "policy of denial",
    }
}

/// A trace value in words.
pub fn value(v: &Value) -> String {
    match v {
        Value::Num(n) => fmt_num(*n),
        Value::Bool(b) => b.to_string(),
        Value::Text(t) => t.clone(),
    }
}

/// A test as the rule language reads: metric, operator, threshold.
pub fn test(t: &chipgate::eval::Test) -> String {
    format!("{} {} {}", t.metric, t.op, value(&t.threshold))
}

/// A test's actual value, or `missing`.
pub fn actual(t: &chipgate::eval::Test) -> String {
    t.actual.as_ref().map(value).unwrap_or_else(|| "missing".into())
}

/// A truth value in words.
pub fn truth(t: Truth) -> &'static str {
    match t {
        Truth::True => "yes",
        Truth::False => "no",
        Truth::Unknown => "unknown",
    }
}

/// The ECCN in words, including undetermined classifications.
pub fn eccn(d: &Decision) -> String {
    match (&d.eccn, d.eccn_candidates.is_empty()) {
        (Some(e), _) => e.clone(),
        (None, true) => "not classified under the rules in force".into(),
        (None, false) => {
            let c: Vec<String> =
                d.eccn_candidates.iter().map(|c| format!("{} → {}", c.eccn.as_deref().unwrap_or("none"), c.verdict)).collect();
            format!("undetermined: {}", c.join("; "))
        }
    }
}

/// License requirement in words.
pub fn license(d: &Decision) -> &'static str {
    match d.license_required {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unknown",
    }
}

/// What a computer or an assembly contains, each item as classified (its ECCN, the rules that
/// classified it, its TPP and performance density), nested items indented under the item that
/// holds them: `check`'s Contains table and `chips show`'s.
pub fn parts(parts: &[chipgate::eval::PartRef]) -> Table {
    fn rows(parts: &[chipgate::eval::PartRef], depth: usize, t: &mut Table) {
        for p in parts {
            let eccn = match (&p.eccn, p.eccn_candidates.is_empty()) {
                (Some(e), _) => e.clone(),
                (None, true) => "not classified".into(),
                (None, false) => format!("undetermined ({})", p.eccn_candidates.join(" | ")),
            };
            let figure = |v: Option<f64>| v.map_or("unknown".into(), fmt_num);
            t.add_row(vec![
                format!("{}{} ({})", "  ".repeat(depth), p.name, p.id),
                p.count.to_string(),
                eccn,
                p.rules.join(", "),
                figure(p.tpp),
                figure(p.pd),
            ]);
            rows(&p.contains, depth + 1, t);
        }
    }
    let mut t = table(&["Contains", "Count", "ECCN", "Classified by", "TPP", "Performance density"]);
    rows(parts, 0, &mut t);
    fit_first(&mut t, &[0]);
    t
}
