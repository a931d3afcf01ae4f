#!/usr/bin/env bash
# Two logtally instances in one consumer group against librdkafka's mock cluster, with
# rebalances in the middle: A and B share the partitions; A stops (its partitions move to B);
# later C joins (B's partitions are split with C), then more messages are produced. At every
# quiet point the sum of the instances' counters equals the messages produced: nothing lost,
# nothing counted twice across the rebalances.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/kafka_lib.sh"

start_mock_cluster g:4

# keyed_messages FROM COUNT: COUNT keyed JSON messages (keys spread them over partitions).
keyed_messages() {
  awk -v from="$1" -v n="$2" 'BEGIN { for (i = from; i < from + n; i++) printf "k%d\t{\"n\":%d}\n", i, i }'
}

# count NAME: msgs_total of a running instance (0 before its first record).
count() {
  local url="URL_$1" v
  curl -sf --max-time 2 "${!url}" >"$WORK/$1.prom" 2>/dev/null || {
    echo -1
    return
  }
  v=$(expo_value "$WORK/$1.prom" msgs_total)
  echo "${v:-0}"
}

A_FINAL=0
sum_is() {
  local total=$A_FINAL n
  for n in "${RUNNING[@]}"; do total=$((total + $(count "$n"))); done
  SUM=$total
  [ "$total" = "$1" ]
}

# Waits until the sum is EXPECTED, then checks it stays there (no late double counting).
expect_sum() {
  local i
  for ((i = 0; i < $2 * 5; i++)); do
    sum_is "$1" && break
    sleep 0.2
  done
  sum_is "$1" || fail "sum of counters is $SUM after $2 s, expected $1 ($(for n in "${RUNNING[@]}"; do
    printf '%s=%s ' "$n" "$(count "$n")"
  done)A_final=$A_FINAL); logs:
$(for n in A B C; do [ -f "$WORK/$n.err" ] || continue; echo "== $n"; grep -v ' debug' "$WORK/$n.err" | tail -15; done)"
  sleep 2
  sum_is "$1" || fail "sum of counters moved from $1 to $SUM after reaching it"
  note "sum = $1 ($(for n in "${RUNNING[@]}"; do printf '%s=%s ' "$n" "$(count "$n")"; done)A_final=$A_FINAL)"
}

keyed_messages 0 2000 >"$WORK/m1.txt"
produce g "$WORK/m1.txt" -K $'\t'
start_instance A
start_instance B
RUNNING=(A B)
expect_sum 2000 40

# A stops: it hands over, commits and leaves; its partitions go to B.
A_FINAL=$(count A)
kill -TERM "$PID_A"
wait_exit "$PID_A" 20 || fail "instance A did not stop within 20 s"
assert_eq "instance A exit status" 0 "$WAIT_RC"
RUNNING=(B)
keyed_messages 2000 2000 >"$WORK/m2.txt"
produce g "$WORK/m2.txt" -K $'\t'
expect_sum 4000 40

# C joins; once the group has settled (C holds partitions), 3000 more messages arrive at a
# steady rate (30 x 100 over ~6 s) and are shared by B and C.
#
# The rebalance itself happens with no message in flight, on purpose: librdkafka 2.0.2's mock
# group coordinator refuses offset commits while a rebalance is in progress (a real broker
# accepts them from the current generation until the group completes its rebalance), so the
# commit B makes when its partitions are revoked can fail there, and messages B counted in the
# rebalance window would be counted again by C. docs/ingest-kafka.md describes this.
start_instance C
RUNNING=(B C)
c_assigned() {
  count C >/dev/null
  [ "$(expo_value "$WORK/C.prom" 'logtally_kafka_rebalances_total{source="k",event="assign"}')" \
    -ge 1 ] 2>/dev/null
}
wait_for 30 "instance C to get partitions" c_assigned
sleep 2
for ((b = 0; b < 30; b++)); do
  keyed_messages $((4000 + b * 100)) 100 >"$WORK/m3.txt"
  produce g "$WORK/m3.txt" -K $'\t'
  sleep 0.2
done
expect_sum 7000 60

c=$(count C)
[ "$c" -gt 0 ] || fail "instance C counted nothing: the rebalance gave it no partition"
b_revokes=$(expo_value "$WORK/B.prom" 'logtally_kafka_rebalances_total{source="k",event="revoke"}')
[ "${b_revokes:-0}" -ge 1 ] || fail "instance B saw no revoke (got '${b_revokes}')"
note "A counted $A_FINAL, B $(count B), C $c; B revokes $b_revokes"
e2e_finish
