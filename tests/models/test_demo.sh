#!/usr/bin/env bash
# test_demo.sh - `make demo`'s script must keep working: run scripts/demo
# on this build and check that every step passed, that the platform's
# answer for test image 0 is the class `clave exec` computes locally for
# the same PNG, and that the true label is printed beside it.
#
#   test_demo.sh BUILD_DIR
set -euo pipefail
BUILD=$(cd "$1" && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CLAVE=$BUILD/bin/clave
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
LABELS=("T-shirt/top" "Trouser" "Pullover" "Dress" "Coat" "Sandal" "Shirt"
        "Sneaker" "Bag" "Ankle boot")

status=0
CLAVE=$CLAVE "$ROOT/scripts/demo" --build-dir "$BUILD" --index 0 \
  --cache-dir "$BUILD/kernel-cache" >"$WORK/demo.txt" 2>&1 || status=$?
cat "$WORK/demo.txt"

# the same image and model, run locally
"$CLAVE" compile "$ROOT/models/fashion_mnist/model.onnx" -o "$WORK/fm.wasm" \
  --image 28x28,gray,scale=1/255 --cache-dir "$BUILD/kernel-cache" >/dev/null
/usr/bin/python3 "$ROOT/tools/fashion_image.py" 0 -o "$WORK/fm-0.png" >/dev/null
want=$("$CLAVE" exec "$WORK/fm.wasm" --arg input_img=input_img \
  --input input_img="$WORK/fm-0.png")

fail=0
check() {
  if ! grep -qF -- "$1" "$WORK/demo.txt"; then
    echo "test_demo: the demo's output lacks '$1'" >&2
    fail=1
  fi
}
[ "$status" = 0 ] || { echo "test_demo: scripts/demo exited with $status" >&2; fail=1; }
check "result: 1 (1: the first bidder wins)"
check "trap: fuel exhausted"
check "its true class: 9 (Ankle boot)"
check "DataAssigned"
check "Approved"
check "predicted class: $want (${LABELS[$want]:-?})"
check "true class:      9 (Ankle boot)"
check "Done: the server stopped"
if [ "$fail" = 0 ]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
exit "$fail"
