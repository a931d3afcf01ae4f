#!/usr/bin/env bash
# One command from a fresh Debian 12 machine: install dependencies, build, and start logtally
# on its embedded default config (JSON lines on stdin, metrics on 0.0.0.0:9898/metrics).
# Arguments are passed to logtally, e.g. `scripts/run.sh --config examples/access.yaml`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec build/logtally "$@"
