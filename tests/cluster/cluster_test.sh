#!/usr/bin/env bash
# The cluster through its real parts: deploy/local-cluster/cluster.sh starts Redis, HAProxy and
# three gateway nodes on loopback ports the system picks.
#   1. through HAProxy: the node sees the client's own address (PROXY v2), not the balancer's;
#   2. a signed request accepted by node 1 is a REPLAY at nodes 2 and 3 (one replay window), an
#      admin change is in force everywhere, and the Datencockpit through HAProxy (signed in
#      across nodes) shows the person's transfers of all three nodes' logs (and names node 3
#      while it is stopped), also in a real browser;
#   3. SIGKILL of a node under load through HAProxy: at most the requests in flight on it fail,
#      every delivered answer has its record in some node's log, and the node rejoins;
#   4. a rolling restart of every node under load: no request fails (a connection closed before
#      any byte of an answer arrived is retried with a fresh request; the retries are counted);
#   5. Redis stopped: every node refuses (REPLAY_WINDOW_UNAVAILABLE) and is unready; when Redis
#      returns they serve again, and an id remembered before the outage is still a replay;
#   then every node's log verifies.
#   tests/cluster/cluster_test.sh <bin dir>
set -euo pipefail
bin=$(cd "$1" && pwd)
repo=$(cd "$(dirname "$0")/../.." && pwd)
cluster="$repo/deploy/local-cluster/cluster.sh"
work=$(mktemp -d)
cleanup() {
  "$cluster" down "$work/c" > /dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  for log in "$work"/c/node-*/gateway.log; do echo "--- $log"; tail -5 "$log"; done
  exit 1
}
started=$(date +%s)
step() { echo "cluster test: $1 ($(( $(date +%s) - started )) s)"; }

ONCEGATE_CLUSTER_POPULATION=2000 "$cluster" up 3 "$work/c" "$bin"
c="$work/c"
get() { python3 -c "import json,sys; j=json.load(open('$c/cluster.json')); print($1)"; }
lb=$(get "j['lb']")
node_port() { get "j['nodes'][$1-1]['$2']"; }
n1="$c/node-1"
idnr=$(sed -n 2p "$n1/registers/population.tsv" | cut -f1)
client() { "$bin/oncegate-client" --data-dir "$n1" --idnr "$idnr" --type geburtsurkunde --quiet "$@"; }
post() {  # post PORT FILE: the HTTP status and the error code
  curl -s -o "$work/answer.xml" -w '%{http_code}' --cacert "$c/pki/ca.pem" --cert "$c/pki/authorities/psw-01003110.pem" \
    --key "$c/pki/authorities/psw-01003110.key" -H 'content-type: application/xml' --data-binary "@$2" \
    "https://127.0.0.1:$1/v1/nachweis"
  sed -nE 's/.*<nw:code>([A-Z_]+)<.*/ \1/p' "$work/answer.xml"
}
readyz() { curl -s -o /dev/null -w '%{http_code}' --cacert "$c/pki/ca.pem" "https://127.0.0.1:$(node_port "$1" health)/readyz"; }

step "1. the real peer through HAProxy"
client --port "$lb" --bind 127.0.0.3 > "$work/out.txt" || fail "a request through HAProxy: $(cat "$work/out.txt")"
grep -q "HTTP 200" "$work/out.txt" || fail "through HAProxy: $(cat "$work/out.txt")"
sleep 0.3
cat "$c"/node-*/gateway.log | grep '"event":"exchange"' > "$work/exchanges.txt" || true
grep -q '"peer":"127.0.0.3:' "$work/exchanges.txt" || fail "no node logged the client's own address 127.0.0.3 (PROXY v2)"
grep -q '"peer":"127.0.0.2:' "$work/exchanges.txt" && fail "a node logged the load balancer's address as the peer"

step "2. one replay window"
client --print-request > "$work/request.xml"
[ "$(post "$(node_port 1 evidence)" "$work/request.xml")" = "200" ] || fail "node 1 did not accept a fresh request"
for n in 2 3; do
  answer=$(post "$(node_port "$n" evidence)" "$work/request.xml")
  [ "$answer" = "409 REPLAY" ] || fail "node $n answered '$answer' to a request node 1 had accepted"
done

