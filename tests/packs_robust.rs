//! Malformed rule files of any kind yield diagnostics, never a panic: truncated files, binary
//! garbage, deep nesting, huge numbers, NaN, infinities and negative thresholds.

use chipgate::rules::{diag, Diagnostic, Loader, PackSource};
use proptest::prelude::*;

const HEADER: &str = "[pack]\nname = \"robust\"\nversion = \"1.0.0\"\n";

/// Loads files on their own (no built-in pack); returns the diagnostics and their rendering.
fn load(files: Vec<(String, String)>) -> (Vec<Diagnostic>, String) {
    let l = Loader::empty().pack(PackSource::Memory(files));
    let (d, sources) = l.validate();
    let text = diag::render(&sources, &d);
    // `load` agrees with `validate`: errors mean no rule set.
    assert_eq!(l.load().is_err(), d.iter().any(Diagnostic::is_error));
    let _ = serde_json::to_string(&diag::locate(&sources, &d)).unwrap();
    (d, text)
}

fn one(body: &str) -> (Vec<Diagnostic>, String) {
    load(vec![("robust.toml".into(), format!("{HEADER}{body}"))])
}

fn codes(d: &[Diagnostic]) -> Vec<&str> {
    d.iter().map(|d| d.code.as_str()).collect()
}

/// The built-in regulation files (no chip catalog, so loading stays quick).
fn builtin_files() -> Vec<(String, String)> {
    let mut names: Vec<String> = std::fs::read_dir("rules/us").unwrap().map(|e| e.unwrap().path().display().to_string()).collect();
    names.sort();
    names.push("rules/geo/countries.toml".into());
    names.push("rules/pack.toml".into());
    names.into_iter().map(|n| (n.clone(), std::fs::read_to_string(&n).unwrap())).collect()
}

#[test]
fn truncated_files_are_diagnosed() {
    let files = builtin_files();
    let (i, (name, text)) = files.iter().enumerate().find(|(_, (n, _))| n.ends_with("2023-10-advanced-computing.toml")).unwrap();
    let mut cut = 0;
    while cut < text.len() {
        let mut fs = files.clone();
        let t: String = text.chars().take(cut).collect();
        fs[i] = (name.clone(), t);
        let _ = load(fs);
        cut += 97;
    }
}

#[test]
fn binary_garbage_is_diagnosed() {
    let garbage: String = (0u32..2000).map(|i| char::from_u32((i * 7919) % 0x2FFF).unwrap_or('\u{fffd}')).collect();
    let (d, text) = load(vec![("garbage.toml".into(), garbage)]);
    assert!(d.iter().any(|d| d.code == "toml"), "{text}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pack.toml"), HEADER).unwrap();
    std::fs::write(dir.path().join("blob.toml"), (0..=255u8).cycle().take(4096).collect::<Vec<u8>>()).unwrap();
    let (d, _) = Loader::empty().pack(PackSource::Path(dir.path().into())).validate();
    assert_eq!(codes(&d), ["unreadable"]);
}

