#!/usr/bin/env bash
# The one-command demo: builds the demo and the two sample daemons (Release; in namespaces the daemons run as
# their Native AOT binaries, published into artifacts/native/ when missing) and runs seed 000's SMTP
# cluster story — two nodes running hanet-vrrpd and hanet-proxyd with the seed's own keepalived.conf and
# haproxy.cfg, two Postfix backends, a client mailing the VIP every 250 ms — kills the master and reports
# the failover and the outage the client saw. Network namespaces when run as root; otherwise (or with
# --in-memory) the same story on an in-memory network. Exit 0 when mail reached a backend before and after
# the kill. Options are passed to the demo (./demo.sh --help).
set -uo pipefail
cd "$(dirname "$0")"
root=$PWD
logs="$root/artifacts/demo/$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$logs"

want_netns=1
for a in "$@"; do
  case "$a" in
    --in-memory) want_netns=0 ;;
    -h|--help) want_netns=0 ;;
  esac
done

# Postfix for the backends and iproute2 for the namespaces (root only; the in-memory story needs neither).
if ((want_netns)) && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  missing=()
  for p in postfix iproute2; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "demo.sh: installing ${missing[*]} (log: $logs/apt.log)"
    export DEBIAN_FRONTEND=noninteractive
    made_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      # The system's own Postfix must not start: the demo runs private instances.
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && made_policy=1
    fi
    (apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}") >"$logs/apt.log" 2>&1 \
      || echo "demo.sh: apt-get failed, see $logs/apt.log"
    ((made_policy)) && rm -f /usr/sbin/policy-rc.d
  fi
fi

echo "demo.sh: building the demo with hanet-vrrpd and hanet-proxyd (Release; log: $logs/build.log)"
if ! dotnet build samples/Demo -c Release -nologo -v:q >"$logs/build.log" 2>&1; then
  echo "demo.sh: the build failed:"
  grep -E ' error ' "$logs/build.log" | sort -u | head -20
  exit 1
fi

# The daemons the story runs are the ones to ship: the Native AOT binaries (eng/publish-native.sh), published
# here when missing or older than their sources (a few minutes on a small machine), the JIT builds otherwise.
daemons=()
if ((want_netns)) && [ "$(id -u)" = 0 ] && [ "${HANET_DEMO_JIT:-0}" != 1 ]; then
  for d in proxyd:ProxyDaemon vrrpd:VrrpDaemon; do
    name=hanet-${d%%:*}; bin="artifacts/native/$name/$name"
    if [ ! -x "$bin" ] || [ -n "$(find src "samples/${d#*:}" \( -path '*/obj' -o -path '*/bin' \) -prune -o \( -name '*.cs' -o -name '*.csproj' \) -newer "$bin" -print -quit)" ]; then
      echo "demo.sh: publishing $name as a Native AOT binary (log: $logs/publish-$name.log)"
      eng/publish-native.sh "${d%%:*}" >"$logs/publish-$name.log" 2>&1 || { echo "demo.sh: the native publish failed (see the log); running the JIT build"; continue; }
    fi
    daemons+=("--${d%%:*}" "$root/$bin")
  done
fi

demo="samples/Demo/bin/Release/net10.0/hanet-demo"
"$demo" --logs "$logs" "${daemons[@]}" "$@"
status=$?
echo "demo.sh: exit $status; transcript and every daemon's log: $logs"
exit $status
