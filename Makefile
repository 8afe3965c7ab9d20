# Clave: the two commands are `make demo` and `make test`.
#   make          release build into build/ (build/bin/clave, clave-spectest)
#   make test     install deps, sanitizer build (ASan+UBSan) in build-test/,
#                 run every test through ctest
#   make demo     install deps, build, run the end-to-end flow
#   make bench    install deps, build, run bench/run
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all build test demo bench deps clean format

all: build

build:
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build build -j$(JOBS)

deps:
	@scripts/install-deps

test: deps
	@cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-O1 -g" \
	  -DCLAVE_SANITIZE=ON >/dev/null
	@cmake --build build-test -j$(JOBS)
	@cd build-test && ctest --output-on-failure -j$(JOBS) --timeout 1500

demo: deps build
	@scripts/demo

bench: deps build
	@bench/run

format:
	@git ls-files '*.c' '*.h' | xargs clang-format -i

clean:
	rm -rf build build-test
