# yanma (验码). `make demo` and `make test` install what is missing themselves.
GO ?= go
export PATH := $(PATH):/usr/local/go/bin

.PHONY: all build demo test vet fuzz bench bench-scan deps deps-test clean

all: build

deps:
	./scripts/deps.sh

deps-test:
	./scripts/deps.sh test

build: deps
	$(GO) build -o bin/ ./cmd/...

# The whole loop on an embedded demo: a local upstream, demo codes rendered
# into a video, the checkpoint pipeline on it, the fever report turning the
# person yellow. No camera, no outside network.
demo: build
	./bin/checkpoint demo

test: deps-test
	gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go') | (! grep .)
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 40m ./...
	# Every gocv Mat closed after thousands of frames (gocv's Mat profile).
	$(GO) test -count=1 -tags matprofile -run 'TestNoMatLeaks' ./scanner

# Each fuzz target for FUZZTIME (go test -fuzz takes one target at a time).
FUZZTIME ?= 1m
fuzz: deps
	./scripts/fuzz.sh $(FUZZTIME)

bench: deps
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Issue 4: this project's decoder against zbar, zxing-cpp and Java ZXing on a
# seeded corpus of camera frames (and ../shared/qr-corpus when present);
# installs the peers, writes the tables into docs/benchmarks.md.
bench-scan: deps
	./scripts/bench-scan.sh

clean:
	rm -rf bin demo-out
