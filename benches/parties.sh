#!/usr/bin/env bash
# The cost of screening parties in an audit: the same generated shipment list audited with and
# without an `end_user` column (issue 16's budget: at most 2× the audit without it).
#
#   benches/parties.sh [ROWS] [RUNS] [NAMES]   default 100000 rows, 7 runs, 5000 distinct names
#
# The names: NAMES companies that are not listed, one row in fifty a listed party as the Entity
# List writes it (or in capitals), one in a hundred a misspelling of one (a possible match).
# Needs hyperfine and python3. Files go to $BENCH_DIR (default /tmp/chipgate-parties), deleted
# afterwards unless KEEP=1.
set -euo pipefail

rows=${1:-100000}
runs=${2:-7}
names=${3:-5000}
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED_BENCH:-$root/../shared/bench}
dir=${BENCH_DIR:-/tmp/chipgate-parties}
mkdir -p "$dir"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$dir"' EXIT

cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin=$root/target/release/chipgate
python3 "$shared/gen_shipments.py" "$rows" "$dir/plain.csv"
python3 - "$dir/plain.csv" "$dir/parties.csv" "$names" <<'PY'
import csv, random, sys
random.seed(7)
listed = ["Huawei Technologies Co., Ltd.", "HUAWEI TECHNOLOGIES CO LTD", "SMIC", "Sugon", "Beijing Biren Technology Development Co., Ltd.",
          "National Supercomputing Center Wuxi", "Tianjin Phytium Information Technology"]
misspelt = ["Huawei Technolgies", "Sugon Informaton Industry", "Semiconductor Manufactoring International"]
others = [f"{random.choice(['Acme', 'Globex', 'Initech', 'Umbrella', 'Stark', 'Wayne', 'Tyrell'])} {random.choice(['Trading', 'Systems', 'Computing', 'Cloud', 'Electronics'])} {i} {random.choice(['GmbH', 'Ltd.', 'Inc.', 'Pte. Ltd.', 'S.A.'])}" for i in range(int(sys.argv[3]))]
with open(sys.argv[1], newline="") as f, open(sys.argv[2], "w", newline="") as g:
    r, w = csv.reader(f), csv.writer(g)
    w.writerow(next(r) + ["end_user"])
    for row in r:
        x = random.random()
        w.writerow(row + [random.choice(listed) if x < 0.02 else random.choice(misspelt) if x < 0.03 else random.choice(others)])
PY

echo "## $(date -u +%F) $(nproc) cores; $rows rows, $names distinct unlisted names; chipgate $(git -C "$root" rev-parse --short HEAD)"
hyperfine -N -i -w 1 -r "$runs" --prepare sync --export-json "$dir/hyperfine.json" \
  -n without "$bin audit $dir/plain.csv -o $dir/a.csv --date 2026-01-01 -q" \
  -n with-end-user "$bin audit $dir/parties.csv -o $dir/b.csv --date 2026-01-01 -q" >&2
python3 - "$dir/hyperfine.json" <<'PY'
import json, sys
m = {r["command"]: r["median"] for r in json.load(open(sys.argv[1]))["results"]}
print(f"without: {m['without']:.3f} s, with end users: {m['with-end-user']:.3f} s: {m['with-end-user'] / m['without']:.2f}x (budget <= 2x)")
PY
