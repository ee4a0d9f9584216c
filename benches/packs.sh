#!/usr/bin/env bash
# Loading and linting large rule packs: `rules validate` and `check` on generated packs of N
# requirements (one regime, conditions like `eccn == '3A090.a' and tpp >= 5000 and destination
# in CN`), as company packs and party lists are. Prints seconds per command.
#
#   benches/packs.sh [N ...]        default 1000 10000 100000
#
# Packs go to $BENCH_DIR (default /tmp/chipgate-packs), deleted afterwards unless KEEP=1.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=${BENCH_DIR:-/tmp/chipgate-packs}
mkdir -p "$dir"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$dir"' EXIT
[ $# -gt 0 ] || set -- 1000 10000 100000

cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin=$root/target/release/chipgate

gen() {
  python3 - "$1" <<'PY'
import sys
n = int(sys.argv[1])
out = sys.stdout
out.write('[pack]\nname = "big"\nversion = "1.0.0"\nrequires = ">=0.1"\n\n')
out.write('[[regime]]\nid = "big"\ntitle = "big company policy"\ncitation = { document = "policy" }\neffective = 2025-01-01\n\n')
codes = ["CN", "RU", "IR", "KP", "SY", "CU", "BY", "VE", "MM", "NI"]
for i in range(n):
    out.write(f'[[requirement]]\nid = "big/r{i}"\nregime = "big"\nkind = "destination"\n'
              f'when = "eccn == \'3A090.a\' and tpp >= {5000 + i} and destination in {codes[i % len(codes)]}"\n\n')
PY
}

printf '%8s %10s %12s %12s\n' rules size validate_s check_s
for n in "$@"; do
  p=$dir/pack-$n.toml
  gen "$n" > "$p"
  size=$(du -h "$p" | cut -f1)
  t() { local s e; s=$(date +%s.%N); "$@" > /dev/null 2>&1 || true; e=$(date +%s.%N); echo "$e - $s" | bc; }
  v=$(t "$bin" rules validate "$p")
  c=$(t "$bin" --rules "$p" check H100 --to CN)
  printf '%8d %10s %12.2f %12.2f\n' "$n" "$size" "$v" "$c"
  rm -f "$p"
done
