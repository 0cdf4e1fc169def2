#!/usr/bin/env bash
# The proof run (issue 14), on one machine in one run:
#   1. the in-process ceiling per exchange and core (ceiling_bench: decode + validate + verify,
#      sign, one log append with the WAL and no per-record fsync), both message families;
#   2. the gateway (Release build, embedded default, limits raised for the benchmark) under
#      oncegate-load: saturation in closed loop for each family, with the gateway's CPU time read
#      from /proc, and the ratio gateway CPU per delivered exchange / ceiling;
#   3. open-loop latency against offered load (national), the target being p99 < 25 ms at 70 %
#      of saturation;
#   4. the same requests through nginx as a mutual-TLS reverse proxy in front of a trivial
#      upstream that answers a fixed body (what a plain TLS proxy costs);
#   5. resident memory: 10,000 idle keep-alive connections, and under full load;
#   6. optionally (SOAK_SECONDS, e.g. 600) a soak at 70 % of saturation, RSS sampled every 10 s;
#   7. plots (gnuplot) and a summary in $OUT/summary.json and on stdout.
#
#   bench/run-proof.sh                 # about 4 minutes on 2 cores
#   SOAK_SECONDS=600 bench/run-proof.sh
#   PROFILE=1 bench/run-proof.sh       # also `perf record` the gateway at saturation (perf.data)
# Environment: OUT (default bench/results/latest), DURATION (s per saturation run, default 10),
# STEP (s per open-loop step, default 5), IDLE_CONNECTIONS (default 10000), REFERENCE (the shared
# reference directory with the OOTS requests, default ../shared/reference).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out="${OUT:-bench/results/latest}"
duration="${DURATION:-10}"
step="${STEP:-5}"
idle_connections="${IDLE_CONNECTIONS:-10000}"
soak_seconds="${SOAK_SECONDS:-0}"
# SOAK_ONLY=1: only the soak, into an OUT that holds a full run (its saturation sets the rate).
soak_only="${SOAK_ONLY:-0}"
reference="${REFERENCE:-$root/../shared/reference}"
mkdir -p "$out"
out=$(cd "$out" && pwd)

# The project's own installer, with what the proof run needs beyond the build (nginx, gnuplot).
scripts/install-deps.sh nginx-light gnuplot-nox python3
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DONCEGATE_BUILD_TESTS=OFF -DONCEGATE_BUILD_BENCH=ON > /dev/null
cmake --build build -j"$(nproc)" --target oncegate oncegate-client oncegate-load ceiling_bench > /dev/null
bin="$root/build/bin"

work=$(mktemp -d)
gateway_pid=""
nginx_pid=""
register_pid=""
cleanup() {
  [ -n "$gateway_pid" ] && kill "$gateway_pid" 2> /dev/null || true
  [ -n "$register_pid" ] && kill "$register_pid" 2> /dev/null || true
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "run-proof: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) cores: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
{
  echo "{\"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\", \"cores\": $(nproc), \"cpu\": \"$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)\","
  echo " \"memory_kb\": $(sed -n 's/^MemTotal:[[:space:]]*\([0-9]*\).*/\1/p' /proc/meminfo), \"commit\": \"$(git rev-parse --short HEAD 2> /dev/null || echo unknown)\"}"
} > "$out/machine.json"

# ---- 1. the ceiling ----
if [ "$soak_only" != 1 ]; then
  "$bin/ceiling_bench" "$reference" "$work/ceiling-log" > "$out/ceiling.json"
  echo "run-proof: ceiling $(cat "$out/ceiling.json")"
fi

# ---- 2. the gateway ----
ticks_per_s=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }            # utime + stime of one process
# utime + stime of the log writer thread alone (named oncegate-log)
writer_ticks() {
  local task ticks=0
  for task in /proc/"$1"/task/*; do
    if [ "$(cat "$task/comm" 2> /dev/null)" = oncegate-log ]; then ticks=$(awk '{ print $14 + $15 }' "$task/stat"); fi
  done
  echo "$ticks"
}
rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status"; }
templates=(--oots-template "$reference/oots-edm/ec-v1.0/birth-request.xml" --oots-template "$reference/oots-edm/fr-v2.0/requete.xml")

"$bin/oncegate" --print-default-config |
  sed -e "s|^data_dir = .*|data_dir = \"$work/var\"|" -e 's|^port = 8443|port = 0|' -e 's|^port = 9443|port = 0|' \
      -e 's|^port = 8446|port = 0|' -e 's|^port = 8447|port = 0|' -e 's|^port = 8448|port = 0|' -e 's|8444|0|g' -e 's|^population = .*|population = 10000|' \
      -e 's|^max_connections = 1024|max_connections = 12000\nper_source_connections = 12000\nper_source_handshakes = 2048\nhandshakes_in_flight = 2048\nper_source_requests_per_second = 1000000\nper_source_burst = 1000000\nper_party_requests_per_second = 1000000\nper_party_burst = 1000000|' \
  > "$work/oncegate.toml"
grep -q 'per_source_connections = 12000' "$work/oncegate.toml"
start_gateway() {
  rm -f "$work/var/ports.json"
  "$bin/oncegate" --config "$1" >> "$work/gateway.out" 2>> "$work/gateway.log" &
  gateway_pid=$!
  for _ in $(seq 1 300); do [ -s "$work/var/ports.json" ] && break; sleep 0.1; done
  [ -s "$work/var/ports.json" ] || { cat "$work/gateway.log"; echo "run-proof: the gateway did not start"; exit 1; }
  port=$(sed -E 's/.*"evidence": ?([0-9]+).*/\1/' "$work/var/ports.json")
}
# A first start makes the demo material and the sample population. Then the remote register
# (Melderegister Bremen) runs as a process of its own, as a real register would, so that the
# gateway's CPU counts its side of the remote call and not the register's.
start_gateway "$work/oncegate.toml"
kill -TERM "$gateway_pid"
wait "$gateway_pid" || true
"$bin/oncegate-register" --population "$work/var/registers/population.tsv" --kind meldebescheinigung --region 04 \
  --cert "$work/var/demo/server.pem" --key "$work/var/demo/server.key" --port-file "$work/register.json" \
  > /dev/null 2> "$work/register.log" &
