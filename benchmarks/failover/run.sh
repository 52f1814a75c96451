#!/usr/bin/env bash
# End-to-end failover benchmark: the outage a client sees when the VIP moves, for an Ha.Net pair and a
# keepalived 2.2.7 pair in the same run, in throw-away network namespaces (198.18.0.0/24 only).
#
#   sudo benchmarks/failover/run.sh [--quick]
#
# Topology: a bridge namespace (switch), nodes A (198.18.0.11, priority 150) and B (198.18.0.12, priority
# 100), a client (198.18.0.50); VIP 198.18.0.100/24. Each node runs a TCP server on 8080 (Ha.Net.VrrpNode
# serve). The client connects to VIP:8080 every 10 ms (Ha.Net.VrrpNode probe; attempts give up after
# 500 ms, below the 1 s SYN retransmit) and reports the longest run of failed connects, measured from the
# last successful attempt before it to the first successful one after it.
#
# Scenarios (A is master when each starts):
#   kill      kill -9 of the master's VRRP process, then its switch port down (a crashed machine);
#   stop      SIGTERM of the master (priority-0 advert, VIP removed);
#   heal      A and B isolated from each other on the bridge (both become master; the client follows
#             B's gratuitous ARP), then healed: the outage is what the client sees after the heal.
#             Whether B's last advert reaches A before B steps down is a race: when it does not, A
#             never hears a lower-priority advert, sends no gratuitous ARP, and the client stays on
#             B's MAC until its neighbour entry is re-probed (seconds), for both implementations.
#   heal+hpsa the same with higher_prio_send_advert on both nodes (--higher-prio-send-advert):
#             the master that steps down sends one last advert, so the winner always re-announces.
# Each for VRRPv2 advert_int 1 s and VRRPv3 advert_int 0.1 s. Needs root, iproute2, keepalived, dotnet.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
quick=0; [[ "${1:-}" == "--quick" ]] && quick=1
impls=${IMPLS:-"hanet keepalived"}   # IMPLS=keepalived runs one side only
scenarios=${SCENARIOS:-"kill stop heal heal+hpsa"}  # SCENARIOS=heal runs one scenario only
hanet_args=${HANET_ARGS:-""}           # extra Ha.Net.VrrpNode options, e.g. --higher-prio-send-advert
repeat=${REPEAT:-1}                    # REPEAT=3 runs each cell three times (values joined by /)
ka_extra=${KA_EXTRA:-""}               # extra keepalived vrrp_instance lines, e.g. higher_prio_send_advert

[[ $(id -u) == 0 ]] || { echo "run as root (network namespaces)"; exit 1; }
command -v keepalived >/dev/null || { echo "keepalived is not installed (apt-get install keepalived)"; exit 1; }
if ! out=$(dotnet build tests/Ha.Net.VrrpNode -c Release -nologo -v:q 2>&1); then echo "$out" | tail -20; echo "build failed"; exit 1; fi
node_dll=$root/tests/Ha.Net.VrrpNode/bin/Release/net10.0/Ha.Net.VrrpNode.dll

id=hnb$$
SW=${id}sw; NA=${id}a; NB=${id}b; NC=${id}c
VIP=198.18.0.100
work=$(mktemp -d /tmp/${id}.XXXX)
pids=()

