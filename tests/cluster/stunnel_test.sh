#!/usr/bin/env bash
# The store over TLS (docs/SCALE-OUT.md): Redis behind stunnel4 with the configurations of
# deploy/cluster/ as they are, only paths and ports replaced (and run as this user, not
# stunnel4):
#   1. a node's stunnel (stunnel-client.conf) reaches Redis through the store's stunnel
#      (stunnel-server.conf): PING answers PONG, the store's certificate verified;
#   2. a client without a certificate of the nodes' CA, or with one of another CA, gets nothing;
#   3. an oncegate node with [cluster] store = its stunnel's local end is ready, answers, and its
#      request id is in Redis;
#   4. the store's stunnel stopped: the node is unready (fail closed); started again: ready.
#   tests/cluster/stunnel_test.sh <bin dir>
set -euo pipefail
bin=$(cd "$1" && pwd)
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  for log in "$work"/*.log; do echo "--- $log"; tail -5 "$log"; done
  exit 1
}
command -v stunnel4 > /dev/null || fail "stunnel4 is missing (apt-get install stunnel4; scripts/test.sh installs it)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The store's CA and certificate, the nodes' CA and a node's client certificate, and a stranger's.
cd "$work"
issue() {  # issue NAME CA USAGE SAN: NAME.pem/.key signed by CA.pem
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$1" 2> /dev/null
  printf 'extendedKeyUsage=%s\n%s' "$3" "${4:+subjectAltName=$4}" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -out "$1.pem" -days 2 -extfile "$1.ext" 2> /dev/null
}
for ca in store-ca nodes-ca stranger-ca; do
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$ca.key" -out "$ca.pem" -days 2 -subj "/CN=$ca" 2> /dev/null
done
issue redis store-ca serverAuth "DNS:localhost,IP:127.0.0.1"
issue node nodes-ca clientAuth ""
issue stranger stranger-ca clientAuth ""

redis_port=$(free_port)
tls_port=$(free_port)
password=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
(umask 077; printf '%s\n' "$password" > redis-password)
redis-server --bind 127.0.0.1 --port "$redis_port" --requirepass "$password" --save '' --dir "$work" > redis.log 2>&1 &
pids+=($!)

# The examples, with this test's paths and ports; no setuid (this user), in the foreground.
as_test() {  # as_test EXAMPLE ACCEPT CONNECT: the example's settings with this run's paths
  sed -e '/^setuid/d' -e '/^setgid/d' \
      -e "s|^accept = .*|accept = 127.0.0.1:$2|" -e "s|^connect = .*|connect = $3|" \
      -e "s|^checkHost = .*|checkHost = localhost|" \
      -e "s|/etc/oncegate/redis-ca.pem|$work/store-ca.pem|" \
      -e "s|/etc/oncegate/redis-client.pem|$work/node.pem|" -e "s|/etc/oncegate/redis-client.key|$work/node.key|" \
      -e "s|/etc/stunnel/redis.pem|$work/redis.pem|" -e "s|/etc/stunnel/redis.key|$work/redis.key|" \
      -e "s|/etc/stunnel/oncegate-nodes-ca.pem|$work/nodes-ca.pem|" \
      "$repo/deploy/cluster/$1"
}
as_test stunnel-server.conf "$tls_port" "127.0.0.1:$redis_port" > server.conf
grep -q "^foreground = yes" server.conf && grep -q "^verifyChain = yes" server.conf && grep -q "^CAfile = $work/nodes-ca.pem" server.conf || fail "stunnel-server.conf changed shape"
start_server() { stunnel4 "$work/server.conf" > server.log 2>&1 & server_pid=$!; pids+=("$server_pid"); }
start_server
client_conf() {  # client_conf NAME PORT [CERT]: a node's stunnel, as the example, with CERT's key pair
  as_test stunnel-client.conf "$2" "localhost:$tls_port" > "$1.conf"
  if [ "${3:-node}" = none ]; then sed -i -e '/^cert =/d' -e '/^key =/d' "$1.conf"; fi
  if [ "${3:-node}" = stranger ]; then sed -i -e "s|$work/node.pem|$work/stranger.pem|" -e "s|$work/node.key|$work/stranger.key|" "$1.conf"; fi
  grep -q "^verifyChain = yes" "$1.conf" && grep -q "^checkHost = localhost" "$1.conf" || fail "stunnel-client.conf changed shape"
  stunnel4 "$work/$1.conf" > "$1.log" 2>&1 &
  pids+=($!)
}
node_port=$(free_port)
none_port=$(free_port)
stranger_port=$(free_port)
client_conf node-tunnel "$node_port"
client_conf no-certificate "$none_port" none
client_conf stranger "$stranger_port" stranger
ping() { REDISCLI_AUTH=$password timeout 5 redis-cli -p "$1" ping 2>/dev/null || true; }

echo "stunnel test: 1. through both tunnels"
for _ in $(seq 1 50); do [ "$(ping "$node_port")" = PONG ] && break; sleep 0.1; done
[ "$(ping "$node_port")" = PONG ] || fail "no PONG through the tunnels"
echo "stunnel test: 2. without the nodes' certificate"
[ "$(ping "$none_port")" = PONG ] && fail "a client without a certificate reached Redis"
[ "$(ping "$stranger_port")" = PONG ] && fail "a client with another CA's certificate reached Redis"
grep -qi "certificate" server.log || fail "the store's stunnel did not say why it refused"

echo "stunnel test: 3. a node through the tunnel"
"$bin/oncegate" --print-default-config |
  sed -e "s|^data_dir = .*|data_dir = \"$work/var\"|" -e 's|^port = 8443|port = 0|' -e 's|^port = 9443|port = 0|' -e 's|^port = 8446|port = 0|' -e 's|^port = 8447|port = 0|' -e 's|^port = 8448|port = 0|' -e 's|8444|0|g' -e 's|^population = .*|population = 200|' \
  > oncegate.toml
cat >> oncegate.toml <<TOML
[listeners.health]
address = "127.0.0.1"
port = 0
certificate = "demo/server.pem"
private_key = "demo/server.key"

[cluster]
node = "tunnelled"
store = "127.0.0.1:$node_port"
store_password_file = "$work/redis-password"
TOML
"$bin/oncegate" --config "$work/oncegate.toml" > gateway.out 2> gateway.log &
pids+=($!)
for _ in $(seq 1 300); do [ -s var/ports.json ] && break; sleep 0.1; done
[ -s var/ports.json ] || fail "the node did not start"
health=$(python3 -c "import json; print(json.load(open('var/ports.json'))['health'])")
readyz() { curl -s -o /dev/null -w '%{http_code}' --cacert var/demo/ca.pem "https://127.0.0.1:$health/readyz"; }
for _ in $(seq 1 100); do [ "$(readyz)" = 200 ] && break; sleep 0.1; done
[ "$(readyz)" = 200 ] || fail "the node is not ready through the tunnel"
idnr=$(sed -n 2p var/registers/population.tsv | cut -f1)
"$bin/oncegate-client" --data-dir var --idnr "$idnr" --type geburtsurkunde --quiet > client.out || fail "a request: $(cat client.out)"
REDISCLI_AUTH=$password redis-cli -p "$redis_port" --scan --pattern 'oncegate:replay:*' | grep -q . || fail "no request id in Redis"

echo "stunnel test: 4. the store's tunnel stopped, then back"
kill "$server_pid"
for _ in $(seq 1 50); do [ "$(readyz)" = 503 ] && break; sleep 0.1; done
[ "$(readyz)" = 503 ] || fail "the node is still ready without its store"
start_server
for _ in $(seq 1 100); do [ "$(readyz)" = 200 ] && break; sleep 0.1; done
[ "$(readyz)" = 200 ] || fail "the node is not ready again after the tunnel returned"
"$bin/oncegate-client" --data-dir var --idnr "$idnr" --type geburtsurkunde --quiet > client.out || fail "a request after: $(cat client.out)"
echo "stunnel test: passed"
