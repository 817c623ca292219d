#!/usr/bin/env bash
# C2SP interoperability test: an independent Python client (c2sp_client.py,
# written from the C2SP specifications, sharing no code with Quartet) checks
# a log published by a real `quartet server`.
#
# Usage: interop_test.sh /path/to/quartet
set -euo pipefail

QUARTET=${1:?usage: interop_test.sh /path/to/quartet}
[ -x "$QUARTET" ] || { echo "interop: $QUARTET is not executable" >&2; exit 1; }
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CLIENT="$HERE/c2sp_client.py"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/quartet-interop.XXXXXX")
DATA="$WORK/data"
TENANT=interop
ORIGIN=interop.example/logs/$TENANT
EXPECTED="$WORK/expected.jsonl"
SERVER_PID=""
STATIC_PID=""
URL=""

stop_pid() {  # stop_pid PID: SIGTERM, then SIGKILL after 5 s
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  echo "interop: process $pid ignored SIGTERM; killing it" >&2
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  return 1
}

cleanup() {
  local rc=$?
  [ -n "$SERVER_PID" ] && { stop_pid "$SERVER_PID" || true; }
  [ -n "$STATIC_PID" ] && { stop_pid "$STATIC_PID" || true; }
  if [ "$rc" -ne 0 ]; then
    for f in server.err static.err; do
      [ -s "$WORK/$f" ] && { echo "--- $f (tail)"; tail -20 "$WORK/$f"; }
    done
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "interop: FAIL: $*" >&2; exit 1; }
step() { echo "== [${SECONDS}s] $*"; }

client() { "$PY" "$CLIENT" "$@"; }

# expect_reject DESCRIPTION PATTERN COMMAND...: the command must fail with a
# c2sp_client verification message matching PATTERN (an extended regex), so a
# crash or a failure for another reason does not count as a pass.
expect_reject() {
  local desc=$1 pattern=$2 out
  shift 2
  if out=$("$@" 2>&1); then
    echo "$out"
    fail "$desc: accepted, but should have been rejected"
  fi
  local msg
  msg=$(grep -E '^c2sp_client: FAIL: ' <<<"$out" || true)
  [ -n "$msg" ] || { echo "$out"; fail "$desc: failed without a verification message"; }
  grep -Eq -- "$pattern" <<<"$msg" || { echo "$out"; fail "$desc: rejected, but not with /$pattern/"; }
  echo "   rejected as expected ($desc): ${msg#c2sp_client: FAIL: }"
}

# gen_events STAGE COUNT: canonical JSON (sorted keys, no spaces), one a line.
gen_events() {
  "$PY" -c '
import sys
stage, n = sys.argv[1], int(sys.argv[2])
w = sys.stdout.write
for i in range(n):
    w("{\"i\":%d,\"kind\":\"interop\",\"stage\":\"%s\"}\n" % (i, stage))
' "$1" "$2"
}

# append FILE: append the events of FILE and record them as expected.
append() {
  local out
  out=$("$QUARTET" log append --data "$DATA" --tenant "$TENANT" <"$1") \
    || fail "quartet log append failed"
  cat "$1" >>"$EXPECTED"
  local want=$(($(wc -l <"$EXPECTED") - 1)) last
  last=$(tail -1 <<<"$out")
  [ "$last" = "$want" ] || fail "append printed last index '$last', expected $want"
}

