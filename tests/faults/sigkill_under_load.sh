#!/usr/bin/env bash
# SIGKILL of the gateway under load, then a restart, KILLS times (default 1; the long version in
# bench/README.md runs 20): every request the load generator saw answered with evidence has its
# record in the transfer log, the whole log verifies (no half-written record, every head signed
# and matching), and the restarted gateway serves at once.
#   tests/faults/sigkill_under_load.sh <bin dir> <reference dir> [KILLS=1] [SECONDS_BEFORE_KILL=2]
#   (REQUESTS, default 6000, prepared per round: a Release build wants 40000)
set -euo pipefail
bin="$1"
reference="$2"
kills="${3:-1}"
before_kill="${4:-2}"
# shellcheck source=../support/demo_gateway.sh
source "$(dirname "$0")/../support/demo_gateway.sh"
write_demo_config "$bin" 500
templates=()
for file in "$reference/oots-edm/ec-v1.0/birth-request.xml" "$reference/oots-edm/fr-v2.0/requete.xml"; do
  [ -f "$file" ] && templates+=(--oots-template "$file")
done
share=0
[ "${#templates[@]}" -gt 0 ] && share=0.2
: > "$work/acknowledged.txt"
start_demo_gateway "$bin"
for round in $(seq 1 "$kills"); do
  # The generator runs past the kill: it sees the connections die, retries, and reports only
  # what it saw answered.
  "$bin/oncegate-load" --data-dir "$work/var" --connections 16 --threads 1 --duration "$((before_kill + 1))" \
      --warmup 0 --verify 0.02 --oots-share "$share" "${templates[@]}" --requests "${REQUESTS:-6000}" \
      --delivered "$work/delivered.txt" --json "$work/report.json" > "$work/load.out" 2> "$work/load.log" &
  load_pid=$!
  # The kill comes under load: once the generator has its requests ready and sends.
  for _ in $(seq 1 600); do
    grep -q prepared "$work/load.log" && break
    sleep 0.1
  done
  sleep "$before_kill"
  kill -KILL "$gateway_pid"
  wait "$gateway_pid" 2>/dev/null || true
  gateway_pid=""
  load_status=0
  wait "$load_pid" || load_status=$?
  [ "$load_status" -eq 0 ] || { cat "$work/load.out" "$work/load.log"; echo "round $round: answers failed verification"; exit 1; }
  # The kill must come under load, not after the prepared requests ran out.
  if grep -q '"prepared_exhausted":[1-9]' "$work/load.out"; then
    echo "round $round: the load generator ran out of requests before the kill (set REQUESTS higher)"; exit 1
  fi
  delivered=$(wc -l < "$work/delivered.txt")
  [ "$delivered" -gt 50 ] || { cat "$work/load.out"; echo "round $round: only $delivered deliveries before the kill"; exit 1; }
  cat "$work/delivered.txt" >> "$work/acknowledged.txt"

  # The restarted gateway serves at once: the first request after ports.json is answered.
  started=$(date +%s%N)
  start_demo_gateway "$bin"
  idnr=$(sed -n 2p "$work/var/registers/population.tsv" | cut -f1)
  "$bin/oncegate-client" --data-dir "$work/var" --idnr "$idnr" --type geburtsurkunde --quiet > "$work/client.out" \
    || { cat "$work/client.out"; tail -20 "$work/gateway.log"; echo "round $round: the restarted gateway did not serve"; exit 1; }
  echo "round $round: killed after $delivered deliveries; restarted and served in $(( ($(date +%s%N) - started) / 1000000 )) ms"
done
stop_demo_gateway
# Every acknowledged request of every round has its record, and the log verifies.
"$bin/oncegate-logverify" --log "$work/var/log" --vkey-file "$work/var/log.vkey" \
    --expect-requests "$work/acknowledged.txt" | tail -3
# The check itself can fail: a request never sent has no record.
echo "00000000-0000-4000-8000-000000000000" > "$work/never-sent.txt"
if "$bin/oncegate-logverify" --log "$work/var/log" --vkey-file "$work/var/log.vkey" \
    --expect-requests "$work/never-sent.txt" > /dev/null; then
  echo "oncegate-logverify found a record of a request never sent"; exit 1
fi
echo "sigkill under load: $kills rounds, $(wc -l < "$work/acknowledged.txt") acknowledged requests, all logged"
