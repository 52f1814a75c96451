#!/usr/bin/env bash
# End-to-end comparison: the Ha.Net proxy vs HAProxy 2.6 (mode tcp, nbthread 1), side by side in
# one run, through the same nginx and iperf3 backends on 127.0.0.1, plus the direct (no proxy)
# figure as the limit. HAProxy runs twice: as configured ("haproxy": no splice option, so it copies
# through user space) and with forced kernel splicing ("hapsplice": the same config plus
# option splice-request and option splice-response in its defaults; its own ports and pidfile).
# Prints each figure, the Ha.Net/HAProxy ratio and the Ha.Net/HAProxy-splice ratio ("vs splice",
# the one the bulk targets are set against). After the bulk phase the Ha.Net host reports (SIGHUP)
# how many of its bytes it spliced and its pipe pool.
#
#   sudo benchmarks/proxy-e2e/run.sh            # DURATION=10 ROUNDS=4 IDLE=9500 CONNS=50 PIN=1 by default
#
# A fourth proxy, "hanetd", is the shipped daemon: hanet-proxyd published as a Native AOT binary
# (NATIVE=1, the default; NATIVE=0 leaves it out), run on the same haproxy.cfg as HAProxy. Its peak
# RSS is reported per load (keep-alive, new connections, bulk) next to HAProxy's: each phase starts
# by resetting every proxy's VmHWM (echo 5 > /proc/PID/clear_refs) and ends by reading it.
# HANETD_ENV: extra VAR=value settings for hanet-proxyd only (GC knobs: DOTNET_GCgen0size=...).
#
# IDLE defaults to 9,500, not 10,000: each idle connection costs a proxy two descriptors and this
# machine's hard RLIMIT_NOFILE is 20,000 with no CAP_SYS_RESOURCE to raise it. Set IDLE=10000 where
# the limit allows.
#
# Needs (Debian): haproxy nginx wrk iperf3 python3; the .NET SDK. Runs as root (ulimits, nginx).
# With PIN=1 each proxy runs on CPU 1 and the load generators and backends on CPU 0, so each proxy
# gets one core, as HAProxy's nbthread 1 does.
set -euo pipefail
cd "$(dirname "$0")"
HERE=$(pwd)
DURATION=${DURATION:-10}
# ROUNDS: keep-alive, new-connection and bulk runs alternate direct / the three proxies this many
# times and report medians, so a drift of the machine's speed hits all alike. Each round runs
# direct first, then the proxies in an order rotated every round (a multiple of 3 gives each proxy
# each place equally often).
ROUNDS=${ROUNDS:-4}
IDLE=${IDLE:-9500}
CONNS=${CONNS:-50}
PIN=${PIN:-1}
# PHASES: a subset of "ka close bulk idle" (keep-alive, new connection per request, iperf3, idle
# connections) to measure only those; the summary then shows just the rows measured.
PHASES=${PHASES:-ka close bulk idle}
has() { case " $PHASES " in *" $1 "*) return 0;; *) return 1;; esac; }
WORK=$(mktemp -d /tmp/proxy-e2e.XXXXXX)
# Ports from a random base (the machine is shared; fixed ports collide).
# Below the kernel's ephemeral range (32768-60999 by default): a random base inside it clashed with client ports.
BASE=${BASE:-$((20000 + (RANDOM % 120) * 100))}
NGINX_PORT=$BASE; HAP_HTTP=$((BASE+1)); HANET_HTTP=$((BASE+2)); HAPS_HTTP=$((BASE+3))
IPERF_PORT=$((BASE+10)); HAP_IPERF=$((BASE+11)); HANET_IPERF=$((BASE+12)); HAPS_IPERF=$((BASE+13))
HANETD_HTTP=$((BASE+4)); HANETD_IPERF=$((BASE+14))
PIDS=()
cleanup() {
  local f
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for f in nginx haproxy hapsplice hanetd iperf3; do
    [ -f "$WORK/$f.pid" ] && kill "$(cat "$WORK/$f.pid")" 2>/dev/null || true
  done
  sleep 0.5; rm -rf "$WORK"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)"
for cmd in haproxy nginx wrk iperf3 python3 dotnet; do
  command -v "$cmd" >/dev/null || PATH=$PATH:/usr/sbin
  command -v "$cmd" >/dev/null || { echo "missing $cmd (apt-get install -y haproxy nginx wrk iperf3)"; exit 2; }
