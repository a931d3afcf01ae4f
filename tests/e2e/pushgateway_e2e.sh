#!/usr/bin/env bash
# logtally --once pushes its final result to a real Prometheus Pushgateway (Debian's
# prometheus-pushgateway); the values and grouping labels are read back from the gateway.
# PUT replaces the whole group, POST only the metrics of the same names.
source "$(dirname "$0")/lib.sh"

command -v prometheus-pushgateway >/dev/null ||
  fail "prometheus-pushgateway is not installed (scripts/install-deps.sh installs it)"

start_pushgateway() {
  local attempt i
  for ((attempt = 1; attempt <= 5; attempt++)); do
    PG_PORT=$(random_free_port)
    prometheus-pushgateway --web.listen-address="127.0.0.1:$PG_PORT" \
      --persistence.file="$WORK/pg.data" >"$WORK/pg.log" 2>&1 &
    PG_PID=$!
    track_pid "$PG_PID"
    for ((i = 0; i < 100; i++)); do
      is_alive "$PG_PID" || continue 2
      curl -sf --max-time 2 "http://127.0.0.1:$PG_PORT/-/ready" >/dev/null && return 0
      sleep 0.1
    done
    fail "pushgateway did not get ready: $(cat "$WORK/pg.log")"
  done
  fail "pushgateway could not bind a port after 5 attempts"
}
start_pushgateway
PG="http://127.0.0.1:$PG_PORT"

# config METRIC_NAME METHOD: a config with one counter named METRIC_NAME pushed with METHOD.
config() {
  cat >"$WORK/$1.yaml" <<YAML
sources: { in: { type: stdin } }
pipelines:
  p:
    inputs: [in]
    parser: json
    metrics:
      - { name: $1, type: counter, labels: { code: code } }
      - { name: ${1}_latency_seconds, type: histogram, value: ms, scale: 0.001, buckets: [0.1, 1] }
sinks:
  pg:
    type: pushgateway
    url: $PG
    job: nightly
    grouping: { instance: "host/1", team: ops }
    method: $2
    interval: 1h
    timeout: 5s
YAML
}

printf '%s\n' '{"code":"200","ms":50}' '{"code":"200","ms":500}' '{"code":"500","ms":5000}' \
  'not json' >"$WORK/in.jsonl"

config batch_a_total put
"$LOGTALLY" --once --config "$WORK/batch_a_total.yaml" <"$WORK/in.jsonl" >"$WORK/a.out" 2>"$WORK/a.err" ||
  fail "logtally --once failed: $(cat "$WORK/a.err")"
curl -sf --max-time 5 "$PG/metrics" >"$WORK/pg1.txt" || fail "GET $PG/metrics failed"
# The gateway sorts labels by name; $G holds the grouping labels where they sort first.
G='instance="host/1",job="nightly",team="ops"'
assert_expo "$WORK/pg1.txt" "batch_a_total{code=\"200\",$G}" 2
assert_expo "$WORK/pg1.txt" "batch_a_total{code=\"500\",$G}" 1
assert_expo "$WORK/pg1.txt" "batch_a_total_latency_seconds_bucket{$G,le=\"0.1\"}" 1
assert_expo "$WORK/pg1.txt" "batch_a_total_latency_seconds_bucket{$G,le=\"1\"}" 2
assert_expo "$WORK/pg1.txt" "batch_a_total_latency_seconds_bucket{$G,le=\"+Inf\"}" 3
assert_expo "$WORK/pg1.txt" "batch_a_total_latency_seconds_sum{$G}" 5.55
assert_expo "$WORK/pg1.txt" "batch_a_total_latency_seconds_count{$G}" 3
assert_expo "$WORK/pg1.txt" "logtally_records_total{instance=\"host/1\",job=\"nightly\",source=\"in\",team=\"ops\"}" 4
assert_expo "$WORK/pg1.txt" "logtally_records_dropped_total{instance=\"host/1\",job=\"nightly\",pipeline=\"p\",reason=\"invalid_json\",team=\"ops\"}" 1
# The gateway's own record of the push, from its JSON API.
curl -sf --max-time 5 "$PG/api/v1/metrics" >"$WORK/api.json" || fail "GET /api/v1/metrics failed"
grep -q '"labels":{"instance":"host/1","job":"nightly","team":"ops"},"last_push_successful":true' \
  "$WORK/api.json" || fail "no successful push of group {instance=host/1,job=nightly,team=ops}: $(head -c 800 "$WORK/api.json")"
# --once still prints the same result on stdout.
assert_expo "$WORK/a.out" 'batch_a_total{code="200"}' 2

# POST adds batch_b_total to the group and keeps batch_a_total.
config batch_b_total post
printf '%s\n' '{"code":"404","ms":1}' | "$LOGTALLY" --once --config "$WORK/batch_b_total.yaml" \
  >/dev/null 2>"$WORK/b.err" || fail "logtally --once (post) failed: $(cat "$WORK/b.err")"
curl -sf --max-time 5 "$PG/metrics" >"$WORK/pg2.txt" || fail "GET $PG/metrics failed"
assert_expo "$WORK/pg2.txt" "batch_b_total{code=\"404\",$G}" 1
assert_expo "$WORK/pg2.txt" "batch_a_total{code=\"200\",$G}" 2
assert_expo "$WORK/pg2.txt" "logtally_records_total{instance=\"host/1\",job=\"nightly\",source=\"in\",team=\"ops\"}" 1

# PUT replaces the group: batch_a_total and batch_b_total are gone.
config batch_c_total put
printf '%s\n' '{"code":"200","ms":1}' | "$LOGTALLY" --once --config "$WORK/batch_c_total.yaml" \
  >/dev/null 2>"$WORK/c.err" || fail "logtally --once (put) failed: $(cat "$WORK/c.err")"
curl -sf --max-time 5 "$PG/metrics" >"$WORK/pg3.txt" || fail "GET $PG/metrics failed"
assert_expo "$WORK/pg3.txt" "batch_c_total{code=\"200\",$G}" 1
grep -q '^batch_a_total{' "$WORK/pg3.txt" && fail "PUT left batch_a_total in the group"
grep -q '^batch_b_total{' "$WORK/pg3.txt" && fail "PUT left batch_b_total in the group"

# A gateway that is down: --once still prints its result and exits 0 at once (connection
# refused), logging the failed push.
kill -TERM "$PG_PID"
wait_exit "$PG_PID" 10 || fail "pushgateway did not stop"
start=$(date +%s%N)
printf '%s\n' '{"code":"200","ms":1}' | "$LOGTALLY" --once --config "$WORK/batch_c_total.yaml" \
  >"$WORK/d.out" 2>"$WORK/d.err" || fail "logtally --once with the gateway down failed"
took_ms=$((($(date +%s%N) - start) / 1000000))
assert_expo "$WORK/d.out" 'batch_c_total{code="200"}' 1
grep -q "push to .* failed" "$WORK/d.err" || fail "no failed-push log line: $(cat "$WORK/d.err")"
[ "$took_ms" -lt 5000 ] || fail "--once took ${took_ms} ms with the gateway down"
note "gateway down: --once exited in ${took_ms} ms"
e2e_finish
