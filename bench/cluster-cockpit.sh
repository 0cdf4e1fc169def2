#!/usr/bin/env bash
# The Datencockpit of a cluster (docs/SCALE-OUT.md, bench/README.md): three nodes from the
# Release build (deploy/local-cluster/cluster.sh) with ten people, so that each person has a few
# hundred transfers spread over the three logs (oncegate-load through HAProxy), then one citizen
# signed in at node 1 asks, on one keep-alive connection, paced under the listener's per-source
# limit:
#   GET /cockpit/api/transfers?limit=50   (node 1's part and both other nodes', merged)
#   GET /cockpit/api/overview             (all of the person's entries on every node counted)
# first with every node answering, then with node 3 stopped (SIGSTOP: it hangs, so every answer
# waits for the deadline, peer_timeout_ms) and after it is let go again (SIGCONT); then the
# national Datenschutzcockpit's question at node 1, merged over the three logs the same way.
#   bench/cluster-cockpit.sh [BIN=build/bin] [QUERIES=300]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=$(cd "${1:-$repo/build/bin}" && pwd)
queries=${2:-300}
work=$(mktemp -d)
cluster="$repo/deploy/local-cluster/cluster.sh"
trap '"$cluster" down "$work/c" > /dev/null 2>&1 || true; rm -rf "$work"' EXIT
ONCEGATE_CLUSTER_POPULATION=10 "$cluster" up 3 "$work/c" "$bin" > /dev/null
c="$work/c"
lb=$(python3 -c "import json; print(json.load(open('$c/cluster.json'))['lb'])")
"$bin/oncegate-load" --data-dir "$c/node-1" --port "$lb" --connections 16 --threads 1 --rate 300 \
  --duration 10 --warmup 0 --oots-share 0 --verify 0 > "$work/load.json" 2> /dev/null
python3 -c "import json; r=json.load(open('$work/load.json')); print('filled: %d answers through HAProxy (%s)' % (r['answers'], r['outcomes']))"
sleep 2  # the newest entries under a checkpoint
cockpit=$(python3 -c "import json; print(json.load(open('$c/cluster.json'))['nodes'][0]['cockpit'])")
idnr=$(sed -n 2p "$c/node-1/registers/population.tsv" | cut -f1)
node3=$(python3 -c "import json; print(json.load(open('$c/cluster.json'))['nodes'][2]['pid'])")

python3 - "$cockpit" "$c/pki/ca.pem" "$idnr" "$queries" "$node3" <<'PY'
import http.client, json, os, signal, ssl, sys, time, urllib.parse

port, ca, idnr, queries, node3 = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
context = ssl.create_default_context(cafile=ca)
connection = http.client.HTTPSConnection('127.0.0.1', port, context=context)

def request(method, target, body=None, headers=None):
    connection.request(method, target, body=body, headers=headers or {})
    reply = connection.getresponse()
    data = reply.read()
    return reply, data

def cookie(reply, name):
    for header, value in reply.getheaders():
        if header.lower() == 'set-cookie' and value.startswith(name + '='):
            return value.split(';')[0]
    raise SystemExit('no cookie ' + name)

login, _ = request('GET', '/cockpit/login')
state = cookie(login, 'og_login')
query = urllib.parse.urlsplit(login.getheader('Location')).query
authorized, _ = request('POST', '/cockpit/demo-idp/authorize', body=query + '&login=1&idnr=' + idnr + '&acr=hoch',
                        headers={'Content-Type': 'application/x-www-form-urlencoded'})
back = urllib.parse.urlsplit(authorized.getheader('Location'))
callback, _ = request('GET', back.path + '?' + back.query, headers={'Cookie': state})
session = {'Cookie': cookie(callback, 'og_session')}

def measure(target, count):
    times, bodies = [], []
    for _ in range(count):
        started = time.perf_counter()
        reply, data = request('GET', target, headers=session)
        times.append((time.perf_counter() - started) * 1000)
        if reply.status != 200:
            raise SystemExit('%s answered %d: %s' % (target, reply.status, data[:200]))
        bodies.append(data)
        time.sleep(max(0.0, 1 / 40 - times[-1] / 1000))  # under the cockpit's 50 requests/s per source
    times.sort()
    pick = lambda q: times[min(len(times) - 1, int(q * len(times)))]
    last = json.loads(bodies[-1])
    return pick(0.5), pick(0.99), times[-1], last, len(bodies[-1])

