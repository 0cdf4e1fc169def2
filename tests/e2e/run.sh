#!/usr/bin/env bash
# Browser end-to-end test of the Datencockpit: the real gateway (embedded default moved to a
# temporary data directory and port 0), evidence requests by the demo client for the first sample
# person, then headless Chromium signs in through the demo IdP and checks the list and a verified
# proof. The screenshot is kept in <artifact-dir>/cockpit.png.
set -euo pipefail
bin="$1"
artifacts="$2"
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$artifacts"
work=$(mktemp -d)
gateway_pid=""
cleanup() {
  [ -n "$gateway_pid" ] && kill "$gateway_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

[ -x /usr/bin/chromium ] || { echo "chromium is missing: run scripts/test.sh, which installs it"; exit 1; }
[ -d "$here/node_modules/playwright-core" ] || { echo "playwright-core is missing: run scripts/test.sh"; exit 1; }

"$bin/oncegate" --print-default-config |
  sed -e "s|^data_dir = .*|data_dir = \"$work/var\"|" -e 's|^port = 8443|port = 0|' -e 's|^port = 9443|port = 0|' -e 's|^port = 8446|port = 0|' -e 's|^port = 8447|port = 0|' -e 's|^port = 8448|port = 0|' -e 's|8444|0|g' -e 's|^population = .*|population = 500|' \
  > "$work/oncegate.toml"
"$bin/oncegate" --config "$work/oncegate.toml" 2> "$work/gateway.log" &
gateway_pid=$!
for _ in $(seq 1 300); do
  [ -s "$work/var/ports.json" ] && break
  sleep 0.1
done
[ -s "$work/var/ports.json" ] || { cat "$work/gateway.log"; exit 1; }
# Citizens use the Datencockpit's own listener; the evidence listener demands client certificates.
port=$(sed -E 's/.*"cockpit": ?([0-9]+).*/\1/' "$work/var/ports.json")
# The demo IdP's login page lists the first sample people; person 0 is line 2 of the file.
idnr=$(sed -n 2p "$work/var/registers/population.tsv" | cut -f1)
for _ in 1 2 3; do
  "$bin/oncegate-client" --data-dir "$work/var" --idnr "$idnr" --type geburtsurkunde --quiet > /dev/null
done
# A refused request is a transfer attempt too and shows in the cockpit.
"$bin/oncegate-client" --data-dir "$work/var" --idnr "$idnr" --type geburtsurkunde --as psw:02004220 --quiet > /dev/null || true

# Between two visits the log grows by one transfer of this person (the page then checks that the
# new checkpoint extends the one it remembered).
GROW_COMMAND="$bin/oncegate-client --data-dir $work/var --idnr $idnr --type geburtsurkunde --quiet" \
VERIFY_COMMAND="$bin/oncegate-logverify --vkey-file $work/var/log.vkey --proof" \
  node "$here/cockpit.e2e.mjs" "https://127.0.0.1:$port" 0 4 "$artifacts/cockpit.png" ||
  { echo "the gateway's operation log:"; tail -20 "$work/gateway.log"; exit 1; }
