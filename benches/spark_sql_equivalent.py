#!/usr/bin/env python3
"""spark_sql_equivalent.py IN.parquet DEFAULT_DATE [--check OUT.parquet]

The analyst's alternative to `chipgate.spark.audit` on Spark: the same logic in plain Spark SQL.
It is the query of ../shared/bench/duckdb_equivalent.py (the built-in rules of November 2026 as
SQL: the catalog and the countries as tables, the 2022-2026 regimes as expressions, null as
"unknown"), its macros expanded in place (Spark SQL has none) and the query translated from
DuckDB's dialect to Spark's with sqlglot. The rows are numbered with monotonically_increasing_id()
(Spark has no row order), which is what the query joins on; the result is written to a
no-op sink so that only the audit is timed, or with --check to OUT.parquet, to compare its verdict
and ECCN with chipgate's and the DuckDB script's row by row (by `id`) before quoting a ratio.

  spark_sql_equivalent.py IN.parquet DATE [--check OUT.parquet]

Needs pyspark (python/requirements-spark.txt) and sqlglot (benches/requirements-data.txt).
"""
import importlib.util
import os
import re
import sys
import time
from pathlib import Path

import sqlglot

HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("SHARED_BENCH", HERE.parent.parent / "shared" / "bench"))


def duckdb_equivalent():
    spec = importlib.util.spec_from_file_location("duckdb_equivalent", SHARED / "duckdb_equivalent.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def split_args(s):
    """The comma-separated arguments of a call, respecting parentheses and quotes."""
    args, depth, cur, quote = [], 0, "", False
    for ch in s:
        if ch == "'":
            quote = not quote
        if not quote and ch == "(":
            depth += 1
        if not quote and ch == ")":
            depth -= 1
        if not quote and depth == 0 and ch == ",":
            args.append(cur.strip())
            cur = ""
        else:
            cur += ch
    args.append(cur.strip())
    return args


def expand(sql, macros):
    """Every call of a macro replaced by its body, its parameters by the arguments."""
    pattern = re.compile(r"\b(" + "|".join(macros) + r")\(")
    while True:
        m = pattern.search(sql)
        if not m:
            return sql
        depth, i = 1, m.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(sql[i], 0)
            i += 1
        params, body = macros[m.group(1)]
        args = split_args(sql[m.end():i - 1])
        # Parameters are replaced outside string literals only (a pattern such as '[\s-]' keeps its s).
        parts = body.split("'")
        for k in range(0, len(parts), 2):
            for p, a in zip(params, args):
                parts[k] = re.sub(rf"\b{p}\b", lambda _: f"({a})", parts[k])
        out = "'".join(parts)
        sql = sql[:m.start()] + f"({out})" + sql[i:]


def spark_query(mod, cols, default_date):
    macros = {}
    for m in re.finditer(r"CREATE MACRO (\w+)\(([^)]*)\) AS (.*?);\n", mod.MACROS, re.S):
        macros[m.group(1)] = ([p.strip() for p in m.group(2).split(",")], m.group(3))
    q = mod.build_query("IN", cols, default_date)
    q = q.replace("SELECT row_number() OVER () AS __rn, * FROM read_csv('IN', header = true, all_varchar = true)",
                  "SELECT * FROM shipments")
    q = expand(q, macros)
    # DuckDB's regexp_full_match is a match of the whole string.
    q = re.sub(r"regexp_full_match\(([^,]+), '([^']*)'\)", r"regexp_matches(\1, '^(?:\2)$')", q)
    q = q.replace("ORDER BY raw.__rn", "")
    return sqlglot.transpile(q, read="duckdb", write="spark")[0]


def session(name="spark-sql-equivalent"):
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return (SparkSession.builder.master(os.environ.get("SPARK_MASTER", "local[2]")).appName(name)
            .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false").config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1").config("spark.sql.shuffle.partitions", "2")
            .config("spark.driver.memory", os.environ.get("SPARK_DRIVER_MEMORY", "4g"))
            .config("spark.sql.execution.arrow.maxRecordsPerBatch", os.environ.get("SPARK_ARROW_BATCH", "10000"))
            .getOrCreate())


def tables(spark, mod):
    norm = lambda s, drop: "".join(ch for ch in s.strip().lower() if ch not in drop)
    chips = {}
    for cid, names, dc, tpp, area, ic, mbw in mod.CHIPS:
        for n in names:
            chips.setdefault(norm(n, " \t-"), (cid, dc, None if tpp is None else float(tpp), None if area is None else float(area),
                                                None if ic is None else float(ic), None if mbw is None else float(mbw)))
    spark.createDataFrame([(k, *v) for k, v in chips.items()],
                          "k string, id string, dc boolean, tpp double, area double, ic double, mbw double").createOrReplaceTempView("chip_alias")
    ctry = {}
    for line in mod.COUNTRIES.splitlines():
        code, *names = line.split("|")
        for n in [code] + names:
            ctry.setdefault(norm(n, " \t-._',"), code)
    spark.createDataFrame(list(ctry.items()), "k string, code string").createOrReplaceTempView("country_alias")


def finish(spark, out, check, name, t0):
    """Writes the audited rows (to a no-op sink, so that only the audit is timed, or with
    --check to a Parquet file) and says how long it took since `t0`."""
    if check:
        out.write.mode("overwrite").parquet(check)
    else:
        out.write.format("noop").mode("overwrite").save()
    print(f"{name}: {time.perf_counter() - t0:.2f} s (pyspark {spark.version})", file=sys.stderr)
    spark.stop()


def main():
    src, default_date = sys.argv[1], sys.argv[2]
    check = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--check" else None
    mod = duckdb_equivalent()
    spark = session()
    spark.sparkContext.setLogLevel("ERROR")
    from pyspark.sql import functions as F

    t0 = time.perf_counter()
    tables(spark, mod)
    df = spark.read.parquet(src)
    df = df.select([F.col(c).cast("string").alias(c) for c in df.columns]).withColumn("__rn", F.monotonically_increasing_id())
    df.createOrReplaceTempView("shipments")
    out = spark.sql(spark_query(mod, [c for c in df.columns if c != "__rn"], default_date))
    finish(spark, out, check, "spark_sql_equivalent", t0)


if __name__ == "__main__":
    main()
