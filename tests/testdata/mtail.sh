#!/usr/bin/env bash
# mtail's test logs ($LOGTALLY_TESTDATA_DIR/mtail/, see its README.md) counted by
# `logtally --once` with the configs in examples/mtail/, and compared EXACTLY with mtail's golden
# files: the expected samples are derived from each *.golden by the awk below (not written by
# hand), and for every metric of the golden the complete set of series must match (labels as a
# set, values as numbers): a missing or an extra series fails, and so does a user metric in the
# output that the golden does not have.
#
# Golden line: `kind name [{label=value,...}] [value] [timestamp]`. A line without a value is a
# declared metric with no sample: an unlabelled counter must be exported as 0, anything else
# must have no series. Timestamps are not compared.
#
# Left out, each for the reason given in the README or in the example's header comment:
#   rsyncd:            connection-time_total (state across lines; '-' is not a valid name)
#   vsftpd (both):     session_time     (state across lines)
#   xntp3_peerstats:   peer_status, peer_select, peer_count, peer_code (bit fields: arithmetic)
#
# Usage: mtail.sh /path/to/logtally   (LOGTALLY_TESTDATA_DIR, LOGTALLY_SOURCE_DIR from ctest)
set -uo pipefail
export LC_ALL=C

NAME=mtail
die() {
  echo "FAIL [$NAME]: $*" >&2
  exit 1
}
fail() {
  echo "FAIL [$NAME]: $*" >&2
  echo x >>"$WORK/failures"
}

[ $# -ge 1 ] || {
  echo "usage: $0 /path/to/logtally" >&2
  exit 2
}
BIN=$1
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac
[ -x "$BIN" ] || die "logtally binary '$BIN' is not executable"
SRC="${LOGTALLY_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
DATA="${LOGTALLY_TESTDATA_DIR:-/work/shared/testdata}/mtail"
[ -f "$DATA/README.md" ] || die "test data not found: $DATA/README.md (set LOGTALLY_TESTDATA_DIR)"
export MTAIL_TESTDATA="$DATA"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/logtally-$NAME.XXXXXX")" || die "mktemp -d failed"
: >"$WORK/failures"
trap 'rm -rf "$WORK"' EXIT

# normalize: `name{a="x",b="y"} value` with the labels sorted and the value as a number.
normalize() {
  awk '{
    v = $NF; line = $0; sub(/ [^ ]*$/, "", line)
    name = line; n = 0
    if (index(line, "{") > 0) {
      name = substr(line, 1, index(line, "{") - 1)
      labels = substr(line, index(line, "{") + 1); sub(/\}$/, "", labels)
      gsub(/",/, "\"\001", labels)  # split between labels, not inside a value
      n = split(labels, l, "\001")
      for (i = 2; i <= n; i++) { x = l[i]; j = i - 1; while (j >= 1 && l[j] > x) { l[j + 1] = l[j]; j-- } l[j + 1] = x }
    }
    out = name
    if (n > 0) { out = out "{"; for (i = 1; i <= n; i++) out = out (i > 1 ? "," : "") l[i]; out = out "}" }
    printf "%s %.10g\n", out, v + 0
  }'
}

# golden_to_expected GOLDEN EXCLUDED...: expected sample lines (prometheus text form) and, on
# fd 3, every metric name the golden declares (minus the excluded ones).
golden_to_expected() {
  local golden=$1
  shift
  awk -v excluded=" $* " '
    NF == 0 { next }
    {
      kind = $1; name = $2
      if (index(excluded, " " name " ") > 0) next
      print name > "/dev/fd/3"
      rest = ""; labels = ""; value = ""
      i = 3
      if ($i ~ /^\{/) { labels = $i; i++ }
      if (i <= NF) value = $i
      if (value == "") {
        if (labels == "" && kind == "counter") print name " 0"
        next
      }
      if (labels == "") { print name " " value; next }
      sub(/^\{/, "", labels); sub(/\}$/, "", labels)
      n = split(labels, kv, ",")
      out = name "{"
      for (j = 1; j <= n; j++) {
        eq = index(kv[j], "=")
        out = out (j > 1 ? "," : "") substr(kv[j], 1, eq - 1) "=\"" substr(kv[j], eq + 1) "\""
      }
      print out "} " value
    }' "$golden"
}

# check CASE CONFIG GOLDEN [EXCLUDED...]: runs the config and compares with the golden.
check() {
  local case=$1 config=$2 golden=$3
  shift 3
  local out="$WORK/$case.prom" rc=0
  (cd "$SRC" && "$BIN" --once --config "examples/mtail/$config") >"$out" 2>"$WORK/$case.err" || rc=$?
  [ "$rc" = 0 ] || {
    fail "$case: logtally exited $rc: $(cat "$WORK/$case.err")"
    return
  }
  golden_to_expected "$DATA/$golden" "$@" >"$WORK/$case.exp" 3>"$WORK/$case.names"
  [ -s "$WORK/$case.names" ] || die "$case: no metric read from $golden (test bug)"
  local metric exp act
  for metric in $(sort -u "$WORK/$case.names"); do
    exp=$(grep -F -- "$metric" "$WORK/$case.exp" | grep -E -- "^${metric}[{ ]" | normalize | sort)
    act=$(grep -E -- "^${metric}[{ ]" "$out" | normalize | sort)
    if [ "$exp" != "$act" ]; then
      fail "$case: $metric differs from $golden (< expected, > actual):
$(diff <(echo "$exp") <(echo "$act") | grep '^[<>]')"
    fi
  done
  # No user metric beyond the golden's (self-metrics aside).
  local extra
  extra=$(grep -v '^#' "$out" | grep -v '^logtally_' | sed 's/[{ ].*//' | sort -u |
    grep -vxF -f "$WORK/$case.names")
  [ -z "$extra" ] || fail "$case: metrics not in $golden: $extra"
  local n
  n=$(grep -c '' "$WORK/$case.exp")
  echo "[$NAME] $case: $n expected samples from $golden compared"
}

check apache-combined apache-combined.yaml apache-combined.golden
check apache-common apache-common.yaml apache-common.golden
check lighttpd lighttpd.yaml lighttpd_accesslog.golden
check rsyncd rsyncd.yaml rsyncd.golden connection-time_total
check sftp_chroot sftp_chroot.yaml sftp_chroot.golden
VSFTPD_LOG="$DATA/vsftpd_xferlog" check vsftpd_xferlog vsftpd.yaml vsftpd_xferlog.golden session_time
VSFTPD_LOG="$DATA/vsftpd_log" check vsftpd_log vsftpd.yaml vsftpd_log.golden session_time
check ntp4 ntpd.yaml ntp4.golden
check xntp3_peerstats xntp3_peerstats.yaml xntp3_peerstats.golden \
  peer_status peer_select peer_count peer_code

# linecount.json (historic JSON dump): one counter, value 1; today's name is lines_total.
grep -q '"Value": 1,' "$DATA/linecount.json" || die "linecount.json: no \"Value\": 1 (shape changed?)"
(cd "$SRC" && "$BIN" --once --config examples/mtail/linecount.yaml) >"$WORK/linecount.prom" ||
  fail "linecount: logtally failed"
[ "$(grep '^lines_total' "$WORK/linecount.prom")" = "lines_total 1" ] ||
  fail "linecount: expected 'lines_total 1', got '$(grep '^lines_total' "$WORK/linecount.prom")'"

FAILURES=$(wc -l <"$WORK/failures")
if [ "$FAILURES" != 0 ]; then
  echo "FAIL [$NAME]: $FAILURES check(s) failed (see above)" >&2
  exit 1
fi
echo "PASS [$NAME]"
