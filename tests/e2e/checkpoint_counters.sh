#!/usr/bin/env bash
# Every counter continues across restarts through the real binary (docs/checkpoints.md): user
# metrics, logtally's records, bytes, drops by reason, filtered and overflow counters, and the
# core::SelfMetrics counters (the textfile sink's writes, checkpoints written, file rotations).
#
# A reference `--once` run over ONE block of input (fresh state) gives each counter's value per
# block. Then, on one checkpoint directory: run 1 (service, block 1, SIGTERM), run 2 (service,
# block 2 appended while stopped, SIGTERM), run 3 (`--once`, no new input), run 4 (`--once`,
# block 3 appended). Run 4's output must hold, for every counter and histogram sample, exactly
# 3 x the reference's value, except the final textfile write (interval 1h), which counts once
# per run: exactly 4. The config says `serve: new_checkpoint` (scrapes see only durable state,
# and a scrape makes a checkpoint, so the runs can wait for their counts by scraping): so
# logtally_checkpoints_total counts scrapes too and is checked as at least 2 per run.
source "$(dirname "$0")/lib.sh"

mkdir -p "$WORK/ref" "$WORK/run"

# The block: JSON lines for every outcome, and CRI lines (a joined record, a bad envelope).
block() {
  local long
  long=$(printf 'x%.0s' $(seq 1 300))
  printf '%s\n' \
    '{"level":"info","user":"a","n":2}' \
    '{"level":"info","user":"b","n":20}' \
    '{"level":"info","user":"c","n":0.5}' \
    '{"level":"debug","user":"a","n":1}' \
    'not json' \
    '[1,2]' \
    '' \
    '{"level":"info","user":"a"}' \
    '{"level":"info","user":"b","n":"x"}' \
    '{"level":"info","user":"a","n":-1}' \
    "{\"level\":\"info\",\"pad\":\"$long\"}" >>"$1/app.log"
  printf '%s\n' \
    '2024-01-01T00:00:00Z stdout P {"level":"info",' \
    '2024-01-01T00:00:00.5Z stdout F "user":"a","n":3}' \
    'garbage without an envelope' \
    '2024-01-01T00:00:01Z stderr F {"level":"warn","user":"b","n":1}' >>"$1/cri.log"
}

config() {  # config DIR: a config whose files and state live in DIR (@PORT@ for the exporter)
  cat <<YAML
sources:
  app: { type: file, path: "$1/app.log", start_at: beginning, max_record_bytes: 200 }
  cri: { type: file, path: "$1/cri.log", start_at: beginning, format: cri }
pipelines:
  p:
    inputs: [app, cri]
    parser: json
    filter: 'level != "debug"'
    metrics:
      - { name: lines_total, type: counter, max_series: 2, labels: { user: user } }
      - { name: amount_total, type: counter, value: n }
      - { name: amount, type: histogram, value: n, buckets: [1, 10] }
sinks:
  prom: { type: prometheus_exporter, listen: "127.0.0.1:@PORT@" }
  tf: { type: textfile, path: "$1/out.prom", interval: 1h }
checkpoint: { dir: "$1/state", interval: 1h, serve: new_checkpoint }
YAML
}

# Per-run counters: one final textfile write per run.
per_run() { [ "$1" = 'logtally_sink_sends_total{sink="tf",result="ok"}' ]; }
# At least two final checkpoints per run (the final state is made durable before the final
# write, and a second checkpoint keeps that write's count), plus one per scrape and per --once
# print: compared as a lower bound, and left out of the exact comparison.
checkpoints_at_least() {  # FILE MIN
  local v
  v=$(expo_value "$1" logtally_checkpoints_total)
  [ -n "$v" ] && [ "$v" -ge "$2" ] || fail "logtally_checkpoints_total in $1: $v, expected >= $2"
}
drop_checkpoints() { grep -v '^logtally_checkpoints_total ' "$1"; }

# The reference: one block, one --once run, fresh state.
block "$WORK/ref"
config "$WORK/ref" | sed "s/@PORT@/1/" >"$WORK/ref.yaml"  # --once serves nothing
"$LOGTALLY" --once -c "$WORK/ref.yaml" >"$WORK/ref.prom" 2>"$WORK/ref.err" ||
  fail "reference run: $(cat "$WORK/ref.err")"
counter_samples "$WORK/ref.prom" | drop_checkpoints /dev/stdin >"$WORK/ref.counters"

