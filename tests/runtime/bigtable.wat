;; A module that asks for a table of 100000 elements.
(module (table 100000 funcref))
