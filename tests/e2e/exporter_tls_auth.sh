#!/usr/bin/env bash
# The hardened scrape endpoint through curl: HTTPS with a certificate and a separate key, basic
# auth against a crypt(3) hash (wrong or missing password: 401, right one: the metrics, in text
# 0.0.4 or OpenMetrics as Accept asks), /-/healthy and /-/ready without auth. The same process
# also runs a Pushgateway sink whose gateway never answers and a StatsD sink with no listener:
# scraping and parsing go on, and SIGTERM still ends the process within the push timeout.
source "$(dirname "$0")/lib.sh"

make_test_cert
HASH=$(openssl passwd -6 -salt e2esaltx 'correct horse') || fail "openssl passwd failed"

# The gateway URL points at this process's own exporter (plain HTTP to a TLS port: an error at
# once); a gateway that never answers is covered by PushgatewaySinkTest.StopIsBoundedWhen...
# StatsD goes to a port nothing listens on.
DEAD_PORT=$(random_free_port)

mkfifo "$WORK/in.fifo"
exec 3<>"$WORK/in.fifo"  # Held open: logtally's stdin stays open until we close it.

write_config() {
  cat >"$WORK/tls.yaml" <<YAML
sources: { in: { type: stdin } }
pipelines:
  p:
    inputs: [in]
    parser: json
    metrics:
      - { name: hits_total, type: counter, labels: { code: code } }
sinks:
  prom:
    type: prometheus_exporter
    listen: "127.0.0.1:$PORT"
    tls_cert_file: $WORK/cert.pem
    tls_key_file: $WORK/key.pem
    basic_auth_username: scraper
    basic_auth_password_hash: '$HASH'
  gw:
    type: pushgateway
    url: http://127.0.0.1:$PORT/not-a-gateway
    job: j
    interval: 200ms
    timeout: 1s
  sd:
    type: statsd
    address: 127.0.0.1:$DEAD_PORT
    interval: 200ms
YAML
}
serve_https "$LOGTALLY" write_config
URL="https://127.0.0.1:$PORT"
C=(curl -s --max-time 5 --cacert "$WORK/cert.pem")

printf '%s\n' '{"code":"200"}' '{"code":"200"}' '{"code":"503"}' >&3
code() { "${C[@]}" -o "$WORK/body" -w '%{http_code}' "$@"; }

assert_eq "no credentials" 401 "$(code "$URL/metrics")"
assert_eq "wrong password" 401 "$(code -u 'scraper:wrong horse' "$URL/metrics")"
assert_eq "wrong user" 401 "$(code -u 'other:correct horse' "$URL/metrics")"
assert_eq "OpenMetrics, wrong password" 401 \
  "$(code -u 'scraper:wrong' -H 'Accept: application/openmetrics-text; version=1.0.0' "$URL/metrics")"
assert_eq "plain HTTP on the TLS port" 000 "$(curl -s --max-time 3 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/metrics")"
assert_eq "unknown CA" 000 "$(curl -s --max-time 3 -o /dev/null -w '%{http_code}' "$URL/metrics")"

# The right password: the counted values (wait until the three lines are counted).
for ((i = 0; i < 50; i++)); do
  assert_eq "right password" 200 "$(code -u 'scraper:correct horse' "$URL/metrics")"
  [ "$(expo_value "$WORK/body" 'hits_total{code="503"}')" = 1 ] && break
  sleep 0.1
done
assert_expo "$WORK/body" 'hits_total{code="200"}' 2
assert_expo "$WORK/body" 'hits_total{code="503"}' 1
grep -q '^# TYPE hits_total counter$' "$WORK/body" || fail "text 0.0.4 TYPE line missing"

# OpenMetrics when asked for (Prometheus' own Accept header).
ACCEPT='application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'
CT=$("${C[@]}" -u 'scraper:correct horse' -H "Accept: $ACCEPT" -o "$WORK/om" -w '%{content_type}' "$URL/metrics")
assert_eq "OpenMetrics content type" "application/openmetrics-text; version=1.0.0; charset=utf-8" "$CT"
grep -q '^# TYPE hits counter$' "$WORK/om" || fail "OpenMetrics counter family missing: $(head "$WORK/om")"
assert_expo "$WORK/om" 'hits_total{code="200"}' 2
[ "$(tail -1 "$WORK/om")" = "# EOF" ] || fail "OpenMetrics body does not end with # EOF"

# Health and readiness need no credentials.
assert_eq "/-/healthy" 200 "$(code "$URL/-/healthy")"
assert_eq "/-/ready" 200 "$(code "$URL/-/ready")"

# The failing push sinks are counted, and did not hold anything up.
sleep 0.5
"${C[@]}" -u 'scraper:correct horse' "$URL/metrics" >"$WORK/self.txt"
gw_err=$(expo_value "$WORK/self.txt" 'logtally_sink_sends_total{sink="gw",result="error"}')
[ "${gw_err:-0}" -ge 1 ] 2>/dev/null || fail "pushgateway failures not counted: '$gw_err'"
printf '%s\n' '{"code":"200"}' >&3
for ((i = 0; i < 50; i++)); do
  "${C[@]}" -u 'scraper:correct horse' "$URL/metrics" >"$WORK/body2"
  [ "$(expo_value "$WORK/body2" 'hits_total{code="200"}')" = 3 ] && break
  sleep 0.1
done
assert_expo "$WORK/body2" 'hits_total{code="200"}' 3

# Shutdown: bounded by one push in flight plus the final push (1 s timeout each).
start=$(date +%s%N)
kill -TERM "$LT_PID"
wait_exit "$LT_PID" 10 || fail "logtally did not exit within 10 s of SIGTERM"
took_ms=$((($(date +%s%N) - start) / 1000000))
assert_eq "exit status" 0 "$WAIT_RC"
[ "$took_ms" -lt 3000 ] || fail "shutdown took ${took_ms} ms"
note "SIGTERM to exit: ${took_ms} ms"
e2e_finish
