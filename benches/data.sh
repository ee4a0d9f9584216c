#!/usr/bin/env bash
# The audit where the data lives, side by side with the analyst's alternatives, on one generated
# shipment list: the CLI on CSV, Parquet and Arrow IPC; `chipgate.audit` from Python on a pyarrow
# Table; the same audit as a Polars script and as DuckDB SQL (../shared/bench); and in Spark
# local[2], `chipgate.spark.audit` against the same logic in plain Spark SQL.
#
#   benches/data.sh [ROWS] [RUNS]        default 10000000 rows, 3 runs
#
# Needs hyperfine and GNU time (Debian packages), a Python ($PYTHON, default python3) with the
# chipgate package (`pip install ./python`) and python/requirements-test.txt,
# python/requirements-spark.txt and benches/requirements-data.txt installed; Java 17 for Spark.
# SKIP_SPARK=1 leaves Spark out; SPARK_RUNS (default RUNS) sets its runs apart. Files go to
# $BENCH_DIR (default /tmp/chipgate-data), deleted afterwards unless KEEP=1. At 10 M rows the
# whole run takes about 40 minutes on 2 cores and needs 8 GB of disk and 12 GB of memory.
#
# Agreement first: the Polars, DuckDB and Spark SQL versions encode the built-in rule pack as it
# was at commit $SNAPSHOT (November 2026); chipgate is run on that pack too (from git), and every
# version's verdict and ECCN are compared with it row by row, by `id`. A ratio is quoted only
# when they agree on every row. chipgate on the current built-in pack is timed beside it, with
# the number of rows that the pack's later corrections change.
#
# Timing: hyperfine over whole processes (start-up, reading and writing included), medians of
# the same run, each run after `sync`. Memory: each command once more, under /usr/bin/time -v
# (peak RSS of the largest process); for Spark, whose work is in a JVM that pyspark starts, the
# peak of the process tree's summed RSS, sampled every 0.2 s.
set -euo pipefail

rows=${1:-10000000}
runs=${2:-3}
spark_runs=${SPARK_RUNS:-$runs}
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED_BENCH:-$root/../shared/bench}
dir=${BENCH_DIR:-/tmp/chipgate-data}
py=${PYTHON:-python3}
date=2026-01-01
# The rule pack the equivalents encode: the last commit of rules/ on which chipgate and
# ../shared/bench/duckdb_equivalent.py agree on every row (the next, eae4172, moves Cambodia's
# D:5 exit date).
SNAPSHOT=${SNAPSHOT:-4cf3a39}
mkdir -p "$dir"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$dir"' EXIT
# Results of an earlier run (KEEP=1) must not be reported as this one's.
rm -rf "$dir/hyperfine.json" "$dir/hyperfine-spark.json" "$dir/spark-chipgate.parquet" "$dir/spark-sql.parquet" "$dir/agreement.txt"

cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin=$root/target/release/chipgate
"$py" -c 'import chipgate, pyarrow, polars, duckdb' || {
  echo "data.sh: $py lacks chipgate, pyarrow, polars or duckdb (see the requirements above)" >&2
  exit 2
}

echo "## $(date -u +%F) $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $rows rows; chipgate $(git -C "$root" rev-parse --short HEAD)"
echo "## $("$py" -c 'import sys, pyarrow, polars, duckdb; print("python", sys.version.split()[0], "pyarrow", pyarrow.__version__, "polars", polars.__version__, "duckdb", duckdb.__version__)')"

in=$dir/ship.csv
if [ ! -s "$in" ] || [ "$(($(wc -l <"$in") - 1))" != "$rows" ]; then
  "$py" "$shared/gen_shipments.py" "$rows" "$in"
fi
# Parquet and Arrow IPC as pyarrow types them (integers, floats, dates, booleans), an empty
# field a null, as a data lake holds a missing value.
"$py" - "$in" "$dir" <<'EOF'
import sys
import pyarrow.csv as pv, pyarrow.parquet as pq, pyarrow.ipc as ipc
t = pv.read_csv(sys.argv[1], convert_options=pv.ConvertOptions(strings_can_be_null=True))
pq.write_table(t, f"{sys.argv[2]}/ship.parquet")
with ipc.new_file(f"{sys.argv[2]}/ship.arrow", t.schema) as w:
    w.write_table(t)
