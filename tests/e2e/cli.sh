#!/usr/bin/env bash
# The command line as a user meets it: --version, --help, usage errors, `check` on good and bad
# configs (every error reported with FILE:LINE:COLUMN), --tee passing bytes through untouched,
# the embedded default config, a missing config file, max_record_bytes with a 10 MB line, and
# SIGTERM/SIGINT on a running instance.
#
# Usage: cli.sh /path/to/logtally
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

# run_lt OUT ERR ARGS...: runs logtally with stdin from /dev/null; sets RC.
run_lt() {
  local out=$1 err=$2
  shift 2
  RC=0
  timeout 30 "$LOGTALLY" "$@" </dev/null >"$out" 2>"$err" || RC=$?
  [ "$RC" != 124 ] || fail "logtally $* did not finish within 30s"
}

# ---------------------------------------------------------------------------------------------
# --version / version: "logtally X" with X from CMakeLists.txt.
VERSION=$(version_from_cmake)
[ -n "$VERSION" ] || fail "could not read project(logtally VERSION x) from CMakeLists.txt"
run_lt "$WORK/out" "$WORK/err" --version
assert_eq "--version exit status" 0 "$RC"
assert_eq "--version output" "logtally $VERSION" "$(cat "$WORK/out")"
run_lt "$WORK/out" "$WORK/err" version
assert_eq "'version' exit status" 0 "$RC"
assert_eq "'version' output" "logtally $VERSION" "$(cat "$WORK/out")"

# --help / -h / help: exit 0, usage on stdout mentioning --once.
for arg in --help -h help; do
  run_lt "$WORK/out" "$WORK/err" "$arg"
  assert_eq "$arg exit status" 0 "$RC"
  grep -q -- '--once' "$WORK/out" || fail "$arg output does not mention --once: $(cat "$WORK/out")"
  grep -q -- '--tee' "$WORK/out" || fail "$arg output does not mention --tee"
done

# Usage errors exit 2 and name the offending argument.
run_lt "$WORK/out" "$WORK/err" --no-such-flag
assert_eq "unknown flag exit status" 2 "$RC"
grep -q -- "--no-such-flag" "$WORK/err" || fail "unknown flag not named in: $(cat "$WORK/err")"
run_lt "$WORK/out" "$WORK/err" frobnicate
assert_eq "unknown command exit status" 2 "$RC"
grep -q "frobnicate" "$WORK/err" || fail "unknown command not named in: $(cat "$WORK/err")"
run_lt "$WORK/out" "$WORK/err" --config
assert_eq "--config without a file exit status" 2 "$RC"
run_lt "$WORK/out" "$WORK/err" --tee --once
assert_eq "--tee --once exit status" 2 "$RC"
[ ! -s "$WORK/out" ] || fail "--tee --once wrote to stdout: $(cat "$WORK/out")"
note "version, help and usage errors ok"

# ---------------------------------------------------------------------------------------------
# check: a valid config.
cat >"$WORK/good.yaml" <<'EOF'
workers: 3
sources:
  app: { type: file, path: /var/log/app.log, start_at: end }
pipelines:
  web:
    inputs: [app]
    parser: { type: json }
    metrics:
      - name: http_requests_total
        type: counter
        labels: { method: method, status: status }
      - name: http_request_duration_seconds
        type: histogram
        value: duration_ms
        scale: 0.001
        buckets: [0.01, 0.1, 1]
        labels: { route: route }
sinks:
  prom: { type: prometheus_exporter, listen: "127.0.0.1:9999", path: /metrics }
EOF
run_lt "$WORK/out" "$WORK/err" check --config "$WORK/good.yaml"
assert_eq "check on a valid config: exit status (stderr: $(cat "$WORK/err"))" 0 "$RC"
for want in \
  "config $WORK/good.yaml: OK" \
  "workers: 3" \
  "  app: file /var/log/app.log (start_at end), max_record_bytes 1048576" \
  "  web: inputs [app], parser json" \
  "    http_requests_total counter value 1 per record labels {method=method, status=status}" \
  "    http_request_duration_seconds histogram value duration_ms * 0.001 labels {route=route} buckets [0.01, 0.1, 1]" \
  "  prom: prometheus_exporter http://127.0.0.1:9999/metrics"; do
  grep -qxF -- "$want" "$WORK/out" || fail "check output lacks the line '$want':