cleanup() {
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

# start_pair IMPL VERSION INTERVAL: starts A (150) and B (100); records the VRRP process pids in pid_a/pid_b.
start_pair() {
  local impl=$1 version=$2 interval=$3
  for spec in "a $NA 150" "b $NB 100"; do
    set -- $spec
    if [[ $impl == hanet ]]; then
      ip netns exec $2 dotnet "$node_dll" --name VI_1 --interface eth0 --vrid 51 --priority $3 --advert-int $interval \
        --version $version --vip $VIP/24 $hanet_args >"$work/$1.log" 2>&1 &
      eval "pid_$1=$!"
    else
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
      ip netns exec $2 keepalived -n -l -D -G -P -f "$work/$1.conf" -p "$work/$1.pid" -r "$work/$1_vrrp.pid" >"$work/$1.log" 2>&1 &
      eval "pid_$1=$!"
    fi
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

stop_pair() {
  kill -9 ${pid_a:-} ${pid_b:-} 2>/dev/null || true
  for p in $(ip netns pids $NA) $(ip netns pids $NB); do
    grep -q keepalived /proc/$p/cmdline 2>/dev/null && kill -9 $p 2>/dev/null || true
    grep -q -- "--vrid" /proc/$p/cmdline 2>/dev/null && kill -9 $p 2>/dev/null || true
  done
  sleep 0.3
  for ns in $NA $NB; do ip -n $ns addr del $VIP/24 dev eth0 2>/dev/null || true; done
  ip -n $SW link set p1 up; ip -n $SW link set p2 up
  ns_exec $SW bridge link set dev p1 isolated off; ns_exec $SW bridge link set dev p2 isolated off
  ip -n $NC neigh flush dev eth0
}

probe() { ns_exec $NC dotnet "$node_dll" probe $VIP:8080 "$1" 10 500; }

# run IMPL VERSION INTERVAL SCENARIO PROBE_SECONDS → prints the max outage in ms
run() {
  local impl=$1 version=$2 interval=$3 scenario=$4 seconds=$5
  local saved_args=$hanet_args saved_extra=$ka_extra
  if [[ $scenario == heal+hpsa ]]; then
    hanet_args="$hanet_args --higher-prio-send-advert"; ka_extra="$ka_extra
  higher_prio_send_advert"; scenario=heal
  elif [[ $scenario == heal ]]; then
    hanet_args="$hanet_args --no-higher-prio-send-advert"   # keepalived's default, for a like-for-like row
  fi
  start_pair $impl $version $interval
  hanet_args=$saved_args; ka_extra=$saved_extra
  if ! wait_until 30 has_vip $NA; then echo "n/a(no master)"; stop_pair; return; fi
  sleep 0.5
  probe 1 >/dev/null  # the client learns A's MAC
  if [[ $scenario == heal ]]; then
    ns_exec $SW bridge link set dev p1 isolated on; ns_exec $SW bridge link set dev p2 isolated on
    wait_until 30 has_vip $NB || true
    # The client must now follow B's gratuitous ARP, or there is nothing to heal.
    if ! wait_until 10 client_on 02:00:c6:12:00:0c; then echo "n/a(client not on B)"; stop_pair; return; fi
  fi
  probe $seconds >"$work/probe.out" &
  local probe_pid=$!
  wait_until 30 grep -q "PROBE started" "$work/probe.out" || true
  sleep 0.5
  case $scenario in
    kill) kill -9 $pid_a $(pgrep -P $pid_a) 2>/dev/null || true; ip -n $SW link set p1 down ;;
    stop) kill -TERM $pid_a ;;
    heal) ns_exec $SW bridge link set dev p1 isolated off; ns_exec $SW bridge link set dev p2 isolated off ;;
  esac
  wait $probe_pid || true
  local line; line=$(grep '^PROBE attempts' "$work/probe.out" || echo "PROBE max_outage_ms=? unended=1")
  local ms; ms=$(sed -n 's/.*max_outage_ms=\([0-9?]*\).*/\1/p' <<<"$line")
  grep -q 'unended=1' <<<"$line" && ms=">${seconds}s"
  cp "$work/a.log" "$work/$impl-$version-$scenario-a.log"; cp "$work/b.log" "$work/$impl-$version-$scenario-b.log"
  stop_pair
  echo "$ms"
}

topology
printf '%-10s %-8s %-9s %20s %20s\n' scenario version advert "Ha.Net (ms)" "keepalived (ms)"
configs=("2 1 8" "3 0.1 3")
((quick)) && configs=("3 0.1 3")
for cfg in "${configs[@]}"; do
  set -- $cfg; version=$1 interval=$2 seconds=$3
  for scenario in $scenarios; do
    h=-; k=-
    for ((r = 0; r < repeat; r++)); do
      [[ " $impls " == *" hanet "* ]] && h=$([[ $h == - ]] && echo "" || echo "$h/")$(run hanet $version $interval $scenario $seconds)
      [[ " $impls " == *" keepalived "* ]] && k=$([[ $k == - ]] && echo "" || echo "$k/")$(run keepalived $version $interval $scenario $seconds)
    done
    printf '%-10s %-8s %-9s %20s %20s\n' "$scenario" v$version ${interval}s "$h" "$k"
  done
done
if [[ -n "${KEEP_LOGS:-}" ]]; then mkdir -p "$KEEP_LOGS"; cp "$work"/*.log "$KEEP_LOGS"/; echo "logs in $KEEP_LOGS"; fi
