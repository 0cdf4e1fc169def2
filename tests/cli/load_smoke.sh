#!/usr/bin/env bash
# oncegate-load against the embedded default (ports 0, 500 people): a short closed-loop and a
# short open-loop run, national and OOTS, every answer's signature and binding checked.
set -euo pipefail
bin="$1"
reference="$2"
# shellcheck source=../support/demo_gateway.sh
source "$(dirname "$0")/../support/demo_gateway.sh"
write_demo_config "$bin" 500
start_demo_gateway "$bin"
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
