#!/usr/bin/env bash
# Issue 21's four workloads in one run: over HTTP against the release server (SQLite, FULL,
# ../shared/bench/sfn_bench.py -c 16, 10 s each: pass10, wait0, callback, then pass10 on Express
# through StartSyncExecution), moto's server on wait0 right after, then in process
# (BatonBench hotpaths). Build first: swift build -c release --product baton --product BatonBench
set -u
cd "$(dirname "$0")/.."
B=${BATON_BIN:-.build/release/baton}
BENCH=${BENCH:-../shared/bench/sfn_bench.py}
MOTO=${MOTO:-../shared/bench/moto_sfn_server.py}
D=$(mktemp -d)
trap 'pkill -f "port 19011" ; pkill -f "moto_sfn_server.py -p 19012"; rm -rf "$D"' EXIT
summary() {
  python3 -c '
import sys, json
for line in sys.stdin:
    d = json.loads(line); lat = d.get("latency_ms", {})
    print("%-13s %-8s %8.1f executions/s %9.1f transitions/s  p50 %6.2f  p99 %6.2f ms  server CPU %s ms/execution"
          % (sys.argv[1], d["workload"], d["exec_per_s"], d["transitions_per_s"], lat.get("p50", 0), lat.get("p99", 0),
             d.get("server_cpu_ms_per_exec")))' "$1"
}
$B serve --port 19011 --data-dir "$D/baton" --log-level warning & sleep 2
P=$(pgrep -f "serve --port 19011")
python3 "$BENCH" --endpoint http://127.0.0.1:19011 --server-pid "$P" --workload pass10,wait0,callback -c 16 -n 50000 -d 10 2>/dev/null | summary baton
python3 "$BENCH" --endpoint http://127.0.0.1:19011 --server-pid "$P" --workload pass10 --sm-type EXPRESS --completion sync -c 16 -n 100000 -d 10 2>/dev/null | summary baton-express
pkill -f "port 19011"; sleep 2
python3 "$MOTO" -p 19012 > "$D/moto.log" 2>&1 & sleep 4
M=$(pgrep -f "moto_sfn_server.py -p 19012")
python3 "$BENCH" --endpoint http://127.0.0.1:19012 --server-pid "$M" --workload wait0 -c 16 -n 2000 -d 10 2>/dev/null | summary moto
pkill -f "moto_sfn_server.py -p 19012"; sleep 1
.build/release/BatonBench hotpaths 5