step "2b. one configuration"
admin_key=$(cat "$n1/demo/admin-api-key")
admin() {  # admin METHOD NODE PATH [JSON]: the body; the status in $work/status
  local args=(-s -o "$work/admin.json" -w '%{http_code}' --cacert "$c/pki/ca.pem" -H "Authorization: Bearer $admin_key" -X "$1")
  [ -n "${4:-}" ] && args+=(-H 'content-type: application/json' --data "$4")
  curl "${args[@]}" "https://127.0.0.1:$(node_port "$2" admin)$3" > "$work/status"
  cat "$work/admin.json"
}
field() { python3 -c "import json,sys; print(json.load(open('$work/admin.json'))$1)"; }
version_of() { admin GET "$1" /admin/v1/cluster > /dev/null; field "['config_version']"; }
# Waits until nodes 1..3 run at least version $1 (GET /admin/v1/cluster); prints the
# milliseconds from $2 (ns since the epoch, taken before the change was sent) until the last
# node swapped it in, from the nodes' own "configuration_applied" lines.
in_force_everywhere() {
  for _ in $(seq 1 500); do
    local all=1
    for n in 1 2 3; do [ "$(version_of "$n")" -ge "$1" ] || all=0; done
    [ "$all" = 1 ] && break
    sleep 0.01
  done
  [ "$all" = 1 ] || return 1
  cat "$c"/node-*/gateway.log | python3 -c "
import json, sys, datetime
last = None
for line in sys.stdin:
    if '\"configuration_applied\"' not in line: continue
    entry = json.loads(line)
    if entry['change'] != 'shared configuration version $1': continue
    at = datetime.datetime.strptime(entry['ts'], '%Y-%m-%dT%H:%M:%S.%fZ').replace(tzinfo=datetime.timezone.utc)
    last = max(last or at, at)
print(int((last.timestamp() * 1e9 - $2) / 1e6))"
}
from=$(date +%s%N)
admin POST 1 /admin/v1/adapters/personenstand/disable > /dev/null
[ "$(cat "$work/status")" = 200 ] || fail "disable on node 1: $(cat "$work/admin.json")"
v=$(version_of 1)
ms=$(in_force_everywhere "$v" "$from") || fail "version $v did not reach every node"
echo "an admin change on node 1 (version $v) in force on nodes 2 and 3 after $ms ms"
[ "$ms" -lt 5000 ] || fail "the change took $ms ms to reach every node"
answer=$(post "$(node_port 3 evidence)" <(client --print-request))
[ "$answer" = "502 REGISTER_UNAVAILABLE" ] || fail "node 3 answered '$answer' with the register disabled on node 1"
from=$(date +%s%N)
admin POST 2 /admin/v1/adapters/personenstand/enable > /dev/null
v=$(version_of 2)
ms=$(in_force_everywhere "$v" "$from") || fail "version $v did not reach every node"
echo "an admin change on node 2 (version $v) in force on nodes 1 and 3 after $ms ms"
[ "$(post "$(node_port 1 evidence)" <(client --print-request))" = "200" ] || fail "node 1 did not serve again"
# Validated where it is received: a change that does not build is stored nowhere.
admin PUT 1 /admin/v1/adapters/broken '{"type":"no-such-type","settings":{}}' > /dev/null
[ "$(cat "$work/status")" = 400 ] || fail "a broken adapter was not refused: $(cat "$work/admin.json")"
admin GET 3 /admin/v1/cluster > /dev/null
[ "$(field "['stored_version']")" = "$v" ] || fail "a refused change was stored"
# A version that builds on node 1 but not elsewhere (a file only node 1 has): the others keep theirs.
cp "$c/pki/ca.pem" "$n1/only-here.pem"
admin PUT 1 /admin/v1/adapters/probe '{"type":"remote-https","settings":{"url":"https://127.0.0.1:9/","ca":"only-here.pem"}}' > /dev/null
[ "$(cat "$work/status")" = 200 ] || fail "the adapter with a local file on node 1: $(cat "$work/admin.json")"
bad=$(version_of 1)
for _ in $(seq 1 100); do admin GET 2 /admin/v1/cluster > /dev/null; [ "$(field "['failed_version']")" = "$bad" ] && break; sleep 0.05; done
[ "$(field "['failed_version']")" = "$bad" ] || fail "node 2 does not say it failed version $bad: $(cat "$work/admin.json")"
[ "$(field "['config_version']")" = "$v" ] || fail "node 2 does not run version $v any more"
curl -s --cacert "$c/pki/ca.pem" -H "Authorization: Bearer $admin_key" -o "$work/metrics.txt" \
  "https://127.0.0.1:$(node_port 2 admin)/admin/v1/metrics"