done
if [ "$PIN" = 1 ] && [ "$(nproc)" -ge 2 ]; then GEN="taskset -c 0"; PROXYCPU="taskset -c 1"; else GEN=""; PROXYCPU=""; fi

echo "== build"
dotnet publish ProxyHost/ProxyHost.csproj -c Release -o "$WORK/host" -v q -nologo >/dev/null
NATIVE=${NATIVE:-1}
HANETD_BIN=${HANETD_BIN:-$HERE/../../artifacts/native/hanet-proxyd/hanet-proxyd}
if [ "$NATIVE" = 1 ] && [ ! -x "$HANETD_BIN" ]; then
  echo "   publishing hanet-proxyd as a Native AOT binary (eng/publish-native.sh proxyd)"
  "$HERE/../../eng/publish-native.sh" proxyd >/dev/null
fi

echo "== backends: nginx :$NGINX_PORT, iperf3 :$IPERF_PORT"
mkdir -p "$WORK/nginx"
cat > "$WORK/nginx.conf" <<NGX
worker_processes 1;
worker_rlimit_nofile $(ulimit -Hn);
pid $WORK/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 40000; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 600s;
  client_body_temp_path $WORK/nginx; proxy_temp_path $WORK/nginx; fastcgi_temp_path $WORK/nginx; uwsgi_temp_path $WORK/nginx; scgi_temp_path $WORK/nginx;
  server { listen 127.0.0.1:$NGINX_PORT backlog=4096; location / { return 200 "hello from nginx\n"; } }
}
NGX
$GEN nginx -c "$WORK/nginx.conf" -p "$WORK/nginx"
$GEN iperf3 -s -p $IPERF_PORT -D --logfile "$WORK/iperf3.log" -I "$WORK/iperf3.pid"

echo "== proxies: HAProxy :$HAP_HTTP/:$HAP_IPERF, HAProxy splice :$HAPS_HTTP/:$HAPS_IPERF, Ha.Net :$HANET_HTTP/:$HANET_IPERF"
# Splicing costs HAProxy two descriptors per pipe and it reserves them all at start (maxsock =
# 2 maxconn + 2 maxpipes + ~14): its default maxpipes, maxconn/4, does not fit this machine's hard
# RLIMIT_NOFILE of 20,000 with maxconn 9900, so the splice instance gets what is left (68 here),
# at most the default. HAProxy holds a pipe only while data sits in it and copies when none is
# free; "show info" after the bulk phase shows how many it made (PipesUsed + PipesFree).
HAPS_MAXPIPES=${HAPS_MAXPIPES:-$(( ($(ulimit -Hn) - 2 * 9900 - 64) / 2 ))}
[ "$HAPS_MAXPIPES" -le $((9900 / 4)) ] || HAPS_MAXPIPES=$((9900 / 4))
[ "$HAPS_MAXPIPES" -ge 1 ] || { echo "RLIMIT_NOFILE $(ulimit -Hn) leaves no descriptors for HAProxy's splice pipes"; exit 2; }
hap_cfg() { # name http-port iperf-port global-lines defaults-lines: one HAProxy config, pidfile
  # $WORK/name.pid, stats socket $WORK/name.sock; the line arguments are newline-separated
  local name=$1 http=$2 iperf=$3
  cat <<HAP
global
  nbthread 1
  maxconn 9900
  pidfile $WORK/$name.pid
  stats socket $WORK/$name.sock
$(printf '%s' "$4" | sed 's/^/  /')
defaults
  mode tcp
  timeout connect 5s
  timeout client 5m
  timeout server 5m
  maxconn 9900
$(printf '%s' "$5" | sed 's/^/  /')
frontend http
  bind 127.0.0.1:$http backlog 4096
  default_backend nginx
backend nginx
  server n1 127.0.0.1:$NGINX_PORT
frontend iperf
  bind 127.0.0.1:$iperf
  default_backend iperf
backend iperf
  server i1 127.0.0.1:$IPERF_PORT
HAP
}
hap_cfg haproxy "$HAP_HTTP" "$HAP_IPERF" "" "" > "$WORK/haproxy.cfg"
hap_cfg hapsplice "$HAPS_HTTP" "$HAPS_IPERF" "maxpipes $HAPS_MAXPIPES" "option splice-request
option splice-response" > "$WORK/hapsplice.cfg"
$PROXYCPU haproxy -f "$WORK/haproxy.cfg" -D
$PROXYCPU haproxy -f "$WORK/hapsplice.cfg" -D
if [ "$NATIVE" = 1 ]; then
  # The shipped daemon on the same configuration as "haproxy" (its own ports; hanet-proxyd ignores
  # nbthread and runs one epoll loop per CPU it may use: one here, pinned like HAProxy).
  # Ha.Net splices by default (splice-auto) and, like HAProxy with splicing on, counts 2 descriptors per
  # pipe against RLIMIT_NOFILE, with a reserve of 100 (HAProxy's is ~14): maxpipes is what is left, as for
  # the splice instance, or maxconn/4 would not fit.
  HANETD_MAXPIPES=$(( ($(ulimit -Hn) - 2 * 9900 - 110) / 2 ))
  [ "$HANETD_MAXPIPES" -le "$HAPS_MAXPIPES" ] || HANETD_MAXPIPES=$HAPS_MAXPIPES
  hap_cfg hanetd "$HANETD_HTTP" "$HANETD_IPERF" "maxpipes $HANETD_MAXPIPES" "" | grep -v 'stats socket' > "$WORK/hanetd.cfg"
  env ${HANETD_ENV:-} $PROXYCPU "$HANETD_BIN" -f "$WORK/hanetd.cfg" -q > "$WORK/hanetd.log" 2>&1 &
  PIDS+=($!)
  HANETD_PID=$!
