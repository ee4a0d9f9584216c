#!/usr/bin/env bash
# Workbook throughput and memory: `chipgate audit` reading an .xlsx sheet, and writing -o out.xlsx,
# against the same rows as CSV, on a generated shipment list.
#
#   benches/workbook.sh [ROWS] [RUNS]        default 1000000 rows, 3 runs
#
# Needs hyperfine (apt-get install hyperfine) and python3 (for ../shared/bench/gen_shipments.py).
# The workbooks are made by `examples/csv_to_xlsx.rs`: numbers as numbers, dates as date cells;
# one with inline strings (as rust_xlsxwriter's constant-memory mode writes them) and one with a
# shared-string table (as Excel saves) whose ids are distinct strings (`SO-1`, `SO-2`, …), the
# worst case for the table calamine keeps in memory. Each audit's output is compared with the CSV
# audit's (the same bytes but for CSV line endings). Files go to $BENCH_DIR (default
# /tmp/chipgate-workbook-bench), deleted afterwards unless KEEP=1.
set -euo pipefail

rows=${1:-1000000}
runs=${2:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED_BENCH:-$root/../shared/bench}
dir=${BENCH_DIR:-/tmp/chipgate-workbook-bench}
mkdir -p "$dir"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$dir"' EXIT

cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin chipgate --example csv_to_xlsx
bin=$root/target/release/chipgate
conv=$root/target/release/examples/csv_to_xlsx
python3 "$shared/gen_shipments.py" "$rows" "$dir/ship.csv"
sed 's/^\([0-9]\)/SO-\1/' "$dir/ship.csv" > "$dir/ids.csv"
"$conv" "$dir/ship.csv" "$dir/ship.xlsx"
"$conv" "$dir/ids.csv" "$dir/ids.xlsx" --shared-strings

echo "## $(date -u +%F) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $rows rows: CSV $(du -m "$dir/ship.csv" | cut -f1) MB, xlsx $(du -m "$dir/ship.xlsx" | cut -f1) MB"
echo "## chipgate $(git -C "$root" rev-parse --short HEAD)"

a="$bin audit --date 2026-01-01 -q"
names=(csv-to-csv xlsx-to-csv sst-xlsx-to-csv csv-to-xlsx xlsx-to-xlsx)
cmds=("$a $dir/ship.csv -o $dir/a.csv" "$a $dir/ship.xlsx -o $dir/b.csv" "$a $dir/ids.xlsx -o $dir/c.csv"
      "$a $dir/ship.csv -o $dir/d.xlsx" "$a $dir/ship.xlsx -o $dir/e.xlsx")

args=()
for i in "${!cmds[@]}"; do
  args+=(-n "${names[$i]}" "${cmds[$i]}")
done
# `audit` exits 1 when rows need a license: not a failure here.
hyperfine -N -i -w 0 -r "$runs" --prepare sync --export-json "$dir/hyperfine.json" "${args[@]}" >&2

$a "$dir/ids.csv" -o "$dir/ids-audit.csv" || true
tr -d '\r' < "$dir/a.csv" | cmp - "$dir/b.csv" && echo "xlsx input: the same output as the CSV input"
tr -d '\r' < "$dir/ids-audit.csv" | cmp - "$dir/c.csv" && echo "shared-string xlsx input: the same output as its CSV"

echo "## peak RSS (largest of $runs runs)"
for i in "${!cmds[@]}"; do
  max=0
  for _ in $(seq "$runs"); do
    kb=$( (/usr/bin/time -v ${cmds[$i]} 2>&1 >/dev/null || true) | awk '/Maximum resident/ {print $6}')
    [ "$max" -ge "$kb" ] || max=$kb
  done
  printf '%s=%s\n' "${names[$i]}" "$max"
done > "$dir/rss.txt"

python3 - "$dir/hyperfine.json" "$rows" "$dir/rss.txt" <<'EOF'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
rows = int(sys.argv[2])
rss = dict(l.strip().split("=") for l in open(sys.argv[3]))
print("| command | median wall (s) | user CPU (s) | rows/s | peak RSS (MiB) |")
print("|---|---|---|---|---|")
for r in res:
    n = r["command"]
    print(f"| {n} | {r['median']:.2f} (min {r['min']:.2f}, max {r['max']:.2f}) | {r['user']:.2f} | {rows / r['median'] / 1e6:.2f} M | {int(rss[n]) / 1024:.1f} |")
EOF
