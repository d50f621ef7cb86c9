#!/usr/bin/env bash
# bench/run.sh: run eventstream and its two comparison peers, nginx+nchan and Pushpin,
# through the same workloads with build/bench/loadgen, and summarize the results.
# docs/performance.md explains the workloads and how to read the numbers.
#
#   bash bench/run.sh [--quick] [--only PEER,...] [--out DIR] [--timeout SECONDS]
#   bash bench/run.sh --dry-run [--only PEER,...]     start, check and stop each peer
#   bash bench/run.sh --profile [--only eventstream-MODE] [--profiler perf|callgrind]
#   bash bench/run.sh --summary DIR                    re-print the summary of a run
#   bash bench/run.sh --ab OLD NEW [--rounds N] [--quick]    two eventstream binaries
#   bash bench/run.sh --tls [--rounds N] [--quick]           TLS+HTTP/2 against HTTP/1.1
#   bash bench/run.sh --mercure [--rounds N] [--quick]       the Mercure hub against our own endpoint
#
# Peers: eventstream-none, eventstream-memory, eventstream-sqlite, eventstream-sqlite-normal
# (--sync normal; publish workloads only), nchan, pushpin.
# --tls compares eventstream over TLS+HTTP/2 (peer eventstream-h2: --tls-self-signed,
# $h2_streams streams per connection) with eventstream over plain HTTP/1.1 (eventstream-h1),
# both with memory storage and publishing on a plain --publish-addr port, on both
# fan-outs, idle memory per subscriber and new connections per second (TLS handshakes
# against plain connects), in rounds that alternate which goes first; it prints each
# figure for both, h2/h1, and the goals of issue 17.
# --mercure compares the fan-outs and idle memory of one eventstream serving Mercure
# subscribers (/.well-known/mercure?topic=bench, updates POSTed form-encoded with a JWT;
# peer eventstream-mercure) with its own endpoint (/events/?channel=bench, peer
# eventstream-own), both on memory storage, one event per publish request in both.
# --ab compares two eventstream binaries instead (peers `old` and `new`, SQLite storage)
# on the storm, both fan-outs, idle memory and /healthz with Redis stopped, in rounds
# that alternate which goes first, and prints each figure for both and new/old.
# Every server listens on 127.0.0.1 on a port picked here, lives in its own temp dir,
# is started fresh for every workload and stopped by PID afterwards. Nothing but
# loopback is ever contacted (apart from apt-get installing missing packages).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
peers_dir="$here/peers"
eventstream_bin="$repo/build/cmd/eventstream"
# EVENTSTREAM_BENCH_LOADGEN points at another load generator binary (e.g. a stub while
# testing this script); it is then never built here.
loadgen_bin=${EVENTSTREAM_BENCH_LOADGEN:-"$repo/build/bench/loadgen"}
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

all_peers=(eventstream-none eventstream-memory eventstream-sqlite eventstream-sqlite-normal nchan pushpin)
tls_peers=(eventstream-h1 eventstream-h2) # --tls runs them; --only and --dry-run take them too
mercure_peers=(eventstream-own eventstream-mercure) # --mercure runs them
# The hub's publisher key and an HS256 JWT allowed every topic, for eventstream-mercure.
mercure_key="bench-mercure-key-0123456789abcdef"
# HTTP/2 subscribers multiplexed per connection, and the server's --h2-max-streams; 1
# gives every h2 subscriber a TLS connection of its own (many visitors, one stream each).
h2_streams=${EVENTSTREAM_BENCH_H2_STREAMS:-100}
case "$h2_streams" in '' | *[!0-9]* | 0) echo "run.sh: EVENTSTREAM_BENCH_H2_STREAMS wants a whole number above 0" >&2; exit 2 ;; esac
# One loadgen process holds at most ~19,900 sockets (20,000 open files per process
# here): idle runs with more subscribers than this are split over several processes
# (19,500 -> two of 9,750). Fan-out runs stay in one process: every loadgen publishes.
subs_per_process=10000
# New subscriber connections per second against Pushpin (see run_one).
pushpin_connect_rate=${EVENTSTREAM_BENCH_PUSHPIN_CONNECT_RATE:-500}

usage() {
  awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"
  cat <<'EOF'
Options:
  --quick              every workload ~10x smaller and shorter (a smoke run, ~2 minutes)
  --only LIST          comma-separated peers to run (default: all of them)
  --cases LIST         comma-separated workloads to run, by name or glob (e.g.
                       'publish-*,latency-*'; default: all)
  --out DIR            where the JSON results go (default: bench/results/DATE)
  --timeout SECONDS    budget for the whole run (default 3600); workloads that would
                       start after it are skipped, each loadgen call has its own bound
  --dry-run            start each selected peer, check a publish reaches a curl
                       subscriber, print its URLs and memory, stop it; then print the
                       loadgen command lines a real run would use (needs no loadgen)
  --profile            profile eventstream under the 1k x 200 ev/s fan-out instead of
                       running the workloads (perf record -g; callgrind where perf is
                       not supported); reports are written next to the results
  --profiler NAME      perf or callgrind (default: perf when it works here)
  --summary DIR        print the summary table of an earlier run and exit
  --ab OLD NEW         A/B two eventstream binaries (paths) instead of the peers
  --tls                TLS+HTTP/2 (eventstream-h2) against plain HTTP/1.1 (eventstream-h1)
  --mercure            the Mercure hub (eventstream-mercure) against our own endpoint (eventstream-own)
                       instead of the peers: fan-out, idle memory, new connections/s
  --rounds N           --ab, --tls: rounds, each running every workload on both (default 2)
EOF
}

# ---------------------------------------------------------------- options

orig_args=("$@")
quick=0 dry_run=0 profile=0 profiler="" only="" only_cases="" out="" budget=3600 summary_only=""
ab_old="" ab_new="" rounds=2 tls_mode=0 mercure_mode=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --dry-run) dry_run=1 ;;
    --profile) profile=1 ;;
    --profiler) profiler=${2:?--profiler needs perf or callgrind}; shift ;;
    --only) only=${2:?--only needs a list of peers}; shift ;;
    --cases) only_cases=${2:?--cases needs a list of workloads}; shift ;;
    --out) out=${2:?--out needs a directory}; shift ;;
    --timeout) budget=${2:?--timeout needs seconds}; shift ;;
    --summary) summary_only=${2:?--summary needs a results directory}; shift ;;
    --ab) ab_old=${2:?--ab needs the old and the new binary}; ab_new=${3:?--ab needs the old and the new binary}; shift 2 ;;
    --rounds) rounds=${2:?--rounds needs a number}; shift ;;
    --tls) tls_mode=1 ;;
    --mercure) mercure_mode=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "run.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$profiler" in "" | perf | callgrind) ;; *) echo "run.sh: --profiler must be perf or callgrind" >&2; exit 2 ;; esac
