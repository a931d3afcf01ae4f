#!/usr/bin/env bash
# The exporter's status page (docs/status-page.md) in a real browser: logtally follows a file of
# known lines (some counted, some filtered, some dropped for two reasons), then Debian's headless
# Chromium loads http://127.0.0.1:PORT/, runs the page's script (which polls /-/status) and
# prints the DOM. The page must load without console errors and show the exact numbers: counted,
# filtered and dropped per reason, the dropped records' text, a metric's series against its
# max_series, the source's lines and bytes. A second load, driven over the DevTools protocol
# (status_page_cdp.py, Debian's python3-websocket), starts the page's tap view (#tap=api) while
# lines are appended, and must show the tapped records.
#
# Skipped (77) only when Chromium is not installed; scripts/install-deps.sh installs it.
# Every wait is bounded; Chromium runs in its own process group, killed at the end whatever
# happened.
source "$(dirname "$0")/lib.sh"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
  echo "SKIP [$E2E_NAME]: chromium is not installed (apt-get install chromium; scripts/install-deps.sh does)" >&2
  exit 77
fi

# 4 counted (2 series of tp_requests_total), 2 filtered, 2 invalid_json, 1 not_object.
cat >"$WORK/app.log" <<'LOG'
{"status":200,"ms":5}
{"status":200,"path":"/healthz"}
not json at all
{"status":500,"ms":7}
[1,2,3]
{"status":200,"ms":3}
{"status":200,"path":"/health/live"}
{"status":
{"status":200,"ms":4}
LOG
BYTES=$(wc -c <"$WORK/app.log")

cat >"$WORK/status.yaml" <<YAML
sources:
  app: { type: file, path: "$WORK/app.log", start_at: beginning }
pipelines:
  api:
    inputs: [app]
    parser: json
    filter: '!(path =~ "/health.*")'
    metrics:
      - { name: tp_requests_total, type: counter, labels: { status: status }, max_series: 10 }
      - { name: tp_duration_ms, type: histogram, value: ms, buckets: [1, 5, 10] }
workers: 2
checkpoint: { dir: "$WORK/ckpt", interval: 500ms }
sinks:
  prom: { type: prometheus_exporter, listen: "127.0.0.1:@PORT@" }
YAML
start_logtally "$WORK/status.yaml" /dev/null
BASE="http://127.0.0.1:$LT_PORT"

status_has() { curl -sf --max-time 2 "$BASE/-/status" 2>/dev/null | grep -qE -- "$1"; }
wait_for 30 "all 9 lines read" status_has '"lines":9,'
wait_for 30 "a checkpoint written" status_has '"age_seconds":[0-9]'
note "status: $(curl -sf --max-time 2 "$BASE/-/status")"

# chromium_dom NAME URL: runs headless Chromium on URL (its script runs for up to 5 s of virtual
# time), the DOM to $WORK/NAME.html, its log to $WORK/NAME.err. At most 60 s; its whole process
# group is killed afterwards.
chromium_dom() {
  local name=$1 url=$2 pid
  mkdir -p "$WORK/chrome-$name"
  setsid timeout -k 5 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --disable-quic --no-first-run --disable-background-networking --disable-component-update \
    --disable-sync --user-data-dir="$WORK/chrome-$name" --enable-logging=stderr --v=0 \
    --virtual-time-budget=5000 --dump-dom "$url" >"$WORK/$name.html" 2>"$WORK/$name.err" &
  pid=$!
  track_pid "$pid"
  if ! wait_exit "$pid" 70; then
    kill -KILL -- "-$pid" 2>/dev/null
    fail "chromium did not finish within 70 s: $(tail -5 "$WORK/$name.err")"
  fi
  kill -KILL -- "-$pid" 2>/dev/null  # Any helper process it left behind.
  [ "$WAIT_RC" = 0 ] || fail "chromium exited with $WAIT_RC: $(tail -20 "$WORK/$name.err")"
  [ -s "$WORK/$name.html" ] || fail "chromium printed no DOM: $(tail -20 "$WORK/$name.err")"
}

# No console message at all: the page logs nothing when it works, and Chromium writes every
# console message (console.error, an uncaught exception, a resource that failed to load) as an
# INFO:CONSOLE line on stderr.
no_console_errors() {
  local errs
  errs=$(grep -E 'CONSOLE|Uncaught' "$WORK/$1.err" || true)
  [ -z "$errs" ] || fail "console messages in $1:
$errs"
}

# dom_has NAME KEY TEXT: an element with data-k="KEY" whose whole text is TEXT.
dom_has() {
  grep -qF -- "data-k=\"$2\">$3<" "$WORK/$1.html" ||
    fail "DOM of $1: no element $2 with text '$3'; found: $(grep -oF -- "data-k=\"$2\">" "$WORK/$1.html" | head -1) $(grep -o "data-k=\"$2\">[^<]*<" "$WORK/$1.html" | head -3)"
}

