#!/usr/bin/env bash
# Publishes the sample daemons as self-contained Native AOT binaries (linux-x64):
#   eng/publish-native.sh [proxyd|vrrpd|all]   -> artifacts/native/hanet-proxyd/hanet-proxyd, artifacts/native/hanet-vrrpd/hanet-vrrpd
# Needs clang (or gcc) and zlib1g-dev, as every .NET Native AOT build on Linux. Fails on any trim or AOT warning
# (warnings are errors in this repository). 'dotnet build' never does this: it builds the JIT daemons.
# NONPIE=1 links a position-dependent executable with its data laid out in the file rather than compressed and
# expanded at start (IlcDehydrate=false): ~1.9 MB less resident memory for hanet-proxyd, but the executable's own
# code then sits at a fixed address (no ASLR for it; libraries and stacks keep theirs). Off by default: Debian
# builds haproxy and keepalived as PIE. samples/ProxyDaemon/README.md "Memory" has both figures.
# NATIVE_OUT=DIR publishes under DIR instead of artifacts/native (e.g. a NONPIE=1 build beside the default one).
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-all}
publish() { # folder name
  local out="${NATIVE_OUT:-artifacts/native}/$2"
  echo "== dotnet publish $1 -r linux-x64 (Native AOT) -> $out/$2"
  local extra=()
  [[ ${NONPIE:-0} == 1 ]] && extra=(-p:PositionIndependentExecutable=false -p:IlcDehydrate=false)
  dotnet publish "$1" -c Release -r linux-x64 -o "$out" -nologo -v q -p:TreatWarningsAsErrors=true "${extra[@]}"
  ls -l "$out/$2"
}
case "$which" in
  proxyd) publish samples/ProxyDaemon/Ha.Net.Samples.ProxyDaemon.csproj hanet-proxyd ;;
  vrrpd) publish samples/VrrpDaemon/Ha.Net.Samples.VrrpDaemon.csproj hanet-vrrpd ;;
  all) publish samples/ProxyDaemon/Ha.Net.Samples.ProxyDaemon.csproj hanet-proxyd
       publish samples/VrrpDaemon/Ha.Net.Samples.VrrpDaemon.csproj hanet-vrrpd ;;
  *) echo "usage: $0 [proxyd|vrrpd|all]" >&2; exit 2 ;;
esac
