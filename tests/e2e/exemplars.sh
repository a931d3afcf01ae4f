#!/usr/bin/env bash
# Exemplars end to end (docs/exemplars.md): logtally follows a JSON log file whose records carry
# trace ids, with a histogram and a counter that declare `exemplar:`. It serves them on
# 127.0.0.1 and also pushes them by remote_write. One Debian prometheus, started with
# `--enable-feature=exemplar-storage --web.enable-remote-write-receiver`, scrapes the exporter
# (OpenMetrics, negotiated by Prometheus) as job "logtally" and receives the pushes, labelled
# job "rw". For both, /api/v1/query_exemplars must return, for every bucket, only exemplars of
# records that fell in that bucket, with their trace id and value, and the newest record's
# among them; after more lines are appended, the new newest ones. The counter's exemplar
# carries both its labels.
#
# Usage: exemplars.sh /path/to/logtally      (needs /usr/bin/prometheus and curl)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

command -v prometheus >/dev/null || fail "prometheus is not installed (scripts/install-deps.sh installs it)"

INPUT="$WORK/app.log"
: >"$INPUT"

# Buckets 0.1, 0.5, 1 and +Inf; values are ms * 0.001. One worker: records are counted in file
# order, so "newest" is the last line that fell in a bucket.
write_config() {
  cat >"$WORK/logtally.tmpl" <<EOF
workers: 1
sources:
  app: { type: file, path: "$INPUT", start_at: beginning }
pipelines:
  web:
    inputs: [app]
    parser: json
    metrics:
      - name: requests_total
        type: counter
        exemplar: { trace_id: trace, span_id: span }
      - name: latency_seconds
        type: histogram
        value: ms
        scale: 0.001
        buckets: [0.1, 0.5, 1]
        exemplar: { trace_id: trace }
sinks:
  prom: { type: prometheus_exporter, listen: "127.0.0.1:@PORT@", path: /metrics }
  rw:
    type: prometheus_remote_write
    url: "$PROM_URL/api/v1/write"
    interval: 500ms
    timeout: 5s
    external_labels: { job: rw }
EOF
}

# The records and, per bucket, every (trace value) that fell in it and the newest one.
declare -A IN_BUCKET=() NEWEST=()
NEWEST_ALL=""
add() {  # add TRACE SPAN MS
  local le value
  value=$(awk -v ms="$3" 'BEGIN { printf "%.10g", ms / 1000 }')
  printf '{"trace":"%s","span":"%s","ms":%d}\n' "$1" "$2" "$3" >>"$INPUT"
  if (($3 <= 100)); then le=0.1; elif (($3 <= 500)); then le=0.5; elif (($3 <= 1000)); then le=1; else le=+Inf; fi
  IN_BUCKET[$le]="${IN_BUCKET[$le]:-} $1=$value "
  NEWEST[$le]="$1 $value"
  NEWEST_ALL="$1 $2"
}

# ---- Prometheus: scrapes logtally and receives its remote_write -----------------------------
start_prometheus() {
  local attempt i rc
  mkdir -p "$WORK/tsdb"
  for ((attempt = 1; attempt <= 5; attempt++)); do
    PROM_PORT=$(random_free_port)
    LT_PORT=$(random_free_port)
    [ "$PROM_PORT" = "$LT_PORT" ] && continue
    PROM_URL="http://127.0.0.1:$PROM_PORT"
    cat >"$WORK/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: logtally
    static_configs:
      - targets: ['127.0.0.1:$LT_PORT']
EOF
    prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
      --web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn \
      --web.enable-remote-write-receiver --enable-feature=exemplar-storage \
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

# ---- Reading exemplars back -----------------------------------------------------------------
# The exemplars' times are when logtally read the records: the window is wide around now.
START=$(($(date +%s) - 3600))
END=$(($(date +%s) + 3600))

# exemplars SELECTOR: the raw JSON answer of /api/v1/query_exemplars (empty on an HTTP error).
exemplars() {
  curl -sf --max-time 5 -G --data-urlencode "query=$1" --data-urlencode "start=$START" \
    --data-urlencode "end=$END" "$PROM_URL/api/v1/query_exemplars" || true
}

# bucket_exemplars JOB: one line "LE TRACE VALUE" per exemplar of latency_seconds_bucket{job=JOB}.
bucket_exemplars() {
  local body chunk le
  body=$(exemplars "latency_seconds_bucket{job=\"$1\"}")
  # One series per line: {"seriesLabels":{...},"exemplars":[{"labels":{"trace_id":"a1"},
  # "value":"0.05","timestamp":...},...]}
  sed 's/{"seriesLabels"/\n&/g' <<<"$body" | while IFS= read -r chunk; do
    le=$(grep -o '"le":"[^"]*"' <<<"$chunk" | head -1 | cut -d'"' -f4)
    [ -n "$le" ] || continue
    grep -o '"labels":{"trace_id":"[^"]*"},"value":"[^"]*"' <<<"$chunk" |
      sed "s/.*\"trace_id\":\"\([^\"]*\)\"},\"value\":\"\([^\"]*\)\"/$le \1 \2/"
  done | sort
}

# has_newest JOB: every bucket's newest record is among its exemplars.
has_newest() {
  local got le
  got=$(bucket_exemplars "$1")
  for le in "${!NEWEST[@]}"; do
    grep -qxF "$le ${NEWEST[$le]}" <<<"$got" || return 1
  done
}

# check JOB PHASE: waits (bounded) for the newest exemplar of every bucket, then checks that
# every exemplar Prometheus holds is of a record that fell in its bucket, with that record's
# value, and that the counter's newest exemplar carries trace_id and span_id.
check() {
  local job=$1 phase=$2 le trace value n=0
  wait_for 30 "[$phase] query_exemplars to hold the newest exemplar of each bucket of job=$job" \
    has_newest "$job"
  while read -r le trace value; do
    [ -n "$le" ] || continue
    case "${IN_BUCKET[$le]:-}" in
      *" $trace=$value "*) n=$((n + 1)) ;;
      *) fail "[$phase] job=$job bucket le=$le holds exemplar $trace $value, which is no record of that bucket (records: ${IN_BUCKET[$le]:-none})" ;;
    esac
  done < <(bucket_exemplars "$job")
  note "[$phase] job=$job: $n bucket exemplars, each a record of its bucket, newest included: $(bucket_exemplars "$job" | tr '\n' ';')"
  wait_for 30 "[$phase] the counter's newest exemplar (job=$job)" counter_has_newest "$job"
}