register_pid=$!
for _ in $(seq 1 100); do [ -s "$work/register.json" ] && break; sleep 0.1; done
register_port=$(sed -E 's/.*"port": ?([0-9]+).*/\1/' "$work/register.json")
sed -e 's/^sample_register = true/sample_register = false/' \
    -e "s|^url = \"https://127.0.0.1:0\"|url = \"https://127.0.0.1:$register_port\"|" "$work/oncegate.toml" > "$work/proof.toml"
grep -q "127.0.0.1:$register_port" "$work/proof.toml"
start_gateway "$work/proof.toml"
port=$(sed -E 's/.*"evidence": ?([0-9]+).*/\1/' "$work/var/ports.json")
rss_start=$(rss_kb "$gateway_pid")

# One load run against the gateway: writes $out/<name>.json with the gateway's CPU and RSS added.
load() {
  local name="$1"
  shift
  local before after rss_before writer_before
  before=$(cpu_ticks "$gateway_pid")
  writer_before=$(writer_ticks "$gateway_pid")
  rss_before=$(rss_kb "$gateway_pid")
  "$bin/oncegate-load" --data-dir "$work/var" --port "$port" --json "$work/load.json" "$@" \
    > /dev/null 2>> "$work/load.log"
  after=$(cpu_ticks "$gateway_pid")
  /usr/bin/python3 - "$work/load.json" "$out/$name.json" "$((after - before))" "$ticks_per_s" "$rss_before" \
    "$(rss_kb "$gateway_pid")" "$(($(writer_ticks "$gateway_pid") - writer_before))" <<'EOF'
import json, sys
report = json.load(open(sys.argv[1]))
ticks, hz = int(sys.argv[3]), int(sys.argv[4])
report["server_cpu_s"] = ticks / hz
delivered = report.get("delivered_total", 0) or report["outcomes"].get("delivered", 0)
report["server_cpu_us_per_delivered"] = ticks / hz * 1e6 / delivered if delivered else None
# The log writer's share (RocksDB writes, the Merkle tree, fsync's kernel work)
report["log_writer_cpu_us_per_delivered"] = int(sys.argv[7]) / hz * 1e6 / delivered if delivered else None
report["server_rss_kb_before"], report["server_rss_kb_after"] = int(sys.argv[5]), int(sys.argv[6])
json.dump(report, open(sys.argv[2], "w"))
EOF
}
field() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, {'d': d}))" "$@"; }

