#!/usr/bin/env bash
# `logtally test` (docs/testing.md): PASS/FAIL lines, every wrong series with the wanted and the
# actual value (or absent/present), the last line "N passed, M failed", the exit status, label
# order, histograms bucket by bucket, `config:` relative to the test file and --config over it,
# `source:` among several sources, file sources' path fields, and broken test files reported
# at FILE:LINE:COLUMN.
#
# Usage: test_command.sh /path/to/logtally
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

# run_test OUT ERR ARGS...: `logtally test ARGS` from / (paths must not depend on the cwd).
run_test() {
  local out=$1 err=$2
  shift 2
  RC=0
  (cd / && timeout 30 "$LOGTALLY" test "$@" </dev/null >"$out" 2>"$err") || RC=$?
  [ "$RC" != 124 ] || fail "logtally test $* did not finish within 30s"
}

mkdir -p "$WORK/cfg" "$WORK/tests"
cat >"$WORK/cfg/app.yaml" <<'YAML'
sources:
  app: { type: stdin }
  files: { type: file, path: /var/log/app/a.log, path_pattern: '/(?P<svc>[a-z]+)\.log$' }
pipelines:
  api:
    inputs: [app]
    parser: json
    metrics:
      - name: http_requests_total
        type: counter
        labels: { status: status, method: method }
      - name: http_request_duration_seconds
        type: histogram
        value: duration_ms
        scale: 0.001
        buckets: [0.1, 0.5]
  files:
    inputs: [files]
    parser: json
    metrics:
      - name: file_lines_total
        type: counter
        labels: { svc: _source.svc, name: _source.name }
YAML

# 1. All pass: exit 0, one PASS line per test, the summary last.
cat >"$WORK/tests/pass.yaml" <<'YAML'
config: ../cfg/app.yaml
tests:
  - name: 5xx are counted by status
    source: app
    input: |
      {"status":500,"method":"GET","duration_ms":200}
      {"status":200,"method":"GET","duration_ms":20}
      {"status":200,"method":"GET","duration_ms":700}
    expect: |
      # label order does not matter
      http_requests_total{method="GET",status="500"} 1
      http_requests_total{status="200", method="GET"} 2
      http_request_duration_seconds_bucket{le="0.1"} 1
      http_request_duration_seconds_bucket{le="0.5"} 2
      http_request_duration_seconds_bucket{le="+Inf"} 3
      http_request_duration_seconds_sum 0.92
      http_request_duration_seconds_count 3
    absent:
      - http_requests_total{status="404",method="GET"}
  - name: a file source's lines carry the fields of the test's path
    source: files
    path: /var/log/app/billing.log
    input: |
      {"msg":"x"}
    expect: |
      file_lines_total{svc="billing",name="billing.log"} 1
  - name: without a path, the source's own path
    source: files
    input: |
      {"msg":"x"}
      {"msg":"y"}
    expect: |
      file_lines_total{svc="a",name="a.log"} 2
YAML
run_test "$WORK/out" "$WORK/err" "$WORK/tests/pass.yaml"
assert_eq "all pass: exit status (stderr: $(cat "$WORK/err"))" 0 "$RC"
assert_eq "all pass: output" "PASS 5xx are counted by status
PASS a file source's lines carry the fields of the test's path
PASS without a path, the source's own path
3 passed, 0 failed" "$(cat "$WORK/out")"

# 2. Failures: each wrong series with its place, the wanted and the actual value.
cat >"$WORK/tests/fail.yaml" <<'YAML'
config: ../cfg/app.yaml
tests:
  - name: good
    source: app
    input: |
      {"status":200,"method":"GET"}
    expect: |
      http_requests_total{method="GET",status="200"} 1
  - name: bad
    source: app
    input: |
      {"status":200,"method":"GET"}
      {"status":201,"method":"POST"}
    expect: |
      http_requests_total{method="GET",status="200"} 3
      http_requests_total{method="PUT",status="200"} 1
      http_request_duration_seconds_count 0
    absent:
      - http_requests_total{method="POST",status="201"}
