#!/usr/bin/env bash
# Checkpoints through the CLI (docs/checkpoints.md): --once runs continue each other's counts
# without double counting; a damaged or incompatible checkpoint makes logtally refuse to start
# with a clear message; --reset-state moves it aside and starts fresh.
source "$(dirname "$0")/lib.sh"

mkdir -p "$WORK/logs"
config() {  # config LABEL_NAME
  cat <<YAML
sources:
  app: { type: file, include: ["$WORK/logs/*.log"] }
pipelines:
  p:
    inputs: [app]
    parser: json
    metrics:
      - name: lines_total
        type: counter
        labels: { $1: level }
      - name: depth_max
        type: gauge
        mode: max
        value: depth
checkpoint: { dir: "$WORK/state" }
YAML
}
config level >"$WORK/c.yaml"
config severity >"$WORK/other.yaml"

printf '{"level":"info","depth":3}\n{"level":"warn","depth":9}\n' >"$WORK/logs/a.log"
"$LOGTALLY" --once -c "$WORK/c.yaml" >"$WORK/1.prom" 2>"$WORK/1.err" || fail "run 1: $(cat "$WORK/1.err")"
assert_expo "$WORK/1.prom" 'lines_total{level="info"}' 1
assert_expo "$WORK/1.prom" logtally_checkpoints_total 1

printf '{"level":"info","depth":4}\n' >>"$WORK/logs/a.log"
printf '{"level":"info","depth":1}\n' >"$WORK/logs/b.log"
"$LOGTALLY" --once -c "$WORK/c.yaml" >"$WORK/2.prom" 2>"$WORK/2.err" || fail "run 2: $(cat "$WORK/2.err")"
assert_expo "$WORK/2.prom" 'lines_total{level="info"}' 3
assert_expo "$WORK/2.prom" 'lines_total{level="warn"}' 1
assert_expo "$WORK/2.prom" depth_max 9  # the gauge continued from the checkpoint
assert_expo "$WORK/2.prom" 'logtally_records_total{source="app"}' 4

# Another label name: the checkpoint is for other metrics.
if "$LOGTALLY" --once -c "$WORK/other.yaml" >/dev/null 2>"$WORK/3.err"; then
  fail "a checkpoint for other metrics was accepted"
fi
grep -q "written for other metrics" "$WORK/3.err" || fail "unclear message: $(cat "$WORK/3.err")"
grep -q -- "--reset-state" "$WORK/3.err" || fail "the message does not name --reset-state"

# A damaged file.
cp "$WORK/state/checkpoint.bin" "$WORK/good.bin"
printf 'X' | dd of="$WORK/state/checkpoint.bin" bs=1 seek=40 conv=notrunc 2>/dev/null
if "$LOGTALLY" --once -c "$WORK/c.yaml" >/dev/null 2>"$WORK/4.err"; then
  fail "a damaged checkpoint was accepted"
fi
grep -q "checksum mismatch" "$WORK/4.err" || fail "unclear message: $(cat "$WORK/4.err")"

# --reset-state: moved aside, fresh counts (all 4 lines again), and a new good checkpoint.
"$LOGTALLY" --once --reset-state -c "$WORK/c.yaml" >"$WORK/5.prom" 2>"$WORK/5.err" ||
  fail "--reset-state run: $(cat "$WORK/5.err")"
assert_expo "$WORK/5.prom" 'lines_total{level="info"}' 3
ls "$WORK/state"/checkpoint.bin.bad-* >/dev/null 2>&1 || fail "the damaged file was not kept aside"
"$LOGTALLY" --once -c "$WORK/c.yaml" >"$WORK/6.prom" 2>"$WORK/6.err" || fail "run 6: $(cat "$WORK/6.err")"
assert_expo "$WORK/6.prom" 'lines_total{level="info"}' 3
note "ok"
