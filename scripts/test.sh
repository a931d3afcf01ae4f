#!/usr/bin/env bash
# One command from a fresh Debian 12 machine: install dependencies, build, run the whole suite
# (unit, golden, testdata and end-to-end tests against real servers). The last line printed is
# `ctest: N passed, N failed` (a test skipped for want of something on the machine is not counted
# as passed; the line before names the skipped ones).
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh || exit 1
scripts/build.sh || exit 1
log=$(mktemp)
( cd build && ctest --output-on-failure --timeout 600 -j"$(nproc)" ) 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
summary=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
# ctest counts a skipped test (exit 77: something the machine lacks) among the passed ones.
skipped=$(grep -E '^ *[0-9]+/[0-9]+ Test +#[0-9]+: [^ ]+ .*\*\*\*Skipped' "$log" |
  sed -E 's/.*Test +#[0-9]+: ([^ ]+) .*/\1/' | sort)
rm -f "$log"
if [ -n "$summary" ]; then
  failed=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$summary")
  total=$(sed -E 's/.* failed out of ([0-9]+).*/\1/' <<<"$summary")
  nskipped=0
  if [ -n "$skipped" ]; then
    nskipped=$(wc -l <<<"$skipped")
    echo "ctest: $nskipped skipped (not counted as passed): $(tr '\n' ' ' <<<"$skipped")"
  fi
  echo "ctest: $((total - failed - nskipped)) passed, ${failed} failed"
else
  echo "ctest: 0 passed, 1 failed"
  rc=1
fi
exit "$rc"
