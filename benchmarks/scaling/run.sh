#!/usr/bin/env bash
# Scaling past one pair (issue #16): runs bgp.sh and, when present, vrrp.sh (VRRP active/active), both printing
# `layout=<bgp|vrrp-aa> nodes=N metric=<name> value=<v>` lines, and prints them as one table.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
lines=$(mktemp)
trap 'rm -f "$lines"' EXIT
"$here/bgp.sh" | tee -a "$lines"
if [[ -x "$here/vrrp.sh" ]]; then
  "$here/vrrp.sh" | tee -a "$lines"
else
  echo "(vrrp.sh not present: VRRP active/active figures skipped)" >&2
fi
echo
awk '
  /^layout=/ {
    split($1, a, "="); split($2, b, "="); split($3, c, "="); split($4, d, "=")
    key = a[2] " " b[2]; metric = c[2]
    if (!(key in seen)) { seen[key] = 1; keys[++nk] = key }
    if (!(metric in mseen)) { mseen[metric] = 1; metrics[++nm] = metric }
    v[key, metric] = d[2]
  }
  END {
    printf "%-46s", "metric"
    for (k = 1; k <= nk; k++) printf " %16s", keys[k]
    printf "\n"
    for (m = 1; m <= nm; m++) {
      printf "%-46s", metrics[m]
      for (k = 1; k <= nk; k++) printf " %16s", ((keys[k], metrics[m]) in v) ? v[keys[k], metrics[m]] : "-"
      printf "\n"
    }
  }' "$lines"
