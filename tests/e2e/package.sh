#!/usr/bin/env bash
# The Debian package (docs/packaging.md), built by scripts/package.sh --no-build from this build
# tree into a temp folder, without root:
#   - its files are exactly those `cmake --install --prefix /usr` installs (man page gzipped), and
#     those are the binary, the two TLS shims, the unit, the conffile, the man page and every doc;
#   - control: name, version (CMakeLists.txt), architecture, conffiles, and Depends naming the
#     package of every library the binary and the shims link, plus libcurl4 (loaded with
#     dlopen()), and not libssl-dev (the libcrypto.so shim stands for its name);
#   - `systemd-analyze verify` accepts the unit with no message at all, in a root holding the
#     extracted package (so its ExecStart and man page exist);
#   - groff renders the man page without a warning, and it names every command and option of
#     `logtally --help`;
#   - `dpkg -x` into a scratch root: the extracted binary runs --version and `check` on the
#     extracted default config, and serves HTTPS with the TLS shims it finds beside itself
#     (../lib/logtally/lib{ssl,crypto}.so, checked in /proc/PID/maps).
# Installing the package for real (apt-get install ./logtally_*.deb) needs root and changes the
# machine; docs/packaging.md shows that run.
source "$(dirname "$0")/lib.sh"

SRC=${LOGTALLY_SOURCE_DIR:?LOGTALLY_SOURCE_DIR is not set}
BUILD_DIR=$(dirname "$LOGTALLY")
for tool in dpkg-deb dpkg-shlibdeps groff openssl; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/install-deps.sh installs it)"
done
command -v systemd-analyze >/dev/null ||
  fail "systemd-analyze is not installed (scripts/install-deps.sh installs systemd)"
# systemd-analyze verify looks the unit's Documentation=man:logtally(1) up with man.
command -v man >/dev/null || fail "man is not installed (scripts/install-deps.sh installs man-db)"

version=$(version_from_cmake)
arch=$(dpkg --print-architecture)
DEB=$(DEB_DIR="$WORK" BUILD_DIR="$BUILD_DIR" "$SRC/scripts/package.sh" --no-build) ||
  fail "scripts/package.sh failed"
assert_eq "package file" "$WORK/logtally_${version}_${arch}.deb" "$DEB"

# --- Contents: exactly what cmake --install puts under /usr and /etc. ----------------------------
dpkg-deb -c "$DEB" >"$WORK/deb.list" || fail "dpkg-deb -c failed"
awk '$1 !~ /^d/ { print $6 }' "$WORK/deb.list" | sed 's#^\./#/#' | sort >"$WORK/deb.files"
DESTDIR="$WORK/inst" cmake --install "$BUILD_DIR" --prefix /usr >/dev/null || fail "cmake --install failed"
(cd "$WORK/inst" && find . ! -type d | sed 's#^\./#/#') |
  sed 's#^/usr/share/man/man1/logtally.1$#&.gz#' | sort >"$WORK/cmake.files"
diff "$WORK/cmake.files" "$WORK/deb.files" >"$WORK/diff" ||
  fail "package and cmake --install differ (< cmake, > deb):
$(cat "$WORK/diff")"
{
  printf '%s\n' /usr/bin/logtally /usr/lib/logtally/libssl.so /usr/lib/logtally/libcrypto.so \
    /usr/lib/systemd/system/logtally.service /etc/logtally/logtally.yaml \
    /usr/share/man/man1/logtally.1.gz /usr/share/doc/logtally/README.md
  (cd "$SRC" && find docs examples -type f | sed 's#^#/usr/share/doc/logtally/#')
} | sort >"$WORK/want.files"
diff "$WORK/want.files" "$WORK/deb.files" >"$WORK/diff" ||
  fail "package contents (< wanted, > in the package):
