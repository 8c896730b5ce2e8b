# syntax=docker/dockerfile:1
# Build: docker build -t cancelsync .
# Run:   docker run --rm -p 8080:8080 -v "$PWD/prod.yaml:/etc/cancelsync/cancelsync.yaml:ro" \
#          -e CANCELSYNC_ADMIN_TOKEN=... cancelsync serve
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/cancelsync ./cmd/cancelsync

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/cancelsync /usr/local/bin/cancelsync
ENV CANCELSYNC_CONFIG=/etc/cancelsync/cancelsync.yaml
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/cancelsync"]
CMD ["serve"]
