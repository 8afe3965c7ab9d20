;; tests/spec/runner/runner.wast - checks clave-spectest itself: every
;; command kind once passing and once deliberately failing, so that a
;; runner that passes everything (or fails everything) is caught.  The
;; exact report is in runner.expected.

(module $A
  (import "spectest" "print_i32" (func $print (param i32)))
  (import "spectest" "global_i32" (global $g i32))
  (memory 1)
  (global (export "answer") i32 (i32.const 42))
  (elem declare func $add)
  (func $add (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))
  (func (export "two") (result i32 i64) (i32.const 1) (i64.const -1))
  (func (export "g") (result i32) (call $print (global.get $g)) (global.get $g))
  (func (export "bits32") (param i32) (result f32) (f32.reinterpret_i32 (local.get 0)))
  (func (export "bits64") (param i64) (result f64) (f64.reinterpret_i64 (local.get 0)))
  (func (export "div") (param i32 i32) (result i32)
    (i32.div_s (local.get 0) (local.get 1)))
  (func (export "ext") (param externref) (result externref) (local.get 0))
  (func (export "fref") (result funcref) (ref.func $add))
  (func (export "nullref") (result funcref) (ref.null func))
  (func $rec (export "recurse") (call $rec))
  (func (export "spin") (loop (br 0)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
)
(register "A" $A)

;; assert_return: passes
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 3))
(assert_return (invoke "add" (i32.const -1) (i32.const 0)) (i32.const 0xffffffff))
(assert_return (invoke "two") (i32.const 1) (i64.const -1))
(assert_return (invoke "g") (i32.const 666))
(assert_return (get "answer") (i32.const 42))
(assert_return (invoke "bits32" (i32.const 0x7fc00000)) (f32.const nan:canonical))
(assert_return (invoke "bits32" (i32.const 0xffc00000)) (f32.const nan:canonical))
(assert_return (invoke "bits32" (i32.const 0x7fc00001)) (f32.const nan:arithmetic))
(assert_return (invoke "bits64" (i64.const 0x7ff8000000000000)) (f64.const nan:canonical))
(assert_return (invoke "bits64" (i64.const 0xfff8000000000001)) (f64.const nan:arithmetic))
(assert_return (invoke "bits32" (i32.const 0x80000000)) (f32.const -0))
(assert_return (invoke "ext" (ref.extern 1)) (ref.extern 1))
(assert_return (invoke "ext" (ref.null extern)) (ref.null extern))
(assert_return (invoke "fref") (ref.func))
(assert_return (invoke "nullref") (ref.null func))
;; assert_return: fails
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 4))
(assert_return (invoke "two") (i32.const 1) (i64.const 1))
(assert_return (invoke "bits32" (i32.const 0x7fc00001)) (f32.const nan:canonical))
(assert_return (invoke "bits32" (i32.const 0x7fa00000)) (f32.const nan:arithmetic))
(assert_return (invoke "bits64" (i64.const 0x7ff4000000000000)) (f64.const nan:arithmetic))
(assert_return (invoke "bits32" (i32.const 0)) (f32.const -0))
(assert_return (invoke "ext" (ref.extern 1)) (ref.extern 2))
(assert_return (invoke "nullref") (ref.func))
(assert_return (invoke "fref") (ref.null func))
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i64.const 3))
(assert_return (invoke "missing") (i32.const 0))
(assert_return (invoke "div" (i32.const 1) (i32.const 0)) (i32.const 0))

;; action: passes, then fails on a trap
(invoke "add" (i32.const 1) (i32.const 1))
(invoke "div" (i32.const 1) (i32.const 0))

;; assert_trap: passes, fails with a return, fails on the wrong text
(assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer divide by zero")
(assert_trap (invoke "load" (i32.const 65536)) "out of bounds memory access")
(assert_trap (invoke "div" (i32.const 4) (i32.const 2)) "integer divide by zero")
(assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer overflow")

;; assert_exhaustion: passes, then fails on a function that returns
(assert_exhaustion (invoke "recurse") "call stack exhausted")
(assert_exhaustion (invoke "add" (i32.const 1) (i32.const 1)) "call stack exhausted")

;; a runaway loop is stopped by the deadline and reported as a timeout
(assert_return (invoke "spin"))

;; assert_invalid: passes, then fails on a valid module
(assert_invalid (module (func (result i32) (i64.const 0))) "type mismatch")
(assert_invalid (module (func (result i32) (i32.const 0))) "type mismatch")

;; assert_malformed: passes (binary), fails on a good binary, skips text
(assert_malformed (module binary "\00asm\02\00\00\00") "unknown binary version")
(assert_malformed (module binary "\00asm\01\00\00\00") "unexpected end")
(assert_malformed (module quote "(func") "unexpected token")

;; assert_unlinkable: passes, then fails on a module that links
(assert_unlinkable (module (import "A" "nothing" (func))) "unknown import")
(assert_unlinkable (module (import "A" "add" (func (param i32 i32) (result i32)))) "unknown import")

;; assert_trap on a module (assert_uninstantiable): passes, fails when it instantiates, fails on the text
(assert_trap (module (func $s unreachable) (start $s)) "unreachable")
(assert_trap (module (func $s) (start $s)) "unreachable")
(assert_trap (module (memory 1) (data (i32.const 65536) "x")) "unreachable")

;; module: fails to link; the commands that use it fail, not crash
(module $B (import "A" "absent" (func)))
(assert_return (invoke $B "f") (i32.const 0))
;; register: passes for a good module, fails for the failed one
(module $C (func (export "f") (result i32) (i32.const 7)))
(register "C" $C)
(register "B" $B)
(module (import "C" "f" (func $f (result i32))) (func (export "h") (result i32) (call $f)))
(assert_return (invoke "h") (i32.const 7))
