#!/usr/bin/env bash
# The container image (deploy/Dockerfile, docs/packaging.md, "The container image"):
#   - static: the Dockerfile has the stages build (FROM debian:12) and runtime (FROM
#     debian:12-slim), and the runtime stage runs as a non-root USER, EXPOSEs 9898, has a
#     HEALTHCHECK on /-/healthy and the ENTRYPOINT ["/usr/bin/logtally"];
#   - built for real with buildah (podman build --isolation=chroot) from a base image imported
#     from a debootstrap minbase tarball (no registry): its runtime stage, with the .deb that
#     scripts/package.sh --no-build makes of this build tree (--build-arg DEB_STAGE=prebuilt);
#     the image's config: user 65532, entrypoint, cmd, port, healthcheck;
#   - run: `podman run` if this machine can run containers; where the OCI runtime refuses (this
#     sandbox: crun's setrlimit, docs/packaging.md, "The container image"), the image's own root filesystem (buildah from +
#     mount) in a chroot, as the image's user, with its ENTRYPOINT and CMD; lines on stdin, exact
#     counts scraped from /metrics, and the image's HEALTHCHECK command run (and failing once
#     logtally is gone).
# The base tarball: $CONTAINER_BASE_TGZ if set, else BUILD_DIR/container-image/base.tgz, made by
# debootstrap on the first run (a few minutes, then cached). Needs root, podman, buildah,
# debootstrap and a reachable Debian mirror (the runtime stage apt-get installs the package's
# Depends); skipped (77) without root or without the mirror.
source "$(dirname "$0")/lib.sh"

SRC=${LOGTALLY_SOURCE_DIR:?LOGTALLY_SOURCE_DIR is not set}
BUILD_DIR=$(dirname "$LOGTALLY")
DOCKERFILE="$SRC/deploy/Dockerfile"
[ -f "$DOCKERFILE" ] || fail "no $DOCKERFILE"

# --- Static checks of the Dockerfile. --------------------------------------------------------------
# Instructions one per line (continuations joined), comments dropped.
awk '/^[ \t]*#/ { next } { sub(/\r$/, "") }
     /\\$/ { sub(/\\$/, ""); buf = buf $0 " "; next }
     { print buf $0; buf = "" }' "$DOCKERFILE" | grep -v '^[[:space:]]*$' >"$WORK/instr"
grep -Eq '^FROM[[:space:]]+debian:12[[:space:]]+AS[[:space:]]+build$' "$WORK/instr" ||
  fail "no build stage 'FROM debian:12 AS build'"
grep -Eq '^FROM[[:space:]]+debian:12-slim[[:space:]]+AS[[:space:]]+runtime$' "$WORK/instr" ||
  fail "no runtime stage 'FROM debian:12-slim AS runtime'"
# The runtime stage is the last one: its instructions from its FROM to the end.
awk '/^FROM[[:space:]]/ { keep = ($NF == "runtime") } keep' "$WORK/instr" >"$WORK/runtime"
assert_eq "last stage" runtime "$(grep -E '^FROM[[:space:]]' "$WORK/instr" | tail -1 | awk '{ print $NF }')"
grep -q -- 'scripts/package.sh' "$WORK/instr" || fail "the build stage does not run scripts/package.sh"
grep -Eq '^RUN .*apt-get install .*/tmp/logtally\.deb' "$WORK/runtime" ||
  fail "the runtime stage does not apt-get install the .deb"
grep -Eq '^RUN .*rm -rf /var/lib/apt/lists' "$WORK/runtime" || fail "the runtime stage keeps apt lists"
user=$(grep -E '^USER[[:space:]]' "$WORK/runtime" | tail -1 | awk '{ print $2 }')
[ -n "$user" ] || fail "the runtime stage has no USER"
case "${user%%:*}" in 0 | root | "") fail "the runtime stage runs as root (USER $user)" ;; esac
assert_eq "USER" 65532:65532 "$user"
grep -Eq '^EXPOSE[[:space:]]+9898$' "$WORK/runtime" || fail "the runtime stage does not EXPOSE 9898"
grep -E '^HEALTHCHECK[[:space:]]' "$WORK/runtime" | grep -q '/-/healthy' ||
  fail "the runtime stage has no HEALTHCHECK on /-/healthy"
