# Two entry points for a fresh machine: `make demo` and `make test`.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
MAKEFLAGS += --no-print-directory
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
ANEC := $(BUILD_DIR)/bin/anec

.PHONY: deps configure build demo test golden format clean

deps:
	@scripts/install-deps

configure: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

demo: build
	@scripts/demo $(ANEC)

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# Rewrites the golden MIL expectations in tests/golden from the current compiler.
golden: build
	@scripts/update-golden $(ANEC)

format:
	@find compiler runtime tests bench examples -name '*.cpp' -o -name '*.hpp' -o -name '*.h' -o -name '*.mm' | xargs clang-format -i

clean:
	@rm -rf $(BUILD_DIR)
