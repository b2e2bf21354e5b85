# Container image (issue: deployment): one multi-architecture image from
# deploy/docker/Dockerfile with Docker's buildx. `make image` builds
# linux/amd64 and linux/arm64 into an OCI archive under bin/; IMAGE_PUSH=1
# pushes the multi-architecture image to $(IMAGE):$(IMAGE_TAG) instead.
# Knobs: IMAGE, IMAGE_TAG (git describe), IMAGE_PLATFORMS, DOCKER.
# A multi-platform build needs a buildx builder that supports it (once:
# docker buildx create --use), or Docker's containerd image store.
.PHONY: image

DOCKER ?= docker
IMAGE ?= ghcr.io/heraldpush/herald
IMAGE_TAG ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
IMAGE_REVISION ?= $(shell git rev-parse HEAD 2>/dev/null)
IMAGE_PLATFORMS ?= linux/amd64,linux/arm64
IMAGE_OUTPUT = $(if $(filter 1 true yes,$(IMAGE_PUSH)),--push,--output type=oci,dest=bin/herald-$(IMAGE_TAG).oci.tar)

image:
	@$(DOCKER) buildx version >/dev/null 2>&1 || { \
		echo "make image needs Docker with the buildx plugin ('$(DOCKER) buildx version' failed)." >&2; \
		echo "Install Docker Engine with docker-buildx-plugin (or Docker Desktop), then run: docker buildx create --use" >&2; \
		echo "Without buildx, build this machine's architecture only: docker build -f deploy/docker/Dockerfile -t herald:local ." >&2; \
		exit 1; }
	@mkdir -p bin
	$(DOCKER) buildx build --platform $(IMAGE_PLATFORMS) -f deploy/docker/Dockerfile \
		--build-arg VERSION=$(IMAGE_TAG) --build-arg REVISION=$(IMAGE_REVISION) \
		-t $(IMAGE):$(IMAGE_TAG) $(IMAGE_OUTPUT) .
