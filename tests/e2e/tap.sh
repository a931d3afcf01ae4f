#!/usr/bin/env bash
# `logtally tap` and the exporter's GET /-/tap (docs/testing.md): one JSON object per record and
# pipeline with the fields read, the outcome (counted, filtered, dropped with the drop counter's
# reason) and every metric update (a histogram's value after scale); --pipeline and --limit
# (the sources stop early); no checkpoint read or written and no sink run by `tap`; the HTTP
# stream behind the exporter's basic auth, its pipeline filter, limit and errors.
#
# Usage: tap.sh /path/to/logtally
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

cat >"$WORK/tap.yaml" <<YAML
sources:
  app: { type: stdin }
pipelines:
  api:
    inputs: [app]
    parser: json
    filter: 'status != 204'
    metrics:
      - name: tp_requests_total
        type: counter
        labels: { status: status, app: k8s.app }
      - name: tp_duration_seconds
        type: histogram
        value: duration_ms
        scale: 0.001
  levels:
    inputs: [app]
    parser: logfmt
    metrics:
      - { name: lines_total, type: counter, labels: { level: level } }
workers: 1
checkpoint: { dir: $WORK/state }
sinks:
  file: { type: textfile, path: $WORK/metrics.prom, interval: 1s }
YAML
printf '%s\n' '{"status":200,"k8s":{"app":"shop"},"duration_ms":12}' '{"status":204}' 'not json' \
  '{"status":500,"duration_ms":"x"}' '' 'level=warn msg="a \"b\""' >"$WORK/input"

# 1. Every record through both pipelines, exactly.
RC=0
timeout 30 "$LOGTALLY" tap --config "$WORK/tap.yaml" <"$WORK/input" >"$WORK/out" 2>"$WORK/err" ||
  RC=$?
assert_eq "tap: exit status (stderr: $(cat "$WORK/err"))" 0 "$RC"
assert_eq "tap: output" '{"source":"app","pipeline":"api","record":"{\"status\":200,\"k8s\":{\"app\":\"shop\"},\"duration_ms\":12}","fields":{"status":200,"k8s.app":"shop","duration_ms":12},"outcome":"counted","updates":[{"metric":"tp_requests_total","labels":{"status":"200","app":"shop"},"value":1},{"metric":"tp_duration_seconds","labels":{},"value":0.012}]}
{"source":"app","pipeline":"api","record":"{\"status\":204}","fields":{"status":204},"outcome":"filtered","updates":[]}
{"source":"app","pipeline":"api","record":"not json","fields":{},"outcome":"dropped","reason":"invalid_json","updates":[]}
{"source":"app","pipeline":"api","record":"{\"status\":500,\"duration_ms\":\"x\"}","fields":{"status":500,"duration_ms":"x"},"outcome":"counted","updates":[{"metric":"tp_requests_total","labels":{"status":"500"},"value":1}],"drops":[{"metric":"tp_duration_seconds","reason":"not_a_number"}]}
{"source":"app","pipeline":"api","record":"","fields":{},"outcome":"dropped","reason":"empty","updates":[]}
{"source":"app","pipeline":"api","record":"level=warn msg=\"a \\\"b\\\"\"","fields":{},"outcome":"dropped","reason":"invalid_json","updates":[]}
{"source":"app","pipeline":"levels","record":"{\"status\":200,\"k8s\":{\"app\":\"shop\"},\"duration_ms\":12}","fields":{},"outcome":"counted","updates":[{"metric":"lines_total","labels":{},"value":1}]}
{"source":"app","pipeline":"levels","record":"{\"status\":204}","fields":{},"outcome":"counted","updates":[{"metric":"lines_total","labels":{},"value":1}]}
{"source":"app","pipeline":"levels","record":"not json","fields":{},"outcome":"counted","updates":[{"metric":"lines_total","labels":{},"value":1}]}
{"source":"app","pipeline":"levels","record":"{\"status\":500,\"duration_ms\":\"x\"}","fields":{},"outcome":"counted","updates":[{"metric":"lines_total","labels":{},"value":1}]}
{"source":"app","pipeline":"levels","record":"","fields":{},"outcome":"dropped","reason":"empty","updates":[]}
{"source":"app","pipeline":"levels","record":"level=warn msg=\"a \\\"b\\\"\"","fields":{"level":"warn"},"outcome":"counted","updates":[{"metric":"lines_total","labels":{"level":"warn"},"value":1}]}' \
  "$(cat "$WORK/out")"
# No checkpoint written, no sink run.
[ ! -e "$WORK/state" ] || fail "tap wrote a checkpoint: $(ls -la "$WORK/state")"
[ ! -e "$WORK/metrics.prom" ] || fail "tap ran the textfile sink: $(cat "$WORK/metrics.prom")"

# 2. --pipeline and --limit: two objects of `levels`, and the source stops early: a stdin that
# never ends (a held-open fifo) still lets tap exit.
mkfifo "$WORK/in.fifo"
exec 3<>"$WORK/in.fifo"
printf 'level=info\nlevel=error\nlevel=debug\n' >&3
RC=0
timeout 30 "$LOGTALLY" tap --config "$WORK/tap.yaml" --pipeline levels --limit 2 <"$WORK/in.fifo" \
  >"$WORK/out" 2>"$WORK/err" || RC=$?
exec 3>&-
assert_eq "--limit: exit status (stderr: $(cat "$WORK/err"))" 0 "$RC"
assert_eq "--limit: output" '{"source":"app","pipeline":"levels","record":"level=info","fields":{"level":"info"},"outcome":"counted","updates":[{"metric":"lines_total","labels":{"level":"info"},"value":1}]}
{"source":"app","pipeline":"levels","record":"level=error","fields":{"level":"error"},"outcome":"counted","updates":[{"metric":"lines_total","labels":{"level":"error"},"value":1}]}' \
  "$(cat "$WORK/out")"