start_server() {
  "$QUARTET" server --data "$DATA" --listen 127.0.0.1:0 >"$WORK/server.out" 2>"$WORK/server.err" &
  SERVER_PID=$!
  local i line=""
  for i in $(seq 100); do
    line=$(head -1 "$WORK/server.out" 2>/dev/null || true)
    [ -n "$line" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || fail "quartet server exited early"
    sleep 0.1
  done
  [[ "$line" =~ ^quartet\ server\ listening\ on\ (http://127\.0\.0\.1:[0-9]+)$ ]] \
    || fail "unexpected first server line: '$line'"
  URL=${BASH_REMATCH[1]}
  echo "   server pid $SERVER_PID at $URL"
}

stop_server() {
  stop_pid "$SERVER_PID" || fail "quartet server did not stop on SIGTERM"
  SERVER_PID=""
}

# verify_log SIZE: the published log must reach SIZE and verify completely.
verify_log() {
  client verify-log --url "$URL/logs/$TENANT" --key "$KEY" --origin "$ORIGIN" \
    --expect-size "$1" --entries-file "$EXPECTED" | sed 's/^/   /' \
    || fail "verify-log at size $1"
}

entry() { sed -n "$(($1 + 1))p" "$EXPECTED"; }

SECONDS=0
step "client self-test"
"$PY" -c 'import cryptography' 2>/dev/null \
  || fail "$PY cannot import 'cryptography' (apt-get install python3-cryptography)"
client self-test

step "log init"
mkdir -p "$DATA"
: >"$EXPECTED"
# Logs of no client, open to anyone (a client's log is read with a credential: below).
KEY=$("$QUARTET" log init --data "$DATA" --tenant "$TENANT" --origin "$ORIGIN" --open | tail -1)
OTHER_KEY=$("$QUARTET" log init --data "$DATA" --tenant other --open | tail -1)
WIDE_KEY=$("$QUARTET" log init --data "$DATA" --tenant wide --open | tail -1)
echo "   key $KEY"
[[ "$KEY" == "$ORIGIN+"* ]] || fail "verifier key name is not the origin: $KEY"

start_server

step "empty log"
verify_log 0

step "size 1, proof of index 0 (empty inclusion proof)"
gen_events one 1 >"$WORK/ev"; append "$WORK/ev"
verify_log 1
"$QUARTET" log proof --data "$DATA" --tenant "$TENANT" --index 0 >"$WORK/proof-0-at-1"
client verify-proof --proof "$WORK/proof-0-at-1" --entry "$(entry 0)" --key "$KEY" --origin "$ORIGIN"

step "size 256: one full level-0 tile, partial level-1 tile of width 1"
gen_events fill256 255 >"$WORK/ev"; append "$WORK/ev"
verify_log 256

step "size 65536: one full level-1 tile, partial level-2 tile of width 1"
gen_events fill65536 65280 >"$WORK/ev"; append "$WORK/ev"
verify_log 65536

step "a 65535-byte entry (uint16 maximum), then small appends to 70,320"
"$PY" -c 'print("{\"big\":\"" + "a" * 65525 + "\"}")' >"$WORK/ev"
[ "$(head -1 "$WORK/ev" | tr -d '\n' | wc -c)" -eq 65535 ] || fail "big entry size"
append "$WORK/ev"
for n in 4463 3 300 17; do
  gen_events "small$n" "$n" >"$WORK/ev"; append "$WORK/ev"
done
SIZE=$(wc -l <"$EXPECTED")
[ "$SIZE" -eq 70320 ] || fail "expected 70320 events, have $SIZE"
verify_log "$SIZE"

step "tlog-proof receipts"
for i in 0 1 255 256 65535 65536 69999 70000 $((SIZE - 1)); do
  "$QUARTET" log proof --data "$DATA" --tenant "$TENANT" --index "$i" >"$WORK/proof-$i"
  client verify-proof --proof "$WORK/proof-$i" --entry "$(entry "$i")" --key "$KEY" \
    --origin "$ORIGIN" | sed 's/^/   /' || fail "verify-proof of index $i"
done

step "a 256,300-entry log: x-prefixed tile paths (tile/0/x001/000, .../x001/001.p/44)"
# Fetching all of it would be slow, so level 0 is spot-checked: every tile of
# levels 1 and 2 is fetched and checked, as are level-0 tiles and bundles 0,
# 999, 1000 (x001/000) and the partial 1001 (x001/001.p/44).
gen_events wide 256300 >"$WORK/wide.jsonl"
"$QUARTET" log append --data "$DATA" --tenant wide <"$WORK/wide.jsonl" | tail -1 \
  | grep -qx 256299 || fail "append to the wide log"
client verify-log --url "$URL/logs/wide" --key "$WIDE_KEY" --expect-size 256300 \
  --entries-file "$WORK/wide.jsonl" --level0-tiles 0,999,1000 2>/dev/null | sed 's/^/   /' \
  || fail "verify-log of the wide log"
"$QUARTET" log proof --data "$DATA" --tenant wide --index 256299 >"$WORK/proof-wide"
client verify-proof --proof "$WORK/proof-wide" --entry "$(tail -1 "$WORK/wide.jsonl")" \
  --key "$WIDE_KEY" | sed 's/^/   /' || fail "verify-proof in the wide log"

step "negative: proofs"
P="$WORK/proof-69999"
expect_reject "proof against another entry" "checkpoint root is" \
  client verify-proof --proof "$P" --entry "$(entry 69998)" --key "$KEY"
expect_reject "one-leaf proof against another entry" "checkpoint root is" \
  client verify-proof --proof "$WORK/proof-0-at-1" --entry "$(entry 1)" --key "$KEY"
sed 's/^index 69999$/index 69997/' "$P" >"$WORK/bad"
expect_reject "proof with another index" "checkpoint root is" \
  client verify-proof --proof "$WORK/bad" --entry "$(entry 69999)" --key "$KEY"
"$PY" - "$P" "$WORK/bad" <<'EOF'
import base64, sys
lines = open(sys.argv[1]).read().split("\n")
h = bytearray(base64.b64decode(lines[2])); h[0] ^= 1
lines[2] = base64.b64encode(bytes(h)).decode()
open(sys.argv[2], "w").write("\n".join(lines))
EOF
expect_reject "proof with a flipped bit in a hash" "checkpoint root is" \
  client verify-proof --proof "$WORK/bad" --entry "$(entry 69999)" --key "$KEY"
sed '3d' "$P" >"$WORK/bad"  # line 3: the first hash (no extra line)
expect_reject "proof with a hash removed" "too short|checkpoint root is" \
  client verify-proof --proof "$WORK/bad" --entry "$(entry 69999)" --key "$KEY"
"$PY" - "$P" "$WORK/bad" <<'EOF'
import sys
s = open(sys.argv[1]).read()
head, sep, note = s.partition("\n\n")
lines = note.split("\n")
lines[1] = str(int(lines[1]) + 1)  # tree size line of the checkpoint
open(sys.argv[2], "w").write(head + sep + "\n".join(lines))
EOF
expect_reject "proof whose checkpoint was altered" "does not verify" \
  client verify-proof --proof "$WORK/bad" --entry "$(entry 69999)" --key "$KEY"
expect_reject "proof checked with another log's key" "no signature from key" \
  client verify-proof --proof "$P" --entry "$(entry 69999)" --key "$OTHER_KEY"

step "negative: wrong keys"
expect_reject "another tenant's key" "no signature from key" \
  client verify-log --url "$URL/logs/$TENANT" --key "$OTHER_KEY"
# Right name and key ID, other public key: the key ID check must catch it.
BAD_KEY="$(cut -d+ -f1-2 <<<"$KEY")+$(cut -d+ -f3- <<<"$OTHER_KEY")"
expect_reject "key ID not matching the public key" "key ID" \
  client verify-log --url "$URL/logs/$TENANT" --key "$BAD_KEY"
# Right name, other public key with its correct key ID: the signature is from
# an unknown key and must be ignored, leaving no verified signature.
IMPOSTOR_KEY=$("$PY" - "$ORIGIN" "$OTHER_KEY" <<'EOF'
import base64, hashlib, sys
name, other = sys.argv[1], sys.argv[2]
raw = base64.b64decode(other.split("+", 2)[2])
print("%s+%s+%s" % (name, hashlib.sha256(name.encode() + b"\n" + raw).hexdigest()[:8],
                    base64.b64encode(raw).decode()))
EOF
)
expect_reject "same name, another public key" "no signature from key" \
  client verify-log --url "$URL/logs/$TENANT" --key "$IMPOSTOR_KEY"
expect_reject "right key, wrong origin" "origin" \
  client verify-log --url "$URL/logs/$TENANT" --key "$KEY" --origin example.com/not-this-log

step "negative: tampering detected by the client itself (static copy, python http.server)"
# Serve a copy of the published files with a server that verifies nothing, so
# that the client, not Quartet, must catch each corruption.
STATIC="$WORK/static"
cp -r "$DATA/logs/$TENANT" "$STATIC"
"$PY" -u -m http.server --bind 127.0.0.1 --directory "$STATIC" 0 \
  >"$WORK/static.out" 2>"$WORK/static.err" &
STATIC_PID=$!
SURL=""
for i in $(seq 100); do
  SURL=$(grep -Eo 'http://127\.0\.0\.1:[0-9]+' "$WORK/static.out" 2>/dev/null | head -1 || true)
  [ -n "$SURL" ] && break
  sleep 0.1
done
[ -n "$SURL" ] || fail "python http.server did not start"
static_verify() {  # spot check: level-0 tiles and bundles 5 and 100, all above
  client verify-log --url "$SURL" --key "$KEY" --origin "$ORIGIN" --no-content-type-check \
    --level0-tiles 5,100 "$@"
}
static_verify --level0-tiles "" >/dev/null 2>&1 || fail "the untouched static copy does not verify"
echo "   untouched copy verifies"
# tamper FILE OFFSET [BYTE]: overwrite one byte (default: flip its low bit).
tamper() {
  cp "$1" "$WORK/backup"
  "$PY" - "$1" "$2" "${3:-}" <<'EOF'
import sys
path, off, byte = sys.argv[1], int(sys.argv[2]), sys.argv[3]
b = bytearray(open(path, "rb").read())
b[off] = int(byte, 0) if byte else b[off] ^ 1
open(path, "wb").write(bytes(b))
EOF
}
restore() { cp "$WORK/backup" "$1"; }
f="$STATIC/tile/entries/005"
tamper "$f" 10; expect_reject "entry bundle byte changed" "hashes to" static_verify; restore "$f"
f="$STATIC/tile/entries/274.p/176"
tamper "$f" 1 0xff; expect_reject "entry bundle length prefix changed" "overruns|entries, want" static_verify; restore "$f"
f="$STATIC/tile/0/100"
tamper "$f" 8000; expect_reject "level-0 tile hash changed" "hashes to|root of full tile" static_verify; restore "$f"
f="$STATIC/tile/1/000"
tamper "$f" 40; expect_reject "level-1 tile hash changed" "root of full tile" static_verify; restore "$f"
f="$STATIC/tile/2/000.p/1"
tamper "$f" 0; expect_reject "level-2 partial tile hash changed" "root of full tile|root computed from the tiles" static_verify; restore "$f"
f="$STATIC/tile/1/001.p/18"
cp "$f" "$WORK/backup"; head -c 544 "$WORK/backup" >"$f"
expect_reject "level-1 partial tile truncated" "bytes, want" static_verify; restore "$f"
f="$STATIC/checkpoint"
cp "$f" "$WORK/backup"
sed -i '2s/.*/70319/' "$f"
expect_reject "checkpoint size changed" "does not verify" static_verify; restore "$f"
static_verify >/dev/null 2>&1 || fail "the restored static copy does not verify"
stop_pid "$STATIC_PID" || true
STATIC_PID=""

step "negative: files corrupted on Quartet's disk"
# Quartet checks the right edge of each log when it starts (and rebuilds the
# tiles if it does not match) and every other tile and bundle when it first
# serves it; corruption away from the right edge must therefore surface as an
# error the client reports, never as data it accepts. Each case restarts the
# server so that nothing is served from its memory cache.
for f in tile/entries/005 tile/0/100; do
  stop_server
  f="$DATA/logs/$TENANT/$f"
  [ -f "$f" ] || fail "missing $f"
  tamper "$f" 10
  start_server
  expect_reject "corrupted ${f#"$DATA/logs/$TENANT/"} served by quartet" \
    "HTTP 5[0-9][0-9]|hashes to|root of full tile" \
    client verify-log --url "$URL/logs/$TENANT" --key "$KEY"
  restore "$f"
done
stop_server
start_server
verify_log "$SIZE"

step "a client's log, read with the read token its owner made"
"$QUARTET" admin --data "$DATA" client add --tenant acme --name "Acme Ltd" >/dev/null
"$QUARTET" admin --data "$DATA" user add --name olga --role owner --client acme >/dev/null
OWNER_TOKEN=$("$QUARTET" admin --data "$DATA" token create --user olga | head -1)
ACME_KEY=$("$QUARTET" log key --data "$DATA" --tenant acme | tail -1)
READ_TOKEN=$("$QUARTET" --server "$URL" --token "$OWNER_TOKEN" log token create --client acme \
  --name interop --expires 1d 2>/dev/null | head -1)
[[ "$READ_TOKEN" == ql_* ]] || fail "no read token: $READ_TOKEN"
for i in $(seq 100); do
  client verify-log --url "$URL/logs/acme" --key "$ACME_KEY" --token "$READ_TOKEN" >/dev/null 2>&1 \
    && break
  sleep 0.1
done
client verify-log --url "$URL/logs/acme" --key "$ACME_KEY" --token "$READ_TOKEN" | sed 's/^/   /' \
  || fail "verify-log of a client's log with its read token"
expect_reject "a client's log without a credential" "HTTP 401" \
  client verify-log --url "$URL/logs/acme" --key "$ACME_KEY"
expect_reject "an unknown log without a credential, as a real one" "HTTP 401" \
  client verify-log --url "$URL/logs/nobody" --key "$ACME_KEY"
expect_reject "an unknown log with a credential, as one it may not read" "HTTP 404" \
  client verify-log --url "$URL/logs/nobody" --key "$ACME_KEY" --token "$READ_TOKEN"
TOKEN_ID=$("$QUARTET" --server "$URL" --token "$OWNER_TOKEN" --json log token list --client acme \
  | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["tokens"][0]["id"])')
"$QUARTET" --server "$URL" --token "$OWNER_TOKEN" log token revoke --client acme "$TOKEN_ID" >/dev/null
expect_reject "a revoked read token" "HTTP 401" \
  client verify-log --url "$URL/logs/acme" --key "$ACME_KEY" --token "$READ_TOKEN"
stop_server

echo "interop: PASS in ${SECONDS}s"
