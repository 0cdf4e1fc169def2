#!/usr/bin/env bash
# oncegate-load against the embedded default (ports 0, 500 people): a short closed-loop and a
# short open-loop run, national and OOTS, every answer's signature and binding checked.
set -euo pipefail
bin="$1"
reference="$2"
work=$(mktemp -d)
gateway_pid=""
cleanup() {
  [ -n "$gateway_pid" ] && kill "$gateway_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
"$bin/oncegate" --print-default-config |
  sed -e "s|^data_dir = .*|data_dir = \"$work/var\"|" -e 's|^port = 8443|port = 0|' -e 's|^port = 9443|port = 0|' \
      -e 's|^port = 8446|port = 0|' -e 's|8444|0|g' -e 's|^population = .*|population = 500|' > "$work/oncegate.toml"
"$bin/oncegate" --config "$work/oncegate.toml" > "$work/gateway.out" 2> "$work/gateway.log" &
gateway_pid=$!
for _ in $(seq 1 300); do [ -s "$work/var/ports.json" ] && break; sleep 0.1; done
[ -s "$work/var/ports.json" ] || { cat "$work/gateway.log"; exit 1; }
templates=(--oots-template "$reference/oots-edm/ec-v1.0/birth-request.xml" --oots-template "$reference/oots-edm/fr-v2.0/requete.xml")
for mode in "--connections 8" "--connections 8 --rate 100"; do
  # shellcheck disable=SC2086
  out=$("$bin/oncegate-load" --data-dir "$work/var" --bind 127.0.0.3 $mode --duration 2 --warmup 0.5 --verify 1 \
        --oots-share 0.25 "${templates[@]}" --json "$work/report.json")
  echo "$out"
  grep -q '"verification_failures":0' "$work/report.json" || { echo "answers failed verification"; exit 1; }
  grep -q '"outcomes":{"delivered":[1-9]' "$work/report.json" || { echo "nothing delivered, or not only deliveries"; exit 1; }
  grep -q '"verified":[1-9]' "$work/report.json" || { echo "nothing verified"; exit 1; }
done
echo "load smoke: 1 passed, 0 failed"
