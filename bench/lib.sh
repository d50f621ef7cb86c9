# bench/lib.sh: what bench/run.sh and bench/scale.sh share: logging, packages, the
# build, starting and stopping the processes they own (by PID, with their children),
# free loopback ports, memory sampling and a self-contained Pushpin.
# Sourced; expects $repo and $work to be set before processes are started.

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# Install the Debian packages that are missing. Installing nginx or pushpin may start
# their system services (where the init policy allows it); those are left alone: our
# instances use their own prefixes, pid files, sockets and ports.
ensure_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Builds build/cmd/eventstream and build/bench/loadgen (Release) unless both exist.
build_if_missing() {
  [ -x "$eventstream_bin" ] && [ -x "$loadgen_bin" ] && return 0
  log "building (Release): build/bench/loadgen or build/cmd/eventstream is missing"
  if ! command -v cmake >/dev/null || ! command -v ninja >/dev/null; then
    ensure_packages cmake ninja-build g++
  fi
  (cd "$repo" && cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null &&
    cmake --build build --parallel "$(nproc)") ||
    die "the build failed; 'bash scripts/setup.sh test' installs the build dependencies"
}

# Every subscriber is an open file, here and in the servers started from here.
raise_open_files() {
  ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
  [ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge 20000 ] ||
    log "warning: open files limited to $(ulimit -n); the biggest idle runs will not all connect"
}

tracked=() # PIDs started by this script that may still be running

# PID and all its descendants, one a line.
tree_pids() {
  ps -e -o pid= -o ppid= | awk -v root="$1" '
    { parent[$1] = $2; pid[NR] = $1 }
    END {
      keep[root] = 1
      do {
        grew = 0
        for (i in pid) { q = pid[i]; if (!(q in keep) && (parent[q] in keep)) { keep[q] = 1; grew = 1 } }
      } while (grew)
      for (k in keep) print k
    }'
}

# "RSS PSS" in KiB summed over a PID and its descendants (PSS splits shared pages,
# e.g. nginx's shared memory zone, between the processes that map them).
tree_mem() {
  local files=() p
  for p in $(tree_pids "$1"); do files+=("/proc/$p/status" "/proc/$p/smaps_rollup"); done
  cat "${files[@]}" 2>/dev/null | awk '/^VmRSS:/ { r += $2 } /^Pss:/ { s += $2 } END { print r + 0, s + 0 }'
}

alive() { kill -0 "$1" 2>/dev/null; }

# Stop a process we started, and whatever it started: TERM, up to $2 seconds, KILL.
stop_pid() {
  local pid=$1 grace=${2:-5} kids k i
  alive "$pid" || { wait "$pid" 2>/dev/null || true; return 0; }
  kids=$(tree_pids "$pid" | grep -vx "$pid" || true)
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do alive "$pid" || break; sleep 0.1; done
  if alive "$pid"; then
    log "pid $pid ignored SIGTERM for ${grace}s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  # Children that outlived their parent (it was killed, or did not wait for them).
  for k in $kids; do
    if alive "$k"; then kill -TERM "$k" 2>/dev/null || true; fi
  done
  for k in $kids; do
    for ((i = 0; i < 30; i++)); do alive "$k" || break; sleep 0.1; done
    if alive "$k"; then kill -KILL "$k" 2>/dev/null || true; fi
  done
  return 0
}

untrack() {
  local keep=() p
  for p in "${tracked[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  tracked=("${keep[@]}")
}

