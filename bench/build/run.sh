#!/bin/bash
# The build scenario of issue 16: a 10-service project whose services share
# a base stage (one Dockerfile, a per-service COPY and RUN after it). It
# times a cold `up -d --build`, two no-change `up -d --build`, a rebuild
# after one file of one service changed, and, for scale, one service built
# alone by mycompose and by `docker build` (the classic builder: this
# engine's CLI has no buildx). Offline: FROM the local test image.
#
# usage: bench/build/run.sh [path/to/mycompose]   (default: bin/mycompose)
set -euo pipefail
MC=$(realpath "${1:-bin/mycompose}")
DIR=$(mktemp -d)
PROJECT=bench-build-$$
OLD=() # images a rebuild untagged
trap '"$MC" -p "$PROJECT" --project-directory "$DIR" down --rmi local -t 1 >/dev/null 2>&1 || true; docker rmi -f "$PROJECT-docker" "${OLD[@]}" >/dev/null 2>&1 || true; rm -rf "$DIR"' EXIT
cd "$DIR"
cat > Dockerfile <<'DOCKERFILE'
FROM mycompose-test/busybox AS base
ARG NONCE
RUN echo "$NONCE" > /nonce && i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; echo base > /base
FROM base
ARG SVC
COPY ${SVC}/ /app/
RUN cat /app/* | sha256sum > /app.sum
CMD ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
DOCKERFILE
{
	echo "services:"
	for i in $(seq -w 1 10); do
		mkdir -p "s$i"
		echo "svc $i" > "s$i/main.txt"
		printf '  s%s:\n    build:\n      context: .\n      args: {SVC: s%s, NONCE: "${NONCE}"}\n    stop_grace_period: 1s\n' "$i" "$i"
	done
} > compose.yaml
export NONCE=$(date +%s%N) # a cold base stage on every run
t() {
	local s e
	s=$(date +%s.%N)
	"$@" > "$DIR/last.log" 2>&1 || { echo "FAILED: $*" >&2; tail -20 "$DIR/last.log" >&2; exit 1; }
	e=$(date +%s.%N)
	awk -v s="$s" -v e="$e" 'BEGIN { printf "%.2f", e - s }'
}
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "cold up -d --build (10 services):      $(t "$MC" -p "$PROJECT" up -d --build) s"
echo "no-change up -d --build:               $(t "$MC" -p "$PROJECT" up -d --build) s"
echo "no-change up -d --build:               $(t "$MC" -p "$PROJECT" up -d --build) s"
OLD+=("$(docker image inspect -f '{{.Id}}' "$PROJECT-s03")")
echo "changed" >> s03/main.txt
echo "one-file-change up -d --build:         $(t "$MC" -p "$PROJECT" up -d --build) s"
echo "mycompose build s01 (no change):       $(t "$MC" -p "$PROJECT" build s01) s"
echo "docker build of s01 (cold, classic):   $(t docker build -q --build-arg SVC=s01 --build-arg NONCE="$NONCE" -t "$PROJECT-docker" .) s"
echo "docker build of s01 (no change):       $(t docker build -q --build-arg SVC=s01 --build-arg NONCE="$NONCE" -t "$PROJECT-docker" .) s"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