grep -q "^oncegate_config_version_failed $bad" "$work/metrics.txt" || fail "node 2's metrics do not name the failed version"
admin DELETE 1 /admin/v1/adapters/probe > /dev/null
[ "$(cat "$work/status")" = 200 ] || fail "removing the probe adapter: $(cat "$work/admin.json")"
in_force_everywhere "$(version_of 1)" "$(date +%s%N)" > /dev/null || fail "the version after the failed one did not reach every node"
admin POST 1 /admin/v1/signing-keys/rotate '{"generate":true}' > /dev/null
[ "$(cat "$work/status")" = 409 ] || fail "a generated key was not refused in a cluster: $(cat "$work/admin.json")"

step "2c. the Datencockpit: every node's log in one view, through HAProxy"
# The person's requests at each node, then a sign-in through the balancer (as a browser does:
# login, the provider's form, the callback; each request may land on another node: sessions and
# pending sign-ins are in Redis), and the list, from whichever node answers.
for n in 2 3; do client --port "$(node_port "$n" evidence)" > /dev/null || fail "a request at node $n"; done
jar="$work/cookies.txt"
cockpit="https://127.0.0.1:$(get "j['cockpit_lb']")"
ccurl() { curl -s --cacert "$c/pki/ca.pem" -c "$jar" -b "$jar" "$@"; }
authorize=$(ccurl -o /dev/null -w '%{redirect_url}' "$cockpit/cockpit/login")
callback=$(ccurl -o /dev/null -w '%{redirect_url}' --data "${authorize#*\?}&login=1&idnr=$idnr&acr=hoch" "$cockpit/cockpit/demo-idp/authorize")
ccurl -o /dev/null "$callback"
grep -q og_session "$jar" || fail "no Datencockpit session through HAProxy (authorize: $authorize, callback: $callback)"
view() {  # view: the citizen's list; prints "NODES-WITH-TRANSFERS|NODE:ANSWERED ..."
  ccurl "$cockpit/cockpit/api/transfers?limit=100" > "$work/view.json"
  python3 - "$work/view.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
print(' '.join(sorted({t['node'] for t in j['transfers']})) + '|' + ' '.join('%s:%s' % (n['node'], n['answered']) for n in j['nodes']))
PY
}
seen=$(view)
for _ in 1 2 3; do  # a new connection each: more than one node answers the citizen
  seen=$(view)
  [ "$seen" = "node-1 node-2 node-3|node-1:True node-2:True node-3:True" ] || fail "the view is '$seen': $(head -c 600 "$work/view.json")"
done
# The page in a real browser (when the browser phase's Chromium and playwright-core are there:
# scripts/test.sh installs them before this phase): all three nodes' transfers, node 2's proof
# verified in the browser, and node 3 named once it is stopped (the browser's STOP_COMMAND).
if [ -x /usr/bin/chromium ] && [ -d "$repo/tests/e2e/node_modules/playwright-core" ]; then
  artifacts=${ONCEGATE_ARTIFACTS:-$bin/../artifacts}
  mkdir -p "$artifacts"
  STOP_COMMAND="$cluster stop-node $c 3" node "$repo/tests/e2e/cluster.e2e.mjs" "$cockpit" 0 "$artifacts" ||
    fail "the Datencockpit of the cluster in the browser"
else
  echo "cluster test: the browser part needs Chromium and tests/e2e/node_modules (scripts/install-browser-test-deps.sh): not run"
  "$cluster" stop-node "$c" 3
fi
seen=$(view)
[ "$seen" = "node-1 node-2|node-1:True node-2:True node-3:False" ] || fail "with node 3 stopped the view is '$seen'"
"$cluster" start-node "$c" 3 "$bin" > /dev/null || fail "node 3 did not start again"
for _ in $(seq 1 100); do [ "$(readyz 3)" = "200" ] && break; sleep 0.1; done
# The Auskunft: one part per node's log. oncegate-logverify needs every log's key once any is given.
for _ in $(seq 1 20); do
  [ "$(ccurl -o "$work/auskunft.json" -w '%{http_code}' "$cockpit/cockpit/api/auskunft")" = 200 ] && break
  sleep 0.5
done
vk() { cat "$c/node-$1/log.vkey"; }
"$bin/oncegate-logverify" --proof "$work/auskunft.json" --vkey "$(vk 1)" --also-vkey "$(vk 2)" --also-vkey "$(vk 3)" > "$work/proof.txt" ||
  fail "the cluster's Auskunft did not verify with the three logs' keys: $(cat "$work/proof.txt")"
