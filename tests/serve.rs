//! `chipgate serve` as a real server on loopback, asked over HTTP: every table-driven case in
//! tests/cases answers as `chipgate check --format json` does (one harness runs both), errors
//! are RFC 9457 problem documents naming the parameter with the command line's message, the
//! limits hold, a reload keeps the rules in use when the new ones fail, SIGHUP reloads, and
//! SIGTERM stops the server after the requests in flight.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

mod common;

/// A running `chipgate serve`, killed when dropped.
struct Server {
    child: Child,
    base: String,
    /// Everything it wrote on stderr after the line that gave its address.
    log: Arc<Mutex<String>>,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let mut c = Command::new(env!("CARGO_BIN_EXE_chipgate"));
        c.arg("serve").args(["--addr", "127.0.0.1:0"]).args(args).env_remove("CHIPGATE_RULES");
        let mut child = c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("chipgate serve starts");
        let mut stderr = BufReader::new(child.stderr.take().expect("stderr is piped"));
        let mut first = String::new();
        stderr.read_line(&mut first).expect("the server says where it listens");
        let addr =
            first.split("http://").nth(1).and_then(|s| s.split_whitespace().next()).unwrap_or_else(|| panic!("no address in {first:?}"));
        let base = format!("http://{addr}");
        let log = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            let mut rest = String::new();
            for line in stderr.lines().map_while(Result::ok) {
                rest = line + "\n";
                sink.lock().unwrap().push_str(&rest);
            }
            drop(rest);
        });
        Server { child, base, log }
    }

    /// A request with headers and an optional body; the response whatever its status.
    fn call(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> ureq::Response {
        let mut req = ureq::request(method, &format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.set(k, v);
        }
        let got = match body {
            Some(b) => req.send_bytes(b),
            None => req.call(),
        };
        match got {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {path}: {e}"),
        }
    }

    fn request(&self, method: &str, path: &str, body: Option<&str>) -> (u16, String, String) {
        let resp = self.call(method, path, &[("Content-Type", "application/json")], body.map(str::as_bytes));
        let (status, kind) = (resp.status(), resp.content_type().to_string());
        let mut text = String::new();
        resp.into_reader().read_to_string(&mut text).unwrap();
        (status, kind, text)
    }

    fn json(&self, method: &str, path: &str, body: Option<&str>) -> (u16, String, Value) {
        let (status, kind, text) = self.request(method, path, body);
        (status, kind, serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method} {path}: {e}: {text}")))
    }

    fn signal(&self, sig: i32) {
        // SAFETY: kill(2) on the child's pid, which is still ours (it has not been waited for).
        let r = unsafe { libc::kill(self.child.id() as i32, sig) };
        assert_eq!(r, 0, "the signal is sent");
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A case of tests/cases as the parameters of a check, and as `chipgate check` flags.
fn case_request(case: &toml::Table) -> (Value, Vec<String>) {
    let text = |v: &toml::Value| match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    // (parameter, value, flags)
    let mut given: Vec<(&str, Value, Vec<String>)> = Vec::new();
    for (key, v) in case {
        let number = || v.as_float().or_else(|| v.as_integer().map(|i| i as f64)).unwrap();
        let (name, value, flags) = match key.as_str() {
            "chip" => ("chip", json!(text(v)), vec![text(v)]),
            "based_on" | "to" | "date" | "end_user_hq" | "exporter" | "ship_from" | "end_user" | "consignee" | "exporter_role" => {
                (key.as_str(), json!(text(v)), vec![format!("--{}", key.replace('_', "-")), text(v)])
            }
            // One owners text (`NAME=PERCENT; …` or `none`), given once.
            "end_user_owners" | "consignee_owners" => {
                let name = key.trim_end_matches('s');
                (name, json!([text(v)]), vec![format!("--{}", name.replace('_', "-")), text(v)])
            }
            "tpp" | "pd" => (key.as_str(), json!(number()), vec![format!("--{key}"), number().to_string()]),
            "die_area_mm2" => ("die_area", json!(number()), vec!["--die-area".into(), number().to_string()]),
            "interconnect_gbps" => ("interconnect", json!(number()), vec!["--interconnect".into(), number().to_string()]),
            "memory_bandwidth_gbps" => ("memory_bandwidth", json!(number()), vec!["--memory-bandwidth".into(), number().to_string()]),
            "memory_bandwidth_density" => {
                ("memory_bandwidth_density", json!(number()), vec!["--memory-bandwidth-density".into(), number().to_string()])
            }
            "node_nm" => ("node", json!(number()), vec!["--node".into(), number().to_string()]),
            "transistors_billion" => ("transistors", json!(number()), vec!["--transistors".into(), number().to_string()]),
            "hbm_stacks" => ("hbm_stacks", json!(number()), vec!["--hbm-stacks".into(), number().to_string()]),
            "datacenter" | "hbm" => {
                let name = if key == "datacenter" && v.as_bool() == Some(false) { "consumer" } else { key.as_str() };
                (name, json!(true), vec![format!("--{name}")])
            }
            "item" => ("item", json!(text(v)), vec!["--item".into(), text(v)]),
            "contains" | "described_in" | "attested_by" => {
                let list: Vec<String> = v.as_array().unwrap().iter().map(text).collect();
                let flag = format!("--{}", key.replace('_', "-"));
                let flags = list.iter().flat_map(|t| [flag.clone(), t.clone()]).collect();
                (key.as_str(), json!(list), flags)
            }
            "throughput" => {
                let list: Vec<String> = match v {
                    toml::Value::Table(t) => t.iter().map(|(p, tops)| format!("{p}={}", text(tops))).collect(),
                    toml::Value::Array(a) => a.iter().map(text).collect(),
                    other => panic!("throughput {other}"),
                };
                let flags = list.iter().flat_map(|t| ["--throughput".to_string(), t.clone()]).collect();
                ("throughput", json!(list), flags)
            }
            _ => continue, // the name and the expectations
        };
        given.push((name, value, flags));
    }
    // The chip's name is the command's first argument.
    given.sort_by_key(|(name, _, _)| *name != "chip");
    let flags = given.iter().flat_map(|(_, _, f)| f.clone()).collect();
    let req = given.into_iter().map(|(name, v, _)| (name.to_string(), v)).collect::<serde_json::Map<_, _>>();
    (Value::Object(req), flags)
}

/// The command line's answer for the same flags, with the one wording that differs (where the
/// figures were given) put as the service says it.
fn cli_answer(flags: &[String]) -> Value {
    let mut args: Vec<&str> = vec!["check"];
    args.extend(flags.iter().map(String::as_str));
    cli_json(&args).1
}

/// Runs the command line with `--format json`: whether it exited 0 (a check exits 1 when a
/// license is required), and its document with the service's wording of where figures were given.
fn cli_json(args: &[&str]) -> (bool, Value) {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let out = common::run(&all, None, None);
    let text = String::from_utf8(out.stdout).unwrap().replace("given on the command line", "given in the request");
    let doc = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{all:?}: {e}: {text}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.success(), doc)
}

#[test]
fn every_case_answers_over_http_as_the_command_line_does() {
    let server = Server::start(&["--quiet"]);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut files: Vec<_> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "toml")).collect();
    files.sort();
    let mut cases = Vec::new();
    for f in &files {
        let doc: toml::Table = std::fs::read_to_string(f).unwrap().parse().unwrap();
        for c in doc["case"].as_array().unwrap() {
            let c = c.as_table().unwrap();
            cases.push((format!("{} / {}", f.file_name().unwrap().to_string_lossy(), c["name"].as_str().unwrap()), case_request(c)));
        }
    }
    assert!(cases.len() > 300, "{} cases", cases.len());
    let batch: Vec<&Value> = cases.iter().map(|(_, (r, _))| r).collect();
    let (status, _, answers) = server.json("POST", "/v1/check/batch", Some(&serde_json::to_string(&batch).unwrap()));
    assert_eq!(status, 200);
    let answers = answers.as_array().unwrap().clone();
    assert_eq!(answers.len(), cases.len());
    // The command line, two at a time.
    let mut bad = Vec::new();
    let chunks: Vec<_> = cases.iter().zip(&answers).collect();
    let results: Vec<Vec<String>> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .chunks(chunks.len().div_ceil(2))
            .map(|part| {
                s.spawn(move || {
                    let mut bad = Vec::new();
                    for ((name, (_, flags)), api) in part {
                        let cli = cli_answer(flags);
                        if &cli != *api {
                            bad.push(format!("{name}: the service says\n{api}\nthe command line\n{cli}"));
                        }
                    }
                    bad
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    bad.extend(results.into_iter().flatten());
    assert!(
        bad.is_empty(),
        "{} of {} cases differ:\n{}",
        bad.len(),
        cases.len(),
        bad.iter().take(3).cloned().collect::<Vec<_>>().join("\n")
    );
    // A check in the query string is the same check.
    let (status, _, get) = server.json("GET", "/v1/check?chip=H800&to=China&date=2024-01-15&end_user_hq=CN", None);
    let (_, _, post) =
        server.json("POST", "/v1/check", Some(r#"{"chip": "H800", "to": "China", "date": "2024-01-15", "end_user_hq": "CN"}"#));
    assert_eq!((status, &get), (200, &post));
    assert_eq!(get["verdict"], "license_required");
    let (_, _, get) =
        server.json("GET", "/v1/check?throughput=8%3D1979&throughput=fp16%3D989&die_area=814&datacenter=true&to=CN&date=2024-06-01", None);
    let cli = cli_answer(
        &["--throughput", "8=1979", "--throughput", "fp16=989", "--die-area", "814", "--datacenter", "--to", "CN", "--date", "2024-06-01"]
            .map(String::from),
    );
    assert_eq!(get, cli, "repeated throughput parameters");
    // With the trace asked for, the tree of rules evaluated, as the command line gives it.
    let (_, _, get) = server.json("GET", "/v1/check?chip=H800&to=CN&date=2024-01-15&trace=true", None);
    let cli = cli_answer(&["H800", "--to", "CN", "--date", "2024-01-15", "--trace"].map(String::from));
    assert!(get["evaluated"].as_array().is_some_and(|e| e.len() > 10), "{get}");
    assert_eq!(get, cli, "the traced answer");
}

#[test]
fn errors_are_problem_documents_naming_the_parameter() {
    let server = Server::start(&["--max-body", "2048"]);
    let cli_error = |args: &[&str]| {
        let r = common::chipgate(args);
        assert_eq!(r.code, 2);
        r.stderr.trim().trim_start_matches("error: ").to_string()
    };
    for (path, parameter, cli) in [
        ("/v1/check?chip=H100X&to=CN", "chip", ["check", "H100X", "--to", "CN"].as_slice()),
        ("/v1/check?chip=H100&to=Chna", "to", &["check", "H100", "--to", "Chna"]),
        ("/v1/check?chip=H100&to=CN&date=2024-13-01", "date", &["check", "H100", "--to", "CN", "--date", "2024-13-01"]),
        ("/v1/check?tpp=-1&to=CN", "tpp", &["check", "--tpp=-1", "--to", "CN"]),
        ("/v1/check?throughput=8x&to=CN", "throughput", &["check", "--throughput", "8x", "--to", "CN"]),
        ("/v1/check?to=CN", "chip", &["check", "--to", "CN"]),
        ("/v1/check?chip=H100&to=CN&ship_from=Atlantis", "ship_from", &["check", "H100", "--to", "CN", "--ship-from", "Atlantis"]),
    ] {
        let (status, kind, p) = server.json("GET", path, None);
        assert_eq!((status, kind.as_str()), (400, "application/problem+json"), "{path}: {p}");
        assert_eq!(p["parameter"], parameter, "{path}");
        assert_eq!(p["status"], 400);
        assert_eq!(p["detail"], cli_error(cli), "{path}: the command line's message");
    }
    // Parameters that are not a check's, and bodies that are not JSON.
    let (status, _, p) = server.json("GET", "/v1/check?chip=H100&to=CN&destination=CN", None);
    assert_eq!(status, 400);
    assert!(p["detail"].as_str().unwrap().contains("unknown field `destination`"), "{p}");
    let (status, _, p) = server.json("POST", "/v1/check", Some("{\"chip\": \"H100\", \"to\": "));
    assert_eq!(status, 400);
    assert!(p["detail"].as_str().unwrap().starts_with("the request body is not the JSON expected"), "{p}");
    let (status, _, p) = server.json("POST", "/v1/check", Some(r#"{"chip": "H100", "to": "CN", "tpp": "many"}"#));
    assert_eq!(status, 400, "{p}");
    // A batch says which request is wrong, and answers the others.
    let (status, _, a) =
        server.json("POST", "/v1/check/batch", Some(r#"[{"chip": "H100", "to": "CN"}, {"chip": "H100", "to": "Atlantis"}]"#));
    assert_eq!(status, 200);
    assert!(a[0]["verdict"].is_string());
    assert_eq!((a[1]["status"].clone(), a[1]["index"].clone(), a[1]["parameter"].clone()), (json!(400), json!(1), json!("to")));
    // Limits, unknown endpoints, methods.
    let big = format!("[{}]", vec![r#"{"chip": "H100", "to": "CN"}"#; 100].join(","));
    let (status, kind, p) = server.json("POST", "/v1/check/batch", Some(&big));
    assert_eq!((status, kind.as_str()), (413, "application/problem+json"), "{p}");
    let (status, _, p) = server.json("GET", "/v2/check", None);
    assert_eq!(status, 404, "{p}");
    let (status, _, p) = server.json("DELETE", "/v1/check", None);
    assert_eq!(status, 405, "{p}");
    let (status, _, h) = server.json("GET", "/healthz", None);
    assert_eq!((status, h["status"].as_str()), (200, Some("ok")));
    let (status, _, c) = server.json("GET", "/v1/countries", None);
    assert_eq!(status, 200);
    assert!(c["countries"].as_array().unwrap().iter().any(|c| c["code"] == "HK" && c["treated_as"] == "CN"));
    // One access-log line per request.
    std::thread::sleep(std::time::Duration::from_millis(100));
    let log = server.log();
    assert!(log.contains("\"GET /healthz HTTP/1.1\" 200 "), "{log}");
    assert!(log.contains("\"DELETE /v1/check HTTP/1.1\" 405 "), "{log}");
    // The metrics count them by route and status.
    let (status, kind, text) = server.request("GET", "/metrics", None);
    assert_eq!((status, kind.as_str()), (200, "application/openmetrics-text"));
    let count = |series: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(series))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{series} in {text}"))
    };
    assert!(count("chipgate_requests_total{route=\"/v1/check\",status=\"400\"}") >= 10, "{text}");
    assert_eq!(count("chipgate_requests_total{route=\"/v1/check/batch\",status=\"413\"}"), 1);
    assert_eq!(count("chipgate_requests_total{route=\"unmatched\",status=\"404\"}"), 1);
    assert!(
        text.contains("chipgate_request_duration_seconds_bucket{le=\"0.001\",route=\"/v1/check\"}")
            || text.contains("chipgate_request_duration_seconds_bucket{route=\"/v1/check\",le=\"0.001\"}"),
        "{text}"
    );
    assert!(text.ends_with("# EOF\n"));
}

#[test]
fn a_reload_keeps_the_rules_in_use_when_the_new_ones_fail_and_sighup_reloads() {
    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("pack.toml");
    let header = |v: &str| format!("[pack]\nname = \"acme\"\nversion = \"{v}\"\nrequires = \">=0.1\"\n");
    std::fs::write(&pack, header("1.0.0")).unwrap();
    let server = Server::start(&["--quiet", "--rules", pack.to_str().unwrap()]);
    let version = |s: &Server| s.json("GET", "/healthz", None).2["rules_version"].as_str().unwrap().to_string();
    assert!(version(&server).contains("acme@1.0.0"), "{}", version(&server));
    std::fs::write(&pack, header("1.1.0")).unwrap();
    // Only with the header a page of another site cannot send.
    let (status, _, p) = server.json("POST", "/v1/admin/reload", None);
    assert_eq!(status, 403, "{p}");
    let reload = || {
        let r = server.call("POST", "/v1/admin/reload", &[("chipgate-admin", "reload")], None);
        (r.status(), serde_json::from_str::<Value>(&r.into_string().unwrap()).unwrap())
    };
    let (status, r) = reload();
    assert_eq!(status, 200, "{r}");
    assert!(version(&server).contains("acme@1.1.0"));
    // A pack that no longer loads: the old rules stay, and the problem says why.
    std::fs::write(&pack, format!("{}[[regime]]\nid = 7\n", header("2.0.0"))).unwrap();
    let (status, p) = reload();
    assert_eq!(status, 500, "{p}");
    assert!(p["detail"].as_str().unwrap().contains("pack.toml"), "{p}");
    assert!(version(&server).contains("acme@1.1.0"));
    let (status, _, _) = server.json("GET", "/v1/check?chip=H100&to=CN", None);
    assert_eq!(status, 200, "the old rules still answer");
    // SIGHUP loads them again.
    std::fs::write(&pack, header("3.0.0")).unwrap();
    server.signal(libc::SIGHUP);
    let start = std::time::Instant::now();
    while !version(&server).contains("acme@3.0.0") {
        assert!(start.elapsed().as_secs() < 10, "SIGHUP reloads: {}", server.log());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn sigterm_stops_the_server_and_an_address_in_use_is_an_error() {
    let mut server = Server::start(&[]);
    let (status, _, _) = server.json("GET", "/v1/check?chip=H100&to=CN", None);
    assert_eq!(status, 200);
    server.signal(libc::SIGTERM);
    let code = server.child.wait().unwrap();
    assert!(code.success(), "{code:?}");
    std::thread::sleep(std::time::Duration::from_millis(100));
    let log = server.log();
    assert!(log.contains("shutting down") && log.contains("stopped"), "{log}");
    // A signal sent as soon as it says where it listens reaches its handlers too.
    for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP, libc::SIGTERM] {
        let mut early = Server::start(&["--quiet"]);
        early.signal(signal);
        if signal == libc::SIGHUP {
            early.signal(libc::SIGTERM);
        }
        let code = early.child.wait().unwrap();
        assert!(code.success(), "{code:?} after signal {signal}");
    }
    // Starting on an address in use is an error that names it.
    let first = Server::start(&["--quiet"]);
    let addr = first.base.trim_start_matches("http://").to_string();
    let r = common::chipgate(&["serve", "--addr", &addr]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains(&format!("cannot listen on {addr}")), "{}", r.stderr);
}

/// The command line's document for a view (which exits 0).
fn cli_view(args: &[&str]) -> Value {
    let (ok, doc) = cli_json(args);
    assert!(ok, "{args:?}");
    doc
}

#[test]
fn timelines_and_diffs_answer_as_the_command_line_does() {
    let server = Server::start(&["--quiet"]);
    for (path, args) in [
        ("/v1/timeline?chip=H800&to=China&until=2026-11-29", ["timeline", "H800", "--to", "China", "--until", "2026-11-29"].as_slice()),
        (
            "/v1/timeline?chip=H20&to=CN&exporter=Acme%20Distribution&from=2024-01-01&until=2026-06-30",
            &["timeline", "H20", "--to", "CN", "--exporter", "Acme Distribution", "--from", "2024-01-01", "--until", "2026-06-30"],
        ),
        (
            "/v1/timeline?based_on=H100&interconnect=400&to=CN&end_user_hq=SG&until=2026-11-29",
            &["timeline", "--based-on", "H100", "--interconnect", "400", "--to", "CN", "--end-user-hq", "SG", "--until", "2026-11-29"],
        ),
        ("/v1/diff?from=2023-11-01&until=2023-12-01", &["diff", "--from", "2023-11-01", "--until", "2023-12-01"]),
        (
            "/v1/diff?from=2025-12-01&to=2026-02-01&destinations=CN,MO&chips=H200&chips=H20&ship_from=SG",
            &[
                "diff",
                "--from",
                "2025-12-01",
                "--until",
                "2026-02-01",
                "--destinations",
                "CN,MO",
                "--chips",
                "H200,H20",
                "--ship-from",
                "SG",
            ],
        ),
    ] {
        let (status, _, api) = server.json("GET", path, None);
        assert_eq!(status, 200, "{path}: {api}");
        assert_eq!(api, cli_view(args), "{path}");
    }
    for (path, parameter) in [
        ("/v1/timeline?chip=H800&to=CN&from=2025-01-01&until=2024-01-01", "from"),
        ("/v1/timeline?chip=H800&to=CN&date=2025-01-01", "date"),
        ("/v1/timeline?chip=H800&to=CN&untill=2025-01-01", ""),
        ("/v1/diff?from=2023-11-01&chips=H100X", "chips"),
        ("/v1/diff?from=2023-11-01&destinations=Atlantis", "destinations"),
        ("/v1/diff?to=2023-11-01", "from"),
    ] {
        let (status, kind, p) = server.json("GET", path, None);
        assert_eq!((status, kind.as_str()), (400, "application/problem+json"), "{path}: {p}");
        assert_eq!(p["parameter"].as_str().unwrap_or_default(), parameter, "{path}: {p}");
    }
}

#[test]
fn an_uploaded_audit_streams_back_what_the_command_line_writes() {
    let server = Server::start(&["--quiet", "--max-upload", "20000"]);
    let input = std::fs::read_to_string("examples/shipments.csv").unwrap();
    let cli = common::run(&["audit", "examples/shipments.csv", "--date", "2026-01-01", "--format", "csv"], None, None);
    let post = |path: &str, accept: &str, body: &str| {
        let r = server.call("POST", path, &[("Accept", accept)], Some(body.as_bytes()));
        let (status, kind, id) = (r.status(), r.content_type().to_string(), r.header("chipgate-audit-id").map(str::to_string));
        (status, kind, id, r.into_string().unwrap())
    };
    let (status, kind, id, csv) = post("/v1/audit?date=2026-01-01", "text/csv", &input);
    assert_eq!((status, kind.as_str()), (200, "text/csv"));
    assert_eq!(csv.as_bytes(), cli.stdout.as_slice(), "the rows as the command line writes them");
    // The summary, as --summary-json has it (with the rules' version).
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("s.json");
    common::run(
        &[
            "audit",
            "examples/shipments.csv",
            "--date",
            "2026-01-01",
            "-q",
            "-o",
            dir.path().join("o.csv").to_str().unwrap(),
            "--summary-json",
            json.to_str().unwrap(),
        ],
        None,
        None,
    );
    let want: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let (status, _, got) = server.json("GET", &format!("/v1/audit/{}/summary", id.unwrap()), None);
    assert_eq!(status, 200);
    assert_eq!(got, want);
    assert_eq!((got["rows"].as_u64(), got["exit_code"].as_u64()), (Some(22), Some(2)));
    // JSON lines end with the summary.
    let (status, kind, _, lines) = post("/v1/audit?date=2026-01-01", "application/x-ndjson", &input);
    assert_eq!((status, kind.as_str()), (200, "application/x-ndjson"));
    let cli = common::run(&["audit", "examples/shipments.csv", "--date", "2026-01-01", "--format", "jsonl"], None, None);
    let (rows, last) = lines.trim_end().rsplit_once('\n').unwrap();
    assert_eq!(format!("{rows}\n").as_bytes(), cli.stdout.as_slice());
    let last: Value = serde_json::from_str(last).unwrap();
    assert_eq!(last["summary"]["rows"], 22);
    // A file that cannot be audited, wrong parameters, limits.
    let (status, kind, _, p) = post("/v1/audit", "text/csv", "foo,bar\n1,2\n");
    assert_eq!((status, kind.as_str()), (400, "application/problem+json"));
    assert!(p.contains("no `destination` column in the header"), "{p}");
    for (path, parameter) in [
        ("/v1/audit?delimiter=ab", "delimiter"),
        ("/v1/audit?encoding=klingon", "encoding"),
        ("/v1/audit?date=yesterday", "date"),
        ("/v1/audit?columns=destination", "columns"),
        ("/v1/audit?ship_from=Atlantis", "ship_from"),
    ] {
        let (status, _, _, p) = post(path, "text/csv", &input);
        let p: Value = serde_json::from_str(&p).unwrap();
        assert_eq!((status, p["parameter"].as_str()), (400, Some(parameter)), "{path}: {p}");
    }
    // An upload that says it is over the limit is refused before its body is read (the body
    // is not sent here, as a client waiting for `100 Continue` would not send it).
    use std::io::Write as _;
    let mut tcp = std::net::TcpStream::connect(server.base.trim_start_matches("http://")).unwrap();
    write!(tcp, "POST /v1/audit HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\nContent-Length: 1000000000\r\n\r\n").unwrap();
    let mut head = [0u8; 64];
    let n = tcp.read(&mut head).unwrap();
    let head = String::from_utf8_lossy(&head[..n]);
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
}

#[test]
fn the_catalog_and_the_rules_answer_as_the_command_line_does() {
    let server = Server::start(&["--quiet"]);
    for (path, args) in [
        ("/v1/chips?date=2026-01-01", ["chips", "--date", "2026-01-01"].as_slice()),
        ("/v1/chips?vendor=amd&date=2024-06-01", &["chips", "--vendor", "amd", "--date", "2024-06-01"]),
        ("/v1/chips?eccn=undetermined&date=2026-01-01", &["chips", "--eccn", "undetermined", "--date", "2026-01-01"]),
        ("/v1/chips/H100?date=2026-01-01", &["chips", "show", "H100", "--date", "2026-01-01"]),
        ("/v1/chips/RTX%204090%20D?date=2025-01-01", &["chips", "show", "RTX 4090 D", "--date", "2025-01-01"]),
        ("/v1/rules", &["rules", "list"]),
        ("/v1/rules/us-2023-10%2Fdestinations", &["rules", "show", "us-2023-10/destinations"]),
        ("/v1/rules/us-2023-10", &["rules", "show", "us-2023-10"]),
    ] {
        let (status, _, api) = server.json("GET", path, None);
        assert_eq!(status, 200, "{path}: {api}");
        assert_eq!(api, cli_view(args), "{path}");
    }
    let (status, _, p) = server.json("GET", "/v1/chips/H100X", None);
    assert_eq!((status, p["parameter"].as_str()), (404, Some("name")), "{p}");
    assert!(p["detail"].as_str().unwrap().starts_with("unknown chip `H100X`; did you mean"), "{p}");
    let (status, _, p) = server.json("GET", "/v1/rules/us-2023-10%2Fdestination", None);
    assert_eq!(status, 404, "{p}");
    assert_eq!(p["detail"], common::chipgate(&["rules", "show", "us-2023-10/destination"]).stderr.trim().trim_start_matches("error: "));
    let (status, _, p) = server.json("GET", "/v1/chips?date=2026-13-01", None);
    assert_eq!((status, p["parameter"].as_str()), (400, Some("date")), "{p}");
}

#[test]
fn the_map_is_the_rules_classification_of_each_point_and_the_page_is_served() {
    let server = Server::start(&["--quiet"]);
    // Before the October 2023 rule a chip given only TPP and density is undetermined past TPP
    // 4800 (the 2022 rule also asks for its interconnect); after it, 3A090.a.
    let (status, _, m) = server.json("GET", "/v1/map?date=2023-06-01&tpp_max=9600&pd_max=24&steps=4", None);
    assert_eq!(status, 200, "{m}");
    assert_eq!(m["tpp"], json!([1200.0, 3600.0, 6000.0, 8400.0]));
    assert_eq!(m["cells"][0], json!(["", "", "?", "?"]), "{m}");
    assert_eq!(m["missing"], json!(["interconnect_gbps"]));
    let (_, _, m) = server.json("GET", "/v1/map?date=2024-01-15&tpp_max=9600&pd_max=24&steps=4", None);
    assert_eq!(m["cells"][3], json!(["", "3A090.a", "3A090.a", "3A090.a"]), "{m}");
    assert_eq!(m["eccns"][0], "3A090.a");
    let (status, _, p) = server.json("GET", "/v1/map?steps=1000", None);
    assert_eq!((status, p["parameter"].as_str()), (400, Some("steps")));
    // `chipgate map` draws the same cells.
    let (_, _, m) = server.json("GET", "/v1/map?date=2024-01-15&steps=30&consumer=true", None);
    let svg = common::chipgate(&["map", "--date", "2024-01-15", "--steps", "30", "--consumer"]).stdout;
    for eccn in ["3A090.a", "3A090.b", "?"] {
        let api = m["cells"].as_array().unwrap().iter().flat_map(|r| r.as_array().unwrap()).filter(|c| *c == eccn).count();
        assert_eq!(svg.matches(&format!("data-cell=\"{eccn}\"")).count(), api, "{eccn}");
    }
    // The page and its files, from the binary.
    for (path, kind) in [("/", "text/html"), ("/app.js", "text/javascript"), ("/style.css", "text/css")] {
        let (status, got, body) = server.request("GET", path, None);
        assert_eq!((status, got.as_str()), (200, kind), "{path}");
        assert!(!body.is_empty());
    }
    let (_, _, html) = server.request("GET", "/", None);
    assert!(html.contains("Decision support, not legal advice"));
}

/// Sends a raw HTTP/1.1 request and reads what comes back until the server closes or `wait`
/// passes.
fn raw(base: &str, request: &[u8], wait: std::time::Duration) -> String {
    use std::io::Write as _;
    let mut tcp = std::net::TcpStream::connect(base.trim_start_matches("http://")).unwrap();
    tcp.set_read_timeout(Some(wait)).unwrap();
    tcp.write_all(request).unwrap();
    let mut got = Vec::new();
    let _ = tcp.read_to_end(&mut got);
    String::from_utf8_lossy(&got).into_owned()
}

#[test]
fn uploads_that_fail_say_so_and_never_look_complete() {
    let server = Server::start(&["--quiet", "--max-upload", "20000", "--max-audits", "1", "--timeout", "1"]);
    // A header that cannot be audited is a 400 for JSON lines too.
    let r = ureq::post(&format!("{}/v1/audit", server.base)).set("Accept", "application/x-ndjson").send_string("foo,bar\n1,2\n");
    let Err(ureq::Error::Status(400, r)) = r else { panic!("{r:?}") };
    assert_eq!(r.content_type(), "application/problem+json");
    // An upload without a length that goes past the limit: 413.
    let body = std::fs::read_to_string("examples/shipments.csv").unwrap().repeat(15);
    let r = ureq::post(&format!("{}/v1/audit", server.base)).send(std::io::Cursor::new(body.into_bytes()));
    let Err(ureq::Error::Status(413, r)) = r else { panic!("{r:?}") };
    assert!(r.into_string().unwrap().contains("--max-upload"));
    // An upload that stalls keeps its place only for the timeout, then gets 408 and frees it.
    let base = server.base.clone();
    let stalled = std::thread::spawn(move || {
        let data = "chip,destination,date\nH100,";
        let head =
            format!("POST /v1/audit HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{data}\r\n", data.len());
        raw(&base, head.as_bytes(), std::time::Duration::from_secs(5))
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    let busy = ureq::post(&format!("{}/v1/audit", server.base)).send_string("chip,destination\nH100,CN\n");
    assert!(matches!(busy, Err(ureq::Error::Status(503, _))), "one audit at a time: {busy:?}");
    let got = stalled.join().unwrap();
    assert!(got.starts_with("HTTP/1.1 408"), "{got}");
    let (status, _, _) = server.request("POST", "/v1/audit", Some("chip,destination\nH100,CN\n"));
    assert_eq!(status, 200, "the place is free again");
    // Another site's name for this loopback service is refused.
    let got = raw(
        &server.base,
        b"GET /healthz HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n",
        std::time::Duration::from_secs(5),
    );
    assert!(got.starts_with("HTTP/1.1 421"), "{got}");
    let got =
        raw(&server.base, b"GET /healthz HTTP/1.1\r\nHost: localhost:8080\r\nConnection: close\r\n\r\n", std::time::Duration::from_secs(5));
    assert!(got.starts_with("HTTP/1.1 200"), "{got}");
}

#[test]
fn sigterm_lets_a_request_in_flight_finish() {
    let mut server = Server::start(&["--quiet"]);
    let batch = format!("[{}]", vec![r#"{"chip": "H100", "to": "CN", "date": "2026-01-01"}"#; 3000].join(","));
    let base = server.base.clone();
    let started = std::time::Instant::now();
    let inflight = std::thread::spawn(move || {
        let r = ureq::post(&format!("{base}/v1/check/batch")).set("Content-Type", "application/json").send_string(&batch).unwrap();
        let status = r.status();
        let mut text = String::new();
        r.into_reader().read_to_string(&mut text).unwrap();
        (status, serde_json::from_str::<Vec<Value>>(&text).unwrap().len())
    });
    std::thread::sleep(std::time::Duration::from_millis(150));
    server.signal(libc::SIGTERM);
    let (status, answers) = inflight.join().unwrap();
    assert_eq!((status, answers), (200, 3000), "after {:?}", started.elapsed());
    assert!(server.child.wait().unwrap().success());
}

#[test]
fn an_uploaded_workbook_is_audited_as_the_command_line_audits_the_file() {
    let server = Server::start(&["--quiet"]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet().set_name("Orders").unwrap();
    let rows = [
        ["Material", "Ship-To Country", "date", "qty"],
        ["H100", "CN", "2026-01-01", "8"],
        ["H20", "Germany", "2025-06-01", "16"],
        ["H100X", "CN", "2026-01-01", "1"],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, *v).unwrap();
        }
    }
    book.save(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let send = |query: &str, kind: &str| {
        let r = server.call("POST", &format!("/v1/audit{query}"), &[("Content-Type", kind)], Some(&bytes));
        (r.status(), r.into_string().unwrap())
    };
    let (status, csv) = send("?date=2026-01-01", xlsx);
    assert_eq!(status, 200, "{csv}");
    let cli = common::run(&["audit", path.to_str().unwrap(), "--date", "2026-01-01", "--format", "csv"], None, None);
    assert_eq!(csv, String::from_utf8(cli.stdout).unwrap());
    assert_eq!(csv.lines().count(), 4);
    // The format given as a parameter, and a sheet by name.
    let (status, again) = send("?date=2026-01-01&format=xlsx&sheet=Orders", "application/octet-stream");
    assert_eq!((status, again.as_str()), (200, csv.as_str()));
    let (status, p) = send("?sheet=Summary", xlsx);
    let p: Value = serde_json::from_str(&p).unwrap();
    assert_eq!((status, p["parameter"].as_str()), (400, Some("sheet")), "{p}");
    assert!(p["detail"].as_str().unwrap().contains("sheets: 1 `Orders`"), "{p}");
    let (status, _) = send("?sheet=Orders", "text/csv");
    assert_eq!(status, 400, "a sheet of a CSV");
    let (status, p) = send("?format=numbers", xlsx);
    assert_eq!(status, 400, "{p}");
}

#[test]
fn the_openapi_document_describes_every_endpoint_from_the_handlers_types() {
    let server = Server::start(&["--quiet"]);
    let (status, kind, doc) = server.json("GET", "/openapi.json", None);
    assert_eq!((status, kind.as_str()), (200, "application/json"));
    assert_eq!(doc["openapi"], "3.1.0");
    let paths: Vec<&str> = doc["paths"].as_object().unwrap().keys().map(String::as_str).collect();
    for p in [
        "/v1/check",
        "/v1/check/batch",
        "/v1/timeline",
        "/v1/diff",
        "/v1/chips",
        "/v1/chips/{name}",
        "/v1/map",
        "/v1/rules",
        "/v1/rules/{id}",
        "/v1/countries",
        "/v1/audit",
        "/v1/audit/{id}/summary",
        "/v1/admin/reload",
        "/healthz",
        "/metrics",
    ] {
        assert!(paths.contains(&p), "{p} is not in {paths:?}");
    }
    // Every flag of a check is a query parameter, and the answer's schema is the decision's.
    let params: Vec<&str> =
        doc["paths"]["/v1/check"]["get"]["parameters"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    for flag in ["chip", "to", "date", "end_user_hq", "tpp", "throughput", "die_area", "datacenter", "based_on", "ship_from", "trace"] {
        assert!(params.contains(&flag), "{flag} is not in {params:?}");
    }
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["Decision"]["properties"]["verdict"].is_object(), "{}", schemas["Decision"]);
    assert!(schemas["Versioned_Timeline"].is_object() && schemas["Versioned_Map"].is_object());
    // Each `$ref` names a schema of the document.
    let text = doc.to_string();
    for r in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = r.split('"').next().unwrap();
        assert!(schemas[name].is_object(), "dangling $ref {name}");
    }
}

#[test]
fn what_schemathesis_found_is_refused_with_a_problem() {
    let server = Server::start(&["--quiet"]);
    // A check given as a JSON array (serde would read it by field order) is refused.
    let (status, _, p) = server.json("POST", "/v1/check", Some(r#"[null, "CN"]"#));
    assert_eq!(status, 400, "{p}");
    assert!(p["detail"].as_str().unwrap().contains("a check is a JSON object"), "{p}");
    let (status, _, p) = server.json("POST", "/v1/check/batch", Some(r#"[{"chip": "H100", "to": "CN"}, [null, null]]"#));
    assert_eq!(status, 400, "{p}");
    let (status, _, p) = server.json("POST", "/v1/check/batch", Some(r#"{"chip": "H100", "to": "CN"}"#));
    assert_eq!(status, 400, "{p}");
    assert!(p["detail"].as_str().unwrap().contains("a batch is a JSON array"), "{p}");
    // A map axis so long that the grid's figures overflow to infinity (and JSON null).
    let (status, _, p) = server.json("GET", "/v1/map?tpp_max=1.7976931348623157e308", None);
    assert_eq!((status, p["parameter"].as_str()), (400, Some("tpp_max")), "{p}");
}

#[test]
fn a_screening_list_given_to_the_service_screens_as_the_command_line_does() {
    let csl = "tests/fixtures/csl/csl-sample.csv";
    let s = Server::start(&["--parties", csl]);
    let (status, _, got) = s.json("GET", "/v1/check?chip=T4&to=SG&date=2026-06-01&end_user=EAC%20Shenzhen", None);
    assert_eq!(status, 200, "{got}");
    let (_, want) = cli_json(&["--parties", csl, "check", "T4", "--to", "SG", "--date", "2026-06-01", "--end-user", "EAC Shenzhen"]);
    assert_eq!(got, want);
    assert_eq!(got["screening"][0]["hits"][0]["entry"], "csl/90001");
}
