#!/usr/bin/env bash
# cli_test.sh - `clave exec`, `clave wasm run|validate|info` end to end.
#
#   cli_test.sh CLAVE PAYLOAD_DIR
#
# Runs the example payloads and the test payloads (built by CMake into
# PAYLOAD_DIR) through the clave binary and compares stdout, stderr and the
# exit status exactly.  Exit 77 (skipped) when PAYLOAD_DIR is empty, i.e.
# clang-19 was not found.
set -u
CLAVE=${1:?usage: cli_test.sh CLAVE PAYLOAD_DIR}
P=${2:-}
if [ -z "$P" ]; then
  echo "skipped: clang-19, wasm-ld or wasi-libc not found, so the payloads were not built"
  exit 77
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0
count=0

# check NAME STATUS STDOUT STDERR -- COMMAND...
# STDERR "*" means "do not compare".
check() {
  local name=$1 want_status=$2 want_out=$3 want_err=$4
  shift 5
  count=$((count + 1))
  "$@" >"$TMP/out" 2>"$TMP/err"
  local status=$?
  local out err
  out=$(cat "$TMP/out"; echo x)
  out=${out%x}
  err=$(cat "$TMP/err"; echo x)
  err=${err%x}
  if [ "$status" != "$want_status" ] || [ "$out" != "$want_out" ] ||
     { [ "$want_err" != "*" ] && [ "$err" != "$want_err" ]; }; then
    fails=$((fails + 1))
    echo "FAILED: $name"
    echo "  command: $*"
    echo "  status: $status (want $want_status)"
    printf '  stdout: %q\n  want:   %q\n' "$out" "$want_out"
    printf '  stderr: %q\n  want:   %q\n' "$err" "$want_err"
  fi
}

nl=$'\n'

# ---- clave exec: the Teaclave-style auction (two inputs, one output) ----
printf 'alice 120\n' >"$TMP/a.txt"
printf 'bob 100\n' >"$TMP/b.txt"
check "auction: first bidder wins" 0 "1$nl" "" -- \
  "$CLAVE" exec "$P/auction.wasm" --input bid_a="$TMP/a.txt" \
  --input bid_b="$TMP/b.txt" --output result="$TMP/result.txt"
check "auction: the output names winner and price" 0 \
  "alice wins and pays 100$nl" "" -- cat "$TMP/result.txt"
check "auction: reserve price, options in any order" 0 "2$nl" "" -- \
  "$CLAVE" exec --input bid_a="$TMP/b.txt" --arg reserve=110 \
  "$P/auction.wasm" --input bid_b="$TMP/a.txt" --output result="$TMP/r2.txt"
check "auction: reserve is the price" 0 "alice wins and pays 110$nl" "" -- \
  cat "$TMP/r2.txt"
check "auction: no sale" 0 "0$nl" "" -- \
  "$CLAVE" exec "$P/auction.wasm" --args-json '{"reserve": "500"}' \
  --input bid_a="$TMP/a.txt" --input bid_b="$TMP/b.txt" \
  --output result="$TMP/r3.txt"
check "auction: input names passed as arguments" 0 "1$nl" "" -- \
  "$CLAVE" exec "$P/auction.wasm" --arg bid_a=x --arg bid_b=y --arg result=z \
  --input x="$TMP/a.txt" --input y="$TMP/b.txt" --output z="$TMP/r4.txt"
check "auction: a missing input is the payload's -1" 0 "-1$nl" "" -- \
  "$CLAVE" exec "$P/auction.wasm" --input bid_a="$TMP/a.txt"
printf 'carol lots\n' >"$TMP/bad.txt"
check "auction: a malformed bid" 0 "-2$nl" "" -- \
  "$CLAVE" exec "$P/auction.wasm" --input bid_a="$TMP/a.txt" \
  --input bid_b="$TMP/bad.txt"

# ---- clave exec: wordcount, stats (wasi-libc, log on stderr) ----
printf 'one two  three\nfour\n\nfive six\n' >"$TMP/text.txt"
check "wordcount" 0 "6$nl" "" -- \
  "$CLAVE" exec "$P/wordcount.wasm" --input text="$TMP/text.txt" \
  --output counts="$TMP/counts.txt"
check "wordcount: output" 0 "lines 4${nl}words 6${nl}bytes 30$nl" "" -- \
  cat "$TMP/counts.txt"
