//! Command-line interface: clap definitions, dispatch, exit codes and shared helpers. Only this
//! module touches clap, comfy-table and the terminal.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use chipgate::rules::{diag, Loader, PackSource};
use chipgate::{RuleSet, Verdict};
use clap::{Parser, Subcommand, ValueEnum};
use jiff::civil::Date;

mod audit;
mod check;
mod chip_args;
mod chips;
mod color;
mod diff;
mod map;
mod output;
mod parties;
mod render;
mod rules_cmd;
mod serve;
mod timeline;

/// `chipgate --version`: the tool's version and the built-in rules it carries.
pub fn version_line() -> &'static str {
    static LINE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    LINE.get_or_init(|| format!("{} (built-in rules {})", env!("CARGO_PKG_VERSION"), chipgate::rules::BUILTIN_LABEL))
}

/// Exit code: no license required.
pub const EXIT_CLEAR: u8 = 0;
/// Exit code: a license or exception is required, or the answer is indeterminate.
pub const EXIT_FINDING: u8 = 1;
/// Exit code: usage or input error, or the output could not be written.
pub const EXIT_ERROR: u8 = 2;
/// Exit code: the output was cut short (a broken pipe, as in `chipgate audit big.csv | head`):
/// the answer is unknown. 128 + SIGPIPE, what a shell reports for a process killed by it.
pub const EXIT_CUT_SHORT: u8 = 141;

/// May this chip go to this destination, on this date, and why?
#[derive(Debug, Parser)]
#[command(name = "chipgate", version = version_line(), about, long_about = None)]
pub struct Cli {
    /// Rule pack (directory or .toml file) to load on top of the built-in rules; repeatable.
    /// CHIPGATE_RULES (a path list: `:`-separated, `;` on Windows) adds packs too, before these.
    #[arg(long = "rules", global = true, value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Start from no rules at all (only the packs given with --rules / CHIPGATE_RULES).
    #[arg(long, global = true)]
    pub no_builtin: bool,
    /// The US Consolidated Screening List as downloaded (CSV or JSON): the parties named are
    /// screened against its entries too, those of the sources a loaded party list takes (the
    /// Entity List's `EL`); repeatable.
    #[arg(long = "parties", global = true, value_name = "FILE")]
    pub parties: Vec<PathBuf>,
    /// Colour verdicts, errors and diagnostics: `auto` on a terminal unless NO_COLOR is set,
    /// `always` (even into a pipe), `never`.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = color::When::Auto)]
    pub color: color::When,
    #[command(subcommand)]
    pub command: Command,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Tables for people.
    Human,
    /// One JSON document.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check one chip (catalog or hypothetical) against a destination on a date.
    Check(check::CheckArgs),
    /// List, show, explain and validate rules.
    Rules(rules_cmd::RulesArgs),
    /// The chip catalog with derived metrics and classification.
    Chips(chips::ChipsArgs),
    /// A chip's status for a destination across time.
    Timeline(timeline::TimelineArgs),
    /// What changed between two dates over the catalog and a set of destinations.
    Diff(diff::DiffArgs),
    /// Audit a CSV of shipments, or a sheet of a workbook: one verdict per row.
    Audit(audit::AuditArgs),
    /// The TPP × performance-density map of the rules in force on a date, as an SVG.
    Map(map::MapArgs),
    /// Serve the engine over HTTP (JSON answers identical to `--format json`) on 127.0.0.1:8080.
    Serve(serve::ServeArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) to standard output.
    ///
    /// bash: `chipgate completions bash > ~/.local/share/bash-completion/completions/chipgate`;
    /// zsh: `chipgate completions zsh > ~/.zfunc/_chipgate` (with `~/.zfunc` in `fpath`);
    /// fish: `chipgate completions fish > ~/.config/fish/completions/chipgate.fish`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) to standard output: `chipgate man | man -l -`, or save it
    /// as `chipgate.1` in a `man1` directory.
    Man,
}

