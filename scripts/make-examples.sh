#!/usr/bin/env bash
# Writes the example messages of docs/examples/ from a running demo gateway (the embedded default
# in a temporary directory), so that each example answer is a real answer to the example request
# next to it, signed by the demo gateway whose signing certificate is kept beside them. Run it
# after a change to the message format: scripts/make-examples.sh build/bin
# tests/cli/integration_examples.sh checks the result (ctest cli_integration_examples).
set -euo pipefail
bin="$(cd "${1:-build/bin}" && pwd)"
out="$(cd "$(dirname "$0")/../docs/examples" && pwd)"
# shellcheck source=../tests/support/demo_gateway.sh
source "$(dirname "$0")/../tests/support/demo_gateway.sh"
write_demo_config "$bin" 300
start_demo_gateway "$bin"
demo="$work/var/demo"
port=$(demo_port evidence)
population="$work/var/registers/population.tsv"
someone=$(sed -n 2p "$population" | cut -f1)
# Someone in Niedersachsen (Regionalschlüssel 03...), for the Meldebescheinigung found without a region.
resident=$(awk -F'\t' 'NR > 1 && $13 ~ /^03/ { print $1; exit }' "$population")

post() {  # <authority> <request file> <answer file>
  local key="$demo/authorities/${1/:/-}"
  curl -s --cacert "$demo/ca.pem" --cert "$key.pem" --key "$key.key" -H 'Content-Type: application/xml' \
    --data-binary "@$2" -o "$3" "https://127.0.0.1:$port/v1/nachweis"
}
example() {  # <name> <authority> <client options...>
  local name="$1" as="$2"
  shift 2
  "$bin/oncegate-client" --data-dir "$work/var" --as "$as" --print-request "$@" > "$out/nachweisAnfrage.$name.xml"
  post "$as" "$out/nachweisAnfrage.$name.xml" "$out/antwort.$name.xml"
}
example geburtsurkunde psw:01003110 --idnr "$someone" --type geburtsurkunde
example meldebescheinigung psw:01003110 --idnr "$resident" --type meldebescheinigung
example not-permitted psw:02004220 --idnr "$someone" --type meldebescheinigung --purpose elterngeld \
  --legal-basis "BEEG § 12 Abs. 1"
example idnr-invalid psw:01003110 --idnr 36574261890 --type geburtsurkunde
example no-register psw:01003110 --idnr "$someone" --type sterbeurkunde

key="$demo/authorities/psw-01003110"
curl -s --cacert "$demo/ca.pem" --cert "$key.pem" --key "$key.key" "https://127.0.0.1:$port/v1/catalogue" |
  python3 -m json.tool --no-ensure-ascii > "$out/catalogue.psw-01003110.json"
cp "$demo/gateway-signing.pem" "$out/demo-gateway-signing.pem"
cp "$demo/authorities/psw-01003110.pem" "$out/demo-authority-psw-01003110.pem"
cp "$demo/authorities/psw-02004220.pem" "$out/demo-authority-psw-02004220.pem"
stop_demo_gateway
ls "$out"
