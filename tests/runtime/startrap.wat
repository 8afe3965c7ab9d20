;; A start function that traps: instantiation must fail with the trap.
(module (func $s (i32.div_u (i32.const 1) (i32.const 0)) drop) (start $s))
