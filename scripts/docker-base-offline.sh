#!/usr/bin/env bash
# Builds a local stand-in for the Dockerfile's base image `denoland/deno:$DENO_VERSION` on a machine that
# reaches a Debian mirror and the npm registry but not Docker Hub (this project's development and CI
# machines). It has the layout of the official Debian-based image (github.com/denoland/deno_docker,
# debian.dockerfile): a minimal Debian root, /usr/bin/deno, the user `deno` (uid 1993) owning /deno-dir,
# DENO_DIR=/deno-dir/, tini and the entry point that runs `deno <subcommand>`. The Deno binary is the one
# Deno publishes to npm (@deno/linux-x64-glibc), the same build `npm install -g deno` installs.
# Where Docker Hub is reachable, skip this: the Dockerfile pulls the real image.
# Usage: scripts/docker-base-offline.sh            (needs root, debootstrap, podman or buildah, npm)
set -euo pipefail
DENO_VERSION="${DENO_VERSION:-2.9.6}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SUITE="${DEBIAN_SUITE:-bookworm}"
IMAGE="docker.io/denoland/deno:${DENO_VERSION}"
command -v debootstrap >/dev/null || { echo "docker-base-offline: needs debootstrap (apt-get install debootstrap)"; exit 2; }
command -v podman >/dev/null || { echo "docker-base-offline: needs podman (apt-get install podman)"; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "docker-base-offline: Debian $SUITE root from $MIRROR"
debootstrap --variant=minbase --include=tini,ca-certificates "$SUITE" "$work/rootfs" "$MIRROR" >"$work/debootstrap.log" ||
  { tail -20 "$work/debootstrap.log"; exit 1; }
# A slim image keeps no package lists, docs or caches.
rm -rf "$work/rootfs/var/lib/apt/lists/"* "$work/rootfs/var/cache/apt/"*.bin "$work/rootfs/usr/share/doc/"* \
  "$work/rootfs/usr/share/man/"* "$work/rootfs/usr/share/locale/"*

echo "docker-base-offline: deno $DENO_VERSION from npm"
(cd "$work" && npm pack --silent "@deno/linux-x64-glibc@$DENO_VERSION" >/dev/null && tar -xzf deno-linux-x64-glibc-*.tgz)
install -m 0755 "$work/package/deno" "$work/rootfs/usr/bin/deno"

cat >"$work/rootfs/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
set -e
# `docker run image run main.ts` runs `deno run main.ts`; any other command runs as given.
if [ "$1" != "${1#-}" ]; then exec deno "$@"; fi
case "$1" in
  bench | bundle | cache | check | compile | completions | coverage | doc | eval | fmt | help | info | init | \
    install | lint | lsp | publish | repl | run | serve | task | test | types | uninstall | upgrade | vendor)
    exec deno "$@" ;;
esac
exec "$@"
EOF
chmod 0755 "$work/rootfs/usr/local/bin/docker-entrypoint.sh"
# Machines whose egress goes through a TLS-inspecting proxy trust its CA from
# /usr/local/share/ca-certificates; the stand-in trusts the same ones (none elsewhere), and Deno reads the
# system store, so `deno install` inside the build reaches the npm registry as the host does.
changes=()
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$work/rootfs/usr/local/share/ca-certificates/"
  chroot "$work/rootfs" update-ca-certificates >/dev/null
  changes+=(--change "ENV DENO_TLS_CA_STORE=system,mozilla")
fi
chroot "$work/rootfs" useradd --uid 1993 --user-group deno
mkdir -p "$work/rootfs/deno-dir"
chroot "$work/rootfs" chown deno:deno /deno-dir/

tar -C "$work/rootfs" -c . | podman import \
  --change 'ENV DENO_DIR=/deno-dir/' --change 'ENV DENO_INSTALL_ROOT=/usr/local' \
  --change "ENV DENO_VERSION=$DENO_VERSION" \
  "${changes[@]}" \
  --change 'ENTRYPOINT ["/usr/bin/tini", "--", "docker-entrypoint.sh"]' \
  --change 'CMD ["eval", "console.log(Deno.version)"]' - "$IMAGE" >/dev/null
echo "docker-base-offline: tagged $IMAGE ($(podman image inspect "$IMAGE" --format '{{.Size}}') bytes)"