fi
# Socket completions run their (non-blocking) continuations on the epoll thread instead of
# hopping to the thread pool: measured here at ~16 vs ~25 us of CPU per keep-alive request.
# HANET_ENV: extra VAR=value settings for the Ha.Net process only (A/B of runtime knobs).
env ${HANET_ENV:-} DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=${INLINE:-1} $PROXYCPU "$WORK/host/ProxyHost" 127.0.0.1:$HANET_HTTP=127.0.0.1:$NGINX_PORT 127.0.0.1:$HANET_IPERF=127.0.0.1:$IPERF_PORT > "$WORK/hanet.log" 2>&1 &
PIDS+=($!)
HANET_PID=$!
for i in $(seq 1 100); do grep -q ready "$WORK/hanet.log" 2>/dev/null && break; sleep 0.1; done
HAP_PID=$(cat "$WORK/haproxy.pid")
HAPS_PID=$(cat "$WORK/hapsplice.pid")
echo "   haproxy pid $HAP_PID, haproxy splice pid $HAPS_PID (maxpipes $HAPS_MAXPIPES), ha.net pid $HANET_PID ($(head -1 "$WORK/hanet.log"))"
if [ "$NATIVE" = 1 ]; then
  for i in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$HANETD_HTTP) 2>/dev/null && break; sleep 0.1; done
  kill -0 "$HANETD_PID" 2>/dev/null || { echo "hanet-proxyd exited:"; cat "$WORK/hanetd.log"; exit 1; }
  echo "   hanet-proxyd (Native AOT, $HANETD_BIN, maxpipes $HANETD_MAXPIPES) pid $HANETD_PID, RSS after start $(awk '/VmRSS/{printf "%.1f MiB", $2/1024}' /proc/$HANETD_PID/status)"
fi

ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
rss() { awk '/VmRSS/{print $2}' "/proc/$1/status"; }
hwm() { awk '/VmHWM/{print $2}' "/proc/$1/status"; }
declare -A R
ms() { awk -v v="$1" 'BEGIN{ if (v ~ /us$/) {sub(/us/,"",v); print v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v); print v} else if (v ~ /s$/) {sub(/s/,"",v); print v*1000} else print v }'; }

# Per-CPU busy jiffies (user+nice+system+irq+softirq+steal) and the reschedule / function-call
# IPI counts of CPU 0 and CPU 1: what the generator's core pays per request, and how often each
# core was woken by the other.
cpu_busy() { awk -v c="cpu$1" '$1==c{print $2+$3+$4+$7+$8+$9}' /proc/stat; }
ipi() { awk -v k="$1:" -v c="$2" '$1==k{print $(c+2)}' /proc/interrupts; }

wrk_warm() { # port extra-args...: warm-up (JIT tiering for .NET, caches for everyone), not measured
  local port=$1; shift
  $GEN wrk -t1 -c"$CONNS" -d"${WARMUP:-3}s" "$@" "http://127.0.0.1:$port/" > /dev/null 2>&1 || true
}

