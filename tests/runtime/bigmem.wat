;; A module that asks for 64 MiB of linear memory up front.
(module (memory (export "memory") 1024))
