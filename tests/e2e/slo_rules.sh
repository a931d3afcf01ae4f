#!/usr/bin/env bash
# SLO rules and dashboards (docs/slos.md), judged by Prometheus' own tools:
#   1. `logtally rules` of examples/slo.yaml passes `promtool check rules`;
#   2. `promtool test rules` drives those rules with synthetic series: 2% errors against 99.9%
#      pages within the hour (and tickets), 0.05% never alerts, 0.2% tickets but never pages,
#      20% slow requests against a 99% latency objective page (buckets spelled le="3" by one
#      instance and le="3.0" by another), 0.5% slow ones never alert;
#   3. every query of `logtally dashboard` parses (promtool check rules over the queries, taken
#      out of the JSON by tests/tools/dashboard_queries), and the budget and burn-rate queries
#      give the expected values over the same series.
#
# Usage: slo_rules.sh /path/to/logtally   (needs promtool; DASHBOARD_QUERIES = the tool's path)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

command -v promtool >/dev/null || fail "promtool is not installed (scripts/install-deps.sh installs prometheus)"
case "${DASHBOARD_QUERIES:-}" in /* | "") ;; *) DASHBOARD_QUERIES="$PWD/$DASHBOARD_QUERIES" ;; esac
[ -x "${DASHBOARD_QUERIES:-}" ] || fail "DASHBOARD_QUERIES must name the dashboard_queries tool"
SRC=${LOGTALLY_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
CONFIG="$SRC/examples/slo.yaml"

# run_ok DESCRIPTION CMD...: CMD exits 0, else the test fails with its output.
run_ok() {
  local desc=$1 rc=0
  shift
  "$@" >"$WORK/out.txt" 2>&1 || rc=$?
  [ "$rc" = 0 ] || fail "$desc exited $rc:
$(cat "$WORK/out.txt")"
}

# ---------------------------------------------------------------------------------------------
# 1. The rules file.
cd "$WORK" || fail "cd $WORK"
run_ok "logtally rules" "$LOGTALLY" rules --config "$CONFIG"
cp "$WORK/out.txt" "$WORK/slo.rules.yml"
run_ok "promtool check rules" promtool check rules "$WORK/slo.rules.yml"
grep -q "SUCCESS: 18 rules found" "$WORK/out.txt" ||
  fail "expected 18 rules (2 SLOs x 7 records + 2 alerts): $(cat "$WORK/out.txt")"
grep -qF 'shop_request_duration_seconds_bucket{service="checkout", le=~"3|3\\.0"}[5m]' \
  "$WORK/slo.rules.yml" || fail "the latency rules do not match le in both spellings:
$(cat "$WORK/slo.rules.yml")"
note "logtally rules: 18 rules, promtool check rules accepts them"

# ---------------------------------------------------------------------------------------------
# 2. The alerts on synthetic series (1 sample a minute; values are per-minute increases).
A=checkout_availability
L=checkout_latency
desc() {  # desc SLO OBJECTIVE page|ticket: the alert's description, as the rules word it
  if [ "$3" = page ]; then
    echo "The error ratio of SLO $1 (objective $2% over 30d) is above 14.4 times its error budget over 1h and 5m (2% of the 30d budget spent in 1h), or 6 times its error budget over 6h and 30m (5% of the 30d budget spent in 6h)."
  else
    echo "The error ratio of SLO $1 (objective $2% over 30d) is above 3 times its error budget over 1d and 2h (10% of the 30d budget spent in 1d), or 1 times its error budget over 3d and 6h (10% of the 30d budget spent in 3d)."
  fi
}
# expect TIME ALERT SLO OBJECTIVE SEVERITY|none: one alert_rule_test entry.
expect() {
  echo "      - eval_time: $1"
  echo "        alertname: $2"
  if [ "$5" = none ]; then
    echo "        exp_alerts: []"
    return
  fi
  local summary="error budget burning fast"
  [ "$5" = ticket ] && summary="error budget burning"
  echo "        exp_alerts:"
  echo "          - exp_labels: { severity: $5, slo: $3 }"
  echo "            exp_annotations:"
  echo "              summary: 'SLO $3: $summary'"
  echo "              description: '$(desc "$3" "$4" "$5")'"
}
# Shop requests: OK and 5xx per minute for checkout, and a failing other service that the
# checkout SLO must not see.
requests() {  # requests OK_PER_MIN ERR_PER_MIN MINUTES
  echo "    input_series:"
  echo "      - series: 'shop_requests_total{service=\"checkout\", code=\"200\"}'"
  echo "        values: '0+$1x$3'"
  echo "      - series: 'shop_requests_total{service=\"checkout\", code=\"503\"}'"
  echo "        values: '0+$2x$3'"
  echo "      - series: 'shop_requests_total{service=\"cart\", code=\"500\"}'"
  echo "        values: '0+1000x$3'"
}
# Checkout durations from two instances, one exposing le="3", the other le="3.0":
# per minute, GOOD requests at or under 3s and SLOW ones above, split over the two.
durations() {  # durations GOOD_PER_INSTANCE SLOW_PER_INSTANCE MINUTES
  local total=$(($1 + $2)) i le
  echo "    input_series:"
  for i in a b; do
    le=3
    [ "$i" = b ] && le=3.0
    echo "      - series: 'shop_request_duration_seconds_bucket{service=\"checkout\", instance=\"$i\", le=\"2.5\"}'"
    echo "        values: '0+$(($1 / 2))x$3'"
    echo "      - series: 'shop_request_duration_seconds_bucket{service=\"checkout\", instance=\"$i\", le=\"$le\"}'"
    echo "        values: '0+$1x$3'"
    echo "      - series: 'shop_request_duration_seconds_bucket{service=\"checkout\", instance=\"$i\", le=\"5\"}'"
    echo "        values: '0+$((total - $2 / 2))x$3'"
    echo "      - series: 'shop_request_duration_seconds_bucket{service=\"checkout\", instance=\"$i\", le=\"+Inf\"}'"
    echo "        values: '0+${total}x$3'"
    echo "      - series: 'shop_request_duration_seconds_count{service=\"checkout\", instance=\"$i\"}'"
    echo "        values: '0+${total}x$3'"
  done
  # Another service, all slow: not checkout's.
  echo "      - series: 'shop_request_duration_seconds_count{service=\"cart\", instance=\"a\"}'"
  echo "        values: '0+500x$3'"
  echo "      - series: 'shop_request_duration_seconds_bucket{service=\"cart\", instance=\"a\", le=\"3\"}'"
  echo "        values: '0+0x$3'"
}

{
  echo "rule_files: [slo.rules.yml]"
  echo "evaluation_interval: 1m"
  echo "tests:"
  # 2% errors (20 of 1000 a minute) against 99.9%: burn rate 20 > 14.4, pages within the hour.
  echo "  - interval: 1m"
  requests 980 20 120
  echo "    alert_rule_test:"
  expect 0m "${A}_burn_rate_page" $A 99.9 none
  expect 5m "${A}_burn_rate_page" $A 99.9 page
  expect 30m "${A}_burn_rate_page" $A 99.9 page
  expect 60m "${A}_burn_rate_page" $A 99.9 page
  expect 60m "${A}_burn_rate_ticket" $A 99.9 ticket
  echo "    promql_expr_test:"
  echo "      - expr: slo:error_ratio:rate5m{slo=\"$A\"}"
  echo "        eval_time: 30m"
  echo "        exp_samples:"
  echo "          - labels: 'slo:error_ratio:rate5m{slo=\"$A\"}'"
  echo "            value: 0.02"
  # 0.05% (1 of 2000): burn rate 0.5, no alert at any time.
  echo "  - interval: 1m"
  requests 1999 1 420
  echo "    alert_rule_test:"
  for t in 5m 30m 1h 2h 6h 7h; do
    expect $t "${A}_burn_rate_page" $A 99.9 none
    expect $t "${A}_burn_rate_ticket" $A 99.9 none
  done
  # 0.2% (4 of 2000): burn rate 2, above 1 over 3d and 6h: a ticket, never a page. (The
  # series start at 0m, and a ratio over a window longer than the data is the ratio of what
  # there is: every window says 0.2% from the first minutes on.)
  echo "  - interval: 1m"
  requests 1996 4 420
  echo "    alert_rule_test:"
  for t in 5m 1h 6h 7h; do expect $t "${A}_burn_rate_page" $A 99.9 none; done
  expect 1h "${A}_burn_rate_ticket" $A 99.9 ticket
  expect 7h "${A}_burn_rate_ticket" $A 99.9 ticket
  # No 5xx series at all: the ratio is 0 (not absent), no alert.
  echo "  - interval: 1m"
  echo "    input_series:"
  echo "      - series: 'shop_requests_total{service=\"checkout\", code=\"200\"}'"
  echo "        values: '0+1000x60'"
  echo "    alert_rule_test:"
  expect 30m "${A}_burn_rate_page" $A 99.9 none
  echo "    promql_expr_test:"
  echo "      - expr: slo:error_ratio:rate1h{slo=\"$A\"}"
  echo "        eval_time: 30m"
  echo "        exp_samples:"
  echo "          - labels: 'slo:error_ratio:rate1h{slo=\"$A\"}'"
  echo "            value: 0"
  # 20% slow (160 of 200 a minute within 3s) against 99%: burn rate 20, pages.
  echo "  - interval: 1m"
  durations 80 20 120
  echo "    alert_rule_test:"
  expect 0m "${L}_burn_rate_page" $L 99 none
  expect 5m "${L}_burn_rate_page" $L 99 page
  expect 60m "${L}_burn_rate_page" $L 99 page
  echo "    promql_expr_test:"
  # (1 - 160/200 is 0.19999999999999996 in floating point: compared to 6 decimals.)
  echo "      - expr: round(slo:error_ratio:rate5m{slo=\"$L\"}, 0.000001)"
  echo "        eval_time: 30m"
  echo "        exp_samples:"
  echo "          - labels: '{slo=\"$L\"}'"
  echo "            value: 0.2"
  # 0.5% slow (1 of 200): burn rate 0.5, no alert.
  echo "  - interval: 1m"
  durations 199 1 420
  echo "    alert_rule_test:"
  for t in 5m 1h 6h 7h; do
    expect $t "${L}_burn_rate_page" $L 99 none
    expect $t "${L}_burn_rate_ticket" $L 99 none
  done
} >"$WORK/slo.test.yml"

run_ok "promtool test rules (test file: see below)" promtool test rules "$WORK/slo.test.yml"
grep -q SUCCESS "$WORK/out.txt" || fail "promtool test rules did not say SUCCESS: $(cat "$WORK/out.txt")"
note "promtool test rules: page, ticket and silence as expected ($(grep -c 'eval_time' "$WORK/slo.test.yml") evaluations)"

# ---------------------------------------------------------------------------------------------
# 3. The dashboard: every query parses, and the SLO panels compute what they say.
run_ok "logtally dashboard" "$LOGTALLY" dashboard --config "$CONFIG"
cp "$WORK/out.txt" "$WORK/dashboard.json"
run_ok "dashboard_queries" "$DASHBOARD_QUERIES" "$WORK/dashboard.json"
grep -v '^dashboard_queries:' "$WORK/out.txt" >"$WORK/queries.yml"
# 2 SLOs x (budget left + 7 burn rates) + a counter (1) + a histogram (3 percentiles).
n=$(grep -c 'record: dashboard_query_' "$WORK/queries.yml")
assert_eq "dashboard queries" 20 "$n"
run_ok "promtool check rules (dashboard queries)" promtool check rules "$WORK/queries.yml"
grep -q "SUCCESS: 20 rules found" "$WORK/out.txt" || fail "promtool: $(cat "$WORK/out.txt")"

# Query 1 is checkout_availability's budget left, 2..8 its burn rates over 5m..3d; with 0.05%
# errors against a 0.1% budget, half the budget is left and it burns at 0.5.
{
  echo "rule_files: [slo.rules.yml, queries.yml]"
  echo "evaluation_interval: 1m"
  echo "tests:"
  echo "  - interval: 1m"
  requests 1999 1 120
  echo "    promql_expr_test:"
  for q in 1 2 4; do
    labels="dashboard_query_$q"
    [ "$q" = 1 ] || labels="dashboard_query_$q{slo=\"$A\"}"  # burn rates keep the slo label
    echo "      - expr: dashboard_query_$q"
    echo "        eval_time: 90m"
    echo "        exp_samples:"
    echo "          - labels: '$labels'"
    echo "            value: 0.5"
  done
} >"$WORK/dashboard.test.yml"
run_ok "promtool test rules (dashboard values)" promtool test rules "$WORK/dashboard.test.yml"
note "dashboard: 20 queries parse; budget left 0.5 and burn rate 0.5 at 0.05% errors"

e2e_finish
