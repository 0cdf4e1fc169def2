#!/usr/bin/env bash
# Installs what is missing, builds everything once with AddressSanitizer and UBSan, and runs the
# whole test suite (unit, integration through the running gateway, the front-door suite, command-
# line smoke test, the hostile suite, the fault tests, Go's tlog against the published log, the
# browser test), then the concurrent unit tests under
# ThreadSanitizer, memory under attack on the Release build, and the libFuzzer targets (clang,
# FUZZ_SECONDS each, default 20). Prints the wall time of each phase.
set -euo pipefail
cd "$(dirname "$0")/.."

phase_start=$(date +%s)
phase() {
  local now
  now=$(date +%s)
  echo "oncegate test: phase '$1' took $((now - phase_start)) s"
  phase_start=$now
}

# Go and its sumdb packages for the interoperability test (tests/interop).
scripts/install-deps.sh clang libclang-rt-14-dev golang-go golang-golang-x-mod-dev xmlsec1 libxml2-utils systemd curl redis-server haproxy stunnel4
scripts/install-browser-test-deps.sh
phase "install"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DONCEGATE_SANITIZE=ON >/dev/null
cmake --build build-test -j"$(nproc)"
phase "ASan/UBSan build"
# A failure does not stop the run (every phase reports), but is named again at the end, where a
# CI log's tail shows it.
status=0
failures=()
failed() { status=1; failures+=("$1"); }
for label in unit integration hostile faults interop browser cluster; do
  ctest --test-dir build-test --output-on-failure -j"$(nproc)" -L "^${label}\$" ||
    failed "${label}: $(sed 's/^[0-9]*://' build-test/Testing/Temporary/LastTestsFailed.log 2>/dev/null | tr '\n' ' ')"
  phase "${label} tests (ASan/UBSan)"
done
# Every test belongs to one of the phases above.
unlabelled=$(ctest --test-dir build-test -N -LE '^(unit|integration|hostile|faults|interop|browser|cluster)$' | sed -n 's/^Total Tests: //p')
[ "${unlabelled:-0}" -eq 0 ] || { echo "oncegate test: ${unlabelled} tests carry no phase label"; failed "unlabelled tests"; }
# The concurrent parts under ThreadSanitizer: the abuse limits, the refusal tally, the replay
# guard (unit tests with threads of their own), and the running gateway with its I/O threads,
# log writer and adapters (the exchange integration tests and the hostile suite), the runtime
# swap under requests (admin), the remote adapter's pool and breaker, the log writer under
# faults, the witness submissions beside the log writer (transparency), and the Datencockpit's
# sign-in worker beside the I/O threads (cockpit_api_test), and the Redis client's strand beside its
# callers (store_test). tests/tsan.supp says what is suppressed inside uninstrumented OpenSSL and RocksDB.
tsan_tests=(net_test store_test cluster_nodes_test exchange_test oplog_test exchange_integration_test hostile_test admin_test remote_register_test faults_test
  transparency_test cockpit_api_test)
# Line tables only (-g1): a report still names file and line, and the build takes about 265 s
# instead of 315 on two cores.
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DONCEGATE_TSAN=ON -DONCEGATE_BUILD_BENCH=OFF >/dev/null
cmake --build build-tsan -j"$(nproc)" --target "${tsan_tests[@]}"
for binary in "${tsan_tests[@]}"; do
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tests/tsan.supp" \
    "build-tsan/bin/$binary" --gtest_brief=1 || failed "TSan: $binary"
done
phase "TSan (concurrent tests)"
# Memory under attack is measured on the Release build (the one run.sh builds).
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DONCEGATE_BUILD_TESTS=OFF -DONCEGATE_BUILD_BENCH=OFF >/dev/null
cmake --build build -j"$(nproc)" --target oncegate oncegate-client
phase "Release build"
tests/hostile/memory_under_attack.sh build/bin build-test/bin || failed "memory under attack"
phase "memory under attack (Release)"
FUZZ_SECONDS="${FUZZ_SECONDS:-20}" scripts/fuzz.sh || failed "fuzzers"
phase "fuzzers (clang build + ${FUZZ_SECONDS:-20} s a target)"
for failure in "${failures[@]}"; do echo "oncegate test: FAILED ${failure}"; done
[ "$status" -eq 0 ] && echo "oncegate test: all phases passed"
exit "$status"
