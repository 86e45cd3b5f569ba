#!/usr/bin/env bash
# What `make demo` and `make test` need beyond Go and a Docker engine,
# obtained only when missing, so that a fresh clone needs no other command:
#
#   scripts/setup.sh images       busybox-static, then the offline test images
#                                 mycompose-test/busybox:latest and :alt
#   scripts/setup.sh swarm-node   debootstrap, then the Swarm lab's node image
#                                 (scripts/swarm-lab.sh image, a few minutes, once
#                                 per image version); the ssh client
#
# Packages come from apt, quietly, when this runs as root on Debian; anywhere
# else a missing one is a one-line error naming the command to run. Images
# live in the engine, so they are built once per machine, not per clone: the
# test images are rebuilt through the engine's build cache (a no-op when
# nothing changed), the node image only when missing or of an older version.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*" >&2; }

apt_updated=0
# need PATH PACKAGE: PATH (a file, or a command name) must exist; PACKAGE
# is the Debian package that provides it.
need() {
  local what=$1 pkg=$2
  if [[ $what == /* ]]; then [ -e "$what" ] && return 0; else command -v "$what" >/dev/null 2>&1 && return 0; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing $pkg (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    local out
    # apt's notices (debconf, no apt-utils) are noise; its errors are not.
    if [ "$apt_updated" = 0 ]; then
      out=$(apt-get update -qq 2>&1) || { printf '%s\n' "$out" >&2; exit 1; }
      apt_updated=1
    fi
    out=$(apt-get install -y -qq --no-install-recommends "$pkg" 2>&1) || { printf '%s\n' "$out" >&2; exit 1; }
    return 0
  fi
  say "$what is missing: run \`sudo apt-get install -y $pkg\` (Debian's package; elsewhere install $pkg), then retry"
  exit 1
}

images() {
  local present=0
  docker image inspect mycompose-test/busybox:latest mycompose-test/busybox:alt >/dev/null 2>&1 && present=1
  # Without busybox there is nothing to rebuild from; images already built
  # will do.
  if [ "$present" = 1 ] && [ ! -x /bin/busybox ]; then return 0; fi
  need /bin/busybox busybox-static
  [ "$present" = 1 ] || say "building the test images"
  # Always built: the engine's build cache makes an unchanged build a no-op
  # (same image IDs, about a second), and a changed Dockerfile or busybox a
  # new image. The classic builder's deprecation notice is noise here.
  local out
  out=$(./scripts/test-images.sh 2>&1) || { printf '%s\n' "$out" >&2; exit 1; }
}

swarm_node() {
  # e2e/faults reaches a node over ssh:// too: docker's ssh dialer runs the
  # machine's ssh client.
  need ssh openssh-client
  # Current means built by this checkout's version of the image (a label):
  # an older one, cached on the machine, is rebuilt.
  if ./scripts/swarm-lab.sh image-current; then return 0; fi
  if [ "$(id -u)" != 0 ]; then
    say "the Swarm lab's node image is missing or older than this checkout's and debootstrap needs root: run \`sudo scripts/swarm-lab.sh image\`, then retry"
    exit 1
  fi
  need debootstrap debootstrap
  say "building the Swarm lab's node image (debootstrap: a few minutes, once per machine and image version)"
  ./scripts/swarm-lab.sh image
}

[ $# -gt 0 ] || { sed -n '2,/^[^#]/{/^#/p}' "$0" >&2; exit 2; }
docker info >/dev/null 2>&1 || {
  say "no Docker engine answers (\`docker info\` fails): start one (\`sudo dockerd &\`, or \`sudo systemctl start docker\`), then retry"
  exit 1
}
for step in "$@"; do
  case $step in
    images) images ;;
    swarm-node) swarm_node ;;
    *) sed -n '2,/^[^#]/{/^#/p}' "$0" >&2; exit 2 ;;
  esac
done
