#!/usr/bin/env bash
# Kafka end to end against librdkafka's mock cluster: kcat produces a known set of messages,
# `logtally --once` consumes every assigned partition to its end, and the counters must match
# exactly. Covers a ^regex subscription, _source.topic/_source.partition labels, a CRI
# envelope over Kafka (partials joined within a partition, _source.stream), drops with
# reasons, and committed offsets: a second run counts only what was produced since.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/kafka_lib.sh"

start_mock_cluster app:4 cri:1

# 4000 JSON records, 1000 per level, plus 25 that are not JSON; keyed, so that they spread
# over the partitions (unkeyed messages stick to one partition for a while).
awk 'BEGIN {
  split("info warn error debug", lv, " ")
  for (i = 0; i < 4000; i++) printf "k%d\t{\"level\":\"%s\",\"n\":%d}\n", i, lv[i % 4 + 1], i
  for (i = 0; i < 25; i++) printf "k%d\tnot json %d\n", i, i
}' >"$WORK/app.txt"
produce app "$WORK/app.txt" -K $'\t'

# CRI lines: 100 stdout messages split into a P and an F piece (200 lines), 200 one-line
# stderr messages, 5 lines that are not CRI.
awk 'BEGIN {
  t = "2024-01-02T03:04:05.123456789Z"
  for (j = 1; j <= 300; j++) {
    if (j % 3 == 0) {
      printf "%s stdout P {\"level\":\"info\",\n", t
      printf "%s stdout F \"j\":%d}\n", t, j
    } else {
      printf "%s stderr F {\"level\":\"warn\",\"j\":%d}\n", t, j
    }
  }
  for (i = 0; i < 5; i++) printf "garbage %d\n", i
}' >"$WORK/cri.txt"
produce cri "$WORK/cri.txt"

# The mock cluster (librdkafka 2.0.2) keeps a group's old members until their session times
# out, even after they left; short sessions keep the second run's join short.
cat >"$WORK/kafka.yaml" <<YAML
workers: 2
sources:
  app:
    type: kafka
    brokers: "$BROKERS"
    topics: ["^app.*"]
    group: once
    librdkafka: { fetch.wait.max.ms: "50", session.timeout.ms: "6000", heartbeat.interval.ms: "500" }
  cri:
    type: kafka
    brokers: "$BROKERS"
    topics: [cri]
    group: once-cri
    format: cri
    librdkafka: { session.timeout.ms: "6000", heartbeat.interval.ms: "500" }
pipelines:
  app:
    inputs: [app]
    parser: json
    metrics:
      - name: app_records_total
        type: counter
        labels: { level: level, topic: _source.topic, partition: _source.partition }
  cri:
    inputs: [cri]
    parser: json
    metrics:
      - name: cri_records_total
        type: counter
        labels: { level: level, stream: _source.stream }
      - { name: cri_j_sum, type: counter, value: j }
YAML

run_once() {
  local t0=$SECONDS
  timeout 60 "$LOGTALLY" --config "$WORK/kafka.yaml" --once >"$WORK/$1.prom" 2>"$WORK/$1.err"
  local rc=$?
  [ $rc = 0 ] || fail "logtally --once exited with $rc: $(tail -20 "$WORK/$1.err")"
  note "run $1 took $((SECONDS - t0)) s"
}

run_once first
out="$WORK/first.prom"
for level in info warn error debug; do
  got=$(sum_series "$out" "app_records_total{level=\"$level\",topic=\"app\",")
  assert_eq "app records with level $level" 1000 "$got"
done
# Every message came with its partition; the 4 partitions together hold all 4000.
parts=$(grep -c '^app_records_total{level="info",topic="app",partition="[0-3]"}' "$out")
[ "$parts" -ge 2 ] || fail "expected records from several partitions, got $parts series"
assert_expo "$out" 'logtally_records_dropped_total{pipeline="app",reason="invalid_json"}' 25
assert_expo "$out" 'logtally_kafka_messages_total{source="app"}' 4025
assert_expo "$out" 'logtally_records_total{source="app"}' 4025
for p in 0 1 2 3; do
  assert_expo "$out" "logtally_kafka_consumer_lag{source=\"app\",topic=\"app\",partition=\"$p\"}" 0
done
assert_expo "$out" 'logtally_kafka_rebalances_total{source="app",event="assign"}' 1
assert_expo "$out" 'logtally_kafka_commit_failures_total{source="app"}' 0

assert_expo "$out" 'cri_records_total{level="info",stream="stdout"}' 100
assert_expo "$out" 'cri_records_total{level="warn",stream="stderr"}' 200
# sum of j over all 300 messages: the joined ones kept their second half.
assert_expo "$out" 'cri_j_sum' "$(awk 'BEGIN { s = 0; for (j = 1; j <= 300; j++) s += j; print s }')"
assert_expo "$out" 'logtally_records_dropped_total{pipeline="cri",reason="bad_envelope"}' 5
assert_expo "$out" 'logtally_records_dropped_total{pipeline="cri",reason="invalid_json"}' 0
assert_expo "$out" 'logtally_kafka_messages_total{source="cri"}' 405

# The offsets were committed: a second run in the same groups sees only the new messages.
awk 'BEGIN { for (i = 0; i < 40; i++) printf "{\"level\":\"info\"}\n" }' >"$WORK/more.txt"
produce app "$WORK/more.txt"
run_once second
out="$WORK/second.prom"
assert_eq "second run, info records" 40 "$(sum_series "$out" 'app_records_total{level="info",')"
assert_eq "second run, other levels" 40 "$(sum_series "$out" 'app_records_total{')"
assert_expo "$out" 'logtally_kafka_messages_total{source="app"}' 40
assert_expo "$out" 'logtally_kafka_messages_total{source="cri"}' 0

e2e_finish
