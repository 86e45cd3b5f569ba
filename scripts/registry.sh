#!/usr/bin/env bash
# Starts and stops a throwaway Docker registry (Debian's `docker-registry`,
# the reference registry) on a free loopback port, for the pull/push tests.
# Nothing leaves the machine: the registry listens on 127.0.0.1 only, and the
# engine treats 127.0.0.0/8 registries as insecure (plain HTTP) by default.
#
#   scripts/registry.sh start DIR [--auth USER:PASSWORD]
#       Writes a config into DIR (created if needed), storage in DIR/storage,
#       starts the registry in the background and prints its address
#       (127.0.0.1:PORT) on stdout once it answers. --auth protects it with
#       htpasswd basic auth (bcrypt, via apache2-utils' htpasswd).
#   scripts/registry.sh stop DIR
#       Stops the registry started in DIR and removes DIR.
#
# The port is chosen by the kernel (the registry listens on 127.0.0.1:0) and
# read back from the registry's log, so concurrent runs never collide.
set -euo pipefail

die() { echo "registry.sh: $*" >&2; exit 1; }

start() {
  local dir=$1; shift
  local auth=""
  while [ $# -gt 0 ]; do
    case $1 in
      --auth) auth=${2:?--auth needs USER:PASSWORD}; shift 2 ;;
      *) die "unknown option $1" ;;
    esac
  done
  command -v docker-registry >/dev/null 2>&1 ||
    die "docker-registry is not installed: install Debian's docker-registry package (apt-get install -y docker-registry; .ci/run does it)"
  mkdir -p "$dir/storage"
  dir=$(cd "$dir" && pwd)
  local authcfg=""
  if [ -n "$auth" ]; then
    command -v htpasswd >/dev/null 2>&1 ||
      die "htpasswd is not installed: install Debian's apache2-utils package (apt-get install -y apache2-utils; .ci/run does it)"
    htpasswd -Bbn "${auth%%:*}" "${auth#*:}" >"$dir/htpasswd"
    authcfg=$(printf 'auth:\n  htpasswd:\n    realm: mycompose-test\n    path: %s\n' "$dir/htpasswd")
  fi
  cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:0
$authcfg
EOF
  # setsid: the registry outlives this script and ignores the caller's
  # terminal signals; stop kills it by the recorded PID.
  : >"$dir/registry.log" # exists before the background shell opens it: the loop below reads it at once
  setsid docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 </dev/null &
  echo $! >"$dir/pid"
  local addr=""
  for _ in $(seq 1 100); do
    addr=$(sed -n 's/.*listening on \(127\.0\.0\.1:[0-9][0-9]*\).*/\1/p' "$dir/registry.log" | head -1)
    if [ -n "$addr" ]; then break; fi
    kill -0 "$(cat "$dir/pid")" 2>/dev/null || { cat "$dir/registry.log" >&2; die "docker-registry exited"; }
    sleep 0.1
  done
  [ -n "$addr" ] || { cat "$dir/registry.log" >&2; stop "$dir"; die "docker-registry did not report its address"; }
  echo "$addr" >"$dir/addr"
  echo "$addr"
}

stop() {
  local dir=$1
  [ -d "$dir" ] || return 0
  if [ -f "$dir/pid" ]; then
    local pid
    pid=$(cat "$dir/pid")
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  fi
  rm -rf "$dir"
}

case ${1:-} in
  start) [ $# -ge 2 ] || die "usage: $0 start DIR [--auth USER:PASSWORD]"; shift; start "$@" ;;
  stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
  *) die "usage: $0 start DIR [--auth USER:PASSWORD] | stop DIR" ;;
esac
