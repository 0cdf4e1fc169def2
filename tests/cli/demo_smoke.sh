#!/usr/bin/env bash
# The two binaries as a user runs them: oncegate on the embedded default configuration (moved to
# a temporary data directory and port 0), oncegate-client against it, then SIGTERM.
set -euo pipefail
bin="$1"
work=$(mktemp -d)
gateway_pid=""
cleanup() {
  [ -n "$gateway_pid" ] && kill "$gateway_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$bin/oncegate" --help | grep -q -- "--config"
"$bin/oncegate" --print-default-config |
  sed -e "s|^data_dir = .*|data_dir = \"$work/var\"|" -e 's|^port = 8443|port = 0|' -e 's|^port = 9443|port = 0|' -e 's|^port = 8446|port = 0|' -e 's|8444|0|g' -e 's|^population = .*|population = 500|' \
  > "$work/oncegate.toml"
grep -q 'port = 0' "$work/oncegate.toml"

"$bin/oncegate" --config "$work/oncegate.toml" 2> "$work/gateway.log" &
gateway_pid=$!
for _ in $(seq 1 300); do
  [ -s "$work/var/ports.json" ] && break
  sleep 0.1
done
[ -s "$work/var/ports.json" ] || { cat "$work/gateway.log"; echo "no ports.json"; exit 1; }

idnr=$(sed -n 2p "$work/var/registers/population.tsv" | cut -f1)
name=$(sed -n 2p "$work/var/registers/population.tsv" | cut -f2)
out=$("$bin/oncegate-client" --data-dir "$work/var" --idnr "$idnr" --type geburtsurkunde)
echo "$out" | grep -q "HTTP 200 geburtsurkunde" || { echo "$out"; exit 1; }
echo "$out" | grep -q "<nw:familienname>$name</nw:familienname>" || { echo "$out"; exit 1; }

# Bremen's Melderegister is the sample register server over HTTPS (a remote register).
bremen=$(awk -F'\t' 'NR > 1 && $13 ~ /^04/ { print $1; exit }' "$work/var/registers/population.tsv")
[ -n "$bremen" ] || { echo "no person in Bremen"; exit 1; }
out=$("$bin/oncegate-client" --data-dir "$work/var" --idnr "$bremen" --type meldebescheinigung --region 04)
echo "$out" | grep -q "HTTP 200 meldebescheinigung" || { echo "$out"; cat "$work/gateway.log"; exit 1; }
echo "$out" | grep -q "entfernt" || { echo "$out"; exit 1; }

# SIGHUP reloads the configuration and serving goes on; the audit trail says so.
kill -HUP "$gateway_pid"
for _ in $(seq 1 100); do
  grep '"SIGHUP"' "$work/var/admin-audit.jsonl" 2>/dev/null | grep -q '"applied"' && break
  sleep 0.1
done
grep '"SIGHUP"' "$work/var/admin-audit.jsonl" | grep -q '"applied"' || { cat "$work/var/admin-audit.jsonl"; exit 1; }

set +e
out=$("$bin/oncegate-client" --data-dir "$work/var" --idnr 36574261890 --type geburtsurkunde --quiet)
status=$?
set -e
[ "$status" -eq 3 ] || { echo "expected exit 3, got $status: $out"; exit 1; }
echo "$out" | grep -q "IDNR_INVALID" || { echo "$out"; exit 1; }
# A letter in the IDNr: the reason, not a digest complaint (the error names the request too).
set +e
out=$("$bin/oncegate-client" --data-dir "$work/var" --idnr 46927a15101 --type geburtsurkunde --quiet)
status=$?
set -e
[ "$status" -eq 3 ] || { echo "expected exit 3, got $status: $out"; exit 1; }
echo "$out" | grep -q "IDNR_INVALID.*digits only" || { echo "$out"; exit 1; }

kill -TERM "$gateway_pid"
wait "$gateway_pid"
gateway_pid=""
grep -q "oncegate: stopped" "$work/gateway.log"
# The operation log: JSON lines with correlation ids, pseudonyms only (never the IDNr).
grep '"event":"exchange"' "$work/gateway.log" | grep -q '"correlation_id":"' || { cat "$work/gateway.log"; exit 1; }
if grep -q -e "$idnr" -e "$bremen" "$work/gateway.log"; then echo "an IDNr is in the operation log"; exit 1; fi

# Both requests are in the transfer log, under a signed tree head, and the log verifies.
out=$("$bin/oncegate-logverify" --log "$work/var/log" --cert "$work/var/demo/gateway-signing.pem")
echo "$out" | grep -q "OK: 4 records" || { echo "$out"; exit 1; }

# The verifier fails closed against what someone with write access to the stopped database can do
# with RocksDB's own ldb (Debian rocksdb-tools): delete every tree head, or delete a record and set
# the purge marker so that it looks purged by retention.
if command -v ldb >/dev/null 2>&1; then
  cp -r "$work/var/log" "$work/no-heads"
  ldb --db="$work/no-heads" --column_family=heads --key_hex deleterange 0x0000000000000000 0xFFFFFFFFFFFFFFFFFF > /dev/null
  set +e
  out=$("$bin/oncegate-logverify" --log "$work/no-heads" --cert "$work/var/demo/gateway-signing.pem")
  status=$?
  set -e
  [ "$status" -eq 1 ] || { echo "a log without tree heads verified: $out"; exit 1; }
  echo "$out" | grep -q "no signed tree head" || { echo "$out"; exit 1; }
  cp -r "$work/var/log" "$work/forged-purge"
  ldb --db="$work/forged-purge" --column_family=records --key_hex delete 0x0000000000000000 > /dev/null
  ldb --db="$work/forged-purge" --key_hex --value_hex put 0x7075726765645f62656c6f77 0x0000000000000001 > /dev/null
  set +e
  out=$("$bin/oncegate-logverify" --log "$work/forged-purge" --cert "$work/var/demo/gateway-signing.pem")
  status=$?
  set -e
  [ "$status" -eq 1 ] || { echo "a forged purge marker hid a record: $out"; exit 1; }
  echo "$out" | grep -q "record 0 is missing, and no signed purge note covers it" || { echo "$out"; exit 1; }
else
  echo "ldb (rocksdb-tools) is missing: scripts/test.sh installs it"; exit 1
fi
echo "demo smoke: 1 passed, 0 failed"
