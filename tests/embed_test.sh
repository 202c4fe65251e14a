#!/usr/bin/env bash
# Installs anec into a temporary prefix, builds examples/embed against it (CMake find_package,
# and the C program once more with pkg-config) and runs the programs, which check their results.
# Usage: tests/embed_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
source=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

cmake --install "$build" --prefix "$prefix" >/dev/null
cmake -S "$source/examples/embed" -B "$work/build" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/build" -j 2 >/dev/null

run() { # run PROGRAM EXPECTED-LAST-LINE
  local output
  output=$("$1")
  echo "$output"
  [[ $(tail -n 1 <<<"$output") == "$2"* ]] || { echo "FAIL: $1 did not print '$2'"; exit 1; }
}
run "$work/build/embed_cpp" "embed_cpp: ok"
run "$work/build/embed_c" "embed_c: ok"

pc=$(find "$prefix" -name anec.pc -print -quit)
[[ -n $pc ]] || { echo "FAIL: no anec.pc installed"; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc")
libdir=$(pkg-config --variable=libdir anec)
cc -std=c11 -Wall -Werror "$source/examples/embed/embed.c" $(pkg-config --cflags --libs anec) \
  -o "$work/embed_c_pkgconfig"
LD_LIBRARY_PATH=$libdir run "$work/embed_c_pkgconfig" "embed_c: ok"
echo "embed test: ok"
