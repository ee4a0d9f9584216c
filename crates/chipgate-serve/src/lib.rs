//! `chipgate serve`: the engine as an HTTP service, with the answers of the command line.
//!
//! The rule set is loaded once at start and shared read-only by every request; it is loaded
//! again on SIGHUP or `POST /v1/admin/reload`, only from the packs given at start (a failed
//! reload keeps the rules in use and says why). Requests ask through the same library
//! functions as the command line ([`chipgate_core::request`]), so a check over HTTP and
//! `chipgate check --format json` give the same document. Every error is an RFC 9457
//! `application/problem+json` body whose `detail` is the command line's message.
//!
//! `GET /` serves a page (embedded in the binary, from `web/`): a calculator for a hypothetical
//! design, the TPP × performance-density map with a date slider, the catalog, a chip's
//! timeline, the diff between two dates, and an audit drop zone, all through the API below.
//!
//! Endpoints (all JSON):
//! - `GET /v1/check?chip=H100&to=CN&date=…`: a check; every flag of `chipgate check` is a
//!   parameter of the same name with `-` written `_` (`throughput` repeatable, flags as
//!   `datacenter=true`);
//! - `POST /v1/check`: the same parameters as a JSON object;
//! - `POST /v1/check/batch`: an array of such objects; an array of answers, each a decision
//!   or, for a request that is wrong, its problem (with `index`);
//! - `GET /v1/timeline?chip=H800&to=CN&from=…&until=…`: a chip's status across time, the
//!   parameters of a check (but `date`) and the days of the view;
//! - `GET /v1/diff?from=…&until=…&destinations=CN,HK&chips=…`: what changed between two dates;
//! - `GET /v1/chips?vendor=…&eccn=…&search=…&date=…`, `GET /v1/chips/{name}?date=…`: the
//!   catalog and one chip's sheet;
//! - `GET /v1/map?date=…&tpp_max=…&pd_max=…&steps=…&consumer=…`: how the rules in force
//!   classify a hypothetical chip at each point of a TPP × performance-density grid;
//! - `GET /v1/rules`, `GET /v1/rules/{id}`: the packs, regimes and rules, and one of them;
//! - `GET /v1/countries`: the countries the rules know;
//! - `POST /v1/audit?date=…&columns=…`: a shipment list as the body (CSV in any delimiter and
//!   encoding `chipgate audit` reads), streamed back as CSV or, with `Accept:
//!   application/x-ndjson`, as JSON lines ending in a `{"summary": …}` line; the summary also at
//!   `GET /v1/audit/{id}/summary` (the `Link` and `chipgate-audit-id` headers name it);
//! - `POST /v1/admin/reload`: load the packs again;
//! - `GET /openapi.json`: the OpenAPI 3.1 document of these endpoints (see [`openapi`]);
//! - `GET /healthz`: whether the service answers, with the rules' version;
//! - `GET /metrics`: requests by route and status, their latencies, audits and their rows, in
//!   the OpenMetrics text format Prometheus reads.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod metrics;
pub mod openapi;
mod upload;

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, RawQuery, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chipgate_core::history::{catalog, Diff, Timeline};
use chipgate_core::request::{self, Answer, Check, RequestError, Versioned};
use chipgate_core::rules::words;
use chipgate_core::RuleSet;
use jiff::civil::Date;
use serde::Serialize;
use serde_json::Value;

/// Loads the rule set: at start, and again on every reload. An error is the text to say.
pub type Load = dyn Fn() -> Result<RuleSet, String> + Send + Sync;

/// How to serve.
pub struct Config {
    /// Where to listen.
    pub addr: SocketAddr,
    /// Do not log each request on stderr.
    pub quiet: bool,
    /// The largest request body accepted, in bytes; a larger one is refused with 413.
    pub max_body: usize,
    /// The most time a request may take; past it, 503 (audit uploads stream, and are not
    /// bounded by it).
    pub timeout: Duration,
    /// The largest audit upload, in bytes; a larger one is refused with 413 (or, sent without
    /// a length, cut off there).
    pub max_upload: u64,
    /// Audits that may run at once; one more is refused with 503.
    pub max_audits: usize,
    /// Loads the rules.
    pub load: Arc<Load>,
}

