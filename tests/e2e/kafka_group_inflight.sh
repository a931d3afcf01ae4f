#!/usr/bin/env bash
# logtally instances in one consumer group against librdkafka's mock cluster, with membership
# changes while a producer keeps writing (docs/ingest-kafka.md): A starts alone; B joins; C
# joins; A stops with SIGTERM; B is killed with SIGKILL and restarted on its checkpoint. Every
# change happens with messages in flight. When the producer stops, the sum of the instances'
# counters (A's and the killed B's as their last checkpoint left them) must equal the messages
# produced exactly, live and in every instance's final metrics: nothing lost, nothing counted
# twice across the rebalances, except what an instance reports itself as counted again
# (logtally_kafka_revoke_uncommitted_messages_total: a revoke whose commit the group refused).
# With cooperative rebalancing the mock accepts the revoke's commit, unless the group has
# entered a new rebalance meanwhile (seen under heavy load): the mock refuses commits while
# it is Joining, where a broker accepts them (docs/ingest-kafka.md, "Known limits"). The test
# then still checks the sum exactly, against produced + what logtally reported, and says so.
#
# Checkpoints are on with a 1 h interval: the instances checkpoint when partitions are revoked
# (then commit them synchronously) and at exit. B is killed once the group is settled, so not
# between a durable checkpoint and its commit: a kill there, with the partition then going to
# another instance, double counts what the commit would have covered (docs/ingest-kafka.md,
# "Known limits"); periodic checkpoints would open that window every interval.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/kafka_lib.sh"

start_mock_cluster g:4

# start_instance NAME: starts logtally (its own exporter, checkpoint folder and final textfile)
# and waits until it serves /metrics; a start that cannot bind its port is retried on another
# (as lib.sh's start_logtally does). Sets PID_<NAME>, URL_<NAME>.
start_instance() {
  local name=$1 port pid url i attempt seen
  mkdir -p "$WORK/$name.state"
  for ((attempt = 1; attempt <= 5; attempt++)); do
    port=$(random_free_port)
    url="http://127.0.0.1:$port/metrics"
    cat >"$WORK/$name.yaml" <<YAML
workers: 2
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
sinks:
  prom: { type: prometheus_exporter, listen: "127.0.0.1:$port" }
  final: { type: textfile, path: "$WORK/$name.final.prom", interval: 1h }
checkpoint: { dir: "$WORK/$name.state", interval: 1h }
YAML
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
        note "instance $name: pid $pid, $url (produced so far: $(produced_so_far))"
        return 0
      fi
      sleep 0.2
    done
    fail "instance $name did not serve $url within 30 s"
  done
  fail "instance $name could not bind a port in 5 attempts"
}

# scrape_instance NAME: its metrics into $WORK/NAME.prom; false if it does not answer.
scrape_instance() {
  local url="URL_$1"
  curl -sf --max-time 2 "${!url}" >"$WORK/$1.prom" 2>/dev/null
}

# metric NAME SERIES: SERIES' value in NAME's last scrape (0 when absent).
metric() {
  local v
  v=$(expo_value "$WORK/$1.prom" "$2")
  echo "${v:-0}"
}

DONE_SUM=0     # Final counts of the instances that stopped.
DONE_REDONE=0  # Their logtally_kafka_revoke_uncommitted_messages_total.
SUM=0
REDONE=0
SHARES=""
REDONE_SERIES='logtally_kafka_revoke_uncommitted_messages_total{source="k"}'
# live_sum: DONE_SUM plus every running instance's msgs_total; sets SUM, ASSIGNED (partitions
# assigned over the running instances) and SHARES (name=count...). False if one does not answer.
live_sum() {
  local n
  SUM=$DONE_SUM
  REDONE=$DONE_REDONE
  ASSIGNED=0
  SHARES=""
  for n in "${RUNNING[@]}"; do
    scrape_instance "$n" || return 1
    SUM=$((SUM + $(metric "$n" msgs_total)))
    REDONE=$((REDONE + $(metric "$n" "$REDONE_SERIES")))
    ASSIGNED=$((ASSIGNED + $(metric "$n" 'logtally_kafka_assigned_partitions{source="k"}')))
    SHARES+="$n=$(metric "$n" msgs_total)/$(metric "$n" 'logtally_kafka_assigned_partitions{source="k"}')p "
  done
}

# settled: all 4 partitions are assigned over the running instances, each holding at least one.
settled() {
  local n
  live_sum || return 1
  [ "$ASSIGNED" = 4 ] || return 1
  for n in "${RUNNING[@]}"; do
    [ "$(metric "$n" 'logtally_kafka_assigned_partitions{source="k"}')" -ge 1 ] || return 1
  done
}

# counted_more NAME N: NAME's msgs_total is above N.
counted_more() { live_sum && [ "$(metric "$1" msgs_total)" -gt "$2" ]; }

# within TIMEOUT_S CMD...: polls CMD every 0.2 s until it succeeds (true) or TIMEOUT_S pass.
within() {
  local timeout=$1 i
  shift
  for ((i = 0; i < timeout * 5; i++)); do
    "$@" && return 0
    sleep 0.2
  done
  return 1
}

