#!/usr/bin/env bash
# `logtally check` of every config in examples/ (and examples/mtail/), of the embedded default,
# and `logtally config-reference` must print what they printed before the code was reorganised
# (issue 11): the files in tests/refactor_golden/ were written by the binary of the commit before
# the move. Where an output changes on purpose, the golden file changes in the same commit and
# docs/development.md says why. `workers` defaults to the number of cores, so the golden files
# say @NPROC@ where a config leaves it out.
set -uo pipefail
bin=${1:?logtally binary}
src=${LOGTALLY_SOURCE_DIR:?}
golden="$src/tests/refactor_golden"
nproc=$(nproc)
failed=0
compare() {  # name, golden file, command...
  local name=$1 want=$2; shift 2
  local got
  got=$("$@" 2>&1)
  if diff <(sed "s/@NPROC@/$nproc/" "$want") <(echo "$got") >/tmp/refactor_check.$$; then
    echo "same $name"
  else
    echo "DIFF $name:"; cat /tmp/refactor_check.$$; failed=1
  fi
  rm -f /tmp/refactor_check.$$
}
cd "$src" || exit 1
for f in examples/*.yaml examples/mtail/*.yaml; do
  n=$(echo "${f#examples/}" | tr / _)
  compare "$f" "$golden/check/${n%.yaml}.txt" "$bin" check --config "$f"
done
compare "embedded default" "$golden/check/embedded-default.txt" "$bin" check
compare "config-reference" "$golden/config-reference.md" "$bin" config-reference
n=$(ls "$golden"/check/*.txt | wc -l)
[ "$n" -eq 20 ] || { echo "expected 20 golden check files, found $n"; failed=1; }
exit $failed