wrk_once() { # name port pid round extra-args...: one measured run, figures stored under name.N.round
  local name=$1 port=$2 pid=$3 round=$4; shift 4
  local a0=0; [ "$pid" = "${HANET_PID:-}" ] && a0=$(hanet_alloc "$pid")
  local t0=0; [ "$pid" != 0 ] && t0=$(ticks "$pid")
  local c0 res0 cal1; c0=$(cpu_busy 0); res0=$(ipi RES 0); cal1=$(ipi CAL 1)
  $GEN wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "$@" "http://127.0.0.1:$port/" > "$WORK/wrk.out" 2>&1 || true
  local t1=0; [ "$pid" != 0 ] && t1=$(ticks "$pid")
  local c1 res1 cal2; c1=$(cpu_busy 0); res1=$(ipi RES 0); cal2=$(ipi CAL 1)
  local reqs; reqs=$(awk '/requests in/{print $1}' "$WORK/wrk.out")
  [ -n "$reqs" ] && [ "$reqs" != 0 ] || reqs=1
  R[$name.rps.$round]=$(awk '/Requests\/sec/{print $2}' "$WORK/wrk.out")
  R[$name.p50.$round]=$(ms "$(awk '$1=="50%"{print $2}' "$WORK/wrk.out")")
  R[$name.p99.$round]=$(ms "$(awk '$1=="99%"{print $2}' "$WORK/wrk.out")")
  R[$name.gen_us.$round]=$(awk -v t=$((c1-c0)) -v hz="$hz" -v n="$reqs" 'BEGIN{printf "%.2f", t/hz*1e6/n}')
  R[$name.res0.$round]=$(awk -v a="$res0" -v b="$res1" -v n="$reqs" 'BEGIN{printf "%.4f", (b-a)/n}')
  R[$name.cal1.$round]=$(awk -v a="$cal1" -v b="$cal2" -v n="$reqs" 'BEGIN{printf "%.4f", (b-a)/n}')
  [ "$pid" != 0 ] && R[$name.cpu_us_per_req.$round]=$(awk -v t=$((t1-t0)) -v hz="$hz" -v n="$reqs" 'BEGIN{printf "%.2f", t/hz*1e6/n}')
  [ "$a0" != 0 ] && R[$name.alloc.$round]=$(awk -v a="$a0" -v b="$(hanet_alloc "$pid")" -v n="$reqs" 'BEGIN{printf "%.1f", (b-a)/n}')
  printf '   %-16s round %d %10s req/s  p50 %-6s ms  p99 %-6s ms  cpu/req %-6s us  CPU0/req %s us  IPIs/req: resched CPU0 %s, call CPU1 %s\n' \
    "$name" "$round" "${R[$name.rps.$round]}" "${R[$name.p50.$round]}" "${R[$name.p99.$round]}" "${R[$name.cpu_us_per_req.$round]:--}" \
    "${R[$name.gen_us.$round]}" "${R[$name.res0.$round]}" "${R[$name.cal1.$round]}"
}