chromium_dom page "$BASE/"
no_console_errors page
grep -q 'id="poll-error" class="bad"></span>' "$WORK/page.html" ||
  fail "the page reports a poll error: $(grep -o 'id="poll-error"[^<]*<' "$WORK/page.html")"
dom_has page "config/file" "$WORK/logtally.yaml"
dom_has page "source/app/lines" 9
dom_has page "source/app/bytes" "$BYTES"
dom_has page "source/app/position" "read to byte $BYTES, 1 file(s) open"
dom_has page "pipeline/api/counted" 4
dom_has page "pipeline/api/filtered" 2
dom_has page "pipeline/api/dropped/invalid_json" 2
dom_has page "pipeline/api/dropped/not_object" 1
dom_has page "pipeline/api/dropped/missing_value" 0
# Newest first.
dom_has page "pipeline/api/recent_drops/invalid_json/0" '{"status":'
dom_has page "pipeline/api/recent_drops/invalid_json/1" 'not json at all'
dom_has page "pipeline/api/recent_drops/not_object/0" '[1,2,3]'
grep -qF 'data-k="pipeline/api/recent_drops/invalid_json/2"' "$WORK/page.html" &&
  fail "a third invalid_json record shown; only two were dropped"
dom_has page "metric/tp_requests_total/series" 2
dom_has page "metric/tp_requests_total/max_series" 10
dom_has page "metric/tp_duration_ms/series" 1
dom_has page "sink/prom/health" serving
grep -qE 'data-k="checkpoint/state">last checkpoint [0-9.]+ s ago<' "$WORK/page.html" ||
  fail "no checkpoint age on the page: $(grep -o 'data-k="checkpoint/state">[^<]*<' "$WORK/page.html")"
grep -qF '<option value="api">api</option>' "$WORK/page.html" ||
  fail "the tap view does not offer pipeline api"

# The tap view: #tap=api&limit=2 starts it at load; lines appended meanwhile pass through it.
# --dump-dom's virtual time does not wait for a streamed answer, so this load is driven over the
# DevTools protocol (status_page_cdp.py), which waits in real time until the view says "ended".
(
  for ((i = 0; i < 300; i++)); do
    echo "{\"status\":201,\"ms\":$i}" >>"$WORK/app.log"
    sleep 0.2
  done
) &
track_pid $!
mkdir -p "$WORK/chrome-tap"
setsid timeout -k 5 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
  --disable-quic --no-first-run --disable-background-networking --disable-component-update \
  --disable-sync --user-data-dir="$WORK/chrome-tap" --remote-debugging-port=0 about:blank \
  >"$WORK/tap.out" 2>"$WORK/tap.err" &
CHROME_PID=$!
track_pid "$CHROME_PID"
timeout -k 5 70 /usr/bin/python3 "$(dirname "$0")/status_page_cdp.py" \
  "$WORK/chrome-tap/DevToolsActivePort" "$BASE/#tap=api&limit=2" '[data-k="tap/state"]' ended 60 \
  "$WORK/tap.html" >"$WORK/cdp.out" 2>&1
CDP_RC=$?
kill -TERM -- "-$CHROME_PID" 2>/dev/null
wait_exit "$CHROME_PID" 10 || kill -KILL -- "-$CHROME_PID" 2>/dev/null
kill -KILL -- "-$CHROME_PID" 2>/dev/null  # Any helper process it left behind.
[ "$CDP_RC" = 0 ] || fail "tap view did not end within 60 s (rc $CDP_RC): $(cat "$WORK/cdp.out")
$(grep -o 'data-k="tap/[a-z]*">[^<]*<' "$WORK/tap.html" 2>/dev/null)"
grep -q 'CONSOLE ERROR' "$WORK/cdp.out" && fail "console errors in the tap view: $(cat "$WORK/cdp.out")"
[ "$(grep -o 'data-k="tap/line"' "$WORK/tap.html" | wc -l)" = 2 ] ||
  fail "tap view: expected 2 lines, got: $(grep -o 'data-k="tap/line">[^<]*<' "$WORK/tap.html")"
grep -qE 'data-k="tap/line">counted  \{"status":201,"ms":[0-9]+\}  -&gt;  tp_requests_total \{"status":"201"\} 1' \
  "$WORK/tap.html" || fail "tap view lines: $(grep -o 'data-k="tap/line">[^<]*<' "$WORK/tap.html")"

echo "PASS [$E2E_NAME]"
