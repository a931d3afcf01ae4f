#!/usr/bin/env bash
# Rotation test (docs/ingest-files.md): N lines are written to one followed file while it is
# rotated many times, by rename and by copytruncate. Every counter must equal N exactly, both as
# scraped and after a SIGTERM (final checkpoint) and a restart with --once.
# - rename: logtally is frozen (SIGSTOP) while lines are appended to the file it has open (the
#   last one unterminated), the file is renamed, the previous rotated file is renamed again
#   (logrotate's shifting), and a new file gets lines. On SIGCONT it must read the rest of the
#   old file, count its unterminated last line when leaving it, and pick up the new file.
# - copytruncate: done once logtally has read to the end, which is the only case copytruncate
#   can promise exactness for (see docs/ingest-files.md).
source "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-36}
PER_ROUND=${PER_ROUND:-700}
logs="$WORK/logs"
mkdir -p "$logs" "$WORK/state"
cat >"$WORK/c.yaml" <<YAML
sources:
  app: { type: file, path: "$logs/app.log", poll_interval: 20ms }
pipelines:
  p:
    inputs: [app]
    parser: json
    metrics:
      - name: lines_total
        type: counter
        labels: { level: level }
      - name: n_sum
        type: counter
        value: n
checkpoint: { dir: "$WORK/state", interval: 1s }
sinks:
  prom: { type: prometheus_exporter, listen: "127.0.0.1:@PORT@" }
workers: 2
YAML
: >"$logs/app.log"
start_logtally "$WORK/c.yaml" /dev/null

written=0
# lines FROM COUNT [no-final-newline]: appends COUNT lines numbered FROM.. to app.log.
lines() {
  awk -v s="$1" -v c="$2" -v open="${3:-}" 'BEGIN {
    split("info warn error", lv, " ");
    for (i = s; i < s + c; i++) {
      printf "{\"n\":%d,\"level\":\"%s\"}", i, lv[i % 3 + 1];
      if (!(open != "" && i == s + c - 1)) printf "\n";
    }
  }' >>"$logs/app.log"
  written=$((written + $2))
}
counted() {
  local out sum=0 v
  out=$(curl -sf --max-time 2 "$LT_URL") || return 1
  for l in info warn error; do
    v=$(printf '%s\n' "$out" | awk -v k="lines_total{level=\"$l\"}" '$1 == k { print $2 }')
    sum=$((sum + ${v:-0}))
  done
  echo "$sum"
}
caught_up() { [ "$(counted)" = "$written" ]; }

renames=0
truncates=0
for ((r = 1; r <= ROUNDS; r++)); do
  if ((r % 4 == 0)); then
    # copytruncate, after logtally has read everything.
    lines "$written" "$PER_ROUND"
    wait_for 20 "logtally to read $written lines before copytruncate" caught_up
    cp "$logs/app.log" "$logs/app.log.copy$r"
    truncate -s 0 "$logs/app.log"
    truncates=$((truncates + 1))
  else
    # rename while logtally is frozen and has not read the lines yet.
    lines "$written" 1
    wait_for 20 "logtally to open the current file" caught_up
    kill -STOP "$LT_PID"
    lines "$written" "$PER_ROUND" open
    [ -e "$logs/app.log.$((r - 1))" ] && mv "$logs/app.log.$((r - 1))" "$logs/app.log.$((r - 1)).old"
    mv "$logs/app.log" "$logs/app.log.$r"
    lines "$written" 5  # the new file
    kill -CONT "$LT_PID"
    renames=$((renames + 1))
  fi
done
lines "$written" "$PER_ROUND"
wait_for 30 "logtally to count all $written lines (counted: \$(counted))" caught_up
scrape "$LT_URL" >"$WORK/live.prom"
for l in info warn error; do
  case $l in info) k=0 ;; warn) k=1 ;; error) k=2 ;; esac
  assert_expo "$WORK/live.prom" "lines_total{level=\"$l\"}" "$(((written - k + 2) / 3))"
done
assert_expo "$WORK/live.prom" n_sum "$((written * (written - 1) / 2))"
assert_expo "$WORK/live.prom" 'logtally_records_dropped_total{pipeline="p",reason="invalid_json"}' 0
assert_expo "$WORK/live.prom" 'logtally_records_total{source="app"}' "$written"
assert_expo "$WORK/live.prom" 'logtally_bytes_total{source="app"}' "$(cat "$logs"/* | wc -c)"
rot_rename=$(expo_value "$WORK/live.prom" 'logtally_file_rotations_total{source="app",kind="rename"}')
rot_trunc=$(expo_value "$WORK/live.prom" 'logtally_file_rotations_total{source="app",kind="truncate"}')
assert_eq "renames seen" "$renames" "$rot_rename"
assert_eq "truncations seen" "$truncates" "$rot_trunc"

kill -TERM "$LT_PID"
wait_exit "$LT_PID" 10 || fail "logtally did not exit within 10 s of SIGTERM"
assert_eq "exit status after SIGTERM" 0 "$WAIT_RC"
"$LOGTALLY" --once --config "$WORK/logtally.yaml" >"$WORK/again.prom" 2>"$WORK/again.err" ||
  fail "--once after restart failed: $(cat "$WORK/again.err")"
assert_expo "$WORK/again.prom" n_sum "$((written * (written - 1) / 2))"
assert_expo "$WORK/again.prom" 'lines_total{level="info"}' "$(((written + 2) / 3))"
note "ok: $written lines through $renames renames and $truncates copytruncates, counted exactly"