# wait_settled WHAT: after a membership change, until the group has settled and every running
# instance counts again (a message produced after the settling reaches each one).
wait_settled() {
  local n before
  within 60 settled || fail "the group did not settle within 60 s after $1 (last: $SHARES)"
  for n in "${RUNNING[@]}"; do
    before=$(metric "$n" msgs_total)
    wait_for 30 "instance $n to count after $1" counted_more "$n" "$before"
  done
  note "settled after $1: $SHARES(produced so far: $(produced_so_far))"
}

# final_count NAME: msgs_total in NAME's final textfile (written at its exit).
final_count() {
  local v
  [ -f "$WORK/$1.final.prom" ] || fail "instance $1 wrote no final metrics"
  v=$(expo_value "$WORK/$1.final.prom" msgs_total)
  echo "${v:-0}"
}

# stop_instance NAME: SIGTERM; it must exit 0 within 30 s; its final count joins DONE_SUM.
stop_instance() {
  local pid="PID_$1" v
  kill -TERM "${!pid}"
  wait_exit "${!pid}" 30 || fail "instance $1 did not stop within 30 s"
  assert_eq "instance $1 exit status" 0 "$WAIT_RC"
  DONE_SUM=$((DONE_SUM + $(final_count "$1")))
  v=$(expo_value "$WORK/$1.final.prom" "$REDONE_SERIES")
  DONE_REDONE=$((DONE_REDONE + ${v:-0}))
  note "$1 stopped: final count $(final_count "$1")"
}

# without NAME: RUNNING minus NAME.
without() {
  local n out=()
  for n in "${RUNNING[@]}"; do [ "$n" = "$1" ] || out+=("$n"); done
  RUNNING=("${out[@]}")
}

start_producer g
producing() { [ "$(produced_so_far)" -gt 0 ]; }
wait_for 10 "the producer to write" producing

start_instance A
RUNNING=(A)
wait_settled "A started"

at=$(produced_so_far)
start_instance B
RUNNING=(A B)
wait_settled "B joined"
[ "$(produced_so_far)" -gt "$at" ] || fail "nothing was produced while B joined"

at=$(produced_so_far)
start_instance C
RUNNING=(A B C)
wait_settled "C joined"
[ "$(produced_so_far)" -gt "$at" ] || fail "nothing was produced while C joined"

at=$(produced_so_far)
stop_instance A
without A
wait_settled "A left (SIGTERM)"
[ "$(produced_so_far)" -gt "$at" ] || fail "nothing was produced while A left"

# B is killed: what it counted since its last checkpoint is lost with it and read again by the
# partitions' next owner (from the offsets committed with that checkpoint). Restarted on its
# checkpoint, it counts on from there.
at=$(produced_so_far)
kill -KILL "$PID_B"
wait "$PID_B" 2>/dev/null
without B
start_instance B
RUNNING+=(B)
wait_settled "B killed and restarted"
[ "$(produced_so_far)" -gt "$at" ] || fail "nothing was produced while B was killed and restarted"

stop_producer
note "produced $PRODUCED messages"
exact() { live_sum && [ "$SUM" = "$((PRODUCED + REDONE))" ]; }
uncommitted_log() {
  local n
  for n in A B C; do grep -h "without its commit" "$WORK/$n.err" 2>/dev/null | sed "s/^/$n: /"; done
}
within 60 exact || fail "the sum of counters is $SUM after 60 s, expected $PRODUCED + $REDONE \
reported counted again: $SHARES+ $DONE_SUM stopped
$(uncommitted_log)"
note "sum = $SUM: $SHARES+ $DONE_SUM stopped; reported counted again: $REDONE"
# Nothing counted late (a second owner reading a partition again would show here).
sleep 2
exact || fail "the sum moved from $((PRODUCED + REDONE)) to $SUM after reaching it ($SHARES)"
# One at a time, each once the group has settled after the previous one left: an instance
# stopped while the group rebalances may see its revoke's commit refused (docs/ingest-kafka.md,
# "Known limits"); that is counted and checked below.
stop_instance C
without C
within 60 settled || fail "B does not hold every partition 60 s after C left (last: $SHARES)"
stop_instance B
RUNNING=()
assert_eq "sum of the final counts (A, B restarted, C)" "$((PRODUCED + DONE_REDONE))" "$DONE_SUM"
if [ "$DONE_REDONE" != 0 ]; then
  note "the mock refused revoke commits; logtally reported $DONE_REDONE messages counted again:
$(uncommitted_log)"
fi
revokes=$(expo_value "$WORK/A.final.prom" 'logtally_kafka_rebalances_total{source="k",event="revoke"}')
[ "${revokes:-0}" -ge 2 ] || fail "A saw fewer than 2 revokes (B and C joining, its stop): '$revokes'"
note "ok: $PRODUCED produced + $DONE_REDONE reported = A $(final_count A) + B $(final_count B) + C $(final_count C); A revokes $revokes"
e2e_finish
