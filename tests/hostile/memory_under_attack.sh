#!/usr/bin/env bash
# Memory and service under attack, on the Release build (ASan's quarantine makes memory figures
# meaningless): the embedded default (500 people, ports 0) is flooded by hostile_flood for 20 s
# while an authority from another source (127.0.0.2) keeps asking. Checks: the gateway's peak
# resident memory grows by less than the bound, every good request is answered, the slowest
# within the bound, and the gateway serves on afterwards.
# Usage: memory_under_attack.sh <Release bin dir> <test bin dir>
set -euo pipefail
release="$1"
tests="$2"
rss_bound_mb="${RSS_BOUND_MB:-64}"            # 8x the growth measured (+8 MB, bench/README.md)
latency_bound_ms="${LATENCY_BOUND_MS:-2500}"  # 10x the slowest good request measured (234 ms)
# shellcheck source=../support/demo_gateway.sh
source "$(dirname "$0")/../support/demo_gateway.sh"
write_demo_config "$release" 500
start_demo_gateway "$release"
port=$(demo_port evidence)
idnr=$(sed -n 2p "$work/var/registers/population.tsv" | cut -f1)
ask() { "$release/oncegate-client" --data-dir "$work/var" --bind 127.0.0.2 --idnr "$idnr" --type geburtsurkunde --quiet; }
ask > /dev/null
rss_kb() { awk -v key="$1:" '$1 == key { print $2 }' "/proc/$gateway_pid/status"; }
before=$(rss_kb VmRSS)

"$tests/hostile_flood" --port "$port" --data-dir "$work/var" --seconds 20 > "$work/flood.out" &
flood_pid=$!
slowest=0
answered=0
while kill -0 "$flood_pid" 2>/dev/null; do
  start=$(date +%s%N)
  ask | grep -q "HTTP 200" || { echo "a good request was not answered during the attack"; cat "$work/flood.out"; exit 1; }
  took=$(( ($(date +%s%N) - start) / 1000000 ))
  [ "$took" -gt "$slowest" ] && slowest=$took
  answered=$((answered + 1))
  sleep 0.2
done
wait "$flood_pid"
peak=$(rss_kb VmHWM)
grown_mb=$(( (peak - before) / 1024 ))
cat "$work/flood.out"
echo "memory under attack: resident $((before / 1024)) MB before, peak $((peak / 1024)) MB (+${grown_mb} MB, bound ${rss_bound_mb} MB);" \
     "${answered} good requests answered, slowest ${slowest} ms (bound ${latency_bound_ms} ms)"
[ "$grown_mb" -lt "$rss_bound_mb" ] || { echo "peak memory grew by ${grown_mb} MB"; exit 1; }
[ "$slowest" -lt "$latency_bound_ms" ] || { echo "the slowest good request took ${slowest} ms"; exit 1; }
ask | grep -q "HTTP 200" || { echo "not served after the attack"; exit 1; }
# The attack left a handful of aggregated lines, not one per refusal.
stop_demo_gateway
lines=$(wc -l < "$work/gateway.log")
refusals=$(grep -c '"event":"refusals"' "$work/gateway.log" || true)
echo "operation log: ${lines} lines, ${refusals} of them aggregated refusals"
[ "$lines" -lt 2000 ] || { echo "the attack wrote ${lines} log lines"; exit 1; }
