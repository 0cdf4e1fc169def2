#!/usr/bin/env bash
# docs/INTEGRATION.md as an integrator follows it, with nothing but Debian's tools (xmllint,
# xmlsec1, curl, openssl): the examples in docs/examples/ are valid against the schema, each example
# answer verifies with the demo gateway's certificate kept beside it and is bound to the example
# request next to it; then, against a running demo gateway, the worked example (the template signed
# with stock xmlsec1, sent with curl, the answer verified with the gateway's certificate pinned and
# its digest checked) and the requester's mistakes the guide names, each with its code and words.
set -euo pipefail
bin="$1"
here="$(cd "$(dirname "$0")" && pwd)"
examples="$here/../../docs/examples"
xsd="$here/../../xsd/oncegate-nachweis-1.xsd"
for tool in xmllint xmlsec1 curl openssl; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: scripts/test.sh installs it"; exit 1; }
done
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# Pins the signer: with x509 key data off, xmlsec1 may use only the certificate given, not the
# one the message names.
verify_pinned() { xmlsec1 --verify --enabled-key-data key-name --pubkey-cert-pem "$1" "$2" >/dev/null 2>&1; }
digest_of() { openssl dgst -sha256 -binary "$1" | base64; }
element() { grep -o "<nw:$1>[^<]*" "$2" | head -1 | sed "s/<nw:$1>//"; }

