;; bigmem.wat - asks for 128 MiB of linear memory up front.
(module
  (memory (export "memory") 2048)
  (func (export "entrypoint") (param i32 i32) (result i32)
    (i32.const 7)))
