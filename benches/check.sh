#!/usr/bin/env bash
# Whole-process latency of `chipgate check`, rule loading included (on the built-in rules alone the
# checked rule set compiled in at build time is decoded; see build.rs). Needs hyperfine (Debian
# package). Prints medians in ms. Issue 17's goal: `check` within 1.5x `--version`.
# Usage: benches/check.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-100}
cargo build --release --quiet
bin=./target/release/chipgate
out=$(mktemp)
# exit code 1 means "license required": expected here, so -i
hyperfine -N -i -w 10 -r "$runs" --export-json "$out" \
  "$bin check H100 --to CN" \
  "$bin check H100 --to CN --format json" \
  "$bin check --tpp 3000 --die-area 900 --datacenter --to CN --date 2024-05-01" \
  "$bin --version" >/dev/null
python3 - "$out" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
base = res[-1]["median"]
for r in res:
    print(f'{r["command"]:<95} median {r["median"]*1000:6.2f} ms  (min {r["min"]*1000:.2f}, max {r["max"]*1000:.2f}; {r["median"]/base:.2f}x `--version`)')
PY
rm -f "$out"
