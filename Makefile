# rtcstream: `make demo` serves the default demo, `make test` runs every test.
# Both install the system packages they need first (scripts/install-deps.sh).

ADDR ?= :7860
DEMO ?=
GO ?= go
# How long `make fuzz` runs each fuzz target; `make test` runs each for
# FUZZSHORT after the tests (`make fuzz-short` alone).
FUZZTIME ?= 30s
FUZZSHORT ?= 4s
# How long `make soak` churns sessions (TestSoak runs two minutes in `make test`).
SOAK ?= 1h

.PHONY: demo test deps bench vet models fuzz fuzz-short soak

demo:
	@NEED_BROWSER=0 NEED_MODELS=0 ./scripts/install-deps.sh
	$(GO) run ./cmd/rtcstream demo -addr $(ADDR) $(DEMO)

deps:
	@./scripts/install-deps.sh

vet: deps
	$(GO) vet ./...
	CGO_ENABLED=0 $(GO) build ./...
	@test -z "$$(gofmt -l .)" || { gofmt -l .; echo "gofmt needed on the files above"; exit 1; }

models: deps
	@./scripts/fetch-models.sh >/dev/null

# The browser, model, TURN, ACME and LiveKit tests must really run here: a
# missing Chromium, ONNX Runtime, coturn, Pebble or livekit-server fails
# them instead of skipping.
# Packages run one at a time (-p 1), after their test binaries are built in
# parallel: the real-time tests measure frames and audio as they stream, and
# on 2 cores another package's browser or bench test beside them starves the
# server they measure (an audio echo lost its correlation that way).
test: vet models
	$(GO) test -race -count=1 -run '^$$' ./... >/dev/null
	RTCSTREAM_REQUIRE_BROWSER=1 RTCSTREAM_REQUIRE_MODELS=1 RTCSTREAM_REQUIRE_TURN=1 RTCSTREAM_REQUIRE_ACME=1 RTCSTREAM_REQUIRE_LIVEKIT=1 $(GO) test -race -count=1 -p 1 -timeout 40m ./...
	$(call run_fuzz,$(FUZZSHORT))

# soak churns sessions for $(SOAK) and checks that goroutines, file
# descriptors, heap and resident memory stay flat (BENCHMARKS.md, "Soak").
soak: deps
	RTCSTREAM_SOAK=$(SOAK) $(GO) test -count=1 -run '^TestSoak$$' -timeout 0 -v .

# The fuzz targets, as package:Fuzz function: what a stranger can send the
# server (signalling requests, SDP, RTP payloads, control messages, page
# requests and input values). Their seed corpora (f.Add and testdata/fuzz)
# also run as plain tests in `go test`. A crash is written to the
# package's testdata/fuzz/<target>/ and fails the run: commit it with the fix.
FUZZ_TARGETS = \
	./internal/server:FuzzSignalling \
	./internal/server:FuzzControlMessage \
	./internal/peer:FuzzCheckOffer \
	./internal/pipeline:FuzzParseVP8 \
	./internal/pipeline:FuzzAssemblerStream \
	./internal/pipeline:FuzzH264Assembler \
	./codec/h264:FuzzSPSSize \
	./codec/h264:FuzzDecode \
	./internal/icemux:FuzzSniff \
	./ui:FuzzInputDecode \
	./ui:FuzzPageRequest

# run_fuzz runs every fuzz target for $(1) (scripts/fuzz.sh).
define run_fuzz
	@GO=$(GO) ./scripts/fuzz.sh $(1) $(FUZZ_TARGETS)
endef

fuzz: deps
	$(call run_fuzz,$(FUZZTIME))

fuzz-short: deps
	$(call run_fuzz,$(FUZZSHORT))

bench: deps
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./internal/pipeline ./codec/... ./media ./detect/... ./vad/...