#[test]
fn deep_nesting_is_diagnosed() {
    for (open, close) in [("[", "]"), ("{a=", "}")] {
        let deep = format!("x = {}1{}\n", open.repeat(20_000), close.repeat(20_000));
        let (d, _) = one(&deep);
        assert_eq!(codes(&d), ["toml"]);
    }
    let dotted = format!("[{}]\n", vec!["a"; 5000].join("."));
    let (d, _) = one(&dotted);
    assert_eq!(codes(&d), ["toml"]);
    let parens = format!(
        "[[regime]]\nid = \"r\"\ntitle = \"r\"\ncitation = {{ document = \"d\" }}\neffective = 2025-01-01\n[[requirement]]\nid = \"r/x\"\nregime = \"r\"\nkind = \"item\"\nwhen = \"{}datacenter{}\"\n",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    let (d, text) = one(&parens);
    assert_eq!(codes(&d), ["syntax"], "{text}");
    assert!(text.contains("nested too deeply"), "{text}");
}

const RULE: &str = "[[regime]]\nid = \"r\"\ntitle = \"r\"\ncitation = { document = \"d\" }\neffective = 2025-01-01\n[[eccn]]\nid = \"X.1\"\ntitle = \"x\"\n";

fn condition(when: &str) -> (Vec<Diagnostic>, String) {
    one(&format!("{RULE}[[classification]]\nid = \"r/x\"\nregime = \"r\"\neccn = \"X.1\"\nwhen = \"{when}\"\n"))
}

#[test]
fn bad_thresholds_in_conditions_are_diagnosed() {
    let (d, text) = condition("tpp >= -5");
    assert_eq!(codes(&d), ["bad-number"]);
    assert!(text.contains("negative thresholds are not allowed"), "{text}");
    for when in ["tpp >= 1e999", "tpp >= nan", "tpp >= inf", "tpp >= 1..2", "-5 <= tpp", "tpp >= 5 -"] {
        let (d, text) = condition(when);
        assert!(!d.is_empty() && d.iter().all(Diagnostic::is_error), "`{when}`: {text}");
    }
    // Huge but finite thresholds are fine (and can never hold, which is only a warning).
    let (d, _) = condition("tpp >= 1e300");
    assert!(d.is_empty());
    let (d, _) = condition("tpp < 0");
    assert_eq!(codes(&d), ["never-holds"]);
}

#[test]
fn bad_figures_are_diagnosed() {
    let chip = |fig: &str| one(&format!("[[chip]]\nid = \"c\"\nname = \"c\"\nvendor = \"v\"\n{fig}\n"));
    for fig in [
        "memory_gb = nan",
        "memory_gb = -1",
        "[chip.tpp]\nvalue = inf\nsource = \"s\"",
        "[chip.tpp]\nvalue = -inf\nsource = \"s\"",
        "[chip.die_area_mm2]\nvalue = -600\nsource = \"s\"",
        "[[chip.throughput]]\nprecision = \"fp8\"\ntops = nan\nsource = \"s\"",
        "[[chip.throughput]]\nprecision = \"fp8\"\ntops = -1\nsource = \"s\"",
    ] {
        let (d, text) = chip(fig);
        assert_eq!(codes(&d), ["bad-number"], "{fig}: {text}");
    }
    for fig in ["[chip.tpp]\nvalue = 1e400", "released = 99999999999999999999999", "[chip.tpp]\nvalue = \"big\""] {
        let (d, text) = chip(fig);
        assert_eq!(codes(&d), ["toml"], "{fig}: {text}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let _ = load(vec![("random.toml".into(), text.clone())]);
        let _ = load(vec![("random.toml".into(), format!("{HEADER}{text}"))]);
    }

    #[test]
    fn random_conditions_never_panic(when in "[a-z0-9_:.()<>=!|&*\\- '\\[\\],]{0,60}") {
        let _ = condition(&when.replace('"', ""));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_builtin_files_never_panic(
        which in 0usize..10,
        at in 0usize..4000,
        len in 0usize..40,
        insert in "[a-z0-9 =\\[\\]{}\"'.:,#\\n-]{0,12}",
    ) {
        let mut files = builtin_files();
        let n = files.len();
        let (_, text) = &mut files[which % n];
        let chars: Vec<char> = text.chars().collect();
        let start = at % (chars.len() + 1);
        let end = (start + len).min(chars.len());
        let mutated: String = chars[..start].iter().chain(insert.chars().collect::<Vec<_>>().iter()).chain(chars[end..].iter()).collect();
        *text = mutated;
        let (d, _) = load(files);
        // Whatever the edit did, every diagnostic points into a file that was read.
        for x in &d {
            prop_assert!(!x.message.is_empty());
        }
    }
}

/// A chain of 17,000 set terms (85 KB) aborted every command with a stack overflow: it is a
/// syntax error at the term past the limit, located in the file.
#[test]
fn long_set_chains_are_diagnosed_not_a_stack_overflow() {
    let (d, text) = condition(&format!("destination in {}", vec!["*"; 17_000].join(" | ")));
    assert_eq!(codes(&d), ["syntax"], "{text}");
    assert!(text.contains("set expression has more than 1000 terms"), "{text}");
    assert!(text.contains("robust.toml:16:"), "{text}");
}

/// 24 named sets, each the one before twice, took 9–14 s and 1.5 GB to load (28: abort at
/// 4 GB): each set is expanded once, and the expansion is bounded with a diagnostic.
#[test]
fn exponential_named_sets_are_bounded() {
    let mut sets = String::from("[[set]]\nid = \"S0\"\nexpr = \"*\"\n");
    for i in 1..=28 {
        sets.push_str(&format!("[[set]]\nid = \"S{i}\"\nexpr = \"S{} | S{}\"\n", i - 1, i - 1));
    }
    let rule = |set: &str| {
        format!("{RULE}{sets}[[requirement]]\nid = \"r/x\"\nregime = \"r\"\nkind = \"destination\"\nwhen = \"destination in {set}\"\n")
    };
    let (d, text) = one(&rule("S28"));
    assert_eq!(codes(&d), ["set-too-large"], "{text}");
    assert!(text.contains("set expression expands to more than 4096 terms"), "{text}");
    // Within the bound, a set used many times is fine.
    let (d, text) = one(&rule("S9 | S9 - S9"));
    assert!(d.iter().all(|d| !d.is_error()), "{text}");
}
