//! `--parties FILE`: the Consolidated Screening List as downloaded (CSV or JSON), screened as
//! the built-in Entity List entries are, in `check` and `audit`, dated by each entry's start and
//! end dates; its sources that no party list takes are said, not screened; bad files are errors
//! naming the row and the column. The fixture `tests/fixtures/csl/csl-sample.*` holds fictitious
//! entries in the list's own columns.

mod common;

use serde_json::Value;

use common::chipgate;

const CSV: &str = "tests/fixtures/csl/csl-sample.csv";
const JSON: &str = "tests/fixtures/csl/csl-sample.json";

fn check(file: &str, end_user: &str, date: &str) -> (i32, Value, String) {
    let r = chipgate(&["--parties", file, "check", "T4", "--to", "SG", "--date", date, "--end-user", end_user, "--format", "json"]);
    let v: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}\n{}\n{}", r.stdout, r.stderr));
    (r.code, v, r.stderr)
}

fn reasons(v: &Value) -> Vec<String> {
    v["reasons"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect()
}

#[test]
fn a_listed_name_or_alias_needs_a_license_from_the_entry_start_date() {
    for file in [CSV, JSON] {
        // A T4 to Singapore needs no license under the 3A090 rules; the entry makes it need one.
        let (code, v, stderr) = check(file, "EXAMPLE ADVANCED COMPUTING CO LTD", "2026-06-01");
        assert_eq!((code, v["verdict"].as_str()), (1, Some("license_required")), "{file}: {v}");
        assert_eq!(v["review_policy"]["policy"], "presumption_of_denial", "{file}");
        assert!(reasons(&v).contains(&"ear-744/entity-list".to_string()), "{file}: {:?}", reasons(&v));
        let hit = &v["screening"][0]["hits"][0];
        assert_eq!(hit["entry"], "csl/90001", "{file}: {hit}");
        assert_eq!(hit["decided"], true);
        assert!(hit["citation"]["document"].as_str().unwrap().starts_with("00 FR 00001"), "{hit}");
        assert!(stderr.contains("1 of Specially Designated Nationals (SDN) - Treasury Department"), "{file}: {stderr}");
        // Provenance: the file is among the packs of the answer.
        assert!(v["packs"].as_array().unwrap().iter().any(|p| p["name"] == "screening-list" && p["location"] == file), "{}", v["packs"]);

        let (code, v, _) = check(file, "EAC Shenzhen", "2026-06-01");
        assert_eq!((code, v["screening"][0]["hits"][0]["matched"].as_str()), (1, Some("EAC Shenzhen")), "{file}: {v}");
        let (code, v, _) = check(file, "Example Computing Research Institute", "2026-06-01");
        assert_eq!(code, 1, "{file}: the last alias, after `and`: {v}");

        // Before the entry's start date, and after an entry's end date: not listed.
        let (code, v, _) = check(file, "Sample Supercomputing Center", "2026-09-30");
        assert_eq!((code, v["verdict"].as_str()), (0, Some("no_license_required")), "{file}: {v}");
        let (code, v, _) = check(file, "Sample Supercomputing Center", "2026-10-01");
        assert_eq!((code, v["review_policy"]["policy"].as_str()), (1, Some("case_by_case")), "{file}: {v}");
        let (code, _, _) = check(file, "Removed Example Trading", "2022-06-01");
        assert_eq!(code, 1, "{file}");
        let (code, _, _) = check(file, "Removed Example Trading", "2023-03-01");
        assert_eq!(code, 0, "{file}");

        // A near miss is a possible match: indeterminate, naming the entry.
        let (code, v, _) = check(file, "Exampel Advanced Computing", "2026-06-01");
        assert_eq!(v["verdict"], "indeterminate", "{file}: {v}");
        assert_eq!(code, 1, "{file}: anything but clear exits 1");
        assert!(v["missing"][0].as_str().unwrap().contains("Example Advanced Computing Co., Ltd."), "{}", v["missing"]);

        // Its human answer says what is open, first: the party, not the tests that fail.
        let r =
            chipgate(&["--parties", file, "check", "T4", "--to", "SG", "--date", "2026-06-01", "--end-user", "Exampel Advanced Computing"]);
        let why = r.stdout.split("Why not settled:").nth(1).unwrap_or_else(|| panic!("{}", r.stdout));
        let first_row = why.lines().find(|l| l.starts_with("│ ") && !l.contains("Rule")).unwrap();
        assert!(first_row.contains("ear-744/entity-list") && first_row.contains("unknown:"), "{why}");

        // The other sources are not screened: an SDN name is not an Entity List party.
        let (code, _, _) = check(file, "Example Shipping Line", "2026-06-01");
        assert_eq!(code, 0, "{file}");
    }
}

#[test]
fn the_built_in_entries_still_answer_beside_the_file() {
    let (code, v, _) = check(CSV, "Huawei Technologies Co., Ltd.", "2026-06-01");
    assert_eq!(code, 1);
    assert_eq!(v["screening"][0]["hits"][0]["entry"], "entity-list/huawei-technologies");
}

#[test]
fn an_audit_screens_its_end_users_against_the_file_as_check_does() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("ship.csv");
    std::fs::write(
        &input,
        "chip,destination,date,end_user\nT4,SG,2026-06-01,EAC Shenzhen\nT4,SG,2026-06-01,Acme Servers\nT4,SG,2026-09-01,Sample Supercomputing Center\nT4,SG,2026-11-01,Sample Supercomputing Center\nT4,SG,2026-06-01,EXAMPLE ADVANCED COMPUTING CO LTD\n",
    )
    .unwrap();
    let input = input.to_str().unwrap();
    let r = chipgate(&["--parties", CSV, "audit", input, "--format", "jsonl", "-q"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let rows: Vec<Value> = r.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let verdicts: Vec<&str> = rows.iter().map(|v| v["verdict"].as_str().unwrap()).collect();
    assert_eq!(
        verdicts,
        ["license_required", "no_license_required", "no_license_required", "license_required", "license_required"],
        "{}",
        r.stdout
    );
    // Each JSON row carries its own screening, as `check` gives it: the name the row gave, the
    // entry it matched (two rows naming one entry two ways share a decision, not a name).
    for v in &rows {
        let given = v["input"]["end_user"].as_str().unwrap();
        assert_eq!(v["screening"][0]["name"], given, "{v}");
    }
    assert_eq!(rows[0]["screening"][0]["hits"][0]["entry"], "csl/90001");
    assert_eq!(rows[4]["screening"][0]["hits"][0]["entry"], "csl/90001");
    assert_eq!(rows[1]["screening"][0]["hits"], serde_json::json!([]));
}

#[test]
fn bad_files_are_errors_naming_the_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    // A screening list of `text` fails a check, saying `what` once.
    let fails = |file: &str, text: Option<&str>, what: &str| {
        let path = dir.path().join(file);
        if let Some(t) = text {
            std::fs::write(&path, t).unwrap();
        }
        let shown = if text.is_some() { path.to_str().unwrap() } else { file };
        let r = chipgate(&["--parties", shown, "check", "T4", "--to", "SG"]);
        assert_eq!(r.code, 2, "{file}: {}", r.stderr);
        assert!(r.stderr.contains(what), "{file}: {}", r.stderr);
        assert_eq!(r.stderr.matches("error:").count(), 1, "{file}: said once: {}", r.stderr);
    };
    let bad_date = std::fs::read_to_string(CSV).unwrap().replace("2026-10-01", "2026-13-01");
    fails("bad-date.csv", Some(&bad_date), "row 3, column `start_date`: `2026-13-01` is not a date");
    fails("no-name.csv", Some("source,title\nEL,x\n"), "no `name` column");
    fails(
        "other.csv",
        Some("source,name\nSpecially Designated Nationals (SDN) - Treasury Department,Example Shipping Line\n"),
        "no party list of the loaded rule packs takes the sources of this file",
    );
    fails("no/such/list.csv", None, "cannot read the screening list `no/such/list.csv`");
    fails("bad.json", Some("{\"results\": 3}"), "not the screening list's JSON");
}

/// The index finds what a scan of every name finds: checked on the built-in entries, the
/// fixture's and 400 generated ones, against names near and far, and 600 generated ones (each
/// a listed name with one to four characters inserted, deleted or changed, or another).
#[test]
fn screening_through_the_index_finds_every_entry_a_scan_finds() {
    let mut g = common::Lcg(42);
    let syllables = ["zhong", "hua", "tian", "xin", "long", "an", "a", "bo", "sheng", "x", "tai", "mi"];
    let word = |g: &mut common::Lcg| (0..1 + g.next() % 3).map(|_| syllables[(g.next() % 12) as usize]).collect::<String>();
    let mut listed = Vec::new();
    let mut csv = String::from("source,name,alt_names,start_date\n");
    for i in 0..400 {
        let name = match i % 4 {
            0 => word(&mut g),
            1 => format!("{} {}", word(&mut g), word(&mut g)),
            _ => format!("{} {} Technology Co., Ltd.", word(&mut g), word(&mut g)),
        };
        csv += &format!("EL,\"{name}\",,2020-01-01\n");
        listed.push(name);
    }
    let dir = tempfile::tempdir().unwrap();
    let generated = dir.path().join("generated.csv");
    std::fs::write(&generated, csv).unwrap();
    let mut rs = chipgate::compiled_builtin().unwrap();
    chipgate::parties::csl::load(&mut rs, std::path::Path::new(CSV)).unwrap();
    chipgate::parties::csl::load(&mut rs, &generated).unwrap();
    let mut queries: Vec<String> = Vec::new();
    for _ in 0..600 {
        let mut chars: Vec<char> = listed[(g.next() % 400) as usize].chars().collect();
        for _ in 0..1 + g.next() % 4 {
            let at = (g.next() as usize) % (chars.len() + 1);
            let c = char::from(b'a' + (g.next() % 26) as u8);
            match g.next() % 3 {
                0 => chars.insert(at, c),
                1 if at < chars.len() => {
                    chars.remove(at);
                }
                _ if at < chars.len() => chars[at] = c,
                _ => chars.push(c),
            }
        }
        queries.push(chars.into_iter().collect());
    }
    let fixed = [
        "Huawei Technologies",
        "Huawei Technolgies Co",
        "Huawei Technologies Shenzhen Branch",
        "Semiconductor Manufacturing International",
        "SMIC",
        "Example AC",
        "Exampel Advanced Computing",
        "Advanced Example Computing Limited",
        "Sample Supercomputing Centre",
        "Nobody In Particular",
        "X",
    ];
    // The built-in entries alone are few enough to be compared without the index (but for
    // the names out of reach by length): the same holds there.
    let builtin = chipgate::compiled_builtin().unwrap();
    let near_builtin: Vec<String> = builtin
        .parties
        .iter()
        .flat_map(|p| p.names().map(str::to_string))
        .flat_map(|n| {
            let chars: Vec<char> = n.chars().collect();
            let half = chars.len() / 2;
            let cut: String = chars[..chars.len().saturating_sub(3)].iter().collect();
            let inserted: String = chars[..half].iter().chain(['x', 'q'].iter()).chain(&chars[half..]).collect();
            let first = n.split_whitespace().next().unwrap_or_default().to_string();
            [format!("{n} Shenzhen Branch"), cut, inserted, first, n]
        })
        .collect();
    let queries: Vec<String> = fixed.iter().map(|s| s.to_string()).chain(queries).collect();
    for rs in [&rs, &builtin] {
        for n in queries.iter().chain(&near_builtin) {
            let n = n.as_str();
            let given = chipgate::parties::Key::of(n);
            let mut scan = Vec::new();
            for (i, p) in rs.parties.iter().enumerate() {
                let floor = rs.party_lists[p.list].possible_score;
                let best = p.keys.iter().map(|k| chipgate::parties::score(&given, k)).fold(0.0, f64::max);
                if best >= floor && best > 0.0 {
                    scan.push(i);
                }
            }
            let indexed: Vec<usize> = rs.candidates(n).iter().map(|c| c.entry()).collect();
            assert_eq!(indexed, scan, "{n}");
        }
    }
}

/// An entry's license requirement, as worded in the file, is read by the Entity List's reading
/// in the pack (`[party_list.requirement]`): all items, or all items but technology or food and
/// medicine, reach a chip; an exception the reading does not settle (EAR99 items), or no
/// wording at all, leaves the answer indeterminate with the wording shown. `check` and `audit`
/// agree.
#[test]
fn an_entry_whose_wording_may_leave_the_item_out_is_indeterminate_with_its_wording() {
    const WORDING: &str = "tests/fixtures/csl/csl-wording.csv";
    let cases = [
        ("Alpha Widgets Co", "license_required", None),
        ("Beta Gadgets Co", "license_required", None),
        ("Epsilon Boards Co", "license_required", None),
        ("Gamma Parts Co", "indeterminate", Some("other than EAR99")),
        ("Delta Chips Co", "indeterminate", Some("none given in the screening list")),
    ];
    let mut csv = String::from("chip,destination,date,end_user\n");
    for (name, verdict, wording) in cases {
        let (_, v, _) = check(WORDING, name, "2024-01-01");
        assert_eq!(v["verdict"], verdict, "{name}: {v}");
        let missing: Vec<&str> = v["missing"].as_array().map(|m| m.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
        match wording {
            Some(w) => {
                assert_eq!(missing.len(), 1, "{name}: {missing:?}");
                assert!(missing[0].contains(&format!("entry `{name}`")) && missing[0].contains(w), "{name}: {missing:?}");
            }
            None => assert!(missing.is_empty(), "{name}: {missing:?}"),
        }
        csv.push_str(&format!("T4,SG,2024-01-01,{name}\n"));
    }
    let out = common::run(&["--parties", WORDING, "audit", "-", "-q", "--format", "jsonl"], None, Some(csv.as_bytes()));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let verdicts: Vec<String> =
        stdout.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()["verdict"].as_str().unwrap().to_string()).collect();
    assert_eq!(verdicts, cases.map(|c| c.1.to_string()), "{}", String::from_utf8_lossy(&out.stderr));
    // A 3A090 item to China needs its license whatever the wording says.
    let r =
        chipgate(&["--parties", WORDING, "check", "H100", "--to", "CN", "--date", "2024-01-01", "--end-user", "Gamma Parts Co", "--short"]);
    assert!(r.stdout.contains("LICENSE REQUIRED"), "{}", r.stdout);
}
