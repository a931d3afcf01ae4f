#!/usr/bin/env bash
# What the transforms cost: the same corpus (bench/gen_corpus, seed 42) through two logtally
# configs in alternating rounds, one worker each:
#   plain:      http_requests_total{method,status,service} and http_response_bytes_total;
#   transforms: the same two metrics behind a pipeline filter with a regex
#               (`!(path =~ "/internal/.*") && status >= 100`, true for every line of the corpus), the status label mapped by regex
#               rows (2xx/4xx/5xx), a path label rewritten by replace with groups, and a third
#               counter with a `when:` condition.
# It checks results first: requests by method and the bytes total must be equal in both runs
# (the filter rejects no line of this corpus), then prints the best wall time of each and the
# ratio transforms / plain (CPU time, and wall time) measured in the same run.
# Usage: bench/transforms_bench.sh [LINES]   (BUILD_DIR, BENCH_DIR, ROUNDS as in run_bench.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=${1:-1000000}
BUILD_DIR=${BUILD_DIR:-build}
BENCH_DIR=${BENCH_DIR:-/tmp/logtally-bench}
ROUNDS=${ROUNDS:-3}
LOGTALLY="$BUILD_DIR/logtally"
mkdir -p "$BENCH_DIR"
CORPUS="$BENCH_DIR/transforms-corpus-$LINES.jsonl"
[ -s "$CORPUS" ] || "$BUILD_DIR/bench/gen_corpus" "$LINES" "$CORPUS" >/dev/null
cat "$CORPUS" >/dev/null
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

cat >"$TMP/plain.yaml" <<YAML
sources: { in: { type: file, path: $CORPUS } }
pipelines:
  http:
    inputs: [in]
    parser: json
    metrics:
      - { name: http_requests_total, type: counter, labels: { method: method, status: status, service: service } }
      - { name: http_response_bytes_total, type: counter, value: bytes }
workers: 1
YAML
cat >"$TMP/transforms.yaml" <<'YAML'
sources: { in: { type: file, path: CORPUS } }
pipelines:
  http:
    inputs: [in]
    parser: json
    filter: '!(path =~ "/internal/.*") && status >= 100'
    metrics:
      - name: http_requests_total
        type: counter
        labels:
          method: method
          status:
            field: status
            map: [ { regex: '2\d\d', to: 2xx }, { regex: '4\d\d', to: 4xx }, { regex: '5\d\d', to: 5xx } ]
            unmapped: other
          service: service
      - { name: http_response_bytes_total, type: counter, value: bytes }
      - name: http_routes_total
        type: counter
        when: duration_ms > 50 && level != "debug"
        labels:
          route: { field: path, replace: { regex: '/api/v1/(\w+)(?:/\d+)?(/\w+)?', with: '/\1\2' } }
workers: 1
YAML
sed -i "s|CORPUS|$CORPUS|" "$TMP/transforms.yaml"

# /usr/bin/time (Debian package `time`) gives wall, user and system seconds per run. CPU time
# (user + system) is the figure to read on a shared machine: wall time also counts waiting for
# a core while other jobs run.
: >"$TMP/times"
for ((r = 1; r <= ROUNDS; r++)); do
  for which in plain transforms; do
    /usr/bin/time -f "$which %e %U %S" -a -o "$TMP/times" \
      "$LOGTALLY" --once --config "$TMP/$which.yaml" >"$TMP/$which.prom"
  done
done

# Results first: same bytes total and same requests per method, nothing filtered.
for f in plain transforms; do
  grep '^http_response_bytes_total ' "$TMP/$f.prom" >"$TMP/$f.bytes"
  grep '^http_requests_total{' "$TMP/$f.prom" |
    sed -E 's/.*method="([^"]*)".* ([0-9.e+]+)$/\1 \2/' |
    awk '{ s[$1] += $2 } END { for (m in s) printf "%s %.0f\n", m, s[m] }' | sort >"$TMP/$f.methods"
done
cmp -s "$TMP/plain.bytes" "$TMP/transforms.bytes" || { echo "bytes totals differ" >&2; exit 1; }
cmp -s "$TMP/plain.methods" "$TMP/transforms.methods" || { echo "requests by method differ" >&2; exit 1; }
grep -q '^logtally_records_filtered_total{pipeline="http"} 0$' "$TMP/transforms.prom" ||
  { echo "the filter rejected lines (test corpus changed?)" >&2; exit 1; }
[ "$(grep -c '^http_routes_total{' "$TMP/transforms.prom")" -gt 0 ] ||
  { echo "http_routes_total has no series" >&2; exit 1; }

awk -v lines="$LINES" '
  { wall = $2; cpu = $3 + $4
    if (!($1 in bw) || wall < bw[$1]) bw[$1] = wall
    if (!($1 in bc) || cpu < bc[$1]) bc[$1] = cpu }
  END {
    printf "%-12s %10s %10s %16s\n", "config", "best wall", "best cpu", "M lines/cpu-s"
    for (k = 1; k <= 2; k++) {
      c = (k == 1) ? "plain" : "transforms"
      printf "%-12s %9.2fs %9.2fs %16.2f\n", c, bw[c], bc[c], lines / bc[c] / 1e6
    }
    printf "ratio transforms/plain: cpu %.2f, wall %.2f\n", bc["transforms"] / bc["plain"],
      bw["transforms"] / bw["plain"]
  }' "$TMP/times"
