//! Memory budgets, measured: hostile shipment files streamed into `chipgate audit`, and hostile
//! rule files given to `chipgate rules validate`, in fixed cases and a bounded proptest run.
//! Each run's peak resident memory is the kernel's own count, read when the child is reaped
//! (`wait4`'s `ru_maxrss`), so no peak between two samples can be missed, and a run that goes
//! over the budget fails however briefly it did. The budget is docs/auditing.md's: 64 MiB with the
//! default limits (the test build's binary is unoptimised, and still far under it).
//!
//! The inputs are sized to tell: each took from about three times (one long line) to about a
//! hundred times (a line of commas) its size in memory before issue 12. `CHIPGATE_BUDGET_SCALE=N`
//! makes them N times larger (default 1: a few seconds in all); the peaks are printed
//! (`cargo test --test budget -- --nocapture`).

#![cfg(target_os = "linux")]

use std::io::Write;
use std::process::{Command, Stdio};

use proptest::prelude::*;

/// The peak resident memory a run may reach, in KiB.
const BUDGET_KIB: i64 = 64 * 1024;

/// The size factor of the inputs.
fn scale() -> usize {
    std::env::var("CHIPGATE_BUDGET_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(1).max(1)
}

/// An input, made a piece at a time as it is written, so that no case is held whole.
type Input = Box<dyn Iterator<Item = Vec<u8>> + Send>;

/// How a run ended: its exit code (`None`: killed by a signal) and its peak RSS in KiB.
#[derive(Debug)]
struct Measured {
    code: Option<i32>,
    peak_kib: i64,
}

/// Runs the binary with `args`, `input` on its standard input, its output discarded.
fn measured(args: &[&str], input: Input) -> Measured {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chipgate"))
        .args(args)
        .env_remove("CHIPGATE_RULES")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the chipgate binary runs");
    let mut pipe = child.stdin.take().expect("stdin is piped");
    let writer = std::thread::spawn(move || {
        for piece in input {
            // A run that stops reading (an unusable file) closes the pipe: not a failure here.
            if pipe.write_all(&piece).is_err() {
                break;
            }
        }
    });
    let m = reap(child.id());
    writer.join().expect("the input is written");
    // `child` was reaped by `wait4`: it is dropped without waiting for it again.
    drop(child);
    m
}

/// Waits for a child and reads its peak resident memory from the kernel.
fn reap(pid: u32) -> Measured {
    let pid = libc::pid_t::try_from(pid).expect("a pid fits");
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain integers, for which all-zero bytes are a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is a child of this process that nothing else waits for, and both
        // pointers are to live locals of the right types.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        assert_eq!(e.kind(), std::io::ErrorKind::Interrupted, "wait4: {e}");
    }
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    // Linux gives `ru_maxrss` in KiB.
    Measured { code, peak_kib: usage.ru_maxrss }
}

/// Bytes repeated to `n` bytes, in pieces of at most 1 MiB.
fn repeat(unit: &'static [u8], n: usize) -> impl Iterator<Item = Vec<u8>> + Send {
    let piece: Vec<u8> = unit.iter().copied().cycle().take((1 << 20).min(n)).collect();
    let (whole, rest) = (n / piece.len().max(1), n % piece.len().max(1));
    let last = piece.get(..rest).unwrap_or_default().to_vec();
    std::iter::repeat_n(piece, whole).chain(std::iter::once(last))
}

fn text(s: impl Into<String>) -> std::iter::Once<Vec<u8>> {
    std::iter::once(s.into().into_bytes())
}

/// One part of a hostile shipment file.
#[derive(Debug, Clone)]
enum Part {
    /// A line of `n` bytes.
    Line(usize),
    /// A line of `n` commas.
    Commas(usize),
    /// A row of `n` columns.
    Columns(usize),
    /// A row whose quote is never closed, then a line of `n` bytes.
    Quote(usize),
    /// A line of `n` bytes with a quote that is never closed past the record limit.
    LateQuote(usize),
    /// `n` rows, each with its own figures (a hypothetical chip each).
    Figures(usize),
    /// `n` ordinary rows.
    Rows(usize),
    /// Bytes that matter to CSV, repeated `n` times.
    Noise(Vec<u8>, usize),
}

