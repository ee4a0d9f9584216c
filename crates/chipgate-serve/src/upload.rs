//! `POST /v1/audit`: a shipment list streamed in as the request body and out as the response,
//! through the audit library on a blocking thread. Memory stays a few chunks each way whatever
//! the size: the body feeds a bounded channel that the audit reads as a `Read`, and the audit
//! writes into another that the response streams.

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chipgate_audit::workbook::{Workbook, WorkbookError, EXTENSIONS};
use chipgate_audit::{AuditError, CsvSink, JsonlSink, Options, Summary, SummaryDocument};
use futures_util::StreamExt;
use serde::Deserialize;
use tokio::sync::mpsc;

use super::{query, today, Problem, Shared};

/// Bytes per chunk written to the response.
const CHUNK: usize = 64 << 10;

/// The audit's parameters: the flags of `chipgate audit` of the same names.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Params {
    /// The date of rows without one (`YYYY-MM-DD`); none: today.
    date: Option<String>,
    /// Which columns hold which field, as `field=Header` (e.g. `chip=Material`).
    columns: Vec<String>,
    /// The byte between fields (`,` `;` `tab` `|`…); none: found from the header.
    delimiter: Option<String>,
    /// The upload's encoding (e.g. `windows-1252`); none: UTF-8, or UTF-16 with a BOM.
    encoding: Option<String>,
    /// How dates are written besides ISO 8601 (e.g. `%d.%m.%Y`).
    date_format: Option<String>,
    /// Who exports, for rows without an exporter column.
    exporter: Option<String>,
    /// The country shipped from, for rows without one; none: the rules' jurisdiction.
    ship_from: Option<String>,
    /// What the exporter of rows without an `exporter_role` column is (`fabricator`, `osat`,
    /// `other`).
    exporter_role: Option<String>,
    /// The attestations of rows without an `attested_by` column (`approved_designer`, …).
    attested_by: Vec<String>,
    /// Add `rules_version` and `as_of` columns.
    stamp: bool,
    /// The most bytes of one record (at most the default, 1 MiB).
    max_record_bytes: Option<usize>,
    /// The most fields of one record (at most the default, 10,000).
    max_fields: Option<usize>,
    /// Neutralise cells a spreadsheet would run as formulas.
    excel_safe: bool,
    /// The byte between the output's fields; none: the upload's.
    output_delimiter: Option<String>,
    /// The upload's format: `csv`, or a workbook's extension; by default from the
    /// `Content-Type` (a spreadsheet type names its workbook format), else CSV.
    format: Option<String>,
    /// The worksheet of a workbook to audit (name or 1-based number); default the first.
    sheet: Option<String>,
}

/// The workbook format a `Content-Type` names, if any.
fn workbook_type(kind: &str) -> Option<&'static str> {
    let kind = kind.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    Some(match kind.as_str() {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "xlsx",
        "application/vnd.ms-excel.sheet.macroenabled.12" => "xlsm",
        "application/vnd.ms-excel.sheet.binary.macroenabled.12" => "xlsb",
        "application/vnd.ms-excel" => "xls",
        "application/vnd.oasis.opendocument.spreadsheet" => "ods",
        _ => return None,
    })
}

/// Why an upload was not audited to its end.
enum Failure {
    /// The CSV audit failed.
    Audit(AuditError),
    /// The workbook could not be read or audited.
    Workbook(WorkbookError),
    /// The workbook could not be received (kept in a temporary file: a workbook is read whole).
    Spool(io::Error),
}

fn bad(parameter: &'static str, detail: impl Into<String>) -> Problem {
    Problem::about(parameter, StatusCode::BAD_REQUEST, detail)
}

