#!/bin/sh
# build-image.sh builds the fedsync container image FROM scratch.
#
# There is no image registry here, so no golang base image can be pulled
# and a multi-stage Dockerfile is impossible. Instead the static binary is
# built on the host (CGO_ENABLED=0), copied into an otherwise empty build
# context (deploy/.build), and deploy/Dockerfile adds nothing but it.
#
#   deploy/build-image.sh                 # tags fedsync:dev
#   IMAGE=fedsync:1.2.0 deploy/build-image.sh
#
# Environment: IMAGE (tag, default fedsync:dev), VERSION (default: git
# describe --always --dirty), GOARCH/GOOS as for go build (default linux and
# the host's architecture), DOCKER (the docker command, default docker).
set -eu

cd "$(dirname "$0")/.."                      # the module root
IMAGE=${IMAGE:-fedsync:dev}
DOCKER=${DOCKER:-docker}
VERSION=${VERSION:-$(git describe --always --dirty 2>/dev/null || echo dev)}
CTX=deploy/.build

rm -rf "$CTX"
# rootfs/ is copied onto / as it is (modes kept); data/ becomes /data,
# owned by the runtime user.
mkdir -p "$CTX/data" "$CTX/rootfs/tmp"
chmod 1777 "$CTX/rootfs/tmp"   # os.TempDir: `fedsync demo`, temporary files

# timetzdata embeds the zone database (~450 kB): the image has no
# /usr/share/zoneinfo, and the Dockerfile sets TZ=Asia/Shanghai so that the
# default year of a summary and the times the CLI prints are Beijing time.
echo "build-image: go build fedsync $VERSION" >&2
CGO_ENABLED=0 GOOS=${GOOS:-linux} go build -trimpath -tags timetzdata \
	-ldflags "-s -w -X main.version=$VERSION" \
	-o "$CTX/rootfs/fedsync" ./cmd/fedsync

echo "build-image: docker build -t $IMAGE" >&2
$DOCKER build -q -f deploy/Dockerfile -t "$IMAGE" \
	--label "org.opencontainers.image.version=$VERSION" "$CTX" >/dev/null
echo "build-image: built $IMAGE ($VERSION)" >&2
