#!/usr/bin/env bash
# remote_write end to end: Debian's prometheus runs as a remote write receiver (with native
# histograms) on 127.0.0.1; logtally follows a JSON log file and pushes to it every 500 ms, then
# a `--once` run pushes its final state. Values read back through Prometheus's /api/v1/query must
# equal the totals this script tallied while writing the input: counters per label set, classic
# histogram buckets, _sum and _count, and the native histograms' count, sum, zero bucket and one
# exact exponential bucket.
#
# Usage: remote_write_e2e.sh /path/to/logtally      (needs /usr/bin/prometheus and curl)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"
source "$(dirname "${BASH_SOURCE[0]}")/remote_write_lib.sh"

command -v prometheus >/dev/null || fail "prometheus is not installed (scripts/install-deps.sh installs it)"

start_prometheus_receiver
note "prometheus receiver on $PROM_URL (pid $PROM_PID)"

INPUT="$WORK/app.log"
: >"$INPUT"

write_config() {  # write_config FILE INSTANCE
  cat >"$1" <<EOF
workers: 2
sources:
  app: { type: file, path: "$INPUT", start_at: beginning }
pipelines:
  web:
    inputs: [app]
    parser: json
    metrics:
      - name: reqs_total
        type: counter
        labels: { method: method, status: status }
      - name: lat_seconds
        type: histogram
        value: d
        buckets: [0.25, 1, 4]
        labels: { route: route }
sinks:
  rw:
    type: prometheus_remote_write
    url: "$PROM_URL/api/v1/write"
    interval: 500ms
    timeout: 5s
    native_histograms: true
    native_schema: 3
    external_labels: { instance: "$2", job: logtally }
EOF
}

# Input and tallies. Durations are multiples of 1/8 so every sum is exact in binary; they are
# kept in eighths (integers) here. 0 lands in the native zero bucket, -0.5 in a negative bucket.
METHODS=(GET POST PUT)
STATUSES=(200 200 404 500)
ROUTES=(/a /b)
D8=(0 1 2 6 8 24 40 -4)
declare -A REQS=() COUNT=() SUM8=() LE=() ZERO=() AT_QUARTER=()
LINES=0
add_lines() {  # add_lines N
  local n=$1 k i m s r d
  for ((k = 0; k < n; k++)); do
    i=$LINES
    m=${METHODS[i % 3]} s=${STATUSES[(i / 3) % 4]} r=${ROUTES[(i / 8) % 2]} d=${D8[i % 8]}
    printf '{"method":"%s","status":%s,"route":"%s","d":%s}\n' "$m" "$s" "$r" \
      "$(awk -v d="$d" 'BEGIN { printf "%.3f", d / 8 }')" >>"$INPUT"
    REQS["$m $s"]=$((${REQS["$m $s"]:-0} + 1))
    COUNT[$r]=$((${COUNT[$r]:-0} + 1))
    SUM8[$r]=$((${SUM8[$r]:-0} + d))
    ((d <= 2)) && LE["$r 0.25"]=$((${LE["$r 0.25"]:-0} + 1))
    ((d <= 8)) && LE["$r 1"]=$((${LE["$r 1"]:-0} + 1))
    ((d <= 32)) && LE["$r 4"]=$((${LE["$r 4"]:-0} + 1))
    ((d == 0)) && ZERO[$r]=$((${ZERO[$r]:-0} + 1))
    ((d == 2)) && AT_QUARTER[$r]=$((${AT_QUARTER[$r]:-0} + 1))
    LINES=$((LINES + 1))
  done
}

