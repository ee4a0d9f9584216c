//! `POST /v1/audit`: a shipment list streamed in as the request body and out as the response,
//! through the audit library on a blocking thread. Memory stays a few chunks each way whatever
//! the size: the body feeds a bounded channel that the audit reads as a `Read`, and the audit
//! writes into another that the response streams.

use std::io::{self, Read, Write};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chipgate_audit::{AuditError, CsvSink, JsonlSink, Options, Summary};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::{query, today, Problem, Shared};

/// Bytes per chunk written to the response.
const CHUNK: usize = 64 << 10;

/// The audit's parameters: the flags of `chipgate audit` of the same names.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Params {
    date: Option<String>,
    columns: Vec<String>,
    delimiter: Option<String>,
    encoding: Option<String>,
    date_format: Option<String>,
    exporter: Option<String>,
    ship_from: Option<String>,
    stamp: bool,
    max_record_bytes: Option<usize>,
    max_fields: Option<usize>,
}

fn bad(parameter: &'static str, detail: impl Into<String>) -> Problem {
    Problem { parameter: Some(parameter), ..Problem::new(StatusCode::BAD_REQUEST, detail) }
}

impl Params {
    fn options(&self) -> Result<Options, Problem> {
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
        o.ship_from = self.ship_from.clone();
        o.stamp = self.stamp;
        o.limits.record_bytes = self.max_record_bytes.unwrap_or(o.limits.record_bytes).max(1);
        o.limits.fields = self.max_fields.unwrap_or(o.limits.fields).max(1);
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

/// The response body as a `Write`, in chunks of [`CHUNK`] bytes.
struct BodyWriter {
    tx: mpsc::Sender<Bytes>,
    buf: Vec<u8>,
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
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx.blocking_send(chunk).map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client stopped reading"))
    }
}

/// The summary document of `chipgate audit --summary-json`: the audit's summary and the exit
/// code the command line would give.
#[derive(Serialize)]
struct SummaryDoc<'a> {
    #[serde(flatten)]
    summary: &'a Summary,
    exit_code: u8,
}

fn exit_code(s: &Summary) -> u8 {
    if s.error_rows > 0 {
        2
    } else if s.findings > 0 {
        1
    } else {
        0
    }
}

/// What became of an audit that did not finish, as a problem.
fn failed(e: &AuditError) -> Problem {
    let status = match e {
        AuditError::Header(_) | AuditError::Read(_) => StatusCode::BAD_REQUEST,
        AuditError::UnknownShipFrom(_) => return bad("ship_from", e.to_string()),
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail = format!("{detail}: {s}");
        source = s.source();
    }
    Problem::new(status, detail)
}

/// `POST /v1/audit`.
pub(super) async fn audit(State(service): State<Shared>, headers: HeaderMap, RawQuery(q): RawQuery, body: Body) -> Response {
    match start(service, &headers, q.as_deref(), body).await {
        Ok(r) => r,
        Err(p) => p.into_response(),
    }
}

async fn start(service: Shared, headers: &HeaderMap, q: Option<&str>, body: Body) -> Result<Response, Problem> {
    let params: Params = query(q)?;
    let opts = params.options()?;
    let limit = service.max_upload;
    let length = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if length.is_some_and(|n| n > limit) {
        return Err(Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the upload is larger than the limit of {limit} bytes (--max-upload)"),
        ));
    }
    let Ok(permit) = Arc::clone(&service.audits).try_acquire_owned() else {
        return Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "as many audits as the service runs at once are running; try again later",
        ));
    };
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let jsonl = accept.contains("application/x-ndjson") || accept.contains("application/jsonl");

    // The body in, counted against the limit.
    let (in_tx, in_rx) = mpsc::channel::<io::Result<Bytes>>(8);
    tokio::spawn(async move {
        let mut stream = body.into_data_stream();
        let mut seen = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(io::Error::other).and_then(|c| {
                seen += c.len() as u64;
                if seen > limit {
                    Err(io::Error::other(format!("the upload is larger than the limit of {limit} bytes (--max-upload)")))
                } else {
                    Ok(c)
                }
            });
            let stop = chunk.is_err();
            if in_tx.send(chunk).await.is_err() || stop {
                break;
            }
        }
    });

    // The audit on a blocking thread; its rows out.
    let (out_tx, mut out_rx) = mpsc::channel::<Bytes>(8);
    let (fail_tx, fail_rx) = tokio::sync::oneshot::channel::<Problem>();
    let id = service.next_audit_id();
    let rs = service.rules();
    let (svc, audit_id) = (Arc::clone(&service), id.clone());
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let reader = BodyReader { rx: in_rx, chunk: Bytes::new() };
        let writer = BodyWriter { tx: out_tx, buf: Vec::with_capacity(CHUNK) };
        let (result, writer) = if jsonl {
            let mut sink = JsonlSink::new(writer);
            let r = chipgate_audit::audit(&rs, &opts, reader, &mut sink);
            (r, sink.into_inner().ok())
        } else {
            let mut sink = CsvSink::new(writer);
            let r = chipgate_audit::audit(&rs, &opts, reader, &mut sink);
            (r, sink.into_inner().ok())
        };
        match result {
            Ok(summary) => {
                let doc = SummaryDoc { summary: &summary, exit_code: exit_code(&summary) };
                let text = serde_json::to_string(&doc).unwrap_or_default();
                if let (true, Some(mut w)) = (jsonl, writer) {
                    let _ = w.write_all(format!("{{\"summary\":{text}}}\n").as_bytes()).and_then(|()| w.flush());
                }
                svc.metrics.audit(summary.rows);
                svc.keep_summary(audit_id, text);
            }
            Err(e) => {
                let problem = failed(&e);
                if let (true, Some(mut w)) = (jsonl, writer) {
                    let line = serde_json::json!({ "error": problem.detail });
                    let _ = w.write_all(format!("{line}\n").as_bytes()).and_then(|()| w.flush());
                }
                let _ = fail_tx.send(problem);
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
    let rest = futures_util::stream::unfold(out_rx, |mut rx| async move { rx.recv().await.map(|b| (Ok::<Bytes, io::Error>(b), rx)) });
    let stream = futures_util::stream::iter(first.map(Ok)).chain(rest);
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
pub(super) async fn summary(State(service): State<Shared>, axum::extract::Path(id): axum::extract::Path<String>) -> Response {
    match service.summary(&id) {
        Some(text) => ([(header::CONTENT_TYPE, "application/json")], text).into_response(),
        None => Problem::new(StatusCode::NOT_FOUND, format!("no finished audit `{id}` (the last {} are kept)", super::KEPT_SUMMARIES))
            .into_response(),
    }
}
