#!/usr/bin/env bash
# Publishes the sample daemons as self-contained Native AOT binaries (linux-x64):
#   eng/publish-native.sh [proxyd|vrrpd|all]   -> artifacts/native/hanet-proxyd/hanet-proxyd, artifacts/native/hanet-vrrpd/hanet-vrrpd
# Needs clang (or gcc) and zlib1g-dev, as every .NET Native AOT build on Linux. Fails on any trim or AOT warning
# (warnings are errors in this repository). 'dotnet build' never does this: it builds the JIT daemons.
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-all}
publish() { # folder name
  local out="artifacts/native/$2"
  echo "== dotnet publish $1 -r linux-x64 (Native AOT) -> $out/$2"
  dotnet publish "$1" -c Release -r linux-x64 -o "$out" -nologo -v q -p:TreatWarningsAsErrors=true
  ls -l "$out/$2"
}
case "$which" in
  proxyd) publish samples/ProxyDaemon/Ha.Net.Samples.ProxyDaemon.csproj hanet-proxyd ;;
  vrrpd) publish samples/VrrpDaemon/Ha.Net.Samples.VrrpDaemon.csproj hanet-vrrpd ;;
  all) publish samples/ProxyDaemon/Ha.Net.Samples.ProxyDaemon.csproj hanet-proxyd
       publish samples/VrrpDaemon/Ha.Net.Samples.VrrpDaemon.csproj hanet-vrrpd ;;
  *) echo "usage: $0 [proxyd|vrrpd|all]" >&2; exit 2 ;;
esac
