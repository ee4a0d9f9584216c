#!/usr/bin/env bash
# Peak memory of `chipgate audit` on hostile inputs, with the default limits (1 MiB and 10,000
# fields a record): each should stay under 64 MiB whatever the input's size.
#
#   benches/hostile.sh [NAME ...]   inputs go to $BENCH_DIR (default /tmp/chipgate-hostile),
#                                 deleted afterwards unless KEEP=1
#
# Needs GNU time (/usr/bin/time -v). The inputs: one 500 MB line; an open quote on row 2 of a
# 160 MB file; a 50 MB line of commas; a row of 10 million columns; 300,000 rows each with
# distinct figures (hypothetical chips).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=${BENCH_DIR:-/tmp/chipgate-hostile}
mkdir -p "$dir"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$dir"' EXIT

cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin=$root/target/release/chipgate

gen() {
  case $1 in
    long-line) { echo chip,destination; echo H100,CN; head -c 500M /dev/zero | tr '\0' x; echo; echo H100,CN; } ;;
    open-quote) { echo chip,destination; echo 'H100,"CN'; awk 'BEGIN { for (i = 0; i < 20000000; i++) print "H100,CN" }'; } ;;
    commas) { echo chip,destination; head -c 50M /dev/zero | tr '\0' ,; echo; echo H100,CN; } ;;
    columns) { echo chip,destination; python3 -c "import sys; sys.stdout.write('H100,CN' + ',x' * 10000000 + '\\n')"; echo H100,CN; } ;;
    figures) { echo chip,destination,tpp,die_area_mm2; seq 1 300000 | awk '{printf "H100,CN,%d.5,%d\n", $1, 100 + $1 % 700}'; } ;;
  esac
}

[ $# -gt 0 ] || set -- long-line open-quote commas columns figures
printf '%-12s %10s %12s %8s\n' input size peak_rss rc
for name in "$@"; do
  f=$dir/$name.csv
  gen "$name" > "$f"
  size=$(du -h "$f" | cut -f1)
  set +e
  /usr/bin/time -v "$bin" audit "$f" -o "$dir/out.csv" --date 2026-01-01 -q 2> "$dir/time.txt"
  rc=$?
  set -e
  rss=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$dir/time.txt")
  printf '%-12s %10s %9d KiB %8d\n' "$name" "$size" "$rss" "$rc"
  rm -f "$f" "$dir/out.csv"
done
