# Stepwise — developer commands. `make test` is what CI runs.
# Two modules: the server (.) and the worker SDK (workers/, its own go.mod);
# test, vet, lint and race cover both.
GO ?= go
# A number of runs, not a duration: Go 1.26's fuzzing coordinator can fail a
# duration-bounded run with "context deadline exceeded" when the time is up
# while a worker is busy (go.dev/issue/75804, fixed in Go 1.27), with no
# failing input; a count has no deadline to race. 300,000 runs are about 20 s
# a target here.
FUZZTIME ?= 300000x

.PHONY: test vet lint lint-tools race fmt-check fuzz bench faults hostile build generate generate-check tools ui ui-check

# Code generators, pinned. `make tools` installs them into ./bin.
BUF_VERSION ?= v1.75.0
PROTOC_GEN_GO_VERSION ?= v1.36.11
PROTOC_GEN_GO_GRPC_VERSION ?= v1.6.0
GRPC_GATEWAY_VERSION ?= v2.33.0
# Linters, pinned. `make lint-tools` installs them into ./bin.
STATICCHECK_VERSION ?= v0.8.2
GOLANGCI_LINT_VERSION ?= v2.15.0
BIN := $(CURDIR)/bin

## test: vet, then every test (Postgres tests use STEPWISE_TEST_DATABASE_URL);
## its last line names the suites skipped for want of what they need.
test: vet
	@status=0; $(GO) test -count=1 -timeout 20m ./... || status=$$?; \
	(cd workers && $(GO) test -count=1 ./...) || status=$$?; \
	$(GO) run ./internal/skipped; exit $$status

## race: the tests of the packages that are race-clean, with -race.
RACE_PKGS ?= ./statelang/... ./dispatch/... ./schedule/... ./examples/... ./api/cwlogs/...
race:
	$(GO) test -race -count=1 $(RACE_PKGS)
	cd workers && $(GO) test -race -count=1 ./...

## lint: staticcheck (staticcheck.conf) and golangci-lint (.golangci.yml),
## the faults and hostile suites included.
LINT_TAGS := faults,hostile
lint: lint-tools
	$(BIN)/staticcheck -tags $(LINT_TAGS) $$($(GO) list ./... | grep -v '/store/postgres$$')
	@# engine v2 in progress: store/postgres's tests keep an unused var
	@# (engine_test.go) that staticcheck cannot skip alone; golangci-lint
	@# checks them with that one finding excluded.
	$(BIN)/staticcheck -tags $(LINT_TAGS) -tests=false ./store/postgres
	$(BIN)/golangci-lint run ./...
	cd workers && $(BIN)/staticcheck ./... && $(BIN)/golangci-lint run ./...

## lint-tools: install the pinned linters into ./bin.
lint-tools:
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	GOBIN=$(BIN) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

vet:
	$(GO) vet ./...
	cd workers && $(GO) vet ./...
	$(GO) vet -tags faults ./internal/faulttest
	$(GO) vet -tags hostile ./internal/hostiletest

## fmt-check: fail when a file is not gofmt-formatted.
fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## fuzz: run each fuzz target $(FUZZTIME) (runs, or a duration).
fuzz:
	$(GO) test ./engine -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME)
	$(GO) test ./statelang -run '^$$' -fuzz '^FuzzPath$$' -fuzztime $(FUZZTIME)
	$(GO) test ./statelang -run '^$$' -fuzz '^FuzzIntrinsic$$' -fuzztime $(FUZZTIME)
	$(GO) test ./statelang -run '^$$' -fuzz '^FuzzChoiceRule$$' -fuzztime $(FUZZTIME)
	$(GO) test ./statelang -run '^$$' -fuzz '^FuzzTestState$$' -fuzztime $(FUZZTIME)
	$(GO) test ./statelang -run '^$$' -fuzz '^FuzzMarshalString$$' -fuzztime $(FUZZTIME)
	$(GO) test ./statelang/jsonata -run '^$$' -fuzz '^FuzzJSONata$$' -fuzztime $(FUZZTIME)
	$(GO) test ./store/internal/histchunk -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME)
	$(GO) test ./api/cwlogs -run '^$$' -fuzz '^FuzzHandler$$' -fuzztime $(FUZZTIME)

## bench: interpreter benchmarks, then `stepwise bench` end to end (engine in
## process on $(BENCH_DB), embedded NATS, no-op workers) for each workload.
BENCH_DB ?= $(or $(STEPWISE_DB),postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)
BENCH_DURATION ?= 20s
BENCH_FLAGS ?=
bench:
	$(GO) test ./statelang ./engine -run '^$$' -bench . -benchmem
	$(GO) run ./cmd/stepwise bench --db '$(BENCH_DB)' --workload hello --concurrency 1 --duration $(BENCH_DURATION) --quiet $(BENCH_FLAGS)
	$(GO) run ./cmd/stepwise bench --db '$(BENCH_DB)' --workload sequence,fanout,pass,callback --concurrency 16 --duration $(BENCH_DURATION) --quiet $(BENCH_FLAGS)
	$(GO) run ./cmd/stepwise bench --db '$(BENCH_DB)' --workload wait --count 100000 --concurrency 32 --quiet $(BENCH_FLAGS)

## faults: the fault-injection suite (22 faults under load: SIGKILLed engine,
## replicas and workers, NATS restart and store wipe, terminated Postgres backends, a second
## installation on the same NATS, a second dev on its data dir); about 80 s.
faults:
	$(GO) test -tags faults -count=1 -v -timeout 8m ./internal/faulttest

## hostile: the hostile-input suite (every attack of issue 16 against the
## binary with a token; a memory ceiling); under a minute.
hostile:
	$(GO) test -tags hostile -count=1 -v -timeout 8m ./internal/hostiletest

build:
	$(GO) build ./...
	cd workers && $(GO) build ./...

## tools: install the pinned code generators into ./bin.
tools:
	GOBIN=$(BIN) $(GO) install github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION)
	GOBIN=$(BIN) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	GOBIN=$(BIN) $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)
	GOBIN=$(BIN) $(GO) install github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-grpc-gateway@$(GRPC_GATEWAY_VERSION)
	GOBIN=$(BIN) $(GO) install github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2@$(GRPC_GATEWAY_VERSION)

## generate: lint the protos and regenerate api/gen (Go, gRPC, gateway, OpenAPI).
generate: tools
	cd proto && PATH=$(BIN):$$PATH buf lint
	rm -rf api/gen
	cd proto && PATH=$(BIN):$$PATH buf generate

## generate-check: fail when the committed generated code is not current.
generate-check: generate
	@git diff --exit-code -- api/gen || (echo "api/gen is stale: run make generate and commit"; exit 1)
	@test -z "$$(git status --porcelain -- api/gen)" || (echo "api/gen has untracked files: run make generate and commit"; git status --porcelain -- api/gen; exit 1)

## ui: rebuild the web UI bundle (ui/dist, committed and embedded).
ui:
	cd ui && npm ci --no-audit --no-fund && npm run build

## ui-check: fail when the committed ui/dist is not what the sources build.
ui-check: ui
	@git diff --exit-code -- ui/dist || (echo "ui/dist is stale: run make ui and commit"; exit 1)
	@test -z "$$(git status --porcelain -- ui/dist)" || (echo "ui/dist has uncommitted files: run make ui and commit"; git status --porcelain -- ui/dist; exit 1)
