//! Colour for people: verdicts, errors and rule-file diagnostics, as `--color auto|always|never`
//! says. `auto` colours a stream that is a terminal, unless `NO_COLOR` is set to anything but
//! the empty string (<https://no-color.org>) or `TERM` is `dumb`; `always` colours even a pipe
//! (`chipgate check H100 --to CN --color always | less -R`), whatever `NO_COLOR` says; `never`
//! never does. JSON, CSV and the other machine formats are never coloured.

use std::io::IsTerminal;
use std::sync::OnceLock;

use anstyle::{AnsiColor, Style};
use chipgate::Verdict;
use clap::ValueEnum;

/// When to colour (`--color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum When {
    /// On a terminal, unless NO_COLOR is set or TERM is `dumb`.
    #[default]
    Auto,
    /// Always, even into a pipe or a file.
    Always,
    /// Never.
    Never,
}

static WHEN: OnceLock<When> = OnceLock::new();

/// Sets the choice for this process (once, from the command line).
pub fn init(when: When) {
    let _ = WHEN.set(when);
}

fn wanted(terminal: bool) -> bool {
    match WHEN.get().copied().unwrap_or_default() {
        When::Always => true,
        When::Never => false,
        When::Auto => {
            terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
        }
    }
}

/// Whether standard output is coloured.
pub fn stdout() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| wanted(std::io::stdout().is_terminal()))
}

/// Whether standard error is coloured.
pub fn stderr() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| wanted(std::io::stderr().is_terminal()))
}

/// The colour of a verdict: green when clear, yellow when an exception or missing data decides,
/// red when a license is required, magenta for an embargo.
pub fn of_verdict(v: Verdict) -> AnsiColor {
    match v {
        Verdict::NoLicenseRequired => AnsiColor::Green,
        Verdict::LicenseException | Verdict::Indeterminate => AnsiColor::Yellow,
        Verdict::LicenseRequired => AnsiColor::Red,
        Verdict::Embargoed => AnsiColor::Magenta,
    }
}

/// `text` in bold `color` when `on`.
pub fn paint(on: bool, color: AnsiColor, text: &str) -> String {
    if !on {
        return text.to_string();
    }
    let style = Style::new().fg_color(Some(color.into())).bold();
    format!("{}{text}{}", style.render(), style.render_reset())
}

/// A verdict's words for standard output, coloured when it is.
pub fn verdict(v: Verdict, text: &str) -> String {
    paint(stdout(), of_verdict(v), text)
}

/// `error:` for standard error, red when it is coloured.
pub fn error_label() -> String {
    paint(stderr(), AnsiColor::Red, "error:")
}

/// `warning:` for standard error, yellow when it is coloured.
pub fn warning_label() -> String {
    paint(stderr(), AnsiColor::Yellow, "warning:")
}
