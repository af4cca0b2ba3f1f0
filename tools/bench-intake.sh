#!/usr/bin/env bash
# Intake benchmarks against the real binary, each beside its baseline in the
# same run. Needs wrk (Debian: apt-get install wrk) and python3.
#   tools/bench-intake.sh            # all of it, ~2 minutes
# Results go to stdout; docs/BENCHMARKS.md records them.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

DURATION=${DURATION:-15s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
body=forges/github/testdata/payloads/issue_comment.created.2.json
secret=bench-secret
sig="sha256=$(openssl dgst -sha256 -hmac "$secret" -r "$body" | cut -d' ' -f1)"

CGO_ENABLED=0 go build -o "$work/accord" ./cmd/accord
go build -o "$work/barehook" ./tools/barehook
go build -o "$work/hookload" ./tools/hookload

rss_kb() { awk '/VmRSS/ {print $2}' /proc/"$1"/status; }
wait_port() { for _ in $(seq 100); do curl -s -o /dev/null "http://$1/" && return 0; sleep 0.1; done; return 1; }
rows() { python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from deliveries').fetchone()[0])" "$1"; }

start_accord() { # $1 = synchronous mode, $2 = port
  rm -f "$work"/accord.db*
  ACCORD_SQLITE_SYNCHRONOUS=$1 ACCORD_GITHUB_WEBHOOK_SECRETS=$secret ACCORD_LOG_LEVEL=warn \
    ACCORD_LISTEN=127.0.0.1:$2 ACCORD_DATABASE="$work/accord.db" "$work/accord" serve 2>"$work/accord.log" &
  accord_pid=$!
  wait_port 127.0.0.1:$2
}

run_wrk() { # $1 = base URL, $2 = run id
  BODY_FILE=$body BODY_SIG=$sig RUN_ID=$2 wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" -s tools/hook.lua --latency "$1" \
    | tee "$work/wrk.out" >&2
  awk '/Requests\/sec/ {print $2}' "$work/wrk.out"
}

echo "== baseline: bare net/http handler" >&2
"$work/barehook" -listen 127.0.0.1:18090 2>/dev/null &
bare_pid=$!
wait_port 127.0.0.1:18090
sleep 1
bare_rss=$(rss_kb $bare_pid)
bare_rate=$(run_wrk http://127.0.0.1:18090 bare)
kill $bare_pid; wait $bare_pid 2>/dev/null || true

results=()
for mode in NORMAL FULL; do
  echo "== accord serve, synchronous=$mode" >&2
  start_accord $mode 18091
  sleep 1
  idle_rss=$(rss_kb $accord_pid)
  rate=$(run_wrk http://127.0.0.1:18091 "$mode")
  sent=$(awk '/requests in/ {print $1}' "$work/wrk.out")
  if grep -q "Non-2xx" "$work/wrk.out"; then echo "accord answered other than 202" >&2; exit 1; fi
  kill -9 $accord_pid; wait $accord_pid 2>/dev/null || true
  stored=$(rows "$work/accord.db")
  results+=("$mode $rate $stored $sent $idle_rss")
done

echo "== accord serve killed with SIGKILL halfway through 10 s at 2000 deliveries/s" >&2
start_accord NORMAL 18094
( sleep 5; kill -9 $accord_pid ) &
"$work/hookload" -url http://127.0.0.1:18094/hooks/github -body "$body" -secret "$secret" -rate 2000 -duration 10s | tee "$work/kill.out" >&2
wait $accord_pid 2>/dev/null || true
acked=$(grep -o '202:[0-9]*' "$work/kill.out" | cut -d: -f2)
kill_rows=$(rows "$work/accord.db")
if [ "$kill_rows" -lt "$acked" ]; then echo "LOST: $acked acknowledged, $kill_rows stored" >&2; exit 1; fi

echo "== accord serve, 1000 deliveries/s for 20 s (synchronous=NORMAL)" >&2
start_accord NORMAL 18092
"$work/hookload" -url http://127.0.0.1:18092/hooks/github -body "$body" -secret "$secret" -rate 1000 -duration 20s | tee "$work/load.out" >&2
kill $accord_pid; wait $accord_pid 2>/dev/null || true
echo "== bare handler, 1000 deliveries/s for 20 s" >&2
"$work/barehook" -listen 127.0.0.1:18093 2>/dev/null &
bare_pid=$!
wait_port 127.0.0.1:18093
"$work/hookload" -url http://127.0.0.1:18093/hooks/github -body "$body" -secret "$secret" -rate 1000 -duration 20s | tee "$work/load-bare.out" >&2
kill $bare_pid; wait $bare_pid 2>/dev/null || true

echo
echo "bare handler: $bare_rate req/s, idle RSS $((bare_rss / 1024)) MiB"
for r in "${results[@]}"; do
  set -- $r
  ratio=$(python3 -c "print(f'{$2/$bare_rate:.2f}')")
  echo "accord synchronous=$1: $2 req/s (ratio to bare $ratio); rows stored $3 for $4 requests sent (wrk counts requests whose answer it read); idle RSS $(($5 / 1024)) MiB"
done
echo "SIGKILL under load: $acked deliveries got 202, $kill_rows stored after the kill"
echo "1000/s accord: $(grep latency "$work/load.out")"
echo "1000/s bare:   $(grep latency "$work/load-bare.out")"