/// The source recorded for figures a request gives (the command line says "given on the
/// command line"; this is the one difference between their documents).
pub const SOURCE: &str = "given in the request";

/// Why the service could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The rules could not be loaded at start.
    #[error("the rules could not be loaded:\n{0}")]
    Rules(String),
    /// The address could not be listened on.
    #[error("cannot listen on {addr}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The runtime could not start, or serving failed.
    #[error("the server failed")]
    Io(#[from] std::io::Error),
}

/// What every request shares: the rules in use and how to load them again.
struct Service {
    rules: RwLock<Arc<RuleSet>>,
    load: Arc<Load>,
    quiet: bool,
    /// The largest audit upload, in bytes.
    max_upload: u64,
    /// How long an upload may send nothing before it is given up.
    idle: Duration,
    /// Whether it listens on a loopback address (and so answers to loopback names only).
    loopback: bool,
    /// Audits that may run at once.
    audits: Arc<tokio::sync::Semaphore>,
    /// The summaries of the last audits, oldest first.
    summaries: std::sync::Mutex<std::collections::VecDeque<(String, String)>>,
    audit_count: std::sync::atomic::AtomicU64,
    started: u64,
    id_keys: [std::collections::hash_map::RandomState; 2],
    metrics: metrics::Metrics,
}

/// Summaries of finished audits kept for `GET /v1/audit/{id}/summary`.
const KEPT_SUMMARIES: usize = 64;

impl Service {
    fn rules(&self) -> Arc<RuleSet> {
        match self.rules.read() {
            Ok(r) => Arc::clone(&r),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// A new audit's id: unique within the service, and not guessable from another audit's
    /// (128 bits from keyed hashes whose keys the process chose at random), so that an id
    /// reveals only its own summary.
    fn next_audit_id(&self) -> String {
        use std::hash::BuildHasher;
        let n = self.audit_count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let [a, b] = &self.id_keys;
        format!("{:016x}{:016x}", a.hash_one((self.started, n)), b.hash_one((n, self.started)))
    }

    fn keep_summary(&self, id: String, text: String) {
        let mut kept = self.summaries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if kept.len() >= KEPT_SUMMARIES {
            kept.pop_front();
        }
        kept.push_back((id, text));
    }

    fn summary(&self, id: &str) -> Option<String> {
        let kept = self.summaries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        kept.iter().find(|(i, _)| i == id).map(|(_, t)| t.clone())
    }

    /// Loads the rules again; on failure the rules in use stay, and the error says why.
    fn reload(&self) -> Result<String, String> {
        let fresh = (self.load)();
        self.metrics.reload(fresh.is_ok());
        let fresh = Arc::new(fresh?);
        let version = fresh.version();
        match self.rules.write() {
            Ok(mut r) => *r = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
        Ok(version)
    }
}

type Shared = Arc<Service>;

/// Runs the service until SIGINT or SIGTERM (requests in flight finish). Blocks.
pub fn run(config: Config) -> Result<(), ServeError> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let listener =
            tokio::net::TcpListener::bind(config.addr).await.map_err(|source| ServeError::Listen { addr: config.addr, source })?;
        serve(listener, config).await
    })
}

