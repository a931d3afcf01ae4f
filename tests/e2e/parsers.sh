#!/usr/bin/env bash
# The parsers through the real binary: the embedded default (parser: auto) counting JSON,
# logfmt and plain-text lines from stdin; a regex pipeline counting matches and `no_match`
# drops; `check` naming a bad pattern at its line and column; `unit: duration | timestamp`.
#
# Usage: parsers.sh /path/to/logtally
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

# ---------------------------------------------------------------------------------------------
# The embedded default config with --once: JSON and logfmt lines mixed on stdin.
RC=0
{
  printf '{"level":"INFO","msg":"json"}\n'
  printf 'ts=2026-01-01T00:00:00Z level=warn msg="disk \\"sda\\" at 91%%" user=x\n'
  printf 'severity=ERROR msg="level=info inside quotes is not a key"\n'
  printf 'lvl=Debug\n'
  printf 'level=info level=error\n'  # repeated key: the last wins
  printf 'just some text without pairs\n'
  printf '\n'
  printf '{"level":"info"\n'  # starts with {: JSON, and broken
} | timeout 30 "$LOGTALLY" --once >"$WORK/default.out" 2>"$WORK/err" || RC=$?
assert_eq "default config --once exit status (stderr: $(cat "$WORK/err"))" 0 "$RC"
D="$WORK/default.out"
assert_expo "$D" 'log_records_total{level="info"}' 1
assert_expo "$D" 'log_records_total{level="warn"}' 1
assert_expo "$D" 'log_records_total{level="error"}' 2
assert_expo "$D" 'log_records_total{level="debug"}' 1
assert_expo "$D" 'log_records_total{level="unknown"}' 1
assert_eq "number of log_records_total series" 5 "$(grep -c '^log_records_total{' "$D")"
assert_expo "$D" 'logtally_records_total{source="stdin"}' 8
assert_expo "$D" 'logtally_records_dropped_total{pipeline="logs",reason="empty"}' 1
assert_expo "$D" 'logtally_records_dropped_total{pipeline="logs",reason="invalid_json"}' 1
assert_expo "$D" 'logtally_records_dropped_total{pipeline="logs",reason="no_match"}' 0
note "default config (auto) ok"

# ---------------------------------------------------------------------------------------------
# A regex pipeline over an Apache combined log file.
cat >"$WORK/access.log" <<'LOG'
10.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326 "http://x/" "Mozilla/4.08"
10.0.0.2 - - [10/Oct/2000:13:55:37 -0700] "POST /login HTTP/1.1" 302 - "-" "curl/8.0"
10.0.0.1 - - [10/Oct/2000:13:55:38 -0700] "GET /missing HTTP/1.1" 404 512 "-" "curl/8.0"
this line is not an access log line
10.0.0.3 - - [10/Oct/2000:13:55:39 -0700] "GET / HTTP/1.1" 200 100 "-" "curl/8.0"
LOG
cat >"$WORK/regex.yaml" <<YAML
sources:
  access: { type: file, path: "$WORK/access.log" }
pipelines:
  web:
    inputs: [access]
    parser:
      type: regex
      patterns:
        - '^(?P<host>\S+) \S+ (?P<user>\S+) \[(?P<time>[^\]]+)\] "(?P<method>[A-Z]+) (?P<path>\S+) [^"]*" (?P<status>\d{3}) (?P<bytes>\d+|-) "[^"]*" "(?P<agent>[^"]*)"$'
    metrics:
      - name: http_requests_total
        type: counter
        labels: { method: method, status: status }
      - name: http_response_bytes_total
        type: counter
        value: bytes
