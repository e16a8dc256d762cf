# tumorseg builds with the oneDNN backend (build tag dnnl); a plain
# `go build ./cmd/tumorseg` gives the pure-Go reference backend only.

GO ?= go
BIN := bin/tumorseg

.PHONY: all build deps demo test test-ref test-dnnl bench clean

all: build

deps:
	@scripts/install-deps

build: deps
	$(GO) build -tags dnnl -o $(BIN) ./cmd/tumorseg

# The built-in default: the whole pipeline on synthetic slices.
demo: build
	$(BIN) demo

# The whole suite on both backends: ref alone, then with dnnl built in
# (which adds the agreement tests and makes dnnl the default).
test: deps test-ref test-dnnl

test-ref:
	$(GO) vet ./...
	$(GO) test -count=1 ./...

# go test runs packages side by side, each with its own OpenMP thread team;
# passive waiting keeps idle teams from spinning on the cores the others need.
test-dnnl:
	$(GO) vet -tags dnnl ./...
	OMP_WAIT_POLICY=PASSIVE $(GO) test -count=1 -tags dnnl ./...

clean:
	rm -rf bin
