# Concord's image: built on the official Swift image, run on slim Debian with only the libraries
# the binary links (libpq, OpenSSL; the Swift runtime is linked in statically). Point it at PostgreSQL with DATABASE_URL:
#   docker run -e DATABASE_URL=postgres://user:pass@db/concord -p 8080:8080 concord
# The base images are build arguments so a build can substitute local copies of them.
ARG SWIFT_IMAGE=swift:6.3.1-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${SWIFT_IMAGE} AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq-dev libssl-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so editing sources does not refetch them.
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product concord --static-swift-stdlib \
    && install -D "$(swift build -c release --show-bin-path)/concord" /out/bin/concord
COPY Migrations /out/share/concord/Migrations
COPY openapi.yaml /out/share/concord/openapi.yaml
COPY Assets /out/share/concord/Assets

FROM ${RUNTIME_IMAGE}
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 libssl3 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin concord
COPY --from=build /out/ /usr/local/
ENV CONCORD_HOST=0.0.0.0 \
    CONCORD_PORT=8080 \
    CONCORD_RESOURCES_DIR=/usr/local/share/concord \
    CONCORD_LOG_FORMAT=json
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/concord", "health"]
ENTRYPOINT ["/usr/local/bin/concord"]
CMD ["serve"]
