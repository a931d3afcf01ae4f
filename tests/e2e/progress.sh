#!/usr/bin/env bash
# Progress on stderr (engine/progress.h) for `--once`, `tap` and `test`: drawn when stderr is a
# terminal (run under a pseudo-terminal with script(1) from bsdutils), with per source the bytes
# and lines read and the rate, and for files the percentage of their size and the time left;
# nothing when stderr is not a terminal.
#
# Usage: progress.sh /path/to/logtally
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"
command -v script >/dev/null || fail "script(1) is not installed (Debian package bsdutils)"
# A machine without a pseudo-terminal device (a chroot without /dev/pts) cannot run this test at
# all: ctest reports it as skipped (exit 77), never as passed.
# (Captured first: with lib.sh's pipefail, `script ... | grep -q` is false when script fails.)
probe=$(script -qec true /dev/null 2>&1 </dev/null)
if grep -q "failed to create pseudo-terminal" <<<"$probe"; then
  echo "SKIP [$E2E_NAME]: no pseudo-terminal can be created here (/dev/pts)" >&2
  exit 77
fi

# 5000 lines of exactly 21 bytes: 105000 bytes, 102.5 KiB.
for ((i = 0; i < 5000; i++)); do printf '{"status":%d,"n":1}\n' $((200 + i % 3)); done >"$WORK/in.log"
assert_eq "input size" 105000 "$(wc -c <"$WORK/in.log")"
cat >"$WORK/c.yaml" <<YAML
sources:
  f: { type: file, path: $WORK/in.log }
  app: { type: stdin }
pipelines:
  api:
    inputs: [f, app]
    parser: json
    metrics:
      - { name: tp_requests_total, type: counter, labels: { status: status } }
YAML
printf '{"status":200,"n":1}\n{"status":201,"n":1}\n' >"$WORK/stdin"

# under_pty OUT CMD: runs CMD (a shell command) with stdin, stdout and stderr on a pseudo-terminal;
# OUT gets what the terminal showed, one line per redraw (\r and ESC[K, ESC[nA taken out).
under_pty() {
  local out=$1
  shift
  timeout 60 script -qec "$*" /dev/null >"$WORK/typescript" </dev/null ||
    fail "under a pty: '$*' failed: $(cat "$WORK/typescript")"
  tr '\r' '\n' <"$WORK/typescript" | sed 's/\x1b\[K//g; s/\x1b\[[0-9]*A//g' >"$out"
}

# 1. --once on a terminal: the final figures, exact, after the last redraw.
under_pty "$WORK/once" "'$LOGTALLY' --once --config '$WORK/c.yaml' <'$WORK/stdin' >'$WORK/metrics'"
f_line=$(grep '^f: ' "$WORK/once" | tail -n 1)
app_line=$(grep '^app: ' "$WORK/once" | tail -n 1)
echo "$f_line" | grep -Eq '^f: 100\.0% of 102\.5 KiB, 102\.5 KiB, 5000 lines, [0-9.]+ (B|KiB|MiB|GiB)/s, [0-9]+ lines/s, 0s left$' ||
  fail "--once: file progress line: '$f_line' in: $(cat "$WORK/once")"
echo "$app_line" | grep -Eq '^app: 42 B, 2 lines, [0-9.]+ (B|KiB|MiB)/s, [0-9]+ lines/s$' ||
  fail "--once: stdin progress line: '$app_line'"
grep -q '^tp_requests_total{status="200"} 1668$' "$WORK/metrics" ||
  fail "--once: metrics on stdout: $(grep tp_requests "$WORK/metrics")"

# 2. Not a terminal: no progress at all (stderr holds only the log lines).
RC=0
"$LOGTALLY" --once --config "$WORK/c.yaml" <"$WORK/stdin" >/dev/null 2>"$WORK/err" || RC=$?
assert_eq "--once without a terminal: exit status" 0 "$RC"
if grep -q ' lines' "$WORK/err" || grep -q $'\x1b' "$WORK/err"; then
  fail "progress drawn without a terminal: $(cat "$WORK/err")"
fi

# 3. tap on a terminal: the same final figures on stderr; stdout (a file) holds only the objects.
under_pty "$WORK/tap" "'$LOGTALLY' tap --config '$WORK/c.yaml' <'$WORK/stdin' >'$WORK/objects'"
grep -Eq '^f: 100\.0% of 102\.5 KiB, 102\.5 KiB, 5000 lines, ' "$WORK/tap" ||
  fail "tap: no progress line: $(cat "$WORK/tap")"
assert_eq "tap: objects" 5002 "$(grep -c '"outcome":"counted"' "$WORK/objects")"
if grep -q ' lines' "$WORK/objects"; then fail "tap: progress on stdout"; fi

# 4. test on a terminal: a short input draws nothing (nothing within the first interval); the
# results are the same.
cat >"$WORK/t.yaml" <<YAML
config: c.yaml
tests:
  - name: short
    source: app
    input: |
      {"status":200}
    expect: |
      tp_requests_total{status="200"} 1
YAML
under_pty "$WORK/test" "'$LOGTALLY' test '$WORK/t.yaml'"
assert_eq "test under a pty" "PASS short
1 passed, 0 failed" "$(grep -v '^$' "$WORK/test")"
note "ok"
