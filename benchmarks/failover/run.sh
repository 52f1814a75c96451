#!/usr/bin/env bash
# End-to-end failover benchmark: hanet-vrrpd and keepalived 2.2.7, each as a pair running the same keepalived.conf,
# in the same run, in throw-away network namespaces (198.18.0.0/24 only).
#
#   sudo benchmarks/failover/run.sh [--quick]
#
# Topology: a bridge namespace (switch), nodes A (198.18.0.11, priority 150) and B (198.18.0.12, priority
# 100), a client (198.18.0.50); VIP 198.18.0.100/24. Each node runs a TCP server on 8080 (Ha.Net.VrrpNode
# serve). The client connects to VIP:8080 every 10 ms (Ha.Net.VrrpNode probe; attempts give up after
# 500 ms, below the 1 s SYN retransmit) and reports the longest run of failed connects, measured from the
# last successful attempt before it to the first successful one after it.
#
# What is recorded in every run: a capture of the bridge (tcpdump, kernel timestamps in µs: every advert and
# every gratuitous ARP), `ip -ts monitor address` in A and B (when the VIP was added or removed), the moment of the
# event (date +%s.%N just before it) and the probe's outage; benchmarks/failover/analyze.py turns them into:
#   - advert period: the gaps between the master's adverts in the steady state before each kill (p50/p99/max);
#   - action latency on a hard failover: from the new master's first action (advert, VIP added or GARP, whichever
#     came first) to each of them, and how late that first action was after Master_Down_Interval (keepalived's
#     formula) counted from the old master's last advert;
#   - SIGTERM → priority-0 advert and → VIP removed;
#   - client outage.
#
# Scenarios (A is master when each starts):
#   kill      the master's switch port down, then kill -9 of its VRRP processes, children first (a crashed machine:
#             nothing from A reaches the bridge after the event. Killing keepalived's parent first let its VRRP
#             child take the parent-death SIGTERM and send priority 0, a graceful stop, in 2 of 5 runs);
#   stop      SIGTERM of the master (priority-0 advert, VIP removed);
#   heal      A and B isolated from each other on the bridge (both become master; the client follows
#             B's gratuitous ARP), then healed: the outage is what the client sees after the heal.
#   heal+hpsa the same with higher_prio_send_advert on both nodes.
#   converge  both nodes started at the same moment (a cold start, both configured BACKUP): time from the start to
#             A's VIP added and to its first advert, and whether B was ever master meanwhile (a brief second master).
#   busy      (BUSY=1, advert_int 0.01 s) for BUSY_SECONDS (60): A, the master, also runs hanet-proxyd saturated by
#             wrk (through it to nginx on A) and a process churning 200 MB/s of allocations; counts the backup's
#             adverts (a spurious failover) and the master's advert gaps.
# kill and stop run at advert_int 1 s (VRRPv2), 0.1, 0.03 and 0.01 s (VRRPv3); REPEAT=N runs each cell N times.
# NATIVE=1 runs the Native AOT hanet-vrrpd and hanet-proxyd (eng/publish-native.sh builds them when missing),
# the binaries the units and demo ship; otherwise the JIT builds (`dotnet hanet-vrrpd.dll`).
# Needs root, iproute2, tcpdump, keepalived, dotnet, and for busy wrk and nginx.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
quick=0; [[ "${1:-}" == "--quick" ]] && quick=1
impls=${IMPLS:-"hanet keepalived"}     # IMPLS=keepalived runs one side only
scenarios=${SCENARIOS:-"kill stop"}    # add heal heal+hpsa for the partition scenarios
intervals=${INTERVALS:-"1 0.1 0.03 0.01"}
repeat=${REPEAT:-3}
busy=${BUSY:-1}
busy_seconds=${BUSY_SECONDS:-60}
ka_extra=${KA_EXTRA:-""}               # extra vrrp_instance lines for both, e.g. higher_prio_send_advert

[[ $(id -u) == 0 ]] || { echo "run as root (network namespaces)"; exit 1; }
for tool in keepalived tcpdump python3; do command -v $tool >/dev/null || { echo "$tool is not installed"; exit 1; }; done
for p in tests/Ha.Net.VrrpNode samples/VrrpDaemon samples/ProxyDaemon; do
  if ! out=$(dotnet build $p -c Release -nologo -v:q 2>&1); then echo "$out" | tail -20; echo "build of $p failed"; exit 1; fi
