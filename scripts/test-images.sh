#!/usr/bin/env bash
# Builds the offline test images (no registry is reachable): FROM scratch plus
# Debian's static busybox. Tags live under mycompose-test/ so that a user's
# images are never overwritten.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bb=${BUSYBOX:-/bin/busybox}
if [ ! -x "$bb" ]; then
  echo "test-images: $bb missing; install Debian's busybox-static (apt-get install -y busybox-static)" >&2
  exit 1
fi
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp "$bb" "$ctx/busybox"
cp "$here/testdata/images/busybox/Dockerfile" "$ctx/Dockerfile"
docker build -q -t mycompose-test/busybox:latest "$ctx" >/dev/null
# A second tag with different content, for tests that change a service's image.
printf 'FROM mycompose-test/busybox:latest\nLABEL org.mycompose.variant=alt\n' | docker build -q -t mycompose-test/busybox:alt - >/dev/null
echo "test-images: built mycompose-test/busybox:latest and :alt"
