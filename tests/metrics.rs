//! The metric table is the one place a chip's figures are named: the command line's flags, the
//! audit's spec columns, the rule language and the docs all follow it, and a figure given as a
//! flag or as an audit column gives the same answer.

mod common;

use chipgate::audit::Field;
use chipgate::chip::{Flag, Metric};
use common::chipgate;

#[test]
fn every_metric_a_user_can_give_is_a_flag_of_check_with_the_tables_words() {
    let help = chipgate(&["check", "--help"]);
    assert_eq!(help.code, 0);
    for m in Metric::given() {
        let about = m.about();
        let flag = about.flag().unwrap();
        let line = format!("{flag} <{}>", about.value_name);
        assert!(help.stdout.contains(&line), "`{line}` not in check --help:\n{}", help.stdout);
        assert!(help.stdout.contains(about.description.trim_end_matches('.')), "{flag}: description missing");
    }
    // A metric read from the catalog only is no flag.
    assert!(!help.stdout.contains("--memory-gb") && !help.stdout.contains("--tdp"));
}

#[test]
fn every_spec_column_is_a_metric_or_a_flag_and_the_docs_list_them() {
    let specs: Vec<&str> = Field::specs().map(Field::name).collect();
    // Written out: the columns an audit file can describe a chip with, as users name them.
    let expected = [
        "tpp",
        "pd",
        "die_area_mm2",
        "interconnect_gbps",
        "memory_bandwidth_gbps",
        "memory_bandwidth_density",
        "node_nm",
        "transistors_billion",
        "hbm_stacks",
        "datacenter",
        "hbm",
    ];
    assert_eq!(specs, expected);
    assert!(specs.iter().all(|s| Metric::parse(s).is_some() || Flag::parse(s).is_some()), "each is a metric or a flag");
    let auditing = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/auditing.md")).unwrap();
    for name in specs {
        assert!(auditing.contains(&format!("`{name}`")), "docs/auditing.md does not list the spec column `{name}`");
    }
    let language = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/rule-packs.md")).unwrap();
    for m in Metric::ALL {
        assert!(language.contains(&format!("`{}`", m.name())), "docs/rule-packs.md does not name the metric `{}`", m.name());
    }
}

#[test]
fn a_figure_given_as_a_column_answers_as_the_same_figure_given_as_a_flag() {
    // Each metric a user can give, alone with the HBM flag, as an audit column and as a flag.
    for m in Metric::given() {
        let flag = m.about().flag().unwrap();
        for value in ["1.5", "3", "6000"] {
            let check = chipgate(&["check", "--hbm", &flag, value, "--to", "CN", "--date", "2025-01-15", "--format", "json"]);
            assert!(check.code <= 1, "{flag} {value}: {}", check.stderr);
            let v: serde_json::Value = serde_json::from_str(&check.stdout).unwrap();
            let csv = format!("destination,date,hbm,{}\nCN,2025-01-15,yes,{value}\n", m.name());
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("rows.csv");
            std::fs::write(&path, csv).unwrap();
            let audit = chipgate(&["audit", path.to_str().unwrap(), "--format", "jsonl"]);
            assert!(audit.code <= 1, "{}: {}", m.name(), audit.stderr);
            let row: serde_json::Value = serde_json::from_str(audit.stdout.lines().next().unwrap()).unwrap();
            assert_eq!(row["verdict"], v["verdict"], "{}={value}: audit {row} vs check", m.name());
            assert_eq!(row["eccn"], v["eccn"], "{}={value}", m.name());
        }
    }
}
