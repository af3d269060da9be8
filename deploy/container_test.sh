#!/usr/bin/env bash
# The container image and the compose demo, built and run for real: `deno task test:container`.
#
#  1. Stand-ins for the images the Dockerfile and demo/docker-compose.yml name, built once and kept
#     (no registry is needed): docker.io/denoland/deno:debian-2.9.6 (Debian bookworm from
#     debootstrap + the deno binary from the npm package @deno/linux-x64-glibc, see
#     deploy/container/standins/) and docker.io/hashicorp/http-echo:1.0 (demo/upstream.ts, rebuilt
#     when that file changes). Images already present, stand-ins or real pulled ones, are used.
#  2. Sluice's image from the real Dockerfile: size, `--version`, start time, no test dependencies,
#     runs with a read-only root filesystem.
#  3. demo/docker-compose.yml with podman-compose: curl through Sluice rotates over the three
#     http-echo containers, the admin port answers /readyz, the HEALTHCHECK passes, the open-files
#     limit is raised, and `podman stop` (SIGTERM) drains an upload in flight and exits 0.
#  4. Everything it started is removed, also on failure or Ctrl-C.
#
# Needs root (or rootless podman set up), podman, podman-compose, curl; debootstrap and npm only to
# build the deno stand-in. Skips (exit 0) with the reason when something is missing.
#
# Environment:
#   SLUICE_CONTAINER_STATE  podman's storage and config for this test
#                           (default: ${XDG_CACHE_HOME:-~/.cache}/sluice-container)
#   SLUICE_CONTAINER_SYSTEM_PODMAN=1  use podman's own configuration and storage instead
#   DEBIAN_MIRROR           mirror for debootstrap (default: the first one apt uses)
set -euo pipefail
cd "$(dirname "$0")/.."

DENO_VERSION=2.9.6
DENO_IMAGE=docker.io/denoland/deno:debian-${DENO_VERSION}
ECHO_IMAGE=docker.io/hashicorp/http-echo:1.0
BASE_IMAGE=localhost/sluice-standin/debian:bookworm
SLUICE_IMAGE=localhost/sluice:dev # demo/docker-compose.yml's `image: sluice:dev`
PROJECT=sluice-container-test
ADMIN_TOKEN=demo-admin-token-change-me # demo/docker-compose.yml's

started=$(date +%s.%N)
elapsed() { printf '%.1fs' "$(echo "$(date +%s.%N) - $1" | bc)"; }
step() { printf '\n== %s (at %s)\n' "$*" "$(elapsed "$started")"; }
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
skip() {
  echo "SKIP test:container: $*"
  exit 0
}

for tool in podman podman-compose curl bc; do
  command -v "$tool" >/dev/null 2>&1 ||
    skip "$tool is not installed (Debian: apt-get install -y podman runc podman-compose debootstrap curl bc)"
done

# ---- podman's configuration: its own storage, runc, the machine's hard limits ----------------------
if [[ "${SLUICE_CONTAINER_SYSTEM_PODMAN:-}" != 1 ]]; then
  state=${SLUICE_CONTAINER_STATE:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice-container}
  mkdir -p "$state"
  # crun fails on some hosts (cgroups v1 "hybrid mode", setrlimit RLIMIT_NOFILE); runc works.
  # Containers get this machine's hard open-files limit (a container may not exceed it; podman's
  # default of 1048576 fails where the hard limit is lower) and at most 32768 processes (runc could
  # not set the host's 96362 where this was written).
  nofile=$(ulimit -H -n)
  nproc=$(ulimit -H -u)
  [[ $nproc == unlimited || $nproc -gt 32768 ]] && nproc=32768
  {
    echo "[containers]"
    echo "default_ulimits = [\"nofile=$nofile:$nofile\", \"nproc=$nproc:$nproc\"]"
    if command -v runc >/dev/null 2>&1; then
      echo "[engine]"
      echo "runtime = \"runc\""
    fi
  } >"$state/containers.conf"
  {
    echo "[storage]"
    echo "driver = \"overlay\""
    echo "graphroot = \"$state/storage\""
    echo "runroot = \"$state/run\""
  } >"$state/storage.conf"
  export CONTAINERS_CONF="$state/containers.conf" CONTAINERS_STORAGE_CONF="$state/storage.conf"
