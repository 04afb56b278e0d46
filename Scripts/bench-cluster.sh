#!/usr/bin/env bash
# pass10 over HTTP (../shared/bench/sfn_bench.py, -c 16, 10 s) against the release server: SQLite,
# then PostgreSQL with 1, 2 and 3 nodes (the client talks to the first node), in one run.
# Usage: Scripts/bench-cluster.sh postgres://USER@HOST:PORT/DB   (W=callback for another workload)
set -u
cd "$(dirname "$0")/.."
B=.build/release/baton
PG=${1:?a PostgreSQL URL}
W=${W:-pass10}
BENCH=${BENCH:-../shared/bench/sfn_bench.py}
D=$(mktemp -d)
trap 'pkill -f "port 1900[0-9]" ; rm -rf "$D"' EXIT
run() { python3 "$BENCH" --endpoint http://127.0.0.1:19001 --workload "$W" -c 16 -n 20000 -d 10 2>/dev/null | grep '"exec_per_s"'; }
echo "== sqlite"; $B serve --port 19001 --data-dir "$D/s" --log-level warning & sleep 2; run; pkill -f "port 1900[0-9]"; sleep 1
for n in 1 2 3; do
  S="$PG?schema=bench_${n}_$(date +%s)"
  echo "== postgres, $n node(s)"
  for i in $(seq 1 "$n"); do
    $B serve --port 1900"$i" --data-dir "$D/p$n$i" --database "$S" --secrets-key-file "$D/secrets.key" $( [ "$n" -gt 1 ] && echo --node-id n"$i" ) --log-level warning & sleep 2
  done
  sleep 4; run; pkill -f "port 1900[0-9]"; sleep 1
done
