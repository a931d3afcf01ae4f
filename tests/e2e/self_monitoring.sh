#!/usr/bin/env bash
# logtally watching itself (docs/self-monitoring.md):
#   1. deploy/prometheus/logtally-alerts.yml passes `promtool check rules`, and its unit tests
#      (deploy/prometheus/logtally-alerts.test.yml: each alert fires, and stays silent on
#      look-alike series) pass `promtool test rules`;
#   2. deploy/grafana/logtally.json is exactly what the dashboard code generates
#      (tests/tools/self_dashboard), and every panel's query parses (promtool check rules over
#      the queries, taken out by tests/tools/dashboard_queries);
#   3. every logtally_* name the dashboard and the alerts use is a real self-metric: the ones a
#      `--once` run over a file with checkpoints and a textfile sink exposes are seen in its
#      output, the others (Kafka, remote_write, reloads) are registered by that name in the code.
#
# Usage: self_monitoring.sh /path/to/logtally   (needs promtool; DASHBOARD_QUERIES and
# SELF_DASHBOARD name the tools)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

command -v promtool >/dev/null || fail "promtool is not installed (scripts/install-deps.sh installs prometheus)"
for tool in DASHBOARD_QUERIES SELF_DASHBOARD; do
  case "${!tool:-}" in /* | "") ;; *) printf -v "$tool" '%s' "$PWD/${!tool}" ;; esac
  [ -x "${!tool:-}" ] || fail "$tool must name the tool's binary"
done
SRC=${LOGTALLY_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
ALERTS="$SRC/deploy/prometheus/logtally-alerts.yml"
DASHBOARD="$SRC/deploy/grafana/logtally.json"

run_ok() {  # run_ok DESCRIPTION CMD...: CMD exits 0, else the test fails with its output
  local desc=$1 rc=0
  shift
  "$@" >"$WORK/out.txt" 2>&1 || rc=$?
  [ "$rc" = 0 ] || fail "$desc exited $rc:
$(cat "$WORK/out.txt")"
}

# ---------------------------------------------------------------------------------------------
# 1. The alerts.
run_ok "promtool check rules $ALERTS" promtool check rules "$ALERTS"
grep -q "SUCCESS: 6 rules found" "$WORK/out.txt" || fail "expected 6 alerts: $(cat "$WORK/out.txt")"
# The test file names the rules relative to itself.
(cd "$SRC/deploy/prometheus" && promtool test rules logtally-alerts.test.yml) >"$WORK/out.txt" 2>&1 ||
  fail "promtool test rules logtally-alerts.test.yml failed:
$(cat "$WORK/out.txt")"
grep -q SUCCESS "$WORK/out.txt" || fail "promtool test rules said: $(cat "$WORK/out.txt")"
for alert in $(sed -n 's/^ *- alert: //p' "$ALERTS"); do
  fires=$(grep -cE "alertname: $alert(\$|,)" "$SRC/deploy/prometheus/logtally-alerts.test.yml")
  [ "$fires" -ge 2 ] || fail "alert $alert has $fires tests; want one that fires and one that does not"
done
note "alerts: 6 rules, promtool check and test rules pass"

# ---------------------------------------------------------------------------------------------
# 2. The dashboard.
"$SELF_DASHBOARD" >"$WORK/generated.json" || fail "self_dashboard failed"
diff -u "$DASHBOARD" "$WORK/generated.json" >"$WORK/diff.txt" ||
  fail "deploy/grafana/logtally.json differs from the generated dashboard; regenerate it with
  build/tests/e2e/self_dashboard > deploy/grafana/logtally.json
$(head -40 "$WORK/diff.txt")"
run_ok "dashboard_queries" "$DASHBOARD_QUERIES" "$DASHBOARD"
grep -v '^dashboard_queries:' "$WORK/out.txt" >"$WORK/queries.yml"
n=$(grep -c 'record: dashboard_query_' "$WORK/queries.yml")
[ "$n" -ge 25 ] || fail "only $n queries in the dashboard"
run_ok "promtool check rules (dashboard queries)" promtool check rules "$WORK/queries.yml"
grep -q "SUCCESS: $n rules found" "$WORK/out.txt" || fail "promtool: $(cat "$WORK/out.txt")"
note "dashboard: generated file up to date, $n queries parse"

# ---------------------------------------------------------------------------------------------
# 3. The names are real.
mkdir -p "$WORK/logs"
printf '%s\n' '{"path":"/a"}' '{"path":"/b"}' 'not json' '' '{"path":"/c"}' >"$WORK/logs/app.log"
cat >"$WORK/once.yaml" <<YAML
sources:
  app: { type: file, path: "$WORK/logs/app.log", start_at: beginning }
checkpoint: { dir: "$WORK/ckpt" }
pipelines:
  api:
    inputs: [app]
    parser: json
    filter: 'path != "/c"'
    metrics:
      - { name: paths_total, type: counter, max_series: 1, labels: { path: path } }
sinks:
  file: { type: textfile, path: "$WORK/out.prom" }
YAML
rc=0
"$LOGTALLY" --once --config "$WORK/once.yaml" >"$WORK/once.out" 2>"$WORK/once.err" || rc=$?
assert_eq "logtally --once exit status (stderr: $(cat "$WORK/once.err"))" 0 "$rc"
O="$WORK/once.out"
assert_expo "$O" 'logtally_records_total{source="app"}' 5
assert_expo "$O" 'logtally_records_dropped_total{pipeline="api",reason="invalid_json"}' 1
assert_expo "$O" 'logtally_records_dropped_total{pipeline="api",reason="empty"}' 1
assert_expo "$O" 'logtally_records_filtered_total{pipeline="api"}' 1
assert_expo "$O" 'logtally_series_overflow_total{metric="paths_total"}' 1
assert_expo "$O" 'logtally_series{metric="paths_total"}' 2
assert_expo "$O" 'logtally_sink_sends_total{sink="file",result="ok"}' 1
ts=$(expo_value "$O" logtally_checkpoint_last_success_timestamp_seconds)
now=$(date +%s)
awk -v t="$ts" -v n="$now" 'BEGIN { exit !(t > n - 600 && t <= n + 1) }' ||
  fail "logtally_checkpoint_last_success_timestamp_seconds is '$ts', not about now ($now)"
sed -n 's/^\(logtally_[a-z_]*\).*/\1/p' "$O" | sort -u >"$WORK/exposed.txt"
# Names registered in the code (quoted literals), for the self-metrics this run cannot show.
grep -rhoE '"logtally_[a-z_]+"' "$SRC"/core "$SRC"/ingest "$SRC"/sinks "$SRC"/checkpoint "$SRC"/engine |
  tr -d '"' | sort -u >"$WORK/registered.txt"
grep -ohE 'logtally_[a-z_]+' "$ALERTS" "$DASHBOARD" | sort -u >"$WORK/used.txt"
seen=0
coded=0
while read -r name; do
  if grep -qx "$name" "$WORK/exposed.txt"; then
    seen=$((seen + 1))
  elif grep -qx "$name" "$WORK/registered.txt"; then
    coded=$((coded + 1))
  else
    soft_fail "$name is used by the dashboard or the alerts but is no self-metric of logtally"
  fi
done <"$WORK/used.txt"
[ "$seen" -ge 15 ] || soft_fail "only $seen of the names used were seen in the --once output"
note "names: $seen seen in a --once run, $coded registered in the code (Kafka, remote_write, reloads)"

e2e_finish