/// Serves on a listener (bound by the caller, e.g. to port 0 in tests) until SIGINT or SIGTERM.
pub async fn serve(listener: tokio::net::TcpListener, config: Config) -> Result<(), ServeError> {
    // First: a signal sent while the rules load, or once the service says it listens, must
    // reach these handlers, not the default action that ends the process.
    let signals = Signals::register()?;
    let rules = (config.load)().map_err(ServeError::Rules)?;
    let addr = listener.local_addr()?;
    eprintln!("chipgate serve: listening on http://{addr} (rules {})", rules.version());
    let started = jiff::Timestamp::now().as_nanosecond() as u64;
    let service = Arc::new(Service {
        rules: RwLock::new(Arc::new(rules)),
        load: Arc::clone(&config.load),
        quiet: config.quiet,
        max_upload: config.max_upload,
        idle: config.timeout,
        loopback: addr.ip().is_loopback(),
        audits: Arc::new(tokio::sync::Semaphore::new(config.max_audits.max(1))),
        summaries: std::sync::Mutex::default(),
        audit_count: std::sync::atomic::AtomicU64::new(0),
        started,
        id_keys: [std::collections::hash_map::RandomState::new(), std::collections::hash_map::RandomState::new()],
        metrics: metrics::Metrics::new(),
    });
    let Signals { stop, hangup } = signals;
    tokio::spawn(reload_on_hangup(Arc::clone(&service), hangup));
    let app = router(service, config.max_body, config.timeout);
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).with_graceful_shutdown(shutdown(stop)).await?;
    eprintln!("chipgate serve: stopped");
    Ok(())
}

fn router(service: Shared, max_body: usize, timeout: Duration) -> Router {
    // Audit uploads stream for as long as they take, so the timeout is not theirs.
    let audits = Router::new()
        .route("/v1/audit", post(upload::audit))
        .route("/v1/audit/{id}/summary", get(upload::summary))
        .layer(middleware::from_fn_with_state(Arc::clone(&service), log));
    Router::new()
        .route("/", get(|| page("text/html; charset=utf-8", include_str!("../web/index.html"))))
        .route("/app.js", get(|| page("text/javascript; charset=utf-8", include_str!("../web/app.js"))))
        .route("/style.css", get(|| page("text/css; charset=utf-8", include_str!("../web/style.css"))))
        .route("/healthz", get(healthz))
        .route("/openapi.json", get(openapi::document))
        .route("/metrics", get(metrics_text))
        .route("/v1/check", get(check_get).post(check_post))
        .route("/v1/check/batch", post(check_batch))
        .route("/v1/countries", get(countries))
        .route("/v1/chips", get(chips))
        .route("/v1/chips/{name}", get(chip))
        .route("/v1/map", get(map))
        .route("/v1/rules", get(rules))
        .route("/v1/rules/{id}", get(rule))
        .route("/v1/timeline", get(timeline))
        .route("/v1/diff", get(diff))
        .route("/v1/admin/reload", post(reload))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn_with_state(Arc::clone(&service), log))
        .layer(middleware::from_fn(move |req: Request, next: Next| within(timeout, req, next)))
        .merge(audits)
        .layer(middleware::from_fn_with_state(Arc::clone(&service), loopback_host))
        .with_state(service)
}

/// The signals the service answers: SIGINT and SIGTERM stop it, SIGHUP reloads the rules.
struct Signals {
    #[cfg(unix)]
    stop: [tokio::signal::unix::Signal; 2],
    #[cfg(not(unix))]
    stop: (),
    #[cfg(unix)]
    hangup: tokio::signal::unix::Signal,
    #[cfg(not(unix))]
    hangup: (),
}

impl Signals {
    /// Installs the handlers now (a `ctrl_c()` future would install its own only when first polled).
    #[cfg(unix)]
    fn register() -> std::io::Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals { stop: [signal(SignalKind::interrupt())?, signal(SignalKind::terminate())?], hangup: signal(SignalKind::hangup())? })
    }

    #[cfg(not(unix))]
    fn register() -> std::io::Result<Signals> {
        Ok(Signals { stop: (), hangup: () })
    }
}

/// Resolves on SIGINT or SIGTERM.
#[cfg(unix)]
async fn shutdown([mut interrupt, mut terminate]: [tokio::signal::unix::Signal; 2]) {
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
    eprintln!("chipgate serve: shutting down; requests in flight finish");
}

/// Resolves on Ctrl-C. Its handler is installed when first polled (not before the service
/// says it listens, as on Unix).
#[cfg(not(unix))]
async fn shutdown((): ()) {
    let _ = tokio::signal::ctrl_c().await;
    eprintln!("chipgate serve: shutting down; requests in flight finish");
}

