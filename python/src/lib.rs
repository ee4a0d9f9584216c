//! The native part of the Python package `chipgate` (`chipgate._chipgate`): a loaded rule set,
//! one check, and the audit of Arrow data. The Python wrapper (`chipgate/__init__.py`) turns
//! keyword arguments and data frames into what these take. Every answer comes from the same
//! library functions as the command line's (`chipgate_core::request::Check`,
//! `chipgate_audit::arrow::AuditStream`), so the documents are the CLI's but for the source
//! recorded for a given figure ([`SOURCE`]).

use std::ffi::CStr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use arrow_array::ffi_stream::{FFI_ArrowArrayStream, RecordBatchStreamReader};
use chipgate_audit::arrow::{AuditStream, StreamOutcome};
use chipgate_audit::{parse_mappings, Options};
use chipgate_core::request::{Answer, Check};
use chipgate_core::{Loader, PackSource};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

/// The source recorded for figures a call gives (the command line says "given on the command
/// line", the service "given in the request").
const SOURCE: &str = "given in the call";

/// A loaded, checked rule set: the built-in packs and any given, loaded once and shared by
/// every call (and thread) that asks it.
#[pyclass(frozen, name = "RuleSet", module = "chipgate")]
struct RuleSet {
    inner: Arc<chipgate_core::RuleSet>,
}

#[pymethods]
impl RuleSet {
    /// Loads the built-in packs (unless `builtin` is false) and then each of `rules` (pack
    /// directories or `.toml` files), as `--rules` does, and each of `parties` (the Consolidated
    /// Screening List as downloaded, CSV or JSON), as `--parties` does. Raises `ValueError` with
    /// every diagnostic when they do not load.
    #[new]
    #[pyo3(signature = (rules = Vec::new(), builtin = true, parties = Vec::new()))]
    fn new(py: Python<'_>, rules: Vec<PathBuf>, builtin: bool, parties: Vec<PathBuf>) -> PyResult<RuleSet> {
        let mut l = if builtin { Loader::new() } else { Loader::empty() };
        for p in rules {
            l = l.pack(PackSource::Path(p));
        }
        let loaded = py.detach(|| l.load());
        let (mut rs, _warnings) = loaded.map_err(|e| PyValueError::new_err(format!("the rules could not be loaded:\n{e}")))?;
        for p in parties {
            py.detach(|| chipgate_core::parties::csl::load(&mut rs, &p)).map_err(|e| PyValueError::new_err(e.to_string()))?;
        }
        Ok(RuleSet { inner: Arc::new(rs) })
    }

    /// The packs, versions and content hashes, as answers record them.
    #[getter]
    fn version(&self) -> String {
        self.inner.version()
    }
}

/// Today (UTC).
fn today() -> jiff::civil::Date {
    chipgate_core::date::today()
}

/// One check: its parameters as a JSON object (the flags of `chipgate check`, `-` as `_`),
/// its answer as the JSON document of `chipgate check --format json`.
#[pyfunction]
fn check(py: Python<'_>, rules: &RuleSet, params: &str) -> PyResult<String> {
    let check: Check =
        serde_json::from_str(params).map_err(|e| PyValueError::new_err(format!("the parameters are not those of a check: {e}")))?;
    let rs = Arc::clone(&rules.inner);
    py.detach(move || {
        let d = check.decide(&rs, today(), SOURCE).map_err(|e| PyValueError::new_err(e.message))?;
        serde_json::to_string(&Answer::new(&rs, &d)).map_err(|e| PyRuntimeError::new_err(e.to_string()))
    })
}

/// The name of an Arrow C stream capsule (the Arrow PyCapsule interface).
const STREAM: &CStr = c"arrow_array_stream";

/// An audit under way: a stream of audited batches for Arrow's C stream interface
/// (`__arrow_c_stream__`, taken once), then its summary.
#[pyclass(frozen, name = "Audit", module = "chipgate")]
struct Audit {
    stream: Mutex<Option<AuditStream>>,
    outcome: StreamOutcome,
}

