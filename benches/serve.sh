#!/usr/bin/env bash
# The service under load on loopback: `GET /v1/check` with wrk, and a 1 M-row audit upload with
# curl, beside the command line doing the same; the server's peak memory.
#
#   benches/serve.sh [ROWS] [SECONDS]     default 1000000 rows, 10 s of load
#
# Needs wrk (apt-get install wrk), curl, hyperfine and python3 (the shipment generator).
# Files go to $BENCH_DIR (default /tmp/chipgate-serve-bench), deleted afterwards unless KEEP=1.
set -euo pipefail

rows=${1:-1000000}
secs=${2:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED_BENCH:-$root/../shared/bench}
dir=${BENCH_DIR:-/tmp/chipgate-serve-bench}
mkdir -p "$dir"
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin=$root/target/release/chipgate
python3 "$shared/gen_shipments.py" "$rows" "$dir/ship.csv"

"$bin" serve --quiet --addr 127.0.0.1:0 2>"$dir/serve.err" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; [ "${KEEP:-0}" = 1 ] || rm -rf "$dir"' EXIT
for _ in $(seq 50); do grep -q "listening on" "$dir/serve.err" && break; sleep 0.1; done
base=$(grep -o 'http://[0-9.:]*' "$dir/serve.err" | head -1)

echo "## $(date -u +%F) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); chipgate $(git -C "$root" rev-parse --short HEAD)"
query="chip=H100&to=CN&date=2026-01-01"
echo "## GET /v1/check?$query: wrk, 1 thread, 4 connections, ${secs} s"
wrk -t1 -c4 -d"${secs}s" --latency "$base/v1/check?$query" | grep -E "Requests/sec|Latency|50%|99%|Non-2xx|errors"
echo "## the same check on the command line"
hyperfine -N -i -w 3 -r 30 "$bin check H100 --to CN --date 2026-01-01 --format json" 2>&1 | grep -E "Time|Range"

echo "## $rows-row audit: upload and download vs the command line"
hyperfine -N -i -w 1 -r 5 \
  -n upload "curl -s --data-binary @$dir/ship.csv -o $dir/api.csv $base/v1/audit?date=2026-01-01" \
  -n cli "$bin audit $dir/ship.csv -o $dir/cli.csv --date 2026-01-01 -q" 2>&1 | grep -E "Benchmark|Time|faster"
cmp "$dir/api.csv" "$dir/cli.csv" && echo "outputs identical"
echo "## server peak RSS: $(grep VmHWM /proc/$pid/status | awk '{print $2/1024 " MiB"}')"
