#!/usr/bin/env bash
# Real-world JSON log samples from $LOGTALLY_TESTDATA_DIR/jsonlogs/ (see its README.md) counted by
# `logtally --once` with the configs in tests/testdata/jsonlogs/, and every resulting sample
# compared EXACTLY (whole `name{labels} value` lines; for each metric the complete set of series,
# so a missing or an extra series fails too):
#   1. k8s-audit-falco/all_events.jsonl: counters by verb, responseStatus.code, objectRef.resource
#      and user.username; expected samples derived from EXPECTED_COUNTS.json below (grep/sed/awk
#      only: no jq, no python3 on CI).
#   2. elasticsearch/: the ES 7 "level" key and the ES 8 flat key "log.level", five files as five
#      sources into three pipelines.
#   3. alloy-pipelinetest/worker.jsonl: levels and messages.
#   4. fluent-bit-utf8/utf8_surrogate_bench_10k.ndjson: 10,000 lines with \u0000 and lone UTF-16
#      surrogate escapes; the policy logtally follows is asserted and documented in section 4.
#   5. alloy-pipelinetest/api.logfmt (logfmt): the README's level counts (info 34, warn 33,
#      error 33), the quoted `msg` holding `status=200 route=...` not split into keys, and all
#      five keys of every line, compared with series derived from the file with sed; then the
#      `auto` parser on api.logfmt and worker.jsonl together.
#
# Usage: jsonlogs.sh /path/to/logtally
#   LOGTALLY_TESTDATA_DIR: folder holding jsonlogs/ (default /work/shared/testdata).
# Needs bash, coreutils, grep, sed, awk (mawk is enough), iconv and promtool (Debian package
# prometheus). Exits 1 after listing every mismatch, 2 on a usage error.
set -uo pipefail
export LC_ALL=C # byte-wise grep/sed/sort: label values hold multi-byte UTF-8 and a NUL byte

NAME=jsonlogs
die() {
  echo "FAIL [$NAME]: $*" >&2
  exit 1
}
# fail MESSAGE: records a failure and goes on, so that one run lists every mismatch. Failures
# are counted in a file, so that a call in a subshell (a pipeline) still counts.
fail() {
  echo "FAIL [$NAME]: $*" >&2
  echo x >>"$WORK/failures"
}
note() { echo "[$NAME] $*"; }

if [ $# -lt 1 ] || [ -z "$1" ]; then
  echo "usage: $0 /path/to/logtally" >&2
  exit 2
fi
BIN=$1
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac
[ -x "$BIN" ] || die "logtally binary '$BIN' is not executable"

export LOGTALLY_TESTDATA_DIR="${LOGTALLY_TESTDATA_DIR:-/work/shared/testdata}"
DATA="$LOGTALLY_TESTDATA_DIR/jsonlogs"
CFG="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/jsonlogs"
[ -f "$DATA/README.md" ] || die "test data not found: $DATA/README.md (set LOGTALLY_TESTDATA_DIR)"
[ -d "$CFG" ] || die "config folder not found: $CFG"
command -v promtool >/dev/null || die "promtool is not installed (Debian package prometheus)"
command -v iconv >/dev/null || die "iconv is not installed (Debian package libc-bin)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/logtally-$NAME.XXXXXX")" || die "mktemp -d failed"
: >"$WORK/failures"
trap 'rm -rf "$WORK"' EXIT

# run_once CONFIG: runs `logtally --once --config $CFG/CONFIG.yaml`. The raw output is kept in
# $WORK/CONFIG.prom (for promtool and byte checks); $WORK/CONFIG.txt is the same with each NUL byte
# written as the text <NUL>, since bash strings cannot hold NUL.
run_once() {
  local c=$1 rc=0
  "$BIN" --once --config "$CFG/$c.yaml" >"$WORK/$c.prom" 2>"$WORK/$c.err" || rc=$?
  [ "$rc" = 0 ] || die "logtally --once --config $CFG/$c.yaml exited $rc: $(cat "$WORK/$c.err")"
  if grep -aqF '<NUL>' "$WORK/$c.prom"; then die "$c: output already holds the text <NUL>"; fi
  sed 's/\x00/<NUL>/g' "$WORK/$c.prom" >"$WORK/$c.txt"
}