/// Parses and runs; returns the process exit code.
pub fn run() -> ExitCode {
    let mut command = <Cli as clap::CommandFactory>::command();
    let parsed = command.try_get_matches_from_mut(std::env::args_os()).and_then(|mut m| {
        warn_old_spellings(&m); // before the values are taken out of `m`
        <Cli as clap::FromArgMatches>::from_arg_matches_mut(&mut m)
    });
    // The command's description lives until the process ends: freeing its few thousand small
    // allocations was 2 % of the instructions of a `check` (callgrind; docs/performance.md).
    std::mem::forget(command);
    let cli = match parsed {
        Ok(c) => c,
        Err(e) => {
            // Help and version go to standard output, which may fail like any other output.
            let code = if e.use_stderr() { EXIT_ERROR } else { EXIT_CLEAR };
            return ExitCode::from(match e.print() {
                Ok(()) => code,
                Err(io) => failed(&stdout_error(io).into()),
            });
        }
    };
    color::init(cli.color);
    // Into a pipe or a file, standard output is written in blocks rather than line by line: a
    // `check` was 43 writes (about 0.05 ms of its 2.5 ms). A terminal keeps seeing each line as
    // it comes, in order with the diagnostics on standard error.
    let stdout = std::io::stdout().lock();
    let mut out: Stdout<Box<dyn Write>> =
        if stdout.is_terminal() { Stdout(Box::new(stdout)) } else { Stdout(Box::new(std::io::BufWriter::with_capacity(64 << 10, stdout))) };
    let result = dispatch(&cli, &mut out).and_then(|code| out.flush().map(|_| code).map_err(Into::into));
    ExitCode::from(match result {
        Ok(code) => code,
        Err(e) => failed(&e),
    })
}

/// The exit code for an error, said on stderr once (a broken pipe quietly).
fn failed(e: &anyhow::Error) -> u8 {
    if is_broken_pipe(e) {
        return EXIT_CUT_SHORT;
    }
    say(&format!("{} {}\n", color::error_label(), said_once(e)));
    EXIT_ERROR
}

/// An error and its causes, each said once: a cause whose text the message already holds (many
/// errors print their source in their own message) is not repeated.
fn said_once(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let s = cause.to_string();
        if text.contains(s.trim()) {
            continue;
        }
        if !text.is_empty() {
            text += ": ";
        }
        text += &s;
    }
    text
}

/// Standard output, whose failures say that they are standard output's (keeping their kind, so
/// a broken pipe is still one).
struct Stdout<W>(W);

fn stdout_error(e: std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("cannot write to standard output: {e}"))
}

impl<W: Write> Write for Stdout<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf).map_err(stdout_error)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush().map_err(stdout_error)
    }
}

/// Warns of the old spellings of a value, accepted for a release (issue 17: one vocabulary across
/// commands). Old flag names are hidden arguments of their commands, which warn themselves.
fn warn_old_spellings(m: &clap::ArgMatches) {
    let raw = |cmd: &str, arg: &str| {
        m.subcommand_matches(cmd).and_then(|s| s.get_raw(arg)).into_iter().flatten().any(|v| v.eq_ignore_ascii_case("table"))
    };
    if raw("audit", "format") {
        deprecated("`chipgate audit --format table`", "`--format human`");
    }
}

/// Says on stderr that `old` is now `new`, and that the old spelling goes in a later release.
pub fn deprecated(old: &str, new: &str) {
    say(&format!("{} {old} is now {new}; the old spelling will be removed in a later release\n", color::warning_label()));
}

/// Writes to stderr; a failure there has nowhere to be reported, and must not stop the command.
pub fn say(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    let pipe = Some(std::io::ErrorKind::BrokenPipe);
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>().map(|io| io.kind()) == pipe
            || c.downcast_ref::<serde_json::Error>().and_then(|j| j.io_error_kind()) == pipe
            || c.downcast_ref::<csv::Error>().and_then(|x| match x.kind() {
                csv::ErrorKind::Io(io) => Some(io.kind()),
                _ => None,
            }) == pipe
    })
}

fn dispatch(cli: &Cli, out: &mut dyn Write) -> Result<u8> {
    match &cli.command {
        Command::Check(a) => check::run(cli, a, out),
        Command::Rules(a) => rules_cmd::run(cli, a, out),
        Command::Chips(a) => chips::run(cli, a, out),
        Command::Timeline(a) => timeline::run(cli, a, out),
        Command::Diff(a) => diff::run(cli, a, out),
        Command::Audit(a) => audit::run(cli, a, out),
        Command::Serve(a) => serve::run(cli, a),
        Command::Map(a) => map::run(cli, a, out),
        Command::Completions { shell } => {
            // Into memory first: clap_complete panics on a failed write.
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut <Cli as clap::CommandFactory>::command(), "chipgate", &mut script);
            out.write_all(&script)?;
            Ok(EXIT_CLEAR)
        }
        Command::Man => {
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(out)?;
            Ok(EXIT_CLEAR)
        }
    }
}