[ "$(grep -c '^OK: ' "$work/proof.txt")" = 3 ] || fail "not three parts verified: $(cat "$work/proof.txt")"
if "$bin/oncegate-logverify" --proof "$work/auskunft.json" --vkey "$(vk 1)" > "$work/proof.txt"; then
  fail "the Auskunft verified with node 1's key alone: $(cat "$work/proof.txt")"
fi
grep -q "no key was given for its log" "$work/proof.txt" || fail "logverify did not say which key is missing: $(cat "$work/proof.txt")"
# The national Datenschutzcockpit through the balancer: every node's log in one signed answer
# (the client checks the signature, the schema and the binding to its request).
"$bin/oncegate-client" --data-dir "$n1" --port "$(get "j['lb']")" --idnr "$idnr" --dsc --page-size 100 > "$work/dsc.txt" ||
  fail "the DSC's query through HAProxy: $(cat "$work/dsc.txt")"
grep -q "of 3 nodes' logs" "$work/dsc.txt" || fail "the DSC's answer is not every node's log: $(cat "$work/dsc.txt")"
for n in 1 2 3; do grep -q "^node-$n .*geburtsurkunde" "$work/dsc.txt" || fail "no entry of node $n in the DSC's answer: $(cat "$work/dsc.txt")"; done
seen=$(view)
[ "$seen" = "node-1 node-2 node-3|node-1:True node-2:True node-3:True" ] || fail "after node 3 returned the view is '$seen'"

step "3. SIGKILL of a node under load"
load() {  # load SECONDS REQUESTS OUT [flags]
  local seconds=$1 requests=$2 out=$3
  shift 3
  "$bin/oncegate-load" --data-dir "$n1" --port "$lb" --connections 12 --threads 1 --duration "$seconds" --warmup 0 \
    --verify 0.05 --requests "$requests" --delivered "$out.delivered" "$@" > "$out" 2> "$out.log"
}
under_load() {  # waits until the generator has signed its requests and sends, then SECONDS more
  for _ in $(seq 1 1200); do
    grep -q prepared "$1.log" 2>/dev/null && break
    sleep 0.1
  done
  grep -q prepared "$1.log" || fail "the load generator did not start: $(cat "$1.log")"
  sleep "$2"
}
load 6 6000 "$work/kill.json" &
load_pid=$!
under_load "$work/kill.json" 2
kill -KILL "$(node_port 2 pid)"
wait "$load_pid" || fail "the load under SIGKILL: $(cat "$work/kill.json" "$work/kill.json.log")"
python3 - "$work/kill.json" <<'PY' || fail "SIGKILL: $(cat "$work/kill.json")"
import json, sys
r = json.load(open(sys.argv[1]))
outcomes = r['outcomes']
lost = outcomes.get('connection_lost', 0)
other = {k: v for k, v in outcomes.items() if k not in ('delivered', 'connection_lost')}
print('SIGKILL: %d delivered, %d lost in flight, %s' % (outcomes.get('delivered', 0), lost, other or 'nothing else'))
# At most the requests in flight on the killed node: one per connection HAProxy had put there.
assert lost <= 12, 'more requests failed than were in flight'
assert not other, 'answers other than evidence'
assert outcomes.get('delivered', 0) > 100
assert r['verification_failures'] == 0
PY
cat "$work/kill.json.delivered" > "$work/acknowledged.txt"
"$cluster" start-node "$c" 2 "$bin" > /dev/null || fail "node 2 did not start again"
# It rejoins: HAProxy sends to it again once its checks pass.
before=$(grep -c '"event":"exchange"' "$c/node-2/gateway.log" || true)
sleep 1.5
for _ in $(seq 1 12); do client --port "$lb" > /dev/null || fail "a request after the restart"; done
after=$(grep -c '"event":"exchange"' "$c/node-2/gateway.log" || true)
[ "$after" -gt "$before" ] || fail "the restarted node 2 got no requests through HAProxy"

step "4. rolling restart under load"
# Open loop at a fixed rate: the requests it needs (200/s for 60 s) do not depend on how fast
# the machine is, so the prepared ones cannot run out before the restarts end.
load 60 16000 "$work/rolling.json" --retry-unanswered --rate 200 &
load_pid=$!
under_load "$work/rolling.json" 2
load_started=$(date +%s)
for n in 1 2 3; do
  "$cluster" stop-node "$c" "$n"
  "$cluster" start-node "$c" "$n" "$bin" > /dev/null || fail "node $n did not start again"
  sleep 1.5  # HAProxy's checks see it ready (rise 2 every 300 ms)