assert_eq "ENTRYPOINT" 'ENTRYPOINT ["/usr/bin/logtally"]' "$(grep -E '^ENTRYPOINT' "$WORK/runtime")"
# The image's default config passes `logtally check`.
"$LOGTALLY" check --config "$SRC/deploy/container/logtally.yaml" >"$WORK/check.out" 2>&1 ||
  fail "logtally check refuses deploy/container/logtally.yaml: $(cat "$WORK/check.out")"
note "Dockerfile: stages, USER $user, EXPOSE 9898, HEALTHCHECK, ENTRYPOINT ok"

# --- Prerequisites of the build. -----------------------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
  note "SKIP: building and chrooting into the image needs root"
  exit 77
fi
for tool in podman buildah debootstrap python3; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/install-deps.sh installs it)"
done
# Two things every booted machine has and a bare chroot (such as the pristine-Debian check of
# ../shared/tools/fresh-debian) lacks; podman refuses without them, before building anything:
#   - /sys/fs/cgroup: without it every podman command ends in "Error: no such file or directory";
#   - / as a mount point: storing a layer remounts / ("remount /, flags: 0x44000: invalid argument").
if [ ! -d /sys/fs/cgroup ]; then
  note "SKIP: no /sys/fs/cgroup (sysfs is not mounted here): podman refuses every command without it"
  exit 77
fi
if ! mountpoint -q /; then
  note "SKIP: / is not a mount point (a chroot): podman cannot store an image layer (it remounts /)"
  exit 77
