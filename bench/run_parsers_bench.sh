#!/usr/bin/env bash
# Parser benchmarks, each a ratio measured in one run:
#   1. logfmt vs JSON: the same records (gen_corpus --format json / logfmt), the same three
#      metrics, `workers: 1`, one logtally binary; the ratio is logfmt lines/s over JSON lines/s.
#   2. regex vs mtail: an Apache combined log corpus (gen_corpus --format apache), 6 named groups
#      (client, method, status, bytes, referer, agent) pulled out by one regex into 5 metrics;
#      logtally (`workers: 1` and `2`) against mtail `--one_shot` running the same regex and
#      metrics (Debian package mtail, installed by scripts/install-deps.sh); "mtail not
#      installed" otherwise.
#
# Usage: bench/run_parsers_bench.sh [LINES [REGEX_LINES]]   (defaults 2000000 and 500000)
# Environment: BUILD_DIR (default build), BENCH_DIR (corpus cache, default /tmp/logtally-bench),
# ROUNDS (default 5; the median wall time and the median CPU time over the rounds are kept),
# LOGTALLY_BEFORE (another logtally binary, e.g. one built from an older commit: its regex run,
# `workers: 1`, is measured in the same rounds as one more row).
#
# Before anything is timed, each program's metrics are checked against a reference (the JSON
# run for logfmt; mtail's, or logtally w=1's without mtail, for the regex runs); every timed run
# is checked again. A mismatch exits 1.
set -euo pipefail

cd "$(dirname "$0")/.."

LINES=${1:-2000000}
REGEX_LINES=${2:-500000}
for n in "$LINES" "$REGEX_LINES"; do
  case $n in
    '' | *[!0-9]* | 0 | 00*)
      echo "usage: bench/run_parsers_bench.sh [LINES [REGEX_LINES]]" >&2
      exit 2
      ;;
  esac
done
BUILD_DIR=${BUILD_DIR:-build}
BENCH_DIR=${BENCH_DIR:-/tmp/logtally-bench}
ROUNDS=${ROUNDS:-5}
GEN=$BUILD_DIR/bench/gen_corpus
LOGTALLY=$BUILD_DIR/logtally
for bin in "$GEN" "$LOGTALLY"; do
  if [ ! -x "$bin" ]; then
    echo "run_parsers_bench: $bin not found; build first (scripts/build.sh) or set BUILD_DIR" >&2
    exit 1
  fi
done
MTAIL=$(command -v mtail || true)
TIME_BIN=
[ -x /usr/bin/time ] && TIME_BIN=/usr/bin/time

