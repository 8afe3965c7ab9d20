;; A seed for the decoder fuzzer: imports of every kind, exports, start.
(module
  (import "m" "f" (func $f (param i64) (result f32)))
  (import "m" "t" (table 1 10 funcref))
  (import "m" "mem" (memory 1))
  (import "m" "g" (global $g (mut f64)))
  (global $h i64 (i64.const 0x7fffffffffffffff))
  (func $init (global.set $g (f64.const -0x1p-1)))
  (start $init)
  (export "f" (func $f))
  (export "t" (table 0))
  (export "mem" (memory 0))
  (export "h" (global $h)))
