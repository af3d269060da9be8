# syntax=docker/dockerfile:1
#
# Sluice container image.
#
#   docker build -t sluice .
#   docker run --rm -p 8080:8080 sluice --backends http://host.docker.internal:9001
#
# Arguments after the image name go to main.ts; SLUICE_* environment variables work too
# (`docker run -e SLUICE_BACKENDS=...`). See demo/docker-compose.yml for a full setup.

ARG DENO_VERSION=2.9.6

# ---- build: resolve and download dependencies into DENO_DIR (/deno-dir) -------------------------
FROM denoland/deno:debian-${DENO_VERSION} AS build
WORKDIR /app

# Manifest and lockfile first, so this layer (the npm downloads) is rebuilt only when they change.
# --frozen fails the build if deno.lock does not match deno.json instead of rewriting it.
COPY deno.json deno.lock ./
RUN deno install --frozen

# Only what runs in production; .dockerignore keeps tests, benches and the demo out of the context.
COPY main.ts ./
COPY internal/ ./internal/
# Fails the build on an import that cannot be resolved from the lockfile and cache.
RUN deno install --frozen --entrypoint main.ts

# ---- runtime -----------------------------------------------------------------------------------
FROM denoland/deno:debian-${DENO_VERSION}
WORKDIR /app

# The dependency cache is writable by `deno` so Deno can keep its code cache; the app stays
# owned by root and read-only for the user running it.
COPY --from=build --chown=deno:deno /deno-dir/ /deno-dir/
COPY --from=build /app/ /app/

# main.ts listens on 0.0.0.0:8080 by default. No SLUICE_HOST/SLUICE_PORT here: environment
# variables outrank a config file, so setting them in the image would silently override a
# mounted config's host and port.
USER deno
EXPOSE 8080

# Least privilege: network, read (config file, TLS files) and SLUICE_* variables only; and
# --cached-only so nothing is downloaded at start-up.
# Deno runs as PID 1 without an init: main.ts handles SIGTERM/SIGINT itself (graceful drain on
# `docker stop`) and starts no child processes. `docker run --init` adds tini if wanted.
ENTRYPOINT ["deno", "run", "--allow-net", "--allow-read", "--allow-env=SLUICE_*", "--cached-only", "main.ts"]
# Reset the base image's CMD (`eval "console.log('Welcome to Deno!')"`), which would otherwise be
# passed to main.ts as arguments.
CMD []

# No HEALTHCHECK: the image has no curl or wget, and a `deno eval` probe would need its own
# permissions and start a second V8 per check. Orchestrators should probe the proxy port (or the
# admin /healthz once there is an admin port) from outside.