done
node_dll=$root/tests/Ha.Net.VrrpNode/bin/Release/net10.0/Ha.Net.VrrpNode.dll
vrrpd_dll=$root/samples/VrrpDaemon/bin/Release/net10.0/hanet-vrrpd.dll
proxyd_dll=$root/samples/ProxyDaemon/bin/Release/net10.0/hanet-proxyd.dll
analyze=$root/benchmarks/failover/analyze.py
vrrpd=(dotnet "$vrrpd_dll"); proxyd=(dotnet "$proxyd_dll")
if [[ ${NATIVE:-0} == 1 ]]; then
  for d in vrrpd proxyd; do
    [[ -x artifacts/native/hanet-$d/hanet-$d ]] || eng/publish-native.sh $d >/dev/null
  done
  vrrpd=("$root/artifacts/native/hanet-vrrpd/hanet-vrrpd"); proxyd=("$root/artifacts/native/hanet-proxyd/hanet-proxyd")
fi

id=hnb$$
SW=${id}sw; NA=${id}a; NB=${id}b; NC=${id}c
VIP=198.18.0.100
work=$(mktemp -d /tmp/${id}.XXXX)
records=$work/records.jsonl
: >"$records"
bg=()

cleanup() {
  for p in "${bg[@]:-}"; do [[ -n $p ]] && kill $p 2>/dev/null || true; done
  for ns in $NA $NB $NC $SW; do
    for p in $(ip netns pids $ns 2>/dev/null); do kill -9 $p 2>/dev/null || true; done
  done
  for ns in $NA $NB $NC $SW; do ip netns del $ns 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

ns_exec() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

topology() {
  ip netns add $SW; ip -n $SW link set lo up
  ip -n $SW link add br0 type bridge forward_delay 0 mcast_snooping 0; ip -n $SW link set br0 up
  local i=0
  for spec in "$NA 198.18.0.11 02:00:c6:12:00:0b" "$NB 198.18.0.12 02:00:c6:12:00:0c" "$NC 198.18.0.50 02:00:c6:12:00:32"; do
    set -- $spec; i=$((i+1))
    ip netns add $1; ip -n $1 link set lo up
    ip -n $SW link add p$i type veth peer name eth0 address $3 netns $1
    ip -n $SW link set p$i master br0; ip -n $SW link set p$i up
    ip -n $1 link set eth0 up; ip -n $1 addr add $2/24 dev eth0
  done
  for ns in $NA $NB; do ns_exec $ns dotnet "$node_dll" serve 8080 >/dev/null 2>&1 & done
  sleep 1
}

# start_pair IMPL VERSION INTERVAL: A (150) and B (100) from the same keepalived.conf; pids in pid_a/pid_b.
start_pair() {
  local impl=$1 version=$2 interval=$3
  for spec in "a $NA 150" "b $NB 100"; do
    set -- $spec
    cat >"$work/$1.conf" <<CONF
global_defs { router_id $1
  vrrp_version $version }
vrrp_instance VI_1 { state BACKUP
  interface eth0
  virtual_router_id 51
  priority $3
  advert_int $interval
  virtual_ipaddress { $VIP/24 }
  $ka_extra }
CONF
    if [[ $impl == hanet ]]; then
      ip netns exec $2 "${vrrpd[@]}" -n -l -f "$work/$1.conf" >"$work/$1.log" 2>&1 &
    else
      ip netns exec $2 keepalived -n -l -D -G -P -f "$work/$1.conf" -p "$work/$1.pid" -r "$work/$1_vrrp.pid" >"$work/$1.log" 2>&1 &
    fi
    eval "pid_$1=$!"
  done
}

has_vip() { ip -n $1 -4 -o addr show dev eth0 | grep -q " $VIP/"; }
client_on() { ip -n $NC neigh show $VIP dev eth0 | grep -q "lladdr $1"; }

wait_until() { # wait_until SECONDS CMD...
  local deadline=$(( $(date +%s%N) + $1 * 1000000000 )); shift
  until "$@"; do
    (( $(date +%s%N) < deadline )) || return 1
    sleep 0.02
  done
}

start_recording() {
  ns_exec $SW tcpdump -i br0 -n -U -w "$work/cap.pcap" --time-stamp-precision=micro 'ip proto 112 or arp' >/dev/null 2>&1 &
  cap_pid=$!
  ip -n $NA -ts monitor address >"$work/mon_a" 2>&1 & mon_a_pid=$!
  ip -n $NB -ts monitor address >"$work/mon_b" 2>&1 & mon_b_pid=$!
  sleep 0.3
}

stop_recording() {
  sleep 0.2
  kill $cap_pid $mon_a_pid $mon_b_pid 2>/dev/null || true
  wait $cap_pid $mon_a_pid $mon_b_pid 2>/dev/null || true
  tcpdump -r "$work/cap.pcap" -tt -e -n 2>/dev/null >"$work/cap.txt" || true
}

stop_pair() {
  kill -9 ${pid_a:-} ${pid_b:-} 2>/dev/null || true
  for p in $(ip netns pids $NA) $(ip netns pids $NB); do
    grep -q keepalived /proc/$p/cmdline 2>/dev/null && kill -9 $p 2>/dev/null || true
    grep -q hanet-vrrpd /proc/$p/cmdline 2>/dev/null && kill -9 $p 2>/dev/null || true
  done
  sleep 0.3
  for ns in $NA $NB; do ip -n $ns addr del $VIP/24 dev eth0 2>/dev/null || true; done
  ip -n $SW link set p1 up; ip -n $SW link set p2 up
  ns_exec $SW bridge link set dev p1 isolated off; ns_exec $SW bridge link set dev p2 isolated off
  ip -n $NC neigh flush dev eth0
}

probe() { ns_exec $NC dotnet "$node_dll" probe $VIP:8080 "$1" 10 500; }

# run IMPL VERSION INTERVAL SCENARIO PROBE_SECONDS STEADY_SECONDS REP → prints the max outage in ms, appends a record
run() {
  local impl=$1 version=$2 interval=$3 scenario=$4 seconds=$5 steady=$6 rep=$7
  local saved_extra=$ka_extra
  if [[ $scenario == heal+hpsa ]]; then ka_extra="$ka_extra
  higher_prio_send_advert"; fi
  start_recording
  start_pair $impl $version $interval
  ka_extra=$saved_extra
  if ! wait_until 30 has_vip $NA; then echo "n/a(no master)"; stop_pair; stop_recording; return; fi
  sleep 0.5
  probe 1 >/dev/null  # the client learns A's MAC
  if [[ $scenario == heal* ]]; then
    ns_exec $SW bridge link set dev p1 isolated on; ns_exec $SW bridge link set dev p2 isolated on
    wait_until 30 has_vip $NB || true
    if ! wait_until 10 client_on 02:00:c6:12:00:0c; then echo "n/a(client not on B)"; stop_pair; stop_recording; return; fi
  fi
  probe $(awk "BEGIN { print $seconds + $steady }") >"$work/probe.out" &
  local probe_pid=$!
  wait_until 30 grep -q "PROBE started" "$work/probe.out" || true
  sleep "$steady"
  local event
  case $scenario in
    kill) event=$(date +%s.%N); ip -n $SW link set p1 down; kill -9 $(pgrep -P $pid_a) $pid_a 2>/dev/null || true ;;
    stop) event=$(date +%s.%N); kill -TERM $pid_a ;;
    heal*) event=$(date +%s.%N); ns_exec $SW bridge link set dev p1 isolated off; ns_exec $SW bridge link set dev p2 isolated off ;;
  esac
  wait $probe_pid || true
  local line; line=$(grep '^PROBE attempts' "$work/probe.out" || echo "PROBE max_outage_ms=? unended=1")
  local ms; ms=$(sed -n 's/.*max_outage_ms=\([0-9?]*\).*/\1/p' <<<"$line")
  grep -q 'unended=1' <<<"$line" && ms=">${seconds}s"
  stop_pair
  stop_recording
  python3 "$analyze" run impl=$impl scenario=$scenario version=$version interval=$interval rep=$rep event=$event \
    steady=$steady outage="$ms" capture="$work/cap.txt" mon_a="$work/mon_a" mon_b="$work/mon_b" >>"$records" || true
  local tag=$impl-v$version-$interval-$scenario-$rep
  cp "$work/a.log" "$work/$tag-a.log"; cp "$work/b.log" "$work/$tag-b.log"; cp "$work/cap.txt" "$work/$tag-cap.txt"
  echo "$ms"
}