# counter_has_newest JOB: requests_total's exemplars include the newest record's, with both
# labels (Prometheus sorts them by name) and the increment 1 as its value.
counter_has_newest() {
  local trace span
  read -r trace span <<<"$NEWEST_ALL"
  exemplars "requests_total{job=\"$1\"}" |
    grep -qF "\"labels\":{\"span_id\":\"$span\",\"trace_id\":\"$trace\"},\"value\":\"1\""
}

start_prometheus
note "prometheus on $PROM_URL (pid $PROM_PID)"
write_config

add a1 s1 50
add b1 s2 300
add a2 s3 80
add c1 s4 700
add d1 s5 2500
add c2 s6 900

# The exporter on the port Prometheus scrapes (start_logtally would pick another one).
sed "s/@PORT@/$LT_PORT/g" "$WORK/logtally.tmpl" >"$WORK/logtally.yaml"
"$LOGTALLY" --config "$WORK/logtally.yaml" </dev/null >"$WORK/logtally.out" 2>"$WORK/logtally.err" &
LT_PID=$!
track_pid "$LT_PID"
LT_URL="http://127.0.0.1:$LT_PORT/metrics"
wait_for 30 "logtally to serve $LT_URL" \
  bash -c "curl -sf --max-time 2 '$LT_URL' | grep -q '^logtally_build_info'"
is_alive "$LT_PID" || fail "logtally exited: $(cat "$WORK/logtally.err")"

# What Prometheus reads: OpenMetrics with exemplars; the text format has none.
wait_for 30 "logtally to count 6 records" \
  bash -c "curl -sf --max-time 2 '$LT_URL' | grep -qx 'latency_seconds_count 6'"
curl -sf --max-time 5 -H 'Accept: application/openmetrics-text; version=1.0.0' "$LT_URL" \
  >"$WORK/om.txt" || fail "OpenMetrics scrape failed"
grep -q '^latency_seconds_bucket{le="0.1"} 2 # {trace_id="a2"} 0.08 [0-9.]*$' "$WORK/om.txt" ||
  fail "no exemplar on le=0.1 in the OpenMetrics scrape: $(grep latency_seconds "$WORK/om.txt")"
grep -q '^requests_total 6 # {trace_id="c2",span_id="s6"} 1 [0-9.]*$' "$WORK/om.txt" ||
  fail "no exemplar on requests_total: $(grep requests "$WORK/om.txt")"
curl -sf --max-time 5 "$LT_URL" >"$WORK/text.txt" || fail "text scrape failed"
grep -q ' # {' "$WORK/text.txt" && fail "the text format carries an exemplar: $(grep ' # {' "$WORK/text.txt")"

check logtally "scrape, 6 records"
check rw "remote_write, 6 records"

# Newer records: le=0.1 and +Inf get new newest ones.
add a3 s7 20
add d2 s8 1500
check logtally "scrape, 8 records"
check rw "remote_write, 8 records"

grep -q "logtally_exemplars_dropped_total{metric=\"latency_seconds\",reason=\"too_long\"} 0" \
  <(curl -sf --max-time 5 "$LT_URL") || fail "logtally_exemplars_dropped_total missing"

kill -TERM "$LT_PID"
wait_exit "$LT_PID" 20 || fail "logtally did not stop within 20s of SIGTERM"
assert_eq "logtally exit status after SIGTERM" 0 "$WAIT_RC"
kill -TERM "$PROM_PID"
wait_exit "$PROM_PID" 20 || fail "prometheus did not stop within 20s"
e2e_finish