YAML
run_test "$WORK/out" "$WORK/err" "$WORK/tests/fail.yaml"
assert_eq "failures: exit status" 1 "$RC"
F="$WORK/tests/fail.yaml"
assert_eq "failures: output" "PASS good
FAIL bad
  $F:15:7: http_requests_total{method=\"GET\",status=\"200\"}: wanted 3, got 1
  $F:16:7: http_requests_total{method=\"PUT\",status=\"200\"}: wanted 1, got absent
  $F:17:7: http_request_duration_seconds_count: wanted 0, got absent
  $F:19:9: http_requests_total{method=\"POST\",status=\"201\"}: wanted absent, got present (1)
1 passed, 1 failed" "$(cat "$WORK/out")"

# 3. Several files add up; --config replaces each file's config.
cat >"$WORK/cfg/other.yaml" <<'YAML'
sources:
  in: { type: stdin }
pipelines:
  p:
    inputs: [in]
    parser: logfmt
    metrics:
      - { name: lines_total, type: counter, labels: { level: level } }
YAML
cat >"$WORK/tests/other.yaml" <<'YAML'
config: does-not-exist.yaml
tests:
  - name: logfmt
    input: |
      level=info msg=a
      level=info msg=b
    expect: |
      lines_total{level="info"} 2
YAML
run_test "$WORK/out" "$WORK/err" --config "$WORK/cfg/other.yaml" "$WORK/tests/other.yaml" \
  "$WORK/tests/other.yaml"
assert_eq "--config: exit status (stderr: $(cat "$WORK/err"))" 0 "$RC"
assert_eq "--config: last line" "2 passed, 0 failed" "$(tail -n 1 "$WORK/out")"

# 4. No config at all: the embedded default.
cat >"$WORK/tests/default.yaml" <<'YAML'
tests:
  - name: default config
    input: |
      {"level":"WARN"}
      level=info
    expect: |
      log_records_total{level="warn"} 1
      log_records_total{level="info"} 1
YAML
run_test "$WORK/out" "$WORK/err" "$WORK/tests/default.yaml"
assert_eq "default config: exit status (stderr: $(cat "$WORK/err"))" 0 "$RC"

# 5. Broken test files: every error at FILE:LINE:COLUMN, exit 1, the other files still run.
B="$WORK/tests/broken.yaml"
cat >"$B" <<'YAML'
config: ../cfg/app.yaml
tests:
  - name: x
    source: app
    input: "{}"
    expect: |
      good 1
      bad{a="x" 1
      also_bad{a="x"} one
  - name: y
    inputs: 3
YAML
run_test "$WORK/out" "$WORK/err" "$B" "$WORK/tests/default.yaml"
assert_eq "broken: exit status" 1 "$RC"
assert_eq "broken: errors" "$B:8:17: test 'x' expect: expected ',' or '}' after a label value
$B:9:23: test 'x' expect: expected a number (or +Inf, -Inf, NaN), got \"one\"
$B:11:5: test 2: unknown key 'inputs'; expected one of: name, source, input, path, expect, absent
$B:10:5: test 2: missing required key 'input'" "$(cat "$WORK/err")"
assert_eq "broken: the other file ran" "PASS default config
1 passed, 0 failed" "$(cat "$WORK/out")"

# 6. source: left out among several sources, or naming no source; YAML syntax errors.
cat >"$B" <<'YAML'
config: ../cfg/app.yaml
tests:
  - name: which source
    input: "{}"
    expect: "m 1"
  - name: no such source
    source: nope
    input: "{}"
    expect: "m 1"
YAML
run_test "$WORK/out" "$WORK/err" "$B"
assert_eq "sources: exit status" 1 "$RC"
assert_eq "sources: errors" "$B:3:5: test 'which source': expected \`source:\`, the config has several sources: app, files
$B:7:13: test 'no such source' source: no source named 'nope'; sources are: app, files" \
  "$(cat "$WORK/err")"
assert_eq "sources: summary" "0 passed, 0 failed" "$(cat "$WORK/out")"
printf 'tests:\n  - name: [unclosed\n' >"$B"
run_test "$WORK/out" "$WORK/err" "$B"
assert_eq "YAML error: exit status" 1 "$RC"
grep -q "^$B:[0-9]*:[0-9]*: YAML syntax error" "$WORK/err" || fail "YAML error: $(cat "$WORK/err")"

# 7. Usage: no test file.
RC=0
"$LOGTALLY" test >/dev/null 2>"$WORK/err" || RC=$?
assert_eq "no test file: exit status" 2 "$RC"
note "ok"