check "wordcount: an output the payload did not create" 0 "-1$nl" \
  "note: the payload did not create output 'counts'; $TMP/c2.txt not written$nl" -- \
  "$CLAVE" exec "$P/wordcount.wasm" --arg input=nothing \
  --output counts="$TMP/c2.txt"
check "wordcount: no file written for it" 1 "" "*" -- test -e "$TMP/c2.txt"
check "stats as a function" 0 "7$nl" \
  "a = 3${nl}b = 4${nl}c = 'x' (not a number, skipped)${nl}count 2${nl}sum 7${nl}mean 3.5${nl}min 3${nl}max 4$nl" -- \
  "$CLAVE" exec "$P/stats.wasm" --arg b=4 --arg a=3 --arg c=x
check "stats: non-string JSON values arrive as JSON text" 0 "5$nl" \
  "m = 2.5${nl}n = 2.5${nl}count 2${nl}sum 5${nl}mean 2.5${nl}min 2.5${nl}max 2.5$nl" -- \
  "$CLAVE" exec "$P/stats.wasm" --args-json '{"n": 2.5, "m": "2.5"}'

# ---- clave exec: traps, limits and errors ----
check "exec: a trap" 1 "" "trap: unreachable$nl" -- \
  "$CLAVE" exec "$P/payload_hostapi.wasm" --arg case=trap
check "exec: fuel" 1 "" "trap: fuel exhausted$nl" -- \
  "$CLAVE" exec "$P/payload_hostapi.wasm" --arg case=loop --fuel 100000
check "exec: timeout" 1 "" "trap: deadline passed$nl" -- \
  "$CLAVE" exec "$P/payload_hostapi.wasm" --arg case=loop --timeout 0.2
check "exec: memory limit" 0 "-1$nl" "" -- \
  "$CLAVE" exec "$P/payload_hostapi.wasm" --args-json '{"case":"grow","pages":"100"}' \
  --max-memory 4
check "exec: proc_exit code is the result" 0 "7$nl" "" -- \
  "$CLAVE" exec "$P/payload_hostapi.wasm" --arg case=exit
check "exec: no such payload" 1 "" \
  "error: $TMP/nope.wasm: No such file or directory$nl" -- \
  "$CLAVE" exec "$TMP/nope.wasm"
printf 'not wasm' >"$TMP/junk.wasm"
check "exec: not a module" 1 "" "*" -- "$CLAVE" exec "$TMP/junk.wasm"
check "exec: no such input file" 1 "" \
  "error: input 'bid_a': $TMP/none.txt: No such file or directory$nl" -- \
  "$CLAVE" exec "$P/auction.wasm" --input bid_a="$TMP/none.txt"
check "exec: a command is not a function" 1 "" \
  "error: $P/payload_command.wasm: the payload does not export 'entrypoint' (int entrypoint(int argc, char **argv))$nl" -- \
  "$CLAVE" exec "$P/payload_command.wasm"
check "exec: arguments must be an object" 1 "" \
  "error: --args-json: arguments must be a JSON object$nl" -- \
  "$CLAVE" exec "$P/stats.wasm" --args-json '[1]'
check "exec: bad --arg" 1 "" \
  "error: --arg: 'novalue' is not KEY=VALUE${nl}Try 'clave help exec'.$nl" -- \
  "$CLAVE" exec "$P/stats.wasm" --arg novalue
check "exec: bad --fuel" 1 "" \
  "error: --fuel: 'lots' is not a positive integer${nl}Try 'clave help exec'.$nl" -- \
  "$CLAVE" exec "$P/stats.wasm" --fuel lots
check "exec: unknown option" 1 "" \
  "error: unknown option '--bogus'${nl}Try 'clave help exec'.$nl" -- \
  "$CLAVE" exec "$P/stats.wasm" --bogus
check "exec: input bound twice" 1 "" \
  "error: --input: 'x' is bound twice${nl}Try 'clave help exec'.$nl" -- \
  "$CLAVE" exec "$P/stats.wasm" --input x=a --input x=b
check "exec: no payload" 1 "" \
  "error: no payload given${nl}Try 'clave help exec'.$nl" -- "$CLAVE" exec