# converge IMPL VERSION INTERVAL REP: both nodes started together; A's VIP time from the start → record, prints it in ms.
converge_run() {
  local impl=$1 version=$2 interval=$3 rep=$4
  start_recording
  local event; event=$(date +%s.%N)
  start_pair $impl $version $interval
  wait_until 30 has_vip $NA || true
  sleep "$(awk "BEGIN { print $interval * 5 + 0.3 }")"
  stop_pair
  stop_recording
  local rec; rec=$(python3 "$analyze" run impl=$impl scenario=converge version=$version interval=$interval rep=$rep event=$event \
    outage=- capture="$work/cap.txt" mon_a="$work/mon_a" mon_b="$work/mon_b") || true
  echo "$rec" >>"$records"
  sed -n 's/.*"converge_ms": \([0-9.]*\).*/\1/p' <<<"$rec"
}

# busy IMPL: advert_int 0.01 s for BUSY_SECONDS with A saturated (hanet-proxyd + wrk + allocation churn).
busy_run() {
  local impl=$1 version=3 interval=0.01
  command -v wrk >/dev/null && command -v nginx >/dev/null || { echo "busy: wrk and nginx are needed"; return; }
  mkdir -p "$work/nginx"
  cat >"$work/nginx.conf" <<NGINX
daemon off; worker_processes 1; pid $work/nginx/nginx.pid; error_log $work/nginx/error.log;
events { worker_connections 1024; }
http { access_log off; client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  server { listen 127.0.0.1:8082; location / { return 200 "ok\n"; } } }
NGINX
  cat >"$work/proxy.cfg" <<CFG
global
    maxconn 4096
defaults
    mode tcp
    timeout connect 2s
    timeout client 30s
    timeout server 30s
frontend fe
    bind 127.0.0.1:8081
    default_backend be
backend be
    server s1 127.0.0.1:8082
CFG
  start_recording
  start_pair $impl $version $interval
  if ! wait_until 30 has_vip $NA; then echo "busy $impl: no master"; stop_pair; stop_recording; return; fi
  sleep 1
  ns_exec $NA nginx -c "$work/nginx.conf" -p "$work/nginx" >/dev/null 2>&1 & local nginx_pid=$!
  ns_exec $NA "${proxyd[@]}" -f "$work/proxy.cfg" -db >"$work/proxyd.log" 2>&1 & local proxy_pid=$!
  sleep 2
  # 200 MB/s of fresh allocations, each written so the pages are really touched.
  ns_exec $NA python3 -c '
import time
end = time.time() + '"$busy_seconds"' + 5
while time.time() < end:
    t = time.time()
    for _ in range(20):
        b = bytearray(1 << 20); b[::4096] = b"\x01" * 256
    time.sleep(max(0, 0.1 - (time.time() - t)))
' & local churn_pid=$!
  local event; event=$(date +%s.%N)
  ns_exec $NA wrk -t2 -c64 -d${busy_seconds}s http://127.0.0.1:8081/ >"$work/wrk-$impl.out" 2>&1 || true
  local end; end=$(date +%s.%N)
  kill $churn_pid $proxy_pid 2>/dev/null || true
  for p in $(ip netns pids $NA); do grep -q nginx /proc/$p/cmdline 2>/dev/null && kill $p 2>/dev/null || true; done
  wait $churn_pid $proxy_pid $nginx_pid 2>/dev/null || true
  stop_pair
  stop_recording
  python3 "$analyze" run impl=$impl scenario=busy version=$version interval=$interval rep=0 event=$event end=$end \
    capture="$work/cap.txt" mon_a="$work/mon_a" mon_b="$work/mon_b" >>"$records" || true
  cp "$work/cap.txt" "$work/$impl-busy-cap.txt"; cp "$work/a.log" "$work/$impl-busy-a.log"; cp "$work/b.log" "$work/$impl-busy-b.log"
  echo "busy $impl: wrk $(grep -E 'Requests/sec' "$work/wrk-$impl.out" || echo '?')"
}

