#!/usr/bin/env bash
# oncegate-witness as a process of its own (as a data protection authority would run it): the
# gateway submits its checkpoints over HTTPS to it instead of the demo witness, the published
# checkpoint carries its cosignature (checked with oncegate-logverify --url), and after a restart
# the witness still knows the size it cosigned and keeps cosigning.
set -euo pipefail
bin="$1"
# shellcheck source=../support/demo_gateway.sh
source "$(dirname "$0")/../support/demo_gateway.sh"
witness_pid=""
trap 'kill $witness_pid 2>/dev/null || true; cleanup_demo_gateway' EXIT

write_demo_config "$bin" 200
start_demo_gateway "$bin"   # the first start makes the demo material and the log key
stop_demo_gateway

start_witness() {  # $1: the port (0: any; a restart takes the one it had)
  rm -f "$work/witness/port"
  "$bin/oncegate-witness" --data-dir "$work/witness" --name test.example/witness-1 --log "$(cat "$work/var/log.vkey")" \
    --cert "$work/var/demo/server.pem" --key "$work/var/demo/server.key" --port "$1" >> "$work/witness.out" 2>&1 &
  witness_pid=$!
  for _ in $(seq 1 100); do [ -s "$work/witness/port" ] && return 0; sleep 0.1; done
  cat "$work/witness.out"; echo "the witness did not start"; exit 1
}
start_witness 0
[ "$("$bin/oncegate-witness" --data-dir "$work/witness" --name test.example/witness-1 --print-vkey)" = "$(cat "$work/witness/witness.vkey")" ]
grep -q "^test.example/witness-1+" "$work/witness/witness.vkey"
[ "$(stat -c %a "$work/witness/witness-key.pem")" = 600 ] || { echo "the witness key is not 0600"; exit 1; }

# The gateway now submits to that witness only.
python3 - "$work/oncegate.toml" "$work/witness/witness.vkey" "$(cat "$work/witness/port")" <<'PYEOF'
import sys
path, vkey_file, port = sys.argv[1:]
text = open(path).read()
old = 'vkey_file = "demo-witness/witness.vkey"\nlocal = true\n'
assert old in text
text = text.replace(old, f'vkey_file = "{vkey_file}"\nurl = "https://127.0.0.1:{port}/"\nca = "demo/ca.pem"\n')
text = text.replace('[demo_witness]\nenabled = true', '[demo_witness]\nenabled = false')
open(path, "w").write(text)
PYEOF
start_demo_gateway "$bin"
idnr=$(sed -n 2p "$work/var/registers/population.tsv" | cut -f1)
"$bin/oncegate-client" --data-dir "$work/var" --idnr "$idnr" --type geburtsurkunde --quiet | grep -q "HTTP 200"
# Until the published checkpoint, cosigned by that witness, reaches size $1 (10 s at most).
verify() {
  local out=""
  for _ in $(seq 1 50); do
    out=$("$bin/oncegate-logverify" --url "https://127.0.0.1:$(demo_port log)/log/v1/" --ca "$work/var/demo/ca.pem" \
          --vkey-file "$work/var/log.vkey" --witness "$(cat "$work/witness/witness.vkey")" --quorum 1 2>&1) || true
    echo "$out" | grep -q "at size $1, .*cosigned by 1 witness" && { echo "$out"; return 0; }
    sleep 0.2
  done
  echo "no checkpoint of size $1 cosigned by the witness: $out"; tail -5 "$work/gateway.log"; exit 1
}
verify 1
size=$(ls "$work/witness/logs" | wc -l)
[ "$size" = 1 ] || { echo "the witness keeps no state for the log"; exit 1; }
# A restart of the witness: it remembers the size and cosigns the next checkpoint.
port=$(cat "$work/witness/port")
kill -TERM "$witness_pid"; wait "$witness_pid" || true
start_witness "$port"
"$bin/oncegate-client" --data-dir "$work/var" --idnr "$idnr" --type geburtsurkunde --quiet | grep -q "HTTP 200"
verify 2
echo "witness smoke: 1 passed, 0 failed"