#[pymethods]
impl Audit {
    /// The audited batches as an Arrow C stream capsule: the input's columns are the caller's
    /// own buffers, shared, and the audit's columns are handed over without a copy.
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(&self, py: Python<'py>, requested_schema: Option<Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let stream = self.stream.lock().ok().and_then(|mut s| s.take());
        let stream = stream.ok_or_else(|| PyRuntimeError::new_err("the audited stream was already taken"))?;
        PyCapsule::new_with_value(py, FFI_ArrowArrayStream::new(Box::new(stream)), STREAM)
    }

    /// The summary (the JSON of `chipgate audit --summary-json`) once the stream has been read
    /// to its end; `None` before, or when the audit failed.
    fn summary(&self) -> PyResult<Option<String>> {
        match self.outcome.lock().ok().and_then(|o| o.clone()) {
            Some(Ok(s)) => serde_json::to_string(&chipgate_audit::SummaryDocument::new(&s))
                .map(Some)
                .map_err(|e| PyRuntimeError::new_err(e.to_string())),
            _ => Ok(None),
        }
    }

    /// What stopped the audit, if it failed (its causes included).
    fn error(&self) -> Option<String> {
        match self.outcome.lock().ok().and_then(|o| o.clone()) {
            Some(Err(e)) => Some(e),
            _ => None,
        }
    }
}

/// Starts the audit of `data`, anything with `__arrow_c_stream__` (a pyarrow Table or
/// RecordBatchReader, a Polars DataFrame…), read through Arrow's C stream interface without a
/// copy; its options as a JSON object (`date`, `columns`, `exporter`, `ship_from`,
/// `exporter_role`, `attested_by`, `stamp`, `row_numbers`).
/// The rows are read, evaluated and built on the audit's own threads, without the GIL, as the
/// returned stream is read.
#[pyfunction]
fn audit(rules: &RuleSet, data: &Bound<'_, PyAny>, options: &str) -> PyResult<Audit> {
    let opts = audit_options(options)?;
    let capsule = data.call_method0("__arrow_c_stream__")?.cast_into::<PyCapsule>()?;
    let raw = capsule.pointer_checked(Some(STREAM))?.cast::<FFI_ArrowArrayStream>();
    // SAFETY: a capsule named `arrow_array_stream` holds an `ArrowArrayStream` (the Arrow
    // PyCapsule interface), which `from_raw` moves out, leaving a released one behind for the
    // capsule's destructor; the capsule is alive for the call.
    let input = unsafe { RecordBatchStreamReader::from_raw(raw.as_ptr()) }
        .map_err(|e| PyValueError::new_err(format!("the data is not an Arrow stream: {e}")))?;
    let stream = AuditStream::new(Arc::clone(&rules.inner), opts, input);
    let outcome = stream.outcome();
    Ok(Audit { stream: Mutex::new(Some(stream)), outcome })
}

/// An audit's options from their JSON object.
fn audit_options(options: &str) -> PyResult<Options> {
    let o: serde_json::Value = serde_json::from_str(options).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let text = |k: &str| o.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let date = match text("date") {
        Some(d) => chipgate_core::date::parse(&d).map_err(|e| PyValueError::new_err(format!("date: {e}")))?,
        None => today(),
    };
    let mut opts = Options::new(date);
    let columns: Vec<String> = o
        .get("columns")
        .and_then(|c| c.as_array())
        .map_or_else(Vec::new, |c| c.iter().filter_map(|v| v.as_str().map(str::to_string)).collect());
    opts.columns = parse_mappings(&columns).map_err(|e| PyValueError::new_err(format!("columns: {e}")))?;
    opts.exporter = text("exporter");
    opts.ship_from = text("ship_from");
    let attested_by = o
        .get("attested_by")
        .and_then(|v| v.as_array())
        .map_or_else(Vec::new, |a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect());
    let role = text("exporter_role");
    (opts.exporter_role, opts.attested_by) =
        chipgate_core::request::exporting(role.as_deref(), &attested_by).map_err(|e| PyValueError::new_err(e.message))?;
    opts.stamp = o.get("stamp").and_then(|v| v.as_bool()).unwrap_or(false);
    opts.row_numbers = o.get("row_numbers").and_then(|v| v.as_bool()).unwrap_or(true);
    Ok(opts)
}

/// The module.
#[pymodule]
fn _chipgate(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<RuleSet>()?;
    m.add_class::<Audit>()?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(audit, m)?)?;
    Ok(())
}
