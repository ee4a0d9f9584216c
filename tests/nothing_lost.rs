//! Nothing lost, nothing hidden: an interrupted, failed or cut-short run never destroys the
//! previous output, never leaves its temporary files behind, and never exits with the code of a
//! clean answer; each error is said once.

#![cfg(unix)]

use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;

const BIN: &str = env!("CARGO_BIN_EXE_chipgate");

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// An audit to `out` reading from a pipe this test holds open: it runs until the test lets go.
/// Returns once its temporary output file exists, and the pipe to keep it waiting.
fn long_audit(out: &Path) -> (Child, std::process::ChildStdin) {
    let mut child = Command::new(BIN)
        .args(["audit", "-", "-o", s(out), "-q", "--date", "2025-01-01"])
        .env_remove("CHIPGATE_RULES")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    pipe.write_all(b"chip,destination,date\n").unwrap();
    for _ in 0..20_000 {
        pipe.write_all(b"H800,CN,2024-01-15\n").unwrap();
    }
    let dir = out.parent().unwrap();
    let start = Instant::now();
    while !names(dir).iter().any(|n| n.ends_with(".chipgate-tmp")) {
        assert!(start.elapsed() < Duration::from_secs(20), "the audit makes its temporary file");
        std::thread::sleep(Duration::from_millis(10));
    }
    (child, pipe)
}

#[test]
fn an_interrupted_audit_leaves_the_previous_output_and_no_temporary_file() {
    for (name, number) in [("INT", 2), ("TERM", 15), ("HUP", 1)] {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("out.csv");
        std::fs::write(&out, b"the previous, complete audit\n").unwrap();
        let (child, pipe) = long_audit(&out);
        let sent = Command::new("kill").args(["-s", name, &child.id().to_string()]).status().unwrap();
        assert!(sent.success());
        let status = child.wait_with_output().unwrap().status;
        drop(pipe);
        // The process ends as killed by the signal: a shell reports 128 + its number.
        assert_eq!(status.signal(), Some(number), "SIG{name}: {status:?}");
        assert_eq!(std::fs::read(&out).unwrap(), b"the previous, complete audit\n", "SIG{name}");
        assert_eq!(names(d.path()), ["out.csv"], "SIG{name}: no temporary file is left");
    }
}