TMP=$(mktemp -d "${TMPDIR:-/tmp}/logtally-parsers-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$BENCH_DIR"

# corpus FORMAT LINES EXT: generates (or reuses, when its size and first lines are current) the
# corpus and prints its path.
corpus() {
  local format=$1 lines=$2 file=$BENCH_DIR/corpus-$1-$2.$3
  local sample=$((lines < 1000 ? lines : 1000))
  if [ -f "$file" ] && [ -f "$file.bytes" ] &&
    [ "$(stat -c %s "$file")" = "$(cat "$file.bytes")" ] &&
    "$GEN" --format "$format" "$sample" "$TMP/sample" 2>/dev/null &&
    head -n "$sample" "$file" | cmp -s - "$TMP/sample"; then
    echo "corpus: reusing $file" >&2
  else
    echo "corpus: generating $lines $format lines into $file" >&2
    rm -f "$file.bytes"
    "$GEN" --format "$format" "$lines" "$file.tmp" 2>/dev/null
    mv "$file.tmp" "$file"
    stat -c %s "$file" >"$file.bytes"
  fi
  cat "$file" >/dev/null # Warm the page cache.
  echo "$file"
}

# run_timed OUT CMD...: sets WALL (s, from ns stamps), CPU (user+sys s, or empty) and RSS_KB.
run_timed() {
  local out=$1 t0 t1 rc=0
  shift
  t0=$(date +%s%N)
  if [ -n "$TIME_BIN" ]; then
    "$TIME_BIN" -f '%e %M %U %S' -o "$TMP/time" "$@" >"$out" 2>"$TMP/stderr" || rc=$?
  else
    "$@" >"$out" 2>"$TMP/stderr" || rc=$?
  fi
  t1=$(date +%s%N)
  if [ "$rc" != 0 ]; then
    echo "run_parsers_bench: '$*' failed (exit $rc); its stderr ends with:" >&2
    tail -n 20 "$TMP/stderr" >&2
    exit 1
  fi
  WALL=$(awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.3f", ns / 1e9 }')
  CPU=
  RSS_KB=
  if [ -n "$TIME_BIN" ]; then
    RSS_KB=$(tail -n 1 "$TMP/time" | awk '{ print $2 }')
    CPU=$(tail -n 1 "$TMP/time" | awk '{ printf "%.2f", $3 + $4 }')
  fi
}

# comparable FILE PATTERN: the samples of the metrics matching PATTERN, with values in one
# canonical number form, sorted (label values are compared exactly).
comparable() {
  grep -E "$2" "$1" | awk '{
      v = $NF + 0
      if (v == int(v)) $NF = sprintf("%.0f", v)
      if (match($0, /le="[^"]*"/)) {
        le = substr($0, RSTART + 4, RLENGTH - 5)
        if (le != "+Inf") le = sprintf("%.15g", le + 0)
        $0 = substr($0, 1, RSTART - 1) "le=\"" le "\"" substr($0, RSTART + RLENGTH)
      }
      print
    }' | LC_ALL=C sort
}

# check NAME OUT PATTERN REFERENCE: OUT computes what REFERENCE holds.
check() {
  comparable "$2" "$3" >"$TMP/got.txt"
  if [ ! -s "$4" ] || ! cmp -s "$4" "$TMP/got.txt"; then
    echo "run_parsers_bench: MISMATCH: $1 differs from the reference" \
      "($(wc -l <"$4") vs $(wc -l <"$TMP/got.txt") samples; < reference, > $1):" >&2
    diff "$4" "$TMP/got.txt" | head -n 20 >&2 || true
    exit 1
  fi
}

# Bookkeeping: record NAME keeps every round's wall time and CPU time (user + sys of the whole
# process, all threads) and the peak RSS; summarize sets best_wall/best_cpu (the names are
# historical) to the medians over the rounds. On a loaded machine the CPU time drifts much less
# than the wall time, so both ratios are printed.
declare -A all_wall all_cpu best_wall best_cpu peak_rss
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) exit
    if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
record() {
  local name=$1
  all_wall[$name]="${all_wall[$name]:-} $WALL"
  [ -n "${CPU:-}" ] && all_cpu[$name]="${all_cpu[$name]:-} $CPU"
  if [ -n "$RSS_KB" ] && [ "$RSS_KB" -gt "${peak_rss[$name]:-0}" ]; then peak_rss[$name]=$RSS_KB; fi
  echo "round $round: $name ${WALL}s${CPU:+ cpu ${CPU}s}${RSS_KB:+ ${RSS_KB}KB}"
}
summarize() {
  local name
  for name in "$@"; do
    best_wall[$name]=$(median <<<"${all_wall[$name]}")
    best_cpu[$name]=$(median <<<"${all_cpu[$name]:-}")
    echo "$name: wall s$(printf ' %s' ${all_wall[$name]}); cpu s$(printf ' %s' ${all_cpu[$name]:-})"
  done
}

# row LABEL NAME LINES BYTES BASE_NAME: one line of a result table.
row() {
  awk -v label="$1" -v lines="$3" -v bytes="$4" -v wall="${best_wall[$2]}" \
    -v cpu="${best_cpu[$2]:-}" -v base="${best_wall[$5]}" -v base_cpu="${best_cpu[$5]:-}" \
    -v rss="${peak_rss[$2]:-}" 'BEGIN {
      if (wall <= 0) wall = 0.001
      have_cpu = cpu != "" && cpu > 0 && base_cpu != "" && base_cpu > 0
      cpu_rate = have_cpu ? sprintf("%.2f", lines / cpu / 1e6) : "n/a"
      cpu_ratio = have_cpu ? sprintf("%.2f", base_cpu / cpu) : "n/a"
      rss_text = rss != "" ? sprintf("%.1f", rss / 1024) : "n/a"
      printf "%-16s %9.3f %7.0f %7.3f %10s %7s %12.2f %12s\n", label, lines / wall / 1e6,
             bytes / wall / 1e6, wall, cpu_rate, rss_text, base / wall, cpu_ratio
    }'
}
header() {
  printf '%-16s %9s %7s %7s %10s %7s %12s %12s\n' program "M lines/s" "MB/s" "wall s" \
    "M l/cpu-s" "RSS MiB" "wall vs $1" "cpu vs $1"
}

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
echo "machine: $(nproc) CPUs${cpu:+, $cpu}; load average $(cut -d' ' -f1-3 /proc/loadavg);" \
  "medians of $ROUNDS rounds; MB = 10^6 bytes"

