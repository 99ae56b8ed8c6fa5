# Concord's image: built on the official Swift image; run on a distroless-style root made from
# slim Debian's packages, with only the libraries the binary links (libpq, OpenSSL, glibc; the
# Swift runtime and FoundationEssentials are linked in statically) and CA certificates for https
# webhooks: no shell, no package manager. The binary is stripped; its symbols stay in
# the build stage (/out-symbols/concord.debug), to take out for crash analysis with
#   docker build --target symbols -o type=local,dest=symbols .
# Point it at PostgreSQL with DATABASE_URL:
#   docker run -e DATABASE_URL=postgres://user:pass@db/concord -p 8080:8080 concord
# The base images are pinned by version (a digest cannot be checked where this is built and
# tested, with no registry in reach) and are build arguments, so a build can substitute local
# copies of them. What the image is comes in as build arguments too and ends up in OCI labels:
#   docker build --build-arg CONCORD_VERSION="$(sed -n 's/.*static let version = "\(.*\)"/\1/p' Sources/App/Version.swift)" \
#     --build-arg CONCORD_REVISION="$(git rev-parse HEAD)" --build-arg CONCORD_SOURCE=https://git.example.com/concord -t concord .
ARG SWIFT_IMAGE=swift:6.3.1-bookworm
ARG RUNTIME_IMAGE=debian:12.11-slim

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
# The symbols go to a file of their own, linked to the stripped binary by a debuglink (gdb and
# lldb find them when they sit beside it); the image gets only the stripped binary.
RUN swift build -c release --product concord --static-swift-stdlib \
    && install -D "$(swift build -c release --show-bin-path)/concord" /out/bin/concord \
    && mkdir -p /out-symbols \
    && objcopy --only-keep-debug /out/bin/concord /out-symbols/concord.debug \
    && strip --strip-all /out/bin/concord \
    && objcopy --add-gnu-debuglink=/out-symbols/concord.debug /out/bin/concord
COPY Migrations /out/share/concord/Migrations
COPY openapi.yaml /out/share/concord/openapi.yaml
COPY Assets /out/share/concord/Assets

# `docker build --target symbols -o type=local,dest=DIR .` writes concord.debug to DIR.
FROM scratch AS symbols
COPY --from=build /out-symbols/ /

# The runtime's root file system, distroless-style, from Debian's packages: the shared libraries
# the binary loads (libpq, libssl and libcrypto, and what they load, glibc included), the CA
# certificates for https webhooks, the users, and each package's dpkg record
# (/var/lib/dpkg/status.d, where image scanners look) and copyright file. No shell, no package
# manager, nothing else.
FROM ${RUNTIME_IMAGE} AS runtime-root
COPY --from=build /out/bin/concord /tmp/concord
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 libssl3 ca-certificates \
    && mkdir -p /rootfs/usr/lib/x86_64-linux-gnu /rootfs/usr/lib64 /rootfs/usr/lib/ssl /rootfs/etc/ssl/certs \
        /rootfs/var/lib/dpkg/status.d /rootfs/usr/share/doc \
    && ln -s usr/lib /rootfs/lib && ln -s usr/lib64 /rootfs/lib64 && ln -s usr/bin /rootfs/bin && ln -s usr/sbin /rootfs/sbin \
    && install -d -m 1777 /rootfs/tmp && install -d -o 10001 -g 10001 -m 0700 /rootfs/var/lib/concord \
    && files=(/etc/ssl/certs/ca-certificates.crt) \
    && for lib in $(ldd /tmp/concord | awk '$2 == "=>" { print $3 } $1 ~ /^\/lib64\/ld-linux/ { print $1 }'); do \
        cp -L "$lib" "/rootfs$lib"; files+=("$lib" "$(readlink -f "$lib")"); done \
    && for pkg in ca-certificates $({ dpkg -S "${files[@]}" 2>/dev/null || true; } | cut -d: -f1 | sort -u); do \
        dpkg-query -s "$pkg" >"/rootfs/var/lib/dpkg/status.d/$pkg"; \
        cp -rL "/usr/share/doc/$pkg" /rootfs/usr/share/doc/ 2>/dev/null || true; done \
    && cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ \
    && ln -s /etc/ssl/certs /rootfs/usr/lib/ssl/certs && ln -s /etc/ssl/certs/ca-certificates.crt /rootfs/usr/lib/ssl/cert.pem \
    && cp /etc/nsswitch.conf /etc/host.conf /rootfs/etc/ \
    && printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nconcord:x:10001:10001::/nonexistent:/usr/sbin/nologin\n' >/rootfs/etc/passwd \
    && printf 'root:x:0:\nconcord:x:10001:\n' >/rootfs/etc/group \
    && find /rootfs/usr/share/doc -type f ! -name copyright -delete \
    && rm -rf /var/lib/apt/lists/*

FROM scratch
COPY --from=runtime-root /rootfs/ /
COPY --from=build /out/ /usr/local/
ENV CONCORD_HOST=0.0.0.0 \
    CONCORD_PORT=8080 \
    CONCORD_RESOURCES_DIR=/usr/local/share/concord \
    CONCORD_DATA_DIR=/var/lib/concord \
    CONCORD_LOG_FORMAT=json \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/concord", "health"]
# Last, so a new revision does not redo the layers above.
ARG CONCORD_VERSION=unknown
ARG CONCORD_REVISION=unknown
ARG CONCORD_SOURCE=unknown
# The binary names its commit in /metrics (concord_build_info) and `--version`.
ENV CONCORD_COMMIT=${CONCORD_REVISION}
LABEL org.opencontainers.image.title="Concord" \
      org.opencontainers.image.description="One backend for CRM and ERP, over JSON and HTTP" \
      org.opencontainers.image.version="${CONCORD_VERSION}" \
      org.opencontainers.image.revision="${CONCORD_REVISION}" \
      org.opencontainers.image.source="${CONCORD_SOURCE}" \
      org.opencontainers.image.licenses="LicenseRef-Proprietary"
ENTRYPOINT ["/usr/local/bin/concord"]
CMD ["serve"]