# check_all INSTANCE: every series pushed under instance=INSTANCE equals the tallies.
check_all() {
  local inst=$1 key m s r sel body
  assert_query "count(reqs_total{instance=\"$inst\"})" "${#REQS[@]}"
  for key in "${!REQS[@]}"; do
    read -r m s <<<"$key"
    assert_query "reqs_total{instance=\"$inst\",job=\"logtally\",method=\"$m\",status=\"$s\"}" "${REQS[$key]}"
  done
  assert_query "logtally_records_total{instance=\"$inst\",source=\"app\"}" "$LINES"
  for r in "${ROUTES[@]}"; do
    sel="instance=\"$inst\",route=\"$r\""
    assert_query "lat_seconds_bucket{$sel,le=\"0.25\"}" "${LE["$r 0.25"]:-0}"
    assert_query "lat_seconds_bucket{$sel,le=\"1\"}" "${LE["$r 1"]:-0}"
    assert_query "lat_seconds_bucket{$sel,le=\"4\"}" "${LE["$r 4"]:-0}"
    assert_query "lat_seconds_bucket{$sel,le=\"+Inf\"}" "${COUNT[$r]}"
    assert_query "lat_seconds_count{$sel}" "${COUNT[$r]}"
    assert_num "lat_seconds_sum{$sel}" "$(awk -v s="${SUM8[$r]}" 'BEGIN { print s / 8 }')" \
      "$(prom_query "lat_seconds_sum{$sel}")"
    # Native histogram: count and sum through PromQL, buckets from the raw answer.
    assert_query "histogram_count(lat_seconds{$sel})" "${COUNT[$r]}"
    assert_num "histogram_sum(lat_seconds{$sel})" "$(awk -v s="${SUM8[$r]}" 'BEGIN { print s / 8 }')" \
      "$(prom_query "histogram_sum(lat_seconds{$sel})")"
    body=$(prom_raw "lat_seconds{$sel}")
    grep -q '"histogram":\[' <<<"$body" || fail "lat_seconds{$sel} is not a native histogram: $body"
    # Zero bucket [-2^-128, 2^-128] and the schema-3 bucket (2^(-17/8), 2^-2] = (0.2292..., 0.25].
    grep -q "\"2.938735877055719e-39\",\"${ZERO[$r]}\"\]" <<<"$body" ||
      fail "lat_seconds{$sel}: zero bucket should hold ${ZERO[$r]}: $body"
    grep -q "\[0,\"0.22925101080116778\",\"0.25\",\"${AT_QUARTER[$r]}\"\]" <<<"$body" ||
      fail "lat_seconds{$sel}: bucket (0.229,0.25] should hold ${AT_QUARTER[$r]}: $body"
  done
}

# ---- 1. A running logtally pushes every interval --------------------------------------------
write_config "$WORK/run.yaml" run
add_lines 200
"$LOGTALLY" --config "$WORK/run.yaml" </dev/null >"$WORK/run.out" 2>"$WORK/run.err" &
LT_PID=$!
track_pid "$LT_PID"
wait_for 30 "200 records pushed" query_is 'logtally_records_total{instance="run",source="app"}' 200
check_all run
note "first push: $LINES lines, ${#REQS[@]} counter series, exact"

add_lines 123
wait_for 30 "323 records pushed" query_is 'logtally_records_total{instance="run",source="app"}' 323
check_all run
note "after appending: $LINES lines, exact"
kill -TERM "$LT_PID"
wait_exit "$LT_PID" 20 || fail "logtally did not stop within 20s of SIGTERM"
assert_eq "exit status after SIGTERM" 0 "$WAIT_RC"
is_alive "$PROM_PID" || fail "prometheus died"

# ---- 2. --once pushes its final state before it exits ----------------------------------------
add_lines 77
write_config "$WORK/once.yaml" once
"$LOGTALLY" --config "$WORK/once.yaml" --once >"$WORK/once.out" 2>"$WORK/once.err" ||
  fail "logtally --once failed: $(cat "$WORK/once.err")"
# No waiting: the final push completed before logtally exited.
check_all once
note "--once: $LINES lines pushed at exit, exact"
grep -q '^reqs_total' "$WORK/once.out" || fail "--once did not also print the exposition"

# ---- 3. A receiver without native histograms -------------------------------------------------
# Prometheus 2.42 without the feature flag refuses the whole request (500 "native histograms are
# disabled"); logtally must fall back to the classic series at once, even in the final push.
stop_prometheus
PROM_NATIVE=0 PROM_TSDB="$WORK/tsdb-classic" start_prometheus_receiver
write_config "$WORK/classic.yaml" classic
"$LOGTALLY" --config "$WORK/classic.yaml" --once >/dev/null 2>"$WORK/classic.err" ||
  fail "logtally --once failed: $(cat "$WORK/classic.err")"
grep -q "refuses native histograms" "$WORK/classic.err" || fail "no fallback logged: $(cat "$WORK/classic.err")"
assert_query 'lat_seconds_count{instance="classic",route="/a"}' "${COUNT[/a]}"
assert_query 'lat_seconds_bucket{instance="classic",route="/b",le="1"}' "${LE["/b 1"]}"
assert_query "sum(reqs_total{instance=\"classic\"})" "$LINES"
assert_query 'count(lat_seconds{instance="classic"})' "RESULTS=0"
note "receiver without native histograms: classic series stored, natives dropped once"
e2e_finish