# --- 1. logfmt vs JSON --------------------------------------------------------------------------
JSON=$(corpus json "$LINES" jsonl)
LOGFMT=$(corpus logfmt "$LINES" logfmt)
write_config() { # write_config FILE CORPUS PARSER WORKERS
  local path
  path=$(printf '%s' "$2" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')
  cat >"$1" <<EOF
sources:
  corpus: { type: file, path: "$path", start_at: beginning }
pipelines:
  http:
    inputs: [corpus]
    parser: { type: $3 }
    metrics:
      - name: http_requests_total
        type: counter
        labels: { method: method, status: status, service: service }
      - name: http_request_duration_seconds
        type: histogram
        value: duration_ms
        scale: 0.001
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
        labels: { service: service }
      - name: http_response_bytes_total
        type: counter
        value: bytes
workers: $4
EOF
}
write_config "$TMP/json.yaml" "$JSON" json 1
write_config "$TMP/logfmt.yaml" "$LOGFMT" logfmt 1
HTTP='^(http_requests_total|http_request_duration_seconds_(bucket|count)|http_response_bytes_total)[{ ]'
for round in $(seq 1 "$ROUNDS"); do
  run_timed "$TMP/json.out" "$LOGTALLY" --once --config "$TMP/json.yaml"
  [ -f "$TMP/json.ref" ] || comparable "$TMP/json.out" "$HTTP" >"$TMP/json.ref"
  check json "$TMP/json.out" "$HTTP" "$TMP/json.ref"
  record json
  run_timed "$TMP/logfmt.out" "$LOGTALLY" --once --config "$TMP/logfmt.yaml"
  check logfmt "$TMP/logfmt.out" "$HTTP" "$TMP/json.ref"
  record logfmt
done
echo "check: logfmt computes exactly the JSON run's requests, buckets, counts and bytes" \
  "($(wc -l <"$TMP/json.ref") samples)"
summarize json logfmt
echo
echo "1. logfmt vs JSON, same $LINES records, workers: 1"
echo "   json corpus $(stat -c %s "$JSON") bytes, logfmt corpus $(stat -c %s "$LOGFMT") bytes"
header json
row "logtally json" json "$LINES" "$(stat -c %s "$JSON")" json
row "logtally logfmt" logfmt "$LINES" "$(stat -c %s "$LOGFMT")" json
echo

# --- 2. regex vs mtail ------------------------------------------------------------------------
APACHE=$(corpus apache "$REGEX_LINES" log)
# The same regular expression for both (RE2 syntax, which mtail's Go regexp shares here).
RE='^(?P<client>\S+) \S+ \S+ \[[^\]]+\] "(?P<method>[A-Z]+) \S+ [^"]*" (?P<status>\d{3}) (?P<bytes>\d+|-) "(?P<referer>[^"]*)" "(?P<agent>[^"]*)"$'
write_regex_config() { # FILE WORKERS
  local path
  path=$(printf '%s' "$APACHE" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')
  cat >"$1" <<EOF
sources:
  access: { type: file, path: "$path", start_at: beginning }
pipelines:
  web:
    inputs: [access]
    parser:
      type: regex
      patterns: ['$RE']
    metrics:
      - { name: http_requests_total, type: counter, labels: { method: method, status: status } }
      - { name: http_response_bytes_total, type: counter, value: bytes }
      - { name: http_requests_by_client_total, type: counter, labels: { client: client } }
      - { name: http_requests_by_agent_total, type: counter, labels: { agent: agent } }
      - { name: http_requests_by_referer_total, type: counter, labels: { referer: referer } }
workers: $2
EOF
}
write_regex_config "$TMP/regex1.yaml" 1
write_regex_config "$TMP/regex2.yaml" 2
mkdir -p "$TMP/progs"
cat >"$TMP/progs/apache.mtail" <<EOF
counter http_requests_total by method, status
counter http_response_bytes_total
counter http_requests_by_client_total by client
counter http_requests_by_agent_total by agent
counter http_requests_by_referer_total by referer

/${RE//\//\\/}/ {
  http_requests_total[\$method][\$status]++
  http_requests_by_client_total[\$client]++
  http_requests_by_agent_total[\$agent]++
  http_requests_by_referer_total[\$referer]++
  \$bytes != "-" {
    http_response_bytes_total += int(\$bytes)
  }
}
EOF
WEB='^http_(requests_total|response_bytes_total|requests_by_client_total|requests_by_agent_total|requests_by_referer_total)[{ ]'
names=()
[ -n "$MTAIL" ] && names+=(mtail) # First: with mtail installed, its output is the reference.
names+=(regex1 regex2)
[ -n "${LOGTALLY_BEFORE:-}" ] && names+=(before1)
run_regex() { # run_regex NAME: one run, checked against the reference (the first run's output).
  local name=$1
  case $name in
    regex1) run_timed "$TMP/$name.out" "$LOGTALLY" --once --config "$TMP/regex1.yaml" ;;
    regex2) run_timed "$TMP/$name.out" "$LOGTALLY" --once --config "$TMP/regex2.yaml" ;;
    before1) run_timed "$TMP/$name.out" "$LOGTALLY_BEFORE" --once --config "$TMP/regex1.yaml" ;;
    mtail)
      # --one_shot still opens its HTTP listener: keep it on loopback, on a free port.
      run_timed "$TMP/$name.out" "$MTAIL" --one_shot --one_shot_format prometheus \
        --emit_prog_label=false --logtostderr --address 127.0.0.1 --port 0 \
        --progs "$TMP/progs" --logs "$APACHE"
      ;;
  esac
  [ -f "$TMP/regex.ref" ] || comparable "$TMP/$name.out" "$WEB" >"$TMP/regex.ref"
  check "$name" "$TMP/$name.out" "$WEB" "$TMP/regex.ref"
}
# The check before any timing: every program once, against the first one's samples.
for name in "${names[@]}"; do run_regex "$name"; done
grep -q '^logtally_records_dropped_total{pipeline="web",reason="no_match"} 0$' "$TMP/regex1.out" || {
  echo "run_parsers_bench: some apache lines did not match the pattern" >&2
  exit 1
}
echo "check: ${names[*]} compute the same $(wc -l <"$TMP/regex.ref") samples" \
  "(reference: ${names[0]}); no line was no_match"
