# rtcstream: `make demo` serves the default demo, `make test` runs every test.
# Both install the system packages they need first (scripts/install-deps.sh).

ADDR ?= :7860
DEMO ?=
GO ?= go

.PHONY: demo test deps bench vet models

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

# The browser, model and TURN tests must really run here: a missing
# Chromium, ONNX Runtime or coturn fails them instead of skipping.
# Packages run one at a time (-p 1), after their test binaries are built in
# parallel: the real-time tests measure frames and audio as they stream, and
# on 2 cores another package's browser or bench test beside them starves the
# server they measure (an audio echo lost its correlation that way).
test: vet models
	$(GO) test -race -count=1 -run '^$$' ./... >/dev/null
	RTCSTREAM_REQUIRE_BROWSER=1 RTCSTREAM_REQUIRE_MODELS=1 RTCSTREAM_REQUIRE_TURN=1 $(GO) test -race -count=1 -p 1 -timeout 40m ./...

bench: deps
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./internal/pipeline ./codec/... ./media ./detect/... ./vad/...