# The reference exercises what it should (exact values per block).
assert_expo "$WORK/ref.prom" 'logtally_records_total{source="app"}' 11
assert_expo "$WORK/ref.prom" 'logtally_records_total{source="cri"}' 3
assert_expo "$WORK/ref.prom" 'logtally_records_filtered_total{pipeline="p"}' 1
assert_expo "$WORK/ref.prom" 'logtally_series_overflow_total{metric="lines_total"}' 1
assert_expo "$WORK/ref.prom" 'logtally_records_dropped_total{pipeline="p",reason="invalid_json"}' 1
assert_expo "$WORK/ref.prom" 'logtally_records_dropped_total{pipeline="p",reason="not_object"}' 1
assert_expo "$WORK/ref.prom" 'logtally_records_dropped_total{pipeline="p",reason="empty"}' 1
assert_expo "$WORK/ref.prom" 'logtally_records_dropped_total{pipeline="p",reason="too_long"}' 1
assert_expo "$WORK/ref.prom" 'logtally_records_dropped_total{pipeline="p",reason="bad_envelope"}' 1
assert_expo "$WORK/ref.prom" 'logtally_records_dropped_total{pipeline="p",reason="missing_value"}' 2
assert_expo "$WORK/ref.prom" 'logtally_records_dropped_total{pipeline="p",reason="not_a_number"}' 2
assert_expo "$WORK/ref.prom" 'logtally_records_dropped_total{pipeline="p",reason="negative_value"}' 1
assert_expo "$WORK/ref.prom" 'lines_total{user="a"}' 4
checkpoints_at_least "$WORK/ref.prom" 2
assert_expo "$WORK/ref.prom" 'logtally_sink_sends_total{sink="tf",result="ok"}' 1
grep -q '^logtally_bytes_total{source="cri"} [1-9]' "$WORK/ref.prom" || fail "no bytes counted"

R="$WORK/run"
config "$R" >"$WORK/run.tmpl"
# service_run BLOCKS: starts logtally, waits until it counted BLOCKS blocks, stops it (SIGTERM).
service_run() {
  local want_app=$((11 * $1)) want_cri=$((3 * $1))
  start_logtally "$WORK/run.tmpl" /dev/null
  counted() {
    scrape "$LT_URL" >"$WORK/scrape.prom"
    [ "$(expo_value "$WORK/scrape.prom" 'logtally_records_total{source="app"}')" = "$want_app" ] &&
      [ "$(expo_value "$WORK/scrape.prom" 'logtally_records_total{source="cri"}')" = "$want_cri" ]
  }
  wait_for 30 "$1 block(s) counted" counted
  kill -TERM "$LT_PID"
  wait_exit "$LT_PID" 30 || fail "logtally did not stop on SIGTERM"
  assert_eq "exit status after SIGTERM" 0 "$WAIT_RC"
}

block "$R"
service_run 1
block "$R"
service_run 2
"$LOGTALLY" --once -c "$WORK/logtally.yaml" >"$WORK/3.prom" 2>"$WORK/3.err" ||
  fail "run 3: $(cat "$WORK/3.err")"
block "$R"
"$LOGTALLY" --once -c "$WORK/logtally.yaml" >"$WORK/4.prom" 2>"$WORK/4.err" ||
  fail "run 4: $(cat "$WORK/4.err")"
counter_samples "$WORK/4.prom" | drop_checkpoints /dev/stdin >"$WORK/4.counters"
checkpoints_at_least "$WORK/4.prom" 8

# Expected: 3 x the reference, per-run counters 4.
while read -r series value; do
  if per_run "$series"; then
    echo "$series 4"
  else
    echo "$series $(awk -v v="$value" 'BEGIN { printf "%.17g\n", 3 * v }')"
  fi
done <"$WORK/ref.counters" >"$WORK/expected.counters"
# Values as numbers: the exposition writes 4.5 and 3 x 1.5 alike.
normalise() { awk '{ printf "%s %.17g\n", $1, $2 + 0 }' "$1"; }
if ! diff <(normalise "$WORK/expected.counters") <(normalise "$WORK/4.counters") >"$WORK/diff"; then
  fail "counters after 4 runs differ from 3 blocks x the reference (< expected, > got):
$(cat "$WORK/diff")"
fi
note "$(wc -l <"$WORK/4.counters") counter samples exact after 2 SIGTERM runs and 2 --once runs"
e2e_finish
