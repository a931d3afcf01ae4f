#!/usr/bin/env bash
# logtally backfill --remote-write end to end (docs/backfill.md), on the records of backfill.sh
# (three hours of January 2026, shuffled within minutes, newest hour first):
# 1. Debian's Prometheus as a remote write receiver with an out-of-order window of 400 days, whose
#    TSDB already holds a sample of now (so the history is ~11 months older than its head): the
#    backfill, sent in requests of at most 50 samples, is accepted; /api/v1/query?time=T answers
#    the same exact counters, buckets and count as backfill.sh at 7 boundaries, and every sample
#    Prometheus holds equals the --out file's written by the same run (query_range, all series).
# 2. Without the out-of-order window: an empty Prometheus takes the history (requests go forward
#    in time); once it holds a sample of now, it refuses the same history (HTTP 400, out of
#    bounds) and backfill stops at the first request, says so, and exits 1.
# 3. A scripted receiver: 503, 503, 429 then 204 is retried and succeeds; a 400 is not retried
#    (one request, exit 1); a port where nothing listens fails after the bounded retries (exit 1).
# 4. Neither --out nor --remote-write is a usage error (exit 2).
#
# Usage: backfill_remote_write.sh /path/to/logtally   (needs prometheus, curl, python3)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"
source "$(dirname "${BASH_SOURCE[0]}")/remote_write_lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/backfill_lib.sh"
RESPONDER="$(cd "$(dirname "${BASH_SOURCE[0]}")/../tools" && pwd)/http_responder.py"
command -v prometheus >/dev/null || fail "prometheus is not installed (scripts/install-deps.sh installs it)"
command -v python3 >/dev/null || fail "python3 is not installed"

backfill_data

# push_now URL: one sample of now_total at the boundary after now (1 s step), so that the
# receiver's head is at the present before the history comes.
push_now() {
  echo "{\"ts\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}" >"$WORK/now.log"
  cat >"$WORK/now.yaml" <<YAML
sources:
  now: { type: file, path: "$WORK/now.log" }
pipelines:
  now:
    inputs: [now]
    parser: json
    timestamp: { field: ts, format: rfc3339 }
    metrics:
      - { name: now_total, type: counter }
YAML
  timeout 60 "$LOGTALLY" backfill --config "$WORK/now.yaml" --step 1s --remote-write "$1" \
    2>"$WORK/now.err" || fail "pushing a sample of now failed: $(cat "$WORK/now.err")"
}

# ---- 1. Prometheus with an out-of-order window -------------------------------------------------
PROM_NATIVE=0 PROM_TSDB="$WORK/tsdb-ooo" PROM_FLAGS="--storage.tsdb.retention.time=100y" \
  PROM_YML_EXTRA=$'storage:\n  tsdb:\n    out_of_order_time_window: 400d' start_prometheus_receiver
note "prometheus $(prometheus --version 2>&1 | head -1 | cut -d' ' -f3) on $PROM_URL, out_of_order_time_window 400d"
push_now "$PROM_URL/api/v1/write"
wait_for 10 "the sample of now" query_is 'now_total' 1

timeout 120 "$LOGTALLY" backfill --config "$WORK/backfill.yaml" --step 5m --out "$WORK/history.om" \
  --remote-write "$PROM_URL/api/v1/write" --remote-write-batch 50 2>"$WORK/backfill.err" ||
  fail "backfill --remote-write failed: $(cat "$WORK/backfill.err")"
note "$(cat "$WORK/backfill.err")"
# 8 series (2 of reqs_total, 3 buckets + _count + _sum, queue_last) at 36 boundaries, 50 a request.
grep -q "^backfill: remote write to $PROM_URL/api/v1/write: 8 series, 288 samples in 6 requests (at most 50 samples each), 0 retries$" \
  "$WORK/backfill.err" || fail "summary: $(cat "$WORK/backfill.err")"
grep -q "dropped: web/bad_timestamp=2" "$WORK/backfill.err" || fail "drops: $(cat "$WORK/backfill.err")"

checked=0
for minutes in 5 35 60 95 120 150 180; do
  T=$((T0 + minutes * 60))
  assert_eq "reqs_total{status=\"500\"} at +${minutes}m" "$(expected 500 $T)" "$(value_at 'reqs_total{status="500"}' $T)"
  assert_eq "reqs_total{status=\"200\"} at +${minutes}m" "$(expected 200 $T)" "$(value_at 'reqs_total{status="200"}' $T)"
  assert_eq "dur_seconds_bucket{le=\"0.1\"} at +${minutes}m" "$(expected_bucket 0.1 $T)" "$(value_at 'dur_seconds_bucket{le="0.1"}' $T)"
  assert_eq "dur_seconds_bucket{le=\"0.5\"} at +${minutes}m" "$(expected_bucket 0.5 $T)" "$(value_at 'dur_seconds_bucket{le="0.5"}' $T)"
  assert_eq "dur_seconds_bucket{le=\"+Inf\"} at +${minutes}m" "$(expected all $T)" "$(value_at 'dur_seconds_bucket{le="+Inf"}' $T)"
  assert_eq "dur_seconds_count at +${minutes}m" "$(expected all $T)" "$(value_at 'dur_seconds_count' $T)"
  checked=$((checked + 6))
