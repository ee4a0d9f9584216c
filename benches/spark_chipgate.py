#!/usr/bin/env python3
"""spark_chipgate.py IN.parquet DEFAULT_DATE [--rules PACK]... [--no-builtin] [--check OUT.parquet]

`chipgate.spark.audit` timed the way benches/spark_sql_equivalent.py times the same logic in plain
Spark SQL: the same session (local[2] unless SPARK_MASTER says otherwise), the clock started
after the session is up, the Parquet input read by Spark, and the audited rows written to a no-op
sink (or with --check to OUT.parquet, to compare with the other versions row by row by `id`).

Needs pyspark (python/requirements-spark.txt) and the chipgate package (`pip install ./python`).
"""
import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from spark_sql_equivalent import finish, session  # noqa: E402  (one setup for both versions)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("input")
    p.add_argument("date")
    p.add_argument("--rules", action="append", default=[])
    p.add_argument("--no-builtin", action="store_true")
    p.add_argument("--check")
    a = p.parse_args()

    import chipgate.spark

    spark = session("spark-chipgate")
    spark.sparkContext.setLogLevel("ERROR")
    t0 = time.perf_counter()
    df = spark.read.parquet(a.input)
    out = chipgate.spark.audit(df, date=a.date, rules=a.rules, builtin=not a.no_builtin)
    finish(spark, out, a.check, "spark_chipgate", t0)

if __name__ == "__main__":
    main()
