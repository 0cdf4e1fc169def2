#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan + coverage) and runs each for at most
# FUZZ_SECONDS (default 20, at most 30 in the test command) on its seed corpus: generated seeds
# (tests/fuzz/seeds.cpp), the OOTS reference messages, the configuration files, and the
# regression inputs in tests/fuzz/regressions/<target>/ (every crash found is kept there). A crash,
# leak or timeout fails the run; its input lands in build-fuzz/crashes/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-20}"
reference="${ONCEGATE_REFERENCE_DIR:-../shared/reference}"
[ -d "$reference/oots-edm" ] || reference=/work/shared/reference

CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DONCEGATE_FUZZ=ON \
  -DONCEGATE_BUILD_TESTS=OFF -DONCEGATE_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target fuzzers

corpus=build-fuzz/corpus
rm -rf "$corpus"
build-fuzz/bin/fuzz_seeds "$corpus"
mkdir -p "$corpus/edm_decode" "$corpus/config"
for file in "$reference"/oots-edm/*/*.xml; do
  name=$(basename "$file")
  # The harness reads the first byte as "bare (even) or Domibus envelope (odd)".
  case "$name" in *.soap.xml) flag='\x01' ;; *) flag='\x00' ;; esac
  { printf "$flag"; cat "$file"; } > "$corpus/edm_decode/$name"
  cp "$file" "$corpus/signature/$name"
done
cp config/*.toml "$corpus/config/"

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
status=0
for target in national_decode dsc_decode edm_decode signature http_request register_protocol id_token config tlog witness; do
  mkdir -p "$corpus/$target" "build-fuzz/crashes/$target"
  if [ -d "tests/fuzz/regressions/$target" ]; then cp tests/fuzz/regressions/"$target"/* "$corpus/$target/" 2>/dev/null || true; fi
  start=$(date +%s)
  if ! build-fuzz/bin/fuzz_"$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="build-fuzz/crashes/$target/" "$corpus/$target" > "build-fuzz/$target.log" 2>&1; then
    echo "fuzz: $target FAILED (see build-fuzz/$target.log, input in build-fuzz/crashes/$target/)"
    tail -40 "build-fuzz/$target.log"
    status=1
  else
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "build-fuzz/$target.log")
    echo "fuzz: $target ok: ${runs:-?} runs in $(( $(date +%s) - start )) s"
  fi
done
exit "$status"