# ---- clave exec: the interpreter and the AOT tier agree ----
# Each example payload (and the traps and limits of the test payload) in
# both tiers: exit status, stdout, stderr and the output file must be the
# same bytes.  Skipped, with a note, when the AOT tier cannot run here (no
# C compiler).
# same_tiers NAME OUTPUT_FILE_OR_- EXEC_ARGS...
same_tiers() {
  local name=$1 outfile=$2
  shift 2
  count=$((count + 1))
  local t
  for t in interp aot; do
    [ "$outfile" = - ] || rm -f "$outfile"
    "$CLAVE" exec --engine "$t" --aot-cache "$TMP/aot-cache" "$@" \
      >"$TMP/$t.out" 2>"$TMP/$t.err"
    echo "status $?" >>"$TMP/$t.out"
    if [ "$outfile" != - ]; then
      if [ -e "$outfile" ]; then cat "$outfile" >>"$TMP/$t.out"; else echo "(no output file)" >>"$TMP/$t.out"; fi
    fi
  done
  if ! cmp -s "$TMP/interp.out" "$TMP/aot.out" || ! cmp -s "$TMP/interp.err" "$TMP/aot.err"; then
    fails=$((fails + 1))
    echo "FAILED: interp and aot differ: $name"
    echo "  command: clave exec --engine interp|aot $*"
    diff "$TMP/interp.out" "$TMP/aot.out" | sed 's/^/  /'
    diff "$TMP/interp.err" "$TMP/aot.err" | sed 's/^/  /'
  fi
}
if "$CLAVE" exec --engine aot --aot-cache "$TMP/aot-cache" "$P/stats.wasm" \
  --arg a=1 >/dev/null 2>"$TMP/aot-probe.err"; then
  same_tiers "auction" "$TMP/t-r.txt" "$P/auction.wasm" \
    --input bid_a="$TMP/a.txt" --input bid_b="$TMP/b.txt" --output result="$TMP/t-r.txt"
  same_tiers "auction: reserve" "$TMP/t-r.txt" "$P/auction.wasm" \
    --args-json '{"reserve": "110"}' --input bid_a="$TMP/a.txt" \
    --input bid_b="$TMP/b.txt" --output result="$TMP/t-r.txt"
  same_tiers "auction: a malformed bid" - "$P/auction.wasm" \
    --input bid_a="$TMP/a.txt" --input bid_b="$TMP/text.txt"
  same_tiers "wordcount" "$TMP/t-c.txt" "$P/wordcount.wasm" \
    --input text="$TMP/text.txt" --output counts="$TMP/t-c.txt"
  same_tiers "stats" - "$P/stats.wasm" --arg b=4 --arg a=3 --arg c=x
  same_tiers "stats: JSON values" - "$P/stats.wasm" --args-json '{"n": 2.5, "m": "1e300"}'
  same_tiers "a trap" - "$P/payload_hostapi.wasm" --arg case=trap
  same_tiers "fuel" - "$P/payload_hostapi.wasm" --arg case=loop --fuel 100000
  same_tiers "memory limit" - "$P/payload_hostapi.wasm" \
    --args-json '{"case":"grow","pages":"100"}' --max-memory 4
  same_tiers "proc_exit" - "$P/payload_hostapi.wasm" --arg case=exit
else
  echo "note: the AOT tier cannot run here, tiers not compared: $(head -1 "$TMP/aot-probe.err")"
fi

# ---- clave wasm run ----
check "run: argv" 0 \
  "argc=4${nl}argv[0]=$P/payload_command.wasm${nl}argv[1]=args${nl}argv[2]=--fuel${nl}argv[3]=a b$nl" "" -- \
  "$CLAVE" wasm run "$P/payload_command.wasm" args --fuel "a b"
check "run: exit code and both streams" 3 "to stdout$nl" "to stderr$nl" -- \
  "$CLAVE" wasm run "$P/payload_command.wasm" exit 3
check "run: main's return value" 42 "" "" -- \
  "$CLAVE" wasm run "$P/payload_command.wasm" return 42
check "run: a trap exits 134" 134 "before the trap$nl" \
  "trap: integer divide by zero$nl" -- \
  "$CLAVE" wasm run "$P/payload_command.wasm" trap
check "run: the trap message starts a line of its own" 134 "half a line" \
  "${nl}trap: integer divide by zero$nl" -- \
  "$CLAVE" wasm run "$P/payload_command.wasm" trap-midline