$(cat "$WORK/diff")"
grep -q '^-rwxr-xr-x root/root .* \./usr/bin/logtally$' "$WORK/deb.list" ||
  fail "/usr/bin/logtally is not root-owned 0755: $(grep bin/logtally "$WORK/deb.list")"

# --- Control fields. ------------------------------------------------------------------------------
field() { dpkg-deb -f "$DEB" "$1"; }
assert_eq "Package" logtally "$(field Package)"
assert_eq "Version" "$version" "$(field Version)"
assert_eq "Architecture" "$arch" "$(field Architecture)"
assert_eq "conffiles" /etc/logtally/logtally.yaml "$(dpkg-deb -I "$DEB" conffiles)"
depends=$(field Depends)
note "Depends: $depends"
dep_names=" $(echo "$depends" | sed 's/([^)]*)//g; s/[,|]/ /g' | tr -s ' ') "
# Every package holding a library the binary or the shim links must be named.
dpkg-deb -x "$DEB" "$WORK/root"
for elf in "$WORK/root/usr/bin/logtally" "$WORK/root/usr/lib/logtally/libssl.so" \
  "$WORK/root/usr/lib/logtally/libcrypto.so"; do
  ldd "$elf" >"$WORK/ldd.out" || fail "ldd $elf failed"
  for lib in $(objdump -p "$elf" | awk '$1 == "NEEDED" { print $2 }'); do
    path=$(awk -v l="$lib" '$1 == l && $2 == "=>" { print $3; exit }' "$WORK/ldd.out")
    [ -n "$path" ] || fail "$lib (NEEDED by $elf) not found by ldd"
    pkg=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -1 | cut -d: -f1)
    [ -n "$pkg" ] || pkg=$(dpkg -S "$path" | head -1 | cut -d: -f1)
    [[ "$dep_names" == *" $pkg "* ]] || fail "$lib (in $pkg) is not in Depends: $depends"
  done
done
for pkg in libssl3 libcurl4; do
  [[ "$dep_names" == *" $pkg "* ]] || fail "$pkg is not in Depends: $depends"
done
[[ "$dep_names" != *" libssl-dev "* ]] || fail "libssl-dev is in Depends: $depends"


# --- The unit. ------------------------------------------------------------------------------------
unit="$WORK/root/usr/lib/systemd/system/logtally.service"
# shellcheck disable=SC2016 # $MAINPID is systemd's, not the shell's
for want in "ExecStart=/usr/bin/logtally run --config /etc/logtally/logtally.yaml" \
  'ExecReload=/bin/kill -HUP $MAINPID' DynamicUser=yes StateDirectory=logtally \
  ProtectSystem=strict ProtectHome=yes PrivateTmp=yes NoNewPrivileges=yes; do
  grep -qxF "$want" "$unit" || fail "the unit has no line '$want'"
done
# The StateDirectory is where the default config keeps its checkpoints.
grep -qxF 'checkpoint: { dir: /var/lib/logtally }' "$WORK/root/etc/logtally/logtally.yaml" ||
  fail "the default config does not keep its checkpoints in /var/lib/logtally"
