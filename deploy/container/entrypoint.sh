#!/bin/sh
# Entrypoint of Sluice's container image: raise the soft open-files limit to the hard limit (as
# HAProxy and nginx's worker_rlimit_nofile do; Deno has no setrlimit), then exec Sluice as PID 1
# with the image's permissions, passing the container's arguments on to main.ts.
set -eu

hard=$(ulimit -H -n)
if ! ulimit -S -n "$hard" 2>/dev/null; then
  echo "sluice entrypoint: cannot raise the open-files limit to $hard; it stays $(ulimit -S -n)" >&2
fi

exec deno run --allow-net --allow-read --allow-env='SLUICE_*,DENO_TOKIO_EVENT_INTERVAL' --cached-only /app/main.ts "$@"