# --- the examples as committed ---
count=0
for file in "$examples"/*.xml; do
  xmllint --noout --schema "$xsd" "$file" 2>/dev/null || fail "$(basename "$file") is not valid against the schema"
  count=$((count + 1))
done
[ "$count" -ge 11 ] || fail "only $count example messages"
for answer in "$examples"/antwort.*.xml; do
  name=$(basename "$answer" .xml); name=${name#antwort.}
  request="$examples/nachweisAnfrage.$name.xml"
  [ -f "$request" ] || { fail "no request for $answer"; continue; }
  verify_pinned "$examples/demo-gateway-signing.pem" "$answer" || fail "antwort.$name does not verify with demo-gateway-signing.pem"
  # Not with any other certificate: the pinning works.
  if verify_pinned "$examples/demo-authority-psw-01003110.pem" "$answer"; then fail "antwort.$name verifies with a wrong certificate"; fi
  [ "$(element anfrageDigest "$answer")" = "$(digest_of "$request")" ] || fail "antwort.$name is not bound to its request's bytes"
  uuid=$(element nachrichtenUUID "$request")
  grep -q "<nw:bezug><nw:nachrichtenUUID>$uuid<" "$answer" || fail "antwort.$name does not name the request's UUID"
  author=$(grep -o '<nw:autor><nw:verzeichnisdienst>dvdv</nw:verzeichnisdienst><nw:kennung>[^<]*' "$request" | sed 's/.*<nw:kennung>//')
  verify_pinned "$examples/demo-authority-${author/:/-}.pem" "$request" || fail "nachweisAnfrage.$name does not verify with its author's certificate"
done
python3 -m json.tool "$examples/catalogue.psw-01003110.json" > /dev/null || fail "the catalogue example is not JSON"

# --- against a running demo gateway ---
# shellcheck source=../support/demo_gateway.sh
source "$here/../support/demo_gateway.sh"
write_demo_config "$bin" 300
start_demo_gateway "$bin"
demo="$work/var/demo"
port=$(demo_port evidence)
someone=$(sed -n 2p "$work/var/registers/population.tsv" | cut -f1)
key="$demo/authorities/psw-01003110"

# The worked example of docs/INTEGRATION.md: a fresh UUID and time in the template, signed with
# stock xmlsec1 (the certificate only, not the CA), sent with curl.
fill() {  # <out> [time] [idnr] [type]
  sed -e "s/0b9e7c52-5f0d-4c1e-9a57-3d6f2b8e4a10/$(cat /proc/sys/kernel/random/uuid)/" \
      -e "s/2026-12-02T09:30:00Z/${2:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}/" -e "s/IDNR_OF_THE_PERSON/${3:-$someone}/" \
      -e "s/geburtsurkunde/${4:-geburtsurkunde}/" "$examples/nachweisAnfrage.template.xml" > "$1"
}
sign() { xmlsec1 --sign --privkey-pem "$key.key,$key.pem${3:-}" --output "$2" "$1"; }
send() {  # <request> <answer>; prints the HTTP status
  curl -s --cacert "$demo/ca.pem" --cert "$key.pem" --key "$key.key" -H 'Content-Type: application/xml' \
    --data-binary "@$1" -o "$2" -w '%{http_code}' "https://127.0.0.1:$port/v1/nachweis"
}
fill "$work/template.xml"
sign "$work/template.xml" "$work/signed.xml"
status=$(send "$work/signed.xml" "$work/answer.xml")
[ "$status" = 200 ] || fail "the worked example got HTTP $status: $(cat "$work/answer.xml")"
verify_pinned "$demo/gateway-signing.pem" "$work/answer.xml" || fail "the worked example's answer does not verify"
[ "$(element anfrageDigest "$work/answer.xml")" = "$(digest_of "$work/signed.xml")" ] || fail "the answer is not bound to the bytes sent"
grep -q "<nw:geburtsurkunde>" "$work/answer.xml" || fail "the worked example delivered no Geburtsurkunde"

# The same bytes again: a retry needs a new UUID and a new signature.
expect_error() {  # <request> <code> <words> <what>
  local status
  status=$(send "$1" "$work/error.xml")
  grep -q "<nw:code>$2</nw:code>" "$work/error.xml" || { fail "$4: expected $2, got HTTP $status $(cat "$work/error.xml")"; return; }
  grep -q -- "$3" "$work/error.xml" || fail "$4: the text does not say '$3': $(element text "$work/error.xml")"
  if grep -q -e "xmlSec" -e "malloc" "$work/error.xml"; then fail "$4: a library's own words in the answer"; fi
  verify_pinned "$demo/gateway-signing.pem" "$work/error.xml" || fail "$4: the error answer does not verify"
}
expect_error "$work/signed.xml" REPLAY "used already" "the same bytes sent twice"

# Inclusive C14N for SignedInfo (the default of .NET's SignedXml), really signed so.
fill "$work/inclusive.xml"
sed -i 's|<CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>|<CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>|' "$work/inclusive.xml"
sign "$work/inclusive.xml" "$work/inclusive.signed.xml"
expect_error "$work/inclusive.signed.xml" SIGNATURE_INVALID "inclusive C14N" "inclusive C14N"
# The CA's certificate in KeyInfo next to the signer's.
fill "$work/chain.xml"
sign "$work/chain.xml" "$work/chain.signed.xml" ",$demo/ca.pem"
expect_error "$work/chain.signed.xml" SIGNATURE_INVALID "without its CA or chain" "two certificates"
# Ten digits: the IDNr rules, not the schema.
fill "$work/short.xml" "" 1234567890
sign "$work/short.xml" "$work/short.signed.xml"
expect_error "$work/short.signed.xml" IDNR_INVALID "exactly 11 digits" "a 10-digit IDNr"
# A time without zone.
fill "$work/zoneless.xml" "$(date -u +%Y-%m-%dT%H:%M:%S)"
sign "$work/zoneless.xml" "$work/zoneless.signed.xml"
expect_error "$work/zoneless.signed.xml" TIME_INVALID "has no time zone" "a time without zone"
# A type no register holds, for which no rule exists either.
fill "$work/unknown.xml" "" "" sterbeurkunde
sign "$work/unknown.xml" "$work/unknown.signed.xml"
expect_error "$work/unknown.signed.xml" NO_REGISTER "GET /v1/catalogue" "an unknown evidence type"

# Addressed to another gateway: not replayable here.
fill "$work/elsewhere.xml"
sed -i 's|<nw:kennung>psw:99000001</nw:kennung>|<nw:kennung>psw:99000002</nw:kennung>|' "$work/elsewhere.xml"
sign "$work/elsewhere.xml" "$work/elsewhere.signed.xml"
expect_error "$work/elsewhere.signed.xml" WRONG_RECIPIENT "addressed to psw:99000002" "another gateway as leser"

# The catalogue and the client's --print-request.
catalogue=$(curl -s --cacert "$demo/ca.pem" --cert "$key.pem" --key "$key.key" "https://127.0.0.1:$port/v1/catalogue")
echo "$catalogue" | grep -q '"format":"oncegate-catalogue/1"' || fail "no catalogue: $catalogue"
echo "$catalogue" | grep -q '"leser":{"verzeichnisdienst":"dvdv","kennung":"psw:99000001"' || fail "the catalogue does not name leser"
"$bin/oncegate-client" --data-dir "$work/var" --print-request --idnr "$someone" --type geburtsurkunde > "$work/printed.xml"
xmllint --noout --schema "$xsd" "$work/printed.xml" 2>/dev/null || fail "--print-request is not valid against the schema"
verify_pinned "$key.pem" "$work/printed.xml" || fail "--print-request does not verify with xmlsec1"
status=$(send "$work/printed.xml" "$work/printed.answer.xml")
[ "$status" = 200 ] || fail "the printed request got HTTP $status"

if [ "$failures" -ne 0 ]; then echo "integration examples: $failures failed"; exit 1; fi
echo "integration examples: $count examples and the live checks passed"
