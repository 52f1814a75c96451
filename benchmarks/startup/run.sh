#!/usr/bin/env bash
# Start-to-ready time of the daemons against the C originals, on this machine, N runs each (median, min, max):
#   proxy: from exec to the first accepted TCP connection on the frontend's bind (same haproxy.cfg):
#          haproxy -db, hanet-proxyd Native AOT, hanet-proxyd JIT (dotnet hanet-proxyd.dll)
#   VRRP:  from exec to the first VRRP advert on the wire (a packet socket on the peer end of the
#          instance's veth, same keepalived.conf, priority 255 so every daemon advertises at once):
#          keepalived -n -P, hanet-vrrpd Native AOT, hanet-vrrpd JIT
#
#   sudo benchmarks/startup/run.sh          # RUNS=10
#
# Needs root (a network namespace named after this shell's pid), haproxy, keepalived, python3, and the daemons built
# (dotnet build -c Release) and published (eng/publish-native.sh; run.sh publishes them when missing).
set -euo pipefail
cd "$(dirname "$0")"
HERE=$(pwd); ROOT=$(cd ../.. && pwd)
RUNS=${RUNS:-10}
PATH=$PATH:/usr/sbin:/sbin
for c in haproxy keepalived python3 ip dotnet; do command -v "$c" >/dev/null || { echo "missing $c"; exit 2; }; done
[ "$(id -u)" = 0 ] || { echo "run as root (network namespace, VRRP raw sockets)"; exit 2; }
PROXYD_NATIVE=$ROOT/artifacts/native/hanet-proxyd/hanet-proxyd
VRRPD_NATIVE=$ROOT/artifacts/native/hanet-vrrpd/hanet-vrrpd
PROXYD_DLL=$ROOT/samples/ProxyDaemon/bin/Release/net10.0/hanet-proxyd.dll
VRRPD_DLL=$ROOT/samples/VrrpDaemon/bin/Release/net10.0/hanet-vrrpd.dll
[ -x "$PROXYD_NATIVE" ] || "$ROOT/eng/publish-native.sh" proxyd >/dev/null
[ -x "$VRRPD_NATIVE" ] || "$ROOT/eng/publish-native.sh" vrrpd >/dev/null
[ -f "$PROXYD_DLL" ] && [ -f "$VRRPD_DLL" ] || dotnet build "$ROOT/Ha.Net.sln" -c Release -v q -nologo >/dev/null

NS=hnstart$$
WORK=$(mktemp -d /tmp/hanet-startup.XXXXXX)
cleanup() { ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null || true; ip netns del "$NS" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" link add vd0 type veth peer name vd1
ip -n "$NS" link set vd0 up; ip -n "$NS" link set vd1 up
ip -n "$NS" addr add 198.18.0.1/24 dev vd0
sleep 1

cat > "$WORK/haproxy.cfg" <<CFG
global
  nbthread 1
  pidfile $WORK/haproxy.pid
defaults
  mode tcp
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend smtp
  bind 127.0.0.1:2525
  default_backend mail
backend mail
  server mx1 127.0.0.1:2526 check inter 10s
  server mx2 127.0.0.1:2527 check inter 10s
CFG
cat > "$WORK/keepalived.conf" <<CFG
global_defs {
  router_id startup
}
vrrp_instance VI_1 {
  state MASTER
  interface vd0
  virtual_router_id 51
  priority 255
  advert_int 1
  virtual_ipaddress {
    198.18.0.100/24
  }
}
CFG

in_ns() { ip netns exec "$NS" "$@"; }
declare -A RES
measure() { # label kind target command...
  local label=$1 kind=$2 target=$3; shift 3
  echo "== $label"
  in_ns python3 "$HERE/startup.py" "$kind" "$target" "$RUNS" -- "$@" | tee "$WORK/out" | sed 's/^/   /'
  RES[$label]=$(tail -1 "$WORK/out")
}

echo "== load: $(uptime)"
measure "haproxy $(haproxy -v | awk 'NR==1{print $3}')" tcp 127.0.0.1:2525 haproxy -db -f "$WORK/haproxy.cfg"
measure "hanet-proxyd (Native AOT)" tcp 127.0.0.1:2525 "$PROXYD_NATIVE" -f "$WORK/haproxy.cfg"
measure "hanet-proxyd (JIT)" tcp 127.0.0.1:2525 dotnet "$PROXYD_DLL" -f "$WORK/haproxy.cfg"
measure "keepalived $(keepalived -v 2>&1 | awk 'NR==1{print $2}')" vrrp vd1 keepalived -n -l -P -f "$WORK/keepalived.conf" -p "$WORK/k.pid" -r "$WORK/v.pid"
measure "hanet-vrrpd (Native AOT)" vrrp vd1 "$VRRPD_NATIVE" -n -l -f "$WORK/keepalived.conf"
measure "hanet-vrrpd (JIT)" vrrp vd1 dotnet "$VRRPD_DLL" -n -l -f "$WORK/keepalived.conf"
echo
echo "== start to ready, ms over $RUNS runs (proxy: first accepted connection; VRRP: first advert on the wire)"
for k in "haproxy $(haproxy -v | awk 'NR==1{print $3}')" "hanet-proxyd (Native AOT)" "hanet-proxyd (JIT)" \
         "keepalived $(keepalived -v 2>&1 | awk 'NR==1{print $2}')" "hanet-vrrpd (Native AOT)" "hanet-vrrpd (JIT)"; do
  printf '%-28s %s\n' "$k" "${RES[$k]}"
done
echo "== load after: $(uptime)"