/// Loads the rules again on every SIGHUP.
#[cfg(unix)]
async fn reload_on_hangup(service: Shared, mut hangup: tokio::signal::unix::Signal) {
    while hangup.recv().await.is_some() {
        let s = Arc::clone(&service);
        match tokio::task::spawn_blocking(move || s.reload()).await {
            Ok(Ok(version)) => eprintln!("chipgate serve: SIGHUP: rules reloaded ({version})"),
            Ok(Err(e)) => eprintln!("chipgate serve: SIGHUP: the rules could not be loaded; the rules in use stay:\n{e}"),
            Err(e) => eprintln!("chipgate serve: SIGHUP: reload failed: {e}"),
        }
    }
}

#[cfg(not(unix))]
async fn reload_on_hangup(_: Shared, (): ()) {}

/// Counts every request in the metrics, and logs one line per request on stderr (unless
/// quiet): client, date, request line, status, bytes, time taken.
async fn log(State(service): State<Shared>, ConnectInfo(peer): ConnectInfo<SocketAddr>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<axum::extract::MatchedPath>().map_or("unmatched", |p| p.as_str()).to_string();
    let line = (!service.quiet).then(|| format!("{} {} {:?}", req.method(), req.uri(), req.version()));
    let start = Instant::now();
    let response = next.run(req).await;
    let took = start.elapsed();
    service.metrics.request(&route, response.status().as_u16(), took);
    if let Some(line) = line {
        let bytes = http_body::Body::size_hint(response.body()).exact().map_or_else(|| "-".to_string(), |n| n.to_string());
        let when = jiff::Timestamp::now().strftime("%d/%b/%Y:%H:%M:%S +0000");
        let ms = took.as_secs_f64() * 1e3;
        eprintln!("{} - - [{when}] \"{line}\" {} {bytes} {ms:.2}ms", peer.ip(), response.status().as_u16());
    }
    response
}

/// On a loopback address, refuses a request whose `Host` is not a loopback name: a page of
/// another site whose name was made to point at 127.0.0.1 (DNS rebinding) cannot read answers.
async fn loopback_host(State(service): State<Shared>, req: Request, next: Next) -> Response {
    if service.loopback {
        let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
        // `name`, `name:port`, `[v6]` or `[v6]:port`.
        let name = match host.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or_default(),
            None => host.split(':').next().unwrap_or_default(),
        };
        if !matches!(name, "localhost" | "127.0.0.1" | "::1") {
            let detail =
                format!("`Host: {host}` is not this service's: on a loopback address it answers only to localhost, 127.0.0.1 and [::1]");
            return Problem::new(StatusCode::MISDIRECTED_REQUEST, detail).into_response();
        }
    }
    next.run(req).await
}

/// Refuses a request that takes longer than `timeout`.
async fn within(timeout: Duration, req: Request, next: Next) -> Response {
    match tokio::time::timeout(timeout, next.run(req)).await {
        Ok(r) => r,
        Err(_) => Problem::new(StatusCode::SERVICE_UNAVAILABLE, format!("the request took longer than {} s", timeout.as_secs_f64()))
            .into_response(),
    }
}

/// An RFC 9457 problem document.
/// An RFC 9457 problem: what went wrong, in the command line's words.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct Problem {
    /// Always `about:blank`: the status says what kind of problem it is.
    #[serde(rename = "type")]
    kind: &'static str,
    /// The status's reason phrase.
    title: &'static str,
    /// The HTTP status.
    status: u16,
    /// What is wrong, with a suggestion where one helps (the command line's message).
    pub(crate) detail: String,
    /// The request parameter the problem is about, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) parameter: Option<&'static str>,
    /// In a batch: the place of the request the problem is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<usize>,
}

impl Problem {
    fn new(status: StatusCode, detail: impl Into<String>) -> Problem {
        Problem {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: detail.into(),
            parameter: None,
            index: None,
        }
    }

    /// A problem with one request parameter.
    pub(crate) fn about(parameter: &'static str, status: StatusCode, detail: impl Into<String>) -> Problem {
        Problem { parameter: Some(parameter), ..Problem::new(status, detail) }
    }