# verify loads the unit from the root, so it sees the packaged ExecStart; it needs the targets
# the unit is ordered against, taken from this machine. Any message is a failure: it warns and
# still exits 0 on unknown keys or bad values.
mkdir -p "$WORK/root/bin"
cp /lib/systemd/system/*.target "$WORK/root/usr/lib/systemd/system/"
cp /bin/kill "$WORK/root/bin/kill"  # procps: the ExecReload command
MANPATH="$WORK/root/usr/share/man" systemd-analyze --root="$WORK/root" verify logtally.service \
  >"$WORK/verify.out" 2>&1 || fail "systemd-analyze verify failed: $(cat "$WORK/verify.out")"
[ ! -s "$WORK/verify.out" ] || fail "systemd-analyze verify says: $(cat "$WORK/verify.out")"

# --- The man page. --------------------------------------------------------------------------------
gzip -dc "$WORK/root/usr/share/man/man1/logtally.1.gz" >"$WORK/logtally.1"
grep -q "^\.TH LOGTALLY 1 .*\"logtally $version\"" "$WORK/logtally.1" ||
  fail "man page header does not carry version $version: $(grep '^\.TH' "$WORK/logtally.1")"
groff -man -Tutf8 -ww -z "$WORK/logtally.1" >"$WORK/groff.out" 2>&1 || fail "groff failed: $(cat "$WORK/groff.out")"
[ ! -s "$WORK/groff.out" ] || fail "groff warns about the man page: $(cat "$WORK/groff.out")"
MANWIDTH=200 groff -man -Tascii -P-cbou "$WORK/logtally.1" >"$WORK/man.txt" 2>/dev/null
"$WORK/root/usr/bin/logtally" --help >"$WORK/help.txt" || fail "logtally --help failed"
# Every option (--x, -x) and every command of the usage lines is in the rendered page.
words=$(grep -oE '(^| |\[|\|)--?[a-z][a-z-]*' "$WORK/help.txt" | sed 's/^[ [|]*//' | sort -u)
words+=" $(sed -n 's/^  logtally \([a-z][a-z|-]*\).*/\1/p' "$WORK/help.txt" | tr '|' '\n' | sort -u)"
[ "$(echo "$words" | wc -w)" -ge 15 ] || fail "too few options and commands read from --help: $words"
for w in $words; do
  grep -qE -- "(^|[^a-z-])$w([^a-z-]|$)" "$WORK/man.txt" || fail "the man page does not mention '$w'"
done

# --- The extracted package runs. ------------------------------------------------------------------
BIN="$WORK/root/usr/bin/logtally"
assert_eq "--version" "logtally $version" "$("$BIN" --version)"
"$BIN" check --config "$WORK/root/etc/logtally/logtally.yaml" >"$WORK/check.out" 2>&1 ||
  fail "check of the packaged config failed: $(cat "$WORK/check.out")"

# HTTPS through the shim beside the extracted binary, not the one in the build tree.
make_test_cert
mkfifo "$WORK/in.fifo"
exec 3<>"$WORK/in.fifo"
write_config() {
  cat >"$WORK/tls.yaml" <<YAML
sources: { in: { type: stdin } }
pipelines:
  p: { inputs: [in], parser: json, metrics: [{ name: hits_total, type: counter, labels: { code: code } }] }
sinks:
  prom: { type: prometheus_exporter, listen: "127.0.0.1:$PORT", tls_cert_file: $WORK/cert.pem, tls_key_file: $WORK/key.pem }
YAML
}
serve_https "$BIN" write_config
for shim in libssl.so libcrypto.so; do
  grep -qF " $WORK/root/usr/lib/logtally/$shim" "/proc/$LT_PID/maps" ||
    fail "the extracted logtally did not load the packaged $shim: $(grep -E 'lib(ssl|crypto)' "/proc/$LT_PID/maps" | awk '{print $6}' | sort -u)"
done
printf '%s\n' '{"code":"200"}' '{"code":"200"}' '{"code":"503"}' >&3
for ((i = 0; i < 50; i++)); do
  curl -sf --max-time 5 --cacert "$WORK/cert.pem" "https://127.0.0.1:$PORT/metrics" >"$WORK/body" ||
    fail "GET https://127.0.0.1:$PORT/metrics failed"
  [ "$(expo_value "$WORK/body" 'hits_total{code="503"}')" = 1 ] && break
  sleep 0.1
done
assert_expo "$WORK/body" 'hits_total{code="200"}' 2
assert_expo "$WORK/body" 'hits_total{code="503"}' 1
kill -TERM "$LT_PID"
wait_exit "$LT_PID" 10 || fail "the extracted logtally did not exit within 10 s of SIGTERM"
assert_eq "exit status" 0 "$WAIT_RC"
e2e_finish
