#!/usr/bin/env bash
# bench/scale.sh: eventstream scaled out. The same workloads against one instance, two
# instances sharing Redis, and each of those behind Pushpin; then 100,000 subscribers
# held over six instances sharing Redis (and sharing a three-primary Redis Cluster), with
# every event checked; then six instances with subscribers spread over thousands of
# channels, global fan-out (every instance receives every event) against per-channel
# fan-out (an instance receives its channels' events), measured in the same run.
# docs/performance.md ("Scaling out") explains the setups, docs/scaling.md the fan-out
# figures and what they extrapolate to.
#
#   bash bench/scale.sh [--quick] [--only SETUP,...] [--out DIR] [--timeout SECONDS]
#                       [--channel-layout CHANNELSxSUBS | --full-channels] [--channel-rate N]
#                       [--channel-seconds N] [--eventstream-bin PATH] [--loadgen-bin PATH]
#                       [--global-bin PATH] [--global-commit REV] [--log-level LEVEL]
#   bash bench/scale.sh --summary DIR                 re-print the summary of a run
#
# Setups: one, two-redis, pushpin-one, pushpin-two-redis (compared on every workload),
# six-redis and six-cluster (the 100,000-subscriber run, on one redis-server and on a
# three-primary Redis Cluster, `--redis redis-cluster://...`), channels-global and
# channels-per-channel (six instances, one redis-server; CHANNELS channels of SUBS
# subscribers each, channel K held by instance K mod 6 only, --channel-rate events/s for
# --channel-seconds to random channels; default 6000x10 at 500/s for 20 s, --quick
# 600x10 at 200/s for 5 s, --full-channels the issue's 60000x10). channels-global runs
# the binary of --global-bin (default build-global-fanout/build/cmd/eventstream, built
# there from `git archive --global-commit`, default 444a1b1^, the last commit with global
# fan-out, when missing: no download, no change to the work tree or index);
# channels-per-channel and the rest run --eventstream-bin (default build/cmd/eventstream).
# The binaries may also come from $EVENTSTREAM_BIN, $LOADGEN_BIN, $GLOBAL_EVENTSTREAM_BIN.
# --log-level sets the instances' (default warn; their stderr is kept with the results).
# Subscribers are spread over the instances
# (or all go to Pushpin), publishers take the instances in turn. More subscribers than
# one process may hold (20,000 open files) are split over several `loadgen --workload
# listen` processes and source addresses 127.0.0.x; one more loadgen process publishes
# once they are all connected. Everything listens on 127.0.0.1, lives in its own temp
# dir, is started fresh for every workload and stopped by PID afterwards.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
peers_dir="$here/peers"
eventstream_bin=${EVENTSTREAM_BIN:-"$repo/build/cmd/eventstream"}
loadgen_bin=${LOADGEN_BIN:-"$repo/build/bench/loadgen"}
global_bin=${GLOBAL_EVENTSTREAM_BIN:-""}
global_commit="444a1b1^"
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

all_setups=(one two-redis pushpin-one pushpin-two-redis six-redis six-cluster channels-global channels-per-channel)
subs_per_process=10000
# Pushpin misses subscriptions when clients connect faster than ~1,000/s (see run.sh).
pushpin_connect_rate=500

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"; }

orig_args=("$@")
quick=0 only="" out="" budget=3600 summary_only="" log_level=warn channel_layout="" channel_rate="" channel_secs=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --channel-layout) channel_layout=${2:?--channel-layout needs CHANNELSxSUBSCRIBERS, e.g. 6000x10}; shift ;;
    --full-channels) channel_layout=60000x10 ;;
    --channel-rate) channel_rate=${2:?--channel-rate needs events per second}; shift ;;
    --channel-seconds) channel_secs=${2:?--channel-seconds needs seconds}; shift ;;
    --eventstream-bin) eventstream_bin=${2:?--eventstream-bin needs a path}; shift ;;
    --loadgen-bin) loadgen_bin=${2:?--loadgen-bin needs a path}; shift ;;
    --global-bin) global_bin=${2:?--global-bin needs a path}; shift ;;
    --global-commit) global_commit=${2:?--global-commit needs a git revision}; shift ;;
    --log-level) log_level=${2:?--log-level needs a level, e.g. info}; shift ;;
    --only) only=${2:?--only needs a list of setups}; shift ;;
    --out) out=${2:?--out needs a directory}; shift ;;
    --timeout) budget=${2:?--timeout needs seconds}; shift ;;
    --summary) summary_only=${2:?--summary needs a results directory}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "scale.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$budget" in '' | *[!0-9]*) echo "scale.sh: --timeout wants whole seconds" >&2; exit 2 ;; esac
