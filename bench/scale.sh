#!/usr/bin/env bash
# bench/scale.sh: eventstream scaled out. The same workloads against one instance, two
# instances sharing Redis, and each of those behind Pushpin; then 100,000 subscribers
# held over six instances sharing Redis, with every event checked. docs/performance.md
# ("Scaling out") explains the setups and how to read the numbers.
#
#   bash bench/scale.sh [--quick] [--only SETUP,...] [--out DIR] [--timeout SECONDS]
#   bash bench/scale.sh --summary DIR                 re-print the summary of a run
#
# Setups: one, two-redis, pushpin-one, pushpin-two-redis (compared on every workload)
# and six-redis (the 100,000-subscriber run). Subscribers are spread over the instances
# (or all go to Pushpin), publishers take the instances in turn. More subscribers than
# one process may hold (20,000 open files) are split over several `loadgen --workload
# listen` processes and source addresses 127.0.0.x; one more loadgen process publishes
# once they are all connected. Everything listens on 127.0.0.1, lives in its own temp
# dir, is started fresh for every workload and stopped by PID afterwards.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
peers_dir="$here/peers"
eventstream_bin="$repo/build/cmd/eventstream"
loadgen_bin="$repo/build/bench/loadgen"
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

all_setups=(one two-redis pushpin-one pushpin-two-redis six-redis)
subs_per_process=10000
# Pushpin misses subscriptions when clients connect faster than ~1,000/s (see run.sh).
pushpin_connect_rate=500

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"; }

orig_args=("$@")
quick=0 only="" out="" budget=3600 summary_only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
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
        fmt = "%-17s %-18s %4s %15s %10s %6s %5s %5s %7s %7s %8s  %s\n"
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
            printf "  %-17s %-18s held %s  deliv/s %s  p99 %s\n", c, s[i],
              ratio(held[c, s[i]], held[c, "one"]), ratio(deliv[c, s[i]], deliv[c, "one"]), ratio(p99[c, s[i]], p99[c, "one"])
          }
        }
      }'
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
raise_open_files

work=$(mktemp -d "${TMPDIR:-/tmp}/eventstream-scale.XXXXXX")
started=$(date +%s)
deadline=$((started + budget))
stop_everything_on_exit

# start_setup NAME DIR starts Redis, the instances and Pushpin as NAME says; sets
# setup_pids (every server process, for memory and stopping), sub_urls, pub_urls,
# instances, connect_rate.
setup_pids=() sub_urls=() pub_urls=() instances=0 connect_rate=5000

start_instance() { # DIR ARGS...: appends to setup_pids, sets instance_port
  local dir=$1 pid i
  shift
  mkdir -p "$dir"
  instance_port=$(free_port)
  "$eventstream_bin" serve "127.0.0.1:$instance_port" --log-level warn "$@" >"$dir/stdout.log" 2>"$dir/stderr.log" &
  pid=$!
  setup_pids+=("$pid")
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
  setup_pids=() sub_urls=() pub_urls=() connect_rate=5000
  mkdir -p "$dir"
  case "$name" in two-redis | pushpin-two-redis) count=2 ;; six-redis) count=6 ;; esac
  if [[ $name == *redis ]]; then
    local redis_up=1
    start_redis "$dir" || redis_up=0
    setup_pids+=("$redis_pid") # stopped with the rest, up or not
    [ $redis_up = 1 ] || return 1
    storage=(--storage redis --redis "$redis_url")
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
  "fanout-${big_subs}x1|six-redis|$big_subs|1|$fan_secs|1|2000"
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
    timeout -k 10 "$limit" "$loadgen_bin" --workload listen --label "$setup" "${url_args[@]}" \
      --subscribers $((i < parts ? per : subs - per * (parts - 1))) --sources 8 --connect-rate "$rate_each" \
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
  if [ "$rate" = 0 ]; then
    sleep "$secs"
    echo '{"accepted": 0}' >"$dir/publish.json"
  else
    timeout -k 10 $((secs + 120)) "$loadgen_bin" --workload fanout --label "$setup" --sub-url "${sub_urls[0]}" \
      "${pub_args[@]}" --subscribers 0 --publishers "$publishers" --rate "$rate" --duration "$secs" \
      --json "$dir/publish.json" >"$dir/publish.log" 2>&1 || true
  fi
  jq -r '.accepted // 0' "$dir/publish.json" 2>/dev/null >"$dir/until.tmp" || echo 0 >"$dir/until.tmp"
  mv "$dir/until.tmp" "$dir/until"
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
    --argjson inst "$instances" --argjson base "$base_rss" --argjson held "$held_rss" --argjson rate "$rate" '
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
    | if $err != "" then . + {error: $err} else . end' \
    "$dir"/listen*.json "$dir/publish.json" >"$result" ||
    "${fail_json[@]}" --arg err "$err" '{case: $c, case_index: $i, setup: $s, subscribers: $n, error: ("no listener results " + $err)}' >"$result"
  mkdir -p "$results/logs"
  for p in "$dir"/*.log "$dir"/*/stderr.log; do
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