median() { # name.metric: median over the rounds
  local vals=() r
  for r in $(seq 1 "$ROUNDS"); do [ -n "${R[$1.$r]:-}" ] && vals+=("${R[$1.$r]}"); done
  [ ${#vals[@]} -gt 0 ] || { echo ""; return; }
  printf '%s\n' "${vals[@]}" | sort -g | awk '{v[NR]=$1} END{ if (NR%2) print v[(NR+1)/2]; else printf "%.10g\n", (v[NR/2]+v[NR/2+1])/2 }'
}

# The targets: port of the HTTP and iperf3 listeners, and the proxy process (0: no proxy).
PROXIES=(haproxy hapsplice hanet)
[ "$NATIVE" = 1 ] && PROXIES+=(hanetd)
TARGETS=(direct "${PROXIES[@]}")
declare -A HTTP=([direct]=$NGINX_PORT [haproxy]=$HAP_HTTP [hapsplice]=$HAPS_HTTP [hanet]=$HANET_HTTP [hanetd]=$HANETD_HTTP)
declare -A IPERF=([direct]=$IPERF_PORT [haproxy]=$HAP_IPERF [hapsplice]=$HAPS_IPERF [hanet]=$HANET_IPERF [hanetd]=$HANETD_IPERF)
declare -A PROC=([direct]=0 [haproxy]=$HAP_PID [hapsplice]=$HAPS_PID [hanet]=$HANET_PID [hanetd]=${HANETD_PID:-0})

hwm_reset() { # clear every proxy's VmHWM (peak RSS := current RSS), so a phase's peak is its own
  local t; for t in "${PROXIES[@]}"; do echo 5 > "/proc/${PROC[$t]}/clear_refs" 2>/dev/null || true; done
}
hwm_read() { # suffix: R[TARGETsuffix.peak_rss_mb] = each proxy's VmHWM now, in MiB
  local t; for t in "${PROXIES[@]}"; do
    R[$t$1.peak_rss_mb]=$(awk -v k="$(hwm "${PROC[$t]}")" 'BEGIN{printf "%.1f", k/1024}')
  done
}

interleave() { # fn args...: ROUNDS rounds of "fn TARGET ROUND args..." for direct, then the proxies
  local fn=$1; shift
  local r t i n=${#PROXIES[@]} order
  for r in $(seq 1 "$ROUNDS"); do
    # The proxies rotate every round (round r starts at proxy (r-1) mod 3): a run inherits the
    # TIME_WAIT sockets and port-search cost of the runs before it (10k connections/s for 10 s),
    # so a fixed order favours the first, and no proxy always follows the same one.
    order=""
    for i in $(seq 0 $((n - 1))); do order+=" ${PROXIES[$(( (r - 1 + i) % n ))]}"; done
    for t in direct $order; do "$fn" "$t" "$r" "$@"; done
  done
}

medians() { # suffix metric...: R[TARGETsuffix.metric] = the median over the rounds, for each target
  local suffix=$1; shift
  local t m
  for t in "${TARGETS[@]}"; do
    for m in "$@"; do R[$t$suffix.$m]=$(median "$t$suffix.$m"); done
  done
}

wrk_target() { # target round label extra-args...
  local t=$1 r=$2 label=$3; shift 3
  wrk_once "$t$label" "${HTTP[$t]}" "${PROC[$t]}" "$r" "$@"
}

wrk_phase() { # label extra-args...: warm each target, then ROUNDS interleaved rounds; medians into R
  local label=$1 t; shift
  for t in "${TARGETS[@]}"; do wrk_warm "${HTTP[$t]}" "$@"; done
  interleave wrk_target "$label" "$@"
  medians "$label" rps p50 p99 gen_us res0 cal1 cpu_us_per_req alloc
}

iperf_once() { # name port pid streams round: one iperf3 run, figures stored under name.N.round
  local name=$1 port=$2 pid=$3 streams=$4 round=$5
  local a0=0; [ "$pid" = "${HANET_PID:-}" ] && a0=$(hanet_alloc "$pid")
  local t0=0; [ "$pid" != 0 ] && t0=$(ticks "$pid")
  $GEN iperf3 -c 127.0.0.1 -p "$port" -t "$DURATION" -P "$streams" -J > "$WORK/iperf.json" 2>/dev/null || true
  local t1=0; [ "$pid" != 0 ] && t1=$(ticks "$pid")
  local out
  out=$(python3 -c "import json,sys; d=json.load(open('$WORK/iperf.json')); e=d['end']['sum_received']; print('%.2f %d' % (e['bits_per_second']/1e9, e['bytes']))" 2>/dev/null || echo "0 0")
  local gbps=${out% *} bytes=${out#* }
  R[$name.gbps.$round]=$gbps
  if [ "$pid" != 0 ] && [ "$bytes" != 0 ]; then
    R[$name.cpu_s_per_gb.$round]=$(awk -v t=$((t1-t0)) -v hz="$hz" -v b="$bytes" 'BEGIN{printf "%.3f", t/hz/(b/1e9)}')
  fi
  # Bytes allocated per 48 KiB forwarded (one copy-path chunk): the data path should allocate nothing.
  [ "$a0" != 0 ] && [ "$bytes" != 0 ] && R[$name.alloc.$round]=$(awk -v a="$a0" -v b="$(hanet_alloc "$pid")" -v n="$bytes" 'BEGIN{printf "%.2f", (b-a)/(n/49152)}')
  printf '   %-14s round %d %8s Gbit/s  cpu/GB %s s\n' "$name" "$round" "$gbps" "${R[$name.cpu_s_per_gb.$round]:--}"
}

iperf_target() { # target round streams
  iperf_once "$1_p$3" "${IPERF[$1]}" "${PROC[$1]}" "$3" "$2"
}

hanet_hup() { # pid: SIGHUP the Ha.Net host, wait (up to 10 s: two full compacting GCs over
  # thousands of sessions take a while) for the "heap <bytes> active <n>" line it prints last
  # (after its "splice ..." and "pipes ..." lines)
  local lines i; lines=$(grep -c '^heap' "$WORK/hanet.log" || true)
  kill -HUP "$1"
  for i in $(seq 1 100); do [ "$(grep -c '^heap' "$WORK/hanet.log" || true)" -gt "$lines" ] && break; sleep 0.1; done
}

hanet_alloc() { # pid: hanet_hup, echo the bytes the host allocated since it started (GC.GetTotalAllocatedBytes(precise))
  hanet_hup "$1"
  grep '^gc0' "$WORK/hanet.log" | tail -1 | awk '{print $NF}' || true
}

hanet_heap() { # pid: hanet_hup, echo the heap bytes
  hanet_hup "$1"
  grep '^heap' "$WORK/hanet.log" | tail -1 | awk '{print $2}' || true
}

hanet_splice() { # pid: hanet_hup, print its "splice <bytes> total <bytes>" and "pipes used/free/max" lines
  hanet_hup "$1"
  { grep '^splice' "$WORK/hanet.log" | tail -1 || true; grep '^pipes' "$WORK/hanet.log" | tail -1 || true; } |
    sed 's/^/   ha.net (since start, all phases): /'
}

hap_pipes() { # name: the pipe figures of that HAProxy's "show info" (stats socket $WORK/name.sock)
  python3 - "$WORK/$1.sock" <<'PY' || echo "(show info failed)"
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"show info\n")
out = b""
while (chunk := s.recv(65536)): out += chunk
info = dict(l.split(": ", 1) for l in out.decode().splitlines() if ": " in l)
print("pipes used %s free %s max %s" % (info.get("PipesUsed"), info.get("PipesFree"), info.get("Maxpipes")))
PY
}

idle_run() { # name port pid
  local name=$1 port=$2 pid=$3
  kill -0 "$pid" 2>/dev/null || { echo "   $name: process $pid is gone, no idle measurement"; return; }
  local heap0=0; [ "$name" = hanet ] && heap0=$(hanet_heap "$pid")
  local before; before=$(rss "$pid")
  rm -f "$WORK/ready"
  $GEN python3 "$HERE/idle_conns.py" 127.0.0.1 "$port" "$IDLE" "$WORK/ready" & local cp=$!
  for i in $(seq 1 600); do [ -f "$WORK/ready" ] && break; sleep 0.1; done
  [ -f "$WORK/ready" ] || echo "   $name: the client had not opened all $IDLE connections after 60 s"
  sleep 2
  kill -0 "$pid" 2>/dev/null || { echo "   $name: process $pid is gone"; kill "$cp" 2>/dev/null || true; return; }
  local after; after=$(rss "$pid")
  if [ "$name" = hanet ]; then
    local heap1; heap1=$(hanet_heap "$pid")
    grep '^heap' "$WORK/hanet.log" | tail -1 | sed 's/^/   ha.net after: /'
    R[hanet.heap_per_idle]=$(( (heap1 - heap0) / IDLE ))
  fi
  kill "$cp" 2>/dev/null || echo "   (the idle-connection client had already exited: see the active count above)"; wait "$cp" 2>/dev/null || true
  R[$name.idle_rss_mb]=$(awk -v a="$after" -v b="$before" 'BEGIN{printf "%.1f", (a-b)/1024}')
  printf '   %-22s +%s MiB RSS for %s idle connections%s\n' "$name" "${R[$name.idle_rss_mb]}" "$IDLE" \
    "$([ "$name" = hanet ] && echo ", managed heap +${R[hanet.heap_per_idle]} B/connection")"
  sleep 3
}

echo "== load: $(uptime)"
if has ka; then
echo "== keep-alive HTTP through nginx (wrk -t1 -c$CONNS -d${DURATION}s, $ROUNDS interleaved rounds)"
hwm_reset
wrk_phase ""
hwm_read _ka
fi
if has close; then
echo "== new connection per request (wrk -H 'Connection: close', $ROUNDS interleaved rounds)"
hwm_reset
wrk_phase _close -H "Connection: close"
hwm_read _close
fi
if has bulk; then
echo "== bulk (iperf3 -t $DURATION, $ROUNDS interleaved rounds)"
hwm_reset
for p in 1 4; do
  interleave iperf_target $p
  medians "_p$p" gbps cpu_s_per_gb alloc
done
hwm_read _bulk
hanet_splice "$HANET_PID"
echo "   haproxy splice: $(hap_pipes hapsplice)"
fi
for s in _ka _close _bulk; do
  [ -n "${R[haproxy$s.peak_rss_mb]:-}" ] || continue
  echo "== peak RSS ($s): haproxy ${R[haproxy$s.peak_rss_mb]} MiB, haproxy splice ${R[hapsplice$s.peak_rss_mb]} MiB, ha.net ${R[hanet$s.peak_rss_mb]} MiB${R[hanetd$s.peak_rss_mb]:+, hanet-proxyd (native) ${R[hanetd$s.peak_rss_mb]} MiB}"
done
if has idle; then
echo "== $IDLE idle connections"
for t in "${PROXIES[@]}"; do idle_run "$t" "${HTTP[$t]}" "${PROC[$t]}"; done
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a == "" || a == "-" || b+0==0) print "-"; else printf "%.2f", a/b }'; }
fmt='%-28s %12s %12s %14s %12s %8s %9s %14s %8s %s\n'
row() { # label suffix metric target [direct]: one summary row from R[TARGETsuffix.metric], with
  # Ha.Net/HAProxy and Ha.Net/HAProxy-splice, then hanet-proxyd (native) and hanet-proxyd/HAProxy;
  # direct: "-" where the figure has no no-proxy value
  local label=$1 s=$2 m=$3 target=$4 d=${5:-}
  local hn=${R[hanet$s.$m]:-} hd=${R[hanetd$s.$m]:-}
  [ -n "$d" ] || d=${R[direct$s.$m]:-}
  printf "$fmt" "$label" "$d" "${R[haproxy$s.$m]:-}" "${R[hapsplice$s.$m]:-}" "$hn" \
    "$(ratio "$hn" "${R[haproxy$s.$m]:-}")" "$(ratio "$hn" "${R[hapsplice$s.$m]:-}")" "$hd" "$(ratio "$hd" "${R[haproxy$s.$m]:-}")" "$target"
}
echo
echo "== summary (medians of $ROUNDS rounds for keep-alive, new connections and bulk; ratio = Ha.Net / HAProxy, vs splice = Ha.Net / HAProxy splice; direct = no proxy, the limit)"
printf "$fmt" metric direct haproxy "HAProxy splice" ha.net ratio "vs splice" "hanet-proxyd" "÷ hap" target
if has ka; then
row "keep-alive req/s" "" rps ">=1.0"
row "keep-alive p50 (ms)" "" p50 ""
row "keep-alive p99 (ms)" "" p99 "<=1.0"
row "cpu per request (us)" "" cpu_us_per_req "<=1.0" -
row "CPU 0 (wrk+nginx) us/req" "" gen_us ""
row "resched IPIs to CPU 0 /req" "" res0 ""
row "wake-up IPIs to CPU 1 /req" "" cal1 ""
printf "$fmt" "ha.net allocated B/request" - - - "${R[hanet.alloc]:-}" - - - - "0"
fi
if has close; then
row "new conn/s" _close rps ">=1.0"
row "cpu per new conn (us)" _close cpu_us_per_req "<=1.0" -
printf "$fmt" "ha.net allocated B/connection" - - - "${R[hanet_close.alloc]:-}" - - - - ""
fi
if has bulk; then
for p in 1 4; do
row "bulk Gbit/s, $p stream(s)" "_p$p" gbps ">=1.0 vs splice"
row "cpu s per GB, $p stream(s)" "_p$p" cpu_s_per_gb "<=1.0 vs splice" -
printf "$fmt" "ha.net alloc B/48 KiB, ${p}x" - - - "${R[hanet_p$p.alloc]:-}" - - - - "0"
done
fi
has ka && row "peak RSS keep-alive (MiB)" _ka peak_rss_mb "<=1.0 (hanet-proxyd)" -
has close && row "peak RSS new conns (MiB)" _close peak_rss_mb "<=1.0 (hanet-proxyd)" -
has bulk && row "peak RSS bulk (MiB)" _bulk peak_rss_mb "<=1.0 (hanet-proxyd)" -
if has idle; then
row "RSS +$IDLE idle (MiB)" "" idle_rss_mb "" -
printf "$fmt" "managed heap per idle conn" - - - "${R[hanet.heap_per_idle]:-} B" - - - - "<=4096 B"
fi
echo "== load after: $(uptime)"