if [ "$soak_only" != 1 ]; then
# Warm-up: caches, connections, the first tree heads.
load warmup --connections 32 --duration 3 --warmup 0 --oots-share 0.2 "${templates[@]}" --verify 0.01 --delivered "$work/ids"
for family in national oots; do
  share=0
  [ "$family" = oots ] && share=1
  perf_pid=""
  if [ "${PROFILE:-0}" = 1 ]; then
    perf record -F 999 -g -p "$gateway_pid" -o "$out/perf-$family.data" -- sleep "$((duration - 1))" > /dev/null 2>&1 &
    perf_pid=$!
  fi
  load "saturation-$family" --connections 32 --duration "$duration" --warmup 0 --oots-share "$share" "${templates[@]}" \
    --verify 0.01 --delivered "$work/ids"
  [ -z "$perf_pid" ] || wait "$perf_pid" || true
  echo "run-proof: $family saturation $(field "$out/saturation-$family.json" 'round(d["delivered_per_s"])')/s," \
       "gateway CPU $(field "$out/saturation-$family.json" 'round(d["server_cpu_us_per_delivered"])') us per exchange" \
       "(log writer $(field "$out/saturation-$family.json" 'round(d["log_writer_cpu_us_per_delivered"])'))," \
       "p99 $(field "$out/saturation-$family.json" 'd["latency_ms"]["p99"]') ms"
done
rss_loaded=$(rss_kb "$gateway_pid")

# ---- 3. open loop against offered load (national) ----
saturation=$(field "$out/saturation-national.json" 'd["delivered_per_s"]')
for percent in 20 40 60 70 80 90 100; do
  rate=$(/usr/bin/python3 -c "print(round($saturation * $percent / 100))")
  # Two seconds of warm-up: the connections' handshakes come before the measured schedule.
  load "open-$percent" --connections 64 --rate "$rate" --duration "$step" --warmup 2 --oots-share 0 --verify 0.01 \
    --delivered "$work/ids"
  echo "run-proof: open loop at $percent % ($rate/s): $(field "$out/open-$percent.json" 'round(d["delivered_per_s"])')/s," \
       "p50 $(field "$out/open-$percent.json" 'd["latency_ms"]["p50"]') ms, p99 $(field "$out/open-$percent.json" 'd["latency_ms"]["p99"]') ms"
done

# ---- 5. memory: idle keep-alive connections ----
# Each connection is opened, carries one exchange, and is then held open without a word.
rss_before_idle=$(rss_kb "$gateway_pid")
"$bin/oncegate-load" --data-dir "$work/var" --port "$port" --connections "$idle_connections" --idle --duration 60 \
  --warmup 0 --threads 2 --oots-share 0 --verify 0 --requests "$((idle_connections + 100))" > /dev/null 2> "$work/idle.log" &
idle_pid=$!
for _ in $(seq 1 600); do
  grep -q "idle: holding" "$work/idle.log" && break
  sleep 0.2
done
sleep 2
rss_idle=$(rss_kb "$gateway_pid")
held=$(sed -n 's/.*idle: holding \([0-9]*\).*/\1/p' "$work/idle.log" | tail -1)
kill "$idle_pid" 2> /dev/null || true
wait "$idle_pid" 2> /dev/null || true
echo "run-proof: ${held:-0} idle connections: gateway RSS $rss_before_idle -> $rss_idle kB"

fi  # not soak only
saturation=$(field "$out/saturation-national.json" 'd["delivered_per_s"]')

# ---- 6. soak ----
if [ "$soak_seconds" -gt 0 ]; then
  rate=$(/usr/bin/python3 -c "print(round($saturation * 0.7))")
  : > "$out/soak-rss.tsv"
  "$bin/oncegate-load" --data-dir "$work/var" --port "$port" --connections 64 --rate "$rate" --duration "$soak_seconds" \
    --warmup 0 --oots-share 0.2 "${templates[@]}" --verify 0.01 --json "$out/soak.json" > /dev/null 2> "$work/soak.log" &
  soak_pid=$!
  # The curve starts when the load does (preparing the requests takes a while).
  while kill -0 "$soak_pid" 2> /dev/null && ! grep -q prepared "$work/soak.log"; do sleep 1; done
  started=$(date +%s)
  while kill -0 "$soak_pid" 2> /dev/null; do
    echo -e "$(($(date +%s) - started))\t$(rss_kb "$gateway_pid")" >> "$out/soak-rss.tsv"
    sleep 10
  done
  wait "$soak_pid" || true
  echo "run-proof: soak $soak_seconds s at $rate/s: RSS $(head -1 "$out/soak-rss.tsv" | cut -f2) -> $(tail -1 "$out/soak-rss.tsv" | cut -f2) kB"
fi
kill -TERM "$gateway_pid"
wait "$gateway_pid" || true
gateway_pid=""
if [ "$soak_only" = 1 ]; then
  /usr/bin/python3 "$root/bench/proof_summary.py" --soak-only "$out"
  gnuplot -e "dir='$out'" "$root/bench/proof_plots.gnuplot"
  exit 0