done
assert_eq "queue_last at +35m" "$(expected_queue $((T0 + 2100)))" "$(value_at 'queue_last' $((T0 + 2100)))"
assert_eq "nothing before the first boundary" "RESULTS=0" "$(value_at 'reqs_total{status="500"}' $((T0 + 299)))"
note "$checked values read back from Prometheus at 7 boundaries, all exact ($lines records)"

# Every sample of the --out file, and no other, is in Prometheus with the same value.
curl -sf --max-time 10 -G --data-urlencode 'query={__name__=~"reqs_total|dur_seconds_.*|queue_last"}' \
  --data-urlencode "start=$((T0 + 300))" --data-urlencode "end=$((T0 + 10800))" \
  --data-urlencode "step=300" "$PROM_URL/api/v1/query_range" >"$WORK/range.json" ||
  fail "query_range failed"
python3 - "$WORK/history.om" "$WORK/range.json" >"$WORK/compare.txt" 2>&1 <<'PY' ||
import json, re, sys
om = {}
for line in open(sys.argv[1]):
    if line.startswith("#"):
        continue
    m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+) (\S+)$', line.strip())
    if not m:
        sys.exit("unparsed line: " + line)
    labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"', m.group(2) or ""))
    labels["__name__"] = m.group(1)
    om.setdefault(tuple(sorted(labels.items())), {})[int(float(m.group(4)))] = float(m.group(3))
prom = {}
for r in json.load(open(sys.argv[2]))["data"]["result"]:
    prom[tuple(sorted(r["metric"].items()))] = {int(t): float(v) for t, v in r["values"]}
if set(om) != set(prom):
    sys.exit("series differ: only in the file %s, only in Prometheus %s" %
             (sorted(set(om) - set(prom)), sorted(set(prom) - set(om))))
n = 0
for key, samples in om.items():
    if samples != prom[key]:
        sys.exit("%s: file %s, Prometheus %s" % (key, samples, prom[key]))
    n += len(samples)
print("%d series, %d samples equal" % (len(om), n))
PY
  fail "Prometheus and the --out file differ: $(cat "$WORK/compare.txt")"
assert_eq "file vs Prometheus" "8 series, 288 samples equal" "$(cat "$WORK/compare.txt")"
note "every sample of the --out file is in Prometheus, exactly"
stop_prometheus

# ---- 2. Prometheus without the window -----------------------------------------------------------
# Empty, it takes the history: the requests go forward in time, so none is older than its head.
PROM_NATIVE=0 PROM_TSDB="$WORK/tsdb-plain" start_prometheus_receiver
timeout 120 "$LOGTALLY" backfill --config "$WORK/backfill.yaml" --step 5m \
  --remote-write "$PROM_URL/api/v1/write" --remote-write-batch 50 2>"$WORK/empty.err" ||
  fail "backfill to an empty Prometheus without the window: $(cat "$WORK/empty.err")"
for minutes in 5 95 180; do
  T=$((T0 + minutes * 60))
  assert_eq "empty TSDB: reqs_total{status=\"200\"} at +${minutes}m" "$(expected 200 $T)" "$(value_at 'reqs_total{status="200"}' $T)"
  assert_eq "empty TSDB: dur_seconds_bucket{le=\"0.1\"} at +${minutes}m" "$(expected_bucket 0.1 $T)" "$(value_at 'dur_seconds_bucket{le="0.1"}' $T)"
done
note "an empty Prometheus without out_of_order_time_window took the history"
# Once it holds a sample of now, the same history is out of bounds: refused, not retried.
push_now "$PROM_URL/api/v1/write"
wait_for 10 "the sample of now" query_is 'now_total' 1
rc=0
timeout 120 "$LOGTALLY" backfill --config "$WORK/backfill.yaml" --step 5m \
  --remote-write "$PROM_URL/api/v1/write" --remote-write-batch 50 2>"$WORK/refused.err" || rc=$?
assert_eq "exit status when refused" 1 "$rc"
grep -q "^logtally: backfill: remote write to $PROM_URL/api/v1/write: request 1 (50 samples from 2026-01-01T00:05:00Z) refused, not retried: HTTP 400: .*out of bounds.*; 0 samples in 0 requests were accepted before it$" \
  "$WORK/refused.err" || fail "refusal message: $(cat "$WORK/refused.err")"
grep -q ": 8 series, 0 samples in 0 requests (at most 50 samples each), 0 retries; stopped at the failure below$" \
  "$WORK/refused.err" || fail "summary when refused: $(cat "$WORK/refused.err")"
