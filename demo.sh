#!/usr/bin/env bash
# The one-command demo. Not built yet: it arrives with the sample daemons.
echo "demo.sh: the Ha.Net demo is not built yet (see README, Status)." >&2
exit 1
