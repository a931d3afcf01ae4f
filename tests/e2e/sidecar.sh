#!/usr/bin/env bash
# The zero-config sidecar as a user runs it, `my-app | logtally`: the embedded default config
# (with a random loopback port instead of 0.0.0.0:9898) reading a pipe that stays open. Lines that
# trickle through the pipe, even a line written in two pieces, must show up in /metrics promptly
# without EOF; after EOF logtally keeps serving; SIGTERM stops it with status 0.
#
# Usage: sidecar.sh /path/to/logtally
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

# The embedded default, with @PORT@ for the listen port.
cat >"$WORK/sidecar.tmpl" <<'EOF'
sources:
  stdin: { type: stdin }
pipelines:
  logs:
    inputs: [stdin]
    parser: { type: auto }
    metrics:
      - name: log_records_total
        type: counter
        help: Log records by level (from level, severity or lvl; unknown when absent).
        labels:
          level: { field: [level, severity, lvl], lowercase: true, default: unknown }
sinks:
  prometheus: { type: prometheus_exporter, listen: "127.0.0.1:@PORT@", path: /metrics }
EOF

# Confirm it compiles to the same pipelines as the embedded default: `check` prints the same
# text except for the config's name and the listen address.
"$LOGTALLY" check >"$WORK/check.default" 2>&1 || fail "logtally check (embedded default) failed: $(cat "$WORK/check.default")"
sed 's/@PORT@/9898/' "$WORK/sidecar.tmpl" >"$WORK/same.yaml"
"$LOGTALLY" check --config "$WORK/same.yaml" >"$WORK/check.ours" 2>&1 || fail "logtally check failed: $(cat "$WORK/check.ours")"
normalize() { sed -e '/^config .*: OK$/d' -e 's#http://[0-9.]*:9898/#http://ADDR:9898/#' "$1"; }
diff <(normalize "$WORK/check.default") <(normalize "$WORK/check.ours") >"$WORK/check.diff" ||
  fail "this test's config no longer matches the embedded default (update it):
$(cat "$WORK/check.diff")"
grep -q 'http://0.0.0.0:9898/metrics' "$WORK/check.default" ||
  fail "embedded default no longer serves on 0.0.0.0:9898: $(cat "$WORK/check.default")"

# start_sidecar: logtally reading from a pipe held open on fd 3, as `my-app | logtally` does.
# Retries on another port if the bind fails. Sets LT_PID, LT_PORT, LT_URL.
start_sidecar() {
  local attempt i
  for ((attempt = 1; attempt <= 5; attempt++)); do
    LT_PORT=$(random_free_port)
    LT_URL="http://127.0.0.1:$LT_PORT/metrics"
    sed "s/@PORT@/$LT_PORT/g" "$WORK/sidecar.tmpl" >"$WORK/sidecar.yaml"
    exec 3> >(exec "$LOGTALLY" --config "$WORK/sidecar.yaml" >"$WORK/logtally.out" 2>"$WORK/logtally.err")
    LT_PID=$!
    track_pid "$LT_PID"
    for ((i = 0; i < 150; i++)); do
      if ! is_alive "$LT_PID"; then
        exec 3>&-
        if grep -q "cannot listen" "$WORK/logtally.err"; then
          note "port $LT_PORT taken, retrying"
          continue 2
        fi
        fail "logtally exited at start: $(cat "$WORK/logtally.err")"
      fi
      if curl -sf --max-time 2 "$LT_URL" 2>/dev/null | grep -q '^logtally_build_info'; then
        is_alive "$LT_PID" && return 0
      fi
      sleep 0.2
    done
    fail "logtally did not serve $LT_URL within 30s: $(cat "$WORK/logtally.err")"
  done
  fail "logtally could not bind a port after 5 attempts"
}

M="$WORK/metrics.txt"
# shows SERIES VALUE...: one scrape holds every SERIES with its VALUE.
shows() {
  curl -sf --max-time 5 "$LT_URL" >"$M" 2>/dev/null || return 1
  while [ $# -ge 2 ]; do
    [ "$(expo_value "$M" "$1")" == "$2" ] || return 1
    shift 2
  done
}
# now_ms: milliseconds since the epoch.
now_ms() { echo $(($(date +%s%N) / 1000000)); }

start_sidecar
note "sidecar serving $LT_URL (pid $LT_PID)"
scrape "$LT_URL" >"$M"
[ -z "$(expo_value "$M" 'log_records_total{level="info"}')" ] || fail "info counted before any input"
assert_expo "$M" 'logtally_records_total{source="stdin"}' 0

# Lines trickle in one at a time, with pauses; one line arrives in two pieces.
t0=$(now_ms)
printf '{"level":"info","msg":"starting"}\n' >&3
sleep 0.2
printf '{"severity":"INFO","msg":"listening"}\n' >&3
sleep 0.2
printf '{"level":"warn","msg":"slow disk"}\n' >&3
printf '{"lvl":"In' >&3
sleep 0.5
printf 'fo","msg":"ready"}\n' >&3
t1=$(now_ms)
wait_for 10 "log_records_total{level=\"info\"} 3 and warn 1 while the pipe stays open" \
  shows 'log_records_total{level="info"}' 3 'log_records_total{level="warn"}' 1
note "4 trickled lines counted $(($(now_ms) - t1)) ms after the last write ($(($(now_ms) - t0)) ms after the first)"
assert_expo "$M" 'logtally_records_total{source="stdin"}' 4
assert_eq "number of log_records_total series" 2 "$(grep -c '^log_records_total{' "$M")"
assert_expo "$M" 'logtally_records_dropped_total{pipeline="logs",reason="invalid_json"}' 0

# More lines: the new exact values show up too.
printf '%s\n' '{"level":"INFO"}' '{"level":"error","msg":"boom"}' '{"msg":"no level"}' '{not json' '{"level":"info"}' >&3
t1=$(now_ms)
wait_for 10 "log_records_total{level=\"info\"} 5 while the pipe stays open" \
  shows 'log_records_total{level="info"}' 5 'logtally_records_total{source="stdin"}' 9
note "5 more lines counted $(($(now_ms) - t1)) ms after the write"
assert_expo "$M" 'log_records_total{level="warn"}' 1
assert_expo "$M" 'log_records_total{level="error"}' 1
assert_expo "$M" 'log_records_total{level="unknown"}' 1
assert_eq "number of log_records_total series" 4 "$(grep -c '^log_records_total{' "$M")"
assert_expo "$M" 'logtally_records_dropped_total{pipeline="logs",reason="invalid_json"}' 1

# A burst of 1000 lines in one write.
for ((i = 0; i < 1000; i++)); do printf '{"level":"debug","i":%d}\n' "$i"; done >"$WORK/burst"
cat "$WORK/burst" >&3
wait_for 10 "a burst of 1000 debug lines" shows 'log_records_total{level="debug"}' 1000 \
  'logtally_records_total{source="stdin"}' 1009

# EOF (the app exits): logtally keeps serving the totals until it is told to stop.
exec 3>&-
sleep 1
is_alive "$LT_PID" || fail "logtally exited after stdin EOF; it must keep serving"
shows 'log_records_total{level="info"}' 5 'log_records_total{level="debug"}' 1000 \
  'logtally_records_total{source="stdin"}' 1009 || fail "wrong totals after EOF:
$(grep -v '^#' "$M")"

kill -TERM "$LT_PID"
wait_exit "$LT_PID" 5 || fail "logtally still running 5s after SIGTERM"
assert_eq "logtally exit status after SIGTERM" 0 "$WAIT_RC"
e2e_finish
