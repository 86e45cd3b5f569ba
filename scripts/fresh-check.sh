#!/usr/bin/env bash
# Proves the README's quick start on a clean clone: clones this repository's
# HEAD commit into a temporary directory and runs exactly the README's
# commands there, failing on the first error:
#
#   make demo        (then `make demo-down`, to leave nothing behind)
#   make test
#
# Uncommitted changes are not part of the clone: commit first. What is
# expensive lives outside the clone and is reused: the Go module and build
# caches, and the images setup builds into the engine (test images, the
# Swarm lab's node image). KEEP=1 keeps the clone for a look afterwards.
# `scripts/fresh-check.sh demo` runs only the demo part (CI runs both).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
commit=$(git -C "$here" rev-parse HEAD)

log() { printf '== fresh-check: %s\n' "$*"; }

if [ -n "$(git -C "$here" status --porcelain --untracked-files=no)" ]; then
  log "note: uncommitted changes in $here are not checked (the clone is of $commit)"
fi

tmp=$(mktemp -d /tmp/mycompose-fresh.XXXXXX)
# The demo runs under a project name of its own, so that a demo someone else
# brought up on this engine is neither changed nor removed.
export COMPOSE_PROJECT_NAME=mycompose-demo-fresh-${tmp##*.}
COMPOSE_PROJECT_NAME=$(printf '%s' "$COMPOSE_PROJECT_NAME" | tr 'A-Z' 'a-z')
demo_up=0
cleanup() {
  local rc=$?
  if [ "$demo_up" = 1 ]; then (cd "$tmp/mycompose" && make -s demo-down >/dev/null 2>&1) || true; fi
  if [ "${KEEP:-0}" = 1 ]; then log "clone kept in $tmp/mycompose"; else rm -rf "$tmp"; fi
  exit "$rc"
}
trap cleanup EXIT

log "cloning $commit into $tmp/mycompose"
git clone -q --no-checkout "$here" "$tmp/mycompose"
# A detached HEAD is on no branch the clone fetched: fetch it by name.
git -C "$tmp/mycompose" cat-file -e "$commit^{commit}" 2>/dev/null ||
  git -C "$tmp/mycompose" fetch -q "$here" "$commit"
git -C "$tmp/mycompose" checkout -q --detach "$commit"
cd "$tmp/mycompose"

timed() { # label command...
  local label=$1 start ms; shift
  start=$(date +%s%N)
  log "$label"
  "$@"
  ms=$((($(date +%s%N) - start) / 1000000))
  log "$label: done in $((ms / 1000)).$((ms % 1000 / 100)) s"
}

steps=${*:-demo test}
if [[ " $steps " == *" demo "* ]]; then
  demo_up=1
  timed "make demo" make demo
  timed "make demo-down" make demo-down
  demo_up=0
fi
if [[ " $steps " == *" test "* ]]; then
  # The test suite picks its own project names; the demo's must not leak in.
  unset COMPOSE_PROJECT_NAME
  timed "make test" make test
fi
log "ok: $steps passed on a clean clone of $commit"
