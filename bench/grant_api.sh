#!/usr/bin/env bash
# Requests with automatic approval through the HTTP API, durable, on loopback: wrk POSTs routine
# requests as a related technician against a client whose policy approves them at once.
# Usage: bench/grant_api.sh [QUARTET_BINARY]
set -euo pipefail
quartet="$(realpath "${1:-build/default/quartet}")"
work="$(realpath "${QUARTET_BENCH_DIR:-.}")/quartet-grant-bench-$$"
mkdir -p "$work"
cleanup() {
  if [ -n "${server_pid:-}" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
admin() { "$quartet" admin --data "$work/data" "$@" > /dev/null; }
admin client add --tenant bench --name Bench
admin user add --name tech --role technician
admin user add --name owner --role owner --client bench
admin resource add --client bench --name host --kind ssh-host
admin relate --client bench --technician tech
tech_token=$("$quartet" admin --data "$work/data" token create --user tech)
owner_token=$("$quartet" admin --data "$work/data" token create --user owner)
# The server's own throughput: one technician's requests are otherwise limited to 20, then one a
# minute (server/api/api_common.h).
"$quartet" server --data "$work/data" --listen 127.0.0.1:0 --no-request-limits > "$work/server.out" 2> "$work/server.err" &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/server.out" ] && break; sleep 0.05; done
url="$(head -1 "$work/server.out" | awk '{print $NF}')"
# A policy that approves routine requests at any hour, so every request is approved at once.
curl -sf -X PUT -H "Authorization: Bearer $owner_token" -H 'Content-Type: application/json' \
  -d '{"rules":[{"name":"routine","effect":"approve"}],"fallback":"ask-owners","time_zone":"UTC"}' \
  "$url/api/v1/clients/bench/policy" > /dev/null
cat > "$work/request.lua" <<LUA
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $tech_token"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"resource":"host","login":"admin","reason":"benchmark","ticket":"T-1","duration_seconds":600}'
LUA
wrk -t1 -c${CONNECTIONS:-64} -d10s -s "$work/request.lua" "$url/api/v1/clients/bench/grants" | grep -E "Requests/sec|Non-2xx|Latency"
curl -sf -H "Authorization: Bearer $owner_token" "$url/api/v1/clients/bench/grants" | python3 -c "import json,sys; g=json.load(sys.stdin)['grants']; print('grants listed (at most 1000):', len(g), 'approved:', sum(x['state']=='approved' for x in g))"
