#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang with ASan + UBSan) in build-fuzz/, generates their
# seed corpora from ../shared/testdata and examples/, and runs each target for SECONDS (default
# 60). Prints, per target, the executions, coverage (libFuzzer's final `cov:` and `ft:`) and
# crashes; exits non-zero if any target crashed, leaked or timed out.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (docs/fuzzing.md)
# - The corpus each run grows is kept in build-fuzz/corpus/<target>/ and reused next time.
# - Inputs that crash are kept in build-fuzz/crashes/<target>/; reproduce one with
#   build-fuzz/fuzz/<target>_fuzz FILE.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift $(($# > 0 ? 1 : 0))
all_targets=(json_parser logfmt_parser regex_parser envelope multiline filter config checkpoint test_file event_time)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")
BUILD=${FUZZ_BUILD_DIR:-build-fuzz}
TESTDATA=${LOGTALLY_TESTDATA_DIR:-../shared/testdata}
jobs=$(nproc)

launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
# Debug keeps assertions (and simdjson's development checks) on; -O1 keeps it fast enough.
if ! CC=clang CXX=clang++ cmake -S . -B "$BUILD" -DLOGTALLY_BUILD_FUZZ=ON \
    -DLOGTALLY_BUILD_TESTS=OFF -DLOGTALLY_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" -DCMAKE_C_FLAGS_DEBUG="-O1 -g" "${launcher[@]}" >/dev/null; then
  echo "fuzz: cmake configure failed" >&2
  exit 1
fi
build_targets=(logtally)
for t in "${targets[@]}"; do build_targets+=("${t}_fuzz"); done
if ! cmake --build "$BUILD" -j"$jobs" --target "${build_targets[@]}" >"$BUILD/build.log" 2>&1; then
  tail -n 40 "$BUILD/build.log" >&2
  echo "fuzz: build failed (log: $BUILD/build.log)" >&2
  exit 1
fi

# ---- Seed corpora: regenerated each run from the test data (never committed). ----
seeds="$BUILD/seeds"
rm -rf "$seeds"
mkdir -p "$seeds"
# lines FILE DIR PREFIX [N]: the first N (default 200) non-empty lines of FILE, one file each.
lines() {
  mkdir -p "$2"
  grep -v '^$' "$1" 2>/dev/null | head -n "${4:-200}" | split -l 1 -a 4 - "$2/$3-" || true
}