#[test]
fn after_kill_9_the_previous_output_is_intact_and_the_next_run_removes_the_stale_file() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("out.csv");
    std::fs::write(&out, b"the previous, complete audit\n").unwrap();
    let (mut child, pipe) = long_audit(&out);
    // Another run to the same path meanwhile leaves the live run's file alone (it is locked).
    let other = d.path().join("in.csv");
    std::fs::write(&other, b"chip,destination,date\nH100,DE,2024-05-01\n").unwrap();
    let r = common::chipgate(&["audit", s(&other), "-o", s(&out), "-q"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(names(d.path()).iter().filter(|n| n.ends_with(".chipgate-tmp")).count(), 1, "the live run's file stays");
    std::fs::write(&out, b"the previous, complete audit\n").unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    drop(pipe);
    assert_eq!(std::fs::read(&out).unwrap(), b"the previous, complete audit\n");
    let stale: Vec<String> = names(d.path()).into_iter().filter(|n| n.ends_with(".chipgate-tmp")).collect();
    assert_eq!(stale.len(), 1, "SIGKILL cannot be caught: its file is left");
    let r = common::chipgate(&["audit", s(&other), "-o", s(&out), "-q"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(names(d.path()), ["in.csv", "out.csv"], "the next run removes it");
    assert!(std::fs::read_to_string(&out).unwrap().contains("H100,DE,2024-05-01,3A090.a"));
}

/// A small tmpfs, mounted when the tests run as root and may mount; `None` (and a message)
/// otherwise.
struct SmallDisk(PathBuf, tempfile::TempDir);

impl SmallDisk {
    fn mount() -> Option<SmallDisk> {
        let d = tempfile::tempdir().unwrap();
        let mnt = d.path().join("disk");
        std::fs::create_dir(&mnt).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs", s(&mnt)])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|st| st.success());
        if !ok {
            eprintln!("skipped: the full-disk test needs to mount a small tmpfs (root with CAP_SYS_ADMIN)");
            return None;
        }
        Some(SmallDisk(mnt, d))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_keeps_the_previous_output_and_says_so_once() {
    let Some(disk) = SmallDisk::mount() else { return };
    let input = disk.1.path().join("in.csv");
    let mut text = String::from("chip,destination,date,note\n");
    for i in 0..20_000 {
        text += &format!("H800,CN,2024-01-15,row {i}\n");
    }
    std::fs::write(&input, text).unwrap();
    let out = disk.0.join("out.csv");
    std::fs::write(&out, b"the previous, complete audit\n").unwrap();
    let r = common::chipgate(&["audit", s(&input), "-o", s(&out), "-q"]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr, "error: cannot write the output: No space left on device (os error 28)\n");
    assert_eq!(std::fs::read(&out).unwrap(), b"the previous, complete audit\n");
    assert_eq!(names(&disk.0), ["out.csv"]);
}

#[test]
fn output_cut_short_is_not_a_clean_answer() {
    // A reader that goes away early: the answer is unknown, exit 141 (128 + SIGPIPE), quietly.
    let mut big = String::from("chip,destination,date\n");
    for _ in 0..200_000 {
        big += "H100,DE,2024-05-01\n";
    }
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("big.csv");
    std::fs::write(&f, big).unwrap();
    for args in [vec!["audit", s(&f), "-q"], vec!["check", "H100", "--to", "DE", "--date", "2024-05-01"], vec!["chips"]] {
        let mut child =
            Command::new(BIN).args(&args).env_remove("CHIPGATE_RULES").stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(141), "{args:?}");
        assert!(out.stderr.is_empty(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn a_failed_write_to_standard_output_is_an_error() {
    for args in [&["--help"][..], &["--version"], &["check", "H100", "--to", "CN", "--date", "2024-05-01"], &["rules"]] {
        let out = Command::new(BIN)
            .args(args)
            .env_remove("CHIPGATE_RULES")
            .stdout(std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err, "error: cannot write to standard output: No space left on device (os error 28)\n", "{args:?}");
    }
}

#[test]
fn each_error_is_said_once() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("in.csv");
    std::fs::write(&f, b"chip,origin\nH100,CN\n").unwrap();
    let r = common::chipgate(&["audit", s(&f)]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr.matches("no `destination` column").count(), 1, "{}", r.stderr);
    std::fs::write(&f, b"chip,dest\xffination\nH100,CN\n").unwrap();
    let r = common::run(&["audit", s(&f)], None, None);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(err.matches("not valid UTF-8").count(), 1, "{err}");
    let r = common::chipgate(&["audit", s(&d.path().join("missing.csv"))]);
    assert_eq!(r.stderr.matches("No such file").count(), 1, "{}", r.stderr);
}

#[test]
fn totals_do_not_overflow() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("in.csv");
    std::fs::write(&f, b"chip,destination,quantity\nH100,CN,18446744073709551615\nH100,CN,18446744073709551615\nH100,CN,5\n").unwrap();
    let j = d.path().join("summary.json");
    let r = common::chipgate(&["audit", s(&f), "-q", "--date", "2025-01-01", "--summary-json", s(&j)]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let text = std::fs::read_to_string(&j).unwrap();
    assert!(text.contains("\"units\": 36893488147419103235"), "{text}");
    let r = common::chipgate(&["audit", s(&f), "--date", "2025-01-01"]);
    assert!(r.stderr.contains("36893488147419103235"), "{}", r.stderr);
}

#[test]
fn dates_that_cannot_be_meant_are_errors() {
    for bad in ["0024-06-01", "-009999-01-01", "2200-01-01", "1899-12-31"] {
        let r = common::chipgate(&["check", "H100", "--to", "CN", &format!("--date={bad}")]);
        assert_eq!(r.code, 2, "{bad}");
        assert_eq!(r.stderr, format!("error: implausible date `{bad}`: years 1900 to 2199 are accepted\n"));
    }
    let r = common::run(&["audit", "-", "--date", "2025-01-01"], None, Some(b"chip,destination,date\nH100,CN,0024-06-01\n"));
    let out = String::from_utf8(r.stdout).unwrap();
    assert!(out.contains(",error,,\"row 1, column date: implausible date `0024-06-01`"), "{out}");
}

#[test]
fn an_audited_file_is_not_audited_again_into_duplicate_columns() {
    let r = common::chipgate(&["audit", "examples/shipments.audit.csv", "--date", "2025-01-01"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "error: the input already has the audit columns (eccn, license_required, exceptions, review_policy, verdict, reasons, \
         error): it is the output of an audit; audit the original file, or remove those columns first\n"
    );
    let r = common::run(&["audit", "-"], None, Some(b"chip,destination,Verdict\nH100,CN,ok\n"));
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("a column `Verdict`, which the audit adds"));
    // An ERP's own ECCN column passes through.
    let r = common::run(&["audit", "-", "--date", "2025-01-01"], None, Some(b"chip,destination,eccn\nH100,CN,3A090.a\n"));
    assert_eq!(r.status.code(), Some(1));
}

#[test]
fn cells_that_spreadsheets_run_are_neutralised_and_pack_ids_cannot_be_formulas() {
    let input =
        b"chip,destination,note\nH100,DE,\"=cmd|'/c calc'!A1\"\nH100,DE,@SUM(A1)\nH100,DE,+1\nH100,DE,-5\nH100,DE,\"\tx\"\nH100,DE,fine\n";
    let r = common::run(&["audit", "-", "-q", "--date", "2025-01-01", "--excel-safe"], None, Some(input));
    let out = String::from_utf8(r.stdout).unwrap();
    let notes: Vec<String> = csv::Reader::from_reader(out.as_bytes()).records().map(|r| r.unwrap()[2].to_string()).collect();
    assert_eq!(notes, ["'=cmd|'/c calc'!A1", "'@SUM(A1)", "'+1", "'-5", "'\tx", "fine"]);
    // Without the flag every input byte passes through.
    let r = common::run(&["audit", "-", "-q", "--date", "2025-01-01"], None, Some(input));
    assert!(String::from_utf8(r.stdout).unwrap().contains("H100,DE,\"=cmd|'/c calc'!A1\",3A090.a"));
    let r = common::run(&["audit", "-", "--excel-safe", "--format", "jsonl"], None, Some(input));
    assert_eq!(r.status.code(), Some(2));

    let d = tempfile::tempdir().unwrap();
    let pack = "[pack]\nname = \"p\"\nversion = \"1.0.0\"\n\n[[regime]]\nid = \"acme\"\ntitle = \"t\"\ncitation = { document = \"x\" }\n\
                effective = 2025-01-01\n\n[[requirement]]\nid = \"=HYPERLINK(\\\"http://x\\\")\"\nregime = \"acme\"\nkind = \"destination\"\n\
                when = \"destination in DE\"\n";
    std::fs::write(d.path().join("pack.toml"), pack).unwrap();
    let r = common::chipgate(&["rules", "validate", s(d.path())]);
    assert_eq!(r.code, 2);
    let all = r.stdout + &r.stderr;
    assert!(all.contains("error[formula-like-id]: rule id `=HYPERLINK(\"http://x\")` starts like a spreadsheet formula"), "{all}");
    assert!(all.contains("pack.toml:12:6"), "located: {all}");
}
