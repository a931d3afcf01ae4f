#!/usr/bin/env bash
# Whole-binary benchmark: logtally (1 and 2 workers) against the bare simdjson loop, same corpus.
#
# Usage: bench/run_bench.sh [LINES]          (default 2000000)
#
# Expects a built tree (scripts/build.sh): $BUILD_DIR/logtally, $BUILD_DIR/bench/gen_corpus and
# $BUILD_DIR/bench/bare_simdjson, BUILD_DIR defaulting to build/ in the repo root.
# Environment:
#   BUILD_DIR       build tree (default: build)
#   BENCH_DIR       where the generated corpus is kept for reuse (default: /tmp/logtally-bench)
#   ROUNDS          rounds of (bare, logtally w=1, logtally w=2); best wall time wins (default 3)
#   SKIP_LOGTALLY   1 = time the bare loop only (for checking the benchmark itself)
#   VALIDATE        the json parser's validate option: full (default) or touched
#
# Every run's metrics are checked against the bare loop's before any timing is printed; a
# mismatch prints the head of the diff and exits 1. Timings are reported as ratios to the bare
# loop measured in the same invocation, since absolute figures drift on a shared machine.
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
ROUNDS=${ROUNDS:-3}
SKIP_LOGTALLY=${SKIP_LOGTALLY:-0}
VALIDATE=${VALIDATE:-full}
case $VALIDATE in
  full | touched) ;;
  *)
    echo "run_bench: VALIDATE must be full or touched" >&2
    exit 2
    ;;
esac

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

TIME_BIN=
if [ -x /usr/bin/time ]; then
  TIME_BIN=/usr/bin/time
else
  echo "run_bench: /usr/bin/time is missing (Debian package 'time'): peak RSS is not measured" >&2
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
    parser: { type: json, validate: $VALIDATE }
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
write_config "$TMP/w1.yaml" 1
write_config "$TMP/w2.yaml" 2

# --- Running and checking -----------------------------------------------------------------------
# run_timed OUT CMD...: runs CMD with stdout in OUT. Sets WALL (seconds) and RSS_KB (peak RSS, or
# empty without /usr/bin/time). Wall time is taken with nanosecond `date` stamps around the run
# rather than from time's %e, whose 10 ms steps are 2% of a half-second run.
run_timed() {
  local out=$1
  shift
  local t0 t1 rc=0
  t0=$(date +%s%N)
  if [ -n "$TIME_BIN" ]; then
    "$TIME_BIN" -f '%e %M' -o "$TMP/time" "$@" >"$out" 2>"$TMP/stderr" || rc=$?
  else
    "$@" >"$out" 2>"$TMP/stderr" || rc=$?
  fi
  t1=$(date +%s%N)
  if [ "$rc" != 0 ]; then
    echo "run_bench: '$*' failed (exit $rc); its stderr ends with:" >&2
    tail -n 20 "$TMP/stderr" >&2
    exit 1
  fi
  WALL=$(awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.3f", ns / 1e9 }')
  RSS_KB=
  if [ -n "$TIME_BIN" ]; then RSS_KB=$(tail -n 1 "$TMP/time" | awk '{ print $2 }'); fi
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

names=(bare)
labels=("bare simdjson")
if [ "$SKIP_LOGTALLY" != 1 ]; then
  names+=(w1 w2)
  labels+=("logtally w=1" "logtally w=2")
fi
declare -A best_wall peak_rss
for name in "${names[@]}"; do
  best_wall[$name]=
  peak_rss[$name]=0
done

# Alternate the three programs within each round so slow drift on a shared machine hits all
# of them alike; keep each one's best (minimum) wall time.
for round in $(seq 1 "$ROUNDS"); do
  for name in "${names[@]}"; do
    case $name in
      bare) run_timed "$TMP/out-bare.txt" "$BARE" "$CORPUS" ;;
      w1) run_timed "$TMP/out-w1.txt" "$LOGTALLY" --once --config "$TMP/w1.yaml" ;;
      w2) run_timed "$TMP/out-w2.txt" "$LOGTALLY" --once --config "$TMP/w2.yaml" ;;
    esac
    if [ "$name" = bare ] && [ ! -f "$TMP/reference.txt" ]; then
      comparable "$TMP/out-bare.txt" >"$TMP/reference.txt"
      if [ ! -s "$TMP/reference.txt" ]; then
        echo "run_bench: bare_simdjson printed no samples" >&2
        exit 1
      fi
    fi
    check "$name" "$TMP/out-$name.txt"
    echo "round $round: ${name} ${WALL}s${RSS_KB:+ ${RSS_KB}KB}"
    if [ -z "${best_wall[$name]}" ] ||
      awk -v a="$WALL" -v b="${best_wall[$name]}" 'BEGIN { exit !(a < b) }'; then
      best_wall[$name]=$WALL
    fi
    if [ -n "$RSS_KB" ] && [ "$RSS_KB" -gt "${peak_rss[$name]}" ]; then peak_rss[$name]=$RSS_KB; fi
  done
done
echo "check: in every run, requests, buckets, counts and bytes equal the bare loop's" \
  "($(wc -l <"$TMP/reference.txt") samples)"

# --- Report -------------------------------------------------------------------------------------
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
echo
echo "corpus: $LINES lines, $CORPUS_BYTES bytes ($((CORPUS_BYTES / LINES)) bytes/line)," \
  "page cache warm"
echo "machine: $(nproc) CPUs${cpu:+, $cpu}; best of $ROUNDS rounds; MB = 10^6 bytes;" \
  "logtally with validate: $VALIDATE"
printf '%-15s %10s %9s %9s %9s %9s\n' "program" "M lines/s" "MB/s" "wall s" "RSS MiB" "vs bare"
bare_wall=${best_wall[bare]}
i=0
for name in "${names[@]}"; do
  awk -v label="${labels[$i]}" -v lines="$LINES" -v bytes="$CORPUS_BYTES" \
    -v wall="${best_wall[$name]}" -v bare="$bare_wall" -v rss="${peak_rss[$name]}" \
    -v have_rss="$TIME_BIN" 'BEGIN {
      if (wall <= 0) wall = 0.001  # A run faster than the clock step: avoid dividing by zero.
      if (bare <= 0) bare = 0.001
      rss_text = have_rss != "" ? sprintf("%.1f", rss / 1024) : "n/a"
      printf "%-15s %10.2f %9.0f %9.3f %9s %9.2f\n", label, lines / wall / 1e6,
             bytes / wall / 1e6, wall, rss_text, bare / wall
    }'
  i=$((i + 1))
done