fi
# The same national saturation with the log's fsync off: what the fsync's kernel work costs the
# gateway's CPU on this machine (the ceiling's log append has none; the figure with fsync stays
# the one that counts).
sed -e 's/^sync = true/sync = false/' "$work/proof.toml" > "$work/nosync.toml"
grep -q '^sync = false' "$work/nosync.toml"
start_gateway "$work/nosync.toml"
load warmup-nosync --connections 32 --duration 3 --warmup 0 --oots-share 0 --verify 0 --delivered "$work/ids"
load saturation-national-nosync --connections 32 --duration "$duration" --warmup 0 --oots-share 0 --verify 0.01 \
  --delivered "$work/ids"
echo "run-proof: national saturation without fsync $(field "$out/saturation-national-nosync.json" 'round(d["delivered_per_s"])')/s," \
     "gateway CPU $(field "$out/saturation-national-nosync.json" 'round(d["server_cpu_us_per_delivered"])') us per exchange"
kill -TERM "$gateway_pid"
wait "$gateway_pid" || true
gateway_pid=""
kill -TERM "$register_pid"
wait "$register_pid" || true
register_pid=""

# ---- 4. nginx: a mutual-TLS reverse proxy in front of a fixed answer ----
body_size=$(field "$out/saturation-national.json" 'd.get("mean_answer_bytes", 3500)')
answer=$(head -c "${body_size%.*}" < /dev/zero | tr '\0' 'x')
upstream_port=$(/usr/bin/python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
proxy_port=$(/usr/bin/python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
mkdir -p "$work/nginx"
cat > "$work/nginx/nginx.conf" << EOF
worker_processes $(nproc);
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
daemon off;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  keepalive_requests 1000000;
  upstream fixed { server 127.0.0.1:$upstream_port; keepalive 64; }
  server {
    listen 127.0.0.1:$upstream_port;
    location / { default_type application/xml; return 200 '$answer'; }
  }
  server {
    listen 127.0.0.1:$proxy_port ssl;
    ssl_certificate $work/var/demo/server.pem;
    ssl_certificate_key $work/var/demo/server.key;
    ssl_client_certificate $work/var/demo/ca.pem;
    ssl_verify_client on;
    ssl_protocols TLSv1.2 TLSv1.3;
    client_max_body_size 256k;
    location / { proxy_pass http://fixed; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
EOF
"$nginx_bin" -c "$work/nginx/nginx.conf" -p "$work/nginx" 2> "$work/nginx/start.log" &
nginx_pid=$!
sleep 1
nginx_cpu() { local total=0 p; for p in $nginx_pid $(pgrep -P "$nginx_pid"); do total=$((total + $(cpu_ticks "$p"))); done; echo "$total"; }
before=$(nginx_cpu)
"$bin/oncegate-load" --data-dir "$work/var" --port "$proxy_port" --connections 32 --duration "$duration" --warmup 0 \
  --oots-share 0 --verify 0 --json "$work/nginx.json" > /dev/null 2>> "$work/load.log"
after=$(nginx_cpu)
/usr/bin/python3 - "$work/nginx.json" "$out/nginx.json" "$((after - before))" "$ticks_per_s" << 'EOF'
import json, sys
report = json.load(open(sys.argv[1]))
ticks, hz = int(sys.argv[3]), int(sys.argv[4])
report["server_cpu_s"] = ticks / hz
delivered = report["outcomes"].get("delivered", 0)
report["server_cpu_us_per_delivered"] = ticks / hz * 1e6 / delivered if delivered else None
json.dump(report, open(sys.argv[2], "w"))
EOF
kill -TERM "$nginx_pid"
wait "$nginx_pid" 2> /dev/null || true
nginx_pid=""
echo "run-proof: nginx mTLS proxy $(field "$out/nginx.json" 'round(d["delivered_per_s"])')/s," \
     "CPU $(field "$out/nginx.json" 'round(d["server_cpu_us_per_delivered"])') us per request, p99 $(field "$out/nginx.json" 'd["latency_ms"]["p99"]') ms"

# ---- 7. summary and plots ----
/usr/bin/python3 "$root/bench/proof_summary.py" "$out" "$rss_start" "$rss_loaded" "$rss_before_idle" "$rss_idle" "${held:-0}"
gnuplot -e "dir='$out'" "$root/bench/proof_plots.gnuplot"
echo "run-proof: plots in $out/*.png"