def report(label, target, count):
    p50, p99, top, body, size = measure(target, count)
    nodes = ' '.join('%s:%s' % (n['node'], 'yes' if n['answered'] else 'no') for n in body['nodes'])
    extra = ''
    if 'transfers' in body:
        extra = '%d transfers of %d nodes, %d KB' % (len(body['transfers']), len({t['node'] for t in body['transfers']}), size // 1024)
    else:
        extra = '%d delivered counted' % body['delivered']
    print('| %s | `%s` | %.2f | %.2f | %.1f | %s | %s |' % (label, target, p50, p99, top, nodes, extra))

print('| nodes | question | p50 ms | p99 ms | max ms | answered | answer |')
print('|---|---|---|---|---|---|---|')
report('3 answering', '/cockpit/api/transfers?limit=50', queries)
report('3 answering', '/cockpit/api/overview', max(20, queries // 3))
os.kill(node3, signal.SIGSTOP)
try:
    time.sleep(1.2)  # the directory is read again
    report('node-3 hangs (SIGSTOP)', '/cockpit/api/transfers?limit=50', max(20, queries // 10))
finally:
    os.kill(node3, signal.SIGCONT)
time.sleep(1)
report('3 answering again', '/cockpit/api/transfers?limit=50', max(20, queries // 3))
PY

# The national Datenschutzcockpit's question at node 1 (POST /v1/dsc/protokolldaten, the newest
# 50 of every node's log with their proofs, signed): requests signed beforehand by oncegate-client
# (a fresh id each), sent on one keep-alive connection with the DSC's certificate.
evidence=$(python3 -c "import json; print(json.load(open('$c/cluster.json'))['nodes'][0]['evidence'])")
dsc_requests=$((queries / 3 > 20 ? queries / 3 : 20))
mkdir -p "$work/dsc"
for i in $(seq 1 $((dsc_requests + 20))); do
  "$bin/oncegate-client" --data-dir "$c/node-1" --idnr "$idnr" --dsc --page-size 50 --print-request > "$work/dsc/$i.xml"
done
python3 - "$evidence" "$c/pki" "$work/dsc" "$dsc_requests" "$node3" <<'PY'
import http.client, os, re, signal, ssl, sys, time

port, pki, folder, count, node3 = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
context = ssl.create_default_context(cafile=pki + '/ca.pem')
context.load_cert_chain(pki + '/authorities/psw-00001000.pem', pki + '/authorities/psw-00001000.key')
connection = http.client.HTTPSConnection('127.0.0.1', port, context=context)
files = iter(sorted(os.listdir(folder), key=lambda f: int(f.split('.')[0])))

def measure(label, n):
    times, entries, logs, missing = [], 0, 0, ''
    for _ in range(n):
        body = open(os.path.join(folder, next(files)), 'rb').read()
        started = time.perf_counter()
        connection.request('POST', '/v1/dsc/protokolldaten', body=body, headers={'Content-Type': 'application/xml'})
        reply = connection.getresponse()
        data = reply.read().decode()
        times.append((time.perf_counter() - started) * 1000)
        if reply.status != 200:
            raise SystemExit('the DSC query answered %d: %s' % (reply.status, data[:300]))
        entries = int(re.search(r'<dsc:eintraege anzahl="(\d+)"', data).group(1))
        logs = len(re.findall(r'<dsc:protokoll knoten=', data))
        missing = ' '.join(re.findall(r'<dsc:knoten grund="[^"]*">([^<]*)<', data))
        time.sleep(0.05)
    times.sort()
    pick = lambda q: times[min(len(times) - 1, int(q * len(times)))]
    print('| %s | DSC `protokolldaten`, 50 | %.2f | %.2f | %.1f | %d logs%s | %d entries, %d KB |' % (
        label, pick(0.5), pick(0.99), times[-1], logs, (', missing: ' + missing) if missing else '', entries, len(data) // 1024))

measure('3 answering', count - 10)
os.kill(node3, signal.SIGSTOP)
try:
    time.sleep(1.2)
    measure('node-3 hangs (SIGSTOP)', 10)
finally:
    os.kill(node3, signal.SIGCONT)
PY