impl Params {
    /// The audit's options; limits may be lowered by a request, never raised past the
    /// defaults (the service's memory is bounded for every request).
    fn options(&self, rs: &chipgate_core::RuleSet) -> Result<Options, Problem> {
        let date = match &self.date {
            Some(d) => chipgate_core::date::parse(d).map_err(|e| bad("date", e.to_string()))?,
            None => today(),
        };
        let mut o = Options::new(date);
        o.columns = chipgate_audit::parse_mappings(&self.columns).map_err(|e| bad("columns", e.to_string()))?;
        o.delimiter = self.delimiter.as_deref().map(chipgate_audit::delimiter_for).transpose().map_err(|e| bad("delimiter", e))?;
        o.encoding = self.encoding.as_deref().map(chipgate_audit::encoding_named).transpose().map_err(|e| bad("encoding", e))?;
        o.date_format = self
            .date_format
            .as_deref()
            .map(chipgate_core::date::DateFormat::new)
            .transpose()
            .map_err(|e| bad("date_format", e.to_string()))?;
        o.exporter = self.exporter.clone();
        o.ship_from =
            self.ship_from.as_deref().map(|f| chipgate_core::request::country(rs, f, "ship_from")).transpose().map_err(Problem::request)?;
        (o.exporter_role, o.attested_by) =
            chipgate_core::request::exporting(self.exporter_role.as_deref(), &self.attested_by).map_err(Problem::request)?;
        o.stamp = self.stamp;
        let limits = chipgate_audit::Limits::default();
        o.limits.record_bytes = self.max_record_bytes.map_or(limits.record_bytes, |n| n.clamp(1, limits.record_bytes));
        o.limits.fields = self.max_fields.map_or(limits.fields, |n| n.clamp(1, limits.fields));
        Ok(o)
    }
}

/// The request body as a `Read`, chunk by chunk from the task that receives it.
struct BodyReader {
    rx: mpsc::Receiver<io::Result<Bytes>>,
    chunk: Bytes,
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.chunk.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(b)) => self.chunk = b,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk.split_to(n));
        Ok(n)
    }
}

/// What the audit's thread and the handler share about the response.
#[derive(Default)]
struct Sent {
    /// Some bytes went out: the status is sent, and a failure can only cut the body short.
    any: AtomicBool,
    /// The audit failed before any: what is buffered is dropped, the problem is the answer.
    discard: AtomicBool,
}

/// The response body as a `Write`, in chunks of [`CHUNK`] bytes.
struct BodyWriter {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buf: Vec<u8>,
    sent: Arc<Sent>,
}

impl Write for BodyWriter {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(b);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(b.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.sent.discard.load(Ordering::Relaxed) {
            self.buf.clear();
        }
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.sent.any.store(true, Ordering::Relaxed);
        self.tx.blocking_send(Ok(chunk)).map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client stopped reading"))
    }
}

/// An upload past `--max-upload`.
#[derive(Debug, thiserror::Error)]
#[error("the upload is larger than the limit of {0} bytes (--max-upload)")]
struct TooLarge(u64);

/// An upload that stopped sending.
#[derive(Debug, thiserror::Error)]
#[error("the upload sent nothing for {} s (--timeout)", .0.as_secs_f64())]
struct Stalled(Duration);

/// What became of an audit that did not finish, as a problem.
fn failed(e: &AuditError) -> Problem {
    let status = match (e, e.read_cause()) {
        (_, Some(c)) if c.is::<TooLarge>() => StatusCode::PAYLOAD_TOO_LARGE,
        (_, Some(c)) if c.is::<Stalled>() => StatusCode::REQUEST_TIMEOUT,
        (AuditError::Header(_) | AuditError::Read(_), _) => StatusCode::BAD_REQUEST,
        (AuditError::UnknownShipFrom(_), _) => return bad("ship_from", e.to_string()),
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    Problem::new(status, chain(e))
}

/// An error and its causes, each said once.
fn chain(e: &dyn std::error::Error) -> String {
    let mut detail = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        detail = format!("{detail}: {s}");
        source = s.source();
    }
    detail
}

impl Failure {
    fn problem(&self) -> Problem {
        match self {
            Failure::Audit(e) | Failure::Workbook(WorkbookError::Audit { source: e, .. }) => {
                let mut p = failed(e);
                if let Failure::Workbook(w) = self {
                    p.detail = format!("{w}: {}", p.detail);
                }
                p
            }
            Failure::Workbook(e @ WorkbookError::UnknownSheet { .. }) => bad("sheet", chain(e)),
            Failure::Workbook(e) => Problem::new(StatusCode::BAD_REQUEST, chain(e)),
            Failure::Spool(e) => match e.get_ref() {
                Some(c) if c.is::<TooLarge>() => Problem::new(StatusCode::PAYLOAD_TOO_LARGE, c.to_string()),
                Some(c) if c.is::<Stalled>() => Problem::new(StatusCode::REQUEST_TIMEOUT, c.to_string()),
                _ => Problem::new(StatusCode::INTERNAL_SERVER_ERROR, format!("cannot keep the workbook for reading: {e}")),
            },
        }
    }
}

