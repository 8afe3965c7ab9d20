;; trap.wat - traps at once ("unreachable").
(module
  (memory (export "memory") 1)
  (func (export "entrypoint") (param i32 i32) (result i32)
    unreachable))
