#!/usr/bin/env bash
# Ledger and scoring benchmarks of issues 5 and 11, each beside its baseline in the
# same run. Needs GNU time (Debian: apt-get install time) and python3.
#   tools/bench-ledger.sh            # 1,000,000 facts, ~2 minutes
#   N=100000 tools/bench-ledger.sh   # fewer
# tools/benchledger writes the synthetic federation and its ledger and times
# the appends, ledger verify and scoring in-process; then the real binary is
# timed end to end on the same database: `accord score` and `accord ledger
# verify`, 3 runs each, median wall time and the largest max RSS. The
# baseline for both is the tool's: reading every ledger row, no checks.
# Results go to stdout; docs/BENCHMARKS.md records them. KEEP=1 keeps the
# work directory (the database is about 600 MB for 1,000,000 facts).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
RUNS=${RUNS:-3}
work=$(mktemp -d)
if [ "${KEEP:-}" = 1 ]; then echo "work directory: $work" >&2; else trap 'rm -rf "$work"' EXIT; fi

CGO_ENABLED=0 go build -o "$work/accord" ./cmd/accord
CGO_ENABLED=0 go build -o "$work/benchledger" ./tools/benchledger

echo "== tools/benchledger -n $N" >&2
"$work/benchledger" -n "$N" -dir "$work/data" -runs "$RUNS" | tee "$work/tool.out"
read_all=$(sed -n 's/^read_all_seconds=//p' "$work/tool.out")

# timed NAME CMD...: runs CMD under GNU time, stdout to /dev/null.
timed() {
  local name=$1; shift
  for i in $(seq "$RUNS"); do
    /usr/bin/time -v -o "$work/$name.$i" "$@" >/dev/null
  done
  python3 - "$name" "$read_all" "$work/$name".* <<'EOF'
import re, statistics, sys
name, base, paths = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
walls, rss = [], []
for p in paths:
    t = open(p).read()
    w = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", t).group(1)
    s = 0.0
    for part in w.split(":"):
        s = s * 60 + float(part)
    walls.append(s)
    rss.append(int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)))
m = statistics.median(walls)
print(f"{name}: {m:.2f} s (runs {' '.join(f'{w:.2f}' for w in walls)}), max RSS {max(rss) // 1024} MiB; "
      f"read all rows {base:.2f} s; ratio {m / base:.2f}")
EOF
}

echo "== accord score and accord ledger verify, end to end" >&2
timed "accord score --format csv" "$work/accord" score --config "$work/data/accord.yml" --format csv
timed "accord ledger verify" "$work/accord" ledger verify --config "$work/data/accord.yml"

# The transparency log (issue 11): a log key, a checkpoint, then verify
# against it: the database (which holds it) and an export given it.
"$work/accord" ledger keygen --out "$work/ledger.key" --origin bench.example/ledger >"$work/vkey" 2>/dev/null
echo "ledger: {key_file: $work/ledger.key}" >>"$work/data/accord.yml"
/usr/bin/time -f "accord ledger checkpoint (signs one): %e s, max RSS %M KiB" \
  "$work/accord" ledger checkpoint --config "$work/data/accord.yml" >"$work/cp.txt"
"$work/accord" ledger export --config "$work/data/accord.yml" >"$work/ledger.jsonl"
timed "accord ledger verify (with its checkpoint)" "$work/accord" ledger verify --config "$work/data/accord.yml"
timed "accord ledger verify --file --checkpoint" "$work/accord" ledger verify --file "$work/ledger.jsonl" \
  --checkpoint "$work/cp.txt" --key "$(cat "$work/vkey")"
timed "accord audit" "$work/accord" audit "$work/ledger.jsonl"
