"""The chipgate audit on Spark's own executors.

``audit(df, date=..., columns=..., rules=[...])`` returns a Spark DataFrame: every row of ``df``
with the audit's columns appended, computed where the rows are, by ``mapInArrow`` (each task
streams its partition's Arrow batches through one chipgate audit, so repeated queries cost one
evaluation per task, and the rows of a partition keep their order).

What the executors need: this package installed in their Python (``pip install chipgate`` or a
wheel shipped with the job, e.g. ``spark.submit.pyFiles`` does not carry the native module, so
install the wheel on the cluster's Python). The rule packs travel with the job: their files are
read on the driver and sent inside the task's closure, so the executors need no copy of them.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple

import pyarrow as _pa

__all__ = ["audit", "output_schema"]

# The audit's columns, their Spark types (see chipgate.arrow's output schema).
_AUDIT = [("eccn", "string"), ("license_required", "boolean"), ("exceptions", "string"), ("review_policy", "string"),
          ("verdict", "string"), ("reasons", "string"), ("error", "string")]
_STAMP = [("rules_version", "string"), ("as_of", "date")]


def output_schema(schema: Any, stamp: bool = False) -> Any:
    """The Spark schema of an audited DataFrame: the input's fields, then the audit's."""
    from pyspark.sql.types import BooleanType, DateType, StringType, StructField, StructType

    kinds = {"string": StringType(), "boolean": BooleanType(), "date": DateType()}
    fields = list(schema.fields)
    for name, kind in _AUDIT + (_STAMP if stamp else []):
        fields.append(StructField(name, kinds[kind], name not in ("rules_version",)))
    return StructType(fields)


def _pack_files(rules: Optional[Iterable[str]]) -> List[Tuple[str, List[Tuple[str, bytes]]]]:
    """Each pack (a directory or a ``.toml`` file) as its files' paths and contents, read on
    the driver to travel with the job."""
    packs = []
    for r in rules or []:
        p = Path(r)
        if p.is_dir():
            files = [(str(f.relative_to(p)), f.read_bytes()) for f in sorted(p.rglob("*.toml")) if f.is_file()]
            packs.append((p.name, files))
        else:
            packs.append(("", [(p.name, p.read_bytes())]))
    return packs


# Rule sets already loaded in this executor process, by the hash of their packs.
_loaded: Dict[str, Any] = {}


def _rule_set(packs: List[Tuple[str, List[Tuple[str, bytes]]]], builtin: bool) -> Any:
    """The rule set of the shipped packs, written once per executor process to a directory of
    its own and loaded from there (then kept)."""
    import chipgate

    h = hashlib.sha256(repr((builtin, packs)).encode()).hexdigest()[:16]
    if h in _loaded:
        return _loaded[h]
    root = Path(tempfile.gettempdir()) / f"chipgate-packs-{os.getpid()}-{h}"
    paths = []
    for i, (name, files) in enumerate(packs):
        base = root / f"{i}-{name or 'file'}"
        for rel, data in files:
            f = base / rel
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_bytes(data)
        paths.append(str(base if name else base / files[0][0]))
    rs = chipgate.RuleSet(paths, builtin=builtin)
    _loaded[h] = rs
    return rs


def audit(df: Any, *, date: Any = None, columns: Optional[Iterable[str]] = None,
          rules: Optional[Iterable[str]] = None, builtin: bool = True, exporter: Optional[str] = None,
          ship_from: Optional[str] = None, stamp: bool = False, exporter_role: Optional[str] = None,
          attested_by: Optional[Iterable[str]] = None) -> Any:
    """Audits a Spark DataFrame on the executors: every row with ``eccn``, ``license_required``
    (boolean), ``exceptions``, ``review_policy``, ``verdict``, ``reasons`` and ``error``
    appended, the verdicts of ``chipgate audit`` and ``chipgate.audit``. ``date`` is the date of
    rows without one; it defaults to the driver's today, so that every task audits as of the
    same day. ``rules`` are pack paths on the driver. Rows that cannot be evaluated get verdict
    ``error`` and the reason in ``error`` (without a row number: a task sees its partition
    alone, and the message is on its row); none is dropped.
    """
    import datetime

    import chipgate

    # Packs are read, and loaded once, on the driver: a pack that does not load fails here,
    # before any task runs.
    packs = _pack_files([str(r) for r in (rules or [])])
    _rule_set(packs, builtin)
    day = chipgate._day(date) or datetime.date.today().isoformat()
    cols = [columns] if isinstance(columns, str) else list(columns or [])
    options = dict(date=day, columns=cols, exporter=exporter, ship_from=ship_from, stamp=stamp,
                   exporter_role=exporter_role, attested_by=[attested_by] if isinstance(attested_by, str) else attested_by)
    # A role or an attestation chipgate does not know fails here, on the driver, not in a task
    # (a check of the built-in rules reads them as the audit does).
    if exporter_role or options["attested_by"]:
        chipgate.check(tpp=0, to="US", exporter_role=exporter_role, attested_by=list(options["attested_by"] or []))
    schema = output_schema(df.schema, stamp)

    def run(batches: Iterator[_pa.RecordBatch]) -> Iterator[_pa.RecordBatch]:
        import chipgate as cg

        batches = iter(batches)
        first = next(batches, None)
        if first is None:
            return
        reader = _pa.RecordBatchReader.from_batches(first.schema, itertools.chain([first], batches))
        # A task sees its partition alone: row numbers would count within it, so the
        # messages leave them out (each is on its own row).
        yield from cg.audit_batches(reader, rules=_rule_set(packs, builtin), row_numbers=False, **options)

    return df.mapInArrow(run, schema)
