#!/usr/bin/env bash
# Every config in examples/ and examples/mtail/ has a test file (examples/tests/<name>.yaml,
# examples/mtail/tests/<name>.yaml) testing it, and `logtally test` passes every test of them:
# realistic input, exact values (docs/testing.md). So an example can never silently count
# nothing again.
set -uo pipefail
bin=${1:?logtally binary}
src=${LOGTALLY_SOURCE_DIR:?}
failed=0
files=()
for dir in examples examples/mtail; do
  for f in "$src/$dir"/*.yaml; do
    name=$(basename "$f")
    t="$src/$dir/tests/$name"
    if [ ! -f "$t" ]; then
      echo "FAIL $dir/$name has no test file $dir/tests/$name"
      failed=1
    elif ! grep -q "^config: \.\./$name\$" "$t"; then
      echo "FAIL $dir/tests/$name does not test ../$name"
      failed=1
    else
      files+=("$dir/tests/$name")
    fi
  done
done
# Tests written across all files (each starts with "  - name:").
want=$(cd "$src" && cat "${files[@]}" | grep -c '^  - name:')
out=$(cd "$src" && "$bin" test "${files[@]}" 2>&1)
rc=$?
echo "$out"
if [ "$rc" != 0 ]; then
  echo "FAIL logtally test exited $rc"
  failed=1
fi
last=$(echo "$out" | tail -n 1)
if [ "$last" != "$want passed, 0 failed" ]; then
  echo "FAIL last line '$last', expected '$want passed, 0 failed'"
  failed=1
fi
exit $failed
