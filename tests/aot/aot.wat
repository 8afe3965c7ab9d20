;; Module for tests/aot/test_aot.c: things where the AOT tier must behave
;; exactly like the interpreter and that tests/runtime/traps.wat does not
;; reach: where a deep recursion stops, memory and globals left behind by
;; a trap, host calls in both directions, calls through a table into
;; another instance, multi-value results, and every kind of value.
(module
  (type $i2i (func (param i32) (result i32)))
  (import "host" "add1" (func $add1 (param i32) (result i32)))
  (import "host" "reenter" (func $reenter (param i32) (result i32)))
  (import "host" "exit" (func $exit (param i32)))
  (import "host" "table" (table $ext 2 funcref))
  (memory (export "memory") 1 2)
  (global $depth (export "depth") (mut i32) (i32.const 0))
  (global $g64 (mut i64) (i64.const 0))
  (global $gf (mut f32) (f32.const 0))
  (global $gd (mut f64) (f64.const 0))
  (table $t 2 funcref)
  (elem (table $t) (i32.const 0) func $twice $twice)

  (func $twice (export "twice") (param i32) (result i32)
    (i32.mul (local.get 0) (i32.const 2)))

  ;; depth counter, then recurse: how deep did it get before the trap?
  (func $deep (export "deep") (param i32) (result i32)
    (global.set $depth (i32.add (global.get $depth) (i32.const 1)))
    (i32.add (call $deep (i32.add (local.get 0) (i32.const 1)))
             (i32.const 1)))
  ;; the same with a large frame (many locals live across the call)
  (func $deep_wide (export "deep_wide") (param i32) (result i32)
    (local i64 i64 i64 i64 i64 i64 i64 i64 f64 f64 f64 f64 f64 f64 f64 f64)
    (global.set $depth (i32.add (global.get $depth) (i32.const 1)))
    (local.set 1 (i64.extend_i32_u (local.get 0)))
    (local.set 9 (f64.convert_i32_u (local.get 0)))
    (i32.add
      (call $deep_wide (i32.add (local.get 0) (i32.const 1)))
      (i32.add (i32.wrap_i64 (local.get 1))
               (i32.trunc_f64_u (local.get 9)))))
  (func (export "reset_depth") (global.set $depth (i32.const 0)))

  ;; stores, a global update, then an out-of-bounds store: the state
  ;; before the trap must be in memory
  (func (export "store_then_trap") (param $p i32)
    (i32.store (i32.const 0) (i32.const 0x11111111))
    (global.set $g64 (i64.const 0x1234567890))
    (i64.store (i32.const 8) (i64.const 0x2222222233333333))
    (f32.store (i32.const 16) (f32.const 1.5))
    (i32.store (local.get $p) (i32.const 0x44444444))
    (i32.store (i32.const 20) (i32.const 0x55555555)))
  (func (export "load32") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "g64") (result i64) (global.get $g64))
  ;; a load whose result is dropped must still trap
  (func (export "dropped_load") (param i32)
    (drop (i64.load offset=4 (local.get 0))))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))

  ;; host calls: out, and back in through the host
  (func (export "call_add1") (param i32) (result i32)
    (call $add1 (local.get 0)))
  (func (export "call_reenter") (param i32) (result i32)
    (call $reenter (local.get 0)))
  (func (export "call_exit") (param i32) (call $exit (local.get 0)))
  ;; through the imported table: a function of another instance
  (func (export "call_ext") (param i32 i32) (result i32)
    (call_indirect $ext (type $i2i) (local.get 1) (local.get 0)))
  (func (export "call_own") (param i32 i32) (result i32)
    (call_indirect $t (type $i2i) (local.get 1) (local.get 0)))

  ;; multi-value and every scalar type through a call
  (func $mix (param i32 i64 f32 f64) (result f64 f32 i64 i32)
    (local.get 3) (local.get 2) (local.get 1) (local.get 0))
  (func (export "mix") (param i32 i64 f32 f64) (result f64 f32 i64 i32)
    (call $mix (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "globals") (param i64 f32 f64) (result i64 f32 f64)
    (global.set $g64 (local.get 0))
    (global.set $gf (local.get 1))
    (global.set $gd (local.get 2))
    (global.get $g64) (global.get $gf) (global.get $gd))

  ;; a loop of n iterations with a little work: fuel per back-edge
  (func (export "sum") (param $n i32) (result i32)
    (local $s i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $s (i32.add (local.get $s) (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (local.get $s))
  ;; calls in a loop: fuel per call and per back-edge
  (func (export "calls") (param $n i32) (result i32)
    (local $s i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $s (i32.add (local.get $s) (call $twice (local.get $n))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (local.get $s))
  ;; a counted loop that gets a fast copy: n words from p, each + 1; more
  ;; iterations than one chunk of budget, so the copy stops at the
  ;; checkpoint that refills and comes back
  (func (export "bump") (param $p i32) (param $n i32) (result i32)
    (local $i i32) (local $end i32)
    (local.set $i (local.get $p))
    (local.set $end
      (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (loop $l
      (i32.store (local.get $i) (i32.add (i32.load (local.get $i)) (i32.const 1)))
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 4)))
                        (local.get $end))))
    (local.get $i))
)
