"""chipgate: may this chip go to this destination, on this date, and why?

US export controls on advanced computing chips (ECCN 3A090 and the rules around it), from the
same engine and rule packs as the ``chipgate`` command line. Decision support, not legal advice.

- ``check(chip, to=..., date=..., **figures)``: one answer, the JSON document of
  ``chipgate check --format json`` as a dict.
- ``audit(data, date=..., columns=...)``: a shipment list (a pyarrow Table or
  RecordBatchReader, a pandas or Polars DataFrame, or anything with ``__arrow_c_stream__``)
  with the audit's columns appended, as a ``pyarrow.Table``; the summary is in its schema's
  metadata under ``chipgate.summary`` (JSON).
- ``RuleSet(rules=[...], builtin=True, parties=[...])``: packs (and Consolidated Screening List
  files, as ``--parties`` loads them) loaded once, for both.
"""

from __future__ import annotations

import datetime as _dt
import json as _json
from typing import Any, Iterable, Iterator, Optional, Union

import pyarrow as _pa

from . import _chipgate
from ._chipgate import RuleSet

__all__ = ["RuleSet", "check", "audit", "audit_batches"]

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
          end_user: Optional[str] = None, consignee: Optional[str] = None,
          rules: Union[RuleSet, Iterable[str], None] = None, **figures: Any) -> dict:
    """Checks one chip (a catalog name, or figures, or both) to one destination on one date.

    Keyword arguments are the flags of ``chipgate check`` with ``-`` written ``_``: ``tpp``,
    ``throughput=["8=1979"]``, ``die_area``, ``pd``, ``datacenter=True``, ``consumer=True``,
    ``interconnect``, ``memory_bandwidth``, ``hbm=True``, ``memory_bandwidth_density``,
    ``based_on``, ``exporter``, ``ship_from``; ``trace=True`` adds ``evaluated``, every rule
    evaluated with its condition as a tree; ``contains=["H100x8"]``,
    ``item="assembly"`` and ``described_in=["5A992.c"]`` describe a computer or an assembly
    that contains catalog chips. ``end_user`` and ``consignee``
    are names screened against the rules' party lists (the Entity List): the answer's
    ``screening`` says what each matched. ``end_user_owner`` and ``consignee_owner`` give their
    owners for the affiliates rule: ``"NAME=PERCENT"`` (a list, or ``;``-separated), or ``"none"``. Returns the JSON document of
    ``chipgate check --format json``. A wrong parameter raises ``ValueError`` with the command
    line's message (suggestions included).
    """
    params = {"chip": chip, "to": to, "date": _day(date), "end_user_hq": end_user_hq, "end_user": end_user,
              "consignee": consignee, **figures}
    for repeatable in ("throughput", "end_user_owner", "consignee_owner", "contains", "described_in"):
        if isinstance(params.get(repeatable), str):
            params[repeatable] = [params[repeatable]]
    params = {k: v for k, v in params.items() if v is not None}
    return _json.loads(_chipgate.check(_rules(rules), _json.dumps(params)))


def _stream(data: Any) -> Any:
    """Data as an object with ``__arrow_c_stream__``: Arrow data as it is (a pyarrow Table or
    RecordBatchReader, a Polars DataFrame, anything with the interface), without a copy; a
    pandas DataFrame converted to Arrow first (without its index)."""
    if isinstance(data, _pa.RecordBatch):
        return _pa.Table.from_batches([data])
    if type(data).__module__.startswith("pandas"):
        return _pa.Table.from_pandas(data, preserve_index=False)
    if hasattr(data, "__arrow_c_stream__"):
        return data
    if type(data).__module__.startswith("polars"):
        return data.to_arrow()
    raise TypeError(f"cannot audit a {type(data).__name__}: give a pyarrow Table or RecordBatchReader, a pandas or "
                    "Polars DataFrame, or an object with __arrow_c_stream__")