for round in $(seq 1 "$ROUNDS"); do
  for name in "${names[@]}"; do
    run_regex "$name"
    record "$name"
  done
done
summarize "${names[@]}"
echo
echo "2. regex extraction (Apache combined, 6 named groups), $REGEX_LINES lines," \
  "$(stat -c %s "$APACHE") bytes"
header "w=1"
row "logtally w=1" regex1 "$REGEX_LINES" "$(stat -c %s "$APACHE")" regex1
row "logtally w=2" regex2 "$REGEX_LINES" "$(stat -c %s "$APACHE")" regex1
[ -n "${LOGTALLY_BEFORE:-}" ] && row "before w=1" before1 "$REGEX_LINES" "$(stat -c %s "$APACHE")" regex1
if [ -n "$MTAIL" ]; then
  row "mtail" mtail "$REGEX_LINES" "$(stat -c %s "$APACHE")" regex1
  awk -v a="${best_wall[mtail]}" -v b="${best_wall[regex1]}" -v c="${best_cpu[mtail]:-}" \
    -v d="${best_cpu[regex1]:-}" -v e="${best_wall[regex2]}" 'BEGIN {
      printf "logtally vs mtail: w=1 %.1fx and w=2 %.1fx the lines/s (wall)", a / b, a / e
      if (c != "" && d != "" && d > 0) printf "; w=1 %.1fx the lines per CPU-second", c / d
      printf "\n"
    }'
  if [ -n "${LOGTALLY_BEFORE:-}" ]; then
    awk -v c="${best_cpu[mtail]:-}" -v d="${best_cpu[before1]:-}" 'BEGIN {
      if (c != "" && d != "" && d > 0) printf "before (LOGTALLY_BEFORE) vs mtail: w=1 %.1fx the lines per CPU-second\n", c / d
    }'
  fi
  echo "mtail: $("$MTAIL" --version 2>&1 | head -n 1)"
else
  echo "mtail not installed (Debian package mtail): only logtally was measured"
fi
