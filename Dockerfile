# syntax=docker/dockerfile:1
# deploywatch image: the GitHub Action's container and a GitLab job image.

# The build stage runs on the builder's own platform and cross-compiles for the target
# platform (BuildKit sets BUILDPLATFORM, TARGETOS and TARGETARCH): the release's
# linux/arm64 image is built without running the Go compiler under QEMU emulation.
FROM --platform=$BUILDPLATFORM golang:1.26-alpine AS build
RUN apk add --no-cache ca-certificates
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY cmd ./cmd
COPY internal ./internal
ARG VERSION=dev
ARG TARGETOS TARGETARCH
RUN GOOS=$TARGETOS GOARCH=$TARGETARCH CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/deploywatch ./cmd/deploywatch

# busybox gives the image a shell (GitLab runs job scripts with one) at ~1.5 MB; the
# binary is static and only needs the CA bundle to reach HTTPS endpoints.
FROM busybox:1.37-musl
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/deploywatch /usr/local/bin/deploywatch
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
# No USER: GitHub runs Docker actions as root so they can write /github/file_commands
# (https://docs.github.com/en/actions/reference/workflows-and-actions/dockerfile-support#user).
ENTRYPOINT ["/usr/local/bin/deploywatch"]