impl Part {
    fn input(self) -> Input {
        match self {
            Part::Line(n) => Box::new(text("H100,").chain(repeat(b"x", n)).chain(text("\n"))),
            Part::Commas(n) => Box::new(text("H100,CN").chain(repeat(b",", n)).chain(text("\n"))),
            Part::Columns(n) => Box::new(text("H100,CN").chain(repeat(b",x", 2 * n)).chain(text("\n"))),
            Part::Quote(n) => Box::new(text("H20,\"CN\n").chain(repeat(b"y", n)).chain(text("\n"))),
            Part::LateQuote(n) => Box::new(text("H100,").chain(repeat(b"z", n)).chain(text(",\"CN\n"))),
            Part::Figures(n) => Box::new((0..n).map(|i| format!("H100,CN,{i}.5,{}\n", 100 + i % 700).into_bytes())),
            Part::Rows(n) => Box::new(repeat(b"H100,CN,,\n", 10 * n)),
            Part::Noise(unit, n) => Box::new(std::iter::repeat_n(unit, n)),
        }
    }
}

/// Audits a file of these parts (with the default limits), from standard input.
fn audit(parts: Vec<Part>) -> Measured {
    let input = text("chip,destination,tpp,die_area_mm2\n").chain(parts.into_iter().flat_map(Part::input)).chain(text("H100,CN,,\n"));
    measured(&["audit", "-", "--date", "2026-01-01", "-q"], Box::new(input))
}

fn within_budget(what: &str, m: &Measured) -> Result<(), TestCaseError> {
    prop_assert!(m.code.is_some(), "{what}: killed by a signal ({m:?})");
    prop_assert!(m.peak_kib < BUDGET_KIB, "{what}: peak {} KiB, over the budget of {BUDGET_KIB} KiB", m.peak_kib);
    Ok(())
}

/// The shapes of `benches/hostile.sh`, smaller: each went far over the budget before.
#[test]
fn the_audit_stays_under_its_budget_on_hostile_files() {
    let mb = scale() << 20;
    let cases = [
        ("a 24 MiB line (3x its size before)", vec![Part::Line(24 * mb)]),
        ("a line of 4 MiB of commas (90x)", vec![Part::Commas(4 * mb)]),
        ("a row of 2 million columns (45x)", vec![Part::Columns(2 * mb)]),
        ("an open quote on row 2, then a 16 MiB line (5x)", vec![Part::Quote(16 * mb)]),
        ("a quote opened past the limit of a 2 MiB line, then rows", vec![Part::LateQuote(2 * mb), Part::Rows(5_000)]),
        ("12,000 rows of distinct figures (8 KiB a row)", vec![Part::Figures(12_000 * scale())]),
    ];
    for (what, parts) in cases {
        let m = audit(parts);
        eprintln!("{what}: peak {} KiB", m.peak_kib);
        within_budget(what, &m).unwrap();
        // Every row is answered or is an error row: exit 1 (findings) or 2 (error rows).
        assert!(matches!(m.code, Some(1 | 2)), "{what}: {m:?}");
    }
}

/// One part of a hostile rule file: the shapes that took memory, stack or time before.
#[derive(Debug, Clone)]
enum Rule {
    /// `n` named sets, each twice the one before (`2^n` terms written out).
    Doubling(usize),
    /// `destination in CN | CN | …`, `n` terms.
    Chain(usize),
    /// A condition inside `n` parentheses.
    Parens(usize),
    /// `not not … tpp >= 1`, `n` times.
    Nots(usize),
    /// A TOML array nested `n` deep.
    Nested(usize),
    /// `n` ordinary rules.
    Rules(usize),
    /// A summary of `n` bytes.
    Long(usize),
    /// Bytes that matter to TOML and conditions.
    Noise(Vec<u8>),
}

