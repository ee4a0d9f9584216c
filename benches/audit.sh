#!/usr/bin/env bash
# Audit throughput and memory: `chipgate audit` against a plain CSV pass-through (xsv) and the
# pandas baseline, on a generated shipment list.
#
#   benches/audit.sh [ROWS] [RUNS]        default 1000000 rows, 5 runs
#
# Needs hyperfine (apt-get install hyperfine), xsv (cargo install xsv), and for the baseline
# python3 with pandas (pip install pandas); SKIP_PANDAS=1 leaves the baseline out (e.g. for
# 10 M rows). Inputs and outputs go to $BENCH_DIR (default /tmp/chipgate-bench), which is
# deleted afterwards unless KEEP=1.
#
# Timing: one hyperfine run over all commands (medians and ratios from the same run), each run
# after `sync`, so that no command pays for writing back the output of the one before it. Memory:
# the commands alternate RUNS times under /usr/bin/time -v; the largest peak RSS is reported.
set -euo pipefail

rows=${1:-1000000}
runs=${2:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED_BENCH:-$root/../shared/bench}
dir=${BENCH_DIR:-/tmp/chipgate-bench}
xsv=${XSV:-$(command -v xsv || echo "$HOME/.cargo/bin/xsv")}
mkdir -p "$dir"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$dir"' EXIT

cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin=$root/target/release/chipgate
in=$dir/ship.csv
python3 "$shared/gen_shipments.py" "$rows" "$in"

audit="$bin audit $in -o $dir/audit.csv --date 2026-01-01 -q"
pass="$xsv select 1- $in -o $dir/pass.csv"
pandas="python3 $shared/baseline_pandas.py $in $dir/pandas.csv"
names=(audit xsv)
cmds=("$audit" "$pass")
if [ "${SKIP_PANDAS:-0}" != 1 ]; then
  names+=(pandas)
  cmds+=("$pandas")
fi

echo "## $(date -u +%F) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $rows rows, $(du -m "$in" | cut -f1) MB"
echo "## chipgate $(git -C "$root" rev-parse --short HEAD), $("$xsv" --version | head -1 | sed 's/^/xsv /'), $(python3 -c 'import pandas; print("pandas", pandas.__version__)' 2>/dev/null || echo 'no pandas')"

args=()
for i in "${!cmds[@]}"; do
  args+=(-n "${names[$i]}" "${cmds[$i]}")
done
# `audit` exits 1 when rows need a license: not a failure here.
hyperfine -N -i -w 1 -r "$runs" --prepare sync --export-json "$dir/hyperfine.json" "${args[@]}" >&2

echo "## peak RSS over $runs alternating runs"
declare -A rss
for _ in $(seq "$runs"); do
  for i in "${!cmds[@]}"; do
    kb=$( (/usr/bin/time -v ${cmds[$i]} 2>&1 >/dev/null || true) | awk '/Maximum resident/ {print $6}')
    n=${names[$i]}
    [ "${rss[$n]:-0}" -ge "$kb" ] || rss[$n]=$kb
  done
done

python3 - "$dir/hyperfine.json" "$rows" "$(for n in "${names[@]}"; do printf '%s=%s ' "$n" "${rss[$n]}"; done)" <<'EOF'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
rows = int(sys.argv[2])
rss = dict(kv.split("=") for kv in sys.argv[3].split())
med = {n: r["median"] for n, r in res.items()}
print(f"| command | median wall (s) | rows/s | peak RSS (MiB) |")
print(f"|---|---|---|---|")
for n, r in res.items():
    print(f"| {n} | {med[n]:.3f} (min {r['min']:.3f}, max {r['max']:.3f}) | {rows / med[n] / 1e6:.2f} M | {int(rss[n]) / 1024:.1f} |")
print()
print(f"audit / xsv pass-through: {med['audit'] / med['xsv']:.2f}x (target <= 0.7x, issues 11-13; the first goal was <= 1.5x)")
if "pandas" in med:
    print(f"pandas baseline / audit: {med['pandas'] / med['audit']:.1f}x faster (target >= 20x)")
EOF