print("## input:", ", ".join(f"{f.name} {f.type}" for f in t.schema), file=sys.stderr)
EOF
rm -rf "$dir/snapshot" && mkdir -p "$dir/snapshot"
git -C "$root" archive "$SNAPSHOT" rules | tar -x -C "$dir/snapshot"
snap="--no-builtin --rules $dir/snapshot/rules"
echo "## $(du -m "$in" | cut -f1) MB CSV, $(du -m "$dir/ship.parquet" | cut -f1) MB Parquet, $(du -m "$dir/ship.arrow" | cut -f1) MB Arrow"
cat "$in" "$dir/ship.parquet" "$dir/ship.arrow" >/dev/null

names=(cli-csv cli-csv-snapshot cli-parquet cli-arrow python-arrow polars duckdb)
cmds=(
  "$bin audit $in -o $dir/cli.csv --date $date -q"
  "$bin audit $in -o $dir/snap.csv --date $date -q $snap"
  "$bin audit $dir/ship.parquet -o $dir/cli.parquet --date $date -q"
  "$bin audit $dir/ship.arrow -o $dir/cli.arrow --date $date -q"
  "$py $root/benches/py_audit.py $dir/ship.arrow $date"
  "$py $shared/polars_equivalent.py $in $dir/polars.csv $date"
  "$py $shared/duckdb_equivalent.py $in $dir/duckdb.csv $date"
)
spark_names=()
spark_cmds=()
if [ "${SKIP_SPARK:-0}" != 1 ]; then
  spark_names=(spark-chipgate spark-sql)
  spark_cmds=(
    "$py $root/benches/spark_chipgate.py $dir/ship.parquet $date $snap"
    "$py $root/benches/spark_sql_equivalent.py $dir/ship.parquet $date"
  )
fi

