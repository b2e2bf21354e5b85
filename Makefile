# Herald: one go.work over several modules; targets loop over them.
MODULES := pkg proto services/api services/worker services/heraldctl services/herald services/pushsim deploy bench
MODPATH := github.com/heraldpush/herald
GO ?= go
PROTOC_GEN_GO_VERSION := v1.36.12
STATICCHECK_VERSION := v0.8.2
TOOLS := $(CURDIR)/bin/tools
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: build run test test-services test-go lint proto tidy clean

# Areas add their own targets and test steps (EXTRA_TESTS) in mk/*.mk.
EXTRA_TESTS :=
-include mk/*.mk

build:
	@mkdir -p bin
	$(GO) build -o bin/herald-api ./services/api
	$(GO) build -o bin/herald-worker ./services/worker
	$(GO) build -o bin/herald-pushsim ./services/pushsim
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/heraldctl ./services/heraldctl
	$(GO) build -o bin/herald ./services/herald

# API and worker in one process; embedded storage unless HERALD_DATABASE_URL
# and HERALD_REDIS_URL are set.
run: build
	./bin/herald

# Every module's tests in one `go test` (the workspace spans the modules).
# Integration tests need PostgreSQL and Redis on 127.0.0.1 (see DEVELOPERS.md).
test: test-services test-go $(EXTRA_TESTS)

# Starts PostgreSQL and Redis when installed but stopped; names the packages
# to install when they are missing (.ci/services).
test-services:
	@bash .ci/services

test-go: test-services
	$(GO) test -race -count=1 -timeout 15m $(foreach m,$(MODULES),$(MODPATH)/$(m)/...)

# go vet, gofmt, staticcheck and govulncheck (mk/vulncheck.mk) over every
# module, then the layout rules of
# ARCHITECTURE.md (pkg/testkit/layout: asynq only in pkg/jobqueue, gin only
# under services/, each table named only by its owner).
lint:
	@for m in $(MODULES); do (cd $$m && $(GO) vet ./...) || exit 1; done
	@out=$$(gofmt -l $(MODULES)); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	@test -x $(TOOLS)/staticcheck && $(TOOLS)/staticcheck -version | grep -q '$(STATICCHECK_VERSION:v%=%)' || \
		GOBIN=$(TOOLS) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	@for m in $(MODULES); do (cd $$m && $(TOOLS)/staticcheck ./...) || exit 1; done
	@$(MAKE) --no-print-directory vulncheck
	$(GO) test -count=1 $(MODPATH)/pkg/testkit/layout

# Regenerates proto/herald/v1/*.pb.go (needs protoc: apt-get install protobuf-compiler).
proto:
	GOBIN=$(TOOLS) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	cd proto && PATH="$(TOOLS):$$PATH" protoc --proto_path=. --go_out=. --go_opt=paths=source_relative herald/v1/*.proto

tidy:
	@for m in $(MODULES); do (cd $$m && $(GO) mod tidy) || exit 1; done

clean:
	rm -rf bin data
