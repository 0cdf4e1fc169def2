#!/usr/bin/env bash
# Throughput through HAProxy with 1, 2 and 3 nodes (docs/SCALE-OUT.md, bench/README.md): each
# cluster started by deploy/local-cluster/cluster.sh from the Release build, then oncegate-load
# in closed loop through the load balancer, national requests only.
#   bench/cluster-throughput.sh [BIN=build/bin] [CONNECTIONS=48] [SECONDS=10]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=$(cd "${1:-$repo/build/bin}" && pwd)
connections=${2:-48}
seconds=${3:-10}
work=$(mktemp -d)
trap '"$repo/deploy/local-cluster/cluster.sh" down "$work/c" > /dev/null 2>&1 || true; rm -rf "$work"' EXIT
printf '| nodes | answers/s | p50 ms | p99 ms | outcomes |\n|---|---|---|---|---|\n'
for nodes in 1 2 3; do
  "$repo/deploy/local-cluster/cluster.sh" up "$nodes" "$work/c" "$bin" > /dev/null
  lb=$(python3 -c "import json; print(json.load(open('$work/c/cluster.json'))['lb'])")
  "$bin/oncegate-load" --data-dir "$work/c/node-1" --port "$lb" --connections "$connections" --threads 1 \
    --duration "$seconds" --warmup 2 --oots-share 0 --verify 0.01 > "$work/report.json" 2> /dev/null
  python3 - "$work/report.json" "$nodes" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print('| %s | %.0f | %.1f | %.1f | %s |' % (sys.argv[2], r['answers_per_s'], r['latency_ms']['p50'], r['latency_ms']['p99'],
      ', '.join('%s %d' % kv for kv in sorted(r['outcomes'].items()))))
PY
  "$repo/deploy/local-cluster/cluster.sh" down "$work/c" > /dev/null
  rm -rf "$work/c"
done