    fn request(e: RequestError) -> Problem {
        Problem::about(e.parameter, StatusCode::BAD_REQUEST, e.message)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut r = (status, Json(&self)).into_response();
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        r
    }
}

/// Today (UTC): the date of a check that gives none.
fn today() -> Date {
    chipgate_core::date::today()
}

/// Answers one check as the JSON document of `chipgate check --format json`.
fn answer(rs: &RuleSet, check: &Check) -> Result<Value, Problem> {
    let d = check.decide(rs, today(), SOURCE).map_err(Problem::request)?;
    json_of(&Answer::new(rs, &d))
}

/// A document as JSON, or the (server's) problem rendering it.
fn json_of<T: Serialize>(doc: &T) -> Result<Value, Problem> {
    serde_json::to_value(doc).map_err(|e| Problem::new(StatusCode::INTERNAL_SERVER_ERROR, format!("cannot render the answer: {e}")))
}

/// A file of the page, embedded in the binary: no network at run time.
async fn page(kind: &'static str, text: &'static str) -> Response {
    ([(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, "no-cache")], text).into_response()
}

/// `GET /metrics`: requests, latencies, audits and rows, for Prometheus.
#[utoipa::path(get, path = "/metrics", tag = "service",
    responses((status = 200, description = "OpenMetrics text", body = String, content_type = "application/openmetrics-text")))]
async fn metrics_text(State(service): State<Shared>) -> Response {
    let text = service.metrics.text(service.rules().rules.len());
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text).into_response()
}

/// Whether the service answers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Health {
    /// `ok`.
    status: &'static str,
    /// The packs, versions and hashes in use.
    rules_version: String,
}

#[utoipa::path(get, path = "/healthz", tag = "service", responses((status = 200, description = "The service answers", body = Health)))]
async fn healthz(State(service): State<Shared>) -> Json<Health> {
    Json(Health { status: "ok", rules_version: service.rules().version() })
}

/// `GET /v1/check`: one check, its parameters in the query string.
#[utoipa::path(get, path = "/v1/check", tag = "check", params(Check),
    responses((status = 200, description = "The decision, as `chipgate check --format json`", body = openapi::AnswerDoc),
        (status = 400, description = "A parameter is wrong", body = Problem, content_type = "application/problem+json")))]
async fn check_get(State(service): State<Shared>, RawQuery(query): RawQuery) -> Result<Json<Value>, Problem> {
    let check: Check = self::query(query.as_deref())?;
    Ok(Json(answer(&service.rules(), &check)?))
}

/// A JSON request body, or the problem with it: one check (`many` false) or an array of them.
/// A check is a JSON object: the array form that serde would also read a struct from
/// (`[null, "CN"]`) is refused, since its values would be taken by the fields' order.
fn body<T: serde::de::DeserializeOwned>(bytes: &Bytes, many: bool) -> Result<T, Problem> {
    let wrong = |e: String| Problem::new(StatusCode::BAD_REQUEST, format!("the request body is not the JSON expected: {e}"));
    let value: Value = serde_json::from_slice(bytes).map_err(|e| wrong(e.to_string()))?;
    let check = |v: &Value| if v.is_object() { Ok(()) } else { Err(wrong(format!("a check is a JSON object of parameters, not `{v}`"))) };
    match (&value, many) {
        (Value::Array(items), true) => items.iter().try_for_each(check)?,
        (v, true) => return Err(wrong(format!("a batch is a JSON array of checks, not `{v}`"))),
        (v, false) => check(v)?,
    }
    serde_json::from_value(value).map_err(|e| wrong(e.to_string()))
}