fi
# The machine's own Debian mirror (its apt sources), as the image's apt-get will need one.
MIRROR=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
[ -n "$MIRROR" ] || MIRROR=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
MIRROR=${MIRROR:-http://deb.debian.org/debian}
mirror_host=$(sed -E 's#^[a-z]+://([^/:]+).*#\1#' <<<"$MIRROR")
if ! timeout 10 bash -c "exec 3<>/dev/tcp/$mirror_host/80" 2>/dev/null; then
  note "SKIP: the Debian mirror $MIRROR is unreachable (the runtime stage apt-get installs the Depends)"
  exit 77
fi

CACHE="$BUILD_DIR/container-image"
BASE_TGZ=${CONTAINER_BASE_TGZ:-$CACHE/base.tgz}
if [ ! -s "$BASE_TGZ" ]; then
  note "no $BASE_TGZ: debootstrap --variant=minbase bookworm (once; cached there)"
  mkdir -p "$CACHE" || fail "mkdir $CACHE"
  debootstrap --variant=minbase bookworm "$WORK/base" "$MIRROR" \
    >"$WORK/debootstrap.log" 2>&1 || fail "debootstrap failed: $(tail -5 "$WORK/debootstrap.log")"
  { tar -C "$WORK/base" -czf "$BASE_TGZ.tmp" . && mv "$BASE_TGZ.tmp" "$BASE_TGZ"; } ||
    fail "could not write $BASE_TGZ"
  rm -rf "$WORK/base"
fi

# A private container storage in $WORK: nothing of the machine's podman images is touched.
STORE=(--root "$WORK/storage" --runroot "$WORK/runroot" --storage-driver overlay)
PODMAN=(podman "${STORE[@]}")
BUILDAH=(buildah "${STORE[@]}")
# Runs before lib.sh's e2e_cleanup (which stops the tracked processes too, and removes $WORK):
# logtally must be gone before its root filesystem is unmounted.
container_cleanup() {
  local rc=$? pid i
  for pid in "${E2E_PIDS[@]}"; do is_ours "$pid" && kill -TERM "$pid" 2>/dev/null; done
  for ((i = 0; i < 50; i++)); do
    for pid in "${E2E_PIDS[@]}"; do is_ours "$pid" && { sleep 0.1; continue 2; }; done
    break
  done
  for pid in "${E2E_PIDS[@]}"; do is_ours "$pid" && kill -KILL "$pid" 2>/dev/null; done
  "${PODMAN[@]}" rm -af >/dev/null 2>&1
  "${BUILDAH[@]}" rm -a >/dev/null 2>&1
  "${PODMAN[@]}" system reset -f >/dev/null 2>&1
  return "$rc"
}
trap 'container_cleanup; e2e_cleanup' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"${PODMAN[@]}" import "$BASE_TGZ" docker.io/library/debian:12-slim >"$WORK/import.log" 2>&1 ||
  fail "podman import of $BASE_TGZ failed: $(tail -3 "$WORK/import.log")"

# The build context: the .deb of this build tree and deploy/ (what the runtime stage copies).
{ mkdir -p "$WORK/ctx/build" && cp -r "$SRC/deploy" "$WORK/ctx/"; } || fail "could not make the context"
version=$(version_from_cmake)
DEB=$(DEB_DIR="$WORK/ctx/build" BUILD_DIR="$BUILD_DIR" "$SRC/scripts/package.sh" --no-build) ||
  fail "scripts/package.sh --no-build failed"
IMAGE="localhost/logtally:$version"
# --isolation=chroot: RUN steps without an OCI runtime (crun refuses here, docs/packaging.md, "The container image").
"${PODMAN[@]}" build --pull=never --isolation=chroot --format docker --target runtime \
  --build-arg DEB_STAGE=prebuilt --build-arg "DEB=build/$(basename "$DEB")" \
  -f "$DOCKERFILE" -t "$IMAGE" "$WORK/ctx" >"$WORK/build.log" 2>&1 ||
  fail "podman build failed: $(tail -20 "$WORK/build.log")"
note "built $IMAGE from the runtime stage"

# --- The image's config. -------------------------------------------------------------------------
"${PODMAN[@]}" image inspect "$IMAGE" >"$WORK/inspect.json" || fail "podman image inspect failed"
jq_image() { python3 -c 'import json,sys; print(json.dumps(eval("json.load(open(sys.argv[1]))[0]" + sys.argv[2])))' "$WORK/inspect.json" "$1"; }
assert_eq "image User" '"65532:65532"' "$(jq_image '["Config"]["User"]')"
assert_eq "image Entrypoint" '["/usr/bin/logtally"]' "$(jq_image '["Config"]["Entrypoint"]')"
assert_eq "image Cmd" '["run", "--config", "/etc/logtally/logtally.yaml"]' "$(jq_image '["Config"]["Cmd"]')"
assert_eq "image ExposedPorts" '{"9898/tcp": {}}' "$(jq_image '["Config"]["ExposedPorts"]')"
health=$(jq_image '["Healthcheck"]["Test"]')
case "$health" in '["CMD", '*) ;; *) fail "image HealthCheck is not an exec CMD: $health" ;; esac

# --- Run it. -------------------------------------------------------------------------------------
PORT=$(random_free_port)
mkfifo "$WORK/in.fifo" || fail "mkfifo failed"
if "${PODMAN[@]}" run -d -i --name lt -p "127.0.0.1:$PORT:9898" "$IMAGE" >"$WORK/run.log" 2>&1; then
  MODE=podman
  # podman run -d -i keeps the container's stdin open; attach to it to feed it.
  "${PODMAN[@]}" attach --sig-proxy=false lt <"$WORK/in.fifo" >/dev/null 2>&1 &
  track_pid $!
  HEALTH=("${PODMAN[@]}" healthcheck run lt)
