#!/usr/bin/env bash
# The exposition logtally writes is valid Prometheus text format, as judged by Prometheus's own
# promtool ('promtool check metrics': exit 0 means it parses and passes the lint rules), even when
# label values hold quotes, backslashes, newlines, tabs, emoji and invalid UTF-8:
#   1. --once output for such records, plus exact checks of the escaped label values;
#   2. a live scrape of a running instance using the embedded default config (on a random port).
#
# Usage: promtool_check.sh /path/to/logtally      (needs /usr/bin/promtool and curl)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

command -v promtool >/dev/null || fail "promtool is not installed (scripts/install-deps.sh installs prometheus)"

# promtool_ok FILE: promtool check metrics < FILE exits 0 (no parse error, no lint problem).
promtool_ok() {
  local rc=0
  promtool check metrics <"$1" >"$WORK/promtool.txt" 2>&1 || rc=$?
  [ "$rc" = 0 ] || fail "promtool check metrics exited $rc on $1:
$(cat "$WORK/promtool.txt")
--- input (cat -A) ---
$(cat -A "$1" | head -80)"
}

# ---------------------------------------------------------------------------------------------
# 1. --once over awkward label values.
cat >"$WORK/once.yaml" <<'EOF'
workers: 2
sources:
  in: { type: stdin }
pipelines:
  p:
    inputs: [in]
    parser: json
    metrics:
      - name: requests_total
        type: counter
        labels: { path: path }
      - name: request_seconds
        type: histogram
        value: ms
        scale: 0.001
        buckets: [0.005, 0.05, 0.5]
        labels: { path: path }
      - name: size_bytes
        type: histogram
        value: size
        buckets: [0.5, 1, 2]
EOF

{
  # JSON escapes decoded by the parser, then re-escaped on exposition.
  printf '%s\n' '{"path":"a\"b","ms":1,"size":0.5}'
  printf '%s\n' '{"path":"a\\b","ms":10,"size":1}'
  printf '%s\n' '{"path":"line1\nline2","ms":100,"size":2}'
  printf '%s\n' '{"path":"tab\there","ms":1000,"size":3}'
  printf '%s\n' '{"path":"mix \\\" \\n end","ms":2,"size":0.25}'
  # Emoji: raw UTF-8 and a \u surrogate pair (rocket, U+1F680).
  printf '%s\n' '{"path":"emoji 😀 \ud83d\ude80","ms":3,"size":1}'
  # Invalid UTF-8 inside JSON strings: each bad byte is repaired to U+FFFD.
  printf '{"path":"bad\xff\xfeend","ms":4,"size":1}\n'
  printf '{"path":"trunc\xc3","ms":4,"size":1}\n'
  # Three spellings of the same repaired value land in one series.
  printf '{"path":"x\xffy","ms":6,"size":1}\n'
  printf '{"path":"x\xfey","ms":6,"size":1}\n'
  printf '%s\n' '{"path":"x\ufffdy","ms":6,"size":1}'
} >"$WORK/once.in"

rc=0
"$LOGTALLY" --once --config "$WORK/once.yaml" <"$WORK/once.in" >"$WORK/once.out" 2>"$WORK/once.err" || rc=$?
assert_eq "logtally --once exit status (stderr: $(cat "$WORK/once.err"))" 0 "$rc"
promtool_ok "$WORK/once.out"

O="$WORK/once.out"
FFFD=$'\xef\xbf\xbd'
assert_expo "$O" 'requests_total{path="a\"b"}' 1
assert_expo "$O" 'requests_total{path="a\\b"}' 1
assert_expo "$O" 'requests_total{path="line1\nline2"}' 1
assert_expo "$O" $'requests_total{path="tab\there"}' 1
assert_expo "$O" 'requests_total{path="mix \\\" \\n end"}' 1
assert_expo "$O" 'requests_total{path="emoji 😀 🚀"}' 1
assert_expo "$O" "requests_total{path=\"bad${FFFD}${FFFD}end\"}" 1
assert_expo "$O" "requests_total{path=\"trunc${FFFD}\"}" 1
assert_expo "$O" "requests_total{path=\"x${FFFD}y\"}" 3
n=$(grep -c '^requests_total{' "$O")
assert_eq "number of requests_total series" 9 "$n"
# No raw invalid byte survives anywhere in the output; no raw newline splits a sample line.
if grep -q $'[\xc0\xc1\xf5-\xff]' "$O"; then fail "invalid UTF-8 byte left in the output"; fi
if grep -qx 'line2"} 1' "$O"; then fail "a raw newline split a label value"; fi
assert_expo "$O" 'logtally_records_total{source="in"}' 11
assert_expo "$O" 'logtally_records_dropped_total{pipeline="p",reason="invalid_json"}' 0

# Histogram with escaped label values, and bounds in the le label.
assert_expo "$O" 'request_seconds_count{path="a\"b"}' 1
assert_expo "$O" 'request_seconds_sum{path="a\"b"}' 0.001
assert_expo "$O" 'request_seconds_bucket{path="a\"b",le="0.005"}' 1
assert_expo "$O" 'request_seconds_bucket{path="line1\nline2",le="0.05"}' 0
assert_expo "$O" 'request_seconds_bucket{path="line1\nline2",le="0.5"}' 1
assert_expo "$O" 'request_seconds_bucket{path="line1\nline2",le="+Inf"}' 1
assert_expo "$O" "request_seconds_count{path=\"x${FFFD}y\"}" 3
assert_expo "$O" "request_seconds_bucket{path=\"x${FFFD}y\",le=\"0.005\"}" 0
assert_expo "$O" "request_seconds_bucket{path=\"x${FFFD}y\",le=\"0.05\"}" 3
assert_num "request_seconds_sum{path=\"x\\ufffdy\"}" 0.018 \
  "$(expo_value "$O" "request_seconds_sum{path=\"x${FFFD}y\"}")"