/// `POST /v1/check`: one check, its parameters as a JSON object.
#[utoipa::path(post, path = "/v1/check", tag = "check", request_body = Check,
    responses((status = 200, description = "The decision, as `chipgate check --format json`", body = openapi::AnswerDoc),
        (status = 400, description = "The body or a parameter is wrong", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than the limit", body = Problem, content_type = "application/problem+json")))]
async fn check_post(
    State(service): State<Shared>,
    bytes: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<Value>, Problem> {
    let bytes = bytes.map_err(|e| Problem::new(e.status(), e.body_text()))?;
    let check: Check = body(&bytes, false)?;
    Ok(Json(answer(&service.rules(), &check)?))
}

/// `POST /v1/check/batch`: many checks; each answer is a decision or the problem with its request.
#[utoipa::path(post, path = "/v1/check/batch", tag = "check", request_body = Vec<Check>,
    responses((status = 200, description = "One answer per request, in order: a decision, or a problem with `index`", body = Vec<openapi::BatchAnswer>),
        (status = 400, description = "The body is not an array of checks", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than the limit", body = Problem, content_type = "application/problem+json")))]
async fn check_batch(
    State(service): State<Shared>,
    bytes: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<Vec<Value>>, Problem> {
    let bytes = bytes.map_err(|e| Problem::new(e.status(), e.body_text()))?;
    let checks: Vec<Check> = body(&bytes, true)?;
    let rs = service.rules();
    // A batch is CPU work of up to a second: off the threads that serve the other requests.
    let answers = tokio::task::spawn_blocking(move || {
        checks
            .iter()
            .enumerate()
            .map(|(i, c)| answer(&rs, c).unwrap_or_else(|p| serde_json::to_value(Problem { index: Some(i), ..p }).unwrap_or_default()))
            .collect::<Vec<Value>>()
    })
    .await
    .map_err(|e| Problem::new(StatusCode::INTERNAL_SERVER_ERROR, format!("the batch failed: {e}")))?;
    Ok(Json(answers))
}

/// A query string as its parameters, or the problem with it.
fn query<T: serde::de::DeserializeOwned>(q: Option<&str>) -> Result<T, Problem> {
    serde_html_form::from_str(q.unwrap_or_default())
        .map_err(|e| Problem::new(StatusCode::BAD_REQUEST, format!("the query string cannot be read: {e}")))
}

/// `GET /v1/timeline`: a chip's status for a destination across time.
#[utoipa::path(get, path = "/v1/timeline", tag = "views", params(Check, openapi::Days),
    responses((status = 200, description = "The timeline, as `chipgate timeline --format json`", body = Versioned<Timeline>),
        (status = 400, description = "A parameter is wrong", body = Problem, content_type = "application/problem+json")))]
async fn timeline(State(service): State<Shared>, RawQuery(q): RawQuery) -> Result<Json<Value>, Problem> {
    // The days of the view, then the check's own parameters.
    let pairs: Vec<(String, String)> = query(q.as_deref())?;
    let (days, rest): (Vec<_>, Vec<_>) = pairs.into_iter().partition(|(k, _)| k == "from" || k == "until");
    let day = |name: &str| days.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let rest = serde_html_form::to_string(&rest).map_err(|e| Problem::new(StatusCode::BAD_REQUEST, e.to_string()))?;
    let req = request::Timeline { check: query(Some(&rest))?, from: day("from"), until: day("until") };
    let rs = service.rules();
    let tl = req.build(&rs, today(), SOURCE).map_err(Problem::request)?;
    render(&Versioned::new(&rs, &tl))
}

/// `GET /v1/diff`: what changed between two dates.
#[utoipa::path(get, path = "/v1/diff", tag = "views", params(request::Diff),
    responses((status = 200, description = "The differences, as `chipgate diff --format json`", body = Versioned<Diff>),
        (status = 400, description = "A parameter is wrong", body = Problem, content_type = "application/problem+json")))]
async fn diff(State(service): State<Shared>, RawQuery(q): RawQuery) -> Result<Json<Value>, Problem> {
    let req: request::Diff = query(q.as_deref())?;
    let rs = service.rules();
    // Every chip at two dates: CPU work of up to a second, off the threads that serve the rest.
    let d = tokio::task::spawn_blocking(move || req.build(&rs, today()).map(|d| (d, rs)))
        .await
        .map_err(|e| Problem::new(StatusCode::INTERNAL_SERVER_ERROR, format!("the diff failed: {e}")))?
        .map_err(Problem::request)?;
    render(&Versioned::new(&d.1, &d.0))
}

/// The date of a view: the one given, else today.
fn view_date(given: Option<&str>) -> Result<Date, Problem> {
    request::date_or("date", given, today()).map_err(Problem::request)
}

fn render<T: Serialize>(doc: &T) -> Result<Json<Value>, Problem> {
    json_of(doc).map(Json)
}

/// The catalog's parameters: those of `chipgate chips`.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default, deny_unknown_fields)]
struct ChipsParams {
    /// Only this vendor's chips.
    vendor: Option<String>,
    /// Only chips classified under this ECCN on the date.
    eccn: Option<String>,
    /// Only chips whose name or alias contains this.
    search: Option<String>,
    /// The computers and assemblies (systems, boards) instead of the integrated circuits.
    systems: bool,
    /// Classify on this date (`YYYY-MM-DD`); none: today.
    date: Option<String>,
}

/// `GET /v1/chips`: the catalog, classified on a date.
#[utoipa::path(get, path = "/v1/chips", tag = "views", params(ChipsParams),
    responses((status = 200, description = "The catalog, as `chipgate chips --format json`", body = catalog::List),
        (status = 400, description = "A parameter is wrong", body = Problem, content_type = "application/problem+json")))]
