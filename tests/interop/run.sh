#!/usr/bin/env bash
# Interoperability: oncegate's published log verified by Go's own transparency-log code
# (golang.org/x/mod/sumdb/note and sumdb/tlog from Debian's golang-golang-x-mod-dev, built in
# GOPATH mode against /usr/share/gocode: there is no module proxy). The embedded default on port 0
# gets 300 transfers (a full tile, a partial one and a level-1 tile), then tlogcheck fetches the
# checkpoint and tiles over HTTPS and checks signatures, the witness's cosignature, inclusion and
# consistency. A wrong log key must make it fail.
set -euo pipefail
bin="$1"
here="$(cd "$(dirname "$0")" && pwd)"
command -v go >/dev/null 2>&1 || { echo "go is missing: scripts/test.sh installs golang-go"; exit 1; }
[ -d /usr/share/gocode/src/golang.org/x/mod/sumdb/tlog ] || { echo "golang-golang-x-mod-dev is missing: scripts/test.sh installs it"; exit 1; }
# shellcheck source=../support/demo_gateway.sh
source "$here/../support/demo_gateway.sh"

mkdir -p "$work/gopath/src/oncegate/tlogcheck"
cp "$here/tlogcheck/main.go" "$work/gopath/src/oncegate/tlogcheck/"
(cd "$work/gopath/src/oncegate/tlogcheck" &&
  GOPATH="$work/gopath:/usr/share/gocode" GO111MODULE=off GOCACHE="$work/gocache" GOFLAGS= go build -o "$work/tlogcheck" .)

write_demo_config "$bin" 500
start_demo_gateway "$bin"
"$bin/oncegate-load" --data-dir "$work/var" --bind 127.0.0.4 --connections 4 --requests 300 --json "$work/load.json" > /dev/null
sleep 2  # the last checkpoint and the witness's cosignature
url="https://127.0.0.1:$(demo_port log)/log/v1/"
out=$("$work/tlogcheck" -url "$url" -ca "$work/var/demo/ca.pem" -vkey "$(cat "$work/var/log.vkey")" \
      -witness "$(cat "$work/var/demo-witness/witness.vkey")")
echo "$out"
size=$(echo "$out" | sed -E 's/.* size ([0-9]+),.*/\1/')
[ "$size" -ge 300 ] || { echo "expected at least 300 entries, the checkpoint has $size"; exit 1; }
# The check can fail: another key for the same origin is refused by note.Open.
other="$(sed -E 's/\+[0-9a-f]{8}\+.*//' "$work/var/log.vkey")"
fake=$(cd "$work/gopath/src/oncegate/tlogcheck" && cat > "$work/gen.go" <<GOEOF
package main
import ("crypto/rand"; "fmt"; "golang.org/x/mod/sumdb/note")
func main() { _, vkey, _ := note.GenerateKey(rand.Reader, "$other"); fmt.Print(vkey) }
GOEOF
  GOPATH="$work/gopath:/usr/share/gocode" GO111MODULE=off GOCACHE="$work/gocache" GOFLAGS= go run "$work/gen.go")
if "$work/tlogcheck" -url "$url" -ca "$work/var/demo/ca.pem" -vkey "$fake" \
     -witness "$(cat "$work/var/demo-witness/witness.vkey")" 2> "$work/fail.txt"; then
  echo "tlogcheck accepted a checkpoint with another key"; exit 1
fi
grep -q "note.Open" "$work/fail.txt" || { cat "$work/fail.txt"; exit 1; }
echo "interop: 1 passed, 0 failed"
