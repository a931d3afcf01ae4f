# Helpers for the remote_write end-to-end scripts. Source after lib.sh.

# start_prometheus_receiver [PORT]: starts Debian's prometheus on 127.0.0.1 as a remote write
# receiver (native histograms on), with its TSDB in $WORK/tsdb, and waits until it is ready. With
# PORT it must use that port (a restart after an outage); without, it picks a free one and
# retries on a bind failure. Sets PROM_PID, PROM_PORT, PROM_URL. PROM_NATIVE=0 leaves native
# histograms off; PROM_TSDB overrides the TSDB folder; PROM_YML_EXTRA is appended to its config
# file (e.g. a `storage:` section); PROM_FLAGS (words) are added to its command line.
start_prometheus_receiver() {
  local want=${1:-} attempt i rc tsdb=${PROM_TSDB:-$WORK/tsdb} features=()
  [ "${PROM_NATIVE:-1}" = 1 ] && features=(--enable-feature=native-histograms)
  # shellcheck disable=SC2206 # words on purpose
  [ -n "${PROM_FLAGS:-}" ] && features+=(${PROM_FLAGS})
  mkdir -p "$tsdb"
  printf 'global:\n  evaluation_interval: 1s\n%s\n' "${PROM_YML_EXTRA:-}" >"$WORK/prometheus.yml"
  for ((attempt = 1; attempt <= 5; attempt++)); do
    PROM_PORT=${want:-$(random_free_port)}
    PROM_URL="http://127.0.0.1:$PROM_PORT"
    prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$tsdb" \
      --web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn \
      --web.enable-remote-write-receiver "${features[@]}" \
      >>"$WORK/prometheus.log" 2>&1 &
    PROM_PID=$!
    track_pid "$PROM_PID"
    for ((i = 0; i < 150; i++)); do
      if ! is_alive "$PROM_PID"; then
        rc=0
        wait "$PROM_PID" || rc=$?
        if [ -z "$want" ] && grep -qi "address already in use" "$WORK/prometheus.log"; then
          note "port $PROM_PORT taken, retrying"
          continue 2
        fi
        fail "prometheus exited with status $rc at start: $(tail -20 "$WORK/prometheus.log")"
      fi
      if curl -sf --max-time 2 "$PROM_URL/-/ready" >/dev/null 2>&1 && is_alive "$PROM_PID"; then
        return 0
      fi
      sleep 0.2
    done
    fail "prometheus not ready on $PROM_URL within 30s: $(tail -20 "$WORK/prometheus.log")"
  done
  fail "prometheus could not bind a port after 5 attempts"
}

# stop_prometheus: SIGTERM, and waits (at most 20 s) for it to exit.
stop_prometheus() {
  kill -TERM "$PROM_PID" 2>/dev/null
  wait_exit "$PROM_PID" 20 || fail "prometheus did not stop within 20s"
}

# prom_raw EXPR: the JSON answer of an instant query.
prom_raw() {
  curl -sf --max-time 5 -G --data-urlencode "query=$1" "$PROM_URL/api/v1/query" || echo HTTP_ERROR
}

# prom_query EXPR: the value of the single float sample EXPR gives, RESULTS=<n> when there is not
# exactly one, or HTTP_ERROR.
prom_query() {
  local body n
  body=$(prom_raw "$1")
  [ "$body" = HTTP_ERROR ] && {
    echo HTTP_ERROR
    return
  }
  n=$(grep -o '"value":\[' <<<"$body" | wc -l)
  if [ "$n" != 1 ]; then
    echo "RESULTS=$n"
    return
  fi
  sed -n 's/.*"value":\[[^,]*,"\([^"]*\)"\].*/\1/p' <<<"$body"
}
query_is() { [ "$(prom_query "$1")" == "$2" ]; }

# assert_query EXPR EXPECTED: the value equals EXPECTED exactly (as Prometheus prints it).
assert_query() {
  local got
  got=$(prom_query "$1")
  [ "$got" == "$2" ] || fail "query $1: expected $2, got '$got'"
}

# metric_value URL SERIES: the value of SERIES (exact name{labels} text) in logtally's exposition.
metric_value() {
  curl -sf --max-time 5 "$1" >"$WORK/scrape.txt" 2>/dev/null || {
    echo SCRAPE_FAILED
    return
  }
  expo_value "$WORK/scrape.txt" "$2"
}

# rss_kb PID: resident set size in KiB.
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
