#!/usr/bin/env bash
# Kafka crash test (docs/ingest-kafka.md, docs/checkpoints.md): a producer writes keyed JSON
# messages to a 4-partition topic of librdkafka's mock cluster at a steady rate; logtally
# consumes them with checkpoints every 200 ms and is killed with SIGKILL at random moments,
# at least 20 times, and restarted each time. At the end a last `logtally --once` run (which
# loads the checkpoint and consumes every partition to its end) must report exactly the number
# of messages produced, per label value: offsets are committed only after the checkpoint that
# covers them is durable, and a restart resumes at max(saved, committed).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/kafka_lib.sh"

KILLS=${KILLS:-20}
state="$WORK/state"
mkdir -p "$state"
start_mock_cluster c:4

cat >"$WORK/c.yaml" <<YAML
sources:
  k:
    type: kafka
    brokers: "$BROKERS"
    topics: [c]
    group: crash
    librdkafka:
      # A killed instance stays a group member until its session times out; keep that short
      # so that each restart gets the partitions back quickly.
      session.timeout.ms: "3000"
      heartbeat.interval.ms: "200"
      fetch.wait.max.ms: "20"
pipelines:
  p:
    inputs: [k]
    parser: json
    metrics:
      - name: msgs_total
        type: counter
        labels: { level: level }
      - name: n_sum
        type: counter
        value: n
checkpoint: { dir: "$state", interval: 200ms }
workers: 2
YAML

# The producer: 50 keyed messages every ~50 ms until $WORK/stop exists; then records how many
# it produced.
producer() {
  local i=0 j lvl
  while [ ! -e "$WORK/stop" ]; do
    : >"$WORK/batch.txt"
    for ((j = 0; j < 50; j++)); do
      case $((i % 3)) in 0) lvl=info ;; 1) lvl=warn ;; *) lvl=error ;; esac
      printf 'k%d\t{"n":%d,"level":"%s"}\n' "$i" "$i" "$lvl" >>"$WORK/batch.txt"
      i=$((i + 1))
    done
    kcat -P -b "$BROKERS" -t c -K $'\t' -X log_level=3 <"$WORK/batch.txt" 2>>"$WORK/kcat.err" ||
      { echo "kcat failed" >"$WORK/producer.failed"; break; }
    sleep 0.05
  done
  echo "$i" >"$WORK/produced"
}
producer &
PRODUCER=$!
track_pid "$PRODUCER"

start() {
  "$LOGTALLY" --config "$WORK/c.yaml" >>"$WORK/run.out" 2>>"$WORK/run.err" &
  LT=$!
  track_pid "$LT"
}

assignments() {
  local n
  n=$(grep -c "assigned c\[" "$WORK/run.err" 2>/dev/null)
  echo "${n:-0}"
}

# wait_assigned N: until the N-th assignment appears in the log (the restarted instance owns
# partitions and is consuming), at most 30 s.
wait_assigned() {
  local i
  for ((i = 0; i < 300; i++)); do
    [ "$(assignments)" -ge "$1" ] && return 0
    sleep 0.1
  done
  fail "no partition assignment within 30 s after restart $1: $(tail -3 "$WORK/run.err")"
}

start
for ((kill_no = 1; kill_no <= KILLS; kill_no++)); do
  wait_assigned "$kill_no"
  # A random moment 0.05 .. 1.0 s into consuming.
  sleep "0.$((5 + RANDOM % 95))"
  is_alive "$LT" || fail "logtally exited on its own before kill $kill_no: $(tail -3 "$WORK/run.err")"
  kill -KILL "$LT"
  wait "$LT" 2>/dev/null
  start
done
sleep 0.5
kill -KILL "$LT"
wait "$LT" 2>/dev/null
touch "$WORK/stop"
wait "$PRODUCER"
[ -e "$WORK/producer.failed" ] && fail "the producer failed: $(tail -3 "$WORK/kcat.err")"
produced=$(cat "$WORK/produced")
[ "$produced" -gt 1000 ] || fail "the producer wrote only $produced messages"
restores=$(grep -c "restored #" "$WORK/run.err")
assigned=$(grep -c "assigned c\[" "$WORK/run.err")
note "produced $produced messages; $KILLS kills; $restores restores; $assigned assignments"
[ "$restores" -ge $((KILLS - 1)) ] || fail "only $restores of $KILLS restarts restored a checkpoint"

timeout 60 "$LOGTALLY" --once --config "$WORK/c.yaml" >"$WORK/final.prom" 2>"$WORK/final.err" ||
  fail "final --once failed: $(tail -5 "$WORK/final.err")"
for lvl in info warn error; do
  case $lvl in info) r=0 ;; warn) r=1 ;; error) r=2 ;; esac
  expected=$(((produced - r + 2) / 3))
  assert_expo "$WORK/final.prom" "msgs_total{level=\"$lvl\"}" "$expected"
done
assert_expo "$WORK/final.prom" "n_sum" "$((produced * (produced - 1) / 2))"
assert_expo "$WORK/final.prom" 'logtally_records_total{source="k"}' "$produced"
assert_expo "$WORK/final.prom" 'logtally_records_dropped_total{pipeline="p",reason="invalid_json"}' 0
note "ok: every counter equals the messages produced ($produced) after $KILLS SIGKILLs"
e2e_finish
