#!/usr/bin/env bash
# Whole-binary benchmark: logtally against the bare simdjson loops, same corpus, same run.
#
# Usage: bench/run_bench.sh [LINES]          (default 2000000)
#
# Expects a built tree (scripts/build.sh): $BUILD_DIR/logtally, $BUILD_DIR/bench/gen_corpus and
# $BUILD_DIR/bench/bare_simdjson, BUILD_DIR defaulting to build/ in the repo root.
# Environment:
#   BUILD_DIR       build tree (default: build)
#   BENCH_DIR       where the generated corpus is kept for reuse (default: /tmp/logtally-bench)
#   ROUNDS          rounds of every program; medians are reported (default 5)
#   SKIP_LOGTALLY   1 = time the bare loops only (for checking the benchmark itself)
#
# Programs, alternated within each round:
#   bare on-demand   bare_simdjson FILE: On-Demand per line, validates what it reads
#   bare DOM         bare_simdjson --dom FILE: DOM per line, validates the whole line
#   full w=1 / w=2   logtally --once, `validate: full` (the default), workers 1 / 2
#   touched w=1      logtally --once, `validate: touched`, workers 1
# Every run's metrics are checked against the bare On-Demand loop's before any timing is
# printed; a mismatch prints the head of the diff and exits 1. Then it prints each program's
# median wall and CPU (user + system) seconds, and the ratios issue 13 asks for: CPU of full w=1
# to bare DOM, CPU of touched w=1 to bare On-Demand, wall of full w=1 to full w=2. Ratios, not
# seconds, are comparable across runs on a shared machine.
set -euo pipefail

cd "$(dirname "$0")/.."

LINES=${1:-2000000}
case $LINES in
  '' | *[!0-9]* | 0 | 00*)
    echo "usage: bench/run_bench.sh [LINES]" >&2
    exit 2
    ;;
esac
BUILD_DIR=${BUILD_DIR:-build}
BENCH_DIR=${BENCH_DIR:-/tmp/logtally-bench}
ROUNDS=${ROUNDS:-5}
SKIP_LOGTALLY=${SKIP_LOGTALLY:-0}

GEN=$BUILD_DIR/bench/gen_corpus
BARE=$BUILD_DIR/bench/bare_simdjson
LOGTALLY=$BUILD_DIR/logtally

need=("$GEN" "$BARE")
[ "$SKIP_LOGTALLY" = 1 ] || need+=("$LOGTALLY")
for bin in "${need[@]}"; do
  if [ ! -x "$bin" ]; then
    echo "run_bench: $bin not found; build first (scripts/build.sh) or set BUILD_DIR" >&2
    exit 1
  fi
done

if [ ! -x /usr/bin/time ]; then
  echo "run_bench: /usr/bin/time is missing (Debian package 'time'); CPU time needs it" >&2
  exit 1
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/logtally-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# --- Corpus -------------------------------------------------------------------------------------
# Reused when its size matches the one recorded when it was generated and its first lines match
# what the current generator writes (so a changed generator never benchmarks a stale corpus).
mkdir -p "$BENCH_DIR"
CORPUS=$BENCH_DIR/corpus-$LINES.jsonl
corpus_is_current() {
  [ -f "$CORPUS" ] && [ -f "$CORPUS.bytes" ] || return 1
  [ "$(stat -c %s "$CORPUS")" = "$(cat "$CORPUS.bytes")" ] || return 1
  local sample=$((LINES < 1000 ? LINES : 1000))
  "$GEN" "$sample" "$TMP/sample.jsonl" 2>/dev/null
  head -n "$sample" "$CORPUS" | cmp -s - "$TMP/sample.jsonl"
}
if corpus_is_current; then
  echo "corpus: reusing $CORPUS"
else
  echo "corpus: generating $LINES lines into $CORPUS"
  rm -f "$CORPUS.bytes"
  "$GEN" "$LINES" "$CORPUS.tmp"
  mv "$CORPUS.tmp" "$CORPUS"
  stat -c %s "$CORPUS" >"$CORPUS.bytes"