async fn chips(State(service): State<Shared>, RawQuery(q): RawQuery) -> Result<Json<Value>, Problem> {
    let p: ChipsParams = query(q.as_deref())?;
    let date = view_date(p.date.as_deref())?;
    let rs = service.rules();
    let filter = catalog::Filter { vendor: p.vendor, eccn: p.eccn, search: p.search, systems: p.systems };
    let found = filter.apply(&rs, date);
    let chips = found.iter().map(|(c, class)| catalog::Entry::new(c, class)).collect();
    render(&catalog::List { schema_version: request::SCHEMA_VERSION, date, rules_version: rs.version(), chips })
}

/// One chip's parameters: those of `chipgate chips show`.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default, deny_unknown_fields)]
struct ChipParams {
    /// Classify on this date (`YYYY-MM-DD`); none: today.
    date: Option<String>,
}

/// `GET /v1/chips/{name}`: one chip's figures, sources and classification.
#[utoipa::path(get, path = "/v1/chips/{name}", tag = "views", params(("name" = String, Path, description = "A catalog chip name or alias", example = "H100"), ChipParams),
    responses((status = 200, description = "The chip, as `chipgate chips show NAME --format json`", body = catalog::Sheet),
        (status = 400, description = "A parameter is wrong", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such chip (with suggestions)", body = Problem, content_type = "application/problem+json")))]
async fn chip(State(service): State<Shared>, Path(name): Path<String>, RawQuery(q): RawQuery) -> Result<Json<Value>, Problem> {
    let p: ChipParams = query(q.as_deref())?;
    let date = view_date(p.date.as_deref())?;
    let rs = service.rules();
    let chip = request::lookup(&rs, &name, "name").map_err(|e| Problem::about("name", StatusCode::NOT_FOUND, e.message))?;
    render(&catalog::Sheet::new(&rs, chip, date))
}

/// `GET /v1/map`: how the rules in force classify each point of a TPP × density grid.
#[utoipa::path(get, path = "/v1/map", tag = "views", params(request::Map),
    responses((status = 200, description = "The grid, as `chipgate map --format json`", body = Versioned<chipgate_core::history::map::Map>),
        (status = 400, description = "A parameter is wrong", body = Problem, content_type = "application/problem+json")))]
async fn map(State(service): State<Shared>, RawQuery(q): RawQuery) -> Result<Json<Value>, Problem> {
    let req: request::Map = query(q.as_deref())?;
    let rs = service.rules();
    // Thousands of classifications: off the threads that serve the other requests.
    let (m, rs) = tokio::task::spawn_blocking(move || (req.build(&rs, today()), rs))
        .await
        .map_err(|e| Problem::new(StatusCode::INTERNAL_SERVER_ERROR, format!("the map failed: {e}")))?;
    render(&Versioned::new(&rs, &m.map_err(Problem::request)?))
}

