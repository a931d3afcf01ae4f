#!/usr/bin/env bash
# Installs everything logtally needs to build, test and benchmark, from Debian 12 packages.
# Idempotent: packages already present are left alone, and apt-get runs only when one is missing.
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config git ca-certificates clang-format clang-tidy
  # fuzzing (scripts/fuzz.sh): clang with libFuzzer and the sanitizer runtimes
  clang libclang-rt-14-dev
  # libraries
  libsimdjson-dev libre2-dev librdkafka-dev prometheus-cpp-dev libyaml-cpp-dev
  # remote_write: protoc + protobuf runtime, snappy, libcurl (dlopen)
  protobuf-compiler libprotobuf-dev libsnappy-dev libcurl4-openssl-dev
  # sinks: civetweb headers (exporter callbacks), OpenSSL (exporter TLS; civetweb loads
  # libssl/libcrypto at run time), libxcrypt (basic-auth hashes)
  libcivetweb-dev libssl-dev libcrypt-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev curl procps time
  # the peer that bench/run_parsers_bench.sh measures the regex parser against (issue 13)
  mtail
  # test certificates and password hashes (tests/e2e/exporter_tls_auth.sh)
  openssl
  # deploy/kubernetes/ checked without a cluster (tests/e2e/kubernetes_manifests.sh): YAML, and
  # the Kubernetes API's models as the schema
  python3-yaml python3-kubernetes
  # real servers and clients the end-to-end tests start
  prometheus prometheus-pushgateway kcat
  # checkpoint file checksums (crc32)
  zlib1g-dev
  # the Debian package's test (tests/e2e/package.sh): systemd-analyze verify on the unit (which
  # runs man for its Documentation=man:logtally(1)), groff on the man page (dpkg-deb and
  # dpkg-shlibdeps come with build-essential's dpkg-dev)
  systemd man-db groff-base
  # the container image's test (tests/e2e/container_image.sh): builds deploy/Dockerfile's runtime
  # stage with buildah/podman on a base image made with debootstrap
  buildah podman debootstrap
  # the exporter's status page loaded in a headless browser (tests/e2e/status_page.sh), driven
  # over the DevTools protocol for its tap view (tests/e2e/status_page_cdp.py)
  chromium python3-websocket
  # IANA time zones for a pipeline's `timestamp: { timezone: Europe/Berlin }` (docs/event-time.md)
  tzdata
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing: ${missing[*]}" >&2
$SUDO apt-get update -qq
# The Debian prometheus packages try to start their services on install; we never want them
# running (tests start their own on loopback ports), so forbid service starts during the install.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
