#!/usr/bin/env bash
# End to end through a real Prometheus: logtally follows a JSON log file and serves
# counters, a histogram and a max gauge on 127.0.0.1; a real Prometheus server scrapes it every
# second; the values read back through Prometheus's /api/v1/query must equal the totals this
# script computed while writing the input. Then more lines are appended to the file and the new
# totals must show up (the file is followed), and SIGTERM must stop logtally with status 0.
#
# Usage: prometheus_e2e.sh /path/to/logtally      (needs /usr/bin/prometheus and curl)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

command -v prometheus >/dev/null || fail "prometheus is not installed (scripts/install-deps.sh installs it)"

INPUT="$WORK/access.log"
: >"$INPUT"

cat >"$WORK/logtally.tmpl" <<EOF
workers: 2
sources:
  access: { type: file, path: "$INPUT", start_at: beginning }
pipelines:
  web:
    inputs: [access]
    parser: { type: json }
    metrics:
      - name: http_requests_total
        type: counter
        labels: { method: method, status: status }
      - name: http_response_bytes_total
        type: counter
        value: bytes
      - name: http_request_duration_seconds
        type: histogram
        value: duration_ms
        scale: 0.001
        buckets: [0.01, 0.1, 1]
        labels: { route: route }
      - name: http_inflight_max
        type: gauge
        mode: max
        value: inflight
sinks:
  prom: { type: prometheus_exporter, listen: "127.0.0.1:@PORT@", path: /metrics }
EOF

# ---------------------------------------------------------------------------------------------
# Input generation, tallying the expected values as lines are written.
METHODS=(GET GET GET POST PUT DELETE)
STATUSES=(200 200 200 201 404 500 503)
ROUTES=(/a /b /c)
# No duration sits on a bucket bound: 0.001 * ms is not exact in binary floating point.
DURATIONS_MS=(3 7 25 60 99 150 900 1500 4)
BOUNDS=(0.01 0.1 1)

declare -A REQS=()      # "method status" -> count
declare -A BUCKET=()    # "route le" -> cumulative count
declare -A COUNT=()     # route -> count
declare -A SUM_MS=()    # route -> sum of durations in ms (integers: exact)
BYTES_TOTAL=0
INFLIGHT_MAX=0
LINES=0
INVALID=0

