#!/usr/bin/env bash
# test_cli.sh - the platform through the command line: a real server
# (`serve` on loopback, HTTPS, fingerprint pinned) and the client
# subcommands, two parties, an encrypted input and output, the result and
# the decrypted output; then the errors a user meets (wrong password,
# non-participant, tampered input, wrong key), each with its message.
#
#   test_cli.sh CLAVE_BINARY WAT2WASM
set -euo pipefail
CLAVE=$1
WAT2WASM=$2
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
export CLAVE_CONFIG_DIR=$WORK/config
PASS=0
FAIL=0

check() { # check NAME GOT WANT
  if [ "$2" == "$3" ]; then
    PASS=$((PASS + 1))
  else
    FAIL=$((FAIL + 1))
    printf 'FAIL %s\n  got:  %s\n  want: %s\n' "$1" "$2" "$3"
  fi
}
# fails NAME WANT_STDERR CMD...: the command must fail with this message
fails() {
  local name=$1 want=$2
  shift 2
  local err
  if err=$("$@" 2>&1 >/dev/null); then
    FAIL=$((FAIL + 1))
    printf 'FAIL %s: succeeded\n' "$name"
  else
    check "$name" "$(printf '%s' "$err" | head -1)" "$want"
  fi
}

"$WAT2WASM" "$HERE/payloads/echo.wat" -o "$WORK/echo.wasm"
for c in serve login user function file task audit encrypt decrypt; do
  check "$c --help" "$("$CLAVE" "$c" --help | head -1 | cut -c1-13)" "usage: clave "
done

CLAVE_ADMIN_PASSWORD=Admin-pass-123 "$CLAVE" serve --data "$WORK/data" \
  --listen 127.0.0.1:0 --quiet >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER_PID=$!
for _ in $(seq 1200); do
  grep -q fingerprint "$WORK/serve.out" 2>/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/serve.err"; exit 1; }
  sleep 0.05
done
export CLAVE_SERVER=$(awk '/serving/ {print $3}' "$WORK/serve.out")
FP=$(awk '/fingerprint/ {print $5}' "$WORK/serve.out")
check "fingerprint printed" "${#FP}" 95

fails "login needs the fingerprint" \
  "error: login: give the server's certificate fingerprint (as clave serve prints it) or a CA file" \
  env CLAVE_PASSWORD=x "$CLAVE" login admin
fails "wrong fingerprint" \
  "error: login: server certificate fingerprint mismatch (got $(echo "$FP" | tr -d : | tr A-F a-f))" \
  env CLAVE_PASSWORD=x "$CLAVE" login admin --fingerprint "00:11"
fails "wrong password" "error: login: wrong user id or password (HTTP 401)" \
  env CLAVE_PASSWORD=wrong-pass-1 "$CLAVE" login admin --fingerprint "$FP"
export CLAVE_FINGERPRINT=$FP
fails "not logged in" "error: user me: not logged in (run clave login first)" \
  "$CLAVE" user me

CLAVE_PASSWORD=Admin-pass-123 "$CLAVE" login admin --profile admin 2>/dev/null
check "credentials mode" "$(stat -c %a "$CLAVE_CONFIG_DIR/credentials.json")" 600
CLAVE_NEW_PASSWORD=Model-owner-1 "$CLAVE" user register modelco \
  --role FunctionOwner --profile admin >/dev/null
CLAVE_NEW_PASSWORD=Data-owner-1 "$CLAVE" user register alice --profile admin \
  >/dev/null
CLAVE_NEW_PASSWORD=Other-user-1 "$CLAVE" user register eve --profile admin \
  >/dev/null
CLAVE_PASSWORD=Model-owner-1 "$CLAVE" login modelco --profile modelco 2>/dev/null
CLAVE_PASSWORD=Data-owner-1 "$CLAVE" login alice --profile alice 2>/dev/null
CLAVE_PASSWORD=Other-user-1 "$CLAVE" login eve --profile eve 2>/dev/null
check "user me" "$("$CLAVE" user me --profile alice | tr -d ' \n')" \
  '{"attribute":"","id":"alice","role":"DataOwner"}'
fails "role" "error: user register: role DataOwner may not register users (HTTP 403)" \
  env CLAVE_NEW_PASSWORD=Passw0rd-x1 "$CLAVE" user register x1 --profile alice

FN=$("$CLAVE" function register --profile modelco --name echo \
  --payload "$WORK/echo.wasm" --private --allow alice --arg n=1 \
  --input in --output out)
