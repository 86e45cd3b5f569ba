#!/usr/bin/env bash
# Installs the real Docker Compose binaries the interop tests run against,
# cached by version outside the repository:
#
#   v2.26.1  the docker-compose package of Debian 13 "trixie" (its CLI plugin),
#            fetched with apt through a private, temporary sources list: the
#            system's apt sources are never changed.
#   v5.6.0   built from its Go module (github.com/docker/compose/v5@v5.6.0) in
#            a throwaway module (go install refuses a module with replace
#            directives).
#
#   scripts/compose-peers.sh            install what is missing (quiet when cached)
#   scripts/compose-peers.sh dir        print the cache directory
#   scripts/compose-peers.sh module V   also build Docker Compose V from its Go module
#
# Cache: $MYCOMPOSE_PEERS_DIR, else /var/cache/mycompose/peers when root, else
# ${XDG_CACHE_HOME:-~/.cache}/mycompose/peers; binaries at <dir>/<version>/docker-compose.
# Tests find them there (or through the same variable).
set -euo pipefail

TRIXIE_VERSION=2.26.1
MODULE_VERSION=5.6.0
MIRROR=${COMPOSE_PEERS_MIRROR:-http://deb.debian.org/debian}

log() { printf 'compose-peers: %s\n' "$*" >&2; }

TMPS=()
trap 'rm -rf "${TMPS[@]}"' EXIT
# newtmp sets TMP to a fresh directory removed on exit.
newtmp() { TMP=$(mktemp -d /tmp/compose-peers.XXXXXX); TMPS+=("$TMP"); }

peers_dir() {
  if [ -n "${MYCOMPOSE_PEERS_DIR:-}" ]; then echo "$MYCOMPOSE_PEERS_DIR"
  elif [ "$(id -u)" = 0 ]; then echo /var/cache/mycompose/peers
  else echo "${XDG_CACHE_HOME:-$HOME/.cache}/mycompose/peers"
  fi
}

DIR=$(peers_dir)

# cached VERSION: true when DIR/VERSION/docker-compose answers with VERSION.
cached() {
  local bin="$DIR/$1/docker-compose"
  [ -x "$bin" ] && "$bin" version --short 2>/dev/null | grep -Eq "^v?$1([-+].*)?$"
}

install_trixie() {
  local v=$TRIXIE_VERSION
  if cached "$v"; then return; fi
  if [ "$(id -u)" != 0 ]; then
    # Not fatal: the interop tests skip outside CI and fail in it.
    log "Docker Compose $v missing; install it with: sudo MYCOMPOSE_PEERS_DIR=$DIR $0"; return 0
  fi
  newtmp; local tmp=$TMP
  mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/deb"
  echo "deb $MIRROR trixie main" >"$tmp/trixie.list"
  # Private lists, cache and sources: the system's apt state is untouched.
  local opts=(-o "Dir::Etc::sourcelist=$tmp/trixie.list" -o "Dir::Etc::sourceparts=-"
    -o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache=$tmp/cache"
    -o "APT::Get::List-Cleanup=0" -o "Acquire::Languages=none")
  log "fetching trixie's docker-compose package ($v)"
  apt-get "${opts[@]}" -qq update >"$tmp/apt.log" 2>&1 || { cat "$tmp/apt.log" >&2; return 1; }
  (cd "$tmp/deb" && apt-get "${opts[@]}" -qq download "docker-compose=$v*" >>"$tmp/apt.log" 2>&1) ||
    { cat "$tmp/apt.log" >&2; return 1; }
  dpkg-deb -x "$tmp"/deb/docker-compose_*.deb "$tmp/root"
  local bin; bin=$(find "$tmp/root" -path '*cli-plugins/docker-compose' -type f | head -1)
  [ -n "$bin" ] || { log "no cli-plugins/docker-compose in the package"; return 1; }
  mkdir -p "$DIR/$v"
  install -m 0755 "$bin" "$DIR/$v/docker-compose"
  cached "$v" || { log "$DIR/$v/docker-compose does not answer as $v"; return 1; }
  log "installed $DIR/$v/docker-compose"
}

install_module() {
  local v=${1:-$MODULE_VERSION}
  local mod="github.com/docker/compose/v${v%%.*}"
  if cached "$v"; then return; fi
  newtmp; local tmp=$TMP
  log "building Docker Compose v$v from its Go module (a few minutes)"
  (
    cd "$tmp"
    go mod init example.com/compose-peer >/dev/null 2>&1
    printf '//go:build tools\n\npackage tools\n\nimport _ "%s/cmd"\n' "$mod" >tools.go
    go get "$mod@v$v" >"$tmp/go.log" 2>&1
    go mod tidy >>"$tmp/go.log" 2>&1
    CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X $mod/internal.Version=v$v" \
      -o "$tmp/docker-compose" "$mod/cmd" >>"$tmp/go.log" 2>&1
  ) || { cat "$tmp/go.log" >&2; return 1; }
  mkdir -p "$DIR/$v"
  install -m 0755 "$tmp/docker-compose" "$DIR/$v/docker-compose"
  cached "$v" || { log "$DIR/$v/docker-compose does not answer as $v"; "$DIR/$v/docker-compose" version >&2 || true; return 1; }
  log "installed $DIR/$v/docker-compose"
}

case "${1:-install}" in
  dir) echo "$DIR" ;;
  install) install_trixie; install_module ;;
  # Another release built from its Go module, for checking a recipe by
  # hand (not used by the tests): scripts/compose-peers.sh module 2.40.3
  module) [ -n "${2:-}" ] || { echo "usage: $0 module VERSION" >&2; exit 2; }; install_module "$2" ;;
  *) echo "usage: $0 [install|dir|module VERSION]" >&2; exit 2 ;;
esac