case "$budget" in '' | *[!0-9]*) echo "run.sh: --timeout wants whole seconds" >&2; exit 2 ;; esac
case "$rounds" in '' | *[!0-9]* | 0) echo "run.sh: --rounds wants a whole number above 0" >&2; exit 2 ;; esac
if [ -n "$ab_old" ]; then
  for b in "$ab_old" "$ab_new"; do
    [ -x "$b" ] || { echo "run.sh: --ab: '$b' is not an executable eventstream binary" >&2; exit 2; }
  done
  if [ -n "$only" ] || [ $dry_run = 1 ] || [ $profile = 1 ]; then
    echo "run.sh: --ab runs its own peers, old and new: leave out --only, --dry-run and --profile" >&2
    exit 2
  fi
  only=none # no comparison peer is installed or started
fi
if [ $mercure_mode = 1 ]; then
  if [ -n "$only" ] || [ $dry_run = 1 ] || [ $profile = 1 ] || [ -n "$ab_old" ] || [ $tls_mode = 1 ]; then
    echo "run.sh: --mercure runs its own peers, eventstream-own and eventstream-mercure: leave out --only, --dry-run, --profile, --ab and --tls" >&2
    exit 2
  fi
  only=none
fi
if [ $tls_mode = 1 ]; then
  if [ -n "$only" ] || [ $dry_run = 1 ] || [ $profile = 1 ]; then
    echo "run.sh: --tls runs its own peers, eventstream-h1 and eventstream-h2: leave out --only, --dry-run, --profile and --ab (check them with --dry-run --only eventstream-h1,eventstream-h2)" >&2
    exit 2
  fi
  only=none
fi

selected=()
if [ "$only" = none ]; then
  :
elif [ -n "$only" ]; then
  IFS=, read -r -a wanted <<<"$only"
  for w in "${wanted[@]}"; do
    ok=0
    for p in "${all_peers[@]}" "${tls_peers[@]}"; do [ "$p" = "$w" ] && ok=1; done
    [ $ok = 1 ] || { echo "run.sh: unknown peer '$w'; peers are: ${all_peers[*]} ${tls_peers[*]}" >&2; exit 2; }
    selected+=("$w")
  done
else
  selected=("${all_peers[@]}")
fi
is_selected() {
  local p
  for p in "${selected[@]}"; do [ "$p" = "$1" ] && return 0; done
  return 1
}

# ---------------------------------------------------------------- summary

