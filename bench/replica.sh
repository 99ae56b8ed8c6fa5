#!/usr/bin/env bash
# The list workload (GET /customers?limit=50 following next_cursor, bench/customers_page.lua)
# served by Concord on the primary alone and by a second Concord whose reads go to a streaming
# standby of the same cluster on this machine (DATABASE_READ_URL), back to back, BENCH_ROUNDS
# times. On 2 shared cores this shows the mechanism's overhead, not a speed-up: the standby
# competes for the same cores.
#
# `bench/run.sh` runs it with its Concord and embedded cluster; by hand it starts its own:
#   BENCH_CUSTOMERS=20000 BENCH_SECONDS=5 bench/replica.sh
# Prints "primary_rps primary_p99 replica_rps replica_p99 ratio" as its last line.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${BENCH_ROUNDS:-3}
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 1 300); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "bench: $1 never answered" >&2; exit 1; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
run_wrk() {
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency "$@" | awk '
        /Requests\/sec:/ { rps = $2 }
        $1 == "99%" { v = $2; unit = v; sub(/[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v)
                      ms = (unit == "us") ? v / 1000 : (unit == "s") ? v * 1000 : v; p99 = ms }
        /Non-2xx/ { bad = $NF }
        END { if (bad) { print "bench: non-2xx answers: " bad > "/dev/stderr"; exit 1 } printf "%.0f %.2f\n", rps, p99 }'
}

PGBIN=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d | sort -V | tail -1)
RUN_AS=()
[[ $(id -u) -eq 0 ]] && RUN_AS=(runuser -u concord-pg --)
OWN=$(mktemp -d /tmp/concord-bench-replica.XXXXXX)
chmod 755 "$OWN"
R_PIDS=()
replica_cleanup() {
    for pid in "${R_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${R_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    [[ -f "$OWN/standby/postmaster.pid" ]] && "${RUN_AS[@]}" "$PGBIN/pg_ctl" stop -D "$OWN/standby" -m immediate >/dev/null 2>&1
    rm -rf "$OWN"
}
trap replica_cleanup EXIT

if [[ -z "${BENCH_PRIMARY_PORT:-}" ]]; then
    # By hand: a Concord on its own embedded cluster, with BENCH_CUSTOMERS synthetic customers.
    scripts/install-deps.sh wrk
    if [[ -z "${BIN:-}" ]]; then
        swift build -c release --product concord >/dev/null
        BIN=$(swift build -c release --show-bin-path)/concord
    fi
    BENCH_KEY=$(python3 -c 'import secrets, string; a = string.ascii_letters + string.digits; r = lambda n: "".join(secrets.choice(a) for _ in range(n)); print(f"ck_{r(8)}_{r(40)}")')
    CONCORD_DATA_DIR="$OWN/data" DATABASE_URL= "$BIN" seed --customers "${BENCH_CUSTOMERS:-20000}" >/dev/null 2>&1
    BENCH_PRIMARY_PORT=$(free_port)
    CONCORD_DATA_DIR="$OWN/data" CONCORD_PORT=$BENCH_PRIMARY_PORT CONCORD_ADMIN_API_KEY=$BENCH_KEY CONCORD_RATE_LIMIT=0 \
        DATABASE_URL= "$BIN" serve >/dev/null 2>"$OWN/primary.log" &
    R_PIDS+=($!)
    wait_for "http://127.0.0.1:$BENCH_PRIMARY_PORT/readyz"
    BENCH_SOCKET=$(find "$OWN/data" -name '.s.PGSQL.*' -printf '%h\n' | head -1)
fi
export BENCH_KEY
PRIMARY="host=$BENCH_SOCKET port=5432 user=concord dbname=concord"

# The standby: a base backup of the running cluster that follows it (own socket directory).
mkdir -p "$OWN/standby" "$OWN/standby-run"
chmod 700 "$OWN/standby"
[[ $(id -u) -eq 0 ]] && chown concord-pg "$OWN/standby" "$OWN/standby-run"
"${RUN_AS[@]}" "$PGBIN/pg_basebackup" -D "$OWN/standby" -R -X stream -c fast -d "$PRIMARY"
"${RUN_AS[@]}" "$PGBIN/pg_ctl" start -w -D "$OWN/standby" -l "$OWN/standby-run/log" \
    -o "-c listen_addresses='' -p 5432 -k $OWN/standby-run" >/dev/null
STANDBY="host=$OWN/standby-run port=5432 user=concord dbname=concord"

# A second Concord on the same primary, reading from the standby.
REPLICA_PORT=$(free_port)
DATABASE_URL=$PRIMARY DATABASE_READ_URL=$STANDBY CONCORD_PORT=$REPLICA_PORT CONCORD_RATE_LIMIT=0 \
    CONCORD_DATA_DIR="$OWN/unused" "$BIN" serve --no-migrate >/dev/null 2>"$OWN/replica-concord.log" &
R_PIDS+=($!)
wait_for "http://127.0.0.1:$REPLICA_PORT/readyz"

declare -a P_RPS P_P99 R_RPS R_P99 RATIO
for _ in $(seq 1 "$ROUNDS"); do
    read -r p_rps p_p99 < <(run_wrk -s bench/customers_page.lua "http://127.0.0.1:$BENCH_PRIMARY_PORT/customers")
    read -r r_rps r_p99 < <(run_wrk -s bench/customers_page.lua "http://127.0.0.1:$REPLICA_PORT/customers")
    P_RPS+=("$p_rps"); P_P99+=("$p_p99"); R_RPS+=("$r_rps"); R_P99+=("$r_p99")
    RATIO+=("$(awk -v a="$r_rps" -v b="$p_rps" 'BEGIN { printf "%.3f", a / b }')")
done
READS=$(curl -s "http://127.0.0.1:$REPLICA_PORT/metrics" | awk '/^concord_db_replica_reads_total/ { print $2 }')
[[ "${READS:-0}" -gt 0 ]] || { echo "bench: the replica served no reads" >&2; exit 1; }
m() { printf '%s\n' "$@" | median; }
echo "$(m "${P_RPS[@]}") $(m "${P_P99[@]}") $(m "${R_RPS[@]}") $(m "${R_P99[@]}") $(m "${RATIO[@]}")"
