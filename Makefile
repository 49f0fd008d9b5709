# deploywatch — build, test, lint, demo.
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
BIN      := bin/deploywatch

TOOLS    := $(CURDIR)/bin/tools
ACTIONLINT_VERSION := v1.7.12
# gitlab-ci-local 4.73.0 is the newest release that runs on Node 20 (4.74 needs Node 22).
GITLAB_CI_LOCAL_VERSION := 4.73.0
GITLAB_CI_LOCAL_DIR := $(TOOLS)/gitlab-ci-local
CRANE_VERSION := v0.22.1

.PHONY: all build test lint demo bench bench-anomaly fuzz fmt-check vet actionlint prometheus gitlab-ci-local clean \
	lint-metadata shellcheck test-image image-tools

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/deploywatch

# test is what CI runs: formatting, vet, then every test with the race detector. The
# end-to-end tests build the binary and run it the way the GitHub runner runs the action.
test: fmt-check vet actionlint prometheus gitlab-ci-local kube-cluster
	$(GO) test -race -count=1 -shuffle=on -timeout=15m ./...

# The metric tests run a real Prometheus (Debian's package). Install it when missing; a
# test that needs it fails, never skips, when it is not there.
prometheus:
	@command -v prometheus >/dev/null && command -v promtool >/dev/null || { \
	  echo "installing prometheus (Debian package)"; \
	  SUDO=$$(command -v sudo >/dev/null && [ "$$(id -u)" != 0 ] && echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null; }

# The GitLab component tests run a real pipeline with gitlab-ci-local (npm), which copies
# the project with rsync (Debian's package). Both are installed when missing; the test
# fails, never skips, when they are not there.
gitlab-ci-local:
	@command -v rsync >/dev/null || { \
	  echo "installing rsync (Debian package)"; \
	  SUDO=$$(command -v sudo >/dev/null && [ "$$(id -u)" != 0 ] && echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends rsync >/dev/null; }
	@grep -qs '"version": "$(GITLAB_CI_LOCAL_VERSION)"' $(GITLAB_CI_LOCAL_DIR)/node_modules/gitlab-ci-local/package.json || { \
	  echo "installing gitlab-ci-local@$(GITLAB_CI_LOCAL_VERSION) (npm) into $(GITLAB_CI_LOCAL_DIR)"; \
	  mkdir -p $(GITLAB_CI_LOCAL_DIR) && \
	  npm install --prefix $(GITLAB_CI_LOCAL_DIR) --save-exact --no-audit --no-fund --loglevel=error gitlab-ci-local@$(GITLAB_CI_LOCAL_VERSION) >/dev/null; }

# bench replays simulated deploys through the decision rules (no sleeping) and prints
# recall, false alarms and detection delays next to the seed's naive rule.
bench:
	$(GO) run ./cmd/rulebench

# bench-anomaly scores the anomaly detector on the twelve real AWS CloudWatch series of
# the Numenta Anomaly Benchmark (testdata/nab): `deploywatch detect` writes the scores of
# every series, then anomalybench scores them with NAB's rules next to the published
# detectors and plays deploy-shaped runs; last, the detector's cost per point and memory.
NAB_RESULTS ?= bin/nab-results
bench-anomaly: build
	@mkdir -p $(NAB_RESULTS)
	@for f in testdata/nab/realAWSCloudwatch/*.csv; do \
	  $(BIN) detect --input $$f --output $(NAB_RESULTS)/$$(basename $$f) 2>/dev/null || exit 1; done
	$(GO) run ./cmd/anomalybench -data testdata/nab -results $(NAB_RESULTS)
	$(GO) test -run '^$$' -bench . -benchmem ./internal/analysis/anomaly

# fuzz runs every native fuzz target for FUZZTIME each (go test -fuzz takes one target at a
# time). Inputs that ever failed are kept in each package's testdata/fuzz/ and run as
# regression cases by the ordinary `go test`.
FUZZTIME ?= 30s
FUZZ_TARGETS := \
	internal/config:FuzzParseDuration internal/config:FuzzParsePercent \
	internal/config:FuzzParseSmokeTest internal/config:FuzzParseQueryLine \
	internal/config:FuzzParseFile internal/app:FuzzInputs \
	internal/report:FuzzEscapeMarkdown internal/source/scrape:FuzzScrape
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; name=$${t##*:}; echo "fuzz $$name ($$pkg, $(FUZZTIME))"; \
	  $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) ./$$pkg; done

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

# actionlint checks the workflows, including how they use ./action.yml (unknown inputs,
# outputs that do not exist). Installed from the module proxy when missing.
actionlint: $(TOOLS)/actionlint
	$(TOOLS)/actionlint -no-color

$(TOOLS)/actionlint:
	GOBIN=$(TOOLS) $(GO) install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)

# lint-metadata validates action.yml (SchemaStore's schema for action metadata, and that it
# is what the input table generates) and both GitLab pipelines (GitLab's CI schema).
lint-metadata:
	$(GO) test -count=1 -run '^(TestContractActionYAML|TestContractActionYAMLSchema|TestComponentSchema|TestPipelineSchema)$$' ./internal/app

# shellcheck (Debian's package) checks the release and image scripts, and actionlint runs
# it on every run: block of the workflows, steps that only run on GitHub included.
SHELL_SCRIPTS := .ci/run scripts/image/test-image.sh scripts/release/github-release.sh scripts/gitlab/publish-from-mirror.sh scripts/gitlab/publish-component.sh
shellcheck:
	@command -v shellcheck >/dev/null || { \
	  echo "installing shellcheck (Debian package)"; \
	  SUDO=$$(command -v sudo >/dev/null && [ "$$(id -u)" != 0 ] && echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends shellcheck >/dev/null; }
	shellcheck $(SHELL_SCRIPTS)

lint: fmt-check vet shellcheck actionlint lint-metadata

# test-image builds the action's image without a Docker engine (crane, a loopback registry)
# and runs it as the GitHub runner runs a Docker action (podman), against services on
# loopback: see scripts/image/test-image.sh. Its tools are installed when missing; it fails,
# never skips, when they cannot be.
test-image: $(TOOLS)/crane image-tools
	CRANE=$(TOOLS)/crane bash scripts/image/test-image.sh

$(TOOLS)/crane:
	GOBIN=$(TOOLS) $(GO) install github.com/google/go-containerregistry/cmd/crane@$(CRANE_VERSION)

# podman and runc run the image; busybox-static stands in for the image's busybox base;
# python3 serves the endpoints the image checks (Debian's packages).
image-tools:
	@command -v podman >/dev/null && command -v runc >/dev/null && command -v busybox >/dev/null && command -v python3 >/dev/null || { \
	  echo "installing podman, runc, busybox-static, python3 (Debian packages)"; \
	  SUDO=$$(command -v sudo >/dev/null && [ "$$(id -u)" != 0 ] && echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	    podman runc busybox-static python3 >/dev/null; }

demo:
	$(GO) run ./cmd/deploywatch demo

clean:
	rm -rf bin deploywatch-report.json

# kube-cluster builds the real Kubernetes control plane (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kwok) that internal/testutil/kubecluster runs,
# into .cache/kube/bin: about 7-10 minutes cold, well under a second when up to date.
.PHONY: kube-cluster
kube-cluster:
	bash scripts/kube/build.sh
