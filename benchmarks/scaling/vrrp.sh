#!/usr/bin/env bash
# Active/active with VRRP (hanet-vrrpd --generate-active-active): client-visible outage on node death, connections
# broken by a graceful drain, and the share of connections each node gets, for 2 and 3 nodes, in throw-away network
# namespaces (198.18.0.0/24 only).
#
#   sudo benchmarks/scaling/vrrp.sh            # NODES="2 3" ADVERT_INT=1 SESSION=1 STEADY=3 AFTER=8 SKIP_BUILD=0
#
# Topology: a switch namespace (bridge), nodes node1..nodeN (198.18.0.11..) and a client (198.18.0.50); N VIPs
# 198.18.0.101..10N, one per node, from one command: hanet-vrrpd --generate-active-active --node node1 ... --vip ...
# (owner 150, heirs 140, 130; VRRPv2 at advert_int 1 s, or v3 when ADVERT_INT has a fraction). Each node runs a TCP
# echo server on 8080 that greets with its name (benchmarks/scaling/aa_client.py serve). The client opens a connection
# to each VIP every 10 ms (attempts give up after 500 ms); each connection is a session of SESSION seconds echoing one
# byte every 100 ms (a reset, EOF or 1 s without the echo breaks it).
#
# Per N, two runs, both aimed at node1 after STEADY seconds:
#   death  kill -9 of node1's hanet-vrrpd, then its switch port down (a crashed machine): the longest run of failed
#          connects to any VIP (node1's VIP until its first heir takes it over);
#   drain  SIGTERM of node1's hanet-vrrpd (priority-0 advert, VIP removed): sessions open on node1 at that moment that
#          break (its VIP moves to the heir, which has no such connection and resets it), and the outage.
# Shares are the successful connects per node before the event of the drain run.
# Output: one line per figure, `layout=vrrp-aa nodes=N metric=NAME value=V` (benchmarks/scaling/run.sh tabulates them).
# Needs root, iproute2, python3, dotnet (builds samples/VrrpDaemon).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
nodes_list=${NODES:-"2 3"}
advert_int=${ADVERT_INT:-1}
session=${SESSION:-1}
steady=${STEADY:-3}
after=${AFTER:-8}

[[ $(id -u) == 0 ]] || { echo "run as root (network namespaces)"; exit 1; }
command -v python3 >/dev/null || { echo "python3 is not installed"; exit 1; }
if [[ ${SKIP_BUILD:-0} != 1 ]] && ! out=$(dotnet build samples/VrrpDaemon -c Release -nologo -v:q 2>&1); then
  echo "$out" | tail -20; echo "build of samples/VrrpDaemon failed"; exit 1
fi
vrrpd_dll=$root/samples/VrrpDaemon/bin/Release/net10.0/hanet-vrrpd.dll
client=$root/benchmarks/scaling/aa_client.py
version=2; [[ $advert_int == *.* ]] && version=3

id=hsv$$
SW=${id}sw; NC=${id}c
work=$(mktemp -d /tmp/${id}.XXXX)
namespaces=()