# expect_metric CONFIG METRIC < expected sample lines: the samples of METRIC in CONFIG's output
# are exactly these lines (order aside): same series, same values, none missing, none extra.
expect_metric() {
  local c=$1 metric=$2 exp act
  exp=$(grep -v '^$' | sort)
  act=$(grep -a -- "^${metric}[{ ]" "$WORK/$c.txt" | sort)
  [ -n "$exp" ] || die "expect_metric $c $metric: no expected lines given (test bug)"
  if [ "$exp" != "$act" ]; then
    fail "$c: samples of $metric differ (< expected, > actual):
$(diff <(echo "$exp") <(echo "$act") | grep '^[<>]')"
  fi
}

# expect_sample CONFIG 'SERIES' VALUE: the line 'SERIES VALUE' appears exactly once.
expect_sample() {
  local c=$1 series=$2 value=$3 got
  got=$(SERIES="$series " awk 'BEGIN { s = ENVIRON["SERIES"] }
    substr($0, 1, length(s)) == s { print substr($0, length(s) + 1) }' "$WORK/$c.txt")
  [ "$got" == "$value" ] || fail "$c: $series: expected '$value', got '${got:-<absent>}'"
}

# expect_drops CONFIG PIPELINE [REASON=N ...]: all eight logtally_records_dropped_total samples of
# PIPELINE; reasons not given must be 0.
expect_drops() {
  local c=$1 p=$2 r arg
  shift 2
  local -A want=([invalid_json]=0 [not_object]=0 [missing_value]=0 [not_a_number]=0
    [negative_value]=0 [too_long]=0 [empty]=0 [no_match]=0 [bad_envelope]=0)
  for arg in "$@"; do
    r=${arg%%=*}
    [ -n "${want[$r]+x}" ] || die "expect_drops: unknown reason '$r' (test bug)"
    want[$r]=${arg#*=}
  done
  local exp="" act
  for r in "${!want[@]}"; do
    exp+="logtally_records_dropped_total{pipeline=\"$p\",reason=\"$r\"} ${want[$r]}"$'\n'
  done
  exp=$(printf '%s' "$exp" | sort)
  act=$(grep -a "^logtally_records_dropped_total{pipeline=\"$p\"," "$WORK/$c.txt" | sort)
  if [ "$exp" != "$act" ]; then
    fail "$c: drops of pipeline $p differ (< expected, > actual):
$(diff <(echo "$exp") <(echo "$act") | grep '^[<>]')"
  fi
}

# promtool_ok CONFIG: `promtool check metrics` accepts the raw output (exit 0).
promtool_ok() {
  local c=$1 rc=0
  promtool check metrics <"$WORK/$c.prom" >"$WORK/$c.promtool" 2>&1 || rc=$?
  [ "$rc" = 0 ] || fail "$c: promtool check metrics exited $rc: $(cat "$WORK/$c.promtool")"
}

# ---------------------------------------------------------------------------------------------
# 1. Kubernetes audit events. EXPECTED_COUNTS.json (made with Python's json module, indent 1) is:
#      {
#       "by_objectRef_resource": {
#        "None": 1,
#        "clusterrolebindings": 3,
#        ...
#       },
#       "by_response_code": { ... }, "by_user_username": { ... }, "by_verb": { ... },
#       "lines": 52,
#       "note": "..."
#      }
#    one "key": count pair per line inside each "by_*" object. The awk below turns each pair
#    into a sample line of the matching counter; "None" (field absent) is also the config's
#    default, so it maps to the label value "None" as is. Any line it does not understand inside
#    a "by_*" object fails the test rather than being skipped.
c=k8s_audit
run_once $c
EXP_JSON="$DATA/k8s-audit-falco/EXPECTED_COUNTS.json"
awk '
  BEGIN {
    metric["by_verb"] = "k8s_audit_by_verb_total";               label["by_verb"] = "verb"
    metric["by_response_code"] = "k8s_audit_by_response_code_total"; label["by_response_code"] = "code"
    metric["by_objectRef_resource"] = "k8s_audit_by_resource_total"
    label["by_objectRef_resource"] = "resource"
    metric["by_user_username"] = "k8s_audit_by_username_total";  label["by_user_username"] = "username"
    bad = 0
  }
  /^[ \t]*"by_[A-Za-z_]*"[ \t]*:[ \t]*\{[ \t]*$/ {
    sec = $0; sub(/^[ \t]*"/, "", sec); sub(/".*$/, "", sec)
    if (!(sec in metric)) { print "unknown section " sec > "/dev/stderr"; bad = 1; sec = "" }
    seen[sec] = 1
    next
  }
  sec != "" && /^[ \t]*\}[ \t]*,?[ \t]*$/ { sec = ""; next }
  sec != "" {
    if ($0 !~ /^[ \t]*"[^"\\]*"[ \t]*:[ \t]*[0-9]+[ \t]*,?[ \t]*$/) {
      print "cannot read line: " $0 > "/dev/stderr"; bad = 1; next
    }
    key = $0; sub(/^[ \t]*"/, "", key); sub(/".*$/, "", key)
    val = $0; sub(/^[ \t]*"[^"]*"[ \t]*:[ \t]*/, "", val); sub(/[ \t]*,?[ \t]*$/, "", val)
    print metric[sec] "{" label[sec] "=\"" key "\"} " val
  }
  END {
    for (s in metric) if (!(s in seen)) { print "section " s " missing" > "/dev/stderr"; bad = 1 }
    exit bad
  }' "$EXP_JSON" >"$WORK/k8s.expected" || die "could not read $EXP_JSON (shape changed?)"
K8S_LINES=$(sed -n 's/^[ \t]*"lines"[ \t]*:[ \t]*\([0-9][0-9]*\)[ \t]*,\{0,1\}[ \t]*$/\1/p' "$EXP_JSON")
[ "$K8S_LINES" = 52 ] || die "EXPECTED_COUNTS.json: \"lines\" is '$K8S_LINES', README says 52"
# Sanity of the derivation: 27 pairs in all, and each counter's counts add up to the 52 lines.
[ "$(wc -l <"$WORK/k8s.expected")" = 27 ] ||
  die "derived $(wc -l <"$WORK/k8s.expected") expected samples from $EXP_JSON, not 27:
$(cat "$WORK/k8s.expected")"
for m in k8s_audit_by_verb_total k8s_audit_by_response_code_total k8s_audit_by_resource_total \
  k8s_audit_by_username_total; do
  sum=$(grep "^$m{" "$WORK/k8s.expected" | awk '{ s += $NF } END { print s + 0 }')
  [ "$sum" = "$K8S_LINES" ] || die "derived counts of $m add up to $sum, not $K8S_LINES"
  expect_metric $c $m < <(grep "^$m{" "$WORK/k8s.expected")
done
# The README's spot values, stated literally as a cross-check of the derivation.
expect_sample $c 'k8s_audit_by_verb_total{verb="create"}' 40
expect_sample $c 'k8s_audit_by_verb_total{verb="None"}' 1
expect_sample $c 'k8s_audit_by_response_code_total{code="201"}' 38
expect_sample $c 'k8s_audit_by_response_code_total{code="101"}' 2
expect_sample $c 'logtally_records_total{source="audit"}' 52
expect_drops $c k8s_audit
note "k8s audit: $(wc -l <"$WORK/k8s.expected") samples derived from EXPECTED_COUNTS.json, compared"

# ---------------------------------------------------------------------------------------------
# 2. Elasticsearch. The ES 7 numbers are the README's. The ES 8 numbers were counted from the
#    data (in elasticsearch/):
#      grep -o '"log\.level" *: *"[^"]*"' FILE | sort | uniq -c ; grep -c '' FILE
#        elasticsearch-json.800.log   1 line:  1 INFO   ("type":"server")
#        es_deprecation-json.800.log 15 lines: 15 WARN  ("type":"deprecation")
#        es_search_slowlog.800.log    2 lines:  2 TRACE ("type":"index_search_slowlog")
#        test-audit-800.log           3 lines: no "log.level" ("type":"audit")
#      grep -c '"log"' *.log        -> 0 everywhere: no nested {"log":{"level":..}} anywhere
#      grep -c '"user.name":"elastic"' test-audit-800.log -> 2 ("user.roles" is an array)
#      grep -o '"level": *"[A-Z]*"' server-test-json.log | sort | uniq -c -> INFO 52 WARN 2 DEBUG 1
c=elasticsearch
run_once $c
expect_metric $c es7_log_records_total <<'EOF'
es7_log_records_total{level="INFO"} 52
es7_log_records_total{level="WARN"} 2
es7_log_records_total{level="DEBUG"} 1
EOF
# The flat key "log.level", quoted in the config.
expect_metric $c es8_log_records_total <<'EOF'
es8_log_records_total{level="INFO",type="server"} 1
es8_log_records_total{level="WARN",type="deprecation"} 15
es8_log_records_total{level="TRACE",type="index_search_slowlog"} 2
es8_log_records_total{level="None",type="audit"} 3
EOF
# Unquoted log.level is the nested path, present in none of the 1+15+2+3 = 21 lines.
expect_metric $c es8_nested_log_level_total <<'EOF'
es8_nested_log_level_total{level="absent"} 21
EOF
# "user.name" is in 2 of the 3 audit lines; "user.roles" is an array, hence always the default.
expect_metric $c es8_audit_user_total <<'EOF'
es8_audit_user_total{user="elastic",roles="array_is_absent"} 2
es8_audit_user_total{user="None",roles="array_is_absent"} 19
EOF
# All five files: first of level / "log.level", lower-cased (the default "None" is not a field
# value, so it keeps its case). info 52+1, warn 2+15, debug 1, trace 2, none 3 (audit).
expect_metric $c es_log_records_total <<'EOF'
es_log_records_total{level="info"} 53
es_log_records_total{level="warn"} 17
es_log_records_total{level="debug"} 1
es_log_records_total{level="trace"} 2
es_log_records_total{level="None"} 3
EOF
expect_sample $c 'logtally_records_total{source="es_server7"}' 55
expect_sample $c 'logtally_records_total{source="es_server8"}' 1
expect_sample $c 'logtally_records_total{source="es_deprecation8"}' 15
expect_sample $c 'logtally_records_total{source="es_slowlog8"}' 2
expect_sample $c 'logtally_records_total{source="es_audit8"}' 3
expect_drops $c es7
expect_drops $c es8
expect_drops $c es_all
note "elasticsearch: checked"

# ---------------------------------------------------------------------------------------------
# 3. Grafana Alloy worker log (README's counts).
c=alloy_worker
run_once $c
expect_metric $c worker_log_records_total <<'EOF'
worker_log_records_total{level="info"} 51
worker_log_records_total{level="warn"} 31
worker_log_records_total{level="error"} 18
EOF
expect_metric $c worker_messages_total <<'EOF'
worker_messages_total{msg="successful request"} 51
worker_messages_total{msg="retrying downstream request"} 31
worker_messages_total{msg="worker queue stalled"} 18
EOF
expect_sample $c 'logtally_records_total{source="worker"}' 100
expect_drops $c worker
note "alloy worker.jsonl: checked"

# ---------------------------------------------------------------------------------------------
# 5. Grafana Alloy api.logfmt (README: 100 lines, exactly 5 keys each: ts level request_id
#    user_id msg; levels info 34, warn 33, error 33; msg is quoted and holds key=value text).
c=alloy_api
run_once $c
API="$DATA/alloy-pipelinetest/api.logfmt"
expect_metric $c api_log_records_total <<'EOF'
api_log_records_total{level="info"} 34
api_log_records_total{level="warn"} 33
api_log_records_total{level="error"} 33
EOF
expect_metric $c api_inner_keys_total <<'EOF'
api_inner_keys_total{status="absent",route="absent"} 100
EOF
# Every line is `ts=T level=L request_id=R user_id=U msg="M"` with no quote or backslash inside
# M (checked here), so sed can write the series each line must give; request ids are unique, so
# every series counts 1. A sixth key, a split msg or a lost key would change these lines.
[ "$(grep -c '' "$API")" = 100 ] || die "api.logfmt: expected 100 lines"
bad=$(grep -vcE '^ts=[^ "]+ level=[a-z]+ request_id=[^ "]+ user_id=[^ "]+ msg="[^"\\]*"$' "$API")
[ "$bad" = 0 ] || die "api.logfmt: $bad lines are not of the expected shape (data changed?)"
sed -E 's/^ts=([^ ]+) level=([^ ]+) request_id=([^ ]+) user_id=([^ ]+) msg="(.*)"$/api_records_total{ts="\1",level="\2",request_id="\3",user_id="\4",msg="\5"} 1/' \
  "$API" >"$WORK/api.expected"
expect_metric $c api_records_total <"$WORK/api.expected"
expect_sample $c 'api_records_total{ts="2026-04-22T12:00:01Z",level="warn",request_id="req-api-1001",user_id="user-201",msg="api request completed status=200 route=/orders/1"}' 1
# auto: logfmt for api.logfmt, JSON for worker.jsonl (info 34+51, warn 33+31, error 33+18).
expect_metric $c all_log_records_total <<'EOF'
all_log_records_total{level="info"} 85
all_log_records_total{level="warn"} 64
all_log_records_total{level="error"} 51
EOF
expect_sample $c 'logtally_records_total{source="api"}' 100
expect_drops $c api
expect_drops $c both
promtool_ok $c
note "alloy api.logfmt: checked (logfmt and auto)"

# ---------------------------------------------------------------------------------------------
# 4. fluent-bit UTF-8 / surrogate stress set. Every line is
#      {"timestamp":..,"level":"info","message":..,"service":..,"test_case":"T","seq":N,"data":D}
#    and D, the field holding the hard cases, depends only on T (checked with
#      sed -E 's/.*"test_case": "([^"]*)", "seq": [0-9]+, "data": (.*)\}$/\1 \2/' F | sort | uniq -c):
#      large_valid   910  "\ud83e\udd25" x 32 (valid pairs: U+1F925 x 32)
#      null_bytes    909  "Hello\u0000World\u0000Test"
#      lone_high     909  "\ud83e,\ud83e,\ud83e,"             lone high surrogates
#      lone_low      909  "\udc00,\udc00,\udc00,"             lone low surrogates
#      mixed_surrogates 909 "\ud83e\udd25\ud83e,\udc00"       a valid pair, then lone ones
#      boundary_valid   909 "\ud800\udc00\udbff\udfff"        U+10000 U+10FFFF
#      boundary_invalid 909 "\ud800,\udbff,\udc00,\udfff,"    lone ones
#      array_mixed      909 ["\ud83e\udd25", "\ud83e,", "\udee1", "ok"]   an array
#      nested_invalid   909 {"level1": {"data": "\ud83e,"}}  an object
#      invalid_utf8_base64 909: 5 plain ASCII strings, cycling: "wIA=" 182, "wg==" 181,
#                       "4ICA" 182, "8ICAgA==" 182, "4iih" 182
#      valid_utf8       909 "Hello World! \ud83e\udd25 Rocket \ud83d\ude80"
#
#    POLICY OBSERVED (and asserted below), as docs/json.md states it:
#    - A lone surrogate escape (high or low) is an invalid escape. In a string the pipeline
#      reads (planned), the whole record is dropped with reason invalid_json: nothing is counted,
#      not even its other labels; it is NOT repaired to U+FFFD. In a field the pipeline does not
#      read, it does not matter (never decoded): pipeline "plain" counts all 10,000 lines.
#    - Arrays and objects used as a label are absent (the default applies); the strings inside
#      them are not decoded, so array_mixed counts although its array holds lone surrogates.
#      A path that reaches a lone surrogate inside an object (data.level1.data, pipeline
#      "nested") drops exactly those records; for the other lines `data` is not an object and
#      the path is absent, even where `data` is a string with lone surrogates.
#    - Valid surrogate pairs become the 4-byte UTF-8 of their code point.
#    - \u0000 is kept as a raw NUL byte in the label value (valid UTF-8; the text format escapes
#      only \, " and newline; promtool accepts it).
#    - The output is valid UTF-8 throughout: no invalid byte, no encoded surrogate (ED A0..BF),
#      and no U+FFFD at all (nothing needed repairing).
c=fluentbit_utf8
run_once $c
expect_sample $c 'logtally_records_total{source="bench"}' 10000
expect_metric $c utf8_bench_by_level_total <<'EOF'
utf8_bench_by_level_total{level="info"} 10000
EOF
expect_metric $c utf8_bench_by_test_case_total <<'EOF'
utf8_bench_by_test_case_total{test_case="large_valid"} 910
utf8_bench_by_test_case_total{test_case="null_bytes"} 909
utf8_bench_by_test_case_total{test_case="lone_high"} 909
utf8_bench_by_test_case_total{test_case="lone_low"} 909
utf8_bench_by_test_case_total{test_case="mixed_surrogates"} 909
utf8_bench_by_test_case_total{test_case="boundary_valid"} 909
utf8_bench_by_test_case_total{test_case="boundary_invalid"} 909
utf8_bench_by_test_case_total{test_case="array_mixed"} 909
utf8_bench_by_test_case_total{test_case="nested_invalid"} 909
utf8_bench_by_test_case_total{test_case="invalid_utf8_base64"} 909
utf8_bench_by_test_case_total{test_case="valid_utf8"} 909
EOF
expect_drops $c plain

# Pipeline "data": label from the field holding the lone surrogates.
# Counted: large_valid 910 + 909 x 6 (null_bytes, boundary_valid, array_mixed, nested_invalid,
# invalid_utf8_base64, valid_utf8) = 6364. invalid_json: 909 x 4 (lone_high, lone_low,
# mixed_surrogates, boundary_invalid) = 3636. 6364 + 3636 = 10000.
U1F925=$'\xf0\x9f\xa4\xa5' # U+1F925 (from \ud83e\udd25)
U1F680=$'\xf0\x9f\x9a\x80' # U+1F680 (from \ud83d\ude80)
U10000=$'\xf0\x90\x80\x80' # U+10000 (from \ud800\udc00)
U10FFFF=$'\xf4\x8f\xbf\xbf' # U+10FFFF (from \udbff\udfff)
LARGE=""
for ((i = 0; i < 32; i++)); do LARGE+=$U1F925; done
expect_metric $c utf8_bench_by_data_total <<EOF
utf8_bench_by_data_total{test_case="large_valid",data="$LARGE"} 910
utf8_bench_by_data_total{test_case="null_bytes",data="Hello<NUL>World<NUL>Test"} 909
utf8_bench_by_data_total{test_case="boundary_valid",data="$U10000$U10FFFF"} 909
utf8_bench_by_data_total{test_case="array_mixed",data="None"} 909
utf8_bench_by_data_total{test_case="nested_invalid",data="None"} 909
utf8_bench_by_data_total{test_case="invalid_utf8_base64",data="wIA="} 182
utf8_bench_by_data_total{test_case="invalid_utf8_base64",data="wg=="} 181
utf8_bench_by_data_total{test_case="invalid_utf8_base64",data="4ICA"} 182
utf8_bench_by_data_total{test_case="invalid_utf8_base64",data="8ICAgA=="} 182
utf8_bench_by_data_total{test_case="invalid_utf8_base64",data="4iih"} 182
utf8_bench_by_data_total{test_case="valid_utf8",data="Hello World! $U1F925 Rocket $U1F680"} 909
EOF
expect_drops $c data invalid_json=3636
counted=$(grep -a '^utf8_bench_by_data_total{' "$WORK/$c.txt" | awk '{ s += $NF } END { print s + 0 }')
dropped=$(grep -a '^logtally_records_dropped_total{pipeline="data",' "$WORK/$c.txt" |
  awk '{ s += $NF } END { print s + 0 }')
[ "$counted" = 6364 ] || fail "$c: pipeline data counted $counted records, expected 6364"
[ $((counted + dropped)) = 10000 ] ||
  fail "$c: pipeline data: counted $counted + dropped $dropped != 10000 records read"

# Pipeline "nested": data.level1.data reaches the lone surrogate of nested_invalid only.
expect_metric $c utf8_bench_by_nested_data_total <<'EOF'
utf8_bench_by_nested_data_total{test_case="large_valid",data="None"} 910
utf8_bench_by_nested_data_total{test_case="null_bytes",data="None"} 909
utf8_bench_by_nested_data_total{test_case="lone_high",data="None"} 909
utf8_bench_by_nested_data_total{test_case="lone_low",data="None"} 909
utf8_bench_by_nested_data_total{test_case="mixed_surrogates",data="None"} 909
utf8_bench_by_nested_data_total{test_case="boundary_valid",data="None"} 909
utf8_bench_by_nested_data_total{test_case="boundary_invalid",data="None"} 909
utf8_bench_by_nested_data_total{test_case="array_mixed",data="None"} 909
utf8_bench_by_nested_data_total{test_case="invalid_utf8_base64",data="None"} 909
utf8_bench_by_nested_data_total{test_case="valid_utf8",data="None"} 909
EOF
expect_drops $c nested invalid_json=909

# The whole output: valid exposition, valid UTF-8.
promtool_ok $c
iconv -f UTF-8 -t UTF-8 "$WORK/$c.prom" >/dev/null 2>"$WORK/iconv.err" ||
  fail "$c: output is not valid UTF-8: $(cat "$WORK/iconv.err")"
# Bytes that never occur in UTF-8 (C0, C1, F5..FF) or that encode a surrogate (ED A0..BF).
if grep -aq $'[\xc0\xc1\xf5-\xff]' "$WORK/$c.prom"; then
  fail "$c: a byte that is never valid in UTF-8 is in the output"
fi
if grep -aq $'\xed[\xa0-\xbf]' "$WORK/$c.prom"; then
  fail "$c: a UTF-16 surrogate encoded as UTF-8 (CESU/WTF-8) is in the output"
fi
if grep -aq $'\xef\xbf\xbd' "$WORK/$c.prom"; then
  fail "$c: U+FFFD in the output: a lone surrogate was repaired instead of dropping its record"
fi
nuls=$(tr -dc '\000' <"$WORK/$c.prom" | wc -c)
[ "$nuls" = 2 ] || fail "$c: expected exactly 2 NUL bytes (the null_bytes label value), found $nuls"
note "fluent-bit utf8 bench: checked (lone surrogate in a read string -> invalid_json)"

for c in k8s_audit elasticsearch alloy_worker; do promtool_ok $c; done

FAILURES=$(wc -l <"$WORK/failures")
if [ "$FAILURES" != 0 ]; then
  echo "FAIL [$NAME]: $FAILURES check(s) failed (see above)" >&2
  exit 1
fi
echo "PASS [$NAME]"
