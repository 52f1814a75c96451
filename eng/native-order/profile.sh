#!/usr/bin/env bash
# Regenerates samples/ProxyDaemon/hanet-proxyd.order: the managed methods hanet-proxyd runs, so the Native AOT
# compiler (IlcOrderFile) places them together in the executable.
#
# Why: the kernel maps a file-backed page fault 64 KiB at a time ("fault-around"). Unordered, the ~2,000 methods the
# daemon runs (~0.5 MB of code) lie scattered over the 4.4 MB of managed code, so start-up alone made 3.8 MB of the
# executable resident; placed together they take ~0.6 MB. See samples/ProxyDaemon/README.md, "Memory".
#
# How: publishes the daemon unstripped and unordered, runs it under valgrind's callgrind on a haproxy.cfg like the
# end-to-end benchmark's (plus health checks), drives keep-alive, new-connection and bulk traffic through it (nginx and
# iperf3 on 127.0.0.1), stops it with SIGTERM, and writes every managed method callgrind saw, in the order the compiler
# had placed them. Methods that no longer exist are ignored by the compiler, so a stale file costs memory, not
# correctness; rerun after large changes to the data path. Needs root (ulimit), valgrind, nginx, wrk, iperf3.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/samples/ProxyDaemon/hanet-proxyd.order}
for c in valgrind nginx wrk iperf3 nm objcopy readelf python3; do command -v $c >/dev/null || { echo "missing $c (apt-get install -y valgrind nginx wrk iperf3)"; exit 2; }; done
work=$(mktemp -d /tmp/hanet-order.XXXXXX)
. "$root/benchmarks/proxy-e2e/backends.sh"
cleanup() {
  stop_nginx "$work"
  [[ -f $work/iperf3.pid ]] && kill "$(cat "$work/iperf3.pid")" 2>/dev/null || true
  pkill -TERM -f "$work/bin/hanet-proxyd-sym" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ulimit -n 20000
ng=38180 fe=38181 fi=38182 ip=38183

echo "== publishing hanet-proxyd unstripped and unordered"
rm -rf "$root/samples/ProxyDaemon/obj/Release/net10.0/linux-x64/native"
dotnet publish "$root/samples/ProxyDaemon/Ha.Net.Samples.ProxyDaemon.csproj" -c Release -r linux-x64 -o "$work/bin" \
  -nologo -v q -p:StripSymbols=false -p:IlcOrderFile= -p:PositionIndependentExecutable=false >/dev/null
rm -rf "$root/samples/ProxyDaemon/obj/Release/net10.0/linux-x64/native" # the next publish links the ordered binary again
# valgrind 3.19 cannot read the compiler's DWARF, and needs the symbol table: keep the symbols, drop the debug info.
# Not position-independent, so callgrind's addresses are the file's (the method names are the same either way).
bin=$work/bin/hanet-proxyd-sym
objcopy --strip-debug "$work/bin/hanet-proxyd" "$bin"

start_nginx "$work" $ng
iperf3 -s -p $ip -D -I "$work/iperf3.pid" --logfile "$work/iperf3.log"
{ haproxy_cfg $fe $ng "check inter 500"; cat <<CFG
frontend iperf
  bind 127.0.0.1:$fi
  default_backend iperf
backend iperf
  server i1 127.0.0.1:$ip
CFG
} > "$work/h.cfg"

echo "== running it under callgrind"
valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" --compress-strings=no --compress-pos=no \
  "$bin" -f "$work/h.cfg" > "$work/vg.log" 2>&1 &
vg=$!
for _ in $(seq 120); do ss -ltn | grep -q ":$fi " && break; sleep 1; done
ss -ltn | grep -q ":$fi " || { echo "hanet-proxyd did not listen under valgrind:"; tail -20 "$work/vg.log"; exit 1; }
wrk -t1 -c10 -d5s "http://127.0.0.1:$fe/" | grep Requests/sec
wrk -t1 -c10 -d5s -H 'Connection: close' "http://127.0.0.1:$fe/" | grep Requests/sec
iperf3 -c 127.0.0.1 -p $fi -t 2 | grep receiver || true
iperf3 -c 127.0.0.1 -p $fi -t 2 -R -P 2 | grep SUM | tail -1 || true
wrk -t1 -c50 -d5s "http://127.0.0.1:$fe/" | grep Requests/sec
kill -TERM $vg; wait $vg || true

echo "== writing $out"
python3 - "$work/cg.out" "$bin" "$out" <<'PY'
import bisect, subprocess, sys
cg, binary, out = sys.argv[1:]
syms = []
for line in subprocess.run(["nm", "-S", "--defined-only", binary], capture_output=True, text=True, check=True).stdout.splitlines():
    p = line.split()
    if len(p) == 4 and p[2] in "tTwW":
        syms.append((int(p[0], 16), int(p[1], 16), p[3]))
syms.sort()
addrs = [s[0] for s in syms]
names = {s[2] for s in syms}
section = {}
for line in subprocess.run(["readelf", "-SW", binary], capture_output=True, text=True, check=True).stdout.splitlines():
    p = line.replace("[ ", "[").split()
    if len(p) > 5 and p[1] in ("__managedcode", "__unbox"):
        section[p[1]] = (int(p[3], 16), int(p[3], 16) + int(p[5], 16))
def managed(a):
    return any(lo <= a < hi for lo, hi in section.values())
seen, ob = set(), None
for line in open(cg):
    if line.startswith("ob="):
        ob = line[3:].strip()
    elif line.startswith("fn=") and (ob == "???" or ob == binary):
        f = line[3:].strip().split("'")[0]  # callgrind marks recursion cycles as name'N
        if f.startswith("0x"):
            a = int(f, 16)
            i = bisect.bisect_right(addrs, a) - 1
            if i >= 0 and syms[i][0] <= a < syms[i][0] + max(syms[i][1], 1):
                seen.add(syms[i])
        elif f in names:
            seen.update(s for s in syms if s[2] == f)
hot = sorted(s for s in seen if managed(s[0]))
with open(out, "w") as w:
    for a, size, name in hot:
        w.write(name + "\n")
print(f"{len(hot)} managed methods, {sum(s[1] for s in hot)} bytes of code, written to {out}")
PY