# 3. Usage errors.
RC=0
"$LOGTALLY" tap --config "$WORK/tap.yaml" --pipeline nope </dev/null >/dev/null 2>"$WORK/err" || RC=$?
assert_eq "unknown pipeline: exit status" 1 "$RC"
assert_eq "unknown pipeline: message" "logtally: tap: no pipeline named 'nope'; pipelines are: api, levels" \
  "$(cat "$WORK/err")"
RC=0
"$LOGTALLY" tap --limit 0 </dev/null >/dev/null 2>&1 || RC=$?
assert_eq "--limit 0: exit status" 2 "$RC"

# 4. GET /-/tap on a running logtally, behind the exporter's basic auth.
HASH=$(openssl passwd -6 -salt e2esaltx 'correct horse') || fail "openssl passwd failed"
cat >"$WORK/serve.yaml" <<YAML
sources: { app: { type: stdin } }
pipelines:
  api:
    inputs: [app]
    parser: json
    metrics:
      - { name: tp_requests_total, type: counter, labels: { status: status } }
  other:
    inputs: [app]
    parser: json
    metrics:
      - { name: other_total, type: counter }
workers: 1
sinks:
  prom:
    type: prometheus_exporter
    listen: "127.0.0.1:@PORT@"
    basic_auth_username: me
    basic_auth_password_hash: '$HASH'
YAML
mkfifo "$WORK/serve.fifo"
exec 4<>"$WORK/serve.fifo"
# start_logtally waits for /metrics, which needs the password here: wait for /-/healthy instead.
for ((attempt = 1; attempt <= 5; attempt++)); do
  PORT=$(random_free_port)
  sed "s/@PORT@/$PORT/g" "$WORK/serve.yaml" >"$WORK/serve-run.yaml"
  "$LOGTALLY" --config "$WORK/serve-run.yaml" <"$WORK/serve.fifo" >"$WORK/lt.out" 2>"$WORK/lt.err" &
  LT_PID=$!
  track_pid "$LT_PID"
  healthy() { curl -sf --max-time 2 "http://127.0.0.1:$PORT/-/healthy" >/dev/null; }
  for ((i = 0; i < 100; i++)); do
    is_alive "$LT_PID" || break
    healthy && break 2
    sleep 0.1
  done
  is_alive "$LT_PID" && fail "logtally did not serve on $PORT: $(cat "$WORK/lt.err")"
done
URL="http://127.0.0.1:$PORT/-/tap"
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@"; }
assert_eq "tap without credentials" 401 "$(code "$URL?limit=1&timeout=1")"
assert_eq "tap, wrong password" 401 "$(code -u 'me:wrong' "$URL?limit=1&timeout=1")"
assert_eq "tap, unknown pipeline" 400 "$(code -u 'me:correct horse' "$URL?pipeline=nope")"
assert_eq "tap, bad limit" 400 "$(code -u 'me:correct horse' "$URL?limit=-1")"
assert_eq "tap, bad timeout" 400 "$(code -u 'me:correct horse' "$URL?timeout=0")"
assert_eq "tap, POST" 405 "$(code -u 'me:correct horse' -X POST "$URL")"
# A stream of pipeline `api` limited to 2 objects: it ends by itself once 2 records passed.
curl -sN --max-time 20 -u 'me:correct horse' "$URL?pipeline=api&limit=2&timeout=20" \
  >"$WORK/http.out" 2>"$WORK/http.err" &
CURL_PID=$!
# The stream is open once the exporter counts a subscription; records written before that are
# not traced, so keep writing one line at a time until the stream has ended.
n=0
while kill -0 "$CURL_PID" 2>/dev/null && [ $n -lt 100 ]; do
  n=$((n + 1))
  printf '{"status":%d}\n' $((200 + n)) >&4
  sleep 0.1
done
wait "$CURL_PID" || fail "curl of the tap stream failed: $(cat "$WORK/http.err")"
[ "$(wc -l <"$WORK/http.out")" = 2 ] || fail "HTTP tap: expected 2 lines, got: $(cat "$WORK/http.out")"
grep -vq '"pipeline":"api"' "$WORK/http.out" && fail "HTTP tap: another pipeline: $(cat "$WORK/http.out")"
l1=$(sed -n 1p "$WORK/http.out")
s=$(echo "$l1" | sed -n 's/^{"source":"app","pipeline":"api","record":"{\\"status\\":\([0-9]*\)}".*/\1/p')
[ -n "$s" ] || fail "HTTP tap: unexpected first object: $l1"
assert_eq "HTTP tap: first object" "{\"source\":\"app\",\"pipeline\":\"api\",\"record\":\"{\\\"status\\\":$s}\",\"fields\":{\"status\":$s},\"outcome\":\"counted\",\"updates\":[{\"metric\":\"tp_requests_total\",\"labels\":{\"status\":\"$s\"},\"value\":1}]}" "$l1"
assert_eq "HTTP tap: consecutive records" "$((s + 1))" \
  "$(sed -n 2p "$WORK/http.out" | sed -n 's/^{"source":"app","pipeline":"api","record":"{\\"status\\":\([0-9]*\)}".*/\1/p')"
# A stream with nothing passing ends at its timeout, empty.
RC=0
curl -sf -N --max-time 10 -u 'me:correct horse' "$URL?timeout=1" >"$WORK/http.out" || RC=$?
assert_eq "HTTP tap timeout: curl status" 0 "$RC"
assert_eq "HTTP tap timeout: body" "" "$(cat "$WORK/http.out")"
exec 4>&-
note "ok"
