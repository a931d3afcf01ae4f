#!/usr/bin/env bash
# Every config in examples/ (top level) has a test file examples/tests/<name>.yaml, and
# `logtally test` passes every test of them: realistic input, exact values (docs/testing.md).
# So an example can never silently count nothing again.
set -uo pipefail
bin=${1:?logtally binary}
src=${LOGTALLY_SOURCE_DIR:?}
failed=0
for f in "$src"/examples/*.yaml; do
  t="$src/examples/tests/$(basename "$f")"
  if [ ! -f "$t" ]; then
    echo "FAIL $(basename "$f") has no test file examples/tests/$(basename "$f")"
    failed=1
  elif ! grep -q "^config: \.\./$(basename "$f")\$" "$t"; then
    echo "FAIL examples/tests/$(basename "$f") does not test ../$(basename "$f")"
    failed=1
  fi
done
# Tests written across all files (each starts with "  - name:").
want=$(cat "$src"/examples/tests/*.yaml | grep -c '^  - name:')
out=$(cd "$src" && "$bin" test examples/tests/*.yaml 2>&1)
rc=$?
echo "$out"
if [ "$rc" != 0 ]; then
  echo "FAIL logtally test examples/tests/*.yaml exited $rc"
  failed=1
fi
last=$(echo "$out" | tail -n 1)
if [ "$last" != "$want passed, 0 failed" ]; then
  echo "FAIL last line '$last', expected '$want passed, 0 failed'"
  failed=1
fi
exit $failed
