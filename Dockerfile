# Accord: one static binary on a minimal base, running as a non-root user,
# with its SQLite database on the /data volume.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/accord ./cmd/accord \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/accord /usr/local/bin/accord
COPY --from=build --chown=65532:65532 /out/data /data
WORKDIR /data
VOLUME ["/data"]
USER nonroot:nonroot
ENV ACCORD_LISTEN=0.0.0.0:8080 \
    ACCORD_DATABASE=/data/accord.db
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/accord"]
CMD ["serve"]
