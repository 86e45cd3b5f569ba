# mycompose: build, test, demo, bench.
GO ?= go
BIN := bin/mycompose
# Debian's Go tarball layout: found even when the shell's PATH lacks it.
export PATH := $(PATH):/usr/local/go/bin

.PHONY: build test unit e2e images swarm-node peers tmux engine-node demo demo-down bench vet fmt clean fuzz

# Static, as Docker Compose is built: no dynamic loader at every start.
build:
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/mycompose

# Setup steps: each obtains what it needs only when missing (apt as root,
# else a one-line message naming the command); see scripts/setup.sh.
# The test images are built offline (no registry is reachable).
images:
	@./scripts/setup.sh images

# The Swarm lab's node image (debootstrap, a few minutes once per machine).
swarm-node:
	@./scripts/setup.sh swarm-node

# The live view's end-to-end tests read mycompose's frames in a tmux pane.
tmux:
	./scripts/tmux.sh

# Everything: unit tests, loader fixtures, engine adapter and end-to-end
# tests against the local Docker engine. A test that needs a tool or image
# gets a setup target here, before vet.
test: images swarm-node peers tmux engine-node vet
	$(GO) test -count=1 -timeout 40m ./...

# The second engine's node image: Docker 26.1 (API 1.45) of Debian 13, by
# debootstrap, cached by tag (TestSecondEngine runs a subset of the
# end-to-end suite on it).
engine-node:
	./scripts/swarm-lab.sh engine image

# Real Docker Compose binaries (v2.26.1 from Debian 13's package, v5.6.0
# built from its Go module) for the interop tests, cached by version.
peers:
	./scripts/compose-peers.sh

unit:
	$(GO) test -count=1 ./internal/environ/ ./project/... ./loader/... ./convergence/ ./convergence/provider/ ./convergence/fakeengine/ ./convergence/enginetest/ ./convergence/swarm/ ./convergence/watch/ ./cmd/cli/...

e2e: images swarm-node tmux engine-node
	$(GO) test -count=1 -timeout 40m ./cmd/mycompose/ ./e2e/...

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }

# Brings up the demo project in testdata/demo and shows it.
demo: build images
	cd testdata/demo && ../../$(BIN) up -d && ../../$(BIN) ps

demo-down: build
	cd testdata/demo && ../../$(BIN) down -v

# Short fuzz runs of the loader and the planner (the seed corpora also run
# in every `go test`).
fuzz:
	$(GO) test ./loader -run '^$$' -fuzz FuzzLoad -fuzztime 20s
	$(GO) test ./convergence -run '^$$' -fuzz FuzzPlan -fuzztime 20s

# Installs mycompose as a Docker CLI plugin, so that `docker mycompose up`
# works: $DOCKER_CONFIG/cli-plugins (default ~/.docker/cli-plugins)/docker-mycompose.
.PHONY: install-plugin
install-plugin: build
	@dir="$${DOCKER_CONFIG:-$$HOME/.docker}/cli-plugins"; \
	mkdir -p "$$dir" && install -m 0755 $(BIN) "$$dir/docker-mycompose" && echo "installed $$dir/docker-mycompose"

# All scenarios against mycompose, the floor and the Compose releases of
# `make peers`, and the dev loop (watch latency, builds) beside Docker
# Compose v5.6 (about 25-35 minutes on 2 cores); bench-quick: small sizes, one
# repetition, a smoke run of every scenario (a few minutes).
bench: build images peers
	$(GO) run ./bench -out bench/RESULTS.md -readme README.md

.PHONY: bench-quick
bench-quick: build images
	$(GO) run ./bench -quick -reps 1 -out /tmp/mycompose-bench-quick/RESULTS.md

clean:
	rm -rf bin
