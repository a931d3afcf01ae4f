#!/usr/bin/env bash
# A file the include pattern matches but the process may not open never disappears silently:
# logtally, run as an unprivileged user (setpriv: nobody, no groups, no capabilities) over a
# folder with a readable log and a 0600 log of root, counts the readable one's lines exactly,
# logs a warning naming the other with the reason, and counts it once in
# logtally_file_open_failures_total (docs/ingest-files.md). Skipped (77) where this process
# cannot switch users (not root, or no setpriv).
source "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
  note "skipped: needs root and setpriv to run logtally as another user"
  exit 77
fi

# Everything nobody needs is in $WORK, opened to others; the binary is copied there so that no
# folder above the build tree has to be.
chmod 755 "$WORK"
install -m 755 "$LOGTALLY" "$WORK/logtally"
mkdir -m 755 "$WORK/logs"
printf '%s\n' '{"level":"info"}' '{"level":"warn"}' '{"level":"info"}' >"$WORK/logs/app.log"
chmod 644 "$WORK/logs/app.log"
printf '%s\n' '{"level":"error"}' '{"level":"error"}' >"$WORK/logs/secret.log"
chmod 600 "$WORK/logs/secret.log"
cat >"$WORK/c.yaml" <<YAML
sources:
  logs: { type: file, include: ["$WORK/logs/*.log"], start_at: beginning }
pipelines:
  p:
    inputs: [logs]
    parser: json
    metrics:
      - { name: lines_total, type: counter, labels: { level: level } }
YAML
chmod 644 "$WORK/c.yaml"

setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all -- \
  "$WORK/logtally" --once --config "$WORK/c.yaml" >"$WORK/out.prom" 2>"$WORK/err" ||
  fail "logtally --once as nobody failed: $(cat "$WORK/err")"
assert_expo "$WORK/out.prom" 'lines_total{level="info"}' 2
assert_expo "$WORK/out.prom" 'lines_total{level="warn"}' 1
[ -z "$(expo_value "$WORK/out.prom" 'lines_total{level="error"}')" ] ||
  fail "the unreadable file's lines were counted: $(grep error "$WORK/out.prom")"
assert_expo "$WORK/out.prom" 'logtally_file_open_failures_total{source="logs"}' 1
grep -qF "cannot open $WORK/logs/secret.log (Permission denied)" "$WORK/err" ||
  fail "no warning names the unreadable file: $(cat "$WORK/err")"
[ "$(grep -c "cannot open" "$WORK/err")" = 1 ] ||
  fail "the unreadable file was reported more than once: $(grep "cannot open" "$WORK/err")"
e2e_finish