note "without out_of_order_time_window: $(grep -o 'HTTP 400: [^;]*' "$WORK/refused.err")"
stop_prometheus

# ---- 3. A scripted receiver --------------------------------------------------------------------
# start_responder CODES: sets RESP_URL, RESP_LOG, RESP_PID.
start_responder() {
  RESP_LOG="$WORK/responder.$1.log"
  : >"$RESP_LOG"
  rm -f "$WORK/responder.port"
  python3 "$RESPONDER" "$WORK/responder.port" "$RESP_LOG" "$@" 2>"$WORK/responder.err" &
  RESP_PID=$!
  track_pid "$RESP_PID"
  wait_for 10 "responder port" test -s "$WORK/responder.port"
  RESP_URL="http://127.0.0.1:$(cat "$WORK/responder.port")/api/v1/write"
}
stop_responder() {
  kill -TERM "$RESP_PID"
  wait_exit "$RESP_PID" 10 || fail "responder did not stop"
}
# with_sink URL: backfill.yaml plus a remote_write sink for URL with a short backoff, which
# --remote-write URL borrows.
with_sink() {
  cat "$WORK/backfill.yaml" - >"$WORK/with-sink.yaml" <<YAML
sinks:
  rw:
    type: prometheus_remote_write
    url: "$1"
    timeout: 2s
    min_backoff: 50ms
    max_backoff: 200ms
YAML
}

start_responder 503,503,429,204
with_sink "$RESP_URL"
timeout 60 "$LOGTALLY" backfill --config "$WORK/with-sink.yaml" --step 5m --remote-write "$RESP_URL" \
  2>"$WORK/retry.err" || fail "backfill with 503, 503, 429 then 204: $(cat "$WORK/retry.err")"
assert_eq "statuses answered" "503 503 429 204" "$(cut -d' ' -f1 "$RESP_LOG" | tr '\n' ' ' | sed 's/ $//')"
grep -q ": 8 series, 288 samples in 1 requests (at most 5000 samples each), 3 retries$" "$WORK/retry.err" ||
  fail "summary after retries: $(cat "$WORK/retry.err")"
head -1 "$RESP_LOG" | grep -q '^503 snappy application/x-protobuf 0.1.0 ' || fail "request headers: $(head -1 "$RESP_LOG")"
stop_responder
note "503, 503, 429 then 204: retried 3 times, then accepted"

start_responder 400
with_sink "$RESP_URL"
rc=0
timeout 60 "$LOGTALLY" backfill --config "$WORK/with-sink.yaml" --step 5m --remote-write "$RESP_URL" \
  2>"$WORK/400.err" || rc=$?
assert_eq "exit status after a 400" 1 "$rc"
assert_eq "requests sent to a 400" 1 "$(wc -l <"$RESP_LOG")"
grep -q "request 1 (288 samples from 2026-01-01T00:05:00Z) refused, not retried: HTTP 400: refused by test responder; 0 samples in 0 requests were accepted before it$" \
  "$WORK/400.err" || fail "400 message: $(cat "$WORK/400.err")"
stop_responder
note "400: one request, not retried, exit 1"

DEAD_URL="http://127.0.0.1:$(random_free_port)/api/v1/write"
with_sink "$DEAD_URL"
rc=0
timeout 60 "$LOGTALLY" backfill --config "$WORK/with-sink.yaml" --step 5m --remote-write "$DEAD_URL" \
  2>"$WORK/dead.err" || rc=$?
assert_eq "exit status with nothing listening" 1 "$rc"
grep -q "request 1 (288 samples from 2026-01-01T00:05:00Z) failed after 7 attempts: .*; 0 samples in 0 requests were accepted before it$" \
  "$WORK/dead.err" || fail "connection refused message: $(cat "$WORK/dead.err")"
note "nothing listening: $(grep -o 'failed after [^;]*' "$WORK/dead.err")"

# ---- 4. Usage ---------------------------------------------------------------------------------
rc=0
"$LOGTALLY" backfill --config "$WORK/backfill.yaml" --step 5m 2>"$WORK/usage.err" || rc=$?
assert_eq "exit status without --out or --remote-write" 2 "$rc"
grep -q "backfill needs --out FILE (- for stdout), --remote-write URL, or both" "$WORK/usage.err" ||
  fail "usage message: $(cat "$WORK/usage.err")"
rc=0
"$LOGTALLY" backfill --config "$WORK/backfill.yaml" --step 5m --remote-write localhost:9090 \
  2>"$WORK/usage2.err" || rc=$?
assert_eq "exit status with a URL without scheme" 2 "$rc"
grep -q "remote-write needs an http:// or https:// URL, got 'localhost:9090'" "$WORK/usage2.err" ||
  fail "usage message: $(cat "$WORK/usage2.err")"
e2e_finish
