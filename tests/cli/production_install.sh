#!/usr/bin/env bash
# The production install as docs/OPERATIONS.md describes it, from nothing: `cmake --install` into a
# temporary root (DESTDIR), the unit checked with systemd-analyze (these machines do not run
# systemd as PID 1, so it is verified, not started), a PKI of the authority's own made with
# openssl, the production example configuration with its paths moved into the temporary root,
# `oncegate --check-config` naming every problem at once, `oncegate init`, the check again, then
# the installed gateway started on it and a real request served through a remote register.
set -euo pipefail
build="$(cd "$1" && pwd)"
source_dir="$(cd "$(dirname "$0")/../.." && pwd)"
for tool in openssl systemd-analyze curl; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: scripts/test.sh installs it"; exit 1; }
done
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

# --- install ---
root="$work/root"
DESTDIR="$root" cmake --install "$build" > "$work/install.log"
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
installed="$root$prefix"
for file in bin/oncegate bin/oncegate-client bin/oncegate-logverify bin/oncegate-witness bin/oncegate-register \
            share/oncegate/xsd/oncegate-nachweis-1.xsd share/oncegate/xsd/oncegate-dsc-1.xsd \
            share/oncegate/cockpit/index.html share/oncegate/oncegate.production.example.toml \
            share/doc/oncegate/OPERATIONS.md share/doc/oncegate/INTEGRATION.md \
            share/doc/oncegate/examples/nachweisAnfrage.template.xml \
            lib/systemd/system/oncegate.service lib/sysusers.d/oncegate.conf; do
  [ -e "$installed/$file" ] || fail "cmake --install did not install $file"
done
bin="$installed/bin"

# The unit as installed, with its commands pointing into the temporary root so that
# systemd-analyze can check they exist and are executable.
mkdir -p "$work/unit"
sed "s|$prefix/bin/|$bin/|g" "$installed/lib/systemd/system/oncegate.service" > "$work/unit/oncegate.service"
systemd-analyze verify "$work/unit/oncegate.service" 2>&1 | tee "$work/verify.log"
[ ! -s "$work/verify.log" ] || fail "systemd-analyze verify found problems"
# A cluster node: the unit with the drop-in of deploy/cluster (after its stunnel, a longer stop).
dropin="$installed/share/doc/oncegate/cluster/oncegate.service.d/cluster.conf"
[ -f "$dropin" ] || fail "cmake --install did not install the cluster's systemd drop-in"
for example in haproxy.cfg redis.conf stunnel-client.conf stunnel-server.conf oncegate-cluster.toml; do
  [ -f "$installed/share/doc/oncegate/cluster/$example" ] || fail "cmake --install did not install the cluster example $example"
done
mkdir -p "$work/unit/oncegate.service.d"
cp "$dropin" "$work/unit/oncegate.service.d/"
if [ -f /lib/systemd/system/stunnel@.service ]; then
  systemd-analyze verify "$work/unit/oncegate.service" 2>&1 | tee "$work/verify-cluster.log"
  [ ! -s "$work/verify-cluster.log" ] || fail "systemd-analyze verify found problems with the cluster's drop-in"
else
  echo "production install: stunnel4 is not installed; the cluster drop-in's unit check needs its stunnel@.service"
  exit 1
fi
rm -r "$work/unit/oncegate.service.d"
for directive in "User=oncegate" "ProtectSystem=strict" "NoNewPrivileges=yes" "PrivateTmp=yes" \
                 "CapabilityBoundingSet=" "LimitNOFILE=" "ReadWritePaths=/var/lib/oncegate"; do
  grep -q "^$directive" "$work/unit/oncegate.service" || fail "the unit lacks $directive"
done