fi
CORPUS_BYTES=$(stat -c %s "$CORPUS")
cat "$CORPUS" >/dev/null  # Warm the page cache: every run then reads from memory.

# --- Configs ------------------------------------------------------------------------------------
# The path is a double-quoted YAML scalar so that any directory name survives the flow mapping.
yaml_path=$(printf '%s' "$CORPUS" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')
write_config() {
  cat >"$1" <<EOF
sources:
  corpus: { type: file, path: "$yaml_path", start_at: beginning }
pipelines:
  http:
    inputs: [corpus]
    parser: { type: json, validate: $3 }
    metrics:
      - name: http_requests_total
        type: counter
        help: Requests by method, status and service.
        labels: { method: method, status: status, service: service }
      - name: http_request_duration_seconds
        type: histogram
        help: Request duration.
        value: duration_ms
        scale: 0.001
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
        labels: { service: service }
      - name: http_response_bytes_total
        type: counter
        help: Response bytes.
        value: bytes
workers: $2
EOF
}
write_config "$TMP/full-w1.yaml" 1 full
write_config "$TMP/full-w2.yaml" 2 full
write_config "$TMP/touched-w1.yaml" 1 touched

# --- Running and checking -----------------------------------------------------------------------
# run_timed OUT CMD...: runs CMD with stdout in OUT. Sets WALL (seconds), CPU (user + system
# seconds of all its threads, 10 ms steps) and RSS_KB (peak RSS). Wall time is taken with
# nanosecond `date` stamps around the run rather than from time's %e, whose 10 ms steps are 2%
# of a half-second run.
run_timed() {
  local out=$1
  shift
  local t0 t1 rc=0
  t0=$(date +%s%N)
  /usr/bin/time -f '%e %M %U %S' -o "$TMP/time" "$@" >"$out" 2>"$TMP/stderr" || rc=$?
  t1=$(date +%s%N)
  if [ "$rc" != 0 ]; then
    echo "run_bench: '$*' failed (exit $rc); its stderr ends with:" >&2
    tail -n 20 "$TMP/stderr" >&2
    exit 1
  fi
  WALL=$(awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.3f", ns / 1e9 }')
  RSS_KB=$(tail -n 1 "$TMP/time" | awk '{ print $2 }')
  CPU=$(tail -n 1 "$TMP/time" | awk '{ printf "%.2f", $3 + $4 }')
}

# The samples both sides must agree on, one per line, sorted. Values and `le` bounds are
# rewritten in one canonical number form (integers without a decimal point or exponent, bounds
# as %.15g) on both sides, so that "1e+10" vs "10000000000" or "1.0" vs "1" cannot cause a
# false mismatch; counts and label values themselves are compared exactly.
comparable() {
  local pattern='^(http_requests_total|http_request_duration_seconds_(bucket|count)'
  pattern+='|http_response_bytes_total)[{ ]'
  grep -E "$pattern" "$1" |
    awk '{
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

# check NAME OUT: compares OUT's samples with the bare loop's reference.
check() {
  comparable "$2" >"$TMP/got.txt"
  if ! cmp -s "$TMP/reference.txt" "$TMP/got.txt"; then
    echo "run_bench: MISMATCH: $1 does not compute what the bare loop computes" >&2
    echo "  (< bare_simdjson, > $1;" \
      "$(wc -l <"$TMP/reference.txt") vs $(wc -l <"$TMP/got.txt") samples)" >&2
    diff "$TMP/reference.txt" "$TMP/got.txt" | head -n 20 >&2 || true
    exit 1
  fi
}

names=(od dom)
labels=("bare on-demand" "bare DOM")
if [ "$SKIP_LOGTALLY" != 1 ]; then
  names+=(full-w1 touched-w1 full-w2)
  labels+=("full w=1" "touched w=1" "full w=2")
fi
declare -A walls cpus peak_rss
for name in "${names[@]}"; do
  walls[$name]=
  cpus[$name]=
  peak_rss[$name]=0
done

# Alternate the programs within each round so slow drift on a shared machine hits all of them
# alike; keep every round's figures and report medians.
for round in $(seq 1 "$ROUNDS"); do
  for name in "${names[@]}"; do
    case $name in
      od) run_timed "$TMP/out-$name.txt" "$BARE" "$CORPUS" ;;
      dom) run_timed "$TMP/out-$name.txt" "$BARE" --dom "$CORPUS" ;;
      *) run_timed "$TMP/out-$name.txt" "$LOGTALLY" --once --config "$TMP/$name.yaml" ;;
    esac
    if [ "$name" = od ] && [ ! -f "$TMP/reference.txt" ]; then
      comparable "$TMP/out-od.txt" >"$TMP/reference.txt"
      if [ ! -s "$TMP/reference.txt" ]; then
        echo "run_bench: bare_simdjson printed no samples" >&2
        exit 1
      fi
    fi
    check "$name" "$TMP/out-$name.txt"
    echo "round $round: $name wall ${WALL}s cpu ${CPU}s ${RSS_KB}KB"
    walls[$name]+="$WALL "
    cpus[$name]+="$CPU "
    if [ "$RSS_KB" -gt "${peak_rss[$name]}" ]; then peak_rss[$name]=$RSS_KB; fi
  done
