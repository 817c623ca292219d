#!/usr/bin/env bash
# Tile GETs per second from `quartet server` against nginx serving the very same tile files, measured
# by wrk in one run on this machine (loopback only). Usage: bench/tile_serving.sh [QUARTET_BINARY]
set -euo pipefail
quartet="$(realpath "${1:-build/default/quartet}")"
work="$(realpath "${QUARTET_BENCH_DIR:-.}")/quartet-tile-bench-$$"
mkdir -p "$work"
cleanup() {
  [ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null || true
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A log of 65,536 entries: 256 full level-0 tiles and bundles.
"$quartet" log init --data "$work/data" --tenant bench --origin bench.example/logs/bench --open > /dev/null
python3 -c "
import sys
for i in range(65536): sys.stdout.write('{\"i\":%d,\"pad\":\"%s\"}\n' % (i, 'x' * 230))
" | "$quartet" log append --data "$work/data" --tenant bench > /dev/null

"$quartet" server --data "$work/data" --listen 127.0.0.1:0 > "$work/server.out" 2> "$work/server.err" &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/server.out" ] && break; sleep 0.05; done
quartet_url="$(head -1 "$work/server.out" | awk '{print $NF}')"

port=$((20000 + RANDOM % 20000))
cat > "$work/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_requests 1000000;
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:$port;
    location /logs/ { root $work/data; }
  }
}
CONF
nginx -c "$work/nginx.conf" -p "$work"
nginx_url="http://127.0.0.1:$port"

# Each request picks one of the 256 full level-0 tiles.
cat > "$work/tiles.lua" <<'LUA'
local n = 0
request = function()
  n = (n + 1) % 256
  return wrk.format("GET", string.format("/logs/bench/tile/0/%03d", n))
end
LUA
# Warm both (the first read of each tile verifies it in quartet; nginx warms the page cache).
wrk -t1 -c4 -d1s -s "$work/tiles.lua" "$quartet_url" > /dev/null
wrk -t1 -c4 -d1s -s "$work/tiles.lua" "$nginx_url" > /dev/null

measure() { wrk -t2 -c32 -d5s -s "$work/tiles.lua" "$1" | awk '/Requests\/sec/ {print $2}'; }
q1=$(measure "$quartet_url"); n1=$(measure "$nginx_url")
q2=$(measure "$quartet_url"); n2=$(measure "$nginx_url")
echo "quartet: $q1 $q2 requests/s"
echo "nginx:   $n1 $n2 requests/s"
python3 -c "print('ratio quartet/nginx: %.2f' % ((float('$q1') + float('$q2')) / (float('$n1') + float('$n2'))))"
