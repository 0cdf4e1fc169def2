#!/usr/bin/env bash
# Installs what is missing, builds everything once with AddressSanitizer and UBSan, and runs the
# whole test suite (unit, integration through the running gateway, command-line smoke test).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/install-browser-test-deps.sh
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DONCEGATE_SANITIZE=ON >/dev/null
cmake --build build-test -j"$(nproc)"
ctest --test-dir build-test --output-on-failure -j"$(nproc)"
