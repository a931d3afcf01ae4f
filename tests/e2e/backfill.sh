#!/usr/bin/env bash
# logtally backfill end to end (docs/backfill.md): three hours of JSON access records with known
# counts, their order shuffled within every minute and the hours written newest first; backfill
# with a 5 minute step; promtool turns the OpenMetrics into blocks; Debian's Prometheus, started
# on those blocks, must answer /api/v1/query?time=T with exactly the expected counter values and
# histogram buckets at several boundaries. Also: the step boundaries in the file itself, records
# without a readable time counted as bad_timestamp, and --max-samples.
#
# Usage: backfill.sh /path/to/logtally        (needs prometheus, promtool and curl)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/backfill_lib.sh"
command -v prometheus >/dev/null || fail "prometheus is not installed (scripts/install-deps.sh installs it)"
command -v promtool >/dev/null || fail "promtool is not installed (scripts/install-deps.sh installs it)"

backfill_data  # $WORK/access.log, truth.txt, backfill.yaml; T0, lines (backfill_lib.sh)

"$LOGTALLY" backfill --config "$WORK/backfill.yaml" --step 5m --out "$WORK/history.om" \
  2>"$WORK/backfill.err" || fail "backfill failed: $(cat "$WORK/backfill.err")"
note "$(cat "$WORK/backfill.err")"
grep -q "dropped: web/bad_timestamp=2" "$WORK/backfill.err" ||
  fail "backfill did not report the 2 bad_timestamp records: $(cat "$WORK/backfill.err")"
[ "$(tail -1 "$WORK/history.om")" = "# EOF" ] || fail "the output does not end in # EOF"

# The file itself: 36 boundaries of 5 minutes, from T0+5m (the first after the earliest record,
# at T0) to T0+3h (the first after the latest), for every series.
assert_eq "boundaries of reqs_total{status=\"500\"}" 36 "$(grep -c '^reqs_total{status="500"} ' "$WORK/history.om")"
first=$(grep '^reqs_total{status="500"} ' "$WORK/history.om" | head -1)
assert_eq "first sample" "reqs_total{status=\"500\"} $(expected 500 $((T0 + 300))) $((T0 + 300))" "$first"
last=$(grep '^reqs_total{status="200"} ' "$WORK/history.om" | tail -1)
assert_eq "last sample" "reqs_total{status=\"200\"} $(expected 200 $((T0 + 10800))) $((T0 + 10800))" "$last"
assert_eq "all records counted at the end" "$lines" "$(expected all $((T0 + 10800)))"
gauge=$(grep '^queue_last ' "$WORK/history.om" | sed -n 7p)
assert_eq "gauge at +35m" "queue_last $(expected_queue $((T0 + 2100))) $((T0 + 2100))" "$gauge"

# Blocks, then Prometheus on them.
promtool tsdb create-blocks-from openmetrics "$WORK/history.om" "$WORK/tsdb" >"$WORK/promtool.log" 2>&1 ||
  fail "promtool refused the output: $(tail -5 "$WORK/promtool.log")"
printf 'global:\n  scrape_interval: 1m\n' >"$WORK/prometheus.yml"
ready() { curl -sf --max-time 2 "$PROM_URL/-/ready" >/dev/null 2>&1; }
started=0
for ((attempt = 1; attempt <= 5 && started == 0; attempt++)); do
  PROM_PORT=$(random_free_port)
  PROM_URL="http://127.0.0.1:$PROM_PORT"
  prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
    --storage.tsdb.retention.time=100y --web.listen-address="127.0.0.1:$PROM_PORT" \
    --log.level=warn >"$WORK/prometheus.log" 2>&1 &
  PROM_PID=$!
  track_pid "$PROM_PID"
  for ((i = 0; i < 150; i++)); do
    is_alive "$PROM_PID" || break
    if ready; then
      started=1
      break
    fi
    sleep 0.2
  done
  [ $started = 1 ] && break
  grep -qi "address already in use" "$WORK/prometheus.log" && continue
  fail "prometheus did not start on the blocks: $(tail -20 "$WORK/prometheus.log")"
done
[ $started = 1 ] || fail "prometheus could not bind a port in 5 attempts"
note "prometheus on $PROM_URL with the backfilled blocks"

checked=0
for minutes in 5 35 60 95 120 150 180; do
  T=$((T0 + minutes * 60))
  assert_eq "reqs_total{status=\"500\"} at +${minutes}m" "$(expected 500 $T)" "$(value_at 'reqs_total{status="500"}' $T)"
  assert_eq "reqs_total{status=\"200\"} at +${minutes}m" "$(expected 200 $T)" "$(value_at 'reqs_total{status="200"}' $T)"
  assert_eq "dur_seconds_bucket{le=\"0.1\"} at +${minutes}m" "$(expected_bucket 0.1 $T)" "$(value_at 'dur_seconds_bucket{le="0.1"}' $T)"
  assert_eq "dur_seconds_bucket{le=\"0.5\"} at +${minutes}m" "$(expected_bucket 0.5 $T)" "$(value_at 'dur_seconds_bucket{le="0.5"}' $T)"
  assert_eq "dur_seconds_count at +${minutes}m" "$(expected all $T)" "$(value_at 'dur_seconds_count' $T)"
  checked=$((checked + 5))
done
note "$checked values read back from Prometheus at 7 boundaries, all exact ($lines records)"

# A limit too small is refused with the figure, and no output is left behind.
if "$LOGTALLY" backfill --config "$WORK/backfill.yaml" --step 1s --out "$WORK/big.om" \
  --max-samples 1000 2>"$WORK/limit.err"; then
  fail "backfill past --max-samples succeeded"
fi
grep -q "more than --max-samples 1000 samples" "$WORK/limit.err" || fail "limit message: $(cat "$WORK/limit.err")"
[ ! -e "$WORK/big.om" ] && [ ! -e "$WORK/big.om.tmp" ] || fail "a refused backfill left a file"

# A pipeline without a timestamp is refused before anything is read, at its line and column.
sed '/timestamp:/d' "$WORK/backfill.yaml" >"$WORK/no-time.yaml"
if "$LOGTALLY" backfill --config "$WORK/no-time.yaml" --step 5m --out "$WORK/x.om" 2>"$WORK/no-time.err"; then
  fail "backfill without a timestamp succeeded"
fi
grep -q "no-time.yaml:5:5: pipeline 'web' has no \`timestamp:\`" "$WORK/no-time.err" ||
  fail "no-timestamp message: $(cat "$WORK/no-time.err")"

kill -TERM "$PROM_PID"
wait_exit "$PROM_PID" 10 || fail "prometheus still running 10s after SIGTERM"
e2e_finish
