#!/usr/bin/env bash
# Schema tests of `chipgate serve`: the OpenAPI document it serves is validated as OpenAPI 3.1
# (openapi-spec-validator), then schemathesis sends requests generated from it to every
# operation and checks every answer: no 5xx, statuses, content types, headers and bodies as
# the document says.
#
#   tests/schema/run.sh [CHIPGATE]     CHIPGATE: the binary (default target/debug/chipgate)
#
# Needs python3; the tools go into a virtual environment ($VENV, default target/schema-venv)
# from tests/schema/requirements.txt. EXAMPLES (default 40) bounds the cases per operation;
# SEED (default 1) makes the run repeatable. Reports go to $ARTIFACTS (default
# target/schema-artifacts).
#
# Two of schemathesis's checks are left out, for reasons of the API's design, not of its
# schema: `positive_data_acceptance` (a request the schema allows may still name a country or
# a chip that does not exist, which is a 400 no schema can foresee) and
# `negative_data_rejection` (an empty query value, such as `pd_max=`, means "not given", as an
# HTML form sends a blank field). The health check `filter_too_much` is off: path parameters
# (rule ids hold `/`) make schemathesis drop many of the strings it draws.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/target/debug/chipgate}
venv=${VENV:-$root/target/schema-venv}
artifacts=${ARTIFACTS:-$root/target/schema-artifacts}
mkdir -p "$artifacts"
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$root/tests/schema/requirements.txt"
fi

log=$artifacts/serve.log
"$bin" serve --addr 127.0.0.1:0 >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
url=
for _ in $(seq 100); do
  url=$(grep -o 'http://127.0.0.1:[0-9]*' "$log" | head -1 || true)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "chipgate serve did not start:" >&2; cat "$log" >&2; exit 1; }

# schemathesis keeps its cache in the directory it runs in.
cd "$artifacts"
curl -sf "$url/openapi.json" -o "$artifacts/openapi.json"
"$venv/bin/openapi-spec-validator" "$artifacts/openapi.json"
"$venv/bin/schemathesis" run "$url/openapi.json" \
  --checks all --exclude-checks positive_data_acceptance,negative_data_rejection \
  --max-examples "${EXAMPLES:-40}" --seed "${SEED:-1}" --workers 2 --suppress-health-check filter_too_much \
  --report junit --report-dir "$artifacts"
