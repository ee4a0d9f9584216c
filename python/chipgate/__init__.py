"""chipgate: may this chip go to this destination, on this date, and why?

US export controls on advanced computing chips (ECCN 3A090 and the rules around it), from the
same engine and rule packs as the ``chipgate`` command line. Decision support, not legal advice.

- ``check(chip, to=..., date=..., **figures)``: one answer, the JSON document of
  ``chipgate check --format json`` as a dict.
- ``audit(data, date=..., columns=...)``: a shipment list (a pyarrow Table or
  RecordBatchReader, a pandas or Polars DataFrame, or anything with ``__arrow_c_stream__``)
  with the audit's columns appended, as a ``pyarrow.Table``; the summary is in its schema's
  metadata under ``chipgate.summary`` (JSON).
- ``RuleSet(rules=[...], builtin=True)``: packs loaded once, for both.
"""

from __future__ import annotations

import datetime as _dt
import json as _json
from typing import Any, Iterable, Optional, Union

import pyarrow as _pa

from . import _chipgate
from ._chipgate import RuleSet

__all__ = ["RuleSet", "check", "audit"]

_builtin: Optional[RuleSet] = None


def _rules(rules: Union[RuleSet, Iterable[str], None], builtin: bool = True) -> RuleSet:
    """The rule set a call asks with: the one given, packs to load, or the built-in one."""
    global _builtin
    if isinstance(rules, RuleSet):
        return rules
    if rules is None and builtin:
        if _builtin is None:
            _builtin = RuleSet()
        return _builtin
    return RuleSet([str(r) for r in (rules or [])], builtin=builtin)


def _day(d: Any) -> Optional[str]:
    if d is None:
        return None
    if isinstance(d, _dt.datetime):
        return d.date().isoformat()
    if isinstance(d, _dt.date):
        return d.isoformat()
    return str(d)


def check(chip: Optional[str] = None, *, to: str, date: Any = None, end_user_hq: Optional[str] = None,
          rules: Union[RuleSet, Iterable[str], None] = None, **figures: Any) -> dict:
    """Checks one chip (a catalog name, or figures, or both) to one destination on one date.

    Keyword arguments are the flags of ``chipgate check`` with ``-`` written ``_``: ``tpp``,
    ``throughput=["8=1979"]``, ``die_area``, ``pd``, ``datacenter=True``, ``consumer=True``,
    ``interconnect``, ``memory_bandwidth``, ``hbm=True``, ``memory_bandwidth_density``,
    ``based_on``, ``exporter``, ``ship_from``, ``trace=True``. Returns the JSON document of
    ``chipgate check --format json``. A wrong parameter raises ``ValueError`` with the command
    line's message (suggestions included).
    """
    params = {"chip": chip, "to": to, "date": _day(date), "end_user_hq": end_user_hq, **figures}
    if isinstance(params.get("throughput"), str):
        params["throughput"] = [params["throughput"]]
    params = {k: v for k, v in params.items() if v is not None}
    return _json.loads(_chipgate.check(_rules(rules), _json.dumps(params)))


def _table(data: Any) -> _pa.Table:
    """Data as a pyarrow Table: a Table, a RecordBatchReader, a pandas or Polars DataFrame, or
    anything with ``__arrow_c_stream__``."""
    if isinstance(data, _pa.Table):
        return data
    if isinstance(data, _pa.RecordBatchReader):
        return data.read_all()
    if isinstance(data, _pa.RecordBatch):
        return _pa.Table.from_batches([data])
    module = type(data).__module__
    if module.startswith("pandas"):
        return _pa.Table.from_pandas(data, preserve_index=False)
    if module.startswith("polars"):
        return data.to_arrow()
    if hasattr(data, "__arrow_c_stream__"):
        return _pa.RecordBatchReader.from_stream(data).read_all()
    raise TypeError(f"cannot audit a {type(data).__name__}: give a pyarrow Table, a pandas or Polars DataFrame, "
                    "or an object with __arrow_c_stream__")


def audit(data: Any, *, date: Any = None, columns: Optional[Iterable[str]] = None,
          rules: Union[RuleSet, Iterable[str], None] = None, builtin: bool = True,
          exporter: Optional[str] = None, ship_from: Optional[str] = None, stamp: bool = False) -> _pa.Table:
    """Audits a shipment list: every row with the audit's columns appended (``eccn``,
    ``license_required`` as a boolean, ``exceptions``, ``review_policy``, ``verdict``,
    ``reasons``, ``error``), as ``chipgate audit`` writes them.

    Columns are found by name as a CSV header's are; ``columns=["chip=Material"]`` maps the
    rest. ``date`` is the date of rows without one (default today). Rows that cannot be
    evaluated get verdict ``error`` and the reason in ``error``; none is dropped. The summary of
    ``chipgate audit --summary-json`` is in the result's schema metadata, ``chipgate.summary``.
    """
    table = _table(data)
    sink = _pa.BufferOutputStream()
    with _pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    options = {"date": _day(date), "columns": list(columns or []), "exporter": exporter, "ship_from": ship_from, "stamp": stamp}
    out, summary = _chipgate.audit(_rules(rules, builtin), sink.getvalue().to_pybytes(), _json.dumps(options))
    result = _pa.ipc.open_stream(out).read_all()
    metadata = dict(result.schema.metadata or {})
    metadata[b"chipgate.summary"] = summary.encode()
    return result.replace_schema_metadata(metadata)
