#!/usr/bin/env bash
# Installs tmux (Debian's package) when it is missing: the live view's
# end-to-end tests run mycompose inside a tmux pane and read it back
# (cmd/mycompose/liveview_test.go). Idempotent and quiet; as a non-root user
# it prints the command to run instead.
set -euo pipefail
command -v tmux >/dev/null 2>&1 && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "tmux.sh: tmux is missing; install it with: sudo apt-get install -y tmux" >&2
  exit 1
fi
echo "tmux.sh: installing tmux"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux >/dev/null
command -v tmux >/dev/null 2>&1
