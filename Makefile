# Stepwise — developer commands. `make test` is what CI runs.
GO ?= go
FUZZTIME ?= 20s

.PHONY: test vet fmt-check fuzz bench build

## test: vet, then every test (Postgres tests use STEPWISE_TEST_DATABASE_URL).
test: vet
	$(GO) test -count=1 ./...

vet:
	$(GO) vet ./...

## fmt-check: fail when a file is not gofmt-formatted.
fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## fuzz: run each fuzz target for $(FUZZTIME).
fuzz:
	$(GO) test ./statelang -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME)
	$(GO) test ./statelang -run '^$$' -fuzz '^FuzzPath$$' -fuzztime $(FUZZTIME)
	$(GO) test ./statelang -run '^$$' -fuzz '^FuzzIntrinsic$$' -fuzztime $(FUZZTIME)

## bench: interpreter benchmarks.
bench:
	$(GO) test ./statelang -run '^$$' -bench . -benchmem

build:
	$(GO) build ./...