def _options(date: Any, columns: Optional[Iterable[str]], exporter: Optional[str], ship_from: Optional[str],
             stamp: bool, row_numbers: bool = True, exporter_role: Optional[str] = None,
             attested_by: Optional[Iterable[str]] = None) -> str:
    if isinstance(columns, str):
        columns = [columns]
    if isinstance(attested_by, str):
        attested_by = [attested_by]
    return _json.dumps({"date": _day(date), "columns": list(columns or []), "exporter": exporter,
                        "ship_from": ship_from, "stamp": stamp, "row_numbers": row_numbers,
                        "exporter_role": exporter_role, "attested_by": list(attested_by or [])})


def _batches(run: Any) -> Iterator[_pa.RecordBatch]:
    """The audited batches of an audit under way, read as they come."""
    reader = _pa.RecordBatchReader.from_stream(run)
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            return
        except _pa.ArrowException as e:
            raise ValueError(run.error() or str(e)) from None
        yield batch


def audit_batches(data: Any, *, date: Any = None, columns: Optional[Iterable[str]] = None,
                  rules: Union[RuleSet, Iterable[str], None] = None, builtin: bool = True,
                  exporter: Optional[str] = None, ship_from: Optional[str] = None, stamp: bool = False,
                  row_numbers: bool = True, exporter_role: Optional[str] = None,
                  attested_by: Optional[Iterable[str]] = None) -> Iterator[_pa.RecordBatch]:
    """Audits a shipment list batch by batch: a generator of ``pyarrow.RecordBatch``, each an
    input batch with the audit's columns appended, read from ``data`` only as fast as they are
    taken (one memo for the whole stream). For inputs larger than memory, and for Spark's
    ``mapInArrow``. Messages name the row, counted from the stream's first, unless
    ``row_numbers`` is false. Raises ``ValueError`` when the input cannot be audited."""
    options = _options(date, columns, exporter, ship_from, stamp, row_numbers, exporter_role, attested_by)
    run = _chipgate.audit(_rules(rules, builtin), _stream(data), options)
    yield from _batches(run)


def audit(data: Any, *, date: Any = None, columns: Optional[Iterable[str]] = None,
          rules: Union[RuleSet, Iterable[str], None] = None, builtin: bool = True,
          exporter: Optional[str] = None, ship_from: Optional[str] = None, stamp: bool = False,
          exporter_role: Optional[str] = None, attested_by: Optional[Iterable[str]] = None) -> _pa.Table:
    """Audits a shipment list: every row with the audit's columns appended (``eccn``,
    ``license_required`` as a boolean, ``exceptions``, ``review_policy``, ``verdict``,
    ``reasons``, ``error``), as ``chipgate audit`` writes them.

    ``data`` is a pyarrow Table or RecordBatchReader, a pandas or Polars DataFrame, or anything
    with ``__arrow_c_stream__``; Arrow data is read through the Arrow C stream interface without
    a copy, and the input's columns in the result are its own buffers. The GIL is released while
    the audit runs. Columns are found by name as a CSV header's are; ``columns=["chip=Material"]``
    maps the rest. ``date`` is the date of rows without one (default today); ``exporter``,
    ``ship_from``, ``exporter_role`` and ``attested_by`` are those of rows without their own
    (as ``chipgate audit --exporter-role`` …). Rows that cannot be
    evaluated get verdict ``error`` and the reason in ``error``; none is dropped. The summary of
    ``chipgate audit --summary-json`` is in the result's schema metadata, ``chipgate.summary``.
    """
    options = _options(date, columns, exporter, ship_from, stamp, True, exporter_role, attested_by)
    run = _chipgate.audit(_rules(rules, builtin), _stream(data), options)
    try:
        result = _pa.RecordBatchReader.from_stream(run).read_all()
    except _pa.ArrowException as e:
        raise ValueError(run.error() or str(e)) from None
    metadata = dict(result.schema.metadata or {})
    metadata[b"chipgate.summary"] = (run.summary() or "{}").encode()
    return result.replace_schema_metadata(metadata)
