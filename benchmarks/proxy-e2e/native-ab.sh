#!/usr/bin/env bash
# A/B of native hanet-proxyd builds or GC settings on one load, alternating, without the other proxies:
#   sudo benchmarks/proxy-e2e/native-ab.sh [RUNS] -- "LABEL|BINARY|VAR=value ..." ["LABEL|BINARY|..." ...]
# e.g. native-ab.sh 3 -- "compiled|artifacts/native/hanet-proxyd/hanet-proxyd|" \
#        "defaults|artifacts/native/hanet-proxyd/hanet-proxyd|DOTNET_GCgen0size=1000000 DOTNET_GCRegionSize=400000"
# Each run starts the binary on a two-frontend haproxy.cfg (nginx and a closed port behind it), pinned to CPU 1,
# reads its RSS after start, resets VmHWM, drives DURATION (6) s of new-connection-per-request load with wrk
# (-c50, pinned to CPU 0), and prints: RSS after start, peak RSS during the load, connections, CPU per connection.
# Environment values for the GC are hex without 0x (the runtime's parser). Needs root, nginx, wrk.
set -euo pipefail
runs=${1:-3}; shift; [[ ${1:-} == -- ]] && shift
(( $# )) || { sed -n 2,9p "$0"; exit 2; }
work=$(mktemp -d /tmp/hanet-ab.XXXXXX)
ng=38280 fe=38281
. "$(dirname "$0")/backends.sh"
cleanup() { stop_nginx "$work"; rm -rf "$work"; }
trap cleanup EXIT
ulimit -n 20000
start_nginx "$work" $ng
haproxy_cfg $fe $ng > "$work/h.cfg"
printf '%-14s %5s %10s %10s %8s %14s\n' label run "start MiB" "peak MiB" conns "CPU us/conn"
for ((r = 1; r <= runs; r++)); do
  for spec in "$@"; do
    IFS='|' read -r label bin vars <<<"$spec"
    # shellcheck disable=SC2086
    env $vars taskset -c 1 "$bin" -f "$work/h.cfg" -q >"$work/p.log" 2>&1 &
    pid=$!
    for _ in $(seq 50); do ss -ltn | grep -q ":$fe " && break; sleep 0.1; done
    sleep 1
    start=$(awk '/VmRSS/{print $2}' /proc/$pid/status)
    echo 5 >/proc/$pid/clear_refs
    t0=$(awk '{print $14 + $15}' /proc/$pid/stat)
    conns=$(taskset -c 0 wrk -t1 -c50 -d"${DURATION:-6}"s -H 'Connection: close' "http://127.0.0.1:$fe/" | awk '/requests in/{print $1}')
    t1=$(awk '{print $14 + $15}' /proc/$pid/stat)
    peak=$(awk '/VmHWM/{print $2}' /proc/$pid/status)
    kill $pid; wait $pid 2>/dev/null || true
    awk -v l="$label" -v r=$r -v s=$start -v p=$peak -v c=$conns -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" \
      'BEGIN { printf "%-14s %5d %10.1f %10.1f %8d %14.1f\n", l, r, s / 1024, p / 1024, c, t / hz * 1e6 / c }'
  done
done
