#!/bin/sh
# The official denoland/deno image's entrypoint: `docker run IMAGE run main.ts` runs deno with
# those arguments; any other command runs as it is.
set -e

if [ "$1" != "${1#-}" ]; then
  # The first argument is an option such as `--help`.
  exec deno "$@"
fi

case "$1" in
  bench | bundle | cache | check | compile | completions | coverage | doc | eval | fmt | help | info | init | install | jupyter | lint | lsp | publish | repl | run | serve | task | test | types | uninstall | upgrade | vendor)
    exec deno "$@"
    ;;
esac

exec "$@"
