;; counter.wat - counts its runs in a global and in linear memory and
;; returns 10 * (memory count) + (global count): 11 when every task starts
;; from a fresh instance, more if anything of an earlier run were left.
(module
  (memory (export "memory") 1)
  (global $runs (mut i32) (i32.const 0))
  (func (export "entrypoint") (param $argc i32) (param $argv i32) (result i32)
    (global.set $runs (i32.add (global.get $runs) (i32.const 1)))
    (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 1)))
    (i32.add (i32.mul (i32.load (i32.const 0)) (i32.const 10))
             (global.get $runs))))