check "run: fuel" 134 "" "trap: fuel exhausted$nl" -- \
  "$CLAVE" wasm run --fuel 1000 "$P/payload_command.wasm" loop
check "run: timeout" 134 "" "trap: deadline passed$nl" -- \
  "$CLAVE" wasm run --timeout 0.1 "$P/payload_command.wasm" loop
check "run: bad --timeout" 1 "" \
  "error: --timeout: 'soon' is not a positive number of seconds${nl}Try 'clave help wasm'.$nl" -- \
  "$CLAVE" wasm run --timeout soon "$P/payload_command.wasm" loop
check "run: no environment, empty stdin" 0 "environ=0 stdin=empty$nl" "" -- \
  "$CLAVE" wasm run "$P/payload_command.wasm" env
check "run: stats as a command" 0 \
  "count 5${nl}sum 14${nl}mean 2.8${nl}min 1${nl}max 5$nl" "" -- \
  "$CLAVE" wasm run "$P/stats.wasm" 3 1 4 1 5
check "run: stats usage error" 2 "" \
  "$P/stats.wasm: 'x' is not a number$nl" -- \
  "$CLAVE" wasm run "$P/stats.wasm" 1 x
check "run: a function payload is not a command" 1 "" \
  "error: $P/auction.wasm: the payload does not export '_start' (a WASI command)$nl" -- \
  "$CLAVE" wasm run "$P/auction.wasm"
check "run: no module" 1 "" \
  "error: run: no module given${nl}Try 'clave help wasm'.$nl" -- \
  "$CLAVE" wasm run --fuel 5

# every function wasi-libc can import links (with its type) and the ones
# the executor does not implement answer ENOSYS
nimports=$(wc -l </usr/lib/wasm32-wasi/libc.imports)
check "run: all of wasi-libc's imports" 0 \
  "$nimports wasi functions referenced, ENOSYS checks passed$nl" "" -- \
  "$CLAVE" wasm run "$P/payload_allwasi.wasm"
"$CLAVE" wasm info "$P/payload_allwasi.wasm" >"$TMP/allwasi.txt" 2>&1
check "info: the module really imports them all" 0 "$nimports$nl" "" -- \
  grep -c "^  func   wasi_snapshot_preview1\." "$TMP/allwasi.txt"

# ---- clave wasm validate / info ----
check "validate: OK" 0 "OK$nl" "" -- "$CLAVE" wasm validate "$P/stats.wasm"
check "validate: junk" 1 "" "*" -- "$CLAVE" wasm validate "$TMP/junk.wasm"
"$CLAVE" wasm info "$P/auction.wasm" >"$TMP/info.txt" 2>&1
check "info: imports" 0 "  func   env.teaclave_open_input$nl" "" -- \
  grep -F "env.teaclave_open_input" "$TMP/info.txt"
check "info: entry" 0 "  func   entrypoint$nl" "" -- \
  grep -Fx "  func   entrypoint" "$TMP/info.txt"
check "info: code sizes" 0 "2$nl" "" -- \
  grep -Ec "^(code section: [0-9]+ bytes|translated code: [0-9]+ bytes \([0-9.]+x the code section\))$" \
  "$TMP/info.txt"
check "info: instance cost" 0 "1$nl" "" -- \
  grep -Ec "^instance: [0-9]+ bytes \([0-9.]+ KiB\) beyond linear memory and stacks$" \
  "$TMP/info.txt"
check "info: runnable" 0 "executor: runs as a function (clave exec)$nl" "" -- \
  grep -F "executor:" "$TMP/info.txt"

# ---- the command table ----
check "version" 0 "clave 0.1.0$nl" "" -- "$CLAVE" --version
check "help lists exec" 0 \
  "  exec       run one function of a payload locally$nl" "" -- \
  bash -c "\"$CLAVE\" --help | grep -F '  exec '"
check "help exec" 0 "usage: clave exec PAYLOAD.wasm [OPTIONS]$nl" "" -- \
  bash -c "\"$CLAVE\" help exec | head -1"
check "unknown command" 1 "" \
  "error: unknown command 'frobnicate' (see 'clave --help')$nl" -- \
  "$CLAVE" frobnicate

echo "$count checks, $fails failed"
[ "$fails" -eq 0 ]