$(cat "$WORK/out")"
done

# check: a config with six errors; each must be printed as FILE:LINE:COLUMN: message.
BAD="$WORK/bad.yaml"
cat >"$BAD" <<'EOF'
sources:
  in: { type: stdin }
  f: { type: fifo, path: /x }
pipelines:
  p:
    inputs: [in, nosuch]
    parser: { type: json }
    bogus_key: 1
    metrics:
      - name: 9bad-name
        type: counter
      - name: h
        type: histogram
        value: d
        buckets: [1, 5, 5]
      - name: g
        type: summary
EOF
run_lt "$WORK/out" "$WORK/err" check --config "$BAD"
assert_eq "check on a bad config: exit status" 1 "$RC"
# "LINE:COLUMN|words the message must hold" for every error introduced above.
expected_errors=(
  "3:14|unknown source type 'fifo'"
  "6:18|no source named 'nosuch'"
  "8:5|unknown key 'bogus_key'"
  "10:15|invalid metric name"
  "15:25|strictly increasing"
  "17:15|unknown type 'summary'"
)
for e in "${expected_errors[@]}"; do
  loc=${e%%|*}
  words=${e#*|}
  grep -F -- "$BAD:$loc: " "$WORK/err" | grep -qF -- "$words" ||
    fail "check did not report '$words' at $BAD:$loc; stderr:
$(cat "$WORK/err")"
done
n=$(grep -cE "^$BAD:[0-9]+:[0-9]+: " "$WORK/err")
assert_eq "number of FILE:LINE:COLUMN errors printed (stderr: $(cat "$WORK/err"))" "${#expected_errors[@]}" "$n"
# The run command refuses the same config with the same errors.
run_lt "$WORK/out" "$WORK/err2" --once --config "$BAD"
assert_eq "run on a bad config: exit status" 1 "$RC"
cmp -s "$WORK/err" "$WORK/err2" || fail "run and check report different errors:
$(diff "$WORK/err" "$WORK/err2")"

# A missing config file: exit 1 naming the file, for check and run.
MISSING="$WORK/no-such-dir/missing.yaml"
run_lt "$WORK/out" "$WORK/err" check --config "$MISSING"
assert_eq "check with a missing config: exit status" 1 "$RC"
grep -qF -- "$MISSING" "$WORK/err" || fail "missing config not named: $(cat "$WORK/err")"
run_lt "$WORK/out" "$WORK/err" --once --config "$MISSING"
assert_eq "--once with a missing config: exit status" 1 "$RC"
grep -qF -- "$MISSING" "$WORK/err" || fail "missing config not named: $(cat "$WORK/err")"
run_lt "$WORK/out" "$WORK/err" --config="$MISSING"
assert_eq "--config=FILE with a missing config: exit status" 1 "$RC"
note "check and config errors ok"

# ---------------------------------------------------------------------------------------------
# The embedded default config with --once.
RC=0
printf '{"level":"INFO"}\n{"severity":"warn"}\n{"lvl":"Error"}\n{}\n' |
  timeout 30 "$LOGTALLY" --once >"$WORK/default.out" 2>"$WORK/err" || RC=$?
assert_eq "default config --once exit status (stderr: $(cat "$WORK/err"))" 0 "$RC"
D="$WORK/default.out"
assert_expo "$D" 'log_records_total{level="info"}' 1
assert_expo "$D" 'log_records_total{level="warn"}' 1
assert_expo "$D" 'log_records_total{level="error"}' 1
assert_expo "$D" 'log_records_total{level="unknown"}' 1
assert_eq "number of log_records_total series" 4 "$(grep -c '^log_records_total{' "$D")"
assert_expo "$D" 'logtally_records_total{source="stdin"}' 4
assert_expo "$D" "logtally_build_info{version=\"$VERSION\"}" 1
note "default config ok"

# ---------------------------------------------------------------------------------------------
# --tee: stdin copied to stdout byte for byte while counting; logtally keeps running after EOF
# and is stopped with SIGTERM once the copy is complete.
cat >"$WORK/tee.tmpl" <<'EOF'
sources:
  stdin: { type: stdin }
pipelines:
  logs:
    inputs: [stdin]
    parser: json
    metrics:
      - name: log_records_total
        type: counter
        labels:
          level: { field: [level, severity, lvl], lowercase: true, default: unknown }
sinks:
  prom: { type: prometheus_exporter, listen: "127.0.0.1:@PORT@" }
EOF
# 6 records: info, warn ending in \r\n (JSON whitespace), binary, empty, info, and a last error
# record without a trailing newline.
printf '{"level":"info"}\n{"level":"warn"}\r\n\x00\x01\xff\xfe\x80 binary \x1b[0m\n\n{"level":"INFO"}\n{"level":"error"}' \
  >"$WORK/tee.in"

# run_tee INPUT: starts logtally --tee with stdin from INPUT, waits until stdout holds as many bytes
# as INPUT, checks the copy is identical, leaves the instance running (LT_PID, LT_URL).
run_tee() {
  local in=$1 size
  size=$(wc -c <"$in" | tr -d ' ')
  start_logtally "$WORK/tee.tmpl" "$in" --tee
  out_complete() { [ "$(wc -c <"$WORK/logtally.out" | tr -d ' ')" -ge "$size" ]; }
  wait_for 30 "--tee to copy all $size bytes of $in to stdout" out_complete
  cmp "$in" "$WORK/logtally.out" || fail "--tee output differs from its input $in"
}
stop_lt() {
  kill -TERM "$LT_PID"
  wait_exit "$LT_PID" 5 || fail "logtally still running 5s after SIGTERM"
  assert_eq "logtally exit status after SIGTERM" 0 "$WAIT_RC"
}

run_tee "$WORK/tee.in"
counted() { scrape "$LT_URL" >"$WORK/tee.metrics" && [ "$(expo_value "$WORK/tee.metrics" 'logtally_records_total{source="stdin"}')" = "$1" ]; }
wait_for 30 "6 records counted while teeing" counted 6
T="$WORK/tee.metrics"
assert_expo "$T" 'log_records_total{level="info"}' 2
assert_expo "$T" 'log_records_total{level="warn"}' 1
assert_expo "$T" 'log_records_total{level="error"}' 1
assert_expo "$T" 'logtally_records_dropped_total{pipeline="logs",reason="invalid_json"}' 1
assert_expo "$T" 'logtally_records_dropped_total{pipeline="logs",reason="empty"}' 1
stop_lt
cmp "$WORK/tee.in" "$WORK/logtally.out" || fail "--tee output changed after SIGTERM"

# A bigger deterministic binary stream (~2.6 MB holding every byte value, JSON lines between).
# shellcheck disable=SC2059 # the format is the octal escape of byte $b, on purpose
for ((b = 0; b < 256; b++)); do printf "\\$(printf %03o "$b")"; done >"$WORK/bytes"
{ cat "$WORK/bytes"; printf '\n{"level":"debug","n":1}\n{"msg":"x"}\r\n'; } >"$WORK/chunk"
for ((k = 0; k < 13; k++)); do cat "$WORK/chunk" "$WORK/chunk" >"$WORK/chunk2" && mv "$WORK/chunk2" "$WORK/chunk"; done
printf 'tail without newline \xff' >>"$WORK/chunk"
run_tee "$WORK/chunk"
# Records: one per \n, plus the final unterminated line.
expected_records=$(($(tr -cd '\n' <"$WORK/chunk" | wc -c) + 1))
wait_for 30 "$expected_records records counted while teeing the binary stream" counted "$expected_records"
assert_expo "$WORK/tee.metrics" 'log_records_total{level="debug"}' 8192
assert_expo "$WORK/tee.metrics" 'log_records_total{level="unknown"}' 8192
# Per chunk the 256 byte values make two invalid lines (split at \n); plus the unterminated tail.
assert_expo "$WORK/tee.metrics" 'logtally_records_dropped_total{pipeline="logs",reason="invalid_json"}' 16385
stop_lt
note "--tee ok ($(wc -c <"$WORK/chunk" | tr -d ' ') bytes identical)"

# ---------------------------------------------------------------------------------------------
# max_record_bytes: a 10 MB line between two good ones is dropped as too_long without being
# buffered whole.
cat >"$WORK/mrb.yaml" <<'EOF'
max_record_bytes: 100
sources:
  stdin: { type: stdin }
pipelines:
  limits:
    inputs: [stdin]
    parser: json
    metrics:
      - name: log_records_total
        type: counter
        labels:
          level: { field: [level, severity, lvl], lowercase: true, default: unknown }
EOF
LINE_BYTES=$((10 * 1024 * 1024))
{
  printf '{"level":"info"}\n'
  head -c "$LINE_BYTES" /dev/zero | tr '\0' 'x'
  printf '\n{"level":"error"}\n'
} >"$WORK/big.in"
TIME=""
if [ -x /usr/bin/time ]; then TIME="/usr/bin/time"; fi
run_big() {  # run_big INPUT OUT RSS_FILE; stdin is a pipe (as for a sidecar), not the file
  local rc=0
  if [ -n "$TIME" ]; then
    # shellcheck disable=SC2002
    cat "$1" | timeout 60 "$TIME" -f %M -o "$3" "$LOGTALLY" --once --config "$WORK/mrb.yaml" >"$2" 2>"$WORK/err" || rc=$?
  else
    # shellcheck disable=SC2002
    cat "$1" | timeout 60 "$LOGTALLY" --once --config "$WORK/mrb.yaml" >"$2" 2>"$WORK/err" || rc=$?
  fi
  assert_eq "--once with max_record_bytes 100: exit status (stderr: $(cat "$WORK/err"))" 0 "$rc"
}
run_big "$WORK/big.in" "$WORK/big.out" "$WORK/big.rss"
M="$WORK/big.out"
assert_expo "$M" 'log_records_total{level="info"}' 1
assert_expo "$M" 'log_records_total{level="error"}' 1
assert_eq "number of log_records_total series" 2 "$(grep -c '^log_records_total{' "$M")"
assert_expo "$M" 'logtally_records_dropped_total{pipeline="limits",reason="too_long"}' 1
assert_expo "$M" 'logtally_records_dropped_total{pipeline="limits",reason="invalid_json"}' 0
assert_expo "$M" 'logtally_records_total{source="stdin"}' 3
assert_expo "$M" 'logtally_bytes_total{source="stdin"}' "$(wc -c <"$WORK/big.in" | tr -d ' ')"
if [ -n "$TIME" ]; then
  printf '{"level":"info"}\n{"level":"error"}\n' >"$WORK/small.in"
  run_big "$WORK/small.in" "$WORK/small.out" "$WORK/small.rss"
  big_kb=$(tail -1 "$WORK/big.rss")
  small_kb=$(tail -1 "$WORK/small.rss")
  line_kb=$((LINE_BYTES / 1024))
  note "peak RSS: ${big_kb} KiB with the 10 MiB line, ${small_kb} KiB without"
  # Well under the line: the growth it causes stays below a quarter of its size.
  [ $((big_kb - small_kb)) -lt $((line_kb / 4)) ] ||
    fail "peak RSS grew by $((big_kb - small_kb)) KiB for a ${line_kb} KiB line (max_record_bytes 100): the line was buffered"
  [ "$big_kb" -lt "$line_kb" ] || fail "peak RSS ${big_kb} KiB is not under the ${line_kb} KiB line"
else
  note "NOTICE: /usr/bin/time not installed (Debian package 'time'): peak RSS assertion skipped"
fi
note "max_record_bytes ok"

# ---------------------------------------------------------------------------------------------
# SIGTERM and SIGINT on a running instance whose stdin stays open (a read is blocked) exit 0
# promptly.
mkfifo "$WORK/stdin.fifo"
exec 3<>"$WORK/stdin.fifo"
for sig in TERM INT; do
  start_logtally "$WORK/tee.tmpl" "$WORK/stdin.fifo"
  printf '{"level":"info"}\n{"level":"info"}\n' >&3
  wait_for 30 "2 records counted before SIG$sig" counted 2
  start_ns=$(date +%s%N)
  kill -"$sig" "$LT_PID"
  wait_exit "$LT_PID" 5 || fail "logtally still running 5s after SIG$sig"
  elapsed_ms=$((($(date +%s%N) - start_ns) / 1000000))
  assert_eq "exit status after SIG$sig" 0 "$WAIT_RC"
  grep -q "received SIG$sig" "$WORK/logtally.err" || fail "no 'received SIG$sig' log line: $(cat "$WORK/logtally.err")"
  note "SIG$sig: exited 0 after ${elapsed_ms} ms"
done
exec 3>&-

e2e_finish
