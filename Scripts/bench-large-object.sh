#!/usr/bin/env bash
# A 64 MB object through one connection with curl as the client, against the disk in the same
# minutes: PUT against dd's write with fsync; GET read from the disk (page cache dropped, so
# root only) against dd reading the object's own file, also dropped; GET from the page cache.
# usage: Scripts/bench-large-object.sh [BINARY] [rounds]
set -u
B=${1:-.build/release/baton}; N=${2:-3}; D=$(mktemp -d); P=${PORT:-19321}
H="Host: big.s3.localhost:$P"
"$B" serve --port "$P" --data-dir "$D/data" --log-level error & SP=$!
trap 'kill $SP 2>/dev/null; rm -rf "$D"' EXIT
sleep 2
curl -sf -X PUT -H "$H" "http://127.0.0.1:$P/" > /dev/null
head -c $((64 * 1024 * 1024)) /dev/urandom > "$D/src.bin"
now() { date +%s.%N; }
drop() { sync; echo 3 > /proc/sys/vm/drop_caches; }
for i in $(seq "$N"); do
  put=$(curl -sf -o /dev/null -w '%{time_total}' -T "$D/src.bin" -H "$H" "http://127.0.0.1:$P/large$i.bin")
  s=$(now); dd if="$D/src.bin" of="$D/dd.bin" bs=1M conv=fsync 2> /dev/null; e=$(now); rm -f "$D/dd.bin"
  F=$(find "$D/data" -type f -size +60M -newer "$D/src.bin" | head -1)
  drop; get=$(curl -sf -o /dev/null -w '%{time_total}' -H "$H" "http://127.0.0.1:$P/large$i.bin")
  drop; s2=$(now); dd if="$F" of=/dev/null bs=1M 2> /dev/null; e2=$(now)
  warm=$(curl -sf -o /dev/null -w '%{time_total}' -H "$H" "http://127.0.0.1:$P/large$i.bin")
  python3 -c "
put, dw, get, dr, warm = 64 / $put, 64 / ($e - $s), 64 / $get, 64 / ($e2 - $s2), 64 / $warm
print('PUT %5.0f MB/s  dd write+fsync %5.0f  ratio %.2f | GET from disk %5.0f MB/s  dd read %5.0f  ratio %.2f | GET from cache %5.0f MB/s'
      % (put, dw, dw / put, get, dr, dr / get, warm))"
done