else
  MODE=chroot
  note "podman run refused: $(grep -v 'Removing timer' "$WORK/run.log" | tail -2 | tr '\n' ' ')"
  note "running the image's root filesystem in a chroot instead"
  "${PODMAN[@]}" rm -af >/dev/null 2>&1
  # A working container of the image (buildah from): its root filesystem, writable like a
  # container's, mounted on the host.
  CTR=$("${BUILDAH[@]}" from --pull-never "$IMAGE" 2>"$WORK/from.err") ||
    fail "buildah from failed: $(cat "$WORK/from.err")"
  ROOTFS=$("${BUILDAH[@]}" mount "$CTR") || fail "buildah mount failed"
  # The container's port is the host's here: the config's 9898 may be taken, so run a copy of the
  # image's default config moved to $PORT (the only change), from a file in the image's /tmp.
  sed "s/0\.0\.0\.0:9898/127.0.0.1:$PORT/" "$ROOTFS/etc/logtally/logtally.yaml" >"$ROOTFS/tmp/port.yaml"
  grep -q "127.0.0.1:$PORT" "$ROOTFS/tmp/port.yaml" || fail "the image's config does not listen on :9898"
  mapfile -t ENTRY < <(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))[0]["Config"]; print("\n".join(c["Entrypoint"] + c["Cmd"]))' "$WORK/inspect.json")
  assert_eq "ENTRYPOINT + CMD" "/usr/bin/logtally run --config /etc/logtally/logtally.yaml" "${ENTRY[*]}"
  ENTRY[${#ENTRY[@]} - 1]=/tmp/port.yaml
  AS_USER=(setpriv --reuid 65532 --regid 65532 --clear-groups)
  chroot "$ROOTFS" "${AS_USER[@]}" "${ENTRY[@]}" <"$WORK/in.fifo" >"$WORK/lt.out" 2>"$WORK/lt.err" &
  track_pid $!
  mapfile -t HC < <(python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))[0]["Healthcheck"]["Test"]; print("\n".join(t[1:]))' "$WORK/inspect.json")
  HC[${#HC[@]} - 1]=${HC[${#HC[@]} - 1]//9898/$PORT}
  HEALTH=(chroot "$ROOTFS" "${AS_USER[@]}" "${HC[@]}")
fi
exec 3>"$WORK/in.fifo"

for ((i = 0; i < 100; i++)); do
  curl -sf "http://127.0.0.1:$PORT/-/ready" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$PORT/-/ready" >/dev/null ||
  fail "[$MODE] not ready on :$PORT within 10 s: $(tail -5 "$WORK/lt.err" 2>/dev/null)"
printf '%s\n' '{"level":"INFO","msg":"a"}' '{"level":"info"}' 'level=warn msg=b' '{"severity":"ERROR"}' \
  'plain text' >&3

want='log_records_total{level="error"} 1
log_records_total{level="info"} 2
log_records_total{level="unknown"} 1
log_records_total{level="warn"} 1'
got=""
for ((i = 0; i < 100; i++)); do
  got=$(curl -sf "http://127.0.0.1:$PORT/metrics" | grep '^log_records_total{' | sort)
  [ "$got" = "$want" ] && break
  sleep 0.1
done
assert_eq "[$MODE] scraped log_records_total" "$want" "$got"

"${HEALTH[@]}" >"$WORK/health.out" 2>&1 || fail "[$MODE] the HEALTHCHECK failed: $(cat "$WORK/health.out")"
if [ "$MODE" = chroot ]; then
  # The process runs as the image's user.
  pid=$(pgrep -f "^/usr/bin/logtally run --config /tmp/port.yaml" | head -1)
  [ -n "$pid" ] || fail "no logtally process found"
  assert_eq "uid of logtally" "65532" "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")"
  # The checkpoint directory is writable by it: a checkpoint appears.
  exec 3>&-
  for ((i = 0; i < 100; i++)); do
    [ -n "$(ls -A "$ROOTFS/var/lib/logtally" 2>/dev/null)" ] && break
    sleep 0.1
  done
  [ -n "$(ls -A "$ROOTFS/var/lib/logtally")" ] || fail "no checkpoint in /var/lib/logtally within 10 s"
  kill -TERM "$pid"
  for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  ! kill -0 "$pid" 2>/dev/null || fail "logtally still runs 10 s after SIGTERM"
  ! "${HEALTH[@]}" >/dev/null 2>&1 || fail "the HEALTHCHECK succeeds with logtally stopped"
fi
note "[$MODE] image runs as 65532, counts exact, healthcheck ok"
