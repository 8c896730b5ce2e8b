# syntax=docker/dockerfile:1
# Build: docker build -t cancelsync .
# Run:   docker run --rm -p 8080:8080 -v "$PWD/prod.yaml:/etc/cancelsync/cancelsync.yaml:ro" \
#          -e CANCELSYNC_ADMIN_TOKEN=... cancelsync serve
# Pinned to a patch release (the one CI tests with), so a rebuild does not
# silently change compilers; for a reproducible build pin the digest too:
#   docker buildx imagetools inspect golang:1.26.8-bookworm   # prints it
#   FROM golang:1.26.8-bookworm@sha256:<digest> AS build
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/cancelsync ./cmd/cancelsync

# The final image has no shell and no HTTP client. A container healthcheck
# (compose.yaml) needs one to ask /readyz: busybox's wget, a static binary
# of about 1 MB that runs on distroless/static (no libc needed), copied under
# the applet's name so busybox runs wget and nothing else is installed.
FROM busybox:1.37.0-musl AS probe

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=probe /bin/busybox /usr/local/bin/wget
COPY --from=build /out/cancelsync /usr/local/bin/cancelsync
ENV CANCELSYNC_CONFIG=/etc/cancelsync/cancelsync.yaml
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/cancelsync"]
CMD ["serve"]
