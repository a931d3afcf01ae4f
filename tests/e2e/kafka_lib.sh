# Kafka helpers for the end-to-end scripts (source after lib.sh; not a test itself).
#   start_mock_cluster TOPIC:PARTITIONS...  starts $KAFKA_MOCK_CLUSTER on 127.0.0.1 and sets
#                                           BROKERS; it stops when the script exits (its stdin
#                                           is a fifo held open by this shell, and lib.sh's
#                                           EXIT trap also sends it TERM).
#   produce TOPIC FILE [KCAT_ARGS...]       writes FILE's lines as messages with kcat.
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
