#!/usr/bin/env bash
# Failover with the default lease: three release nodes on one database; kill -9 the owner of
# partition 0 and time until the survivors hold every partition. Usage: Scripts/bench-failover.sh postgres://USER@HOST:PORT/DB
set -u
cd "$(dirname "$0")/.."
B=.build/release/baton
S="${1:?a PostgreSQL URL}?schema=failover_$(date +%s%N)"
D=$(mktemp -d)
trap 'pkill -f "port 1910[0-9]" ; rm -rf "$D"' EXIT
for i in 1 2 3; do $B serve --port 1910"$i" --data-dir "$D/n$i" --database "$S" --node-id n"$i" --log-level warning 2>/dev/null & sleep 1; done
sleep 8
$B cluster status --database "$S"
held() { $B cluster status --database "$S" --format json | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
victim=$(held "[p['owner'] for p in d['partitions'] if p['partition']==0][0]")
kill -9 "$(pgrep -f "node-id $victim" | head -1)"; t0=$(date +%s.%N)
until [ "$(held "sum(1 for p in d['partitions'] if p['held'] and p['owner']!='$victim')")" = 16 ]; do sleep 0.2; done
echo "killed $victim; every partition held by the survivors $(python3 -c "print('%.1f' % ($(date +%s.%N) - $t0))") s later"
$B cluster status --database "$S"
