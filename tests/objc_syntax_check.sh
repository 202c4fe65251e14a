#!/usr/bin/env bash
# Syntax-only compile of every Objective-C++ file (runtime/ane/*.mm) on Linux against Debian's
# GNUstep (libgnustep-base-dev, gnustep-make, clang), with tests/objc/apple_platform_stubs.h
# declaring the Apple-only APIs GNUstep lacks (IOSurface, CoreFoundation, objc_msgSend's Apple
# prototype, sysctlbyname). It proves the Objective-C parses and type-checks; it links and runs
# nothing (that needs a Mac: docs/macos.md). Any error or warning fails the check.
# Usage: tests/objc_syntax_check.sh [repo-root]
set -euo pipefail

repo=$(cd "${1:-$(dirname "$0")/..}" && pwd)
for tool in clang++ gnustep-config gcc; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "objc_syntax_check: $tool not found (scripts/install-deps installs it)" >&2
    exit 1
  }
done
shopt -s nullglob
sources=("$repo"/runtime/ane/*.mm)
if [ ${#sources[@]} -eq 0 ]; then
  echo "objc_syntax_check: no .mm files in $repo/runtime/ane" >&2
  exit 1
fi

# gnustep-config's flags include -MMD -MP (dependency files written to the working directory)
# and -I.: run from an empty scratch directory that is removed afterwards.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"

# GNUstep's Foundation includes <objc/objc.h>, which Debian ships in gcc's own include dir.
gcc_include=$(gcc -print-file-name=include)
extra=(-isystem "$gcc_include" -I "$repo" -I "$repo/compiler" -I "$repo/tests/objc"
       -DANEC_OBJC_SYNTAX_CHECK -Wall -Wextra -Werror)

status=0
for source in "${sources[@]}"; do
  # shellcheck disable=SC2046 # gnustep-config prints a list of flags to split
  if clang++ -std=c++20 -fsyntax-only -x objective-c++ -fobjc-runtime=gcc \
       $(gnustep-config --objc-flags) "${extra[@]}" "$source"; then
    echo "objc_syntax_check: ok ${source#"$repo"/}"
  else
    echo "objc_syntax_check: FAILED ${source#"$repo"/}" >&2
    status=1
  fi
done
exit $status
