#!/usr/bin/env bash
# Installs what is missing, builds (Release) and starts the gateway on its embedded default:
# data in ./var/, evidence listener on https://127.0.0.1:8443. Extra arguments go to oncegate.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DONCEGATE_BUILD_TESTS=OFF -DONCEGATE_BUILD_BENCH=OFF >/dev/null
cmake --build build -j"$(nproc)"
exec build/bin/oncegate "$@"
