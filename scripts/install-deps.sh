#!/usr/bin/env bash
# Installs the Debian packages oncegate needs to build and test (rocksdb-tools: the tests tamper
# with a stopped log through RocksDB's own ldb). Idempotent: packages that are
# already installed are skipped, and apt-get runs only when something is missing.
set -euo pipefail

packages=(
  g++ make cmake pkg-config
  libboost1.81-dev libboost-json1.81-dev
  libssl-dev libxml2-dev libxmlsec1-dev
  libtomlplusplus-dev libcli11-dev librocksdb-dev
  libgtest-dev libbenchmark-dev libjemalloc-dev
  rocksdb-tools
)
# Further packages a caller needs (the test command: clang and libFuzzer for the fuzzers).
packages+=("$@")

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "oncegate: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "oncegate: missing packages (${missing[*]}) and neither root nor sudo; install them and rerun" >&2
    exit 1
  fi
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