/// The packs to load, in order: built-in (unless --no-builtin), CHIPGATE_RULES, --rules.
/// CHIPGATE_RULES is a path list as the platform writes one (`:`-separated on Unix, `;` on
/// Windows); paths need not be UTF-8.
pub fn loader(cli: &Cli) -> Loader {
    let mut l = if cli.no_builtin { Loader::empty() } else { Loader::new() };
    if let Some(env) = std::env::var_os("CHIPGATE_RULES") {
        for p in std::env::split_paths(&env).filter(|p| !p.as_os_str().is_empty()) {
            l = l.pack(PackSource::Path(p));
        }
    }
    for p in &cli.rules {
        l = l.pack(PackSource::Path(p.clone()));
    }
    l
}

/// Loads the rule set for an answer, printing the warnings of loading to stderr
/// (`replaces-definition`); errors become an input error. The lints are left to the `rules`
/// commands ([`load_linted`]).
pub fn load(cli: &Cli) -> Result<RuleSet> {
    load_with(cli, false)
}

/// Loads the rule set as [`load`] does, running the lints too and printing their warnings.
pub fn load_linted(cli: &Cli) -> Result<RuleSet> {
    load_with(cli, true)
}

fn load_with(cli: &Cli, lints: bool) -> Result<RuleSet> {
    let mut rs = load_packs(cli, lints)?;
    for path in &cli.parties {
        let report = chipgate::parties::csl::load(&mut rs, path)?;
        // What the file holds but is not screened against is said, not left out in silence.
        let mut left: Vec<String> = Vec::new();
        if !report.left.is_empty() {
            let sources: Vec<String> = report.left.iter().map(|(source, n)| format!("{n} of {source}")).collect();
            left.push(format!("{} (no party list of the loaded packs takes their source)", sources.join("; ")));
        }
        if !report.unnamed.is_empty() {
            let rows: Vec<String> = report.unnamed.iter().take(5).map(u64::to_string).collect();
            let more = if report.unnamed.len() > 5 { ", …" } else { "" };
            left.push(format!("{} without a name (rows {}{more})", report.unnamed.len(), rows.join(", ")));
        }
        if !left.is_empty() {
            say(&format!("{} `{}`: entries not screened against: {}\n", color::warning_label(), path.display(), left.join("; ")));
        }
    }
    Ok(rs)
}

/// The rule packs' rule set, before any screening list.
fn load_packs(cli: &Cli, lints: bool) -> Result<RuleSet> {
    let loader = loader(cli);
    // The built-in packs alone, without lints (they give no warnings then): the rule set
    // checked at build time, not parsed again.
    if loader.is_builtin_only() && !lints {
        return chipgate::compiled_builtin().context("the built-in rules compiled into this program do not load");
    }
    match loader.lints(lints).load_with_sources() {
        Ok((rs, warnings, sources)) => {
            if !warnings.is_empty() {
                say(&diag::render_styled(&sources, &warnings, color::stderr()));
            }
            Ok(rs)
        }
        Err(e) => {
            say(&diag::render_styled(&e.sources, &e.diagnostics, color::stderr()));
            let n = e.diagnostics.iter().filter(|d| d.is_error()).count();
            bail!("the rules could not be loaded ({n} error{}); run `{}` for details", if n == 1 { "" } else { "s" }, validate_command(cli))
        }
    }
}

/// The `rules validate` command that checks the packs a command was given (those of
/// `CHIPGATE_RULES` are read by it as well).
fn validate_command(cli: &Cli) -> String {
    let mut c = String::from("chipgate rules validate");
    if cli.no_builtin {
        c += " --no-builtin";
    }
    for p in &cli.rules {
        let shown = p.display().to_string();
        let quoted = if shown.contains(char::is_whitespace) { format!("'{shown}'") } else { shown };
        c += &format!(" --rules {quoted}");
    }
    c
}

/// Parses a `YYYY-MM-DD` date.
pub fn parse_date(s: &str) -> Result<Date> {
    Ok(chipgate::date::parse(s)?)
}

/// Today's date (UTC), as every front end takes it ([`chipgate::date::today`]).
pub fn today() -> Date {
    chipgate::date::today()
}

/// The date to use: the one given, else today.
pub fn date_or_today(d: &Option<String>) -> Result<Date> {
    match d {
        Some(s) => parse_date(s),
        None => Ok(today()),
    }
}

/// Resolves a country name or code, or fails with suggestions.
pub fn country(rs: &RuleSet, name: &str) -> Result<String> {
    Ok(chipgate::request::country(rs, name, "country")?)
}

/// The exit code for a verdict.
pub fn exit_for(v: Verdict) -> u8 {
    match v {
        Verdict::NoLicenseRequired => EXIT_CLEAR,
        _ => EXIT_FINDING,
    }
}
