#!/usr/bin/env bash
# examples/mnist_flow.sh - two-party private inference with the clave CLI.
#
# A model owner (modelco) registers a compiled model as a private function
# shared with a data owner (alice); alice encrypts an image with her own
# key, registers it and creates the task; both approve; alice invokes it
# and reads the predicted class.  The same flow as mnist_flow.py, one CLI
# command per step.
#
#   examples/mnist_flow.sh MODEL.wasm IMAGE [INPUT_NAME] [KEY=VALUE...]
#
# Environment: CLAVE (the binary, default build/bin/clave).  With
# CLAVE_SERVER, CLAVE_FINGERPRINT and CLAVE_ADMIN_PASSWORD set it uses that
# server; otherwise it starts `clave serve` in a temporary folder and stops
# it at the end.  INPUT_NAME (default "image") is the function's input
# name; KEY=VALUE pairs become the task's arguments.
set -euo pipefail
cd "$(dirname "$0")/.."
CLAVE=${CLAVE:-$PWD/build/bin/clave}
MODEL=${1:?usage: mnist_flow.sh MODEL.wasm IMAGE [INPUT_NAME] [KEY=VALUE...]}
IMAGE=${2:?usage: mnist_flow.sh MODEL.wasm IMAGE [INPUT_NAME] [KEY=VALUE...]}
INPUT=${3:-image}
shift $(($# < 3 ? $# : 3))

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
export CLAVE_CONFIG_DIR=$WORK/config   # credentials of this run only

step() { printf '\n\033[1m%s\033[0m\n' "$*"; }
run() { printf '  $ clave %s\n' "$*" >&2; "$CLAVE" "$@"; }

if [ -z "${CLAVE_SERVER:-}" ]; then
  step "Starting clave serve in a temporary data folder"
  export CLAVE_ADMIN_PASSWORD=${CLAVE_ADMIN_PASSWORD:-Demo-admin-2024}
  "$CLAVE" serve --data "$WORK/data" --listen 127.0.0.1:0 --quiet \
    >"$WORK/serve.out" &
  SERVER_PID=$!
  for _ in $(seq 600); do
    grep -q fingerprint "$WORK/serve.out" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "clave serve failed" >&2; exit 1; }
    sleep 0.05
  done
  CLAVE_SERVER=$(awk '/serving/ {print $3}' "$WORK/serve.out")
  CLAVE_FINGERPRINT=$(awk '/fingerprint/ {print $5}' "$WORK/serve.out")
  export CLAVE_SERVER CLAVE_FINGERPRINT
  echo "  $CLAVE_SERVER"
fi
: "${CLAVE_ADMIN_PASSWORD:?set CLAVE_ADMIN_PASSWORD for this server}"

step "0. The operator registers the two parties"
CLAVE_PASSWORD=$CLAVE_ADMIN_PASSWORD run login admin --profile admin
CLAVE_NEW_PASSWORD=Model-owner-1 run user register modelco \
  --role FunctionOwner --profile admin >/dev/null
CLAVE_NEW_PASSWORD=Data-owner-1 run user register alice \
  --role DataOwner --profile admin >/dev/null
CLAVE_PASSWORD=Model-owner-1 run login modelco --profile modelco
CLAVE_PASSWORD=Data-owner-1 run login alice --profile alice

step "1. modelco registers the model, shared with alice only"
ARGS=()
for kv in "$@"; do ARGS+=(--arg "${kv%%=*}=${kv#*=}"); done
FUNCTION=$(run function register --profile modelco --name fashion-mnist \
  --payload "$MODEL" --private --allow alice --input "$INPUT" \
  ${ARGS[@]+"${ARGS[@]}"})
echo "  $FUNCTION"

step "2. alice encrypts her image with her own key and registers it"
run encrypt "$IMAGE" "$WORK/image.enc" --key-file "$WORK/alice.key" \
  --schema aes-gcm-128
INPUT_ID=$(run file register-input "$WORK/image.enc" \
  --key-file "$WORK/alice.key" --profile alice)
echo "  $INPUT_ID"

step "3. alice creates the task, assigns her image and approves"
TASK_ARGS=()
for kv in "$@"; do TASK_ARGS+=(--arg "$kv"); done
TASK=$(run task create --profile alice --function "$FUNCTION" \
  --input-owner "$INPUT=alice" ${TASK_ARGS[@]+"${TASK_ARGS[@]}"})
echo "  $TASK"
run task assign "$TASK" --input "$INPUT=$INPUT_ID" --profile alice
run task approve "$TASK" --profile alice

step "4. modelco approves"
run task approve "$TASK" --profile modelco

step "5. alice invokes the task and waits for the result"
run task invoke "$TASK" --profile alice
CLASS=$(run task result "$TASK" --profile alice)
echo "  predicted class: $CLASS"
