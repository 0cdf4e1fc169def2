#!/usr/bin/env bash
# A local oncegate cluster: Redis (the shared replay window), HAProxy (TCP passthrough, PROXY v2,
# leastconn, health checks on each node's readiness) and N gateway nodes, all on 127.0.0.1, from
# one demo PKI (the same demo authorities' keys and admin key work on every node).
#
#   cluster.sh up N DIR [BIN]   start; writes DIR/cluster.json once every node is ready
#   cluster.sh down DIR         stop everything started by `up`
#   cluster.sh stop-node DIR I  SIGTERM node I (1-based) and wait; start-node DIR I starts it again
#
# BIN is the directory with the oncegate binary (default: build/bin next to this script's
# repository). Ports are chosen by the system; HAProxy reaches the nodes from 127.0.0.2, the only
# address whose connections the nodes read a PROXY header from. docs/SCALE-OUT.md explains the
# topology; deploy/cluster/ holds the production examples.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

die() { echo "cluster.sh: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is missing ($2)"; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

json_get() {  # json_get FILE python-expression-on-j
  python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"
}

wait_for_file() {  # wait_for_file FILE SECONDS LOG
  for _ in $(seq 1 $(($2 * 10))); do
    [ -s "$1" ] && return 0
    sleep 0.1
  done
  [ -n "${3:-}" ] && tail -20 "$3" >&2
  return 1
}

# Node I's configuration: the embedded default, every listener on port 0 (fixed to the ports it
# got after the first start, so that a restarted node is where HAProxy expects it), its own data
# directory and log origin, a health listener for HAProxy, and the [cluster] section. drain_ms:
# on SIGTERM 1.5 s of readiness 503 while it serves on (HAProxy checks every 300 ms and two
# failures mark a node down), then the graceful stop.
write_node_config() {
  local dir=$1 i=$2 population=$3 redis_port=$4 cockpit_lb=$5
  local node="$dir/node-$i"
  mkdir -p "$node"
  "$BIN/oncegate" --print-default-config |
    sed -e "s|^data_dir = .*|data_dir = \"$node\"|" -E -e 's/^port = [0-9]+/port = 0/' -e 's|8444|0|g' \
        -e "s|^population = .*|population = $population|" \
        -e 's|^shutdown_grace_ms = .*|&\ndrain_ms = 1500|' \
        -e "s|^origin = \"oncegate.localhost/log/demo-1\"|origin = \"oncegate.localhost/log/node-$i\"|" \
        -e 's|^require_client_certificate = true|require_client_certificate = true\nproxy_protocol_from = ["127.0.0.2"]|' \
        -e 's|^\[listeners.cockpit\]|&\nproxy_protocol_from = ["127.0.0.2"]|' \
        -e "s|^\\[datacockpit\\]|&\\npublic_url = \"https://127.0.0.1:$cockpit_lb\"|" \
        > "$node/oncegate.toml"
  grep -q 'drain_ms' "$node/oncegate.toml" || die "the default configuration changed: no shutdown_grace_ms found"
  grep -q 'proxy_protocol_from' "$node/oncegate.toml" || die "the default configuration changed: no evidence listener found"
  grep -q '^public_url' "$node/oncegate.toml" || die "the default configuration changed: no [datacockpit] found"
  cat >> "$node/oncegate.toml" <<TOML

# The load balancer's probe: readiness only (200 or 503), no credentials.
[listeners.health]
address = "127.0.0.1"
port = 0
certificate = "demo/server.pem"
private_key = "demo/server.key"

# The other nodes ask this one for a citizen's transfers in its own log (the Datencockpit shows
# every node's): mutual TLS, and only the nodes' certificate (demo/cluster-node.pem) is answered.
[listeners.peer]
address = "127.0.0.1"
port = 0
certificate = "demo/server.pem"
private_key = "demo/server.key"
client_ca = "demo/ca.pem"

[cluster]
node = "node-$i"
store = "127.0.0.1:$redis_port"
store_password_file = "$dir/redis/password"
peer_certificate = "demo/cluster-node.pem"
peer_key = "demo/cluster-node.key"
TOML
}

# After the first start: the ports it got, written into its configuration.
pin_node_ports() {
  local node=$1
  python3 - "$node/oncegate.toml" "$node/ports.json" <<'PY'
import json, re, sys
config, ports = sys.argv[1], json.load(open(sys.argv[2]))
out, section = [], None
for line in open(config):
    m = re.match(r'^\[listeners\.(\w+)\]', line)
    if line.startswith('['):
        section = m.group(1) if m else None
    if section in ports and re.match(r'^port = 0\s*$', line):
        line = 'port = %d\n' % ports[section]
    out.append(line)
open(config, 'w').write(''.join(out))
PY
}

start_node() {  # start_node DIR I: in the background, waits until it wrote ports.json
  local node="$1/node-$2"
  rm -f "$node/ports.json"
  nohup "$BIN/oncegate" --config "$node/oncegate.toml" >> "$node/gateway.out" 2>> "$node/gateway.log" &
  echo $! > "$node/pid"
  wait_for_file "$node/ports.json" 120 "$node/gateway.log" || die "node-$2 did not start (see $node/gateway.log)"
}

wait_ready() {  # wait_ready PORT: the node's health listener says 200
  for _ in $(seq 1 300); do
    curl -s -o /dev/null -w '%{http_code}' --cacert "$DIR/pki/ca.pem" "https://127.0.0.1:$1/readyz" 2>/dev/null | grep -q 200 && return 0
    sleep 0.1
  done
  return 1
}

port_of() { json_get "$1/ports.json" "j['$2']"; }

# One balanced listener: FRONTEND on 127.0.0.1:PORT to every node's LISTENER, checked on its
# health listener, with the PROXY header from 127.0.0.2 (the only address the nodes read it from).
haproxy_listener() {  # haproxy_listener DIR COUNT FRONTEND PORT LISTENER
  local dir=$1 count=$2 name=$3 port=$4 listener=$5
  cat <<CFG

frontend $name
    bind 127.0.0.1:$port
    default_backend ${name}_nodes

backend ${name}_nodes
    balance leastconn
    source 127.0.0.2
    option httpchk
    http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host localhost
    http-check expect status 200
    default-server inter 300ms fall 2 rise 2 check-ssl verify required ca-file $dir/pki/ca.pem send-proxy-v2
CFG
  for i in $(seq 1 "$count"); do
    echo "    server node-$i 127.0.0.1:$(port_of "$dir/node-$i" "$listener") check port $(port_of "$dir/node-$i" health)"
  done
}

write_haproxy_config() {
  local dir=$1 count=$2 lb=$3 cockpit_lb=$4
  {
    cat <<CFG
# Written by cluster.sh. TCP passthrough: mutual TLS ends at the nodes.
global
    maxconn 4096
    log stdout format raw local0 notice

defaults
    mode tcp
    log global
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout check 1s
    # A connection refused by a node that just died is tried once more, on another node.
    retries 2
    option redispatch
CFG
    haproxy_listener "$dir" "$count" evidence "$lb" evidence
    # The Datencockpit: citizens' browsers on any node (sessions and sign-ins are in Redis).
    haproxy_listener "$dir" "$count" cockpit "$cockpit_lb" cockpit
  } > "$dir/haproxy.cfg"
}

write_cluster_json() {
  local dir=$1 count=$2
  python3 - "$dir" "$count" <<'PY'
import json, os, sys
d, n = sys.argv[1], int(sys.argv[2])
nodes = []
for i in range(1, n + 1):
    node = os.path.join(d, 'node-%d' % i)
    ports = json.load(open(os.path.join(node, 'ports.json')))
    nodes.append({'name': 'node-%d' % i, 'evidence': ports['evidence'], 'admin': ports['admin'],
                  'health': ports['health'], 'cockpit': ports.get('cockpit'), 'peer': ports.get('peer'), 'data_dir': node, 'config': os.path.join(node, 'oncegate.toml'),
                  'pid': int(open(os.path.join(node, 'pid')).read())})
cluster = {'lb': int(open(os.path.join(d, 'lb.port')).read()), 'cockpit_lb': int(open(os.path.join(d, 'cockpit-lb.port')).read()), 'redis': int(open(os.path.join(d, 'redis', 'port')).read()),
           'redis_pid': int(open(os.path.join(d, 'redis', 'pid')).read()),
           'haproxy_pid': int(open(os.path.join(d, 'haproxy.pid')).read()),
           'pki': os.path.join(d, 'pki'), 'nodes': nodes}
tmp = os.path.join(d, 'cluster.json.tmp')
json.dump(cluster, open(tmp, 'w'), indent=2)
os.replace(tmp, os.path.join(d, 'cluster.json'))
PY
}

start_redis() {
  local dir=$1
  mkdir -p "$dir/redis"
  [ -s "$dir/redis/password" ] || (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/redis/password")
  [ -s "$dir/redis/port" ] || free_port > "$dir/redis/port"
  (umask 077; cat > "$dir/redis/redis.conf" <<CONF
bind 127.0.0.1
port $(cat "$dir/redis/port")
requirepass $(cat "$dir/redis/password")
dir $dir/redis
appendonly yes
appendfsync everysec
save ""
daemonize no
logfile $dir/redis/redis.log
CONF
)
  nohup redis-server "$dir/redis/redis.conf" > /dev/null 2>&1 &
  echo $! > "$dir/redis/pid"
  for _ in $(seq 1 100); do
    REDISCLI_AUTH=$(cat "$dir/redis/password") redis-cli -p "$(cat "$dir/redis/port")" ping 2>/dev/null | grep -q PONG && return 0
    sleep 0.1
  done
  die "redis-server did not start (see $dir/redis/redis.log)"
}

up() {
  local count=$1
  DIR=$(mkdir -p "$2" && cd "$2" && pwd)
  [ "$count" -ge 1 ] 2>/dev/null || die "N must be a number of nodes (1 or more)"
  [ -e "$DIR/cluster.json" ] && die "$DIR/cluster.json exists: a cluster runs there (cluster.sh down $DIR)"
  need redis-server "apt-get install redis-server"
  need haproxy "apt-get install haproxy"
  need python3 "apt-get install python3"
  need curl "apt-get install curl"
  [ -x "$BIN/oncegate" ] || die "$BIN/oncegate is missing: build first (cmake --build build) or pass BIN"
  local population=${ONCEGATE_CLUSTER_POPULATION:-10000}
  start_redis "$DIR"
  local redis_port
  redis_port=$(cat "$DIR/redis/port")
  # Citizens reach the Datencockpit through HAProxy too: every node's sign-in uses its address.
  [ -s "$DIR/cockpit-lb.port" ] || free_port > "$DIR/cockpit-lb.port"
  for i in $(seq 1 "$count"); do write_node_config "$DIR" "$i" "$population" "$redis_port" "$(cat "$DIR/cockpit-lb.port")"; done
  # Node 1 makes the demo PKI, the admin keys, the pseudonym secret and the people; the others
  # get copies, so that one set of demo keys works everywhere.
  start_node "$DIR" 1
  for f in demo admin-keys.json pseudonym.secret registers; do
    for i in $(seq 2 "$count"); do cp -a "$DIR/node-1/$f" "$DIR/node-$i/"; done
  done
  mkdir -p "$DIR/pki"
  cp -a "$DIR/node-1/demo/." "$DIR/pki/"
  for i in $(seq 2 "$count"); do start_node "$DIR" "$i"; done
  for i in $(seq 1 "$count"); do
    pin_node_ports "$DIR/node-$i"
    wait_ready "$(port_of "$DIR/node-$i" health)" || die "node-$i is not ready (see $DIR/node-$i/gateway.log)"
  done
  [ -s "$DIR/lb.port" ] || free_port > "$DIR/lb.port"
  write_haproxy_config "$DIR" "$count" "$(cat "$DIR/lb.port")" "$(cat "$DIR/cockpit-lb.port")"
  haproxy -c -q -f "$DIR/haproxy.cfg" || die "HAProxy refuses $DIR/haproxy.cfg"
  nohup haproxy -f "$DIR/haproxy.cfg" -db >> "$DIR/haproxy.log" 2>&1 &
  echo $! > "$DIR/haproxy.pid"
  # Ready when HAProxy sees every node up: its health checks passed (rise 2).
  for _ in $(seq 1 100); do
    curl -s -o /dev/null --connect-timeout 1 "telnet://127.0.0.1:$(cat "$DIR/lb.port")" </dev/null 2>/dev/null && break
    sleep 0.1
  done
  sleep 1
  write_cluster_json "$DIR" "$count"
  echo "cluster of $count node(s) up: load balancer 127.0.0.1:$(cat "$DIR/lb.port"), $DIR/cluster.json"
}

stop_pid() {  # stop_pid PID SIGNAL: and wait until it is gone (at most 30 s)
  kill "-$2" "$1" 2>/dev/null || return 0
  for _ in $(seq 1 300); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$1" 2>/dev/null || true
}

down() {
  DIR=$(cd "$1" && pwd)
  for pidfile in "$DIR"/node-*/pid; do
    [ -e "$pidfile" ] && stop_pid "$(cat "$pidfile")" TERM &
  done
  wait
  [ -e "$DIR/haproxy.pid" ] && stop_pid "$(cat "$DIR/haproxy.pid")" TERM
  [ -e "$DIR/redis/pid" ] && stop_pid "$(cat "$DIR/redis/pid")" TERM
  rm -f "$DIR/cluster.json" "$DIR"/node-*/pid "$DIR/haproxy.pid" "$DIR/redis/pid"
  echo "cluster in $DIR stopped"
}

BIN=${BIN:-$repo/build/bin}
case "${1:-}" in
  up)
    [ $# -ge 3 ] || die "usage: cluster.sh up N DIR [BIN]"
    [ -n "${4:-}" ] && BIN=$(cd "$4" && pwd)
    up "$2" "$3"
    ;;
  down)
    [ $# -ge 2 ] || die "usage: cluster.sh down DIR"
    down "$2"
    ;;
  stop-node)
    [ $# -ge 3 ] || die "usage: cluster.sh stop-node DIR I"
    DIR=$(cd "$2" && pwd)
    stop_pid "$(cat "$DIR/node-$3/pid")" TERM
    ;;
  start-node)
    [ $# -ge 3 ] || die "usage: cluster.sh start-node DIR I [BIN]"
    [ -n "${4:-}" ] && BIN=$(cd "$4" && pwd)
    DIR=$(cd "$2" && pwd)
    start_node "$DIR" "$3"
    wait_ready "$(port_of "$DIR/node-$3" health)" || die "node-$3 is not ready"
    write_cluster_json "$DIR" "$(ls -d "$DIR"/node-* | wc -l)"
    ;;
  *)
    die "usage: cluster.sh up N DIR [BIN] | down DIR | stop-node DIR I | start-node DIR I [BIN]"
    ;;
esac