done
echo "check: in every run, requests, buckets, counts and bytes equal the bare loop's" \
  "($(wc -l <"$TMP/reference.txt") samples)"

# --- Report -------------------------------------------------------------------------------------
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END {
  if (NR % 2) printf "%.3f", v[(NR + 1) / 2]; else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
declare -A wall cpu
for name in "${names[@]}"; do
  wall[$name]=$(median <<<"${walls[$name]}")
  cpu[$name]=$(median <<<"${cpus[$name]}")
done
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
echo
echo "corpus: $LINES lines, $CORPUS_BYTES bytes ($((CORPUS_BYTES / LINES)) bytes/line)," \
  "page cache warm"
echo "machine: $(nproc) CPUs${cpu_model:+, $cpu_model}; load average" \
  "$(cut -d' ' -f1-3 /proc/loadavg); medians of $ROUNDS rounds; MB = 10^6 bytes"
printf '%-15s %10s %9s %9s %9s %9s\n' "program" "M lines/s" "MB/s" "wall s" "CPU s" "RSS MiB"
i=0
for name in "${names[@]}"; do
  awk -v label="${labels[$i]}" -v lines="$LINES" -v bytes="$CORPUS_BYTES" \
    -v wall="${wall[$name]}" -v cpu="${cpu[$name]}" -v rss="${peak_rss[$name]}" 'BEGIN {
      if (wall <= 0) wall = 0.001  # A run faster than the clock step: avoid dividing by zero.
      printf "%-15s %10.2f %9.0f %9.3f %9.2f %9.1f\n", label, lines / wall / 1e6,
             bytes / wall / 1e6, wall, cpu, rss / 1024
    }'
  i=$((i + 1))
done
# ratio NUMERATOR DENOMINATOR: a / b with two decimals ("n/a" if b is 0).
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
echo
echo "bare DOM / bare on-demand CPU: $(ratio "${cpu[dom]}" "${cpu[od]}")"
if [ "$SKIP_LOGTALLY" != 1 ]; then
  echo "CPU  full w=1 / bare DOM:           $(ratio "${cpu[full-w1]}" "${cpu[dom]}")" \
    "(issue 13: at most 1)"
  echo "CPU  touched w=1 / bare on-demand:  $(ratio "${cpu[touched-w1]}" "${cpu[od]}")" \
    "(issue 13: at most 1)"
  echo "wall full w=1 / full w=2:           $(ratio "${wall[full-w1]}" "${wall[full-w2]}")" \
    "(issue 13: at least 1.8)"
fi
