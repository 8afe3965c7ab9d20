#!/usr/bin/env bash
# run_fashion_mnist.sh - the committed Fashion-MNIST model, compiled by the
# `clave` CLI, over Debian's dataset-fashion-mnist test set.
#
#   run_fashion_mnist.sh CLAVE TEST_BINARY WORKDIR CACHE [--count N]
#
# Compiles models/fashion_mnist/model.onnx to a wasm32 payload and to a
# native shared object with `clave compile`, unpacks the t10k idx files
# into WORKDIR and runs TEST_BINARY (test_fashion_mnist.c) over them.
# Then writes a test image as a PNG with tools/fashion_image.py and checks
# that `clave infer --top 3` prints three classes, the first the class
# `clave exec` returns for the same PNG.  Skips (exit 0, with a message)
# when the dataset is not installed.
set -euo pipefail
CLAVE=$1 TEST=$2 WORK=$3 CACHE=$4
shift 4
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MODEL=$ROOT/models/fashion_mnist
DATA=/usr/share/datasets/fashion-mnist
if [ ! -f "$DATA/t10k-images-idx3-ubyte.gz" ]; then
  echo "skipped: $DATA not found (Debian package dataset-fashion-mnist)"
  exit 0
fi
mkdir -p "$WORK"
rm -f "$WORK"/fm.wasm "$WORK"/fm.so "$WORK"/fm-*.png

"$CLAVE" compile "$MODEL/model.onnx" -o "$WORK/fm.wasm" \
  --image 28x28,gray,scale=1/255 --cache-dir "$CACHE"
"$CLAVE" compile "$MODEL/model.onnx" -o "$WORK/fm.so" --target native \
  --image 28x28,gray,scale=1/255 --cache-dir "$CACHE"
gzip -dc "$DATA/t10k-images-idx3-ubyte.gz" >"$WORK/t10k-images.idx"
gzip -dc "$DATA/t10k-labels-idx1-ubyte.gz" >"$WORK/t10k-labels.idx"

"$TEST" "$WORK/fm.wasm" "$WORK/fm.so" "$WORK/t10k-images.idx" \
  "$WORK/t10k-labels.idx" "$MODEL/README.md" "$@"

# `clave infer` and `clave exec` on a PNG of a test image
fail=0
for index in 0 42; do
  /usr/bin/python3 "$ROOT/tools/fashion_image.py" "$index" -o "$WORK/fm-$index.png" >/dev/null
  cls=$("$CLAVE" exec "$WORK/fm.wasm" --arg input_img=input_img \
    --input input_img="$WORK/fm-$index.png")
  out=$("$CLAVE" infer "$WORK/fm.wasm" --input image="$WORK/fm-$index.png" --top 3)
  printf '%s\n' "$out"
  lines=$(grep -c '^  class [0-9]' <<<"$out" || true)
  first=$(awk '/^  class / {print $2; exit}' <<<"$out")
  if [ "$lines" != 3 ] || [ "$first" != "$cls" ]; then
    echo "image $index: clave infer --top 3 printed $lines classes, first '$first';" \
      "clave exec returned '$cls'" >&2
    fail=1
  fi
done
[ "$fail" = 0 ] && echo "clave infer: top 3 printed, top class agrees with clave exec"

# --output-dir writes the logits as an ONNX TensorProto
rm -rf "$WORK/infer-out"
"$CLAVE" infer "$WORK/fm.wasm" --input image="$WORK/fm-0.png" --top 1 \
  --output-dir "$WORK/infer-out" >/dev/null
size=$(stat -c %s "$WORK/infer-out/output_0.pb" 2>/dev/null || echo 0)
if [ "$size" -lt 40 ]; then
  echo "clave infer --output-dir: output_0.pb has $size bytes" >&2
  fail=1
fi

# bad input to clave infer: a clear error and exit status, never a crash
head -c 100 "$WORK/fm-0.png" >"$WORK/fm-cut.png"
expect_error() { # WANT_STATUS WANT_STDERR ARGS...
  local want_status=$1 want=$2 got status=0
  shift 2
  got=$("$CLAVE" infer "$@" 2>&1 >/dev/null) || status=$?
  if [ "$status" != "$want_status" ] || ! grep -qF -- "$want" <<<"$got"; then
    echo "clave infer $*: status $status, stderr: $got" >&2
    echo "  expected status $want_status and: $want" >&2
    fail=1
  fi
}
W=$WORK/fm.wasm P=image=$WORK/fm-0.png
expect_error 2 "clave infer: --top 0: expected a positive number of classes" "$W" --input "$P" --top 0
expect_error 2 "clave infer: --top three: expected a positive number of classes" "$W" --input "$P" --top three
expect_error 2 "clave infer: --top needs a value" "$W" --input "$P" --top
expect_error 2 "clave infer: --input fm.png: expected NAME=FILE" "$W" --input fm.png
expect_error 2 "usage: clave infer MODEL.wasm --input NAME=FILE" "$W"
expect_error 1 "clave infer: cannot open $WORK/none.png: No such file or directory" "$W" --input image="$WORK/none.png"
expect_error 1 "clave infer: the model returned -2" "$W" --input image="$WORK/fm-cut.png"
expect_error 1 "clave model: input 'image' (image): PNG:" "$W" --input image="$WORK/fm-cut.png"
[ "$fail" = 0 ] && echo "clave infer: --output-dir and bad input checked"

# the image tool refuses an index beyond the test set
got=$(/usr/bin/python3 "$ROOT/tools/fashion_image.py" 10000 -o "$WORK/x.png" 2>&1) && fail=1
want="fashion_image: index 10000: $DATA/t10k-images-idx3-ubyte.gz holds images 0 to 9999"
if [ "$got" != "$want" ]; then
  echo "tools/fashion_image.py 10000: '$got', expected '$want'" >&2
  fail=1
fi
exit "$fail"
