#!/usr/bin/env bash
# The members' pages and API on a large ledger (issue 14): tools/benchledger
# writes a synthetic federation (40 co-ops, 500 members) and N facts, then
# `accord serve` runs on it and tools/benchweb asks each page and API path
# 200 times, 2 at once, beside /healthz (no work) in the same run.
#   tools/bench-web.sh             # 1,000,000 facts, a few minutes
#   N=100000 tools/bench-web.sh    # fewer
# Prints p50, p95 and max per path; docs/BENCHMARKS.md records them.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
PORT=${PORT:-18093}
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

CGO_ENABLED=0 go build -o "$work/accord" ./cmd/accord
go build -o "$work/benchledger" ./tools/benchledger
go build -o "$work/benchweb" ./tools/benchweb
echo "== tools/benchledger -n $N (the ledger)" >&2
"$work/benchledger" -n "$N" -dir "$work/data" -runs 1 >/dev/null

echo "== accord serve" >&2
start=$(date +%s.%N)
ACCORD_LISTEN=127.0.0.1:$PORT "$work/accord" serve --config "$work/data/accord.yml" 2>"$work/serve.log" &
pid=$!
until curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null; do
  kill -0 "$pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  sleep 0.2
done
echo "ready after $(echo "$(date +%s.%N) - $start" | bc) s" >&2

echo "== tools/benchweb" >&2
"$work/benchweb" -base "http://127.0.0.1:$PORT" -n 200 -c 2 \
  / /coops/coop1 /members/m1 /ledger \
  /api/v1/federation /api/v1/coops/coop1 /api/v1/members/m1 /api/v1/proposals /api/v1/ledger
echo "serve RSS after: $(awk '/VmRSS/ {print $2 " " $3}' /proc/$pid/status)"
