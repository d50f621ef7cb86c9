#!/usr/bin/env bash
# Two eventstream instances sharing Redis, behind one Pushpin, all on loopback, started
# (and stopped with Ctrl-C) by one command:   bash deploy/run.sh
#
#   browsers ──► Pushpin :7999 ──► eventstream :8001 ─┐
#                    ▲         └─► eventstream :8002 ─┼─► Redis :6390 (events, ids, fan-out)
#                    └──── POST :5561/publish/ ───────┘   (every instance publishes to Pushpin)
#   publishers ──► :9001, :9002 (each instance's --publish-addr, which Pushpin does not route to)
#
# Needs Debian's pushpin and redis-server (apt-get install pushpin redis-server) and a
# built eventstream (build/cmd/eventstream). Ports: PUSHPIN_PORT, CONTROL_PORT, REDIS_PORT,
# A_PORT, B_PORT, A_PUBLISH_PORT, B_PUBLISH_PORT.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/build/cmd/eventstream
[ -x "$bin" ] || { echo "build eventstream first: bash scripts/setup.sh test (or cmake --build build)" >&2; exit 1; }
for tool in pushpin redis-server; do
  command -v $tool >/dev/null || { echo "$tool is missing: sudo apt-get install pushpin redis-server" >&2; exit 1; }
done

pushpin_port=${PUSHPIN_PORT:-7999} control_port=${CONTROL_PORT:-5561} redis_port=${REDIS_PORT:-6390}
a_port=${A_PORT:-8001} b_port=${B_PORT:-8002}
a_publish_port=${A_PUBLISH_PORT:-9001} b_publish_port=${B_PUBLISH_PORT:-9002}
dir=$(mktemp -d)
pids=()
stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap stop EXIT INT TERM

# Redis keeps every write (the counters are the ids clients resume from).
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$dir" --appendonly yes --appendfsync everysec \
  --save "" --logfile "$dir/redis.log" &
pids+=($!)

# Pushpin, self-contained (its own run dir and zurl), routing to both instances.
mkdir -p "$dir/pushpin/run" "$dir/pushpin/log"
echo "* 127.0.0.1:$a_port 127.0.0.1:$b_port" > "$dir/pushpin/routes"
cat > "$dir/pushpin/pushpin.conf" <<CONF
[global]
include={libdir}/internal.conf
rundir=$dir/pushpin/run
ipc_prefix=deploy-
[runner]
services=condure,zurl,pushpin-proxy,pushpin-handler
http_port=127.0.0.1:$pushpin_port
logdir=$dir/pushpin/log
[proxy]
routesfile=routes
updates_check=off
sig_iss=pushpin
sig_key=deploy-sig-key
zurl_out_specs=ipc://{rundir}/{ipc_prefix}zurl-in
zurl_out_stream_specs=ipc://{rundir}/{ipc_prefix}zurl-in-stream
zurl_in_specs=ipc://{rundir}/{ipc_prefix}zurl-out
[handler]
push_in_http_addr=127.0.0.1
push_in_http_port=$control_port
message_rate=100000
message_hwm=200000
CONF
pushpin --config "$dir/pushpin/pushpin.conf" > "$dir/pushpin.log" 2>&1 &
pids+=($!)

# Publishing on ports of their own: Pushpin forwards every path of its routes, /publish/ too.
for ports in "$a_port $a_publish_port" "$b_port $b_publish_port"; do
  read -r port publish_port <<< "$ports"
  "$bin" serve "127.0.0.1:$port" --publish-addr "127.0.0.1:$publish_port" \
    --storage redis --redis "redis://127.0.0.1:$redis_port" \
    --grip-url "http://127.0.0.1:$control_port" --grip-sig-key deploy-sig-key --secret deploy-link-secret &
  pids+=($!)
done

sleep 1
cat <<TEXT

Clients connect through Pushpin:   curl -N 'http://127.0.0.1:$pushpin_port/events/?channel=test'
Publish on either instance:        $bin send --url http://127.0.0.1:$a_publish_port test message '{"n": 1}'
                                   $bin send --url http://127.0.0.1:$b_publish_port test message '{"n": 2}'
Ctrl-C stops everything.
TEXT
wait