d="$seeds/json_parser"
mkdir -p "$d"
cp "$TESTDATA"/jsontestsuite/*.json "$d"/ 2>/dev/null
lines "$TESTDATA/jsonlogs/alloy-pipelinetest/worker.jsonl" "$d" worker 100
lines "$TESTDATA/jsonlogs/k8s-audit-falco/all_events.jsonl" "$d" audit 52
lines "$TESTDATA/jsonlogs/fluent-bit-utf8/utf8_surrogate_bench_10k.ndjson" "$d" utf8 100
for f in "$TESTDATA"/jsonlogs/elasticsearch/*.log; do lines "$f" "$d" "es-$(basename "$f" .log)" 40; done

d="$seeds/logfmt_parser"
lines "$TESTDATA/jsonlogs/alloy-pipelinetest/api.logfmt" "$d" api 100
printf 'level=info msg="a \\"quoted\\" \\u00e9 value" status=200 duration=0.25 http.method=GET' >"$d/own-1"
printf 'trace.id=abc bytes=1e3 caller=main.go:12 flag =x "free text" level=' >"$d/own-2"

d="$seeds/regex_parser"
for f in apache-combined.log apache-common.log lighttpd_access.log rsyncd.log sftp_chroot.log \
         vsftpd_log vsftpd_xferlog ntp4; do
  lines "$TESTDATA/mtail/$f" "$d" "${f%.log}" 40
done
printf 'ERROR:   disk full on /var' >"$d/own-level"
printf 'GET /x status=503 duration=12.5ms' >"$d/own-kv"

# Envelope: the first byte picks the format (odd: docker) and the join limit (byte >> 1).
d="$seeds/envelope"
mkdir -p "$d"
for f in "$TESTDATA"/container/cri/*.log; do
  { printf '\376'; cat "$f"; } >"$d/cri-$(basename "$f")"        # limit 1024
  { printf '\010'; cat "$f"; } >"$d/cri-small-$(basename "$f")"  # limit 40: kTooLong
done
find "$TESTDATA/container/docker" -type f | while IFS= read -r f; do
  { printf '\377'; cat "$f"; } >"$d/docker-$(basename "$(dirname "$f")")-$(basename "$f")"
done

# Multi-line: byte 1 the mode and limits, byte 2 the pattern; then lines ('~': after a pause).
d="$seeds/multiline"
mkdir -p "$d"
{ printf '\376\002'; printf '%b\n' '2024-05-01 12:00:01 ERROR failed' \
    'java.lang.IllegalStateException: x' '\tat a.B.c(B.java:1)' 'Caused by: java.io.IOException' \
    '\t... 2 more' '2024-05-01 12:00:02 INFO ok'; } >"$d/java-start"
{ printf '\001\003'; printf '%s\n' 'Exception: x' '    at a.b' 'Caused by: y' '    at c.d' 'next' \
    '~late'; } >"$d/java-continue"
{ printf '\006\000'; printf '%s\n' 'S1' ' a' ' b' ' c' 'S2' '~S3' ' d'; } >"$d/small-limits"

# Filter: the expression on the first line, then one value per planned field (plan order).
# Event times: a format, a zone, then times (docs/event-time.md's examples).
d="$seeds/event_time"
mkdir -p "$d"
printf '%%d/%%b/%%Y:%%H:%%M:%%S %%z\nUTC\n10/Oct/2000:13:55:36 -0700\n01/Nov/2026:06:25:24 +0000\n' >"$d/apache"
printf '%%Y-%%m-%%d %%H:%%M:%%S\nEurope/Berlin\n2024-03-31 02:30:00\n2024-10-27 02:30:00,5\n' >"$d/berlin"
printf 'rfc3339\n+02:00\n2024-03-01T12:34:56.123456789Z\n2024-03-01 12:34:56\n1709296496.25\n' >"$d/rfc"
printf '%%a %%b %%e %%I:%%M:%%S %%p %%Y\n-0530\nFri Mar  1 12:34:56 PM 2024\n%%s\n' >"$d/ampm"

d="$seeds/filter"
mkdir -p "$d"
i=0
while IFS= read -r expr; do
  i=$((i + 1))
  printf '%s\n200\n/api/users\ninfo\n' "$expr" >"$d/expr-$i"
done < <(grep -rhoE '(filter|when): .*' examples docs/transforms.md 2>/dev/null |
         sed -E "s/^(filter|when): //; s/[,}]? *(initial|labels|value):.*$//; s/^'(.*)'$/\1/" |
         sort -u | head -n 60)
printf 'status >= 500 && path =~ "/api/.*" || !(level == "debug")\n503\n/api/x\ninfo\n' >"$d/own-1"
printf '((a < b) || exists(c)) && d !~ "x+" && e != 1.5e3\n1\n2\n\nfoo\n1500\n' >"$d/own-2"

d="$seeds/config"
mkdir -p "$d"
for f in examples/*.yaml examples/mtail/*.yaml; do cp "$f" "$d/$(basename "$(dirname "$f")")-$(basename "$f")"; done
# Exemplars (no example uses them): a counter and a histogram with `exemplar:`, and a gauge
# that may not have one.
cat >"$d/own-exemplar.yaml" <<'YAML'
sources: { in: { type: stdin } }
pipelines:
  p:
    inputs: [in]
    parser: json
    metrics:
      - { name: a_total, type: counter, exemplar: { trace_id: trace.id, span_id: span } }
      - { name: b, type: histogram, value: v, buckets: [1, 2], exemplar: { trace_id: t } }
      - { name: c, type: gauge, value: v, exemplar: { trace_id: t } }
YAML

d="$seeds/test_file"
mkdir -p "$d"
for f in examples/tests/*.yaml; do cp "$f" "$d/$(basename "$f")"; done
printf 'http_requests_total{method="GET",status="500"} 1' >"$d/own-series"

# Checkpoint: a real file written by the binary over real logs (counter, gauge, histogram).
d="$seeds/checkpoint"
work="$BUILD/seed-work"
rm -rf "$work" && mkdir -p "$d" "$work/logs"
cp "$TESTDATA/jsonlogs/alloy-pipelinetest/worker.jsonl" "$work/logs/a.log"
cat >"$work/c.yaml" <<YAML
sources:
  app: { type: file, include: ["$work/logs/*.log"] }
pipelines:
  p:
    inputs: [app]
    parser: json
    metrics:
      - { name: lines_total, type: counter, labels: { level: level } }
      - { name: last_depth, type: gauge, value: depth }
      - { name: size_bytes, type: histogram, value: size, buckets: [1, 10, 100] }
checkpoint: { dir: "$work/state" }
YAML
if ! ASAN_OPTIONS=detect_leaks=0 "$BUILD/logtally" --once -c "$work/c.yaml" >/dev/null 2>"$work/err" ||
   [ ! -f "$work/state/checkpoint.bin" ]; then
  echo "fuzz: could not write the checkpoint seed: $(tail -n 3 "$work/err")" >&2
  exit 1
fi
cp "$work/state/checkpoint.bin" "$d/written-by-logtally.bin"

# ---- Runs ----
max_len() {
  case $1 in
    config | test_file) echo 4096 ;;
    checkpoint | envelope) echo 65536 ;;
    *) echo 16384 ;;
  esac
}
failed=()
printf '%-14s %12s %8s %8s %8s\n' target executions cov ft crashes
for t in "${targets[@]}"; do
  corpus="$BUILD/corpus/$t"
  crashes="$BUILD/crashes/$t"
  mkdir -p "$corpus" "$crashes"
  before=$(find "$crashes" -type f | wc -l)
  log="$BUILD/$t.log"
  "$BUILD/fuzz/${t}_fuzz" "$corpus" "$seeds/$t" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len="$(max_len "$t")" -print_final_stats=1 \
    -artifact_prefix="$crashes/" >"$log" 2>&1
  rc=$?
  execs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$log" | grep -oE '[0-9]+$' | tail -n 1)
  last=$(grep -E '^#[0-9]+' "$log" | grep -E 'cov: [0-9]+' | tail -n 1)
  cov=$(grep -oE 'cov: [0-9]+' <<<"$last" | grep -oE '[0-9]+')
  ft=$(grep -oE 'ft: [0-9]+' <<<"$last" | grep -oE '[0-9]+')
  new=$(($(find "$crashes" -type f | wc -l) - before))
  if [ "$rc" -ne 0 ] && [ "$new" -eq 0 ]; then new=1; fi  # died without writing an input
  printf '%-14s %12s %8s %8s %8s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$new"
  if [ "$rc" -ne 0 ] || [ "$new" -gt 0 ]; then
    failed+=("$t")
    grep -E 'ERROR|SUMMARY|fuzz check failed|Test unit written' "$log" | head -n 5 | sed 's/^/  /'
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs in $BUILD/crashes/<target>/, logs in $BUILD/<target>.log)"
  exit 1
fi
echo "fuzz: ok, ${#targets[@]} targets, ${seconds}s each, no crash"
