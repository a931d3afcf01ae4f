# Kafka helpers for the end-to-end scripts (source after lib.sh; not a test itself).
#   start_mock_cluster TOPIC:PARTITIONS...  starts $KAFKA_MOCK_CLUSTER on 127.0.0.1 and sets
#                                           BROKERS; it stops when the script exits (its stdin
#                                           is a fifo held open by this shell, and lib.sh's
#                                           EXIT trap also sends it TERM).
#   produce TOPIC FILE [KCAT_ARGS...]       writes FILE's lines as messages with kcat.
#   start_producer TOPIC, produced_so_far,   a producer writing at a steady rate meanwhile
#   stop_producer                           (below).
command -v kcat >/dev/null || fail "kcat is not installed (scripts/install-deps.sh installs it)"
[ -x "${KAFKA_MOCK_CLUSTER:-}" ] || fail "KAFKA_MOCK_CLUSTER is not set to the mock cluster tool"

start_mock_cluster() {
  mkfifo "$WORK/mock.in"
  "$KAFKA_MOCK_CLUSTER" "$@" <"$WORK/mock.in" >"$WORK/mock.out" 2>"$WORK/mock.err" &
  MOCK_PID=$!
  track_pid "$MOCK_PID"
  exec 4>"$WORK/mock.in"  # keeps its stdin open until this shell exits
  local i
  for ((i = 0; i < 100; i++)); do
    BROKERS=$(head -1 "$WORK/mock.out" 2>/dev/null)
    [ -n "$BROKERS" ] && break
    sleep 0.1
  done
  [ -n "$BROKERS" ] || fail "mock cluster did not start: $(cat "$WORK/mock.err")"
  case "$BROKERS" in 127.0.0.1:*) ;; *) fail "mock cluster is not on loopback: $BROKERS" ;; esac
  note "mock cluster at $BROKERS"
}

produce() {
  local topic=$1 file=$2
  shift 2
  kcat -P -b "$BROKERS" -t "$topic" -X log_level=3 "$@" <"$file" 2>"$WORK/kcat.err" ||
    fail "kcat -P to $topic failed: $(cat "$WORK/kcat.err")"
}

# sum_series FILE METRIC_PREFIX: the sum of every sample whose line starts with METRIC_PREFIX.
sum_series() {
  awk -v p="$2" 'index($0, p) == 1 { s += $NF } END { printf "%d\n", s }' "$1"
}

# start_producer TOPIC: a producer in the background that writes keyed JSON messages
# `{"n":N}` (key kN, N = 0, 1, ...) to TOPIC, 50 per kcat call, one call every ~50 ms, until
# stop_producer. produced_so_far prints how many it has written (after each call).
start_producer() {
  local topic=$1
  rm -f "$WORK/producer.stop" "$WORK/producer.failed"
  echo 0 >"$WORK/producer.count"
  (
    i=0
    while [ ! -e "$WORK/producer.stop" ]; do
      awk -v from="$i" 'BEGIN { for (k = from; k < from + 50; k++) printf "k%d\t{\"n\":%d}\n", k, k }' \
        >"$WORK/producer.batch"
      kcat -P -b "$BROKERS" -t "$topic" -K $'\t' -X log_level=3 <"$WORK/producer.batch" \
        2>>"$WORK/producer.err" || {
        echo "kcat failed" >"$WORK/producer.failed"
        break
      }
      i=$((i + 50))
      echo "$i" >"$WORK/producer.count.tmp" && mv "$WORK/producer.count.tmp" "$WORK/producer.count"
      sleep 0.05
    done
  ) &
  PRODUCER_PID=$!
  track_pid "$PRODUCER_PID"
}

produced_so_far() { cat "$WORK/producer.count"; }

# stop_producer: stops the producer after its current call; sets PRODUCED.
stop_producer() {
  touch "$WORK/producer.stop"
  wait "$PRODUCER_PID"
  [ -e "$WORK/producer.failed" ] && fail "the producer failed: $(tail -3 "$WORK/producer.err")"
  PRODUCED=$(produced_so_far)
}

# group_config: the config shared by the instances of the consumer group `shared` on topic g:
# json, the counter msgs_total, and msgs_by_partition by the message's partition (to tell which
# partition a wrong total comes from).
group_config() {
  cat <<YAML
sources:
  k:
    type: kafka
    brokers: "$BROKERS"
    topics: [g]
    group: shared
    librdkafka:
      session.timeout.ms: "6000"
      heartbeat.interval.ms: "300"
      fetch.wait.max.ms: "50"
pipelines:
  p:
    inputs: [k]
    parser: json
    metrics:
      - { name: msgs_total, type: counter }
      - { name: msgs_by_partition, type: counter, labels: { partition: _source.partition } }
YAML
}

# start_instance NAME [SINKS_YAML [TOP_YAML]]: starts a logtally of group_config with its own
# exporter, plus SINKS_YAML (more lines under `sinks:`) and TOP_YAML (more top-level lines);
# waits until it serves /metrics. A start that
# cannot bind its port (taken since random_free_port looked) is retried on another. Sets
# PID_<NAME>, URL_<NAME> and START_<NAME> (the lines its log had before this start).
start_instance() {
  local name=$1 sinks=${2:-} top=${3:-} port pid url i attempt seen
  for ((attempt = 1; attempt <= 5; attempt++)); do
    port=$(random_free_port)
    url="http://127.0.0.1:$port/metrics"
    {
      echo "workers: 2"
      group_config
      printf 'sinks:\n  prom: { type: prometheus_exporter, listen: "127.0.0.1:%s" }\n%s\n%s\n' \
        "$port" "$sinks" "$top"
    } >"$WORK/$name.yaml"
    seen=$(cat "$WORK/$name.err" 2>/dev/null | wc -l)
    "$LOGTALLY" --config "$WORK/$name.yaml" >>"$WORK/$name.out" 2>>"$WORK/$name.err" &
    pid=$!
    track_pid "$pid"
    for ((i = 0; i < 150; i++)); do
      if ! is_alive "$pid"; then
        tail -n "+$((seen + 1))" "$WORK/$name.err" | grep -q "cannot listen" && continue 2
        fail "instance $name exited at start: $(tail -n "+$((seen + 1))" "$WORK/$name.err")"
      fi
      if curl -sf --max-time 2 "$url" 2>/dev/null | grep -q '^logtally_build_info'; then
        printf -v "PID_$name" '%s' "$pid"
        printf -v "URL_$name" '%s' "$url"
        printf -v "START_$name" '%s' "$seen"
        note "instance $name: pid $pid, $url"
        return 0
      fi
      sleep 0.2
    done
    fail "instance $name did not serve $url within 30 s"
  done
  fail "instance $name could not bind a port in 5 attempts"
}
