#!/usr/bin/env bash
# Crash test (docs/checkpoints.md): a writer appends JSON lines at a steady rate, writing each
# line in two halves (so logtally often sees an unfinished last line), with a burst of 2000
# lines every 4th round, and rotating the file by rename every ~3 s. logtally follows it with checkpoints every 200 ms and is killed with SIGKILL
# at random moments, at least 20 times, and restarted each time. At the end a last
# `logtally --once` run (which loads the checkpoint and reads to the end) must report exactly
# the number of lines written, per label value: no line lost, none counted twice.
source "$(dirname "$0")/lib.sh"

KILLS=${KILLS:-22}
logs="$WORK/logs"
state="$WORK/state"
mkdir -p "$logs" "$state"
cat >"$WORK/c.yaml" <<YAML
sources:
  app:
    type: file
    include: ["$logs/*.log"]
    poll_interval: 20ms
pipelines:
  p:
    inputs: [app]
    parser: json
    metrics:
      - name: lines_total
        type: counter
        labels: { level: level }
      - name: bytes_sum
        type: counter
        value: n
checkpoint: { dir: "$state", interval: 200ms }
workers: 2
YAML

# The writer (lib.sh): runs until $WORK/stop exists, then writes the count to $WORK/written.
rotating_writer "$logs" &
WRITER=$!
track_pid "$WRITER"

start() {
  "$LOGTALLY" --config "$WORK/c.yaml" >>"$WORK/run.out" 2>>"$WORK/run.err" &
  LT=$!
  track_pid "$LT"
}

start
sleep 0.5
for ((kill_no = 1; kill_no <= KILLS; kill_no++)); do
  # A random moment 0.15 .. 0.9 s after the (re)start.
  sleep "0.$((15 + RANDOM % 75))"
  is_alive "$LT" || fail "logtally exited on its own before kill $kill_no (see run.err: $(tail -3 "$WORK/run.err"))"
  kill -KILL "$LT"
  wait "$LT" 2>/dev/null
  start
done
sleep 0.3
kill -KILL "$LT"
wait "$LT" 2>/dev/null
touch "$WORK/stop"
wait "$WRITER"
written=$(cat "$WORK/written")
[ "$written" -gt 1000 ] || fail "the writer wrote only $written lines"
checkpoints=$(grep -c "restored #" "$WORK/run.err")
note "wrote $written lines in $(ls "$logs" | wc -l) files; $KILLS kills; $checkpoints restores"

"$LOGTALLY" --once --config "$WORK/c.yaml" >"$WORK/final.prom" 2>"$WORK/final.err" ||
  fail "final --once failed: $(cat "$WORK/final.err")"
for lvl in info warn error; do
  case $lvl in info) r=0 ;; warn) r=1 ;; error) r=2 ;; esac
  expected=$(((written - r + 2) / 3))
  assert_expo "$WORK/final.prom" "lines_total{level=\"$lvl\"}" "$expected"
done
# Sum of n over 0..written-1, exactly (doubles hold it exactly at this size).
assert_expo "$WORK/final.prom" "bytes_sum" "$((written * (written - 1) / 2))"
assert_expo "$WORK/final.prom" 'logtally_records_dropped_total{pipeline="p",reason="invalid_json"}' 0
# logtally's own counters continue across restarts too, and re-read partial lines are not
# counted twice: records = lines, bytes = every byte of every file.
assert_expo "$WORK/final.prom" 'logtally_records_total{source="app"}' "$written"
assert_expo "$WORK/final.prom" 'logtally_bytes_total{source="app"}' "$(cat "$logs"/* | wc -c)"
note "ok: every counter equals the lines written ($written) after $KILLS SIGKILLs"