fi
podman info >/dev/null 2>&1 || skip "podman does not work here: $(podman info 2>&1 | tail -n 1)"

# ---- teardown, whatever happens ------------------------------------------------------------------
work=$(mktemp -d)
compose_up=0
held_pids=()
cleanup() {
  local status=$?
  if [[ $compose_up == 1 ]]; then
    "${compose[@]}" down >/dev/null 2>&1 || true
    # podman-compose 1.0 leaves the project's network behind.
    podman network rm -f "${PROJECT}_default" >/dev/null 2>&1 || true
  fi
  podman rm -f -i "$PROJECT-probe" >/dev/null 2>&1 || true
  [[ ${paused:-0} == 1 ]] && podman unpause "$echo1_ctr" >/dev/null 2>&1
  for pid in "${held_pids[@]}"; do kill "$pid" 2>/dev/null; done
  [[ -n ${KEEP_WORK:-} ]] || rm -rf "$work"
  if [[ $status == 0 ]]; then
    echo "test:container: ok ($(elapsed "$started"))"
  else
    echo "test:container: FAILED ($(elapsed "$started"))" >&2
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR

# ---- 1. stand-in base images, built once ----------------------------------------------------------
step "Base images"
if podman image exists "$DENO_IMAGE"; then
  echo "$DENO_IMAGE: present"
else
  [[ $(id -u) == 0 ]] || skip "building the $DENO_IMAGE stand-in needs root (debootstrap)"
  for tool in debootstrap npm tar; do
    command -v "$tool" >/dev/null 2>&1 || skip "$tool is needed to build the $DENO_IMAGE stand-in"
  done
  if ! podman image exists "$BASE_IMAGE"; then
    mirror=${DEBIAN_MIRROR:-$(
      cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
        grep -oE 'https?://[^ ]+/debian/?( |$)' | grep -v security | head -n 1 | tr -d ' ' || true
    )}
    mirror=${mirror:-http://deb.debian.org/debian}
    echo "debootstrap bookworm from $mirror"
    debootstrap --variant=minbase --include=tini bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
      { tail -n 20 "$work/debootstrap.log" >&2; fail "debootstrap failed"; }
    # What debian:bookworm-slim leaves out too: package caches and lists, docs, man pages, locales.
    rm -rf "$work"/rootfs/var/cache/apt/archives/*.deb "$work"/rootfs/var/lib/apt/lists/* \
      "$work"/rootfs/usr/share/doc/* "$work"/rootfs/usr/share/man/* "$work"/rootfs/usr/share/info/* \
      "$work"/rootfs/usr/share/locale/*
    tar -C "$work/rootfs" -c . | podman import --quiet - "$BASE_IMAGE" >/dev/null
    rm -rf "$work/rootfs"
  fi
  echo "deno binary from npm: @deno/linux-x64-glibc@$DENO_VERSION"
  mkdir -p "$work/deno"
  (cd "$work/deno" && npm pack --silent "@deno/linux-x64-glibc@$DENO_VERSION" >/dev/null && tar xzf ./*.tgz)
  cp "$work/deno/package/deno" deploy/container/standins/docker-entrypoint.sh "$work/deno/"
  cp "${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}" "$work/deno/host-ca-certificates.crt"
  podman build --quiet --format docker --pull=never --build-arg "DENO_VERSION=$DENO_VERSION" \
    --build-arg "BASE=$BASE_IMAGE" -t "$DENO_IMAGE" \
    -f deploy/container/standins/deno.Containerfile "$work/deno" >/dev/null
  echo "$DENO_IMAGE: built stand-in"
fi
upstream_sum=$(sha256sum demo/upstream.ts | cut -c1-16)
echo_source=$(podman image inspect --format '{{index .Labels "sluice.standin.source"}}' "$ECHO_IMAGE" 2>/dev/null || echo missing)
if [[ $echo_source == "$upstream_sum" ]]; then
  echo "$ECHO_IMAGE: stand-in from this demo/upstream.ts, present"
elif [[ $echo_source == missing || (-n $echo_source && $echo_source != "<no value>") ]]; then
  # Missing, or a stand-in built from an older demo/upstream.ts.
  podman build --quiet --format docker --pull=never --build-arg "BASE=$DENO_IMAGE" \
    --label "sluice.standin.source=$upstream_sum" -t "$ECHO_IMAGE" \
    -f deploy/container/standins/http-echo.Containerfile demo/ >/dev/null
  echo "$ECHO_IMAGE: built stand-in from demo/upstream.ts"
else
  echo "$ECHO_IMAGE: present (not a stand-in)"
fi

# ---- 2. Sluice's image from the real Dockerfile ----------------------------------------------------
step "Build $SLUICE_IMAGE from ./Dockerfile"
t=$(date +%s.%N)
# --format docker keeps HEALTHCHECK (the OCI format has no field for it).
podman build --format docker --pull=never -t "$SLUICE_IMAGE" -f Dockerfile . >"$work/build.log" 2>&1 ||
  { tail -n 30 "$work/build.log" >&2; fail "podman build of the Dockerfile failed"; }
{ grep -E '^npm packages kept|^removed:' "$work/build.log" || echo 'layers from the cache'; } | sed 's/^/  build: /'
size=$(podman image inspect --format '{{.Size}}' "$SLUICE_IMAGE")
base_size=$(podman image inspect --format '{{.Size}}' "$DENO_IMAGE")
echo "built in $(elapsed "$t"); image size $((size / 1000000)) MB ($(((size - base_size) / 1000000)) MB over $DENO_IMAGE, $((base_size / 1000000)) MB)"

npm_packages=$(podman run --rm --no-healthcheck --entrypoint ls "$SLUICE_IMAGE" /deno-dir/npm/registry.npmjs.org | tr '\n' ' ')
echo "npm packages in the image: $npm_packages"
for unwanted in playwright-core @sinonjs; do
  [[ " $npm_packages " != *" $unwanted "* ]] || fail "the runtime image holds the test dependency $unwanted"
done
[[ " $npm_packages " == *" zod "* ]] || fail "the runtime image lacks zod, a run-time dependency"

t=$(date +%s.%N)
version=$(podman run --rm --no-healthcheck --read-only "$SLUICE_IMAGE" --version)
echo "podman run --read-only $SLUICE_IMAGE --version: $version ($(elapsed "$t"), container start and exit included)"
[[ $version == "sluice $(sed -nE 's/^ *"version": "([^"]+)".*/\1/p' deno.json) "* ]] || fail "unexpected --version: $version"
user=$(podman image inspect --format '{{.Config.User}}' "$SLUICE_IMAGE")
[[ $user == deno ]] || fail "the image runs as '$user', not the non-root user deno"
echo "runs as: $user"

# ---- 3. the compose demo ---------------------------------------------------------------------------
step "demo/docker-compose.yml with podman-compose"
# Free loopback ports instead of the demo's 8080/8090, which may be in use on a shared machine.
# Below the ephemeral range, where other processes' outgoing connections take ports at random,
# and used by no socket at all (listening or connected) when checked.
free_port() {
  local low port
  low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  for _ in $(seq 50); do
    port=$((10000 + RANDOM % (low - 10000)))
    if [[ -z $(ss -Htan "( sport = :$port )" 2>/dev/null) ]] && ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  fail "no free port found"
}
export SLUICE_DEMO_PORT SLUICE_DEMO_ADMIN_PORT
# The compose file asks for nofile 65536, more than a container may have where the host's hard
# limit is lower; and a container's own ulimits replace podman's default_ulimits, so nproc must be
# set again (see the top). An override file, merged over the compose file, does both.
demo_nofile=$(ulimit -H -n)
[[ $demo_nofile == unlimited || $demo_nofile -gt 65536 ]] && demo_nofile=65536
{
  echo "services:"
  echo "  sluice:"
  echo "    ulimits:"
  echo "      nofile: { soft: $demo_nofile, hard: $demo_nofile }"
  echo "      nproc: { soft: ${nproc:-32768}, hard: ${nproc:-32768} }"
} >"$work/compose.override.yml"
compose=(podman-compose -p "$PROJECT" -f demo/docker-compose.yml -f "$work/compose.override.yml")
SLUICE_DEMO_PORT=$(free_port)
SLUICE_DEMO_ADMIN_PORT=$(free_port)
proxy="http://127.0.0.1:$SLUICE_DEMO_PORT"
admin="http://127.0.0.1:$SLUICE_DEMO_ADMIN_PORT"
auth=(-H "Authorization: Bearer $ADMIN_TOKEN")

compose_up=1
t=$(date +%s.%N)
"${compose[@]}" up -d >"$work/compose.log" 2>&1 ||
  { tail -n 30 "$work/compose.log" >&2; fail "podman-compose up failed"; }
sluice_ctr=$(podman ps -a --filter "label=io.podman.compose.project=$PROJECT" --filter "label=com.docker.compose.service=sluice" --format '{{.Names}}')
[[ -n $sluice_ctr ]] || { tail -n 30 "$work/compose.log" >&2; fail "no sluice container in project $PROJECT"; }
for ctr in $(podman ps -a --filter "label=io.podman.compose.project=$PROJECT" --format '{{.Names}}'); do
  [[ $(podman inspect --format '{{.State.Running}}' "$ctr") == true ]] ||
    { grep -v '^podman\|^\[\|^exit code\|^[0-9a-f]\{64\}$' "$work/compose.log" | tail -n 15 >&2 || true; fail "$ctr is not running: $(podman inspect --format '{{.State.Status}} {{.State.Error}}' "$ctr")"; }
done

# Sluice's log so far, into a file that is then searched: `podman logs | grep -q` would end
# podman with SIGPIPE, which pipefail turns into a failure.
log="$work/sluice.log"
read_log() { podman logs "$sluice_ctr" >"$log" 2>&1 || true; }

# Ready when /readyz says 200: Sluice listens and a health check found an upstream up. Bounded.
ready=""
for _ in $(seq 150); do
  ready=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "${auth[@]}" "$admin/readyz" || true)
  [[ $ready == 200 ]] && break
  sleep 0.2
done
[[ $ready == 200 ]] || {
  podman ps -a --format '{{.Names}} {{.Status}} {{.Ports}}' >&2
  tail -n 5 "$work/compose.log" >&2
  read_log
  tail -n 20 "$log" >&2
  fail "/readyz did not answer 200 within 30s (last: $ready)"
}
echo "up and ready (/readyz 200) $(elapsed "$t") after podman-compose up"
# Start time: from the container's start to Sluice's "listening" log line.
container_start=$(podman inspect --format '{{.State.StartedAt}}' "$sluice_ctr" | sed -E 's/ [A-Z]+$//')
read_log
listening=$(grep '"Sluice listening' "$log" | sed -nE 's/.*"time":"([^"]+)".*/\1/p')
if start_s=$(date -d "$container_start" +%s.%N 2>/dev/null) && listen_s=$(date -d "$listening" +%s.%N 2>/dev/null); then
  printf 'start time: Sluice listening %.2fs after its container started\n' "$(echo "$listen_s - $start_s" | bc)"
fi
echo "GET $admin/readyz: $(curl -s --max-time 2 "${auth[@]}" "$admin/readyz" | tr -d '\n')"
# Every upstream passes its health check (rise) before the rotation is checked.
for _ in $(seq 150); do
  up=$(curl -s --max-time 2 "${auth[@]}" "$admin/metrics" | grep -c '^sluice_upstream_up{.*} 1$' || true)
  [[ $up == 3 ]] && break
  sleep 0.2
done
[[ $up == 3 ]] || fail "$up of 3 upstreams up after 30s"

answers=()
for _ in 1 2 3 4 5 6; do
  answers+=("$(curl -s --max-time 5 "$proxy/")")
done
printf 'curl %s: %s\n' "$proxy" "$(printf '"%s" ' "${answers[@]}")"
for i in 0 1 2; do
  [[ ${answers[i]} == "${answers[i + 3]}" ]] || fail "not a rotation of period 3: ${answers[*]}"
done
distinct=$(printf '%s\n' "${answers[@]:0:3}" | sort -u | tr '\n' ',')
[[ $distinct == "upstream 1,upstream 2,upstream 3," ]] || fail "the first three answers are not upstreams 1-3: ${answers[*]}"

health=$(podman healthcheck run "$sluice_ctr" 2>&1 && echo healthy || echo "unhealthy")
echo "podman healthcheck run (HEALTHCHECK, /healthz from inside): $health"
[[ $health == *healthy && $health != *unhealthy ]] || fail "HEALTHCHECK failed: $health"

limits=$(podman exec "$sluice_ctr" sh -c 'grep "open files" /proc/1/limits')
echo "PID 1 $limits"
soft=$(awk '{print $4}' <<<"$limits")
hard=$(awk '{print $5}' <<<"$limits")
[[ $soft == "$hard" ]] || fail "the entrypoint did not raise the soft open-files limit to the hard one"
[[ $hard == "$demo_nofile" ]] || fail "the compose file's nofile ($demo_nofile) was not applied: $hard"

# ---- drain: a request in flight when SIGTERM arrives still completes --------------------------------
step "podman stop (SIGTERM) with a request in flight"
# echo1 frozen (cgroup freezer): the kernel still accepts connections to it, so a request Sluice
# sends there waits, in flight, until it is thawed, after the SIGTERM.
echo1_ctr=$(podman ps -a --filter "label=io.podman.compose.project=$PROJECT" --filter "label=com.docker.compose.service=echo1" --format '{{.Names}}')
podman pause "$echo1_ctr" >/dev/null
paused=1
for i in 1 2 3; do
  curl -s --max-time 30 -o "$work/held.$i" -w '%{http_code}' "$proxy/held" >"$work/held.$i.status" &
  held_pids+=($!)
done
inflight=0
for _ in $(seq 100); do
  inflight=$(curl -s --max-time 2 "${auth[@]}" "$admin/metrics" | sed -nE 's/^sluice_requests_in_flight ([0-9]+)$/\1/p')
  answered=$(cat "$work"/held.*.status 2>/dev/null | wc -c) # "200" per answered request
  [[ ${inflight:-0} == 1 && $answered -ge 6 ]] && break
  sleep 0.05
done
[[ ${inflight:-0} == 1 && $answered -ge 6 ]] ||
  fail "expected two requests answered and one held in flight by the frozen echo1: $inflight in flight"
t=$(date +%s.%N)
podman stop -t 30 "$sluice_ctr" >/dev/null 2>"$work/stop.err" &
stop_pid=$!
# Thaw echo1 once Sluice has begun its shutdown, so the held request ends during the drain.
for _ in $(seq 100); do
  read_log
  grep -q 'Shutting down' "$log" && break
  sleep 0.05
done
grep -q 'Shutting down' "$log" || fail "no 'Shutting down' in the log after SIGTERM"
refused=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$proxy/" || true)
podman unpause "$echo1_ctr" >/dev/null
paused=0
wait "$stop_pid"
stop_time=$(elapsed "$t")
code=$(podman inspect --format '{{.State.ExitCode}}' "$sluice_ctr")
statuses=""
for i in 1 2 3; do
  wait "${held_pids[i - 1]}" || true
  statuses+="$(cat "$work/held.$i.status") $(tr -d '\n' <"$work/held.$i") | "
done
held_pids=()
echo "podman stop: exit code $code after $stop_time; a new request during the drain: ${refused:-000} (refused)"
echo "the three requests (one held in flight by echo1 across the SIGTERM): $statuses"
read_log
grep -E 'Shutting down|Grace period|Shutdown complete|GET /held' "$log" | cut -c1-200 | sed 's/^/  log: /'
[[ $code == 0 ]] || fail "Sluice exited with $code after SIGTERM"
[[ $statuses == "200 upstream "*"| 200 upstream "*"| 200 upstream "*"| " ]] ||
  fail "not every request, the held one included, got its 200: $statuses"
[[ $statuses == *"upstream 1"* ]] || fail "the request held by echo1 did not complete: $statuses"
grep -q 'Shutdown complete' "$log" || fail "no 'Shutdown complete' in the log"
