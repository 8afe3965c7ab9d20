;; spin.wat - loops for ever: only fuel or the deadline stop it.
(module
  (memory (export "memory") 1)
  (func (export "entrypoint") (param i32 i32) (result i32)
    (loop $l (br $l))
    (i32.const 0)))