# --- the authority's PKI (openssl), laid out as the example configuration names it ---
etc="$work/etc/oncegate"
data="$work/var/lib/oncegate"
mkdir -p "$etc"/{tls,trust,keys,authorities,operators,registers,secrets}
pki="$work/pki"
mkdir -p "$pki"
new_ca() {  # <file stem> <name>
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.pem" -days 400 \
    -subj "/O=Land Test/CN=$2" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}
issue() {  # <ca stem> <out stem> <common name> <extensions>
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$2.key" -out "$2.csr" \
    -subj "/O=Land Test/CN=$3" 2>/dev/null
  printf '%s\n' "$4" > "$2.ext"
  openssl x509 -req -in "$2.csr" -CA "$1.pem" -CAkey "$1.key" -CAcreateserial -days 400 -out "$2.pem" \
    -extfile "$2.ext" 2>/dev/null
  rm -f "$2.csr" "$2.ext"
}
server_ext=$'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost'
client_ext=$'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth'
signing_ext=$'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation'
new_ca "$pki/verwaltung" "Verwaltungs-PKI Test-CA"
new_ca "$pki/operations" "Betrieb Test-CA"
new_ca "$pki/registers" "Register Test-CA"
cp "$pki/verwaltung.pem" "$etc/trust/verwaltungs-pki-ca.pem"
cp "$pki/operations.pem" "$etc/tls/operations-ca.pem"
for listener in server cockpit log.example.de admin-server; do
  issue "$pki/verwaltung" "$etc/tls/$listener" "$listener" "$server_ext"
done
mv "$etc/tls/server.pem" "$etc/tls/server-chain.pem"
mv "$etc/tls/cockpit.pem" "$etc/tls/cockpit-chain.pem"
cp "$pki/verwaltung.pem" "$etc/tls/witness-ca.pem"
issue "$pki/verwaltung" "$etc/keys/answer-signing" "Vermittlungsstelle Test Antwortsignatur" "$signing_ext"
# Each authority with a TLS client certificate and, for the first, a separate signing certificate.
for kennung in psw-01003110 psw-02004220 psw-03005330; do
  issue "$pki/verwaltung" "$pki/$kennung" "$kennung" "$client_ext"
  cp "$pki/$kennung.pem" "$etc/authorities/$kennung.pem"
done
issue "$pki/verwaltung" "$pki/psw-01003110-signing" "psw-01003110 Signatur" "$signing_ext"
cp "$pki/psw-01003110-signing.pem" "$etc/authorities/psw-01003110-signing.pem"
for operator in betrieb-schicht-a monitoring; do
  issue "$pki/operations" "$pki/$operator" "$operator" "$client_ext"
  cp "$pki/$operator.pem" "$etc/operators/$operator.pem"
done
for register in personenstand niedersachsen bremen; do cp "$pki/registers.pem" "$etc/registers/$register-ca.pem"; done
issue "$pki/registers" "$pki/register-server" "register" "$server_ext"
issue "$pki/registers" "$etc/registers/oncegate-client" "oncegate" "$client_ext"
printf 'client-secret-from-the-identity-provider\n' > "$etc/secrets/oidc-client.secret"
chmod 600 "$etc"/*/*.key "$etc/secrets/oidc-client.secret"
chmod 644 "$etc/tls/server.key"  # a mistake for --check-config to find

# Two sample registers over HTTPS as the remote registers (a tiny population of two people).
printf 'idnr\tfamilienname\tvornamen\tgeburtsname\tgeschlecht\tgeburtsdatum\tgeburtsort\tgeburtsort_ags\tstrasse\thausnummer\tpostleitzahl\twohnort\twohnort_ags\teinzugsdatum\n18062734392\tBerger\tHorst\tBerger\tmaennlich\t1960-08-04\tHildesheim\t03254021\tGoethestraße\t38b\t31134\tHildesheim\t03254021\t2007-12-13\n56343190822\tLang\tElias\tLang\tmaennlich\t1942-03-21\tOldenburg (Oldb)\t03403000\tFliederweg\t64\t26122\tOldenburg (Oldb)\t03403000\t2007-02-08\n' > "$work/population.tsv"
start_register() {  # <kind> <port file>
  "$bin/oncegate-register" --kind "$1" --population "$work/population.tsv" --cert "$pki/register-server.pem" \
    --key "$pki/register-server.key" --client-ca "$pki/registers.pem" --port 0 --port-file "$2" 2>> "$work/registers.log" &
  pids+=($!)
  for _ in $(seq 1 100); do [ -s "$2" ] && return 0; sleep 0.1; done
  fail "the sample register did not start: $(cat "$work/registers.log")"
}
start_register geburtsurkunde "$work/personenstand.port"
start_register meldebescheinigung "$work/melde.port"
personenstand=$(sed -E 's/.*"port": ?([0-9]+).*/\1/' "$work/personenstand.port")
melde=$(sed -E 's/.*"port": ?([0-9]+).*/\1/' "$work/melde.port")

# --- the configuration: the example, its paths in the temporary root, every port free ---
config="$etc/oncegate.toml"
sed -e "s|/etc/oncegate|$etc|g" -e "s|/var/lib/oncegate|$data|g" -e 's|^port = [0-9]*|port = 0|' \
    -e "s|https://personenstand.register.example:443/zentral|https://127.0.0.1:$personenstand|" \
    -e "s|https://melderegister.niedersachsen.example|https://127.0.0.1:$melde|" \
    -e "s|https://melderegister.bremen.example|https://127.0.0.1:$melde|" \
    -e "s|certificates = \[\"$etc/authorities/psw-01003110.pem\"\]|certificates = [\"$etc/authorities/psw-01003110.pem\", \"$etc/authorities/psw-01003110-signing.pem\"]|" \
    -e 's|^witness_quorum = 1|witness_quorum = 0|' \
    -e "s|^backup_dir = \"/var/backups/oncegate\"|backup_dir = \"$work/backup-disk\"|" \
    "$installed/share/oncegate/oncegate.production.example.toml" > "$config"
# The witness is another party's service (cli_witness_smoke runs one); here the log goes without.
python3 - "$config" <<'PY'
import re, sys
path = sys.argv[1]
text = open(path).read()
text = re.sub(r'\[\[log\.witnesses\]\]\n(?:[a-z_]+ = .*\n)+', '', text)
open(path, 'w').write(text)
PY
grep -q "psw-01003110-signing.pem" "$config" || fail "the second certificate was not registered"
grep -q "^backup_dir = " "$config" || fail "no backup directory configured"

# --- first check: every problem at once, and nothing changed ---
set +e
"$bin/oncegate" --check-config "$config" > "$work/check1.txt"
status=$?
set -e
cat "$work/check1.txt"
[ "$status" -ne 0 ] || fail "--check-config passed a configuration with missing files"
for expected in "gateway.data_dir" "log.pseudonym_secret" "log.key" "listeners.evidence key: .*readable by its group or others"; do
  grep -q "^problem  $expected" "$work/check1.txt" || fail "--check-config did not report $expected"
done
[ "$(grep -c '^problem' "$work/check1.txt")" -ge 4 ] || fail "--check-config stopped at the first problem"
[ ! -e "$data" ] || fail "--check-config created the data directory"

# --- oncegate init, then the check until it is ready ---
"$bin/oncegate" init --config "$config" > "$work/init.txt"
cat "$work/init.txt"
grep -q "created  pseudonym secret" "$work/init.txt" || fail "init made no pseudonym secret"
admin_key=$(grep -A1 "first admin API key" "$work/init.txt" | tail -1 | tr -d ' ')
[ -n "$admin_key" ] || fail "init printed no admin key"
[ "$(stat -c %a "$data/pseudonym.secret")" = 600 ] || fail "the pseudonym secret is not mode 0600"
[ "$(stat -c %a "$data/log-key.pem")" = 600 ] || fail "the log key is not mode 0600"
[ "$(stat -c %a "$data")" = 700 ] || fail "the data directory is not mode 0700"
if grep -q "$admin_key" "$data/admin-keys.json"; then fail "the admin key is stored in clear"; fi
# A second init keeps everything.
"$bin/oncegate" init --config "$config" | grep -q "kept     pseudonym secret" || fail "a second init did not keep the secret"
set +e
"$bin/oncegate" --check-config "$config" > "$work/check2.txt"
status=$?
set -e
[ "$status" -ne 0 ] || fail "--check-config accepted a world-readable TLS key"
grep -q "^problem  listeners.evidence key" "$work/check2.txt" || fail "the key's mode is not reported"
chmod 600 "$etc/tls/server.key"
"$bin/oncegate" --check-config "$config" > "$work/check3.txt" || { cat "$work/check3.txt"; fail "still not ready"; }
grep -q "is ready to start" "$work/check3.txt" || fail "no ready line"

# A secret opened up afterwards: the gateway itself refuses to start on it.
chmod 644 "$data/pseudonym.secret"
set +e
"$bin/oncegate" --config "$config" > "$work/refused.out" 2>&1
status=$?
set -e
[ "$status" -ne 0 ] || fail "the gateway started with a world-readable pseudonym secret"
grep -q "pseudonym secret.*chmod 600" "$work/refused.out" || fail "the refusal does not say what to do: $(cat "$work/refused.out")"
chmod 600 "$data/pseudonym.secret"

# --- start the installed gateway and serve a request ---
"$bin/oncegate" --config "$config" > "$work/gateway.out" 2> "$work/gateway.log" &
pids+=($!)
for _ in $(seq 1 200); do [ -s "$data/ports.json" ] && break; sleep 0.1; done
[ -s "$data/ports.json" ] || fail "the gateway did not start: $(cat "$work/gateway.out" "$work/gateway.log")"
port() { sed -E "s/.*\"$1\": ?([0-9]+).*/\1/" "$data/ports.json"; }
grep -q "serving evidence requests on https://0.0.0.0:$(port evidence)/v1/nachweis (every IPv4 address of this host)" \
  "$work/gateway.out" || fail "the banner does not name the address bound: $(cat "$work/gateway.out")"
# TLS with the authority's client certificate, the request signed with its separate signing key.
out=$("$bin/oncegate-client" --host 127.0.0.1 --port "$(port evidence)" --ca "$pki/verwaltung.pem" \
  --cert "$pki/psw-01003110.pem" --key "$pki/psw-01003110.key" --gateway-cert "$etc/keys/answer-signing.pem" \
  --idnr 18062734392 --type geburtsurkunde --quiet 2>&1) || fail "the request failed: $out"
echo "$out" | grep -q "HTTP 200 geburtsurkunde from Personenstandsregister" || fail "no evidence: $out"
# The admin listener takes the key init printed, and an operator's certificate.
ready=$(curl -s --cacert "$pki/verwaltung.pem" -H "Authorization: Bearer $admin_key" "https://127.0.0.1:$(port admin)/admin/v1/readyz")
echo "$ready" | grep -q '"ready":true' || fail "readyz: $ready"
ready=$(curl -s --cacert "$pki/verwaltung.pem" --cert "$pki/monitoring.pem" --key "$pki/monitoring.key" \
  "https://127.0.0.1:$(port admin)/admin/v1/readyz")
echo "$ready" | grep -q '"ready":true' || fail "readyz with the operator certificate: $ready"

# --- backup to the other disk, lose the data directory, restore, serve again ---
backup=$(curl -s --cacert "$pki/verwaltung.pem" -H "Authorization: Bearer $admin_key" -X POST \
  "https://127.0.0.1:$(port admin)/admin/v1/log/backup")
directory=$(echo "$backup" | python3 -c 'import json, sys; print(json.load(sys.stdin)["directory"])')
case "$directory" in "$work/backup-disk/"*) ;; *) fail "the backup is not on the backup disk: $backup" ;; esac
records=$(echo "$backup" | python3 -c 'import json, sys; print(json.load(sys.stdin)["log_size"])')
[ "$records" -ge 1 ] || fail "the backup holds no record"
cp "$data/log.vkey" "$work/log.vkey"  # public: published at /log/v1/vkey
kill -TERM "${pids[-1]}"; wait "${pids[-1]}" || true
rm -rf "$data"
"$bin/oncegate" restore --config "$config" --backup "$directory" > "$work/restore.txt" || fail "restore: $(cat "$work/restore.txt")"
grep -q "restored transfer log" "$work/restore.txt" || fail "restore did not restore the log: $(cat "$work/restore.txt")"
[ "$(stat -c %a "$data/pseudonym.secret")" = 600 ] || fail "the restored pseudonym secret is not mode 0600"
"$bin/oncegate" restore --config "$config" --backup "$directory" > /dev/null && fail "a second restore overwrote the log"
"$bin/oncegate-logverify" --log "$data/log" --vkey-file "$work/log.vkey" | grep -q "OK: $records records" ||
  fail "the restored log does not verify"
"$bin/oncegate" --check-config "$config" > /dev/null || fail "the restored configuration is not ready"
"$bin/oncegate" --config "$config" > "$work/gateway2.out" 2> "$work/gateway2.log" &
pids+=($!)
for _ in $(seq 1 200); do [ -s "$data/ports.json" ] && break; sleep 0.1; done
[ -s "$data/ports.json" ] || fail "the restored gateway did not start: $(cat "$work/gateway2.out")"
out=$("$bin/oncegate-client" --host 127.0.0.1 --port "$(port evidence)" --ca "$pki/verwaltung.pem" \
  --cert "$pki/psw-01003110.pem" --key "$pki/psw-01003110.key" --gateway-cert "$etc/keys/answer-signing.pem" \
  --idnr 18062734392 --type geburtsurkunde --quiet 2>&1) || fail "after the restore: $out"
ready=$(curl -s --cacert "$pki/verwaltung.pem" -H "Authorization: Bearer $admin_key" "https://127.0.0.1:$(port admin)/admin/v1/readyz")
echo "$ready" | grep -q "\"log_size\":$((records + 1))" || fail "the restored log did not go on: $ready"
echo "production install: 1 passed, 0 failed"