/// Audits the upload into a sink: as CSV from the stream, or (a workbook, which is read whole)
/// from a temporary file it is first copied to.
fn run_audit(
    rs: &chipgate_core::RuleSet,
    opts: &Options,
    mut reader: BodyReader,
    workbook: Option<&str>,
    sheet: Option<&str>,
    sink: &mut dyn chipgate_audit::Sink,
) -> Result<Summary, Failure> {
    let Some(ext) = workbook else { return chipgate_audit::audit(rs, opts, reader, sink).map_err(Failure::Audit) };
    let mut file = tempfile::Builder::new().prefix("chipgate-upload-").suffix(&format!(".{ext}")).tempfile().map_err(Failure::Spool)?;
    io::copy(&mut reader, &mut file).and_then(|_| file.flush()).map_err(Failure::Spool)?;
    let book = Workbook::open(file.path()).map_err(Failure::Workbook)?;
    let name = book.choose(sheet).map_err(Failure::Workbook)?;
    book.audit(&name, rs, opts, sink).map_err(Failure::Workbook)
}

/// `POST /v1/audit`: a shipment list, streamed back with the audit's columns.
#[utoipa::path(post, path = "/v1/audit", tag = "audit", params(Params),
    request_body(description = "The shipment list: CSV in any delimiter and encoding `chipgate audit` reads, or a workbook",
        content((String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (Vec<u8> = "application/vnd.oasis.opendocument.spreadsheet"))),
    responses((status = 200, description = "Every row with the audit's columns, in order (`Accept: application/x-ndjson`: JSON lines ending in a `{\"summary\": …}` line); the `chipgate-audit-id` header names the summary",
            content((String = "text/csv"), (String = "application/x-ndjson"))),
        (status = 400, description = "A parameter or the header is wrong", body = Problem, content_type = "application/problem+json"),
        (status = 408, description = "The upload stalled", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The upload is larger than --max-upload", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "As many audits as --max-audits are running", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn audit(State(service): State<Shared>, headers: HeaderMap, RawQuery(q): RawQuery, body: Body) -> Response {
    match start(service, &headers, q.as_deref(), body).await {
        Ok(r) => r,
        Err(p) => p.into_response(),
    }
}

async fn start(service: Shared, headers: &HeaderMap, q: Option<&str>, body: Body) -> Result<Response, Problem> {
    let params: Params = query(q)?;
    let rs = service.rules();
    let opts = params.options(&rs)?;
    let output_delimiter =
        params.output_delimiter.as_deref().map(chipgate_audit::delimiter_for).transpose().map_err(|e| bad("output_delimiter", e))?;
    let limit = service.max_upload;
    let length = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if length.is_some_and(|n| n > limit) {
        return Err(Problem::new(StatusCode::PAYLOAD_TOO_LARGE, TooLarge(limit).to_string()));
    }
    let Ok(permit) = Arc::clone(&service.audits).try_acquire_owned() else {
        return Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "as many audits as the service runs at once are running; try again later",
        ));
    };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let workbook: Option<&'static str> = match params.format.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None => workbook_type(content_type),
        Some("csv") => None,
        Some(f) => match EXTENSIONS.iter().find(|x| **x == f) {
            Some(x) => Some(*x),
            None => return Err(bad("format", format!("`{f}` is not a format of an audit; give csv or one of {}", EXTENSIONS.join(", ")))),
        },
    };
    if workbook.is_none() && params.sheet.is_some() {
        return Err(bad("sheet", "`sheet` applies to a workbook upload (format xlsx, xlsm, xlsb, xls or ods)"));
    }
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let jsonl = accept.contains("application/x-ndjson") || accept.contains("application/jsonl");

    // The body in, counted against the limit; an upload that stalls for the request timeout
    // ends the audit (and frees its place).
    let (in_tx, in_rx) = mpsc::channel::<io::Result<Bytes>>(8);
    let idle = service.idle;
    tokio::spawn(async move {
        let mut stream = body.into_data_stream();
        let mut seen = 0u64;
        loop {
            let item = match tokio::time::timeout(idle, stream.next()).await {
                Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, Stalled(idle))),
                Ok(None) => break,
                Ok(Some(Err(e))) => Err(io::Error::other(e)),
                Ok(Some(Ok(c))) => {
                    seen += c.len() as u64;
                    if seen > limit {
                        Err(io::Error::other(TooLarge(limit)))
                    } else {
                        Ok(c)
                    }
                }
            };
            let stop = item.is_err();
            if in_tx.send(item).await.is_err() || stop {
                break;
            }
        }
    });

    // The audit on a blocking thread; its rows out.
    let (out_tx, mut out_rx) = mpsc::channel::<io::Result<Bytes>>(8);
    let (fail_tx, fail_rx) = tokio::sync::oneshot::channel::<Problem>();
    let id = service.next_audit_id();
    let (svc, audit_id) = (Arc::clone(&service), id.clone());
    tokio::task::spawn_blocking(move || {
        let sent = Arc::new(Sent::default());
        let reader = BodyReader { rx: in_rx, chunk: Bytes::new() };
        let writer = BodyWriter { tx: out_tx.clone(), buf: Vec::with_capacity(CHUNK), sent: Arc::clone(&sent) };
        // A failure before any output drops what the sink still holds (its header), so that
        // the answer is the problem alone.
        let sheet = params.sheet.clone();
        let run = |sink: &mut dyn chipgate_audit::Sink, reader| {
            let r = run_audit(&rs, &opts, reader, workbook, sheet.as_deref(), sink);
            if r.is_err() && !sent.any.load(Ordering::Relaxed) {
                sent.discard.store(true, Ordering::Relaxed);
            }
            r
        };
        let (result, writer) = if jsonl {
            let mut sink = JsonlSink::new(writer);
            match run(&mut sink, reader) {
                Ok(summary) => (Ok(summary), Some(sink.into_inner())),
                Err(e) => (Err(e), None),
            }
        } else {
            let mut sink = CsvSink::new(writer).excel_safe(params.excel_safe).delimiter(output_delimiter);
            match run(&mut sink, reader) {
                Ok(summary) => (Ok(summary), Some(sink.into_inner())),
                Err(e) => (Err(e), None),
            }
        };
        // The audit's work is done: its place is free before the client can hear the end of it.
        drop(permit);
        match result {
            Ok(summary) => {
                let text = serde_json::to_string(&SummaryDocument::new(&summary)).unwrap_or_default();
                if let (true, Some(Ok(mut w))) = (jsonl, writer) {
                    let _ = w.write_all(format!("{{\"summary\":{text}}}\n").as_bytes()).and_then(|()| w.flush());
                }
                svc.metrics.audit(summary.rows);
                svc.keep_summary(audit_id, text);
            }
            Err(e) => {
                let problem = e.problem();
                if sent.discard.load(Ordering::Relaxed) {
                    let _ = fail_tx.send(problem);
                } else {
                    // The answer has begun: cut it short, so that no client takes it for complete.
                    let _ = out_tx.blocking_send(Err(io::Error::other(problem.detail)));
                }
            }
        }
    });

    // The first output, or the reason there is none (a header that cannot be audited).
    let mut fail_rx = fail_rx;
    let (first, fail_rx) = tokio::select! {
        biased;
        chunk = out_rx.recv() => (chunk, Some(fail_rx)),
        failed = &mut fail_rx => match failed {
            Ok(problem) => return Err(problem),
            Err(_) => (out_rx.recv().await, None),
        },
    };
    // No output at all: the audit has ended, and said why if it failed.
    if let (None, Some(rx)) = (&first, fail_rx) {
        if let Ok(problem) = rx.await {
            return Err(problem);
        }
    }
    let rest = futures_util::stream::unfold(out_rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    let stream = futures_util::stream::iter(first).chain(rest);
    let mut response = Body::from_stream(stream).into_response();
    let h = response.headers_mut();
    let kind = if jsonl { "application/x-ndjson" } else { "text/csv; charset=utf-8" };
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    if let Ok(link) = HeaderValue::from_str(&format!("</v1/audit/{id}/summary>; rel=\"summary\"")) {
        h.insert(header::LINK, link);
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        h.insert("chipgate-audit-id", v);
    }
    Ok(response)
}

/// `GET /v1/audit/{id}/summary`: the summary of a finished audit, kept for the last few.
#[utoipa::path(get, path = "/v1/audit/{id}/summary", tag = "audit", params(("id" = String, Path, description = "The audit's `chipgate-audit-id`")),
    responses((status = 200, description = "As `chipgate audit --summary-json`", body = chipgate_audit::SummaryDocument),
        (status = 404, description = "No such finished audit", body = Problem, content_type = "application/problem+json")))]
pub(super) async fn summary(State(service): State<Shared>, axum::extract::Path(id): axum::extract::Path<String>) -> Response {
    match service.summary(&id) {
        Some(text) => ([(header::CONTENT_TYPE, "application/json")], text).into_response(),
        None => Problem::new(StatusCode::NOT_FOUND, format!("no finished audit `{id}` (the last {} are kept)", super::KEPT_SUMMARIES))
            .into_response(),
    }
}
