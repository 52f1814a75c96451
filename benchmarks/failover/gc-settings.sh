#!/usr/bin/env bash
# Usage: sudo benchmarks/failover/gc-settings.sh (after dotnet build samples/VrrpDaemon -c Release); SECS=20 per setting.
# GC setting comparison for hanet-vrrpd: one owner node at advert_int 0.01 s for $SECS s per setting.
set -u
cd "$(dirname "$0")/../.."
SECS=${SECS:-20}
dll=samples/VrrpDaemon/bin/Release/net10.0/hanet-vrrpd.dll
N=hngc$$
ip netns add $N; ip -n $N link set lo up
ip -n $N link add eth0 type veth peer name v1; ip -n $N link set eth0 up; ip -n $N link set v1 up
ip -n $N addr add 198.18.0.11/24 dev eth0
cat > /tmp/hngc$$.conf <<CONF
global_defs { vrrp_version 3 }
vrrp_instance VI_1 { state MASTER
  interface eth0
  virtual_router_id 51
  priority 255
  advert_int 0.01
  virtual_ipaddress { 198.18.0.100/24 }
}
CONF
for setting in "default:" "gcConcurrent=0:DOTNET_gcConcurrent=0" "gcServer=1:DOTNET_gcServer=1"; do
  name=${setting%%:*}; envs=${setting#*:}
  ip netns exec $N env $envs dotnet $dll -n -l -f /tmp/hngc$$.conf > /tmp/hngc$$-$name.log 2>&1 &
  sleep 4
  pid=$(pgrep -f "hanet-vrrpd.dll -n -l -f /tmp/hngc$$.conf" | tail -1)
  t0=$(awk '{print $14+$15}' /proc/$pid/stat)
  ip netns exec $N timeout $SECS tcpdump -i v1 -n -tt --time-stamp-precision=micro 'ip proto 112' 2>/dev/null > /tmp/hngc$$-$name.cap
  t1=$(awk '{print $14+$15}' /proc/$pid/stat)
  rss=$(grep VmHWM /proc/$pid/status | awk '{print $2}'); thr=$(ls /proc/$pid/task | wc -l)
  kill -TERM $pid; sleep 1
  python3 - "$name" "$(( (t1 - t0) ))" "$SECS" "$rss" "$thr" /tmp/hngc$$-$name.cap <<'PY'
import sys
name, ticks, secs, rss, thr, cap = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
ts = [float(l.split()[0]) for l in open(cap) if "VRRP" in l]
g = sorted((b - a) * 1000 for a, b in zip(ts, ts[1:]))
p = lambda q: g[min(len(g) - 1, int(q / 100 * len(g)))]
print(f"{name:>15} adverts {len(ts):5} gap p50 {p(50):6.2f} p99 {p(99):6.2f} max {g[-1]:6.2f} ms  cpu {ticks / 100 / secs * 100:5.1f}%  peak RSS {rss // 1024} MB  threads {thr}")
PY
done
ip netns del $N
rm -f /tmp/hngc$$*
