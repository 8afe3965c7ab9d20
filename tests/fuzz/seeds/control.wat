;; A seed for the decoder fuzzer: nested control flow and the stack.
(module
  (func $f (param f32 f64) (result f64)
    (if (result f64) (f32.lt (local.get 0) (f32.const 0.5))
      (then (f64.add (local.get 1) (f64.promote_f32 (local.get 0))))
      (else
        (block (result f64)
          (loop (result f64)
            (br_if 1 (f64.const 1) (f64.gt (local.get 1) (f64.const 10)))
            (local.set 1 (f64.mul (local.get 1) (f64.const 2)))
            (br 0)))))
  )
  (func (export "g") (result i64)
    (local i64)
    (block
      (block
        (block
          (br_table 0 1 2 (i32.wrap_i64 (local.get 0)))
        )
        (local.set 0 (i64.const -1))
        (br 1))
      (unreachable))
    (i64.rotl (local.get 0) (i64.const 7)))
  (func (export "h") (param i32) (result i32)
    (if (local.get 0) (then (return (i32.const 1))))
    (select (i32.const 2) (i32.const 3) (local.get 0))))
