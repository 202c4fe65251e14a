# Two entry points for a fresh machine: `make demo` and `make test`.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
MAKEFLAGS += --no-print-directory
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
ANEC := $(BUILD_DIR)/bin/anec
PREFIX ?= /usr/local

.PHONY: deps configure build demo test install golden format clean

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

# The anec CLI, libanec with its headers, the CMake package (find_package(anec)) and anec.pc.
install: build
	@cmake --install $(BUILD_DIR) --prefix $(PREFIX)

# Rewrites the golden MIL expectations in tests/golden from the current compiler.
golden: build
	@scripts/update-golden $(ANEC)

format:
	@find compiler runtime tests bench examples -name '*.cpp' -o -name '*.hpp' -o -name '*.h' -o -name '*.c' -o -name '*.mm' | xargs clang-format -i

clean:
	@rm -rf $(BUILD_DIR)