# le is inclusive: sizes exactly on a bound count in that bucket (scale 1, exact binary values).
# sizes: 0.5 1 2 3 0.25 1 1 1 1 1 1
assert_expo "$O" 'size_bytes_bucket{le="0.5"}' 2
assert_expo "$O" 'size_bytes_bucket{le="1"}' 9
assert_expo "$O" 'size_bytes_bucket{le="2"}' 10
assert_expo "$O" 'size_bytes_bucket{le="+Inf"}' 11
assert_expo "$O" 'size_bytes_count' 11
assert_expo "$O" 'size_bytes_sum' 12.75
note "--once output passes promtool and escapes label values exactly"

# ---------------------------------------------------------------------------------------------
# 2. A live scrape of the embedded default config (same config, random loopback port), stdin held
#    open through a fifo.
"$LOGTALLY" check >"$WORK/default.check" 2>&1 || fail "logtally check (default config) failed"
grep -q 'log_records_total counter value 1 per record labels {level=level|severity|lvl lowercased default "unknown"}' \
  "$WORK/default.check" || fail "embedded default config changed shape; update this test:
$(cat "$WORK/default.check")"
cat >"$WORK/default.tmpl" <<'EOF'
# The embedded default (see `logtally check`), with a random loopback port.
sources:
  stdin: { type: stdin }
pipelines:
  logs:
    inputs: [stdin]
    parser: { type: json }
    metrics:
      - name: log_records_total
        type: counter
        help: Log records by level (from level, severity or lvl; unknown when absent).
        labels:
          level: { field: [level, severity, lvl], lowercase: true, default: unknown }
sinks:
  prometheus: { type: prometheus_exporter, listen: "127.0.0.1:@PORT@", path: /metrics }
EOF
mkfifo "$WORK/stdin.fifo"
exec 3<>"$WORK/stdin.fifo"  # read-write: never blocks, and keeps the fifo open (no EOF)
start_logtally "$WORK/default.tmpl" "$WORK/stdin.fifo"

printf '%s\n' '{"level":"INFO"}' '{"severity":"Warn"}' '{"lvl":"error"}' '{}' 'not json' >&3
printf '%s\n' '{"level":"we\"ird\\Lvl\nX"}' >&3
printf '{"level":"bad\xffbyte"}\n' >&3

live_has() {
  curl -sf --max-time 5 "$LT_URL" >"$WORK/live.txt" 2>/dev/null &&
    [ "$(expo_value "$WORK/live.txt" 'logtally_records_total{source="stdin"}')" = 7 ] &&
    [ "$(expo_value "$WORK/live.txt" "log_records_total{level=\"bad${FFFD}byte\"}")" = 1 ]
}
wait_for 30 "all 7 lines counted at $LT_URL" live_has
promtool_ok "$WORK/live.txt"
L="$WORK/live.txt"
assert_expo "$L" 'log_records_total{level="info"}' 1
assert_expo "$L" 'log_records_total{level="warn"}' 1
assert_expo "$L" 'log_records_total{level="error"}' 1
assert_expo "$L" 'log_records_total{level="unknown"}' 1
assert_expo "$L" 'log_records_total{level="we\"ird\\lvl\nx"}' 1
assert_expo "$L" 'logtally_records_dropped_total{pipeline="logs",reason="invalid_json"}' 1
note "live scrape passes promtool"

kill -TERM "$LT_PID"
wait_exit "$LT_PID" 5 || fail "logtally still running 5s after SIGTERM"
assert_eq "logtally exit status after SIGTERM" 0 "$WAIT_RC"
# ---------------------------------------------------------------------------------------------
# 3. HELP text from the config is escaped as the text format requires: '\' as '\\' and a newline
#    as '\n' (quotes stay as they are). Unescaped, a backslash makes promtool reject the whole
#    exposition and a newline turns the rest of the HELP text into a bogus sample line that
#    makes Prometheus fail the scrape of every series.
cat >"$WORK/help.yaml" <<'YAML'
sources:
  in: { type: stdin }
pipelines:
  p:
    inputs: [in]
    parser: json
    metrics:
      - name: requests_total
        type: counter
        help: "Requests with \"quotes\", a \\ backslash\nand a second line."
YAML
rc=0
printf '{}\n' | "$LOGTALLY" --once --config "$WORK/help.yaml" >"$WORK/help.out" 2>"$WORK/help.err" || rc=$?
assert_eq "logtally --once exit status (stderr: $(cat "$WORK/help.err"))" 0 "$rc"
expected_help='# HELP requests_total Requests with "quotes", a \\ backslash\nand a second line.'
if ! grep -qxF -- "$expected_help" "$WORK/help.out"; then
  soft_fail "HELP text not escaped; expected the line
  $expected_help
got:
$(grep -A1 '^# HELP requests_total' "$WORK/help.out" | cat -A)"
fi
if ! promtool check metrics <"$WORK/help.out" >"$WORK/promtool.txt" 2>&1; then
  soft_fail "promtool check metrics rejects the output for a HELP text with '\\' and a newline: $(cat "$WORK/promtool.txt")"
fi
assert_expo "$WORK/help.out" 'requests_total' 1

e2e_finish
