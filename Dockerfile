# syntax=docker/dockerfile:1
# homing in a container: `homing daemon` as an unprivileged user, configured through the
# environment (HOMING_*), secrets from files (/run/secrets/...), state in a volume. Works with a
# read-only root filesystem. See packaging/docker/compose.yaml and docs/service.md.
#
#   docker build -t homing .
#   docker compose -f packaging/docker/compose.yaml up -d
#
# Both stages use the same Node image, so the V8 code cache made at build time fits the runtime.
# (A distroless nodejs20 image would also run dist/homing.cjs, but has no shell for `docker exec`
# debugging and another Node build; the slim image is the plain, well-known choice.)
ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: install the dev dependencies (esbuild) and bundle src/ into dist/homing.cjs --------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency runs code at install time, and `prepare` (the build) runs
# below, once the sources are there. esbuild finds its platform binary without its postinstall.
RUN npm ci --ignore-scripts --no-audit --no-fund
# tsconfig.json too: esbuild reads it (its "strict" makes the bundle strict-mode code).
COPY tsconfig.json ./
COPY bin/ bin/
COPY scripts/build.mjs scripts/build.mjs
COPY src/ src/
# The bundle has every dependency inlined (its only require() calls are node: built-ins), so the
# runtime stage needs bin/ and dist/ and no node_modules. Running it once proves it starts and
# leaves bin/homing's V8 code cache in dist/, which the read-only runtime could not write (best
# effort: without it homing starts a few milliseconds slower, nothing else).
RUN npm run build \
  && node bin/homing --version

# ---- runtime ------------------------------------------------------------------------------------
FROM ${NODE_IMAGE}
LABEL org.opencontainers.image.title="homing" \
      org.opencontainers.image.description="Dynamic DNS client: keeps DNS names pointing at this network's public address" \
      org.opencontainers.image.licenses="MIT"
# A fixed, unprivileged uid/gid (not the image's uid 1000 "node"), so volume and secret file
# ownership is predictable: chown 10001 what homing must read or write.
RUN groupadd --system --gid 10001 homing \
  && useradd --system --uid 10001 --gid homing --home-dir /nonexistent --no-create-home \
       --shell /usr/sbin/nologin homing \
  && install -d -o 10001 -g 10001 -m 0700 /var/lib/homing
WORKDIR /app
# Root-owned and read-only for homing: the program cannot be changed by the process it runs.
COPY --from=build /src/bin/ /app/bin/
COPY --from=build /src/dist/ /app/dist/
# The only place homing writes (state.json, the lock). A new named volume copies this
# directory's owner (10001) and mode (0700). Nothing else is written: no /tmp, no home.
ENV HOMING_STATE_DIR=/var/lib/homing
VOLUME ["/var/lib/homing"]
USER 10001:10001
# node is PID 1 and handles the signals itself: SIGTERM/SIGINT stop after the round in flight
# (daemon.shutdown_timeout, 10s by default: give `docker stop` more with -t 30), SIGHUP re-reads
# the config and secret files, SIGUSR1 runs a round now (docker kill -s USR1 <container>).
ENTRYPOINT ["node", "/app/bin/homing"]
CMD ["daemon"]
# Health = `homing status`: it reads the state file only (no network, no secret, no port) and
# exits 1 when a record failed its last round, when the state file cannot be read or is damaged,
# and before the first round ("no run yet", covered by --start-period); 0 otherwise. It
# works with any configuration, where /healthz exists only when status.listen is set and may be
# behind a token; with status.listen set, override this with a /healthz check (see compose.yaml).
# Three failed checks five minutes apart make the container unhealthy, like status.health_grace
# (15m). A dead daemon needs no check: PID 1 exits and the restart policy takes over.
HEALTHCHECK --interval=5m --timeout=30s --start-period=1m --retries=3 \
  CMD ["node", "/app/bin/homing", "status"]