# add_valid I [INFLIGHT]: appends one valid record derived from I.
add_valid() {
  local i=$1
  local m=${METHODS[i % ${#METHODS[@]}]} s=${STATUSES[(i * 3) % ${#STATUSES[@]}]}
  local r=${ROUTES[(i * 5) % ${#ROUTES[@]}]} d=${DURATIONS_MS[(i * 7) % ${#DURATIONS_MS[@]}]}
  local b=$(((i * 137) % 5000)) inflight=${2:-$(((i * 11) % 37))} le
  # status as a number on even lines, as a string on odd ones: both must give status="200".
  local status_json=$s
  ((i % 2)) && status_json="\"$s\""
  printf '{"ts":"2024-01-01T00:00:%02dZ","method":"%s","status":%s,"route":"%s","bytes":%d,"duration_ms":%d,"inflight":%d,"msg":"req %d"}\n' \
    $((i % 60)) "$m" "$status_json" "$r" "$b" "$d" "$inflight" "$i" >>"$INPUT"
  REQS["$m $s"]=$((${REQS["$m $s"]:-0} + 1))
  COUNT[$r]=$((${COUNT[$r]:-0} + 1))
  SUM_MS[$r]=$((${SUM_MS[$r]:-0} + d))
  for le in "${BOUNDS[@]}" +Inf; do
    if [ "$le" = "+Inf" ] || awk -v d="$d" -v le="$le" 'BEGIN { exit !(d / 1000 <= le) }'; then
      BUCKET["$r $le"]=$((${BUCKET["$r $le"]:-0} + 1))
    else
      BUCKET["$r $le"]=${BUCKET["$r $le"]:-0}
    fi
  done
  BYTES_TOTAL=$((BYTES_TOTAL + b))
  ((inflight > INFLIGHT_MAX)) && INFLIGHT_MAX=$inflight
  LINES=$((LINES + 1))
}

# add_invalid TEXT: appends one line that is not valid JSON.
add_invalid() {
  printf '%s\n' "$1" >>"$INPUT"
  INVALID=$((INVALID + 1))
  LINES=$((LINES + 1))
}

for ((i = 1; i <= 48; i++)); do
  add_valid "$i"
  ((i == 10)) && add_invalid 'this is not json'
  ((i == 30)) && add_invalid '{"method":"GET","status":200,"route":"/a"'
done
[ "$LINES" = 50 ] || fail "script error: generated $LINES lines, wanted 50"

# ---------------------------------------------------------------------------------------------
# Servers.
start_logtally "$WORK/logtally.tmpl" /dev/null
note "logtally serving $LT_URL (pid $LT_PID)"

start_prometheus() {
  local attempt i rc
  mkdir -p "$WORK/tsdb"
  for ((attempt = 1; attempt <= 5; attempt++)); do
    PROM_PORT=$(random_free_port)
    [ "$PROM_PORT" = "$LT_PORT" ] && continue
    PROM_URL="http://127.0.0.1:$PROM_PORT"
    cat >"$WORK/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: logtally
    static_configs:
      - targets: ['127.0.0.1:$LT_PORT']
EOF
    prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
      --web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn \
      >"$WORK/prometheus.log" 2>&1 &
    PROM_PID=$!
    track_pid "$PROM_PID"
    for ((i = 0; i < 150; i++)); do
      if ! is_alive "$PROM_PID"; then
        rc=0
        wait "$PROM_PID" || rc=$?
        if grep -qi "address already in use" "$WORK/prometheus.log"; then
          note "port $PROM_PORT taken, retrying"
          continue 2
        fi
        fail "prometheus exited with status $rc at start: $(tail -20 "$WORK/prometheus.log")"
      fi
      if curl -sf --max-time 2 "$PROM_URL/-/ready" >/dev/null 2>&1 && is_alive "$PROM_PID"; then
        return 0
      fi
      sleep 0.2
    done
    fail "prometheus not ready on $PROM_URL within 30s: $(tail -20 "$WORK/prometheus.log")"
  done
  fail "prometheus could not bind a port after 5 attempts"
}
start_prometheus
note "prometheus on $PROM_URL (pid $PROM_PID)"

# prom_query EXPR: prints the value of the single sample EXPR evaluates to, or RESULTS=<n> when
# the answer does not hold exactly one sample, or HTTP_ERROR.
prom_query() {
  local body n
  body=$(curl -sf --max-time 5 -G --data-urlencode "query=$1" "$PROM_URL/api/v1/query") || {
    echo HTTP_ERROR
    return
  }
  n=$(grep -o '"value":\[' <<<"$body" | wc -l)
  if [ "$n" != 1 ]; then
    echo "RESULTS=$n"
    return
  fi
  sed -n 's/.*"value":\[[^,]*,"\([^"]*\)"\].*/\1/p' <<<"$body"
}

target_up() {
  local body
  body=$(curl -sf --max-time 5 "$PROM_URL/api/v1/targets") || return 1
  grep -q "\"scrapeUrl\":\"http://127.0.0.1:$LT_PORT/metrics\"" <<<"$body" &&
    grep -q '"health":"up"' <<<"$body"
}
query_is() { [ "$(prom_query "$1")" == "$2" ]; }

# assert_query EXPR EXPECTED: the value equals EXPECTED exactly (as Prometheus prints it).
assert_query() {
  local got
  got=$(prom_query "$1")
  [ "$got" == "$2" ] || fail "query $1: expected $2, got '$got'"
}
# assert_query_num EXPR EXPECTED: numerically equal within 1e-9.
assert_query_num() {
  local got
  got=$(prom_query "$1")
  num_eq "$got" "$2" 1e-9 || fail "query $1: expected $2 (within 1e-9), got '$got'"
}

# check_all PHASE: waits for the last scrape to hold every line written so far, then asserts
# every series against the tallies.
check_all() {
  local phase=$1 key m s r le expected_sum
  wait_for 30 "[$phase] Prometheus to see logtally_records_total{source=\"access\"} == $LINES" \
    query_is 'logtally_records_total{source="access"}' "$LINES"
  wait_for 30 "[$phase] Prometheus to see sum(http_requests_total) == $((LINES - INVALID))" \
    query_is 'sum(http_requests_total)' "$((LINES - INVALID))"
  wait_for 30 "[$phase] Prometheus to see invalid_json drops == $INVALID" \
    query_is 'logtally_records_dropped_total{pipeline="web",reason="invalid_json"}' "$INVALID"
  wait_for 30 "[$phase] Prometheus to see http_response_bytes_total == $BYTES_TOTAL" \
    query_is 'http_response_bytes_total' "$BYTES_TOTAL"

  assert_query 'up{job="logtally"}' 1
  assert_query 'count(http_requests_total)' "${#REQS[@]}"
  for key in "${!REQS[@]}"; do
    m=${key% *}
    s=${key#* }
    assert_query "http_requests_total{method=\"$m\",status=\"$s\"}" "${REQS[$key]}"
  done
  assert_query 'http_response_bytes_total' "$BYTES_TOTAL"
  assert_query 'http_inflight_max' "$INFLIGHT_MAX"
  assert_query 'count(http_request_duration_seconds_count)' "${#COUNT[@]}"
  for r in "${!COUNT[@]}"; do
    assert_query "http_request_duration_seconds_count{route=\"$r\"}" "${COUNT[$r]}"
    expected_sum=$(awk -v ms="${SUM_MS[$r]}" 'BEGIN { printf "%.6f", ms / 1000 }')
    assert_query_num "http_request_duration_seconds_sum{route=\"$r\"}" "$expected_sum"
    for le in "${BOUNDS[@]}" +Inf; do
      assert_query "http_request_duration_seconds_bucket{route=\"$r\",le=\"$le\"}" \
        "${BUCKET["$r $le"]}"
    done
  done
  assert_query 'logtally_records_dropped_total{pipeline="web",reason="invalid_json"}' "$INVALID"
  assert_query 'sum(logtally_records_dropped_total{pipeline="web",reason!="invalid_json"})' 0
  assert_query 'logtally_records_total{source="access"}' "$LINES"
  assert_query "logtally_bytes_total{source=\"access\"}" "$(wc -c <"$INPUT" | tr -d ' ')"
  note "[$phase] $LINES lines: all series match through Prometheus"
}

wait_for 30 "Prometheus target 127.0.0.1:$LT_PORT to be up" target_up
check_all "initial 50 lines"

# Append: 19 more valid lines (one with a new inflight maximum) and one more invalid line.
for ((i = 49; i <= 66; i++)); do add_valid "$i"; done
add_invalid '{"method":'
add_valid 67 $((INFLIGHT_MAX + 100))
[ "$LINES" = 70 ] || fail "script error: $LINES lines after append, wanted 70"
check_all "after appending 20 lines"

# SIGTERM stops logtally promptly with status 0.
kill -TERM "$LT_PID"
wait_exit "$LT_PID" 5 || fail "logtally still running 5s after SIGTERM"
assert_eq "logtally exit status after SIGTERM" 0 "$WAIT_RC"
kill -TERM "$PROM_PID"
wait_exit "$PROM_PID" 10 || fail "prometheus still running 10s after SIGTERM"
e2e_finish