echo "## timing: $runs runs each (spark: $spark_runs)"
args=()
for i in "${!cmds[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
# `audit` exits 1 when rows need a license: not a failure here.
hyperfine -N -i -r "$runs" --prepare sync --export-json "$dir/hyperfine.json" "${args[@]}" >&2
if [ ${#spark_cmds[@]} -gt 0 ]; then
  args=()
  for i in "${!spark_cmds[@]}"; do args+=(-n "${spark_names[$i]}" "${spark_cmds[$i]}"); done
  hyperfine -N -i -r "$spark_runs" --prepare sync --export-json "$dir/hyperfine-spark.json" "${args[@]}" >&2
fi

# Agreement, before any ratio is quoted: the outputs of the timed runs, of a run of
# chipgate.audit that writes its table, and for Spark of check runs on the first 200,000 rows
# (the timed runs write to a no-op sink), compared with chipgate on the snapshot pack by `id`.
"$py" "$root/benches/py_audit.py" "$dir/ship.arrow" "$date" --check "$dir/python.parquet" 2>/dev/null
if [ "${SKIP_SPARK:-0}" != 1 ]; then
  "$py" -c "import pyarrow.parquet as pq; pq.write_table(pq.read_table('$dir/ship.parquet').slice(0, 200000), '$dir/head.parquet')"
  "$py" "$root/benches/spark_chipgate.py" "$dir/head.parquet" "$date" --no-builtin --rules "$dir/snapshot/rules" --check "$dir/spark-chipgate.parquet" 2>/dev/null
  "$py" "$root/benches/spark_sql_equivalent.py" "$dir/head.parquet" "$date" --check "$dir/spark-sql.parquet" 2>/dev/null
fi
"$py" - "$dir" <<'EOF' | tee "$dir/agreement.txt"
import os, sys
import polars as pl
d = sys.argv[1]
def load(name):
    p = f"{d}/{name}"
    if name.endswith(".csv"):
        f = pl.scan_csv(p, infer_schema=False)
    else:  # a Parquet file, or the directory of files Spark writes
        f = pl.scan_parquet(f"{p}/*.parquet" if os.path.isdir(p) else p)
    cols = [pl.col("id").cast(pl.Int64)] + [pl.col(c).cast(pl.Utf8).fill_null("") for c in ("verdict", "eccn")]
    return f.select(cols).collect()
def differ(other, base):
    j = base.join(other, on="id", how="left", suffix="_o")
    bad = (j["verdict"] != j["verdict_o"].fill_null("<missing>")) | (j["eccn"] != j["eccn_o"].fill_null("<missing>"))
    return int(bad.sum()), j.height
ref = load("snap.csv")
print("| compared with | rows | differing verdict or ECCN |")
print("|---|---|---|")
for name in ["polars.csv", "duckdb.csv", "spark-sql.parquet", "spark-chipgate.parquet"]:
    if not os.path.exists(f"{d}/{name}"):
        continue
    o = load(name)
    n, total = differ(o, ref.filter(pl.col("id").is_in(o["id"].implode())))
    print(f"| {name.split('.')[0]} against chipgate, snapshot pack | {total:,} | {n} |")
    if n:
        print(f"DISAGREE: {name} differs from chipgate on {n} rows; no ratio with it is quoted")
cur = load("cli.csv")
n, total = differ(load("python.parquet"), cur)
print(f"| chipgate.audit against the CLI, current pack | {total:,} | {n} |")
if n:
    print(f"DISAGREE: chipgate.audit differs from the CLI on {n} rows")
n, total = differ(cur, ref)
print(f"| chipgate, current pack against snapshot pack (the later corrections) | {total:,} | {n} |")
EOF

echo "## peak memory"
declare -A rss
for i in "${!cmds[@]}"; do
  rss[${names[$i]}]=$( (/usr/bin/time -v ${cmds[$i]} 2>&1 >/dev/null || true) | awk '/Maximum resident/ {print $6}')
done
# The summed RSS of a command's process tree, at its largest.
tree_peak() {
  "$@" >/dev/null 2>&1 &
  local pid=$! peak=0 now
  while kill -0 "$pid" 2>/dev/null; do
    now=$(ps -e -o pid=,ppid=,rss= | awk -v root="$pid" '
      { parent[$1] = $2; rss[$1] = $3 }
      END { for (p in rss) { q = p; while (q != "" && q != root && q != 0 && q != 1) q = parent[q]; if (q == root) s += rss[p] } print s + 0 }')
    [ "$now" -le "$peak" ] || peak=$now
    sleep 0.2
  done
  wait "$pid" || true
  echo "$peak"
}
for i in "${!spark_cmds[@]}"; do
  rss[${spark_names[$i]}]=$(tree_peak ${spark_cmds[$i]})
done

"$py" - "$dir" "$rows" "$(for n in "${!rss[@]}"; do printf '%s=%s ' "$n" "${rss[$n]}"; done)" <<'EOF'
import json, os, sys
d, rows = sys.argv[1], int(sys.argv[2])
rss = dict(kv.split("=") for kv in sys.argv[3].split())
res = {}
for f in ["hyperfine.json", "hyperfine-spark.json"]:
    if os.path.exists(f"{d}/{f}"):
        res.update({r["command"]: r for r in json.load(open(f"{d}/{f}"))["results"]})
agree = open(f"{d}/agreement.txt").read()
med = {n: r["median"] for n, r in res.items()}
print("| command | median wall (s) | min–max | rows/s | peak memory (MiB) |")
print("|---|---|---|---|---|")
for n, r in res.items():
    print(f"| {n} | {med[n]:.2f} | {r['min']:.2f}–{r['max']:.2f} | {rows / med[n] / 1e6:.2f} M | {int(rss.get(n, 0)) / 1024:,.0f} |")
print()
def ratio(a, b, goal, note):
    if a in med and b in med:
        print(f"- {a} / {b}: {med[a] / med[b]:.2f}x ({note}, goal {goal})")
ratio("python-arrow", "cli-csv", "<= 1.5x", "wall time, the inverse of the rows/s ratio")
ratio("python-arrow", "cli-arrow", "<= 1.5x", "the same, against the CLI on the same Arrow file")
for other in ["polars", "duckdb", "spark-sql"]:
    base = "spark-chipgate" if other == "spark-sql" else "cli-csv-snapshot"
    if f"DISAGREE: {other}" not in agree and other in med:
        ratio(other, base, ">= 3x" if other == "spark-sql" else ">= 10x", f"{other} against chipgate on the same rules")
EOF
