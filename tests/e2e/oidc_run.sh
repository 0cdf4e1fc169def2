#!/usr/bin/env bash
# The Datencockpit's sign-in against a real, independent OpenID provider: node-oidc-provider from
# npm (tests/e2e/oidc-provider.mjs) on a loopback port with its own CA, keys (RS256 ID tokens) and
# a confidential client; the gateway configured for it as for BundID (no demo provider); headless
# Chromium signs in, sees the person's transfers, logs out (ending the provider's session too) and
# tries an unknown account. Screenshots in <artifact-dir>/oidc-*.png.
set -euo pipefail
bin="$1"
artifacts="$2"
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$artifacts"
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

[ -x /usr/bin/chromium ] || { echo "chromium is missing: run scripts/test.sh, which installs it"; exit 1; }
[ -d "$here/node_modules/oidc-provider" ] || { echo "oidc-provider is missing: run scripts/test.sh"; exit 1; }

# The provider's own small PKI: a CA the gateway trusts for it, and a certificate for 127.0.0.1.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=oidc test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
  -keyout "$work/op-ca.key" -out "$work/op-ca.pem" 2> /dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
  -keyout "$work/op.key" -out "$work/op.csr" 2> /dev/null
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n' > "$work/op.ext"
openssl x509 -req -in "$work/op.csr" -CA "$work/op-ca.pem" -CAkey "$work/op-ca.key" -CAcreateserial -days 1 \
  -extfile "$work/op.ext" -out "$work/op.pem" 2> /dev/null

node "$here/oidc-provider.mjs" "$work/op.pem" "$work/op.key" "$work" > "$work/provider.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$work/provider.port" ] && break; sleep 0.1; done
[ -s "$work/provider.port" ] || { cat "$work/provider.log"; exit 1; }
issuer="https://127.0.0.1:$(cat "$work/provider.port")"

# The gateway as for a real provider: its issuer, a client secret (mode 0600), its CA.
secret=$(openssl rand -hex 24)
(umask 077 && printf '%s\n' "$secret" > "$work/client.secret")
"$bin/oncegate" --print-default-config |
  sed -e "s|^data_dir = .*|data_dir = \"$work/var\"|" -e 's|^port = 8443|port = 0|' -e 's|^port = 9443|port = 0|' \
      -e 's|^port = 8446|port = 0|' -e 's|^port = 8447|port = 0|' -e 's|^port = 8448|port = 0|' -e 's|8444|0|g' \
      -e 's|^population = .*|population = 500|' -e '/^demo_idp_key = /d' \
      -e "s|^demo_idp = true|demo_idp = false\nissuer = \"$issuer\"\nclient_secret_file = \"$work/client.secret\"\nca = \"$work/op-ca.pem\"|" \
  > "$work/oncegate.toml"
grep -q "^issuer = \"$issuer\"" "$work/oncegate.toml" || { echo "the configuration was not rewritten"; exit 1; }
"$bin/oncegate" --config "$work/oncegate.toml" 2> "$work/gateway.log" &
pids+=($!)
for _ in $(seq 1 300); do [ -s "$work/var/ports.json" ] && break; sleep 0.1; done
[ -s "$work/var/ports.json" ] || { cat "$work/gateway.log"; exit 1; }
port=$(sed -E 's/.*"cockpit": ?([0-9]+).*/\1/' "$work/var/ports.json")
idnr=$(sed -n 2p "$work/var/registers/population.tsv" | cut -f1)

# The client's registration at the provider, now that the cockpit's address is known.
printf '{"redirect_uri": "https://127.0.0.1:%s/cockpit/callback", "post_logout_redirect_uri": "https://127.0.0.1:%s/cockpit/", "client_secret": "%s", "accounts": {"anna": "%s"}}\n' \
  "$port" "$port" "$secret" "$idnr" > "$work/client.json"
for _ in $(seq 1 100); do [ -s "$work/provider.ready" ] && break; sleep 0.1; done
[ -s "$work/provider.ready" ] || { cat "$work/provider.log"; exit 1; }

for _ in 1 2; do
  "$bin/oncegate-client" --data-dir "$work/var" --idnr "$idnr" --type geburtsurkunde --quiet > /dev/null
done
node "$here/oidc.e2e.mjs" "https://127.0.0.1:$port" "$issuer" 2 "$artifacts" ||
  { echo "the gateway's operation log:"; tail -20 "$work/gateway.log"; echo "the provider's:"; tail -20 "$work/provider.log"; exit 1; }
