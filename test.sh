#!/usr/bin/env bash
# Runs every test of Ha.Net: builds the solution, installs the Debian packages the integration
# tests drive (eng/test-packages.txt) when they are missing and we are root, runs all test
# projects, and ends with one line "N passed, N failed[, N skipped]" counted from the results.
set -uo pipefail
cd "$(dirname "$0")"
root=$PWD
results="$root/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

# 1. Debian packages.
mapfile -t wanted < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' eng/test-packages.txt)
missing=()
for p in "${wanted[@]}"; do
  p=$(echo "$p" | xargs)
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "test.sh: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Services must not start on install: the tests start their own instances.
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    (apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}") >"$results/apt.log" 2>&1 \
      || { echo "test.sh: apt-get failed, see $results/apt.log"; tail -20 "$results/apt.log"; }
    rm -f /usr/sbin/policy-rc.d
  else
    echo "test.sh: not root or no apt-get; tests that need ${missing[*]} will skip"
  fi
fi

# 2. Build once.
if ! dotnet build Ha.Net.sln -c Release -nologo -v:q; then
  echo "test.sh: build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

# 3. Run every test project, one after another (the integration tests own the network
#    namespaces and CPU while they run); a hung test is dumped and killed rather than eating
#    CI's budget.
status=0
export HANET_TEST_OUTPUT_LOG="$results/suite-output.log" # every daemon/command/log line printed under test
: > "$HANET_TEST_OUTPUT_LOG"
for proj in tests/*/*.Tests.csproj tests/Ha.Net.IntegrationTests/Ha.Net.IntegrationTests.csproj; do
  [ -e "$proj" ] || continue
  name=$(basename "$proj" .csproj)
  dotnet test "$proj" -c Release --no-build -nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" --results-directory "$results" \
    --blame-hang-timeout 8m || status=$?
done

# 4. What the in-suite fuzzers did (#15: the count and time of each run, from the test output).
grep -ohE 'fuzz: [^<&]*' "$results"/*.trx 2>/dev/null | sort -u

# 5. Secrets never leave (#15): none of the secrets the tests configure may appear in anything printed.
leaked=0
while IFS= read -r secret; do
  [ -n "$secret" ] || continue
  if grep -F -- "$secret" "$HANET_TEST_OUTPUT_LOG" >"$results/leak.txt" 2>/dev/null; then
    echo "test.sh: configured secret #$((leaked + 1)) of eng/test-secrets.txt was printed under test ($(wc -l <"$results/leak.txt") line(s)), by:"
    cut -d: -f1 "$results/leak.txt" | sort | uniq -c | head -5 # where (the secret itself is not repeated here)
    leaked=$((leaked + 1))
  fi
done < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' eng/test-secrets.txt)
echo "secrets: $(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' eng/test-secrets.txt | wc -l) configured secrets looked for in $(wc -l <"$HANET_TEST_OUTPUT_LOG") printed lines, $leaked found"

# 6. Count from the TRX files.
passed=0; failed=0; skipped=0; files=0
for f in "$results"/*.trx; do
  [ -e "$f" ] || continue
  files=$((files + 1))
  c=$(grep -o '<Counters [^>]*>' "$f" | head -1)
  get() { echo "$c" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
  skipped=$((skipped + $(get notExecuted)))
done
if ((files == 0)) && ((status != 0)); then failed=$((failed + 1)); fi

# 7. Which tests failed, and the first line of each one's message, last before the count (CI keeps the tail).
if ((failed > leaked)); then
  echo "failed tests:"
  for f in "$results"/*.trx; do
    [ -e "$f" ] || continue
    awk '
      /<UnitTestResult / && /outcome="(Failed|Error|Timeout|Aborted)"/ {
        name = $0; sub(/.* testName="/, "", name); sub(/".*/, "", name); want = 1; next
      }
      want && /<Message>/ {
        msg = $0; sub(/.*<Message>/, "", msg); sub(/<\/Message>.*/, "", msg)
        printf "  %s\n      %s\n", name, substr(msg, 1, 300); want = 0
      }
      want && /<\/UnitTestResult>/ { printf "  %s\n", name; want = 0 }
    ' "$f" | sed -e 's/&quot;/"/g' -e 's/&lt;/</g' -e 's/&gt;/>/g' -e "s/&apos;/'/g" -e 's/&amp;/\&/g' | head -120
  done
fi
failed=$((failed + leaked))
if ((status != 0)) && ((failed == 0)); then
  echo "test.sh: dotnet test exited $status without a failed test in the results (crash or hang)"
  failed=1
fi
if ((skipped > 0)); then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
((failed == 0 && passed > 0))
