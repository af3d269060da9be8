# syntax=docker/dockerfile:1
#
# Sluice container image.
#
#   docker build -t sluice .
#   docker run --rm -p 8080:8080 sluice --backends http://host.docker.internal:9001
#
# Arguments after the image name go to main.ts; SLUICE_* environment variables work too
# (`docker run -e SLUICE_BACKENDS=...`). See demo/docker-compose.yml for a full setup and
# deploy/kubernetes/ for Kubernetes. `deno task test:container` builds and runs this file.

ARG DENO_VERSION=2.9.6

# ---- build: download main.ts's dependencies, and only those, into DENO_DIR (/deno-dir) ---------
FROM denoland/deno:debian-${DENO_VERSION} AS build
WORKDIR /app

# Only what runs in production; .dockerignore keeps tests, benches and the demo out of the context.
COPY deno.json deno.lock main.ts ./
COPY internal/ ./internal/
# --frozen fails the build when deno.lock does not match deno.json instead of rewriting it, and on
# an import that cannot be resolved from the lockfile. The install also caches the test tools in
# the lockfile (playwright-core, @sinonjs/fake-timers: 32 MB), so the npm packages main.ts does not
# reach are removed again, from the cache and from deno.json and deno.lock, which would otherwise
# ask for them at start-up (deploy/container/prune_npm_cache.ts).
RUN deno install --frozen --entrypoint main.ts
COPY deploy/container/prune_npm_cache.ts /tmp/
RUN deno info --json main.ts \
  | deno run --no-config --allow-read --allow-write=/deno-dir,/app /tmp/prune_npm_cache.ts

# ---- runtime -----------------------------------------------------------------------------------
FROM denoland/deno:debian-${DENO_VERSION}
WORKDIR /app

# Dependencies and code are owned by root and read-only for the user running them, so the image
# also runs with a read-only root filesystem (Kubernetes readOnlyRootFilesystem, docker --read-only):
# Deno then keeps its code cache in memory.
COPY --from=build /deno-dir/ /deno-dir/
COPY --from=build /app/ /app/
COPY --chmod=755 deploy/container/entrypoint.sh /usr/local/lib/sluice/
COPY deploy/container/healthcheck.ts /usr/local/lib/sluice/

# main.ts listens on 0.0.0.0:8080 by default, the admin server on 127.0.0.1:8090 (publish it with
# SLUICE_ADMIN_HOST=0.0.0.0 and a SLUICE_ADMIN_TOKEN). No SLUICE_HOST/SLUICE_PORT here:
# environment variables outrank a config file, so setting them in the image would silently
# override a mounted config's host and port.
USER deno
EXPOSE 8080 8090
# Deno's tokio runtime polls socket readiness on every scheduler tick rather than every 61st:
# under load the default left some connections waiting hundreds of ms (internal/app/runtime_env.ts).
ENV DENO_TOKIO_EVENT_INTERVAL=1

# Least privilege: network, read (the config file) and SLUICE_* variables only, and --cached-only
# so nothing is downloaded at start-up. The entrypoint raises the soft open-files limit to the hard
# one (each proxied request holds two sockets; raise the hard one with
# `docker run --ulimit nofile=65536:65536`), then execs Deno, which runs as PID 1 without an init:
# main.ts handles SIGTERM/SIGINT itself (graceful drain on `docker stop`) and starts no child
# processes. `docker run --init` adds tini if wanted.
ENTRYPOINT ["/usr/local/lib/sluice/entrypoint.sh"]
# Reset the base image's CMD (`eval "console.log('Welcome to Deno!')"`), which would otherwise be
# passed to main.ts as arguments.
CMD []

# Liveness from inside the container: GET /healthz on the admin server (127.0.0.1:8090, or
# SLUICE_ADMIN_PORT; with the admin server off, SLUICE_ADMIN_PORT=0, it passes without probing).
# The image has no curl: the probe is a small Deno script (about 60 ms and 40 MB while it runs).
# Kubernetes ignores HEALTHCHECK and uses the manifests' probes instead; podman keeps it only in
# the docker image format (`podman build --format docker`).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["deno", "run", "--allow-net", "--allow-env=SLUICE_ADMIN_PORT,SLUICE_ADMIN_HOST", "--cached-only", "--no-config", "/usr/local/lib/sluice/healthcheck.ts"]
