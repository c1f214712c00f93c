#!/usr/bin/env bash
# Builds the Dockerfile and checks the running container, where a container engine exists (docker or
# podman; set ENGINE to choose). Needs the base image denoland/deno from Docker Hub.
# Checks: the image builds; the app answers /api/health 200 on the embedded database in /data; it runs
# as a non-root user that owns /data and cannot write the app's files; no test-only packages (Chromium,
# PostgreSQL server) are in the image; OpenBLAS is; the HEALTHCHECK reports healthy; SIGTERM exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."
ENGINE="${ENGINE:-$(command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1 && echo docker || echo podman)}"
command -v "$ENGINE" >/dev/null || { echo "docker-smoke: no container engine (docker or podman)"; exit 2; }
IMAGE="${IMAGE:-mini-claude:smoke}"
NAME="mini-claude-smoke-$$"
PORT="${SMOKE_PORT:-18080}"
fail() { echo "docker-smoke: FAIL: $*"; "$ENGINE" logs "$NAME" 2>&1 | tail -20 || true; exit 1; }
cleanup() { "$ENGINE" rm -f "$NAME" >/dev/null 2>&1 || true; }
trap cleanup EXIT

echo "docker-smoke: building $IMAGE with $ENGINE"
# podman's default OCI format drops HEALTHCHECK; the docker format keeps it.
if [ "$ENGINE" = podman ]; then "$ENGINE" build --format docker -t "$IMAGE" .; else "$ENGINE" build -t "$IMAGE" .; fi
echo "docker-smoke: image size $("$ENGINE" image inspect "$IMAGE" --format '{{.Size}}') bytes"

"$ENGINE" run -d --name "$NAME" -p "127.0.0.1:$PORT:8000" "$IMAGE" >/dev/null
for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$PORT/api/health" >/dev/null 2>&1 && break
  sleep 1
done
curl -fsS "http://127.0.0.1:$PORT/api/health" | grep -q '"database":{[^}]*"ok":true' || fail "health is not ok"
curl -fsS "http://127.0.0.1:$PORT/" | grep -q '/_islands/boot-' || fail "page does not load the built islands"

[ "$("$ENGINE" exec "$NAME" id -u)" != "0" ] || fail "runs as root"
"$ENGINE" exec "$NAME" sh -c 'test -O /data && test -w /data' || fail "/data is not owned by the app user"
if "$ENGINE" exec "$NAME" sh -c 'touch /app/main.ts' 2>/dev/null; then fail "the app user can modify /app"; fi
if "$ENGINE" exec "$NAME" sh -c 'command -v chromium || ls /usr/lib/postgresql' >/dev/null 2>&1; then
  fail "test-only packages are in the image"
fi
"$ENGINE" exec "$NAME" sh -c 'ls /usr/lib/*/libopenblas.so.0' >/dev/null || fail "OpenBLAS missing"

for _ in $(seq 1 90); do
  status="$("$ENGINE" inspect "$NAME" --format '{{.State.Health.Status}}' 2>/dev/null || echo none)"
  [ "$status" = "healthy" ] && break
  sleep 1
done
[ "$status" = "healthy" ] || fail "HEALTHCHECK status is $status"

"$ENGINE" stop -t 20 "$NAME" >/dev/null
code="$("$ENGINE" inspect "$NAME" --format '{{.State.ExitCode}}')"
[ "$code" = "0" ] || fail "exit code after SIGTERM is $code"
echo "docker-smoke: OK"