done
ended=$(date +%s)
[ $((ended - load_started)) -lt 56 ] || fail "the restarts took $((ended - load_started)) s, longer than the load runs"
wait "$load_pid" || fail "the load during the rolling restart: $(cat "$work/rolling.json" "$work/rolling.json.log")"
python3 - "$work/rolling.json" <<'PY' || fail "rolling restart: $(cat "$work/rolling.json")"
import json, sys
r = json.load(open(sys.argv[1]))
outcomes = r['outcomes']
failed = {k: v for k, v in outcomes.items() if k != 'delivered'}
print('rolling restart: %d delivered, %d retried (connection closed before any byte of an answer), failed: %s'
      % (outcomes.get('delivered', 0), r['retried_unanswered'], failed or 'none'))
assert not failed, 'requests failed'
assert r['prepared_exhausted'] == 0, 'the load ran out of requests before the restarts ended'
assert outcomes.get('delivered', 0) > 200
assert r['verification_failures'] == 0
PY
cat "$work/rolling.json.delivered" >> "$work/acknowledged.txt"

step "5. Redis stopped"
client --print-request > "$work/before-outage.xml"
[ "$(post "$(node_port 1 evidence)" "$work/before-outage.xml")" = "200" ] || fail "node 1 before the outage"
sleep 1.2  # appendfsync everysec: the id is on Redis's disk
redis_pid=$(get "j['redis_pid']")
kill -KILL "$redis_pid"
for n in 1 2 3; do
  for _ in $(seq 1 50); do [ "$(readyz "$n")" = "503" ] && break; sleep 0.1; done
  [ "$(readyz "$n")" = "503" ] || fail "node $n is still ready without Redis"
done
client --print-request > "$work/during-outage.xml"
answer=$(post "$(node_port 3 evidence)" "$work/during-outage.xml")
[ "$answer" = "503 REPLAY_WINDOW_UNAVAILABLE" ] || fail "without Redis node 3 answered '$answer'"
observer_key=$(cat "$n1/demo/observer-api-key")
curl -s --cacert "$c/pki/ca.pem" -H "Authorization: Bearer $observer_key" -o "$work/metrics.txt" \
  "https://127.0.0.1:$(node_port 1 admin)/admin/v1/metrics"
grep -q '^oncegate_store_up 0' "$work/metrics.txt" || fail "node 1's metrics do not say the store is down"
nohup redis-server "$c/redis/redis.conf" > /dev/null 2>&1 &
echo $! > "$c/redis/pid"
for n in 1 2 3; do
  for _ in $(seq 1 100); do [ "$(readyz "$n")" = "200" ] && break; sleep 0.1; done
  [ "$(readyz "$n")" = "200" ] || fail "node $n is not ready again after Redis returned"
done
answer=$(post "$(node_port 2 evidence)" "$work/before-outage.xml")
[ "$answer" = "409 REPLAY" ] || fail "after the outage node 2 answered '$answer' to an id Redis had kept"
client --port "$lb" > /dev/null || fail "no service after Redis returned"

step "every node's log verifies; every delivered answer has its record"
"$cluster" down "$c" > /dev/null
cp "$work/acknowledged.txt" "$work/missing.txt"
for n in 1 2 3; do
  node="$c/node-$n"
  "$bin/oncegate-logverify" --log "$node/log" --vkey-file "$node/log.vkey" --cert "$node/demo/gateway-signing.pem" \
    --expect-requests "$work/missing.txt" > "$work/verify-$n.txt" || true
  grep -q '^OK: [0-9]* records' "$work/verify-$n.txt" || fail "node $n's log: $(head -3 "$work/verify-$n.txt")"
  sed -n 's/^MISSING: no record of request //p' "$work/verify-$n.txt" > "$work/missing.next"
  mv "$work/missing.next" "$work/missing.txt"
  echo "node $n: $(head -1 "$work/verify-$n.txt")"
  [ -s "$work/missing.txt" ] || break
done
[ -s "$work/missing.txt" ] && fail "$(wc -l < "$work/missing.txt") delivered answers have no record in any node's log"
echo "cluster test: passed, $(wc -l < "$work/acknowledged.txt") delivered answers all recorded ($(( $(date +%s) - started )) s)"
