//! The native part of the Python package `chipgate` (`chipgate._chipgate`): a loaded rule set,
//! one check, and the audit of Arrow data. The Python wrapper (`chipgate/__init__.py`) turns
//! keyword arguments and data frames into what these take. Every answer comes from the same
//! library functions as the command line's (`chipgate_core::request::Check`,
//! `chipgate_audit::arrow::audit_batches`), so the documents are the CLI's but for the source
//! recorded for a given figure ([`SOURCE`]).

use std::io::Cursor;
use std::path::PathBuf;
use std::sync::Arc;

use chipgate_audit::arrow::{audit_batches, output_schema};
use chipgate_audit::{parse_mappings, Options};
use chipgate_core::request::{Answer, Check};
use chipgate_core::{Loader, PackSource};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

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
    /// directories or `.toml` files), as `--rules` does. Raises `ValueError` with every
    /// diagnostic when they do not load.
    #[new]
    #[pyo3(signature = (rules = Vec::new(), builtin = true))]
    fn new(py: Python<'_>, rules: Vec<PathBuf>, builtin: bool) -> PyResult<RuleSet> {
        let mut l = if builtin { Loader::new() } else { Loader::empty() };
        for p in rules {
            l = l.pack(PackSource::Path(p));
        }
        let loaded = py.detach(|| l.load());
        let (rs, _warnings) = loaded.map_err(|e| PyValueError::new_err(format!("the rules could not be loaded:\n{e}")))?;
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

/// The audit of an Arrow IPC stream (its options as a JSON object: `date`, `columns`,
/// `exporter`, `ship_from`, `stamp`): the audited stream and the summary as JSON.
#[pyfunction]
fn audit<'py>(py: Python<'py>, rules: &RuleSet, data: &[u8], options: &str) -> PyResult<(Bound<'py, PyBytes>, String)> {
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
    opts.stamp = o.get("stamp").and_then(|v| v.as_bool()).unwrap_or(false);
    let rs = Arc::clone(&rules.inner);
    let (bytes, summary) = py.detach(move || -> PyResult<(Vec<u8>, String)> {
        let reader = arrow_ipc::reader::StreamReader::try_new(Cursor::new(data), None)
            .map_err(|e| PyValueError::new_err(format!("the data is not an Arrow stream: {e}")))?;
        let schema = reader.schema();
        let mut out = Vec::new();
        let mut w = arrow_ipc::writer::StreamWriter::try_new(&mut out, &output_schema(&schema, &opts))
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        let summary = audit_batches(&rs, &opts, &schema, reader, &mut |b| w.write(&b)).map_err(|e| PyValueError::new_err(said(&e)))?;
        w.finish().map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        drop(w);
        let summary =
            serde_json::to_string(&chipgate_audit::SummaryDocument::new(&summary)).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        Ok((out, summary))
    })?;
    Ok((PyBytes::new(py, &bytes), summary))
}

/// An error with its causes, each once.
fn said(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s += &format!(": {c}");
        cause = c.source();
    }
    s
}

/// The module.
#[pymodule]
fn _chipgate(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<RuleSet>()?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(audit, m)?)?;
    Ok(())
}
