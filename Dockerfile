# Mini-Claude as a container: one Deno process serving the web app on $PORT (8000).
# Build:  docker build -t mini-claude .
# Run:    docker run -p 8000:8000 -e DATABASE_URL=... -e SESSION_SECRET=... -e GEMINI_API_KEY=... mini-claude
# Without DATABASE_URL the embedded PGlite database lives in /data (mount a volume there).
# Several replicas: give all of them the same DATABASE_URL and SESSION_SECRET (docs/deploy.md).
ARG DENO_VERSION=2.9.6
FROM denoland/deno:${DENO_VERSION}

WORKDIR /app
ENV DENO_DIR=/deno-dir \
    DATA_DIR=/data \
    PORT=8000 \
    HOSTNAME=0.0.0.0

# Dependencies first, so code changes do not invalidate this layer.
COPY deno.json deno.lock ./
# ml/ is a workspace member (the @mini-claude/ml package); its config is part of the dependency set.
COPY ml/deno.json ./ml/
RUN deno install --frozen

COPY . .
# Resolve and cache every module the server loads, so the container starts without the network.
RUN deno install --frozen \
    && deno cache main.ts \
    && mkdir -p /data \
    && chown -R deno:deno /data /deno-dir

USER deno
VOLUME /data
EXPOSE 8000

# /api/health answers 503 while the database is unreachable.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["deno", "eval", "const r = await fetch(`http://127.0.0.1:${Deno.env.get('PORT') ?? 8000}/api/health`); Deno.exit(r.ok ? 0 : 1)"]

# main.ts handles SIGTERM: in-flight replies are stored as `stopped`, then the process exits 0.
STOPSIGNAL SIGTERM
CMD ["deno", "task", "start"]
