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
# The example federation, so that `docker run` is ready at once (/readyz);
# mount your own policies over it, or set policies.repo in a config.
COPY --from=build /src/policies/examples /usr/local/share/accord/policies
COPY --from=build --chown=65532:65532 /out/data /data
WORKDIR /data
VOLUME ["/data"]
USER nonroot:nonroot
ENV ACCORD_LISTEN=0.0.0.0:8080 \
    ACCORD_DATABASE=/data/accord.db \
    ACCORD_POLICIES_DIR=/usr/local/share/accord/policies
EXPOSE 8080
# distroless has no curl: the binary checks its own /readyz.
HEALTHCHECK --interval=30s --timeout=6s --start-period=10s CMD ["/usr/local/bin/accord", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/accord"]
CMD ["serve"]