cleanup() {
  local rc=$? i
  trap - EXIT INT TERM
  for ((i = ${#tracked[@]} - 1; i >= 0; i--)); do stop_pid "${tracked[$i]}" 3; done
  rm -rf "$work"
  exit $rc
}
stop_everything_on_exit() {
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# A free loopback TCP port below the ephemeral range (so the tens of thousands of
# client sockets never take it), not handed out before in this run.
used_ports=" "
# A compact HS256 JWT of the JSON CLAIMS signed with SECRET.
hs256_jwt() { # SECRET CLAIMS
  local b64url='base64 -w0 | tr "+/" "-_" | tr -d "="' unsigned
  unsigned="$(printf '{"alg":"HS256","typ":"JWT"}' | eval "$b64url").$(printf '%s' "$2" | eval "$b64url")"
  printf '%s.%s' "$unsigned" "$(printf '%s' "$unsigned" | openssl dgst -sha256 -hmac "$1" -binary | eval "$b64url")"
}

free_port() {
  local p i
  for ((i = 0; i < 500; i++)); do
    p=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
    case "$used_ports" in *" $p "*) continue ;; esac
    if command -v ss >/dev/null; then
      [ -z "$(ss -Htan "sport = :$p" 2>/dev/null)" ] || continue
    else
      (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
    fi
    used_ports+="$p "
    echo "$p"
    return 0
  done
  die "no free port found"
}

# HTTP status of a GET ("000" when nothing answered); a held stream counts as answered.
http_status() {
  curl -s -o /dev/null -w '%{http_code}' --max-time "${2:-1}" "$1" 2>/dev/null || true
}

# A redis-server of our own on a free port, its files in DIR. Sets redis_pid, redis_url.
start_redis() { # DIR
  local dir=$1 port i
  port=$(free_port)
  # Kept as a deployment would: every write appended, fsync'ed each second.
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --appendonly yes --appendfsync everysec \
    --save "" --maxclients 10000 --logfile "$dir/redis.log" >/dev/null 2>&1 &
  redis_pid=$!
  tracked+=("$redis_pid")
  for ((i = 0; i < 50; i++)); do
    [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && { redis_url="redis://127.0.0.1:$port"; return 0; }
    sleep 0.1
  done
  log "redis-server did not answer on port $port: $(tail -c 300 "$dir/redis.log" 2>/dev/null)"
  return 1
}

# A Redis Cluster of our own: COUNT primaries (no replicas) on free ports, their files in
# DIR, no persistence, the cluster bus on free ports of its own; waits until it says
# cluster_state:ok. Sets cluster_pids,
# cluster_ports and cluster_url (redis-cluster://127.0.0.1:P1,127.0.0.1:P2,...). Every
# server started is in cluster_pids (and tracked), up or not.
start_redis_cluster() { # DIR COUNT
  local dir=$1 count=$2 port i n nodes=() up
  cluster_pids=() cluster_ports=() cluster_url=""
  for ((n = 0; n < count; n++)); do
    port=$(free_port)
    # The bus port too (by default port + 10,000, which may be in the ephemeral range and
    # taken by a client socket).
    redis-server --port "$port" --cluster-port "$(free_port)" --bind 127.0.0.1 --cluster-enabled yes \
      --cluster-config-file "$dir/nodes-$port.conf" \
      --dir "$dir" --save "" --appendonly no --maxclients 10000 --logfile "$dir/redis-$port.log" >/dev/null 2>&1 &
    cluster_pids+=("$!")
    tracked+=("$!")
    cluster_ports+=("$port")
    nodes+=("127.0.0.1:$port")
  done
  for port in "${cluster_ports[@]}"; do
    up=0
    for ((i = 0; i < 50; i++)); do
      [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && { up=1; break; }
      sleep 0.1
    done
    [ $up = 1 ] || { log "redis-server (cluster) did not answer on port $port: $(tail -c 300 "$dir/redis-$port.log" 2>/dev/null)"; return 1; }
  done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$dir/cluster-create.log" 2>&1 ||
    { log "redis-cli --cluster create failed: $(tail -c 300 "$dir/cluster-create.log")"; return 1; }
  for ((i = 0; i < 100; i++)); do
    if redis-cli -p "${cluster_ports[0]}" cluster info 2>/dev/null | grep -q '^cluster_state:ok'; then
      cluster_url="redis-cluster://$(IFS=,; echo "${nodes[*]}")"
      return 0
    fi
    sleep 0.1
  done
  log "the Redis Cluster on ${nodes[*]} did not reach cluster_state:ok within 10 s"
  return 1
}

# Memory sampler: every 0.5 s, the peak "RSS PSS" of the server's process tree.
start_sampler() { # PID FILE
  (
    trap 'exit 0' TERM
    max_r=0 max_s=0
    while kill -0 "$1" 2>/dev/null; do
      read -r r s < <(tree_mem "$1")
      [ "${r:-0}" -gt "$max_r" ] && max_r=$r
      [ "${s:-0}" -gt "$max_s" ] && max_s=$s
      echo "$max_r $max_s" >"$2.tmp" && mv -f "$2.tmp" "$2"
      sleep 0.5
    done
  ) &
  sampler_pid=$!
  tracked+=("$sampler_pid")
}

# Makes the results directory ($out, or bench/results/<now>SUFFIX), sets $results to it
# and writes environment.txt there: the command, commit, machine and the installed
# versions of PACKAGES. Reads $out, $repo and $orig_args.
open_results() { # SCRIPT SUFFIX PACKAGES...
  local script=$1 suffix=$2 p
  shift 2
  results=${out:-"$repo/bench/results/$(date +%Y%m%d-%H%M%S)$suffix"}
  mkdir -p "$results"
  results=$(cd "$results" && pwd)
  {
    echo "date: $(date -Is)"
    echo "command: bench/$script ${orig_args[*]}"
    echo "commit: $(git -C "$repo" rev-parse HEAD 2>/dev/null || echo unknown)$(git -C "$repo" diff --quiet HEAD 2>/dev/null || echo ' (work tree differs)')"
    echo "kernel: $(uname -sr)"
    echo "cpus: $(nproc); memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
    echo "open files: $(ulimit -n)"
    for p in "$@"; do echo "$p: $(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || echo 'not installed')"; done
  } >"$results/environment.txt"
  log "results go to $results"
}

# Pushpin's ports for clients (pushpin_http_port) and its publish API (pushpin_pub_port),
# picked before its origins start: they publish to it.
pick_pushpin_ports() {
  pushpin_http_port=$(free_port)
  pushpin_pub_port=$(free_port)
}

# start_pushpin_proxy DIR "HOST:PORT ..." starts Pushpin (bench/peers/pushpin.conf.in:
# its own run dir, high message rate) on the ports pick_pushpin_ports chose, routing
# every request to the origins given, and waits until it holds a stream through them.
# Sets pushpin_pid; Pushpin's sig_key is benchsigkey.
start_pushpin_proxy() {
  local dir=$1 origins=$2 i code
  mkdir -p "$dir/run" "$dir/log"
  sed -e "s|@DIR@|$dir|g" -e "s|@HTTP_PORT@|$pushpin_http_port|g" -e "s|@PUB_HTTP_PORT@|$pushpin_pub_port|g" \
    -e "s|@PUB_PULL_PORT@|$(free_port)|g" -e "s|@PUB_SUB_PORT@|$(free_port)|g" \
    -e "s|@COMMAND_PORT@|$(free_port)|g" "$peers_dir/pushpin.conf.in" >"$dir/pushpin.conf"
  sed -e "s|@ORIGINS@|$origins|g" "$peers_dir/pushpin-routes.in" >"$dir/routes"
  pushpin --config "$dir/pushpin.conf" --merge-output >"$dir/stdout.log" 2>&1 &
  pushpin_pid=$!
  tracked+=("$pushpin_pid")
  # Ready (GRIP.md section 7): the control port answers first, but holds made in the
  # first ~0.1 s can fail with 500 until the proxy-handler link is up, so then probe
  # the client port with a real held request until it answers 200. Budget 5 s.
  for ((i = 0; i < 50; i++)); do
    [ "$(http_status "http://127.0.0.1:$pushpin_pub_port/" 0.5)" = 200 ] && break
    alive "$pushpin_pid" || break
    sleep 0.1
  done
  for (( ; i < 50; i++)); do
    code=$(http_status "http://127.0.0.1:$pushpin_http_port/events/?channel=_ready" 0.3)
    [ "$code" = 200 ] && break
    alive "$pushpin_pid" || break
    sleep 0.1
  done
  [ "${code:-}" = 200 ] && return 0
  log "pushpin did not become ready within 5 s: $(tail -c 400 "$dir/stdout.log" 2>/dev/null)"
  return 1
}
