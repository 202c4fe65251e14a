# Two entry points for a fresh machine: `make demo` and `make test`.
BUILD_DIR ?= build
# Optimised, without debug info, at -O1: this compiles in about half the time of -O2 -g (the
# RelWithDebInfo default of a plain cmake configure), so that `make demo` prints results within
# about 3 minutes on a fresh 2-core machine. The libraries are also built as unity sources
# (ANEC_UNITY_BUILD: a few files per compiler run, each header parsed once per batch), which
# roughly halves the demo's build again. Developers configure their own build directories
# (without unity, so that a missing include shows up there).
BUILD_TYPE ?= Release
RELEASE_FLAGS ?= -O1 -DNDEBUG
UNITY ?= ON
MAKEFLAGS += --no-print-directory
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
ANEC := $(BUILD_DIR)/bin/anec
PREFIX ?= /usr/local

.PHONY: deps configure build demo test install golden format clean

deps:
	@scripts/install-deps

configure: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	  -DCMAKE_CXX_FLAGS_RELEASE="$(RELEASE_FLAGS)" \
	  -DANEC_UNITY_BUILD=$(UNITY) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# Only what the demo runs: the anec CLI and its libraries (not the tests).
demo: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target anec
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
