//! Human output on a terminal: tables laid out to the width (`COLUMNS` in a pipe) without
//! splitting a rule id or an address, colour as `--color` and `NO_COLOR` say, and `diff`'s
//! summary with the first rows.

mod common;

use serde_json::Value;

use common::{chipgate, chipgate_env};

fn at_80(args: &[&str]) -> String {
    let r = chipgate_env(args, &[("COLUMNS", "80")]);
    assert!(r.code == 0 || r.code == 1, "{args:?}\n{}", r.stderr);
    r.stdout
}

fn json(args: &[&str]) -> Value {
    let r = chipgate(&[args, &["--format", "json"]].concat());
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}\n{}", r.stderr))
}

/// Every line fits 80 columns, but for a line that is one address alone (an address is never
/// split, however long).
fn fits_80(args: &[&str], out: &str) {
    for line in out.lines() {
        let alone = line.split_whitespace().last().is_some_and(|w| w.contains("://")) && line.split_whitespace().count() <= 2;
        assert!(line.chars().count() <= 80 || alone, "{args:?}: a line of {} columns:\n{line}\n\n{out}", line.chars().count());
    }
}

fn whole(args: &[&str], out: &str, words: impl IntoIterator<Item = String>) {
    for w in words {
        assert!(out.contains(&w), "{args:?}: `{w}` is not whole in\n{out}");
    }
}

fn urls(s: &str) -> Vec<String> {
    s.split(['<', '>', ' ', '(', ')', ';']).filter(|w| w.starts_with("http")).map(|w| w.trim_end_matches([',', '.']).to_string()).collect()
}

#[test]
fn a_check_at_80_columns_splits_no_rule_id_and_no_address() {
    for args in [
        &["check", "H100", "--to", "CN", "--date", "2026-06-01", "--trace"][..],
        &["check", "A800", "--to", "NL", "--date", "2022-12-01"],
        &["check", "H20", "--to", "CN", "--date", "2025-06-01", "--end-user", "Huawei Technologies"],
    ] {
        let out = at_80(args);
        fits_80(args, &out);
        let v = json(args);
        let list = |k: &str, f: &str| v[k].as_array().unwrap().iter().map(|x| x[f].as_str().unwrap().to_string()).collect::<Vec<_>>();
        whole(args, &out, list("reasons", "id"));
        whole(args, &out, list("margins", "rule"));
        if args.contains(&"--trace") {
            whole(args, &out, list("trace", "rule"));
        }
        let mut addresses: Vec<String> =
            v["reasons"].as_array().unwrap().iter().filter_map(|r| r["citation"]["url"].as_str().map(String::from)).collect();
        for m in v["metrics"].as_object().unwrap().values() {
            addresses.extend(m["derivation"].as_str().map(urls).unwrap_or_default());
        }
        assert!(!addresses.is_empty(), "{args:?}");
        whole(args, &out, addresses);
    }
}

#[test]
fn the_views_at_80_columns_split_no_rule_id() {
    // A view, the member of its JSON that lists the changes, and the member of each that lists
    // the rules.
    let views: [(&[&str], &str, &str); 2] = [
        (&["timeline", "A800", "--to", "CN"], "periods", "changed_by"),
        (&["diff", "--from", "2023-01-01", "--until", "2024-01-01", "--destinations", "CN,AE", "--all"], "rows", "responsible"),
    ];
    for (args, items, changes) in views {
        let out = at_80(args);
        fits_80(args, &out);
        let v = json(args);
        let ids = v[items]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p[changes].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()));
        whole(args, &out, ids.collect::<Vec<_>>());
    }

    for args in [&["chips"][..], &["chips", "show", "H100"], &["rules"]] {
        fits_80(args, &at_80(args));
    }
}

#[test]
fn colour_is_as_the_flag_and_no_color_say() {
    let args = ["check", "H100", "--to", "CN", "--date", "2026-06-01"];
    let always = chipgate_env(&[&args[..], &["--color", "always"]].concat(), &[]);
    let verdict = always.stdout.lines().find(|l| l.contains("LICENSE REQUIRED")).unwrap();
    assert!(verdict.contains("\x1b[38;5;1m"), "red: {verdict:?}");
    // Into a pipe, `auto` does not colour; `never` never does; NO_COLOR is set by the harness.
    for extra in [&[][..], &["--color", "never"], &["--color", "auto"]] {
        let r = chipgate_env(&[&args[..], extra].concat(), &[]);
        assert!(!r.stdout.contains('\x1b'), "{extra:?}: {}", r.stdout);
    }
    let unset = chipgate_env(&args, &[("NO_COLOR", "")]);
    assert!(!unset.stdout.contains('\x1b'), "a pipe is not a terminal: {}", unset.stdout);
    // The short answer and a warning on standard error.
    let short = chipgate_env(&[&args[..], &["--short", "--color", "always"]].concat(), &[]);
    assert!(short.stdout.contains("\x1b[") && short.stdout.contains("LICENSE REQUIRED"), "{}", short.stdout);
    let warned = chipgate_env(&["--color", "always", "diff", "--from", "2023-06-01", "--to", "2024-01-15", "--destinations", "CN"], &[]);
    assert!(warned.stderr.contains("\x1b[") && warned.stderr.contains("warning"), "{}", warned.stderr);
    // Machine formats never.
    let j = chipgate_env(&[&args[..], &["--format", "json", "--color", "always"]].concat(), &[]);
    assert!(!j.stdout.contains('\x1b'), "{}", j.stdout);
    let bad = chipgate(&[&args[..], &["--color", "sometimes"]].concat());
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("possible values: auto, always, never"), "{}", bad.stderr);
}

#[test]
fn diff_prints_a_summary_and_the_first_rows_and_all_with_all() {
    let args = ["diff", "--from", "2023-01-01", "--until", "2024-01-01"];
    let v = json(&args);
    let n = v["rows"].as_array().unwrap().len();
    assert!(n > 100, "{n}");
    // A row's first line: its second cell is a destination's code.
    let rows = |out: &str| {
        let code = |c: &str| c.trim().len() == 2 && c.trim().chars().all(|x| x.is_ascii_uppercase());
        out.lines().filter(|l| l.split('┆').nth(1).is_some_and(code)).count()
    };

    let out = chipgate(&args).stdout;
    assert!(out.contains("│ Before") && out.contains("┆ Pairs"), "{out}");
    assert!(out.contains(&format!("… and {} more rows: --all prints every one", n - 20)), "{out}");
    // The summary's pairs add up to the rows that differ.
    let summary: usize = out
        .lines()
        .take_while(|l| !l.contains("┆ Responsible"))
        .filter_map(|l| l.trim_end_matches('│').rsplit('┆').next()?.trim().parse::<usize>().ok())
        .sum();
    assert_eq!(summary, n, "{out}");
    assert_eq!(rows(&out), 20, "{out}");

    let all = chipgate(&[&args[..], &["--all"]].concat()).stdout;
    assert!(!all.contains("more rows"), "{all}");
    assert_eq!(rows(&all), n, "{all}");
    for r in v["rows"].as_array().unwrap() {
        let line = format!("┆ {} ", r["destination"]["code"].as_str().unwrap());
        assert!(all.contains(&line), "{line}");
    }
}
