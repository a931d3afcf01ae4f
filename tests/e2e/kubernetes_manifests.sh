#!/usr/bin/env bash
# deploy/kubernetes/ without a cluster (docs/kubernetes.md): every manifest parses and fits the
# Kubernetes API's schema (python3-kubernetes' models), the kustomizations list every file,
# every ConfigMap's logtally config passes `logtally check` (and, for the node agent and the
# sidecar, `logtally test` with exact values), and the probes (/-/healthy, /-/ready), the
# containerPort and the prometheus.io annotations agree with the exporter's listen port and
# path; volumes, mounts, hostPaths, checkpoint dirs and hardening as kubernetes_manifests.py
# lists. Needs Debian's python3-yaml and python3-kubernetes (scripts/install-deps.sh).
#
# Usage: kubernetes_manifests.sh /path/to/logtally
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

SRC="${LOGTALLY_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
# Debian's python3, where python3-yaml and python3-kubernetes are (not a python3 of PATH).
PY=/usr/bin/python3
[ -x "$PY" ] || fail "$PY is not installed (scripts/install-deps.sh installs python3-yaml)"
"$PY" -c 'import yaml, kubernetes.client' 2>"$WORK/import.err" ||
  fail "python3-yaml or python3-kubernetes missing (scripts/install-deps.sh): $(cat "$WORK/import.err")"

"$PY" "$(dirname "${BASH_SOURCE[0]}")/kubernetes_manifests.py" "$LOGTALLY" "$SRC" "$WORK" ||
  fail "deploy/kubernetes/ has the problems listed above"