impl Rule {
    fn text(&self, k: usize) -> String {
        let req = |id: String, when: String| {
            format!("\n[[requirement]]\nid = \"h/{id}\"\nregime = \"h\"\nkind = \"destination\"\nwhen = \"{when}\"\n")
        };
        match self {
            Rule::Doubling(n) => {
                let mut s = format!("\n[[set]]\nid = \"S{k}_0\"\nexpr = \"CN | RU\"\n");
                for i in 1..*n {
                    s += &format!("\n[[set]]\nid = \"S{k}_{i}\"\nexpr = \"S{k}_{} | S{k}_{}\"\n", i - 1, i - 1);
                }
                s + &req(format!("doubling{k}"), format!("destination in S{k}_{}", n.saturating_sub(1)))
            }
            Rule::Chain(n) => req(format!("chain{k}"), format!("destination in {}", vec!["CN"; *n].join(" | "))),
            Rule::Parens(n) => req(format!("parens{k}"), format!("{}tpp >= 1{}", "(".repeat(*n), ")".repeat(*n))),
            Rule::Nots(n) => req(format!("nots{k}"), format!("{}tpp >= 1", "not ".repeat(*n))),
            Rule::Nested(n) => format!("\n[[group]]\nid = \"N:{k}\"\nname = {}{}\n", "[".repeat(*n), "]".repeat(*n)),
            Rule::Rules(n) => {
                (0..*n).map(|i| req(format!("r{k}_{i}"), format!("eccn == '3A090.a' and tpp >= {i} and destination in CN"))).collect()
            }
            Rule::Long(n) => format!(
                "\n[[review]]\nid = \"h/long{k}\"\nregime = \"h\"\npolicy = \"case_by_case\"\nwhen = \"tpp >= 1\"\nsummary = \"{}\"\n",
                "s".repeat(*n)
            ),
            Rule::Noise(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        }
    }
}

/// Validates a pack of these parts (on top of the built-in rules).
fn validate(parts: &[Rule]) -> Measured {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hostile.toml");
    let mut text = String::from("[pack]\nname = \"hostile\"\nversion = \"1.0.0\"\n\n[[regime]]\nid = \"h\"\ntitle = \"h\"\ncitation = { document = \"h\" }\neffective = 2025-01-01\n");
    for (k, p) in parts.iter().enumerate() {
        text += &p.text(k);
    }
    std::fs::write(&path, text).unwrap();
    measured(&["rules", "validate", path.to_str().unwrap()], Box::new(std::iter::empty()))
}

#[test]
fn validation_stays_under_its_budget_on_hostile_packs() {
    let s = scale();
    // 24 doubling sets took 1.5 GB and 28 aborted at 4 GB; a 17,000-term chain overflowed the stack.
    for parts in [
        vec![Rule::Doubling(28)],
        vec![Rule::Chain(17_000 * s)],
        vec![Rule::Parens(100_000 * s), Rule::Nots(100_000 * s)],
        vec![Rule::Nested(100_000 * s)],
    ] {
        let m = validate(&parts);
        let what = format!("{parts:?}");
        eprintln!("{}: peak {} KiB", what.get(..60).unwrap_or(&what), m.peak_kib);
        within_budget(&what, &m).unwrap();
        assert_eq!(m.code, Some(2), "each is a located error: {parts:?}");
    }
}

fn csv_part() -> impl Strategy<Value = Part> {
    let big: usize = 2 << 20;
    prop_oneof![
        (0..big).prop_map(Part::Line),
        (0..big).prop_map(Part::Commas),
        (0..big / 2).prop_map(Part::Columns),
        (0..big).prop_map(Part::Quote),
        (0..big).prop_map(Part::LateQuote),
        (0..3_000usize).prop_map(Part::Figures),
        (0..3_000usize).prop_map(Part::Rows),
        (proptest::collection::vec(proptest::sample::select(&b",\"\r\nxH10C"[..]), 1..64), 1..20_000usize)
            .prop_map(|(unit, n)| Part::Noise(unit, n)),
    ]
}

fn rule_part() -> impl Strategy<Value = Rule> {
    prop_oneof![
        (1..40usize).prop_map(Rule::Doubling),
        (1..30_000usize).prop_map(Rule::Chain),
        (1..200_000usize).prop_map(Rule::Parens),
        (1..200_000usize).prop_map(Rule::Nots),
        (1..200_000usize).prop_map(Rule::Nested),
        (1..2_000usize).prop_map(Rule::Rules),
        (1..4_000_000usize).prop_map(Rule::Long),
        proptest::collection::vec(proptest::sample::select(&b"[]{}=\"'\n#.,|&-()*CN 0"[..]), 1..256).prop_map(Rule::Noise),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, failure_persistence: None, ..ProptestConfig::default() })]

    /// Hostile files put together at random: no crash, and the peak stays under the budget.
    #[test]
    fn any_hostile_file_is_audited_within_the_budget(parts in proptest::collection::vec(csv_part(), 1..4)) {
        let m = audit(parts);
        within_budget("audit", &m)?;
    }

    /// Hostile packs put together at random: no crash, and the peak stays under the budget.
    #[test]
    fn any_hostile_pack_is_validated_within_the_budget(parts in proptest::collection::vec(rule_part(), 1..5)) {
        let m = validate(&parts);
        within_budget("rules validate", &m)?;
        prop_assert!(matches!(m.code, Some(0..=2)), "{:?}", m);
    }
}
