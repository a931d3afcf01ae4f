#!/usr/bin/env bash
# Every config in examples/ passes `logtally check`, and examples/default.yaml compiles to the
# same pipelines as the embedded default.
set -uo pipefail
bin=${1:?logtally binary}
src=${LOGTALLY_SOURCE_DIR:?}
failed=0
for f in "$src"/examples/*.yaml; do
  if out=$("$bin" check --config "$f" 2>&1); then
    echo "ok   $(basename "$f")"
  else
    echo "FAIL $(basename "$f"):"; echo "$out"; failed=1
  fi
done
embedded=$("$bin" check | tail -n +2)
written=$("$bin" check --config "$src/examples/default.yaml" | tail -n +2)
if [ "$embedded" != "$written" ]; then
  echo "FAIL examples/default.yaml differs from the embedded default:"
  diff <(echo "$embedded") <(echo "$written")
  failed=1
fi
exit $failed
