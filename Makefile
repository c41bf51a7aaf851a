# deskhand's two set-up commands (see README.md):
#   make run    installs what is missing, builds and starts the app
#   make test   installs what is missing and runs every test, on a private Xvfb
#               desktop when there is no display
export PATH := $(PATH):/usr/local/go/bin
GO ?= go

.PHONY: run test deps build bench

deps:
	@bash .ci/deps

build: deps
	$(GO) build -trimpath -ldflags "-s -w" -o deskhand .

run: build
	./deskhand

test: deps
	npm ci --prefix models/testdata/uitars-parser --no-audit --no-fund --loglevel=error
	$(GO) vet ./...
	CROSS_APP=1 bash .ci/cross
	bash .ci/with-display $(GO) test -count=1 -timeout 30m ./...

bench: deps
	bash .ci/with-display $(GO) test -run '^$$' -bench . -benchtime 20x ./...

# Packages for end users, written to dist/ (see .ci/package). package-darwin runs on
# a Mac only; elsewhere it says what to run there.
.PHONY: package-linux package-windows package-darwin

package-linux:
	bash .ci/package linux

package-windows:
	bash .ci/package windows

package-darwin:
	bash .ci/package darwin
