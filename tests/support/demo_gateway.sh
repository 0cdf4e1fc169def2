# Sourced by the shell tests: the embedded default moved to a temporary directory, every listener
# on port 0 (the sample register server too), a small population. Defines:
#   work            the temporary directory (removed on exit, with the gateway stopped)
#   gateway_pid     set by start_demo_gateway, emptied by stop_demo_gateway
#   write_demo_config <bin> <population>   writes $work/oncegate.toml
#   start_demo_gateway <bin>               starts it, waits for ports.json (logs appended in $work)
#   demo_port <listener>                   the port a listener got
#   stop_demo_gateway                      SIGTERM, and wait
work=$(mktemp -d)
gateway_pid=""
cleanup_demo_gateway() {
  [ -n "$gateway_pid" ] && kill "$gateway_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup_demo_gateway EXIT

write_demo_config() {
  "$1/oncegate" --print-default-config |
    sed -e "s|^data_dir = .*|data_dir = \"$work/var\"|" -e 's|^port = 8443|port = 0|' -e 's|^port = 9443|port = 0|' \
        -e 's|^port = 8446|port = 0|' -e 's|^port = 8447|port = 0|' -e 's|^port = 8448|port = 0|' -e 's|8444|0|g' -e "s|^population = .*|population = $2|" > "$work/oncegate.toml"
  grep -q 'port = 0' "$work/oncegate.toml"
}

start_demo_gateway() {
  rm -f "$work/var/ports.json"  # a gateway killed before left its own
  "$1/oncegate" --config "$work/oncegate.toml" >> "$work/gateway.out" 2>> "$work/gateway.log" &
  gateway_pid=$!
  for _ in $(seq 1 300); do
    [ -s "$work/var/ports.json" ] && return 0
    sleep 0.1
  done
  cat "$work/gateway.log"
  echo "the gateway did not start (no ports.json)"
  exit 1
}

demo_port() { sed -E "s/.*\"$1\": ?([0-9]+).*/\1/" "$work/var/ports.json"; }

stop_demo_gateway() {
  kill -TERM "$gateway_pid"
  wait "$gateway_pid" || true
  gateway_pid=""
}
