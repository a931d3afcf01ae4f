#!/usr/bin/env bash
# Builds the Debian package build/logtally_<version>_<arch>.deb (docs/packaging.md): the binary,
# the TLS shims, the systemd unit, the default config /etc/logtally/logtally.yaml (a conffile),
# the man page and the docs, exactly the files `cmake --install --prefix /usr` installs; its
# Depends are the packages of the shared libraries the binary and the shim link (dpkg-shlibdeps)
# plus those it loads with dlopen().
#
#   scripts/package.sh              build logtally (BUILD_DIR, default build/), then package it
#   scripts/package.sh --no-build   package what BUILD_DIR holds (the tests use this)
#
# The .deb goes to DEB_DIR (default: BUILD_DIR).
# Prints the path of the .deb. Needs dpkg-dev (dpkg-shlibdeps), which build-essential brings.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}

if [ "${1:-}" != "--no-build" ]; then
  [ -f "$BUILD_DIR/CMakeCache.txt" ] ||
    cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" >/dev/null
  cmake --build "$BUILD_DIR" -j"$(nproc)" --target logtally logtally_civetweb_openssl3 >/dev/null
fi
[ -x "$BUILD_DIR/logtally" ] || { echo "package.sh: no $BUILD_DIR/logtally: build it first" >&2; exit 1; }

version=$(sed -n 's/^project(logtally VERSION \([0-9][0-9.]*\).*/\1/p' CMakeLists.txt | head -1)
[ -n "$version" ] || { echo "package.sh: no VERSION in CMakeLists.txt's project()" >&2; exit 1; }
arch=$(dpkg --print-architecture)
deb="${DEB_DIR:-$BUILD_DIR}/logtally_${version}_${arch}.deb"

# dpkg-shlibdeps wants a source tree: debian/control, and the files under debian/<package>/.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/logtally-package.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root="$tmp/debian/logtally"
DESTDIR="$root" cmake --install "$BUILD_DIR" --prefix /usr --strip >/dev/null
gzip -9n "$root/usr/share/man/man1/logtally.1"
chmod -R u+rwX,go+rX,go-w "$root"

printf 'Source: logtally\n\nPackage: logtally\nArchitecture: any\n' >"$tmp/debian/control"
shlibs=$(cd "$tmp" && dpkg-shlibdeps -O -e"$root/usr/bin/logtally" \
  -e"$root/usr/lib/logtally/libssl.so" -e"$root/usr/lib/logtally/libcrypto.so" \
  2>"$tmp/shlibdeps.err") ||
  { cat "$tmp/shlibdeps.err" >&2; exit 1; }
shlibs=${shlibs#shlibs:Depends=}
# Loaded with dlopen(), so invisible to dpkg-shlibdeps: libcurl.so.4 (sinks/curl_api.cpp, by the
# pushing sinks). OpenSSL, which civetweb loads by the development names libssl.so and
# libcrypto.so when the exporter serves TLS, is answered by the two shims, whose Depends above
# name libssl3 (docs/packaging.md).
depends="$shlibs, libcurl4"

mkdir -p "$root/DEBIAN"
cat >"$root/DEBIAN/control" <<CONTROL
Package: logtally
Version: $version
Architecture: $arch
Maintainer: ${DEB_MAINTAINER:-logtally developers <logtally@localhost>}
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $depends
Section: admin
Priority: optional
Description: turns streams of log lines into Prometheus metrics
 logtally reads JSON, logfmt or any text (RE2 patterns) from stdin, files or Kafka,
 keeps counters, gauges and histograms keyed by labels taken from the records, and
 serves them on a Prometheus scrape endpoint (optionally with TLS and basic auth) or
 pushes them (remote write, Pushgateway, StatsD, textfile). The package ships a
 hardened systemd unit (logtally.service, installed disabled) reading the logs in
 /var/log with /etc/logtally/logtally.yaml.
CONTROL
echo /etc/logtally/logtally.yaml >"$root/DEBIAN/conffiles"
(cd "$root" && find usr -type f -print0 | sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 644 "$root/DEBIAN/"*

dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
