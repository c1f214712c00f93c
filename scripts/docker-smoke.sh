#!/usr/bin/env bash
# Builds the Dockerfile and checks the image running, with docker or podman (ENGINE to choose).
# Checks: the image builds; the app answers /api/health on the embedded database in /data and serves the
# built islands; it runs as a non-root user that owns /data and cannot write the app's files; no test-only
# packages (Chromium, PostgreSQL server) are in the image; OpenBLAS is; the HEALTHCHECK command passes;
# SIGTERM exits 0.
#
# Two ways to run the built image (RUNNER):
#   engine  `$ENGINE run` (default): a real container with its own network, port-mapped.
#   chroot  `buildah run --isolation chroot`: the image's root file system, user, working directory and
#           environment, sharing the host's network (the app listens on 127.0.0.1:$SMOKE_PORT). For
#           machines where the engine can build but its OCI runtime cannot start containers (this
#           project's sandboxes lack CAP_SYS_RESOURCE, so crun/runc fail on setrlimit). The image checked
#           is the same; what it does not check is the engine's own port mapping and health scheduler (the
#           HEALTHCHECK command itself is run).
# BUILD=0 skips the build and checks the image already tagged $IMAGE.
# Where Docker Hub is unreachable, build the base image first with scripts/docker-base-offline.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
ENGINE="${ENGINE:-$(command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1 && echo docker || echo podman)}"
command -v "$ENGINE" >/dev/null || { echo "docker-smoke: no container engine (docker or podman)"; exit 2; }
RUNNER="${RUNNER:-engine}"
IMAGE="${IMAGE:-localhost/mini-claude:smoke}"
NAME="mini-claude-smoke-$$"
PORT="${SMOKE_PORT:-18080}"
APP_PID=""
BUILDAH=(buildah)
# buildah must use podman's storage to see the image podman built.
[ "$ENGINE" = podman ] && BUILDAH+=(--storage-driver "$(podman info --format '{{.Store.GraphDriverName}}')")

log() { echo "docker-smoke: $*"; }
fail() {
  log "FAIL: $*"
  if [ "$RUNNER" = engine ]; then "$ENGINE" logs "$NAME" 2>&1 | tail -20 || true; else tail -20 "$RUN_LOG" || true; fi
  exit 1
}
cleanup() {
  if [ "$RUNNER" = engine ]; then "$ENGINE" rm -f "$NAME" >/dev/null 2>&1 || true; else
    [ -n "$APP_PID" ] && kill "$APP_PID" 2>/dev/null || true
    "${BUILDAH[@]}" rm "$NAME" >/dev/null 2>&1 || true
    rm -f "$RUN_LOG"
  fi
}
RUN_LOG="$(mktemp)"
trap cleanup EXIT
# A JSON array from the image's config, one element per line (elements hold no newlines).
config_list() { "$ENGINE" image inspect "$IMAGE" --format "{{json $1}}" | deno eval --quiet 'const a = JSON.parse(await new Response(Deno.stdin.readable).text()); for (const x of a) console.log(x);'; }

if [ "${BUILD:-1}" = 1 ]; then
  log "building $IMAGE with $ENGINE"
  # podman's default OCI format drops HEALTHCHECK; the docker format keeps it. The chroot runner also
  # builds with chroot isolation (RUN steps cannot start an OCI container there either).
  if [ "$ENGINE" = podman ]; then
    iso=()
    [ "$RUNNER" = chroot ] && iso=(--isolation chroot)
    "$ENGINE" build "${iso[@]}" --format docker -t "$IMAGE" .
  else "$ENGINE" build -t "$IMAGE" .; fi
fi # BUILD=0 checks an image built before
log "image size $("$ENGINE" image inspect "$IMAGE" --format '{{.Size}}') bytes"

if [ "$RUNNER" = engine ]; then
  "$ENGINE" run -d --name "$NAME" -p "127.0.0.1:$PORT:8000" "$IMAGE" >/dev/null
  in_image() { "$ENGINE" exec "$NAME" sh -c "$1"; }
else
  "${BUILDAH[@]}" from --name "$NAME" "$IMAGE" >/dev/null
  mapfile -t CMD < <(config_list .Config.Cmd)
  "${BUILDAH[@]}" run --isolation chroot --env "PORT=$PORT" --env LISTEN_HOST=127.0.0.1 "$NAME" -- "${CMD[@]}" \
    >"$RUN_LOG" 2>&1 &
  RUN_PID=$!
  in_image() { "${BUILDAH[@]}" run --isolation chroot --env "PORT=$PORT" "$NAME" -- sh -c "$1"; }
fi

for _ in $(seq 1 90); do
  curl -fsS "http://127.0.0.1:$PORT/api/health" >/dev/null 2>&1 && break
  sleep 1
done
curl -fsS "http://127.0.0.1:$PORT/api/health" | grep -q '"status":"ok"' || fail "health is not ok"
curl -fsS "http://127.0.0.1:$PORT/" | grep -q '/_islands/boot-' || fail "page does not load the built islands"
log "serving on 127.0.0.1:$PORT"

[ "$(in_image 'id -u')" != "0" ] || fail "runs as root"
in_image 'test -O /data && test -w /data' || fail "/data is not owned by the app user"
if in_image 'touch /app/main.ts' 2>/dev/null; then fail "the app user can modify /app"; fi
if in_image 'command -v chromium || ls /usr/lib/postgresql' >/dev/null 2>&1; then
  fail "test-only packages are in the image"
fi
in_image 'ls /usr/lib/*/libopenblas.so.0' >/dev/null || fail "OpenBLAS missing"
in_image 'ls /data/*' >/dev/null || fail "nothing written to /data"
log "non-root, owns /data only, no test-only packages, OpenBLAS present"

if [ "$RUNNER" = engine ]; then
  for _ in $(seq 1 90); do
    status="$("$ENGINE" inspect "$NAME" --format '{{.State.Health.Status}}' 2>/dev/null || echo none)"
    [ "$status" = "healthy" ] && break
    sleep 1
  done
  [ "$status" = "healthy" ] || fail "HEALTHCHECK status is $status"
  "$ENGINE" stop -t 20 "$NAME" >/dev/null
  code="$("$ENGINE" inspect "$NAME" --format '{{.State.ExitCode}}')"
else
  mapfile -t HC < <(config_list .Config.Healthcheck.Test)
  [ "${HC[0]}" = CMD ] || fail "HEALTHCHECK is not an exec-form CMD: ${HC[*]}"
  "${BUILDAH[@]}" run --isolation chroot --env "PORT=$PORT" "$NAME" -- "${HC[@]:1}" || fail "HEALTHCHECK command failed"
  # The deno process itself, not its buildah-chroot-exec parent (which dies of SIGTERM and kills it).
  APP_PID="$(pgrep -u "$(in_image 'id -u')" -x deno | head -1)"
  [ -n "$APP_PID" ] || fail "app process not found"
  kill -TERM "$APP_PID"
  code=0
  wait "$RUN_PID" || code=$?
  APP_PID=""
fi
[ "$code" = "0" ] || fail "exit code after SIGTERM is $code"
log "HEALTHCHECK passes; SIGTERM exits 0"
log "OK"
