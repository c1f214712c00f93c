# Mini-Claude as a container: one Deno process serving the web app on $PORT (8000).
# Build:  docker build -t mini-claude .          (or: podman build -t mini-claude .)
# Run:    docker run -p 8000:8000 -e DATABASE_URL=... -e SESSION_SECRET=... -e GEMINI_API_KEY=... mini-claude
# Without DATABASE_URL the embedded PGlite database lives in /data (mount a volume there).
# Several replicas: give all of them the same DATABASE_URL and SESSION_SECRET (docs/deploy.md).
# Smoke test where an engine exists: scripts/docker-smoke.sh (offline: scripts/docker-base-offline.sh first)
ARG DENO_VERSION=2.9.6

# Stage 1: dependencies and the island build (esbuild runs here, never in the runtime image).
FROM denoland/deno:${DENO_VERSION} AS build
WORKDIR /app
ENV DENO_DIR=/deno-dir
COPY deno.json deno.lock ./
# ml/ is a workspace member (the @mini-claude/ml package); its config is part of the dependency set.
COPY ml/deno.json ./ml/
RUN deno install --frozen
COPY . .
RUN deno install --frozen \
    && deno cache main.ts \
    && deno task build \
    && rm -rf docs .github

# Stage 2: runtime. Only the app, its node_modules and module cache, the island build, and OpenBLAS
# for the local model's native kernels (no Chromium, PostgreSQL server or other test-only packages).
FROM denoland/deno:${DENO_VERSION}
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libopenblas0-pthread \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV DENO_DIR=/deno-dir \
    DATA_DIR=/data \
    PORT=8000 \
    LISTEN_HOST=0.0.0.0
# Only the module cache's transpiled code: npm packages are read from /app/node_modules, so the build
# stage's copy of them in /deno-dir/npm (as large again) stays behind.
COPY --from=build /deno-dir/gen /deno-dir/gen
COPY --from=build /app /app
# The app's files stay root-owned and read-only to the app; only /data belongs to the `deno` user.
RUN mkdir -p /data && chown deno:deno /data
USER deno
VOLUME /data
EXPOSE 8000

# /api/health answers 503 while the database is unreachable.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["deno", "eval", "const r = await fetch(`http://127.0.0.1:${Deno.env.get('PORT') ?? 8000}/api/health`); Deno.exit(r.ok ? 0 : 1)"]

# main.ts handles SIGTERM: in-flight replies are stored as `stopped`, then the process exits 0.
STOPSIGNAL SIGTERM
# The least-privilege flags of `deno task start` (docs/deploy.md), with /data as the data directory;
# --allow-ffi lets the local model use OpenBLAS. --cached-only: never fetch modules at run time.
CMD ["deno", "run", "--cached-only", "--allow-net", "--allow-env", "--allow-ffi", \
     "--allow-read=/app,/data,/tmp", "--allow-write=/data,/tmp", "main.ts"]