check "function id" "${FN%%-*}" function
check "function allowlist" \
  "$("$CLAVE" function get "$FN" --profile alice | grep -c '"alice"')" 1

printf 'secret image bytes' >"$WORK/plain"
"$CLAVE" encrypt "$WORK/plain" "$WORK/in.enc" --key-file "$WORK/in.key"
check "key file mode" "$(stat -c %a "$WORK/in.key")" 600
"$CLAVE" decrypt "$WORK/in.enc" "$WORK/back" --key-file "$WORK/in.key"
check "encrypt/decrypt" "$(cat "$WORK/back")" "secret image bytes"
IN=$("$CLAVE" file register-input "$WORK/in.enc" --key-file "$WORK/in.key" \
  --profile alice)
OUT=$("$CLAVE" file register-output --key-file "$WORK/out.key" \
  --schema aes-gcm-256 --profile alice)
TASK=$("$CLAVE" task create --profile alice --function "$FN" --arg n=7 \
  --input-owner in=alice --output-owner out=alice)
check "assign" "$("$CLAVE" task assign "$TASK" --input "in=$IN" \
  --output "out=$OUT" --profile alice)" DataAssigned
fails "non-participant" \
  "error: task approve: you are not a participant of task $TASK (HTTP 403)" \
  "$CLAVE" task approve "$TASK" --profile eve
check "approve 1" "$("$CLAVE" task approve "$TASK" --profile alice)" DataAssigned
fails "invoke early" \
  "error: task invoke: task $TASK is DataAssigned: every participant must approve first (waiting for: modelco) (HTTP 409)" \
  "$CLAVE" task invoke "$TASK" --profile alice
check "approve 2" "$("$CLAVE" task approve "$TASK" --profile modelco)" Approved
check "invoke" "$("$CLAVE" task invoke "$TASK" --profile alice)" Staged
check "result" "$("$CLAVE" task result "$TASK" --profile alice)" 2018
"$CLAVE" file download "$OUT" "$WORK/out.plain" --key-file "$WORK/out.key" \
  --profile alice
check "output decrypted" "$(cat "$WORK/out.plain")" "secret image bytes"
fails "output of another" \
  "error: file download: file $OUT belongs to other users (HTTP 403)" \
  "$CLAVE" file download "$OUT" "$WORK/x" --profile modelco
fails "decrypt with the wrong key" \
  "error: decrypt: $WORK/in.enc: authentication tag mismatch" \
  "$CLAVE" decrypt "$WORK/in.enc" "$WORK/x" --key-file "$WORK/out.key"

# a ciphertext changed after encryption (tag kept) fails its task
"$CLAVE" encrypt "$WORK/plain" "$WORK/bad.enc" --key-file "$WORK/bad.key"
# (flip a bit: writing a fixed byte would change nothing one time in 256)
byte=$(od -An -tu1 -j2 -N1 "$WORK/bad.enc" | tr -d ' ')
printf "\\x$(printf %02x $((byte ^ 1)))" |
  dd of="$WORK/bad.enc" bs=1 seek=2 conv=notrunc status=none
BAD=$("$CLAVE" file register-input "$WORK/bad.enc" --key-file "$WORK/bad.key" \
  --profile alice)
OUT2=$("$CLAVE" file register-output --key-file "$WORK/out2.key" --profile alice)
T2=$("$CLAVE" task create --profile alice --function "$FN" \
  --input-owner in=alice --output-owner out=alice)
"$CLAVE" task assign "$T2" --input "in=$BAD" --output "out=$OUT2" \
  --profile alice >/dev/null
"$CLAVE" task approve "$T2" --profile alice >/dev/null
"$CLAVE" task approve "$T2" --profile modelco >/dev/null
"$CLAVE" task invoke "$T2" --profile alice >/dev/null
fails "tampered input" \
  "error: task result: task Failed: input 'in': authentication tag mismatch" \
  "$CLAVE" task result "$T2" --profile alice

check "audit" "$("$CLAVE" audit --profile admin --action invoke_task --limit 1 \
  | awk '{print $2, $3, $5}')" "alice invoke_task ok"
fails "audit by a non-admin" \
  "error: audit: only a PlatformAdmin may read the audit log (HTTP 403)" \
  "$CLAVE" audit --profile alice

kill -TERM "$SERVER_PID"
wait "$SERVER_PID"
check "server exit status" "$?" 0
SERVER_PID=
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
