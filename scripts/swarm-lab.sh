#!/usr/bin/env bash
# A 3-node Docker Swarm lab on one machine: each node is a container running
# its own dockerd (Debian's docker.io) on a user-defined bridge network.
#
#   scripts/swarm-lab.sh image          build the node image (cached; rebuilt when older
#                                       than NODE_VERSION below)
#   scripts/swarm-lab.sh image-current  exit 0 when the node image is built and current
#   scripts/swarm-lab.sh up   [LAB]     start LAB (default "mcswarm"): 1 manager, 2 workers
#   scripts/swarm-lab.sh down [LAB]     remove the nodes, their volumes and the network
#   scripts/swarm-lab.sh status [LAB]   docker node ls on the manager
#   scripts/swarm-lab.sh host [LAB]     print DOCKER_HOST for the manager
#   scripts/swarm-lab.sh load LAB IMG.. copy images from the host engine into every node
#   scripts/swarm-lab.sh registry [LAB] print the lab registry's address (LAB-registry:5000)
#
# Every lab runs a registry, "LAB-registry" on the lab network: the test
# registry of internal/testregistry (CNCF Distribution) as a static binary
# in a FROM-scratch image (mycompose-test/lab-registry, rebuilt from the
# source by "up"). The nodes' dockerd trust it over plain HTTP
# (--insecure-registry), so images pushed there through the manager are
# pulled by every node. SWARM_REGISTRY_USER and SWARM_REGISTRY_PASSWORD,
# when set at "up", make it require basic auth.
#
# A second, newer engine for the end-to-end suite: ONE standalone node
# running Debian 13 "trixie"'s docker.io (Docker 26.1, API 1.45). Its
# names ("mcengine26" by default) never clash with a swarm lab's.
#
#   scripts/swarm-lab.sh engine image        build the trixie node image (cached by tag)
#   scripts/swarm-lab.sh engine up   [NAME]  start the node, test images loaded
#   scripts/swarm-lab.sh engine down [NAME]  remove the node, its volume and network
#   scripts/swarm-lab.sh engine host [NAME]  print DOCKER_HOST for the node
#   scripts/swarm-lab.sh engine load NAME IMG..  copy images into the node
#
# The host engine itself is never made a Swarm member. Nodes cannot run
# --privileged here, so they get every capability, no seccomp/apparmor, an
# unmasked /sys and all devices, and remount /sys and the cgroups read-write.
set -euo pipefail
IMAGE=${SWARM_NODE_IMAGE:-mycompose-test/swarm-node}
NODES=${SWARM_NODES:-3}
SUITE=${SWARM_SUITE:-bookworm}
MIRROR=${SWARM_MIRROR:-http://deb.debian.org/debian}
# The second-engine node: trixie's docker.io; trixie moved the CLI into
# docker-cli.
ENGINE_IMAGE=${ENGINE_NODE_IMAGE:-mycompose-test/engine-node:trixie}
ENGINE_SUITE=${ENGINE_SUITE:-trixie}
REGISTRY_IMAGE=${SWARM_REGISTRY_IMAGE:-mycompose-test/lab-registry}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export PATH=$PATH:/usr/local/go/bin
# The node image's version, its org.mycompose.node-version label: bump it
# when what build_image puts in the image changes, so that an image cached
# on a machine or in CI by an older checkout is rebuilt (the image is
# otherwise cached by tag). 2: openssh-server, for e2e/faults' ssh://
# tests (sshd is installed, never started by the node's entry point).
NODE_VERSION=2
NODE_PKGS=docker.io,openssh-server
VERSION_LABEL=org.mycompose.node-version
# Images loaded into every node by "up" (must exist on the host engine).
LOAD_IMAGES=${SWARM_LOAD_IMAGES:-mycompose-test/busybox:latest mycompose-test/busybox:alt}

log() { printf 'swarm-lab: %s\n' "$*" >&2; }

# image_current IMAGE VERSION: the image exists and, when VERSION is set,
# carries it.
image_current() {
  local have
  have=$(docker image inspect -f "{{index .Config.Labels \"$VERSION_LABEL\"}}" "$1" 2>/dev/null) || return 1
  [ -z "$2" ] || [ "$have" = "$2" ]
}

build_image() { # [image suite packages version]: without arguments, the Swarm node
  local IMAGE=${1:-$IMAGE} SUITE=${2:-$SUITE}
  local pkgs=${3:-$NODE_PKGS} version=${4:-}
  [ $# -gt 0 ] || version=$NODE_VERSION
  if image_current "$IMAGE" "$version"; then log "image $IMAGE cached"; return; fi
  docker image inspect "$IMAGE" >/dev/null 2>&1 && log "image $IMAGE is older than version $version: rebuilding it"
  [ "$(id -u)" = 0 ] || { log "building $IMAGE needs root (debootstrap): sudo $0 ${cmd:-image}${sub:+ $sub}"; exit 1; }
  command -v debootstrap >/dev/null 2>&1 || {
    log "installing debootstrap"; apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
  local root; root=$(mktemp -d /var/tmp/swarm-node.XXXXXX)
  local dlog=/tmp/swarm-node-debootstrap-$SUITE.log
  log "debootstrap $SUITE into $root (about a minute)"
  debootstrap --variant=minbase --include="$pkgs,iptables,iproute2,ca-certificates,procps" \
    "$SUITE" "$root" "$MIRROR" >"$dlog" 2>&1 || {
    tail -20 "$dlog" >&2; rm -rf "$root"; exit 1; }
  cat >"$root/usr/local/bin/swarm-node-start" <<'SCRIPT'
#!/bin/sh
# Node entry point: make /sys and the cgroups writable, then run dockerd.
mount -o remount,rw /sys 2>/dev/null || mount -o remount,bind,rw /sys 2>/dev/null || true
for d in /sys/fs/cgroup/*; do
  [ -d "$d" ] && mount -o remount,bind,rw "$d" 2>/dev/null || true
done
mount -o remount,rw /sys/fs/cgroup 2>/dev/null || true
rm -f /var/run/docker.pid /run/docker/containerd/containerd.pid
exec dockerd --tls=false -H tcp://0.0.0.0:2375 -H unix:///var/run/docker.sock \
  --iptables=true ${DOCKERD_ARGS:-}
SCRIPT
  chmod +x "$root/usr/local/bin/swarm-node-start"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  # No host key shared by every node made from the image: whoever starts
  # sshd generates the node's own (ssh-keygen -A).
  rm -f "$root"/etc/ssh/ssh_host_*
  tar -C "$root" -c . | docker import -c 'CMD ["/usr/local/bin/swarm-node-start"]' \
    ${version:+-c "LABEL $VERSION_LABEL=$version"} - "$IMAGE" >/dev/null
  rm -rf "$root"
  log "built $IMAGE"
}

node_name() { echo "$1-node$2"; }
ndocker() { docker exec "$1" docker "${@:2}"; }

node_ip() {
  docker inspect -f "{{(index .NetworkSettings.Networks \"$1-net\").IPAddress}}" "$2"
}

start_node() { # lab index [image label dockerd-args]
  local lab=$1 i=$2 n; n=$(node_name "$lab" "$i")
  local image=${3:-$IMAGE} label=${4:-org.mycompose.swarm-lab} args=${5:-}
  if docker inspect "$n" >/dev/null 2>&1; then docker start "$n" >/dev/null; return; fi
  docker run -d --name "$n" --hostname "$n" --network "$lab-net" \
    --label "$label=$lab" -e DOCKERD_ARGS="$args" \
    --cap-add ALL --cap-drop SYS_RESOURCE \
    --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
    --security-opt systempaths=unconfined --device-cgroup-rule 'a *:* rwm' \
    -v "$n-docker:/var/lib/docker" --tmpfs /run --tmpfs /tmp \
    "$image" >/dev/null
}

wait_dockerd() {
  local n=$1
  for _ in $(seq 1 60); do
    docker exec "$n" docker info >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  docker logs --tail 30 "$n" >&2; log "dockerd in $n did not start"; return 1
}

load_images() { # lab images...
  local lab=$1; shift
  local i n img have want
  for img in "$@"; do
    docker image inspect "$img" >/dev/null 2>&1 || { log "skip $img: not on the host"; continue; }
    want=$(docker image inspect -f '{{.Id}}' "$img")
    for i in $(seq 1 "$NODES"); do
      n=$(node_name "$lab" "$i")
      have=$(docker exec "$n" docker image inspect -f '{{.Id}}' "$img" 2>/dev/null || true)
      [ "$have" = "$want" ] || docker save "$img" | docker exec -i "$n" docker load -q >/dev/null
    done
  done
}

# registry_image builds the lab registry's image from the source: a static
# binary in an otherwise empty image (docker's build cache does not apply:
# go's does, so a rebuild with unchanged source takes seconds).
registry_image() {
  local dir; dir=$(mktemp -d /tmp/lab-registry.XXXXXX)
  (cd "$ROOT" && CGO_ENABLED=0 go build -trimpath -o "$dir/labregistry" ./internal/testregistry/labregistry) || {
    rm -rf "$dir"; log "building the lab registry failed (needs go)"; exit 1; }
  local want; want=$(sha256sum "$dir/labregistry" | cut -c1-16)
  if [ "$(docker image inspect -f '{{index .Config.Labels "org.mycompose.lab-registry"}}' "$REGISTRY_IMAGE" 2>/dev/null)" != "$want" ]; then
    tar -C "$dir" -c labregistry | docker import \
      -c 'ENTRYPOINT ["/labregistry"]' -c "LABEL org.mycompose.lab-registry=$want" - "$REGISTRY_IMAGE" >/dev/null
    log "built $REGISTRY_IMAGE"
  fi
  rm -rf "$dir"
}

registry_addr() { echo "$1-registry:5000"; }

start_registry() { # lab
  local lab=$1 n="$1-registry"
  if docker inspect "$n" >/dev/null 2>&1; then docker start "$n" >/dev/null; return; fi
  registry_image
  docker run -d --name "$n" --hostname "$n" --network "$lab-net" \
    --label org.mycompose.swarm-lab="$lab" \
    -e REGISTRY_USER="${SWARM_REGISTRY_USER:-}" -e REGISTRY_PASSWORD="${SWARM_REGISTRY_PASSWORD:-}" \
    "$REGISTRY_IMAGE" >/dev/null
}

up() {
  local lab=$1 i n mgr mip
  build_image
  docker network inspect "$lab-net" >/dev/null 2>&1 ||
    docker network create --label org.mycompose.swarm-lab="$lab" "$lab-net" >/dev/null
  start_registry "$lab"
  for i in $(seq 1 "$NODES"); do
    start_node "$lab" "$i" "" "" "--insecure-registry=$(registry_addr "$lab")"
  done
  for i in $(seq 1 "$NODES"); do wait_dockerd "$(node_name "$lab" "$i")"; done
  mgr=$(node_name "$lab" 1); mip=$(node_ip "$lab" "$mgr")
  local state; state=$(ndocker "$mgr" info -f '{{.Swarm.LocalNodeState}}')
  if [ "$state" != active ]; then
    log "swarm init on $mgr ($mip)"
    ndocker "$mgr" swarm init --advertise-addr "$mip" --dispatcher-heartbeat 1s >/dev/null
  fi
  local token; token=$(ndocker "$mgr" swarm join-token -q worker)
  for i in $(seq 2 "$NODES"); do
    n=$(node_name "$lab" "$i")
    state=$(ndocker "$n" info -f '{{.Swarm.LocalNodeState}}')
    [ "$state" = active ] || [ "$state" = pending ] ||
      ndocker "$n" swarm join --token "$token" "$mip:2377" >/dev/null
  done
  for _ in $(seq 1 60); do
    [ "$(ndocker "$mgr" node ls -f role=worker --format '{{.Status}}' | grep -c Ready)" -ge $((NODES - 1)) ] && break
    sleep 0.5
  done
  # shellcheck disable=SC2086
  load_images "$lab" $LOAD_IMAGES
  log "lab $lab up: DOCKER_HOST=tcp://$mip:2375, registry $(registry_addr "$lab")"
}

down() {
  local lab=$1 i n
  for i in $(seq 1 "$NODES"); do
    n=$(node_name "$lab" "$i")
    docker rm -f -v "$n" >/dev/null 2>&1 || true
    docker volume rm "$n-docker" >/dev/null 2>&1 || true
  done
  docker rm -f -v "$lab-registry" >/dev/null 2>&1 || true
  docker network rm "$lab-net" >/dev/null 2>&1 || true
  log "lab $lab down"
}

# The second engine is node 1 of a one-node "lab" that never inits a swarm.
ENGINE_PKGS=docker.io,docker-cli
engine_up() {
  local lab=$1 n; n=$(node_name "$lab" 1)
  build_image "$ENGINE_IMAGE" "$ENGINE_SUITE" "$ENGINE_PKGS"
  docker network inspect "$lab-net" >/dev/null 2>&1 ||
    docker network create --label org.mycompose.engine-lab="$lab" "$lab-net" >/dev/null
  start_node "$lab" 1 "$ENGINE_IMAGE" org.mycompose.engine-lab
  wait_dockerd "$n"
  # shellcheck disable=SC2086
  NODES=1 load_images "$lab" $LOAD_IMAGES
  log "engine $lab up ($(ndocker "$n" version -f 'Docker {{.Server.Version}}, API {{.Server.APIVersion}}')): DOCKER_HOST=tcp://$(node_ip "$lab" "$n"):2375"
}

engine() {
  sub=${1:-}
  local lab=${2:-mcengine26}
  case "$sub" in
    image) build_image "$ENGINE_IMAGE" "$ENGINE_SUITE" "$ENGINE_PKGS" ;;
    up) engine_up "$lab" ;;
    down) NODES=1 down "$lab" ;;
    host) echo "tcp://$(node_ip "$lab" "$(node_name "$lab" 1)"):2375" ;;
    load) shift 2; NODES=1 load_images "$lab" "$@" ;;
    *) sed -n '2,35p' "$0" >&2; exit 2 ;;
  esac
}

cmd=${1:-}; lab=${2:-mcswarm}
case "$cmd" in
  engine) shift; engine "$@" ;;
  image) build_image ;;
  image-current) image_current "$IMAGE" "$NODE_VERSION" ;;
  up) up "$lab" ;;
  down) down "$lab" ;;
  status) ndocker "$(node_name "$lab" 1)" node ls ;;
  host) echo "tcp://$(node_ip "$lab" "$(node_name "$lab" 1)"):2375" ;;
  load) shift 2; load_images "$lab" "$@" ;;
  registry) registry_addr "$lab" ;;
  *) sed -n '2,35p' "$0" >&2; exit 2 ;;
esac
