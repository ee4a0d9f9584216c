#!/usr/bin/env bash
# The cost of screening parties in an audit: the same generated shipment list audited with and
# without an `end_user` column (issue 16's budget: at most 2× the audit without it).
#
#   benches/parties.sh [ROWS] [RUNS] [NAMES]   default 100000 rows, 7 runs, 5000 distinct names
#
# A third run screens the same list against a generated Consolidated Screening List too
# (`--parties`): CSL_ENTRIES Entity List entries (default 20000, two aliases each) and a quarter as
# many entries of another source, in the list's own columns.
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

python3 - "$dir/csl.csv" "${CSL_ENTRIES:-20000}" <<'PY'
import csv, random, sys
random.seed(11)
head = "_id,source,entity_number,type,programs,name,title,addresses,federal_register_notice,start_date,end_date,standard_order,license_requirement,license_policy,call_sign,vessel_type,gross_tonnage,gross_registered_tonnage,vessel_flag,vessel_owner,remarks,source_list_url,alt_names,citizenships,dates_of_birth,nationalities,places_of_birth,source_information_url,ids".split(",")
syll = ["zhong", "hua", "tian", "xin", "long", "kang", "rui", "bo", "sheng", "tai", "an", "ming", "jin", "yuan", "feng", "hai"]
word = lambda: "".join(random.choice(syll) for _ in range(random.randint(2, 3))).capitalize()
kind = ["Technology", "Electronics", "Microsystems", "Computing", "Trading", "Semiconductor", "Research Institute", "Information Industry"]
n = int(sys.argv[2])
with open(sys.argv[1], "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=head)
    w.writeheader()
    for i in range(n + n // 4):
        el = i < n
        name = f"{word()} {word()} {random.choice(kind)} Co., Ltd."
        w.writerow({"_id": f"g{i}", "entity_number": str(100000 + i), "type": "Entity",
                    "source": "Entity List (EL) - Bureau of Industry and Security" if el else "Specially Designated Nationals (SDN) - Treasury Department",
                    "name": name, "alt_names": f"{word()} {random.choice(kind)}; {name.split()[0]} Group",
                    "addresses": f"{random.randint(1, 999)} Test Road, Shenzhen, CN", "start_date": f"20{random.randint(10, 25)}-0{random.randint(1, 9)}-1{random.randint(0, 9)}",
                    "license_requirement": "For all items subject to the EAR." if el else "", "license_policy": "Presumption of denial." if el else ""})
PY

echo "## $(date -u +%F) $(nproc) cores; $rows rows, $names distinct unlisted names; chipgate $(git -C "$root" rev-parse --short HEAD)"
hyperfine -N -i -w 1 -r "$runs" --prepare sync --export-json "$dir/hyperfine.json" \
  -n without "$bin audit $dir/plain.csv -o $dir/a.csv --date 2026-01-01 -q" \
  -n with-end-user "$bin audit $dir/parties.csv -o $dir/b.csv --date 2026-01-01 -q" \
  -n with-csl "$bin --parties $dir/csl.csv audit $dir/parties.csv -o $dir/c.csv --date 2026-01-01 -q" \
  -n check-with-csl "$bin --parties $dir/csl.csv check T4 --to SG --end-user Acme --date 2026-01-01" \
  -n check "$bin check T4 --to SG --end-user Acme --date 2026-01-01" >&2
python3 - "$dir/hyperfine.json" <<'PY'
import json, sys
m = {r["command"]: r["median"] for r in json.load(open(sys.argv[1]))["results"]}
print(f"without: {m['without']:.3f} s, with end users: {m['with-end-user']:.3f} s: {m['with-end-user'] / m['without']:.2f}x (budget <= 2x)")
print(f"with end users and the generated screening list: {m['with-csl']:.3f} s: {m['with-csl'] / m['without']:.2f}x the audit without end users")
print(f"one check: {m['check'] * 1000:.1f} ms; with the screening list loaded: {m['check-with-csl'] * 1000:.1f} ms")
PY
