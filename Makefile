# Hospital Priceline. The two commands a newcomer needs: `make run`, `make test`.
SHELL := /bin/bash
GO ?= go
AZURITE_DIR := infra/local/azurite
AZURITE_BIN := $(AZURITE_DIR)/node_modules/.bin/azurite-table
PKGS := ./functions/...

.PHONY: build app run test bench azurite vet fmt-check clean

build:
	$(GO) build -o bin/handler ./functions/cmd/handler

# app stages a deployable function app (linux/amd64) in dist/functionapp:
# host.json, the handler binary and one function.json per function,
# generated from the Go route table.
app:
	mkdir -p dist
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags='-s -w' -o dist/handler-linux-amd64 ./functions/cmd/handler
	$(GO) run ./functions/cmd/handler stage-app -host-json host.json -binary dist/handler-linux-amd64 dist/functionapp

# azurite installs the Table Storage emulator from the project's lockfile.
azurite: $(AZURITE_BIN)
$(AZURITE_BIN): $(AZURITE_DIR)/package.json $(AZURITE_DIR)/package-lock.json
	cd $(AZURITE_DIR) && npm ci --no-audit --no-fund
	touch $@

run: build azurite
	./infra/local/run.sh

fmt-check:
	@out=$$(gofmt -l functions); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

test: azurite fmt-check vet
	$(GO) test -race -count=1 -timeout 12m $(PKGS)

bench: azurite
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

clean:
	rm -rf bin dist
