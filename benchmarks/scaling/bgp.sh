#!/usr/bin/env bash
# Route health injection over BGP + BFD with ECMP (issue #16): figures for 2 and 3 proxy nodes.
# Runs the real test bed (tests/Ha.Net.Vrrp.RouteInjection.Tests, BgpAnycastTests: FRR router and nodes,
# hanet-proxyd --route-injection, network namespaces, 198.18.0.0/15) once per node count, then measures with
# iproute2 alone how many established flows of the *surviving* next hops one withdrawal moves, with a plain
# multipath route and with a resilient next-hop group. Prints one line per figure:
#   layout=bgp nodes=N metric=<name> value=<v>
# Needs root, frr, nftables, iproute2 (./test.sh installs eng/test-packages.txt).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp)
scratch=""   # the measurement's namespace while it exists
trap 'rm -f "$out"; if [[ -n $scratch ]]; then ip netns del "$scratch" 2>/dev/null || true; fi' EXIT
if [[ "${HANET_SKIP_BUILD:-}" != 1 ]]; then
  dotnet build tests/Ha.Net.Vrrp.RouteInjection.Tests/Ha.Net.Vrrp.RouteInjection.Tests.csproj -c Release -v q -nologo >&2
fi
HANET_SCALING_NODES="2 3" HANET_SCALING_OUT="$out" \
  dotnet test tests/Ha.Net.Vrrp.RouteInjection.Tests/Ha.Net.Vrrp.RouteInjection.Tests.csproj -c Release --no-build -nologo \
  --filter "FullyQualifiedName~BgpAnycastTests" >&2
cat "$out"

# Flows of surviving nodes moved by one withdrawal: 600 TCP flows (one client, source ports 40000-40599) hashed
# by the kernel (fib_multipath_hash_policy=1) before and after next hop 1 is removed.
moved() { # $1 = nodes, $2 = plain|resilient
  local n=$1 kind=$2 i
  local ns="hrbnh$$$kind$n"
  ip netns add "$ns"
  scratch=$ns
  ip -n "$ns" link set lo up
  ip netns exec "$ns" sysctl -qw net.ipv4.fib_multipath_hash_policy=1
  local hops="" group=""
  for ((i = 1; i <= n; i++)); do
    ip -n "$ns" link add "d$i" type veth peer name "e$i"
    ip -n "$ns" link set "d$i" up; ip -n "$ns" link set "e$i" up
    ip -n "$ns" addr add "198.18.$((10 + i)).1/24" dev "d$i"
    ip -n "$ns" nexthop add id "$i" via "198.18.$((10 + i)).2" dev "d$i"
    hops+=" nexthop via 198.18.$((10 + i)).2 dev d$i"
    group+="${group:+/}$i"
  done
  if [[ $kind == plain ]]; then
    ip -n "$ns" route add 198.18.100.1/32 $hops
  else
    ip -n "$ns" nexthop add id 100 group "$group" type resilient buckets 128 idle_timer 0
    ip -n "$ns" route add 198.18.100.1/32 nhid 100
  fi
  local -A before
  local sport moved=0 surviving=0
  for ((sport = 40000; sport < 40600; sport++)); do
    before[$sport]=$(ip -n "$ns" route get 198.18.100.1 from 198.18.1.2 iif lo ipproto tcp sport $sport dport 8080 2>/dev/null | grep -o 'via [0-9.]*' || ip -n "$ns" route get 198.18.100.1 ipproto tcp sport $sport dport 8080 | grep -o 'via [0-9.]*')
  done
  if [[ $kind == plain ]]; then
    hops=${hops/ nexthop via 198.18.11.2 dev d1/}
    ip -n "$ns" route replace 198.18.100.1/32 $hops
  else
    ip -n "$ns" nexthop replace id 100 group "${group#1/}" type resilient buckets 128 idle_timer 0
  fi
  for ((sport = 40000; sport < 40600; sport++)); do
    [[ ${before[$sport]} == "via 198.18.11.2" ]] && continue
    surviving=$((surviving + 1))
    now=$(ip -n "$ns" route get 198.18.100.1 ipproto tcp sport $sport dport 8080 | grep -o 'via [0-9.]*')
    [[ $now != "${before[$sport]}" ]] && moved=$((moved + 1))
  done
  ip netns del "$ns"
  scratch=""
  echo "layout=bgp nodes=$n metric=surviving_flows_moved_${kind}_pct value=$(awk -v m=$moved -v s=$surviving 'BEGIN { printf "%.1f", s ? 100 * m / s : 0 }')"
}
for n in 2 3; do
  moved "$n" plain
  moved "$n" resilient
done
