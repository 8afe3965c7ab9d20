#!/usr/bin/env bash
# test_mnist_flow.sh - the seed's MNIST flow through the platform: compile
# mnist-8 with `clave compile`, then examples/mnist_flow.py starts
# `clave serve`, registers the model as modelco, alice's encrypted
# img_10.jpg as her input, both approve, and the task must predict 3.
#
#   test_mnist_flow.sh CLAVE_BINARY SHARED_DIR
set -euo pipefail
CLAVE=$1
MODEL_DIR=$2/models/mnist-8
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if [ ! -f "$MODEL_DIR/model.onnx" ] || [ ! -f "$MODEL_DIR/img_10.jpg" ]; then
  echo "skipped: $MODEL_DIR not found"
  exit 0
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$CLAVE" compile "$MODEL_DIR/model.onnx" -o "$WORK/mnist.wasm" \
  --image 28x28,gray,scale=1/255 --cache-dir "$WORK/cache" >/dev/null
out=$(/usr/bin/python3 "$ROOT/examples/mnist_flow.py" --start "$CLAVE" \
  --payload "$WORK/mnist.wasm" --image "$MODEL_DIR/img_10.jpg" \
  --input-name input_img --arg input_img=input_img --labels digits 2>&1)
if grep -q "predicted class: 3 (3)" <<<"$out"; then
  echo "1 passed, 0 failed"
else
  printf '%s\n' "$out"
  echo "0 passed, 1 failed"
  exit 1
fi
