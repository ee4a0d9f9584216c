#!/usr/bin/env python3
"""py_audit.py IN.arrow|IN.parquet DEFAULT_DATE [--check OUT.parquet]

`chipgate.audit` from Python on a pyarrow Table, as a notebook would call it: the table read
with pyarrow (an Arrow IPC file memory-mapped, a Parquet file decoded), then audited; the audited
table stays in memory (or with --check is written to OUT.parquet). Prints the audit's own time
beside the reading's, so that the whole process can be compared with the CLI's.

Needs the chipgate package (`pip install ./python`).
"""
import sys
import time

import pyarrow as pa
import pyarrow.parquet as pq

import chipgate


def main():
    src, date = sys.argv[1], sys.argv[2]
    check = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--check" else None
    t0 = time.perf_counter()
    if src.endswith(".parquet"):
        table = pq.read_table(src)
    else:
        table = pa.ipc.open_file(pa.memory_map(src)).read_all()
    t1 = time.perf_counter()
    out = chipgate.audit(table, date=date)
    t2 = time.perf_counter()
    if check:
        pq.write_table(out, check)
    print(f"py_audit: read {t1 - t0:.2f} s, audit {t2 - t1:.2f} s, {out.num_rows} rows", file=sys.stderr)


if __name__ == "__main__":
    main()