if [ $quick = 1 ]; then
  : "${channel_layout:=600x10}" "${channel_rate:=200}" "${channel_secs:=5}"
else
  : "${channel_layout:=6000x10}" "${channel_rate:=500}" "${channel_secs:=20}"
fi
case "$channel_layout" in
  [1-9]*x[1-9]*) channel_count=${channel_layout%x*} channel_subs=${channel_layout#*x} ;;
  *) channel_count="" ;;
esac
case "$channel_count$channel_subs$channel_rate$channel_secs" in
  '' | *[!0-9]*) echo "scale.sh: --channel-layout wants CHANNELSxSUBSCRIBERS (e.g. 6000x10), --channel-rate and --channel-seconds whole numbers" >&2; exit 2 ;;
esac
[ $((channel_count % 6)) = 0 ] ||
  { echo "scale.sh: --channel-layout: the channels ($channel_count) should be a multiple of the six instances" >&2; exit 2; }
[ "$channel_subs" -le 10000 ] || { echo "scale.sh: --channel-layout: at most 10,000 subscribers per channel" >&2; exit 2; }
global_bin_given=${global_bin:+1}
: "${global_bin:="$repo/build-global-fanout/build/cmd/eventstream"}"
selected=" ${all_setups[*]} "
if [ -n "$only" ]; then
  selected=" ${only//,/ } "
  for s in $selected; do
    case " ${all_setups[*]} " in *" $s "*) ;; *) echo "scale.sh: unknown setup '$s'; setups are: ${all_setups[*]}" >&2; exit 2 ;; esac
  done
fi

# ---------------------------------------------------------------- summary

