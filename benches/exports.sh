#!/usr/bin/env bash
# Throughput of the audit's input paths for ERP and spreadsheet exports (docs/exports.md), each
# against the plain comma-separated UTF-8 file they are made from, in one hyperfine run:
#
#   plain      ship.csv as generated (../shared/bench/gen_shipments.py)
#   semicolon  the same rows separated by `;` (found in the header)
#   utf16      tab-separated UTF-16LE with a byte-order mark (Excel's "Unicode Text")
#   cp1252     `;`-separated windows-1252 (--encoding windows-1252)
#   dates      dates written DD.MM.YYYY and quantities grouped (1.024)
#
#   benches/exports.sh [ROWS] [RUNS]        default 1000000 rows, 5 runs
#
# Needs hyperfine and python3. Files go to $BENCH_DIR (default /tmp/chipgate-exports), deleted
# afterwards unless KEEP=1.
set -euo pipefail

rows=${1:-1000000}
runs=${2:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED_BENCH:-$root/../shared/bench}
dir=${BENCH_DIR:-/tmp/chipgate-exports}
mkdir -p "$dir"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$dir"' EXIT

cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin=$root/target/release/chipgate
python3 "$shared/gen_shipments.py" "$rows" "$dir/plain.csv"
python3 - "$dir" <<'PY'
import csv, sys
d = sys.argv[1]
rows = list(csv.reader(open(f"{d}/plain.csv", newline="", encoding="utf-8")))
def write(name, delim, encoding, fix=lambda r, i: r):
    with open(f"{d}/{name}", "w", newline="", encoding=encoding) as f:
        w = csv.writer(f, delimiter=delim, lineterminator="\r\n" if encoding.startswith("utf-16") else "\n")
        for i, r in enumerate(rows):
            w.writerow(fix(list(r), i))
write("semicolon.csv", ";", "utf-8")
write("utf16.txt", "\t", "utf-16")  # Python's utf-16 writes a BOM, little-endian here
write("cp1252.csv", ";", "cp1252", lambda r, i: [c.encode("cp1252", "replace").decode("cp1252") for c in r])
h = rows[0]
di, qi = h.index("date"), h.index("quantity")
def german(r, i):
    if i > 0:
        if r[di]:
            y, m, dd = r[di].split("-")
            r[di] = f"{dd}.{m}.{y}"
        if r[qi].isdigit() and int(r[qi]) >= 1000:
            n = int(r[qi])
            r[qi] = f"{n // 1000}.{n % 1000:03}"
    return r
write("dates.csv", ";", "utf-8", german)
PY

echo "## $(date -u +%F) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $rows rows; chipgate $(git -C "$root" rev-parse --short HEAD)"
a="$bin audit --date 2026-01-01 -q"
hyperfine -N -i -w 1 -r "$runs" --prepare sync --export-json "$dir/hyperfine.json" \
  -n plain "$a $dir/plain.csv -o $dir/out-plain.csv" \
  -n semicolon "$a $dir/semicolon.csv -o $dir/out-semicolon.csv" \
  -n utf16 "$a $dir/utf16.txt -o $dir/out-utf16.csv" \
  -n cp1252 "$a $dir/cp1252.csv --encoding windows-1252 -o $dir/out-cp1252.csv" \
  -n dates "$a $dir/dates.csv -o $dir/out-dates.csv" >&2
python3 - "$dir/hyperfine.json" "$rows" <<'EOF'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
rows = int(sys.argv[2])
base = res[0]["median"]
print("| input | median wall (s) | rows/s | vs plain |")
print("|---|---|---|---|")
for r in res:
    print(f"| {r['command']} | {r['median']:.3f} (min {r['min']:.3f}, max {r['max']:.3f}) | {rows / r['median'] / 1e6:.2f} M | {r['median'] / base:.2f}x |")
EOF