/// `GET /v1/rules`: the packs, regimes and rules.
#[utoipa::path(get, path = "/v1/rules", tag = "rules",
    responses((status = 200, description = "As `chipgate rules --format json`", body = words::Listing)))]
async fn rules(State(service): State<Shared>) -> Result<Json<Value>, Problem> {
    let rs = service.rules();
    render(&words::Listing::new(&rs))
}

/// `GET /v1/rules/{id}`: one rule or regime, its condition in words.
#[utoipa::path(get, path = "/v1/rules/{id}", tag = "rules", params(("id" = String, Path, description = "A rule or regime id (its `/` written `%2F`)", example = "us-2023-10/3a090.a.1")),
    responses((status = 200, description = "The rule or the regime", body = openapi::RuleOrRegime),
        (status = 404, description = "No such rule or regime (with suggestions)", body = Problem, content_type = "application/problem+json")))]
async fn rule(State(service): State<Shared>, Path(id): Path<String>) -> Result<Json<Value>, Problem> {
    let rs = service.rules();
    if let Some(r) = rs.rule(&id) {
        return render(&openapi::RuleOrRegime::Rule(words::RuleSheet::new(&rs, r)));
    }
    if let Some(g) = rs.regime(&id) {
        return render(&openapi::RuleOrRegime::Regime(words::RegimeSheet::new(&rs, g)));
    }
    Err(Problem::about("id", StatusCode::NOT_FOUND, words::unknown_id(&rs, &id)))
}

/// The countries the rules know.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Countries<'a> {
    /// The packs, versions and hashes in use.
    rules_version: String,
    /// Every country, with its groups.
    countries: &'a [chipgate_core::geo::Country],
}

/// `GET /v1/countries`.
#[utoipa::path(get, path = "/v1/countries", tag = "views", responses((status = 200, description = "The countries", body = Countries)))]
async fn countries(State(service): State<Shared>) -> Result<Json<Value>, Problem> {
    let rs = service.rules();
    render(&Countries { rules_version: rs.version(), countries: rs.countries.all() })
}

/// The header a reload must carry: a page of another site cannot send it without the
/// browser asking first (CORS), so no other site can make a user's browser reload the rules.
const ADMIN_HEADER: &str = "chipgate-admin";

/// What a reload did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Reloaded {
    /// Always true (a failed reload is a problem).
    reloaded: bool,
    /// The packs, versions and hashes now in use.
    rules_version: String,
}

/// `POST /v1/admin/reload`: load the packs given at start again.
#[utoipa::path(post, path = "/v1/admin/reload", tag = "service",
    params(("chipgate-admin" = String, Header, description = "Must be `reload`")),
    responses((status = 200, description = "The new rules are in use", body = Reloaded),
        (status = 403, description = "The header is missing", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "The packs did not load; the rules in use stay", body = Problem, content_type = "application/problem+json")))]
async fn reload(State(service): State<Shared>, headers: axum::http::HeaderMap) -> Result<Json<Reloaded>, Problem> {
    if headers.get(ADMIN_HEADER).is_none_or(|v| v != "reload") {
        return Err(Problem::new(StatusCode::FORBIDDEN, format!("a reload must carry the header `{ADMIN_HEADER}: reload`")));
    }
    let s = Arc::clone(&service);
    match tokio::task::spawn_blocking(move || s.reload()).await {
        Ok(Ok(version)) => Ok(Json(Reloaded { reloaded: true, rules_version: version })),
        Ok(Err(e)) => Err(Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the rules could not be loaded; the rules in use stay ({}):\n{e}", service.rules().version()),
        )),
        Err(e) => Err(Problem::new(StatusCode::INTERNAL_SERVER_ERROR, format!("the reload failed: {e}"))),
    }
}

async fn not_found(method: Method, uri: axum::http::Uri) -> Problem {
    Problem::new(StatusCode::NOT_FOUND, format!("no endpoint {method} {}; see /healthz and /v1/check", uri.path()))
}

async fn method_not_allowed(method: Method, uri: axum::http::Uri) -> Problem {
    Problem::new(StatusCode::METHOD_NOT_ALLOWED, format!("{} does not take {method}", uri.path()))
}