YAML
RC=0
timeout 30 "$LOGTALLY" --once --config "$WORK/regex.yaml" </dev/null >"$WORK/regex.out" 2>"$WORK/err" || RC=$?
assert_eq "regex --once exit status (stderr: $(cat "$WORK/err"))" 0 "$RC"
R="$WORK/regex.out"
assert_expo "$R" 'http_requests_total{method="GET",status="200"}' 2
assert_expo "$R" 'http_requests_total{method="POST",status="302"}' 1
assert_expo "$R" 'http_requests_total{method="GET",status="404"}' 1
assert_eq "number of http_requests_total series" 3 "$(grep -c '^http_requests_total{' "$R")"
assert_expo "$R" 'http_response_bytes_total' 2938
assert_expo "$R" 'logtally_records_dropped_total{pipeline="web",reason="no_match"}' 1
assert_expo "$R" 'logtally_records_dropped_total{pipeline="web",reason="not_a_number"}' 1
note "regex pipeline ok"

# ---------------------------------------------------------------------------------------------
# check: a bad pattern is named at its line and column, with RE2's message; exit 1.
cat >"$WORK/bad.yaml" <<'YAML'
sources:
  in: { type: stdin }
pipelines:
  p:
    inputs: [in]
    parser:
      type: regex
      patterns:
        - '(?P<ok>\d+)'
        - '(?P<open>\d+'
    metrics:
      - { name: c_total, type: counter, labels: { x: nope } }
YAML
RC=0
timeout 30 "$LOGTALLY" check --config "$WORK/bad.yaml" </dev/null >"$WORK/out" 2>"$WORK/err" || RC=$?
assert_eq "check on a bad pattern: exit status" 1 "$RC"
grep -qF "$WORK/bad.yaml:10:11: pipeline 'p' parser pattern 2: invalid regular expression (RE2): missing ): (?P<open>\d+" "$WORK/err" ||
  fail "bad pattern not reported at 10:11: $(cat "$WORK/err")"
grep -qF "$WORK/bad.yaml:12:9: metric 'c_total' label 'x': no pattern of pipeline 'p' has a group named 'nope'" "$WORK/err" ||
  fail "unknown group not reported at 12:9: $(cat "$WORK/err")"
note "check on bad patterns ok"

# ---------------------------------------------------------------------------------------------
# unit: duration and unit: timestamp on logfmt values (with scale applying after the unit).
cat >"$WORK/units.log" <<'LOG'
ts=2026-04-22T12:00:00Z took=12ms
ts=2026-04-22T12:00:05.5Z took=1.5s
ts=1776859203 took=2m
ts=1776859204000 took=0.25
ts=yesterday took=soon
LOG
cat >"$WORK/units.yaml" <<YAML
sources:
  in: { type: file, path: "$WORK/units.log" }
pipelines:
  u:
    inputs: [in]
    parser: logfmt
    metrics:
      - { name: took_seconds, type: histogram, value: took, unit: duration, buckets: [0.1, 1, 100] }
      - { name: took_ms_total, type: counter, value: took, unit: duration, scale: 1000 }
      - { name: last_event_time_seconds, type: gauge, value: ts, unit: timestamp, mode: max }
YAML
RC=0
timeout 30 "$LOGTALLY" --once --config "$WORK/units.yaml" </dev/null >"$WORK/units.out" 2>"$WORK/err" || RC=$?
assert_eq "units --once exit status (stderr: $(cat "$WORK/err"))" 0 "$RC"
U="$WORK/units.out"
assert_expo "$U" 'took_seconds_bucket{le="0.1"}' 1
assert_expo "$U" 'took_seconds_bucket{le="1"}' 2
assert_expo "$U" 'took_seconds_bucket{le="100"}' 3
assert_expo "$U" 'took_seconds_bucket{le="+Inf"}' 4
assert_expo "$U" 'took_seconds_count' 4
assert_expo "$U" 'took_ms_total' 121762
assert_expo "$U" 'last_event_time_seconds' 1776859205.5
assert_expo "$U" 'logtally_records_dropped_total{pipeline="u",reason="not_a_number"}' 3
note "units ok"

e2e_finish
