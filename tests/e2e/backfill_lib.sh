# shellcheck shell=bash
# Shared by the backfill end-to-end scripts (backfill.sh, backfill_remote_write.sh): the three
# hours of records with known counts, the config, and what the metrics must be. Source after
# lib.sh.

# backfill_data: writes $WORK/access.log (2 records without a readable time at its end),
# $WORK/truth.txt and $WORK/backfill.yaml; sets T0 and lines (the records with a time).
backfill_data() {
  # 2026-01-01T00:00:00Z; minute m of 180 holds n(m) = 1 + (7m mod 13) records: status 500 for
  # every third, durations (i*37 mod 1000) ms. truth.txt: time, status, ms of every record.
  T0=1767225600
  awk -v t0=$T0 -v truth="$WORK/truth.txt" '
    function two(x) { return sprintf("%02d", x) }
    BEGIN {
      for (h = 2; h >= 0; h--) {
        for (mm = 0; mm < 60; mm++) {
          m = h * 60 + mm
          n = 1 + (7 * m) % 13
          for (k = 0; k < n; k++) {
            j = (k * 5 + 3) % n
            if (n % 5 == 0) j = n - 1 - k
            i = m * 100 + j
            sec = (j * 37) % 60
            status = (i % 3 == 0) ? 500 : 200
            ms = (i * 37) % 1000
            printf "{\"ts\":\"2026-01-01T%s:%s:%sZ\",\"status\":%d,\"ms\":%d,\"queue\":%d}\n", two(h), two(mm), two(sec), status, ms, i
            printf "%d %d %d\n", t0 + m * 60 + sec, status, ms >truth
          }
        }
      }
    }' >"$WORK/access.log"
  echo '{"status":200,"ms":5,"queue":1}' >>"$WORK/access.log"        # no time: bad_timestamp
  echo '{"ts":"yesterday","status":200,"ms":5}' >>"$WORK/access.log" # bad_timestamp
  # shellcheck disable=SC2034 # read by the scripts
  lines=$(wc -l <"$WORK/truth.txt")

  cat >"$WORK/backfill.yaml" <<YAML
sources:
  access: { type: file, path: "$WORK/access.log" }
pipelines:
  web:
    inputs: [access]
    parser: json
    timestamp: { field: ts, format: rfc3339 }
    metrics:
      - { name: reqs_total, type: counter, labels: { status: status } }
      - { name: dur_seconds, type: histogram, value: ms, scale: 0.001, buckets: [0.1, 0.5] }
      - { name: queue_last, type: gauge, value: queue }
YAML
}

# expected STATUS T: records of STATUS (or "all") before T; expected_bucket LE T: those with a
# duration of at most LE seconds.
expected() {
  awk -v st="$1" -v t="$2" '$1 < t && (st == "all" || $2 == st) { n++ } END { print n + 0 }' "$WORK/truth.txt"
}
expected_bucket() {
  awk -v le="$1" -v t="$2" '$1 < t && $3 / 1000 <= le { n++ } END { print n + 0 }' "$WORK/truth.txt"
}
# expected_queue T: the gauge at T, the queue of the latest record before T.
expected_queue() {
  grep -o '"ts":"[^"]*","status":[0-9]*,"ms":[0-9]*,"queue":[0-9]*' "$WORK/access.log" |
    sed 's/"ts":"2026-01-01T\(..\):\(..\):\(..\)Z".*"queue":\([0-9]*\)/\1 \2 \3 \4/' |
    awk -v t="$1" -v t0=$T0 '{ s = t0 + $1 * 3600 + $2 * 60 + $3; if (s < t && s >= best) { best = s; q = $4 } } END { print q }'
}

# value_at EXPR T: the single sample EXPR has at time T (RESULTS=n otherwise).
value_at() {
  local body n
  body=$(curl -sf --max-time 5 -G --data-urlencode "query=$1" --data-urlencode "time=$2" \
    "$PROM_URL/api/v1/query") || {
    echo HTTP_ERROR
    return
  }
  n=$(grep -o '"value":\[' <<<"$body" | wc -l)
  [ "$n" = 1 ] || {
    echo "RESULTS=$n"
    return
  }
  sed -n 's/.*"value":\[[^,]*,"\([^"]*\)"\].*/\1/p' <<<"$body"
}