cleanup() {
  for ns in "${namespaces[@]:-}"; do
    [[ -n $ns ]] || continue
    for p in $(ip netns pids $ns 2>/dev/null); do kill -9 $p 2>/dev/null || true; done
  done
  for ns in "${namespaces[@]:-}"; do [[ -n $ns ]] && ip netns del $ns 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

wait_until() { # wait_until SECONDS CMD...
  local deadline=$(( $(date +%s%N) + $1 * 1000000000 )); shift
  until "$@"; do
    (( $(date +%s%N) < deadline )) || return 1
    sleep 0.05
  done
}

node_ns() { echo ${id}n$1; }
vip() { echo 198.18.0.$((100 + $1)); }
has_vip() { ip -n $(node_ns $1) -4 -o addr show dev eth0 | grep -q " $(vip $2)/32"; }
placed() { # every VIP i on node i
  local n=$1 i
  for i in $(seq 1 $n); do has_vip $i $i || return 1; done
}

topology() { # topology N
  local n=$1 i ns
  ip netns add $SW; namespaces+=($SW); ip -n $SW link set lo up
  ip -n $SW link add br0 type bridge forward_delay 0 mcast_snooping 0; ip -n $SW link set br0 up
  for i in $(seq 1 $n) c; do
    if [[ $i == c ]]; then ns=$NC; addr=198.18.0.50; else ns=$(node_ns $i); addr=198.18.0.$((10 + i)); fi
    ip netns add $ns; namespaces+=($ns); ip -n $ns link set lo up
    ip -n $SW link add p$i type veth peer name eth0 netns $ns
    ip -n $SW link set p$i master br0; ip -n $SW link set p$i up
    ip -n $ns link set eth0 up; ip -n $ns addr add $addr/24 dev eth0
  done
  for i in $(seq 1 $n); do
    ip netns exec $(node_ns $i) python3 "$client" serve node$i 8080 >"$work/serve$i.log" 2>&1 & disown $!
  done
  local args=() 
  for i in $(seq 1 $n); do args+=(--node node$i:eth0 --vip $(vip $i)); done
  dotnet "$vrrpd_dll" --generate-active-active "${args[@]}" --vrrp-version $version --advert-int $advert_int \
    --output-dir "$work/conf$n" 2>"$work/layout$n.txt"
  sleep 1
}

teardown() {
  for ns in "${namespaces[@]:-}"; do
    [[ -n $ns ]] || continue
    for p in $(ip netns pids $ns 2>/dev/null); do kill -9 $p 2>/dev/null || true; done
  done
  sleep 0.3
  for ns in "${namespaces[@]:-}"; do [[ -n $ns ]] && ip netns del $ns 2>/dev/null || true; done
  namespaces=()
}

start_nodes() { # start_nodes N
  local n=$1 i
  for i in $(seq 1 $n); do
    ip netns exec $(node_ns $i) dotnet "$vrrpd_dll" -n -l -f "$work/conf$n/node$i.conf" >"$work/vrrpd$i.log" 2>&1 &
    eval "vrrpd_$i=$!"; disown $!
  done
  wait_until 60 placed $n || { echo "VIPs not placed after 60 s"; cat "$work"/vrrpd*.log | tail -40; exit 1; }
  sleep 1
  ip -n $NC neigh flush dev eth0
}

stop_nodes() { # stop_nodes N: kill every hanet-vrrpd, clear VIPs, ports up, client ARP cache flushed
  local n=$1 i
  for i in $(seq 1 $n); do
    for p in $(ip netns pids $(node_ns $i)); do grep -q hanet-vrrpd /proc/$p/cmdline 2>/dev/null && kill -9 $p 2>/dev/null || true; done
  done
  sleep 0.3
  for i in $(seq 1 $n); do
    ip -n $SW link set p$i up
    for j in $(seq 1 $n); do ip -n $(node_ns $i) addr del $(vip $j)/32 dev eth0 2>/dev/null || true; done
  done
  ip -n $NC neigh flush dev eth0
}

run() { # run N SCENARIO -> RESULT line in $work/result-N-SCENARIO
  local n=$1 scenario=$2 i targets=()
  start_nodes $n
  for i in $(seq 1 $n); do targets+=($(vip $i):8080); done
  ip netns exec $NC python3 "$client" probe $((steady + after)) $steady $session "${targets[@]}" >"$work/result-$n-$scenario" 2>&1 &
  local probe=$!
  wait_until 60 grep -q "PROBE started" "$work/result-$n-$scenario" || { echo "the client did not start"; exit 1; }
  sleep $steady
  case $scenario in
    death) kill -9 $vrrpd_1; ip -n $SW link set p1 down ;;
    drain) kill -TERM $vrrpd_1 ;;
  esac
  wait $probe || true
  stop_nodes $n
}

value() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" "$1"; }

for n in $nodes_list; do
  topology $n
  run $n death
  run $n drain
  death=$work/result-$n-death; drain=$work/result-$n-drain
  grep -q '^RESULT' "$death" && grep -q '^RESULT' "$drain" || { echo "nodes=$n: no result"; cat "$death" "$drain"; exit 1; }
  sed 's/^/# /' "$work/layout$n.txt" | grep -v '^# wrote'
  echo "layout=vrrp-aa nodes=$n metric=death_outage_ms value=$(value $death outage_ms)$( [[ $(value $death unended) == 1 ]] && echo '(unended)')"
  echo "layout=vrrp-aa nodes=$n metric=drain_broken value=$(value $drain broken)"
  echo "layout=vrrp-aa nodes=$n metric=drain_open_on_drained value=$(value $drain open.node1)"
  echo "layout=vrrp-aa nodes=$n metric=drain_outage_ms value=$(value $drain outage_ms)"
  for i in $(seq 1 $n); do
    echo "layout=vrrp-aa nodes=$n metric=share_node$i value=$(value $drain share.node$i)"
  done
  echo "# nodes=$n advert_int=$advert_int vrrp_version=$version session=${session}s; death: $(sed -n 's/^RESULT //p' $death)"
  echo "# nodes=$n drain: $(sed -n 's/^RESULT //p' $drain)"
  teardown
done
