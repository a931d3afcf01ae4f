#!/usr/bin/env bash
# Golden tests: for each case folder (config.yaml, input files, expected.prom), `logtally --once`
# must print exactly expected.prom. GOLDEN_DIR is the case folder, for paths in the config.
# Usage: golden.sh LOGTALLY_BINARY [CASE...]
set -uo pipefail
bin=${1:?logtally binary}
shift
here=$(cd "$(dirname "$0")" && pwd)
cases=("$@")
if [ ${#cases[@]} -eq 0 ]; then
  for d in "$here"/*/; do cases+=("$(basename "$d")"); done
fi
failed=0
for c in "${cases[@]}"; do
  dir="$here/$c"
  actual=$(mktemp)
  if ! GOLDEN_DIR="$dir" "$bin" --once --config "$dir/config.yaml" >"$actual"; then
    echo "FAIL $c: logtally exited non-zero"
    failed=1
  elif ! diff -u "$dir/expected.prom" "$actual"; then
    echo "FAIL $c: output differs from expected.prom (diff above)"
    failed=1
  else
    echo "ok   $c"
  fi
  rm -f "$actual"
done
exit $failed