topology
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
((quick)) && { intervals="0.1"; repeat=1; busy=0; }
printf '%-10s %-8s %-9s %24s %24s\n' scenario version advert "hanet-vrrpd (ms)" "keepalived (ms)"
for interval in $intervals; do
  version=3; seconds=2; steady=3
  case $interval in
    1) version=2; seconds=8; steady=20 ;;
    0.1) seconds=3; steady=5 ;;
  esac
  for scenario in $scenarios; do
    h=-; k=-
    if [[ $scenario == converge ]]; then
      for ((r = 0; r < repeat; r++)); do
        [[ " $impls " == *" hanet "* ]] && h=$([[ $h == - ]] && echo "" || echo "$h/")$(converge_run hanet $version $interval $r)
        [[ " $impls " == *" keepalived "* ]] && k=$([[ $k == - ]] && echo "" || echo "$k/")$(converge_run keepalived $version $interval $r)
      done
      printf '%-10s %-8s %-9s %24s %24s\n' "$scenario" v$version ${interval}s "$h" "$k"
      continue
    fi
    for ((r = 0; r < repeat; r++)); do
      [[ " $impls " == *" hanet "* ]] && h=$([[ $h == - ]] && echo "" || echo "$h/")$(run hanet $version $interval $scenario $seconds $steady $r)
      [[ " $impls " == *" keepalived "* ]] && k=$([[ $k == - ]] && echo "" || echo "$k/")$(run keepalived $version $interval $scenario $seconds $steady $r)
    done
    printf '%-10s %-8s %-9s %24s %24s\n' "$scenario" v$version ${interval}s "$h" "$k"
  done
done
if ((busy)); then
  for impl in $impls; do busy_run $impl; done
fi
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
python3 "$analyze" summary "$records"
if [[ -n "${KEEP_LOGS:-}" ]]; then mkdir -p "$KEEP_LOGS"; cp "$work"/*.log "$work"/*-cap.txt "$records" "$KEEP_LOGS"/ 2>/dev/null || true; echo "logs in $KEEP_LOGS"; fi