# One TSV row per result file, then a table and the ratios per workload. Needs jq.
summarize() {
  local dir=$1
  command -v jq >/dev/null || { log "jq is missing: no summary (the JSON files are in $dir)"; return 0; }
  local files=()
  local f
  for f in "$dir"/*.json; do
    [ -e "$f" ] || continue
    case "$f" in *.part*.json | */environment.json) continue ;; esac
    files+=("$f")
  done
  [ ${#files[@]} -gt 0 ] || { log "no results in $dir"; return 0; }
  # Columns: index case workload peer connected deliveries/s lost errors reordered p50
  # p99 max publish/s rss-KiB/sub pss-KiB/sub error
  jq -r '
    def n(x): if x == null then "-" else (x | tostring) end;
    def r(x; d): if x == null then "-" else ((x * d | round) / d | tostring) end;
    [ n(.case_index // 0), n(.case), n(.workload), n(.peer), n(.connected),
      r(.deliveries_per_s; 1), n(.lost),
      n(if .connect_errors == null and .publish_errors == null and .disconnected == null then null
        else (.connect_errors // 0) + (.publish_errors // 0) + (.disconnected // 0) end),
      n(.reordered),
      r(.latency_ms.p50; 100), r(.latency_ms.p99; 100), r(.latency_ms.max; 100),
      r(.publish_per_s; 1),
      r(if .workload == "idle" then (.rss_kib_per_subscriber // .run_rss_kib_per_subscriber) else null end; 100),
      r(.run_pss_kib_per_subscriber; 100),
      n(.error) ] | @tsv' "${files[@]}" | sort -t "$(printf '\t')" -k1,1n -k2,2 -k4,4 |
    awk -F '\t' '
      function num(x) { return x != "-" && x != "" }
      function ratio(a, b) { return (num(a) && num(b) && b + 0 != 0) ? sprintf("%.2f", a / b) : "-" }
      BEGIN {
        fmt = "%-17s %-19s %6s %9s %6s %4s %5s %7s %7s %7s %8s %7s %7s  %s\n"
        printf fmt, "workload", "peer", "conn", "deliv/s", "lost", "errs", "reord",
          "p50 ms", "p99 ms", "max ms", "pub/s", "RSS/sub", "PSS/sub", "error"
      }
      {
        c = $2; peer = $4
        printf fmt, c, peer, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, ($16 == "-" ? "" : $16)
        if (!(c in kind)) order[++ncases] = c
        kind[c] = $3
        np[c]++; peers[c, np[c]] = peer
        deliv[c, peer] = $6; p99[c, peer] = $11; pubs[c, peer] = $13; rss[c, peer] = $14
      }
      END {
        print ""
        print "eventstream / peer (RSS/sub, p99: below 1 = eventstream better;"
        print "deliv/s, pub/s: above 1 = eventstream better):"
        for (k = 1; k <= ncases; k++) {
          c = order[k]
          for (i = 1; i <= np[c]; i++) {
            e = peers[c, i]
            if (e !~ /^eventstream/) continue
            for (j = 1; j <= np[c]; j++) {
              o = peers[c, j]
              if (o != "nchan" && o != "pushpin") continue
              if (kind[c] == "idle")
                line = "RSS/sub " ratio(rss[c, e], rss[c, o])
              else if (kind[c] == "fanout")
                line = "deliv/s " ratio(deliv[c, e], deliv[c, o]) "  p99 " ratio(p99[c, e], p99[c, o])
              else if (kind[c] == "publish")
                line = "pub/s " ratio(pubs[c, e], pubs[c, o]) "  p99 " ratio(p99[c, e], p99[c, o])
              else
                line = "deliv/s " ratio(deliv[c, e], deliv[c, o])
              printf "  %-17s %-19s / %-8s %s\n", c, e, o, line
            }
          }
        }
      }'
  # The storm's own figures (its row above times live delivery over the whole run).
  jq -r 'select(.workload == "storm" and .storm_latency_ms != null)
    | def r(x): (x * 100 | round) / 100 | tostring;
      "\(.case) \(.peer): live p99 \(r(.quiet_latency_ms.p99)) ms quiet, \(r(.storm_latency_ms.p99)) ms during the replay" +
      (if .quiet_latency_ms.p99 > 0 then " (\(r(.storm_latency_ms.p99 / .quiet_latency_ms.p99))x)" else "" end) +
      "; replay \(.replay_events_per_s) events/s (\(.replay_connected)/\(.replay_clients) clients, \(.stored) events each); lost \(.lost), reordered \(.reordered)"' \
    "${files[@]}"
}

# Each figure for peers A and B (the median over the rounds, each round's value after
# it) and B/A; then every result that lost events or failed. --ab: A old, B new; --tls:
# A eventstream-h1, B eventstream-h2, followed by the goals of issue 17.
pair_summary() { # DIR A A-LABEL B B-LABEL
  local dir=$1 a=$2 a_label=$3 b=$4 b_label=$5 goals="" floor=0 idle_unit="KiB per connection"
  [ "$b" = eventstream-h2 ] && goals="issue 17 goals" floor=0.7 idle_unit="KiB per subscriber"
  [ "$b" = eventstream-mercure ] && goals="issue 19 goal" floor=0.9
  jq -rs --arg a "$a" --arg b "$b" --arg idle_unit "$idle_unit" '
    def figures: # [name, value, rank]
      (.case_index * 10) as $i
      | if .workload == "storm" then
          ["\(.case): live p99 quiet, ms", .quiet_latency_ms.p99, $i],
          ["\(.case): live p99 during the storm, ms", .storm_latency_ms.p99, $i + 1],
          ["\(.case): replay events/s", .replay_events_per_s, $i + 2]
        elif .workload == "fanout" then
          ["\(.case): deliveries/s", .deliveries_per_s, $i], ["\(.case): p99, ms", .latency_ms.p99, $i + 1],
          ["\(.case): server CPU per delivery, us", .server_cpu_us_per_delivery, $i + 2]
        elif .workload == "idle" then
          ["\(.case): \($idle_unit)",
           (if (.connected // 0) > 0 then .rss_kib_per_subscriber // .run_rss_kib_per_subscriber else null end), $i]
        elif .workload == "healthz" then ["/healthz, Redis stopped, ms", .healthz_ms, $i]
        elif .workload == "handshakes" then
          ["\(.case): new connections/s", .handshakes_per_s, $i],
          ["\(.case): connect to answer p99, ms", .latency_ms.p99, $i + 1]
        else empty end;
    def median: sort | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor]
                       else (.[length / 2 - 1] + .[length / 2]) / 2 end;
    def r: if . == null then "-" elif . >= 1000 then round | tostring else (. * 100 | round) / 100 | tostring end;
    (map(. as $f | figures | {name: .[0], value: .[1], rank: .[2], peer: $f.peer}) | group_by(.name)
      | sort_by(map(.rank) | min)[]
      | (map(select(.peer == $a) | .value) | map(select(. != null))) as $old
      | (map(select(.peer == $b) | .value) | map(select(. != null))) as $new
      | ($old | median) as $o | ($new | median) as $n
      | [.[0].name, ($o | r), ($old | map(r) | join(" ")), ($n | r), ($new | map(r) | join(" ")),
         (if $o != null and $n != null and $o != 0 then $n / $o | tostring else "-" end), ($n // "-" | tostring)]
      | @tsv),
    (.[] | select((.lost // 0) > 0 or (.reordered // 0) > 0 or (.connect_errors // 0) > 0 or .error != null)
      | "!\t\(.case) / \(.peer) round \(.round): lost \(.lost // 0), reordered \(.reordered // 0), failed to connect \(.connect_errors // 0)\(if .error then ", " + .error else "" end)")
  ' "$dir"/*__"$a".r*.json "$dir"/*__"$b".r*.json |
    awk -F '\t' -v a="$a_label" -v b="$b_label" -v goals="$goals" -v floor="$floor" '
      function verdict(ok) { return ok ? "met" : "NOT met" }
      BEGIN { fmt = "%-47s %9s %-19s %9s %-19s %7s\n"; printf fmt, "figure", a, "(rounds)", b, "(rounds)", b "/" a }
      $1 == "!" { bad[++nbad] = $2; next }
      {
        printf fmt, $1, $2, "(" $3 ")", $4, "(" $5 ")", ($6 == "-" ? "-" : sprintf("%.2f", $6))
        if ($6 == "-") next
        gfmt = "%-54s %-18s %s"
        if ($1 ~ /^fanout.*: deliveries\/s$/)
          goal[++ngoals] = sprintf(gfmt, $1 ", " b "/" a, sprintf("%.2fx", $6), "goal at least " floor "x: " verdict($6 >= floor))
        else if ($1 ~ /^fanout.*: p99, ms$/)
          goal[++ngoals] = sprintf(gfmt, $1 ", " b "/" a, sprintf("%.2fx", $6), "no goal (below 1: " b " faster)")
        else if ($1 ~ /^fanout.*: server CPU per delivery, us$/)
          goal[++ngoals] = sprintf(gfmt, $1 ", " b "/" a, sprintf("%.2fx", $6), "no goal (below 1: " b " cheaper)")
        else if ($1 ~ /: KiB per subscriber$/)
          goal[++ngoals] = sprintf(gfmt, $1 ", " b " (a stream)", sprintf("%.2f KiB", $7), "goal at most 2 KiB: " verdict($7 <= 2))
        else if ($1 ~ /: new connections\/s$/)
          goal[++ngoals] = sprintf(gfmt, $1 ", " b " (TLS handshakes)", sprintf("%d/s = %.2fx", $7, $6), "no goal (the peer: plain connects)")
      }
      END {
        if (nbad) { print ""; print "not clean:"; for (i = 1; i <= nbad; i++) print "  " bad[i] }
        else { print ""; print "every workload clean: nothing lost, nothing reordered, every connection made, no errors" }
        if (goals != "" && ngoals) { print ""; print goals " (medians):"; for (i = 1; i <= ngoals; i++) print "  " goal[i] }
      }'
}

# Tags an --ab or --tls result with its round.
mark_round() { # FILE
  jq --argjson r "$round" '. + {round: $r}' "$1" >"$1.tmp" && mv "$1.tmp" "$1"
}

# --ab, --tls: one workload on each of the two peers, in the order given, tagged with the round.
run_in_turn() { # CASE WORKLOAD "PEER PEER" ARGS...
  local name=$1 workload=$2 order=$3 peer
  shift 3
  for peer in $order; do
    run_one "$name" "$workload" "$peer" "$@"
    mark_round "$results/${name}__$peer$round_tag.json"
  done
}

if [ -n "$summary_only" ]; then
  if compgen -G "$summary_only/*__old.r*.json" >/dev/null; then
    pair_summary "$summary_only" old old new new
  elif compgen -G "$summary_only/*__eventstream-h2.r*.json" >/dev/null; then
    pair_summary "$summary_only" eventstream-h1 h1 eventstream-h2 h2
  else
    summarize "$summary_only"
  fi
  exit 0
fi

# ---------------------------------------------------------------- setup

packages=(curl jq procps iproute2 coreutils)
[ -n "$ab_old" ] && packages+=(redis-server)
is_selected nchan && packages+=(nginx libnginx-mod-nchan)
is_selected pushpin && packages+=(nginx pushpin)
ensure_packages "${packages[@]}"

if [ $dry_run = 1 ] && [ -x "$eventstream_bin" ] && [ ! -x "$loadgen_bin" ]; then
  log "no $loadgen_bin yet: fine for --dry-run"
else
  build_if_missing
fi
[ -x "$eventstream_bin" ] || die "$eventstream_bin is missing after the build"
[ $dry_run = 1 ] || [ -x "$loadgen_bin" ] || die "$loadgen_bin is missing after the build"
raise_open_files

nchan_module=""
if is_selected nchan; then
  nchan_module=$(dpkg -L libnginx-mod-nchan 2>/dev/null | grep '/ngx_nchan_module\.so$' | head -1 || true)
  [ -f "$nchan_module" ] || die "ngx_nchan_module.so not found (dpkg -L libnginx-mod-nchan)"
fi
somaxconn=$(cat /proc/sys/net/core/somaxconn 2>/dev/null || echo 4096)

work=$(mktemp -d "${TMPDIR:-/tmp}/eventstream-bench.XXXXXX")
started=$(date +%s)
deadline=$((started + budget))
stop_everything_on_exit

# ---------------------------------------------------------------- peers

# start_peer NAME DIR sets: peer_pid (whose process tree is the server, for memory and
# stopping), peer_target, peer_sub_url, peer_pub_url, peer_pub_example (a curl body),
# peer_logs (files to keep), peer_loadgen_args (what its subscribers need), and adds the
# PIDs to `tracked`.
peer_pid="" peer_target="" peer_sub_url="" peer_pub_url="" peer_pub_example="" peer_logs=() peer_extra_pids=()
peer_loadgen_args=()

# With es_publish_apart=1 publishing gets a plain port of its own (--publish-addr), as a
# TLS deployment keeps it off the public port; streams are over https:// when ARGS hold
# --tls-self-signed.
start_eventstream() { # MODE DIR [BINARY [ARGS...]]
  local mode=$1 dir=$2 bin=${3:-$eventstream_bin} port pub_port="" try args scheme=http a
  shift 2
  [ $# -gt 0 ] && shift
  for a in "$@"; do [ "$a" = --tls-self-signed ] && scheme=https; done
  peer_logs=("$dir/stdout.log" "$dir/stderr.log")
  for try in 1 2 3; do
    port=$(free_port)
    args=(serve "127.0.0.1:$port" --storage "${mode%-normal}" --log-level warn "$@")
    case "$mode" in sqlite*) args+=(--db "$dir/bench.db") ;; esac
    [ "$mode" = sqlite-normal ] && args+=(--sync normal)
    if [ "${es_publish_apart:-0}" = 1 ]; then
      pub_port=$(free_port)
      args+=(--publish-addr "127.0.0.1:$pub_port")
    fi
    "${peer_wrapper[@]}" "$bin" "${args[@]}" >"$dir/stdout.log" 2>"$dir/stderr.log" &
    peer_pid=$!
    tracked+=("$peer_pid")
    local i
    for ((i = 0; i < 10 * ${peer_start_budget:-10}; i++)); do
      grep -q "listening on $scheme://127.0.0.1:$port" "$dir/stdout.log" 2>/dev/null && break
      alive "$peer_pid" || break
      sleep 0.1
    done
    grep -q "listening on $scheme://127.0.0.1:$port" "$dir/stdout.log" 2>/dev/null && break
    log "eventstream did not come up on port $port (try $try): $(tail -c 300 "$dir/stderr.log" 2>/dev/null)"
    stop_pid "$peer_pid"; untrack "$peer_pid"; peer_pid=""
  done
  [ -n "$peer_pid" ] || return 1
  peer_target=eventstream
  peer_url="$scheme://127.0.0.1:$port"
  peer_sub_url="$peer_url/events/?channel=bench"
  peer_pub_url="$peer_url/publish/"
  [ -n "$pub_port" ] && peer_pub_url="http://127.0.0.1:$pub_port/publish/"
  peer_pub_example='{"channel":"bench","type":"message","data":"dry-run-marker"}'
}

# nginx in the foreground (daemon off): $! is the master.
start_nginx() { # TEMPLATE DIR PORT [extra sed expressions]
  local template=$1 dir=$2 port=$3
  shift 3
  nginx_pid=""
  mkdir -p "$dir/tmp"
  sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$port|g" -e "s|@BACKLOG@|$somaxconn|g" "$@" "$template" >"$dir/nginx.conf"
  nginx -t -q -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" 2>"$dir/configtest.log" ||
    { log "nginx config test failed: $(cat "$dir/configtest.log")"; return 1; }
  nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" >"$dir/stdout.log" 2>&1 &
  nginx_pid=$!
  tracked+=("$nginx_pid")
  local i code
  for ((i = 0; i < 50; i++)); do
    code=$(http_status "http://127.0.0.1:$port/_ready" 0.5)
    [ "$code" != 000 ] && return 0
    alive "$nginx_pid" || break
    sleep 0.1
  done
  log "nginx ($template) did not answer on port $port: $(tail -c 300 "$dir/error.log" 2>/dev/null)"
  stop_pid "$nginx_pid"
  untrack "$nginx_pid"
  return 1
}

start_nchan() {
  local dir=$1 port
  peer_logs=("$dir/error.log" "$dir/configtest.log")
  port=$(free_port)
  start_nginx "$peers_dir/nchan.conf.in" "$dir" "$port" \
    -e "s|@MODULE@|$nchan_module|g" -e "s|@WORKERS@|$(nproc)|g" || return 1
  peer_pid=$nginx_pid
  peer_target=nchan
  peer_sub_url="http://127.0.0.1:$port/sub/?channel=bench"
  peer_pub_url="http://127.0.0.1:$port/pub?channel=bench"
  peer_pub_example='dry-run-marker'
}

start_pushpin() {
  local dir=$1 origin_port
  peer_logs=("$dir/pushpin/stdout.log" "$dir/origin/error.log" "$dir/origin/configtest.log")
  mkdir -p "$dir/origin"
  origin_port=$(free_port)
  start_nginx "$peers_dir/grip-origin.conf.in" "$dir/origin" "$origin_port" || return 1
  peer_extra_pids=("$nginx_pid")
  pick_pushpin_ports
  start_pushpin_proxy "$dir/pushpin" "127.0.0.1:$origin_port" || return 1
  peer_pid=$pushpin_pid
  peer_target=pushpin
  peer_sub_url="http://127.0.0.1:$pushpin_http_port/events/?channel=bench"
  peer_pub_url="http://127.0.0.1:$pushpin_pub_port/publish/"
  peer_pub_example='{"items":[{"channel":"bench","formats":{"http-stream":{"content":"data: dry-run-marker\n\n"}}}]}'
}

peer_wrapper=() # a command to run eventstream under (valgrind for --profile)
start_peer() {  # NAME DIR
  local name=$1 dir=$2
  peer_pid="" peer_extra_pids=() peer_logs=() peer_loadgen_args=()
  mkdir -p "$dir"
  case "$name" in
    # TLS+HTTP/2 against plain HTTP/1.1: the same storage, publishing apart in both.
    eventstream-h2)
      # Each new connection is a TLS handshake, which takes the server ~1 ms of CPU here:
      # at 5,000 connections/s they would queue until its handshake timeout.
      peer_loadgen_args=(--h2 --streams-per-connection "$h2_streams"
        --connect-rate $((h2_streams >= 10 ? 5000 : 500 * h2_streams)))
      es_publish_apart=1 start_eventstream memory "$dir" "$eventstream_bin" --tls-self-signed \
        --h2-max-streams "$h2_streams" ;;
    eventstream-h1) es_publish_apart=1 start_eventstream memory "$dir" "$eventstream_bin" ;;
    eventstream-own) start_eventstream memory "$dir" "$eventstream_bin" && peer_loadgen_args=(--batch 1) ;;
    eventstream-mercure)
      start_eventstream memory "$dir" "$eventstream_bin" --mercure-publisher-jwt-key "$mercure_key" \
        --mercure-anonymous || return 1
      peer_target=mercure
      peer_sub_url="$peer_url/.well-known/mercure?topic=bench"
      peer_pub_url="$peer_url/.well-known/mercure"
      peer_loadgen_args=(--token "$(hs256_jwt "$mercure_key" '{"mercure":{"publish":["*"]}}')") ;;
    eventstream-*) start_eventstream "${name#eventstream-}" "$dir" ;;
    old) start_eventstream sqlite "$dir" "$ab_old" ;;
    new) start_eventstream sqlite "$dir" "$ab_new" ;;
    nchan) start_nchan "$dir" ;;
    pushpin) start_pushpin "$dir" ;;
  esac
}

stop_peer() {
  local p
  if [ -n "$peer_pid" ]; then stop_pid "$peer_pid" "${peer_stop_grace:-5}"; untrack "$peer_pid"; fi
  for p in "${peer_extra_pids[@]}"; do stop_pid "$p"; untrack "$p"; done
  peer_pid="" peer_extra_pids=()
}

# ---------------------------------------------------------------- workloads

if [ $quick = 1 ]; then
  idle_subs=1000 idle_max_subs=1950 idle_hold=2
  fan_a_subs=100 fan_a_rate=200 fan_b_subs=1000 fan_b_rate=20 fan_duration=2
  lat_a_subs=100 lat_b_subs=1000 cap_a_subs=100 cap_b_subs=1000
  pub_duration=2 replay_events=10000
  storm_clients=100 storm_events=10000 storm_quiet=2
  handshakes=1000
else
  idle_subs=10000 idle_max_subs=19500 idle_hold=5
  fan_a_subs=1000 fan_a_rate=200 fan_b_subs=10000 fan_b_rate=20 fan_duration=10
  lat_a_subs=1000 lat_b_subs=10000 cap_a_subs=1000 cap_b_subs=10000
  pub_duration=5 replay_events=100000
  storm_clients=400 storm_events=50000 storm_quiet=5
  handshakes=10000
fi
fan_a_args="--subscribers $fan_a_subs --rate $fan_a_rate --duration $fan_duration --publishers 4 --threads 2"
fan_b_args="--subscribers $fan_b_subs --rate $fan_b_rate --duration $fan_duration --publishers 4 --threads 2"
# What --ab and --tls run on both of their peers (case name | workload | loadgen arguments).
pair_cases=(
  "fanout-${fan_a_subs}x${fan_a_rate}|fanout|$fan_a_args"
  "fanout-${fan_b_subs}x${fan_b_rate}|fanout|$fan_b_args"
  "idle-$idle_subs|idle|--subscribers $idle_subs --hold $idle_hold"
)

eventstream_peers="eventstream-none eventstream-memory eventstream-sqlite"
# The replay storm: 200 live subscribers at 50 events/s, timed quiet, then while
# $storm_clients clients each replay $storm_events stored events from SQLite.
storm_case="storm-${storm_clients}x${storm_events}"
storm_args="--subscribers 200 --rate 50 --quiet $storm_quiet --replay-clients $storm_clients --replay-events $storm_events --batch 100 --publishers 4 --threads 2"
# case name | workload | peers | loadgen arguments
cases=(
  "idle-$idle_subs|idle|$eventstream_peers nchan pushpin|--subscribers $idle_subs --hold $idle_hold"
  "idle-$idle_max_subs|idle|$eventstream_peers nchan|--subscribers $idle_max_subs --hold $idle_hold"
  "fanout-${fan_a_subs}x${fan_a_rate}|fanout|$eventstream_peers nchan pushpin|$fan_a_args"
  "fanout-${fan_b_subs}x${fan_b_rate}|fanout|$eventstream_peers nchan pushpin|$fan_b_args"
  "latency-${lat_a_subs}x20|fanout|eventstream-memory nchan|--subscribers $lat_a_subs --rate 20 --duration $fan_duration --publishers 1 --threads 2"
  "latency-${lat_b_subs}x2|fanout|eventstream-memory nchan|--subscribers $lat_b_subs --rate 2 --duration $fan_duration --publishers 1 --threads 2"
  "capacity-${cap_a_subs}x1000|fanout|eventstream-memory nchan|--subscribers $cap_a_subs --rate 1000 --duration $fan_duration --publishers 8 --threads 2"
  "capacity-${cap_b_subs}x100|fanout|eventstream-memory nchan|--subscribers $cap_b_subs --rate 100 --duration $fan_duration --publishers 8 --threads 2"
  "publish-p1|publish|$eventstream_peers eventstream-sqlite-normal nchan|--subscribers 1 --publishers 1 --batch 1 --rate 0 --duration $pub_duration"
  "publish-p8|publish|$eventstream_peers eventstream-sqlite-normal nchan|--subscribers 1 --publishers 8 --batch 1 --rate 0 --duration $pub_duration"
  "publish-p8-batch10|publish|$eventstream_peers eventstream-sqlite-normal|--subscribers 1 --publishers 8 --batch 10 --rate 0 --duration $pub_duration"
  "replay-$replay_events|replay|eventstream-memory eventstream-sqlite|--subscribers 1 --batch 100 --replay-events $replay_events"
  "$storm_case|storm|eventstream-sqlite|$storm_args"
)

arg_value() { # FLAG ARGS...: the value after FLAG, or empty
  local flag=$1
  shift
  while [ $# -gt 0 ]; do
    [ "$1" = "$flag" ] && { echo "${2:-}"; return; }
    shift
  done
}

# Upper bound in seconds for one loadgen call: connecting, the timed part, slack.
case_timeout() { # ARGS...
  local subs dur hold replay clients quiet handshakes
  subs=$(arg_value --subscribers "$@"); dur=$(arg_value --duration "$@")
  handshakes=$(arg_value --handshakes "$@")
  hold=$(arg_value --hold "$@"); replay=$(arg_value --replay-events "$@")
  clients=$(arg_value --replay-clients "$@"); quiet=$(arg_value --quiet "$@")
  # A storm replays at 100,000 events/s at least.
  # New connections: 200/s at least (loadgen bounds itself likewise).
  echo $((60 + ${subs:-1} / 200 + ${dur:-0} + ${hold:-0} + ${replay:-0} / 500 + ${quiet:-0} +
    ${replay:-0} * ${clients:-0} / 100000 + ${handshakes:-0} / 200))
}

case_index=0
round_tag="" # --ab: .rN, which round a result belongs to
run_one() { # CASE WORKLOAD PEER ARGS...
  local case=$1 workload=$2 peer=$3
  shift 3
  local dir="$work/$case-$peer$round_tag" result="$results/${case}__${peer}$round_tag.json"
  local now limit remaining
  now=$(date +%s)
  remaining=$((deadline - now))
  if [ $remaining -le 10 ]; then
    log "$case / $peer: skipped, the --timeout budget is spent"
    jq -n --arg c "$case" --arg w "$workload" --arg p "$peer" --argjson idx "$case_index" \
      '{case: $c, case_index: $idx, workload: $w, peer: $p, error: "skipped: --timeout budget spent"}' >"$result"
    return 0
  fi
  limit=$(case_timeout "$@")
  [ "$limit" -gt "$remaining" ] && limit=$remaining

  log "$case / $peer: starting a fresh server"
  if ! start_peer "$peer" "$dir"; then
    stop_peer
    jq -n --arg c "$case" --arg w "$workload" --arg p "$peer" --argjson idx "$case_index" \
      '{case: $c, case_index: $idx, workload: $w, peer: $p, error: "server did not start"}' >"$result"
    keep_logs "$case" "$peer"
    return 0
  fi
  local base_rss base_pss
  read -r base_rss base_pss < <(tree_mem "$peer_pid")
  start_sampler "$peer_pid" "$dir/peak-mem"

  # Split big idle runs over several loadgen processes (fd limit per process).
  local subs parts=1 i
  subs=$(arg_value --subscribers "$@")
  if [ "$workload" = idle ] && [ "${subs:-0}" -gt $subs_per_process ]; then
    parts=$(((subs + subs_per_process - 1) / subs_per_process))
  fi
  # Every process of the server (nginx master and workers; Pushpin's runner, condure,
  # zurl, proxy and handler): loadgen sums their RSS before and after.
  local server_pids
  server_pids=$(tree_pids "$peer_pid" | sort -n | paste -sd, -)
  local base_args=(--target "$peer_target" --label "$peer" --sub-url "$peer_sub_url"
    --pub-url "$peer_pub_url" --workload "$workload" --server-pid "$server_pids" "${peer_loadgen_args[@]}")
  # Pushpin answers 200 to every subscriber, but when new connections arrive faster than
  # ~1,000/s some sessions are never subscribed in its handler (seen here: 168 of 1,000
  # at 2,000/s, none at 500-700/s), so they silently miss every event.
  [ "$peer" = pushpin ] && base_args+=(--connect-rate "$pushpin_connect_rate")
  # Client ports left in TIME_WAIT by one run stay taken for a minute: spread every run
  # over eight source addresses (28k ports each), so back-to-back runs never run out.
  base_args+=(--sources 8)
  local pids=() rcs=() jsons=()
  if [ $parts = 1 ]; then
    timeout -k 10 "$limit" "$loadgen_bin" "${base_args[@]}" "$@" --json "$result.tmp" \
      >"$dir/loadgen.log" 2>&1 &
    pids+=($!)
    jsons+=("$result.tmp")
  else
    local per rest args a
    per=$((subs / parts)) rest=$((subs % parts))
    for ((i = 1; i <= parts; i++)); do
      args=()
      local skip=0
      for a in "$@"; do # same arguments with this part's --subscribers
        if [ $skip = 1 ]; then skip=0; continue; fi
        [ "$a" = --subscribers ] && { skip=1; continue; }
        args+=("$a")
      done
      timeout -k 10 "$limit" "$loadgen_bin" "${base_args[@]}" "${args[@]}" \
        --subscribers $((per + (i <= rest ? 1 : 0))) --json "${result%.json}.part$i.json" \
        >"$dir/loadgen.part$i.log" 2>&1 &
      pids+=($!)
      jsons+=("${result%.json}.part$i.json")
    done
  fi
  tracked+=("${pids[@]}")
  local p rc failed=0
  for p in "${pids[@]}"; do
    rc=0
    wait "$p" || rc=$?
    untrack "$p"
    rcs+=("$rc")
  done
  stop_pid "$sampler_pid"; untrack "$sampler_pid"
  local peak_rss=0 peak_pss=0
  [ -s "$dir/peak-mem" ] && read -r peak_rss peak_pss <"$dir/peak-mem"
  local procs
  procs=$(tree_pids "$peer_pid" | wc -l)
  stop_peer
  cat "$dir"/loadgen*.log 2>/dev/null || true

  # Merge the parts: counts add up, latencies take the worst part.
  local have=()
  for p in "${jsons[@]}"; do [ -s "$p" ] && jq -e . "$p" >/dev/null 2>&1 && have+=("$p"); done
  local merged="$dir/merged.json"
  if [ ${#have[@]} -eq 0 ]; then
    echo '{}' >"$merged"
  elif [ ${#have[@]} -eq 1 ] && [ $parts = 1 ]; then
    cp "${have[0]}" "$merged"
  else
    jq -s '
      def total(k): map(.[k] // 0) | add;
      def worst(k): map(.latency_ms[k] // empty) | max;
      (map(.rss_kib_before // empty) | min) as $before
      | (map(.rss_kib_after // empty) | max) as $after
      | .[0] + {
        subscribers: total("subscribers"), connected: total("connected"),
        connect_errors: total("connect_errors"), disconnected: total("disconnected"),
        published: total("published"), accepted: total("accepted"),
        publish_errors: total("publish_errors"), deliveries: total("deliveries"),
        expected_deliveries: total("expected_deliveries"), lost: total("lost"),
        reordered: total("reordered"), deliveries_per_s: total("deliveries_per_s"),
        latency_ms: {p50: worst("p50"), p99: worst("p99"), max: worst("max")},
        loadgen_processes: length }
      | if $before != null and $after != null and .connected > 0 then
          . + {rss_kib_before: $before, rss_kib_after: $after,
               rss_kib_per_subscriber: (($after - $before) / .connected)}
        else . end' "${have[@]}" >"$merged"
  fi
  local err=""
  # loadgen exits 3 when it saw loss, reordering or errors: a result, not a failure;
  # 124 is `timeout` ending it.
  for rc in "${rcs[@]}"; do
    case "$rc" in 0 | 3) ;; *) failed=1 ;; esac
  done
  [ $failed = 1 ] && err="loadgen exit codes: ${rcs[*]} (124 = stopped by the time bound)"
  [ ${#have[@]} -lt ${#jsons[@]} ] && err="${err:+$err; }$(( ${#jsons[@]} - ${#have[@]} )) of ${#jsons[@]} loadgen JSON files missing"
  jq --arg c "$case" --arg w "$workload" --arg p "$peer" --arg err "$err" \
    --argjson base_rss "${base_rss:-0}" --argjson base_pss "${base_pss:-0}" \
    --argjson peak_rss "${peak_rss:-0}" --argjson peak_pss "${peak_pss:-0}" \
    --argjson procs "${procs:-0}" --argjson parts "$parts" --argjson idx "$case_index" '
    . + {case: $c, case_index: $idx, peer: $p, workload: (.workload // $w),
         server_processes: $procs, loadgen_processes: (.loadgen_processes // $parts),
         server_rss_kib_baseline: $base_rss, server_rss_kib_peak: $peak_rss,
         server_pss_kib_baseline: $base_pss, server_pss_kib_peak: $peak_pss}
    | if ($w == "idle" and ((.connected // 0) > 0)) then
        . + {run_rss_kib_per_subscriber: (($peak_rss - $base_rss) / .connected),
             run_pss_kib_per_subscriber: (($peak_pss - $base_pss) / .connected)}
      else . end
    | if $err != "" then . + {error: $err} else . end' "$merged" >"$result"
  rm -f "$result.tmp" 2>/dev/null || true
  keep_logs "$case" "$peer" "$dir"
}

keep_logs() { # CASE PEER [DIR]: server and loadgen logs into $results/logs
  mkdir -p "$results/logs"
  local f
  for f in "${peer_logs[@]}" ${3:+"$3"/loadgen*.log}; do
    [ -s "$f" ] && cp "$f" "$results/logs/${1}__${2}$round_tag.$(basename "$f")"
  done
  return 0
}

# ---------------------------------------------------------------- dry run

if [ $dry_run = 1 ]; then
  failures=0
  for peer in "${selected[@]}"; do
    dir="$work/dry-$peer"
    log "$peer: starting"
    if ! start_peer "$peer" "$dir"; then
      log "$peer: FAILED to start"; failures=$((failures + 1)); stop_peer; continue
    fi
    read -r rss pss < <(tree_mem "$peer_pid")
    # One real round trip: a curl subscriber, one publish, the marker must arrive.
    # --insecure: eventstream-h2's certificate is a throwaway one.
    curl -sN --insecure --max-time 3 -H 'Accept: text/event-stream' "$peer_sub_url" >"$dir/sub.out" 2>/dev/null &
    curl_pid=$!
    tracked+=("$curl_pid")
    sleep 0.7
    pub_status=$(curl -s -o "$dir/pub.out" -w '%{http_code}' --max-time 3 -d "$peer_pub_example" "$peer_pub_url" || true)
    for ((i = 0; i < 25; i++)); do
      grep -q dry-run-marker "$dir/sub.out" 2>/dev/null && break
      sleep 0.1
    done
    stop_pid "$curl_pid"
    untrack "$curl_pid"
    if grep -q dry-run-marker "$dir/sub.out"; then verdict=ok; else verdict=FAILED; failures=$((failures + 1)); fi
    printf '%-19s target=%-11s pid=%-7s processes=%s rss=%s KiB pss=%s KiB\n' \
      "$peer" "$peer_target" "$peer_pid" "$(tree_pids "$peer_pid" | wc -l)" "$rss" "$pss"
    printf '  subscribe: %s\n  publish:   POST %s  (HTTP %s)\n  round trip: %s\n' \
      "$peer_sub_url" "$peer_pub_url" "$pub_status" "$verdict"
    [ $verdict = ok ] || { echo "  subscriber got:"; sed 's/^/    | /' "$dir/sub.out" | head -20; }
    t0=$(date +%s%N)
    stop_peer
    echo "  stopped in $((($(date +%s%N) - t0) / 1000000)) ms"
  done
  echo
  echo "A real run would call (URLs and PIDs differ per run):"
  for c in "${cases[@]}"; do
    IFS='|' read -r name workload peers args <<<"$c"
    for peer in $peers; do
      is_selected "$peer" || continue
      [ "$peer" = pushpin ] && [ "$workload" != idle ] && [ "$workload" != fanout ] && continue
      rate_opt=""
      [ "$peer" = pushpin ] && rate_opt=" --connect-rate $pushpin_connect_rate"
      # shellcheck disable=SC2086 # args is a word list by design
      echo "  [$name / $peer] timeout $(case_timeout $args) $loadgen_bin --target ${peer%%-*} --label $peer --sub-url SUB --pub-url PUB --workload $workload$rate_opt $args --server-pid PIDS --json OUT/${name}__${peer}.json"
      # shellcheck disable=SC2086
      subs=$(arg_value --subscribers $args)
      if [ "$workload" = idle ] && [ "$subs" -gt $subs_per_process ]; then
        parts=$(((subs + subs_per_process - 1) / subs_per_process))
        echo "      (as $parts loadgen processes in parallel, --subscribers $((subs / parts)) each, JSON merged)"
      fi
    done
  done
  [ $failures = 0 ] || die "$failures peer(s) failed the dry run"
  log "dry run ok; no process left running"
  exit 0
fi

# ---------------------------------------------------------------- profile

if [ $profile = 1 ]; then
  peer=""
  for p in "${selected[@]}"; do case "$p" in eventstream-*) peer=${peer:-$p} ;; esac; done
  [ -n "$only" ] || peer=eventstream-memory
  [ -n "$peer" ] || die "--profile profiles eventstream: pick one with --only eventstream-MODE"
  open_results run.sh -profile nginx libnginx-mod-nchan pushpin condure zurl
  if [ -z "$profiler" ]; then
    ensure_packages linux-perf
    if perf record -q -o "$work/probe.data" -- true >/dev/null 2>&1; then profiler=perf; else profiler=callgrind; fi
  fi
  if [ "$profiler" = perf ]; then
    ensure_packages linux-perf
    subs=$fan_a_subs rate=$fan_a_rate duration=$fan_duration
  else
    ensure_packages valgrind
    # Under callgrind the server runs ~50x slower: a much smaller, shorter run.
    subs=$((fan_a_subs / 10)) rate=$((fan_a_rate / 4)) duration=3
    peer_wrapper=(valgrind --tool=callgrind --callgrind-out-file="$results/callgrind.out")
    peer_start_budget=60 peer_stop_grace=60
  fi
  name="fanout-${subs}x${rate}"
  dir="$work/profile-$peer"
  log "profiling $peer with $profiler under $name for ${duration}s"
  start_peer "$peer" "$dir" || die "eventstream did not start"
  if [ "$profiler" = perf ]; then
    # -g walks frame pointers, which a Release build mostly omits: the flat (self)
    # report is exact, call chains are partial. EVENTSTREAM_BENCH_PERF_CALLGRAPH=dwarf
    # gives full chains at the price of a much bigger perf.data.
    perf record -F 999 --call-graph "${EVENTSTREAM_BENCH_PERF_CALLGRAPH:-fp}" -p "$peer_pid" \
      -o "$results/perf.data" >"$dir/perf.log" 2>&1 &
    perf_pid=$!
    tracked+=("$perf_pid")
    sleep 1
  fi
  rc=0
  timeout -k 10 $((120 + duration)) "$loadgen_bin" --target eventstream --label "$peer" --sub-url "$peer_sub_url" \
    --pub-url "$peer_pub_url" --workload fanout --subscribers "$subs" --rate "$rate" \
    --duration "$duration" --server-pid "$peer_pid" --json "$results/profile-${name}__${peer}.json" || rc=$?
  [ $rc = 0 ] || log "loadgen exited with $rc"
  if [ "$profiler" = perf ]; then
    kill -INT "$perf_pid" 2>/dev/null || true
    wait "$perf_pid" 2>/dev/null || true
    untrack "$perf_pid"
  fi
  stop_peer
  if [ "$profiler" = perf ]; then
    perf report -i "$results/perf.data" --stdio --no-children -g none --percent-limit 0.5 \
      >"$results/profile-perf-self.txt" 2>/dev/null || true
    perf report -i "$results/perf.data" --stdio --children --percent-limit 2 \
      >"$results/profile-perf-children.txt" 2>/dev/null || true
    log "reports: $results/profile-perf-self.txt, profile-perf-children.txt (data: perf.data)"
    head -60 "$results/profile-perf-self.txt"
  else
    callgrind_annotate "$results/callgrind.out" >"$results/profile-callgrind.txt" 2>/dev/null || true
    callgrind_annotate --inclusive=yes "$results/callgrind.out" \
      >"$results/profile-callgrind-inclusive.txt" 2>/dev/null || true
    log "reports: $results/profile-callgrind.txt, profile-callgrind-inclusive.txt"
    head -60 "$results/profile-callgrind.txt"
  fi
  exit 0
fi

# ---------------------------------------------------------------- A/B

# /healthz of an instance on one I/O thread (--threads 1 --storage redis) while a client
# resumes and Redis is stopped (SIGSTOP): how long a storage call blocks that thread.
measure_healthz() { # PEER BINARY
  local peer=$1 bin=$2 case=healthz-redis-stopped
  local dir="$work/$case-$peer$round_tag" result="$results/${case}__$peer$round_tag.json"
  local answer="" resumer i
  mkdir -p "$dir"
  peer_logs=()
  log "$case / $peer: starting redis-server and a fresh server"
  if start_redis "$dir" && start_eventstream redis "$dir" "$bin" --threads 1 --redis "$redis_url"; then
    # Stored events for the client to resume after.
    curl -s -o /dev/null --max-time 5 -d '{"items": [{"channel": "bench", "type": "m", "data": 1},
      {"channel": "bench", "type": "m", "data": 2}, {"channel": "bench", "type": "m", "data": 3}]}' "$peer_pub_url" || true
    kill -STOP "$redis_pid"
    curl -sN --max-time 20 -H 'Accept: text/event-stream' -H 'Last-Event-ID: bench:1' "$peer_sub_url" >/dev/null 2>&1 &
    resumer=$!
    tracked+=("$resumer")
    sleep 0.5 # the resume has reached storage
    answer=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 30 "$peer_url/healthz" || true)
    kill -CONT "$redis_pid"
    stop_pid "$resumer"; untrack "$resumer"
  fi
  kill -CONT "$redis_pid" 2>/dev/null || true
  stop_peer
  stop_pid "$redis_pid"; untrack "$redis_pid"
  local status=${answer%% *} seconds=${answer#* }
  [ -n "$answer" ] || status=000 seconds=0
  log "$case / $peer: /healthz answered $status in ${seconds}s"
  jq -n --arg c "$case" --arg p "$peer" --argjson idx "$case_index" --arg status "$status" --argjson s "$seconds" '
    {case: $c, case_index: $idx, workload: "healthz", peer: $p, healthz_status: ($status | tonumber),
     healthz_ms: ($s * 1000 | round)}
    | if $status != "200" then . + {error: "/healthz answered \($status)"} else . end' >"$result"
  peer_logs+=("$dir/redis.log")
  keep_logs "$case" "$peer"
}

if [ -n "$ab_old" ]; then
  open_results run.sh -ab redis-server
  for b in old new; do
    bin=$ab_old
    [ $b = new ] && bin=$ab_new
    src=$(git -C "$(dirname "$bin")" rev-parse --short HEAD 2>/dev/null || echo "not in a git checkout")
    git -C "$(dirname "$bin")" diff --quiet HEAD 2>/dev/null || src+=" (work tree differs)"
    echo "$b: $bin, built from $src" >>"$results/environment.txt"
  done
  ab_cases=("$storm_case|storm|$storm_args" "${pair_cases[@]}")
  for ((round = 1; round <= rounds; round++)); do
    round_tag=".r$round"
    # Who goes first alternates, so a drift of the machine weighs on both alike.
    order="old new"
    [ $((round % 2)) = 0 ] && order="new old"
    log "round $round of $rounds: $order"
    for c in "${ab_cases[@]}"; do
      IFS='|' read -r name workload args <<<"$c"
      case_index=$((case_index + 1))
      # shellcheck disable=SC2086 # args is a word list by design
      run_in_turn "$name" "$workload" "$order" $args
    done
    case_index=$((case_index + 1))
    for peer in $order; do
      bin=$ab_old
      [ "$peer" = new ] && bin=$ab_new
      measure_healthz "$peer" "$bin"
      mark_round "$results/healthz-redis-stopped__$peer$round_tag.json"
    done
  done
  log "done in $(($(date +%s) - started)) s; results in $results"
  pair_summary "$results" old old new new | tee "$results/summary.txt"
  exit 0
fi

# ---------------------------------------------------------------- Mercure

if [ $mercure_mode = 1 ]; then
  open_results run.sh -mercure
  for ((round = 1; round <= rounds; round++)); do
    round_tag=".r$round"
    log "round $round of $rounds"
    for c in "${pair_cases[@]}"; do
      IFS='|' read -r name workload args <<<"$c"
      case_index=$((case_index + 1))
      order="eventstream-own eventstream-mercure"
      [ $(((round + case_index) % 2)) = 0 ] && order="eventstream-mercure eventstream-own"
      # shellcheck disable=SC2086 # args is a word list by design
      run_in_turn "$name" "$workload" "$order" $args
    done
    case_index=0
  done
  log "done in $(($(date +%s) - started)) s; results in $results"
  pair_summary "$results" eventstream-own own eventstream-mercure mercure | tee "$results/summary.txt"
  exit 0
fi

# ---------------------------------------------------------------- TLS+HTTP/2

if [ $tls_mode = 1 ]; then
  open_results run.sh -tls
  # h2: 10,000 streams on 100 connections; h1: 10,000 connections. New connections: TLS
  # handshakes with one GET /healthz each against plain connects with the same GET.
  tls_cases=("${pair_cases[@]}" "connections-$handshakes|handshakes|--handshakes $handshakes --concurrency 50 --threads 2")
  for ((round = 1; round <= rounds; round++)); do
    round_tag=".r$round"
    log "round $round of $rounds"
    for c in "${tls_cases[@]}"; do
      IFS='|' read -r name workload args <<<"$c"
      case_index=$((case_index + 1))
      # Who goes first alternates from workload to workload and round to round, so a
      # drift of the machine weighs on both alike.
      order="eventstream-h1 eventstream-h2"
      [ $(((round + case_index) % 2)) = 0 ] && order="eventstream-h2 eventstream-h1"
      # shellcheck disable=SC2086 # args is a word list by design
      run_in_turn "$name" "$workload" "$order" $args
    done
    case_index=0 # the same workloads again: the same ranks in the summary
  done
  log "done in $(($(date +%s) - started)) s; results in $results"
  pair_summary "$results" eventstream-h1 h1 eventstream-h2 h2 | tee "$results/summary.txt"
  exit 0
fi

# ---------------------------------------------------------------- the run

open_results run.sh "" nginx libnginx-mod-nchan pushpin condure zurl

case_selected() { # NAME: is it in --cases (or is there no --cases)?
  local pattern
  [ -z "$only_cases" ] && return 0
  for pattern in ${only_cases//,/ }; do
    # shellcheck disable=SC2053 # the pattern is a glob on purpose
    [[ "$1" == $pattern ]] && return 0
  done
  return 1
}

for c in "${cases[@]}"; do
  IFS='|' read -r name workload peers args <<<"$c"
  case_index=$((case_index + 1))
  case_selected "$name" || continue
  # Peers take turns on each workload (A, B, C, ... then the next workload), each
  # on a fresh server, so slow drifts of the machine spread over all of them.
  for peer in $peers; do
    is_selected "$peer" || continue
    # shellcheck disable=SC2086 # args is a word list by design
    run_one "$name" "$workload" "$peer" $args
  done
done

log "done in $(($(date +%s) - started)) s; results in $results"
summarize "$results" | tee "$results/summary.txt"