# A table of every result, then each setup against `one` on the same workload.
summarize() {
  local dir=$1
  command -v jq >/dev/null || { log "jq is missing: no summary (the JSON files are in $dir)"; return 0; }
  local files=("$dir"/*__*.json)
  [ -e "${files[0]}" ] || { log "no results in $dir"; return 0; }
  jq -r '[.case_index, .case, .setup, .instances, .connected, .subscribers, .deliveries_per_s,
          .lost, .reordered, .errors, .latency_ms.p50, .latency_ms.p99, .kib_per_connection, .error // ""]
         | map(if . == null then "-" elif type == "number" then (. * 100 | round / 100 | tostring) else . end)
         | @tsv' "${files[@]}" | sort -t "$(printf '\t')" -k1,1n -k3,3 |
    awk -F '\t' '
      function ratio(a, b) { return (a != "-" && b != "-" && b + 0 != 0) ? sprintf("%.2f", a / b) : "-" }
      BEGIN {
        fmt = "%-17s %-21s %4s %15s %10s %6s %5s %5s %7s %7s %8s  %s\n"
        printf fmt, "workload", "setup", "inst", "held/offered", "deliv/s", "lost", "reord", "errs",
          "p50 ms", "p99 ms", "KiB/conn", "error"
      }
      {
        printf fmt, $2, $3, $4, $5 "/" $6, $7, $8, $9, $10, $11, $12, $13, $14
        if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 }
        rows[$2] = rows[$2] " " $3; held[$2, $3] = $5; deliv[$2, $3] = $7; p99[$2, $3] = $12
      }
      END {
        print ""
        print "against one instance on the same workload (held, deliv/s: above 1 = more; p99: below 1 = faster):"
        for (k = 1; k <= n; k++) {
          c = order[k]
          if (!((c, "one") in held)) continue
          m = split(rows[c], s, " ")
          for (i = 1; i <= m; i++) {
            if (s[i] == "one") continue
            printf "  %-17s %-21s held %s  deliv/s %s  p99 %s\n", c, s[i],
              ratio(held[c, s[i]], held[c, "one"]), ratio(deliv[c, s[i]], deliv[c, "one"]), ratio(p99[c, s[i]], p99[c, "one"])
          }
        }
      }'
  summarize_fanout "${files[@]}"
}

# What Redis and the instances spent while publishing (the runs that measured it), then
# per-channel fan-out against global fan-out on the same workload.
summarize_fanout() {
  local rows
  rows=$(jq -r 'select(.fanout != null) | [.case_index, .case, .setup, .accepted, .fanout.redis_messages_per_event,
          .fanout.redis_messages_source, .fanout.redis_out_bytes_per_event, .fanout.redis_cpu_s_per_s,
          .fanout.instance_cpu_s_per_s_total, .fanout.instance_cpu_s_per_s_max, .fanout.instance_cpu_ms_per_event,
          .lost, .reordered, .fanout.idle.redis_cpu_s_per_s, .fanout.idle.instance_cpu_s_per_s_total, .deliveries]
         | map(if . == null then "-" elif type == "number" then (. * 1000 | round / 1000 | tostring) else . end)
         | @tsv' "$@" | sort -t "$(printf '\t')" -k1,1n -k3,3)
  [ -n "$rows" ] || return 0
  echo
  echo "while publishing: Redis messages out per event (source), Redis bytes out per event, Redis CPU s/s,"
  echo "the instances' CPU s/s (sum, busiest), instance CPU ms per event, and Redis's and the instances' CPU s/s"
  echo "over the 5 idle seconds before (subscribers held, nothing published):"
  awk -F '\t' '
    function ratio(a, b) { return (a != "-" && b != "-" && b + 0 != 0) ? sprintf("%.3f", a / b) : "-" }
    BEGIN { fmt = "%-20s %-21s %7s %8s %7s %-15s %9s %8s %8s %8s %9s %5s %5s %8s %8s\n"
            printf fmt, "workload", "setup", "events", "deliv", "msg/ev", "(source)", "B/ev", "redis/s", "inst/s", "max/s",
              "ms/ev", "lost", "reord", "idle r/s", "idle i/s" }
    { printf fmt, $2, $3, $4, $16, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15
      if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 }
      for (f = 4; f <= 11; f++) v[$2, $3, f] = $f }
    END {
      first = 1
      for (k = 1; k <= n; k++) {
        c = order[k]
        if (!((c, "channels-global", 4) in v) || !((c, "channels-per-channel", 4) in v)) continue
        if (first) { print ""; print "per-channel against global fan-out, same workload (below 1 = less):"; first = 0 }
        printf "  %-20s Redis msgs/event %s  Redis bytes/event %s  Redis CPU %s  instances CPU %s (busiest %s, per event %s)\n", c,
          ratio(v[c, "channels-per-channel", 5], v[c, "channels-global", 5]), ratio(v[c, "channels-per-channel", 7], v[c, "channels-global", 7]),
          ratio(v[c, "channels-per-channel", 8], v[c, "channels-global", 8]), ratio(v[c, "channels-per-channel", 9], v[c, "channels-global", 9]),
          ratio(v[c, "channels-per-channel", 10], v[c, "channels-global", 10]), ratio(v[c, "channels-per-channel", 11], v[c, "channels-global", 11])
      }
    }' <<<"$rows"
}

if [ -n "$summary_only" ]; then
  summarize "$summary_only"
  exit 0
fi

# ---------------------------------------------------------------- setup

packages=(curl jq procps iproute2 coreutils redis-server)
case "$selected" in *pushpin*) packages+=(pushpin) ;; esac
ensure_packages "${packages[@]}"
build_if_missing
for b in "$eventstream_bin" "$loadgen_bin"; do [ -x "$b" ] || die "$b is not an executable"; done

# The last binary with global fan-out, for channels-global: --global-bin, or built here
# from the sources of --global-commit (git archive: no checkout, the index is untouched).
build_global_if_missing() {
  [ -x "$global_bin" ] && return 0
  [ -z "$global_bin_given" ] || die "--global-bin $global_bin is not an executable"
  local top="$repo/build-global-fanout"
  log "building the global fan-out binary from $global_commit into $top (no download)"
  rm -rf "$top/src" && mkdir -p "$top/src"
  git -C "$repo" archive "$global_commit" | tar -x -C "$top/src" ||
    die "git archive $global_commit failed: give --global-bin PATH (an eventstream built from $global_commit)"
  (cmake -S "$top/src" -B "$top/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null &&
    cmake --build "$top/build" --target eventstream --parallel "$(nproc)") || die "building $global_commit failed"
}
case "$selected" in *" channels-global "*) build_global_if_missing ;; esac
raise_open_files
case "$selected" in
  *" channels-"*)
    held_each=$((channel_count * channel_subs / 6))
    [ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -gt $((held_each + 1000)) ] ||
      log "warning: --channel-layout $channel_layout puts $held_each subscribers on each instance, over its open-files limit ($(ulimit -n)): the rest get 503" ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/eventstream-scale.XXXXXX")
started=$(date +%s)
deadline=$((started + budget))
stop_everything_on_exit

# start_setup NAME DIR starts Redis, the instances and Pushpin as NAME says; sets
# setup_pids (every server process, for memory and stopping), sub_urls, pub_urls,
# instances, connect_rate.
setup_pids=() sub_urls=() pub_urls=() instances=0 connect_rate=5000
instance_pids=() instance_ports=() redis_ports=() # what is measured while publishing
setup_bin=$eventstream_bin

start_instance() { # DIR ARGS...: appends to setup_pids, instance_pids, instance_ports, sets instance_port
  local dir=$1 pid i
  shift
  mkdir -p "$dir"
  instance_port=$(free_port)
  "$setup_bin" serve "127.0.0.1:$instance_port" --log-level "$log_level" "$@" >"$dir/stdout.log" 2>"$dir/stderr.log" &
  pid=$!
  setup_pids+=("$pid")
  instance_pids+=("$pid")
  instance_ports+=("$instance_port")
  tracked+=("$pid")
  for ((i = 0; i < 100; i++)); do
    grep -q "listening on http://127.0.0.1:$instance_port" "$dir/stdout.log" 2>/dev/null && return 0
    alive "$pid" || break
    sleep 0.1
  done
  log "eventstream did not come up on port $instance_port: $(tail -c 300 "$dir/stderr.log" 2>/dev/null)"
  return 1
}

start_setup() { # NAME DIR
  local name=$1 dir=$2 count=1 storage=(--storage memory) grip=() origins="" i
  setup_pids=() sub_urls=() pub_urls=() connect_rate=5000 instance_pids=() instance_ports=() redis_ports=()
  setup_bin=$eventstream_bin
  mkdir -p "$dir"
  case "$name" in
    two-redis | pushpin-two-redis) count=2 ;;
    six-redis | six-cluster | channels-*) count=6 ;;
  esac
  [ "$name" = channels-global ] && setup_bin=$global_bin
  if [[ $name == *redis || $name == channels-* ]]; then
    local redis_up=1
    start_redis "$dir" || redis_up=0
    setup_pids+=("$redis_pid") # stopped with the rest, up or not
    [ $redis_up = 1 ] || return 1
    redis_ports=("${redis_url##*:}")
    storage=(--storage redis --redis "$redis_url")
  elif [ "$name" = six-cluster ]; then
    local cluster_up=1
    start_redis_cluster "$dir" 3 || cluster_up=0
    setup_pids+=("${cluster_pids[@]}")
    [ $cluster_up = 1 ] || return 1
    redis_ports=("${cluster_ports[@]}")
    storage=(--storage redis --redis "$cluster_url")
  fi
  if [[ $name == pushpin-* ]]; then
    pick_pushpin_ports
    grip=(--grip-url "http://127.0.0.1:$pushpin_pub_port" --grip-sig-key benchsigkey --secret bench-link-secret)
  fi
  # The same cores for every setup: instances share them (one or two apiece here).
  local threads=$(($(nproc) / count))
  [ $threads -ge 1 ] || threads=1
  for ((i = 1; i <= count; i++)); do
    start_instance "$dir/instance$i" --threads "$threads" "${storage[@]}" "${grip[@]}" || return 1
    origins+="${origins:+ }127.0.0.1:$instance_port"
    sub_urls+=("http://127.0.0.1:$instance_port/events/?channel=bench")
    pub_urls+=("http://127.0.0.1:$instance_port/publish/")
  done
  instances=$count
  if [[ $name == pushpin-* ]]; then
    start_pushpin_proxy "$dir/pushpin" "$origins" || return 1
    setup_pids+=("$pushpin_pid")
    sub_urls=("http://127.0.0.1:$pushpin_http_port/events/?channel=bench")
    connect_rate=$pushpin_connect_rate
  fi
}

stop_setup() {
  local i
  for ((i = ${#setup_pids[@]} - 1; i >= 0; i--)); do stop_pid "${setup_pids[$i]}"; untrack "${setup_pids[$i]}"; done
  setup_pids=()
}

# "RSS" in KiB of every server process (instances, Redis, Pushpin and its children).
setup_rss() {
  local total=0 p r s
  for p in "${setup_pids[@]}"; do
    read -r r s < <(tree_mem "$p")
    total=$((total + r))
  done
  echo "$total"
}

# ---------------------------------------------------------------- fan-out costs

# While publishing, what Redis sends and spends and what each instance spends: snapshots
# before and after the publishing loadgen, subtracted by fanout_costs.
clk_tck=$(getconf CLK_TCK)

# User + system CPU ticks of a process (/proc/PID/stat fields 14 and 15; the command name
# in parentheses may hold spaces).
proc_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

# One Redis server's counters as JSON: CPU seconds (user + system, every thread), bytes
# written to clients, PUBLISH and SPUBLISH calls, channels subscribed and the subscribers of
# eventstream:fanout (every instance, before per-channel fan-out: each event went to them).
redis_counters() { # PORT
  local numsub
  numsub=$(redis-cli -p "$1" pubsub numsub eventstream:fanout 2>/dev/null | sed -n 2p)
  redis-cli -p "$1" info everything 2>/dev/null | tr -d '\r' | awk -F: -v numsub="${numsub:-0}" '
    $1 == "used_cpu_sys" || $1 == "used_cpu_user" { cpu += $2 }
    $1 == "total_net_output_bytes" { out = $2 }
    $1 == "pubsub_channels" { channels = $2 }
    $1 == "cmdstat_publish" || $1 == "cmdstat_spublish" { split($2, a, /[=,]/); publish += a[2] }
    END { printf "{\"cpu\": %.6f, \"out\": %d, \"publish\": %d, \"pubsub_channels\": %d, \"numsub\": %d}",
            cpu, out, publish, channels, numsub }'
}

snapshot() { # FILE
  local p port m ticks="" msgs="" redis=""
  for p in "${instance_pids[@]}"; do ticks+="${ticks:+,}$(proc_ticks "$p")"; done
  local i=0
  for port in "${instance_ports[@]}"; do
    i=$((i + 1)) # each instance's whole /metrics is kept with the logs
    curl -s --max-time 5 "http://127.0.0.1:$port/metrics" >"${1%.json}-metrics$i.txt" 2>/dev/null || true
    m=$(awk '$1 == "eventstream_redis_messages_received_total" { print $2 }' "${1%.json}-metrics$i.txt")
    msgs+="${msgs:+,}${m:-null}"
  done
  for port in "${redis_ports[@]}"; do redis+="${redis:+,}$(redis_counters "$port")"; done
  echo "{\"t\": $(date +%s.%N), \"ticks\": [$ticks], \"msgs\": [$msgs], \"redis\": [$redis]}" >"$1"
}

# Deltas between two snapshots, over the events accepted between them. Redis messages
# out are the instances' eventstream_redis_messages_received_total; a binary without it
# (global fan-out) is taken at PUBLISH calls x eventstream:fanout's subscribers, which is
# what global fan-out sends (every event to every instance).
fanout_costs() { # BEFORE AFTER EVENTS
  jq -n --slurpfile a "$1" --slurpfile b "$2" --argjson events "$3" --argjson tck "$clk_tck" '
    $a[0] as $a | $b[0] as $b | ($b.t - $a.t) as $w
    | def total(f): map(f) | add // 0;
      def per_event(x): if $events > 0 then x / $events else null end;
      ([range(0; $b.ticks | length)] | map(($b.ticks[.] - $a.ticks[.]) / $tck)) as $cpu
    | (if ($b.msgs | length) > 0 and ($b.msgs + $a.msgs | all(. != null))
       then {n: ([range(0; $b.msgs | length)] | map($b.msgs[.] - $a.msgs[.]) | add), source: "metric"}
       else {n: ((($b.redis | total(.publish)) - ($a.redis | total(.publish))) * ($b.redis | total(.numsub))),
             source: "publish*numsub"} end) as $msgs
    | (($b.redis | total(.cpu)) - ($a.redis | total(.cpu))) as $redis_cpu
    | {window_s: $w, events: $events,
       redis_messages: $msgs.n, redis_messages_source: $msgs.source, redis_messages_per_event: per_event($msgs.n),
       redis_publishes: (($b.redis | total(.publish)) - ($a.redis | total(.publish))),
       redis_out_bytes_per_event: per_event(($b.redis | total(.out)) - ($a.redis | total(.out))),
       redis_cpu_s: $redis_cpu, redis_cpu_s_per_s: ($redis_cpu / $w), redis_cpu_ms_per_event: per_event($redis_cpu * 1000),
       redis_pubsub_channels: ($b.redis | total(.pubsub_channels)), redis_fanout_subscribers: ($b.redis | total(.numsub)),
       instance_cpu_s: $cpu, instance_cpu_s_per_s: ($cpu | map(. / $w)),
       instance_cpu_s_per_s_total: (($cpu | add // 0) / $w), instance_cpu_s_per_s_max: (($cpu | max // 0) / $w),
       instance_cpu_ms_per_event: per_event(($cpu | add // 0) * 1000)}'
}

# ---------------------------------------------------------------- workloads

if [ $quick = 1 ]; then
  hold_subs=3000 hold_secs=2 fan_a="100 200" fan_b="1000 20" fan_secs=3 big_subs=10000
else
  hold_subs=30000 hold_secs=5 fan_a="1000 200" fan_b="10000 20" fan_secs=10 big_subs=100000
fi
compared="one two-redis pushpin-one pushpin-two-redis"
# case name | setups | subscribers | events/s (0: hold only) | seconds | publishers | connections/s
read -r fan_a_subs fan_a_rate <<<"$fan_a"
read -r fan_b_subs fan_b_rate <<<"$fan_b"
cases=(
  "hold-$hold_subs|$compared|$hold_subs|0|$hold_secs|0|5000"
  "fanout-${fan_a_subs}x$fan_a_rate|$compared|$fan_a_subs|$fan_a_rate|$fan_secs|8|5000"
  "fanout-${fan_b_subs}x$fan_b_rate|$compared|$fan_b_subs|$fan_b_rate|$fan_secs|8|5000"
  "fanout-${big_subs}x1|six-redis six-cluster|$big_subs|1|$fan_secs|1|2000"
  "channels-${channel_count}x$channel_subs|channels-global channels-per-channel|$((channel_count * channel_subs))|$channel_rate|$channel_secs|6|2000"
)

case_index=0
run_case() { # CASE SETUP SUBSCRIBERS RATE SECONDS PUBLISHERS CONNECTIONS/S
  local case=$1 setup=$2 subs=$3 rate=$4 secs=$5 publishers=$6 rate_limit=$7
  local dir="$work/$case-$setup" result="$results/${case}__$setup.json"
  local remaining=$((deadline - $(date +%s)))
  local fail_json=(jq -n --arg c "$case" --arg s "$setup" --argjson i "$case_index" --argjson n "$subs")
  if [ $remaining -le 30 ]; then
    log "$case / $setup: skipped, the --timeout budget is spent"
    "${fail_json[@]}" '{case: $c, case_index: $i, setup: $s, subscribers: $n, error: "skipped: --timeout budget spent"}' >"$result"
    return 0
  fi
  log "$case / $setup: starting"
  if ! start_setup "$setup" "$dir"; then
    stop_setup
    "${fail_json[@]}" '{case: $c, case_index: $i, setup: $s, subscribers: $n, error: "setup did not start"}' >"$result"
    return 0
  fi
  local base_rss parts i per pids=() url_args=() pub_args=() u
  base_rss=$(setup_rss)
  for u in "${sub_urls[@]}"; do url_args+=(--sub-url "$u"); done
  for u in "${pub_urls[@]}"; do pub_args+=(--pub-url "$u"); done
  parts=$(((subs + subs_per_process - 1) / subs_per_process))
  per=$((subs / parts))
  # Each listener's subscribers and, spread over channels, its own range of them (with
  # channel_subs subscribers each; loadgen puts channel K on instance K mod 6).
  local listener_subs=() listener_args=() channel_args=()
  if [[ $setup == channels-* ]]; then
    local per_part=$(((channel_count + parts - 1) / parts)) off n
    for ((off = 0; off < channel_count; off += per_part)); do
      n=$((channel_count - off < per_part ? channel_count - off : per_part))
      listener_subs+=($((n * channel_subs)))
      listener_args+=("--channels $n --channel-offset $off")
    done
    parts=${#listener_subs[@]}
    channel_args=(--channels "$channel_count" --channel-offset 0 --counts-file "$dir/counts")
  else
    for ((i = 1; i <= parts; i++)); do
      listener_subs+=($((i < parts ? per : subs - per * (parts - 1))))
      listener_args+=("")
    done
  fi
  # Each listener connects its share at connect_rate / parts, so together they keep to it;
  # at most the case's rate (100,000 at once overflow the instances' accept queues).
  [ "$rate_limit" -lt "$connect_rate" ] && connect_rate=$rate_limit
  local rate_each=$(((connect_rate + parts - 1) / parts))
  local connect_secs=$((subs / connect_rate + 1))
  local limit=$((connect_secs + secs + 180))
  [ $limit -gt $remaining ] && limit=$remaining
  # Many listener processes: one thread each, or they crowd out the servers.
  local listener_threads=2
  [ "$parts" -gt 2 ] && listener_threads=1
  for ((i = 1; i <= parts; i++)); do
    # shellcheck disable=SC2086 # listener_args holds options, split on purpose
    timeout -k 10 "$limit" "$loadgen_bin" --workload listen --label "$setup" "${url_args[@]}" ${listener_args[i - 1]} \
      --subscribers "${listener_subs[i - 1]}" --sources 8 --connect-rate "$rate_each" \
      --threads "$listener_threads" --ready-file "$dir/ready$i" --until-file "$dir/until" --json "$dir/listen$i.json" \
      >"$dir/listen$i.log" 2>&1 &
    pids+=($!)
    tracked+=($!)
  done
  local waited=0 ready
  while :; do
    ready=$(find "$dir" -maxdepth 1 -name 'ready*' | wc -l)
    [ "$ready" -ge "$parts" ] && break
    [ $waited -ge $((connect_secs + 90)) ] && { log "$case / $setup: only $ready of $parts listeners ready"; break; }
    sleep 1
    waited=$((waited + 1))
  done
  local held_rss
  held_rss=$(setup_rss)
  local measure=0 fanout=null
  [ "$rate" != 0 ] && [ ${#redis_ports[@]} -gt 0 ] && measure=1
  if [ "$rate" = 0 ]; then
    sleep "$secs"
    echo '{"accepted": 0}' >"$dir/publish.json"
  else
    # Five idle seconds first (subscribers held, nothing published): the baseline.
    if [ $measure = 1 ]; then snapshot "$dir/idle.json"; sleep 5; snapshot "$dir/before.json"; fi
    timeout -k 10 $((secs + 120)) "$loadgen_bin" --workload fanout --label "$setup" --sub-url "${sub_urls[0]}" \
      "${pub_args[@]}" "${channel_args[@]}" --subscribers 0 --publishers "$publishers" --rate "$rate" \
      --duration "$secs" --json "$dir/publish.json" >"$dir/publish.log" 2>&1 || true
    if [ $measure = 1 ]; then snapshot "$dir/after.json"; fi
  fi
  # The listeners' due: the accepted count, and over channels each channel's.
  if [ ${#channel_args[@]} -gt 0 ] && [ -s "$dir/counts" ]; then
    cp "$dir/counts" "$dir/until.tmp"
  else
    jq -r '.accepted // 0' "$dir/publish.json" 2>/dev/null >"$dir/until.tmp" || echo 0 >"$dir/until.tmp"
  fi
  mv "$dir/until.tmp" "$dir/until"
  if [ $measure = 1 ]; then
    fanout=$(jq -n --argjson busy "$(fanout_costs "$dir/before.json" "$dir/after.json" \
      "$(jq '.accepted // 0' "$dir/publish.json" 2>/dev/null || echo 0)")" \
      --argjson idle "$(fanout_costs "$dir/idle.json" "$dir/before.json" 0)" \
      '$busy + {idle: ($idle | {window_s, redis_cpu_s_per_s, instance_cpu_s_per_s_total, redis_messages})}') || fanout=null
  fi
  local p rcs=()
  for p in "${pids[@]}"; do
    local rc=0
    wait "$p" || rc=$?
    untrack "$p"
    rcs+=("$rc")
  done
  stop_setup
  cat "$dir"/listen*.log "$dir"/publish.log 2>/dev/null || true
  local err=""
  for p in "${rcs[@]}"; do case "$p" in 0 | 3) ;; *) err="listener exit codes: ${rcs[*]} (124 = stopped by the time bound)" ;; esac; done
  # Counts add up over the listeners; deliveries/s is every delivery over the time from
  # the first publish to the last delivery anywhere; latencies take the worst listener.
  jq -s --arg c "$case" --arg s "$setup" --arg err "$err" --argjson i "$case_index" --argjson n "$subs" \
    --argjson inst "$instances" --argjson base "$base_rss" --argjson held "$held_rss" --argjson rate "$rate" \
    --argjson fanout "${fanout:-null}" --argjson channels "$([[ $setup == channels-* ]] && echo "$channel_count" || echo null)" \
    --argjson per_channel "$([[ $setup == channels-* ]] && echo "$channel_subs" || echo null)" '
    (.[-1]) as $pub | .[:-1] as $ls
    | def total(k): $ls | map(.[k] // 0) | add;
      ($ls | map(.last_delivery_ns // 0) | max) as $last
    | {case: $c, case_index: $i, setup: $s, instances: $inst, subscribers: $n, rate: $rate,
       listeners: ($ls | length), connected: total("connected"),
       errors: (total("connect_errors") + total("disconnected") + ($pub.publish_errors // 0)),
       accepted: ($pub.accepted // 0), publish_errors: ($pub.publish_errors // 0),
       deliveries: total("deliveries"), expected_deliveries: total("expected_deliveries"),
       lost: total("lost"), reordered: total("reordered"),
       deliveries_per_s: (if ($pub.publish_start_ns // 0) > 0 and $last > $pub.publish_start_ns
                          then (total("deliveries") / (($last - $pub.publish_start_ns) / 1e9) | round) else null end),
       latency_ms: (if $rate > 0 then {p50: ($ls | map(.latency_ms.p50) | max), p99: ($ls | map(.latency_ms.p99) | max),
                                       max: ($ls | map(.latency_ms.max) | max)} else {} end),
       server_rss_kib_baseline: $base, server_rss_kib_held: $held,
       kib_per_connection: (if total("connected") > 0 then (($held - $base) / total("connected")) else null end)}
    | if $channels != null then . + {channels: $channels, subscribers_per_channel: $per_channel} else . end
    | if $fanout != null then . + {fanout: $fanout} else . end
    | if $err != "" then . + {error: $err} else . end' \
    "$dir"/listen*.json "$dir/publish.json" >"$result" ||
    "${fail_json[@]}" --arg err "$err" '{case: $c, case_index: $i, setup: $s, subscribers: $n, error: ("no listener results " + $err)}' >"$result"
  mkdir -p "$results/logs"
  for p in "$dir"/*.log "$dir"/*/stderr.log "$dir"/idle*.* "$dir"/before*.* "$dir"/after*.*; do
    [ -s "$p" ] && cp "$p" "$results/logs/${case}__${setup}.$(basename "$(dirname "$p")")-$(basename "$p")"
  done
  return 0
}

open_results scale.sh -scale pushpin condure redis-server

for c in "${cases[@]}"; do
  IFS='|' read -r name setups subs rate secs publishers connect_rate_limit <<<"$c"
  case_index=$((case_index + 1))
  for setup in $setups; do
    case "$selected" in *" $setup "*) run_case "$name" "$setup" "$subs" "$rate" "$secs" "$publishers" "$connect_rate_limit" ;; esac
  done
done

log "done in $(($(date +%s) - started)) s; results in $results"
summarize "$results" | tee "$results/summary.txt"
