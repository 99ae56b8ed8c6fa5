#!/usr/bin/env bash
# `make bench`: Concord against this machine's ceilings, from one run.
#   GET /healthz  vs nginx returning a fixed small body (plain HTTP ceiling)
#   GET /me       vs pgbench running the same SQL on the same database (-M prepared)
#   an order      POST /sales-orders (3 lines) + POST …/confirm vs pgbench running their SQL
#                 in the same two transactions (bench/order.sql); a pair counts once
#   GET /customers/{number}   a point read vs pgbench running the same two statements
#                 (bench/customer.sql) on BENCH_CUSTOMERS synthetic customers
#   GET /customers?limit=50   a page of 50 following next_cursor vs pgbench running the same two
#                 statements (bench/customers_page.sql)
#   the same pages from a second Concord reading a streaming standby of the cluster
#                 (bench/replica.sh) vs the primary alone
# and, for GET /me, two minimal servers in C (bench/shape/) that show what a server shape allows
# here: Concord's (an epoll thread handing requests to workers on blocking libpq) and one event
# loop driving nonblocking libpq.
# plus the server's RSS with 1,000 idle keep-alive connections open.
# Each pair runs back to back, BENCH_ROUNDS times; the figures are medians and the ratios are
# medians of the per-round ratios. wrk, the servers and PostgreSQL share this machine's cores.
#
# After the rounds: page 1 against page 1,000 of the customer list (sequential latency, medians),
# the p99 of `q` searches for one customer's email among them, and a page of 50 for a sales
# user with data scope `own` who owns 1 in 100 of them (10,000 of 1,000,000) against the same
# page for the admin, who sees everything (the scope is a condition on the owner index).
#
# Settings: BENCH_ROUNDS (3), BENCH_SECONDS (10), BENCH_CONNECTIONS (64), BENCH_THREADS (2),
# BENCH_CUSTOMERS (1000000; made once per run with `concord seed --customers`),
# BENCH_SHIPPED_LINES (2000000 shipped order lines over them, `concord seed --shipped-lines`).
#
# Last, the management reports on that data: p50 of 20 sequential requests of
# /reports/margin?group_by=month (a year), /reports/kpis and a page of /reports/customer-rfm,
# each beside its SQL's own time (bench/margin.sql, kpis.sql, rfm.sql under pgbench, one client).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${BENCH_ROUNDS:-3}
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
CUSTOMERS=${BENCH_CUSTOMERS:-1000000}
SHIPPED_LINES=${BENCH_SHIPPED_LINES:-2000000}

scripts/install-deps.sh wrk nginx-light
swift build -c release --product concord >/dev/null
BIN=$(swift build -c release --show-bin-path)/concord
PGBIN=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d | sort -V | tail -1)
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
ulimit -n "$(ulimit -Hn)"

WORK=$(mktemp -d /tmp/concord-bench.XXXXXX)
chmod 755 "$WORK"  # the embedded PostgreSQL runs as its own account when this is root
mkdir -p bench/out
REPORT=bench/out/bench-$(date -u +%Y%m%dT%H%M%SZ).txt
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
wait_for() { for _ in $(seq 1 300); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "bench: $1 never answered" >&2; exit 1; }

# wrk → "requests_per_second p99_ms"
run_wrk() {
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency "$@" | awk '
        /Requests\/sec:/ { rps = $2 }
        $1 == "99%" { v = $2; unit = v; sub(/[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v)
                      ms = (unit == "us") ? v / 1000 : (unit == "s") ? v * 1000 : v; p99 = ms }
        /Non-2xx/ { bad = $NF }
        END { if (bad) { print "bench: non-2xx answers: " bad > "/dev/stderr"; exit 1 } printf "%.0f %.2f\n", rps, p99 }'
}

# nginx
NGINX_PORT=$(free_port)
sed -e "s|@WORK@|$WORK|g" -e "s|@PORT@|$NGINX_PORT|g" bench/nginx.conf.template > "$WORK/nginx.conf"
"$NGINX" -c "$WORK/nginx.conf" -p "$WORK" -e "$WORK/nginx-error.log" &
PIDS+=($!)

# Concord on its embedded PostgreSQL, with a known admin key, default settings otherwise.
PORT=$(free_port)
KEY=$(python3 -c 'import secrets, string; a = string.ascii_letters + string.digits; r = lambda n: "".join(secrets.choice(a) for _ in range(n)); print(f"ck_{r(8)}_{r(40)}")')
PREFIX=$(echo "$KEY" | cut -d_ -f2)
CONCORD_DATA_DIR="$WORK/data" CONCORD_PORT=$PORT CONCORD_ADMIN_API_KEY=$KEY CONCORD_RATE_LIMIT=0 DATABASE_URL= \
    "$BIN" serve >"$WORK/concord.out" 2>"$WORK/concord.log" &
CONCORD_PID=$!
PIDS+=($CONCORD_PID)
wait_for "http://127.0.0.1:$NGINX_PORT/"
wait_for "http://127.0.0.1:$PORT/readyz"
# The server's resident memory in MiB (VmRSS, or another field of /proc/PID/status such as
# RssAnon: the rest is shared libraries' pages, counted once per machine however many processes
# map them). RSS_STEPS follows the anonymous part through the runs, to show which one grows it.
rss() { awk -v field="${1:-VmRSS}:" '$1 == field { printf "%.1f", $2 / 1024 }' "/proc/$CONCORD_PID/status"; }
RSS_STEPS=()
rss_step() { RSS_STEPS+=("$1 $(rss RssAnon)"); }
rss_step started
POOL=$(grep -o 'CONCORD_DB_POOL_SIZE=[0-9]*' "$WORK/concord.log" | head -1 | cut -d= -f2)
POOL=${POOL:-10}
SOCKET=$(find "$WORK/data" -name '.s.PGSQL.*' -printf '%h\n' 2>/dev/null | head -1)
[[ -n "$SOCKET" ]] || { echo "bench: embedded PostgreSQL socket not found" >&2; exit 1; }
PGCONN="host=$SOCKET port=5432 user=concord dbname=concord"
[[ $(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT/me") == 200 ]] \
    || { echo "bench: GET /me with the bench key failed" >&2; exit 1; }

# The shape servers, with as many database connections as Concord.
CC=${CC:-$(command -v cc || command -v clang)}
for shape in workers eventloop; do
    "$CC" -O2 -o "$WORK/$shape" "bench/shape/$shape.c" -I"$(pg_config --includedir)" -lpq -lpthread
done
WORKERS_PORT=$(free_port)
"$WORK/workers" "$PGCONN" "$WORKERS_PORT" "$POOL" &
PIDS+=($!)
EVENTLOOP_PORT=$(free_port)
"$WORK/eventloop" "$PGCONN" "$EVENTLOOP_PORT" "$POOL" &
PIDS+=($!)
for port in "$WORKERS_PORT" "$EVENTLOOP_PORT"; do
    wait_for "http://127.0.0.1:$port/"
    [[ $(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" "http://127.0.0.1:$port/me") == 200 ]] \
        || { echo "bench: the shape server on port $port did not answer GET /me" >&2; exit 1; }
done

# The order pair needs a customer, a warehouse and three items with plenty of stock.
api() { curl -s -X POST -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d "$2" "http://127.0.0.1:$PORT$1"; }
id_of() { python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])'; }
# A sales rep who sees only their own customers, and owns 1 in 100 of the seeded ones.
OWN_USER=$(api /users '{"name":"Bench rep","email":"rep@bench.local","role":"sales","data_scope":"own"}' | id_of)
OWN_KEY=$(api "/users/$OWN_USER/api-keys" '{"name":"bench"}' | python3 -c 'import json, sys; print(json.load(sys.stdin)["key"])')

# The customer master at size, before any other customer exists (the seed refuses real data),
# and the shipped order lines the reports read.
echo "bench: seeding $CUSTOMERS customers and $SHIPPED_LINES shipped order lines" >&2
CONCORD_DATA_DIR="$WORK/data" DATABASE_URL= "$BIN" seed --customers "$CUSTOMERS" \
    --owner rep@bench.local --owned $((CUSTOMERS / 100)) --shipped-lines "$SHIPPED_LINES" 2>/dev/null >&2

# The order pair needs a customer, a warehouse and three items with plenty of stock.
CUSTOMER=$(api /customers '{"name":"Bench customer"}' | id_of)
WAREHOUSE=$(api /warehouses '{"code":"BENCH","name":"Bench"}' | id_of)
ITEMS=()
for n in 1 2 3; do
    item=$(api /items "{\"sku\":\"BENCH-$n\",\"name\":\"Bench item $n\",\"type\":\"stock\",\"unit_price\":1000}" | id_of)
    api /stock/adjustments "{\"item_id\":\"$item\",\"warehouse_id\":\"$WAREHOUSE\",\"quantity_delta\":900000000,\"reason\":\"bench\"}" >/dev/null
    ITEMS+=("$item")
done
export BENCH_CUSTOMERS=$CUSTOMERS BENCH_KEY=$KEY BENCH_CUSTOMER=$CUSTOMER BENCH_WAREHOUSE=$WAREHOUSE BENCH_ITEMS=$(IFS=,; echo "${ITEMS[*]}")

PGUSER_RUN=()
[[ $(id -u) -eq 0 ]] && PGUSER_RUN=(runuser -u concord-pg --)

{
echo "Concord bench, $(date -u +%FT%TZ), $(nproc) cores, wrk -t$THREADS -c$CONNECTIONS -d${SECONDS_PER_RUN}s, $ROUNDS rounds"
echo "PostgreSQL pool: $POOL connections; pgbench -M prepared -c $POOL -j $THREADS"
echo
printf '%-6s %-30s %12s %10s\n' round run "requests/s" "p99 ms"
} | tee "$REPORT"

declare -a NGINX_RPS CONCORD_RPS HEALTH_RATIO ME_RPS PG_TPS ME_RATIO NGINX_P99 HEALTH_P99 ME_P99 PG_LAT
declare -a ORDER_PAIRS ORDER_P99 ORDER_TPS ORDER_LAT ORDER_RATIO
declare -a WORKERS_RPS WORKERS_RATIO EVENTLOOP_RPS EVENTLOOP_RATIO ME_SHAPE_RATIO
declare -a POINT_RPS POINT_P99 POINT_TPS POINT_RATIO PAGE_RPS PAGE_P99 PAGE_TPS PAGE_RATIO
pgbench_tps() {
    local out
    out=$("${PGUSER_RUN[@]}" "$PGBIN/pgbench" -n -M prepared -c "$POOL" -j "$THREADS" -T "$SECONDS_PER_RUN" "$@" "$PGCONN" 2>&1)
    if grep -q 'aborted\|ERROR' <<<"$out"; then echo "bench: pgbench $*: $out" >&2; exit 1; fi
    echo "$out" | awk '/^tps = / { printf "%.0f", $3 }'
}
for round in $(seq 1 "$ROUNDS"); do
    read -r n_rps n_p99 < <(run_wrk "http://127.0.0.1:$NGINX_PORT/healthz")
    read -r c_rps c_p99 < <(run_wrk "http://127.0.0.1:$PORT/healthz")
    read -r m_rps m_p99 < <(run_wrk -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT/me")
    pg_out=$("${PGUSER_RUN[@]}" "$PGBIN/pgbench" -n -M prepared -c "$POOL" -j "$THREADS" -T "$SECONDS_PER_RUN" \
        -f bench/me.sql -D "prefix=$PREFIX" "$PGCONN" 2>&1)
    p_tps=$(echo "$pg_out" | awk '/^tps = / { printf "%.0f", $3 }')
    p_lat=$(echo "$pg_out" | awk '/^latency average/ { print $4 }')
    read -r w_rps w_p99 < <(run_wrk -H "Authorization: Bearer $KEY" "http://127.0.0.1:$WORKERS_PORT/me")
    read -r e_rps e_p99 < <(run_wrk -H "Authorization: Bearer $KEY" "http://127.0.0.1:$EVENTLOOP_PORT/me")
    WORKERS_RPS+=("$w_rps"); EVENTLOOP_RPS+=("$e_rps")
    WORKERS_RATIO+=("$(ratio "$w_rps" "$p_tps")")
    EVENTLOOP_RATIO+=("$(ratio "$e_rps" "$p_tps")")
    read -r o_rps o_p99 < <(run_wrk -s bench/order.lua "http://127.0.0.1:$PORT/sales-orders")
    o_pairs=$(awk -v r="$o_rps" 'BEGIN { printf "%.0f", r / 2 }')
    po_out=$("${PGUSER_RUN[@]}" "$PGBIN/pgbench" -n -M prepared -c "$POOL" -j "$THREADS" -T "$SECONDS_PER_RUN" -f bench/order.sql \
        -D "prefix=$PREFIX" -D "customer=$CUSTOMER" -D "warehouse=$WAREHOUSE" \
        -D "item1=${ITEMS[0]}" -D "item2=${ITEMS[1]}" -D "item3=${ITEMS[2]}" "$PGCONN" 2>&1)
    o_tps=$(echo "$po_out" | awk '/^tps = / { printf "%.0f", $3 }')
    o_lat=$(echo "$po_out" | awk '/^latency average/ { print $4 }')
    if [[ -z "$o_tps" || "$o_tps" == 0 ]] || grep -q 'aborted\|ERROR' <<<"$po_out"; then
        echo "bench: pgbench order.sql failed: $po_out" >&2; exit 1
    fi
    ORDER_PAIRS+=("$o_pairs"); ORDER_P99+=("$o_p99"); ORDER_TPS+=("$o_tps"); ORDER_LAT+=("$o_lat")
    ORDER_RATIO+=("$(ratio "$o_pairs" "$o_tps")")
    read -r pt_rps pt_p99 < <(run_wrk -s bench/customer.lua "http://127.0.0.1:$PORT/customers")
    pt_tps=$(pgbench_tps -f bench/customer.sql -D "prefix=$PREFIX" -D "customers=$CUSTOMERS")
    read -r pg_rps pg_p99 < <(run_wrk -s bench/customers_page.lua "http://127.0.0.1:$PORT/customers")
    pg_tps=$(pgbench_tps -f bench/customers_page.sql -D "prefix=$PREFIX")
    POINT_RPS+=("$pt_rps"); POINT_P99+=("$pt_p99"); POINT_TPS+=("$pt_tps"); POINT_RATIO+=("$(ratio "$pt_rps" "$pt_tps")")
    PAGE_RPS+=("$pg_rps"); PAGE_P99+=("$pg_p99"); PAGE_TPS+=("$pg_tps"); PAGE_RATIO+=("$(ratio "$pg_rps" "$pg_tps")")
    NGINX_RPS+=("$n_rps"); NGINX_P99+=("$n_p99"); CONCORD_RPS+=("$c_rps"); HEALTH_P99+=("$c_p99")
    ME_RPS+=("$m_rps"); ME_P99+=("$m_p99"); PG_TPS+=("$p_tps"); PG_LAT+=("$p_lat")
    HEALTH_RATIO+=("$(ratio "$c_rps" "$n_rps")")
    ME_RATIO+=("$(ratio "$m_rps" "$p_tps")")
    ME_SHAPE_RATIO+=("$(ratio "$m_rps" "$w_rps")")
    {
    printf '%-6s %-30s %12s %10s\n' "$round" "nginx GET /" "$n_rps" "$n_p99"
    printf '%-6s %-30s %12s %10s\n' "$round" "concord GET /healthz" "$c_rps" "$c_p99"
    printf '%-6s %-30s %12s %10s\n' "$round" "concord GET /me" "$m_rps" "$m_p99"
    printf '%-6s %-30s %12s %10s\n' "$round" "pgbench same SQL" "$p_tps" "(avg $p_lat)"
    printf '%-6s %-30s %12s %10s\n' "$round" "C, Concord's shape, GET /me" "$w_rps" "$w_p99"
    printf '%-6s %-30s %12s %10s\n' "$round" "C, one event loop, GET /me" "$e_rps" "$e_p99"
    printf '%-6s %-30s %12s %10s\n' "$round" "concord order pairs/s" "$o_pairs" "$o_p99"
    printf '%-6s %-30s %12s %10s\n' "$round" "pgbench order.sql" "$o_tps" "(avg $o_lat)"
    printf '%-6s %-30s %12s %10s\n' "$round" "concord GET /customers/{n}" "$pt_rps" "$pt_p99"
    printf '%-6s %-30s %12s\n' "$round" "pgbench customer.sql" "$pt_tps"
    printf '%-6s %-30s %12s %10s\n' "$round" "concord page of 50" "$pg_rps" "$pg_p99"
    printf '%-6s %-30s %12s\n' "$round" "pgbench customers_page.sql" "$pg_tps"
    } | tee -a "$REPORT"
    rss_step "round $round"
done

# Page 1 against page 1,000 of the customer list, one request at a time (medians of 200).
page_url() { echo "http://127.0.0.1:$PORT/customers?limit=50${1:+&cursor=$1}"; }
next_cursor() { python3 -c 'import json, sys; print(json.load(sys.stdin)["next_cursor"] or "")'; }
CURSOR=""
for _ in $(seq 1 999); do CURSOR=$(curl -s -H "Authorization: Bearer $KEY" "$(page_url "$CURSOR")" | next_cursor); done
[[ -n "$CURSOR" ]] || { echo "bench: the customer list ended before page 1000" >&2; exit 1; }
latency_ms() { for _ in $(seq 1 200); do curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $KEY" "$1"; done \
    | awk '{ print $1 * 1000 }' | median; }
PAGE1_MS=$(latency_ms "$(page_url "")")
PAGE1000_MS=$(latency_ms "$(page_url "$CURSOR")")
rss_step "page 1000"
# `q` for one customer's email among all of them.
cat > "$WORK/search.lua" <<'LUA'
local key = os.getenv("BENCH_KEY")
local customers = tonumber(os.getenv("BENCH_CUSTOMERS"))
request = function()
    return wrk.format("GET", "/customers?q=buyer" .. math.random(1, customers) .. "%40", { ["Authorization"] = "Bearer " .. key })
end
LUA
# One user searching (one connection), and the same under the full load of the other runs.
# First a few seconds untimed: the first searches read the trigram index from disk, and the
# one-connection p99 would measure that cold start rather than a search.
SECONDS_PER_RUN=5 run_wrk -s "$WORK/search.lua" "http://127.0.0.1:$PORT/customers" >/dev/null
read -r SEARCH1_RPS SEARCH1_P99 < <(THREADS=1 CONNECTIONS=1 run_wrk -s "$WORK/search.lua" "http://127.0.0.1:$PORT/customers")
read -r SEARCH_RPS SEARCH_P99 < <(run_wrk -s "$WORK/search.lua" "http://127.0.0.1:$PORT/customers")
# A page of 50 for the `own`-scoped rep against the admin's unscoped page, each following its
# cursor through the list.
read -r ALL_RPS ALL_P99 < <(run_wrk -s bench/customers_page.lua "http://127.0.0.1:$PORT/customers")
read -r OWN_RPS OWN_P99 < <(BENCH_KEY=$OWN_KEY run_wrk -s bench/customers_page.lua "http://127.0.0.1:$PORT/customers")
rss_step "search, own page"

# The list workload with reads routed to a streaming standby beside the primary-only figure.
echo "bench: list workload through a read replica" >&2
read -r REPL_P_RPS REPL_P_P99 REPL_R_RPS REPL_R_P99 REPL_RATIO < <(
    BENCH_PRIMARY_PORT=$PORT BENCH_SOCKET=$SOCKET BIN=$BIN BENCH_KEY=$KEY BENCH_ROUNDS=$ROUNDS \
        BENCH_SECONDS=$SECONDS_PER_RUN BENCH_CONNECTIONS=$CONNECTIONS BENCH_THREADS=$THREADS bench/replica.sh | tail -1)
rss_step replica

# RSS with 1,000 idle keep-alive connections.
RSS_BEFORE=$(rss)
coproc IDLE { python3 bench/idle_conns.py "$PORT" 1000; }
read -r _ <&"${IDLE[0]}"
sleep 1
RSS_IDLE=$(rss)
RSS_IDLE_ANON=$(rss RssAnon)
eval "exec ${IDLE[1]}>&-"
wait "$IDLE_PID" 2>/dev/null || true

# The management reports: the endpoint's p50 (20 requests one after another) beside the
# average latency of its SQL under pgbench with one client.
report_p50() { for _ in $(seq 1 20); do curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $KEY" "$1"; done \
    | awk '{ print $1 * 1000 }' | median; }
sql_ms() { "${PGUSER_RUN[@]}" "$PGBIN/pgbench" -n -c 1 -j 1 -t 20 -f "$1" "$PGCONN" 2>&1 | awk '/^latency average/ { print $4 }'; }
MARGIN_MS=$(report_p50 "http://127.0.0.1:$PORT/reports/margin?group_by=month")
MARGIN_SQL_MS=$(sql_ms bench/margin.sql)
KPIS_MS=$(report_p50 "http://127.0.0.1:$PORT/reports/kpis")
KPIS_SQL_MS=$(sql_ms bench/kpis.sql)
RFM_MS=$(report_p50 "http://127.0.0.1:$PORT/reports/customer-rfm?limit=50")
RFM_SQL_MS=$(sql_ms bench/rfm.sql)
rss_step reports

m() { printf '%s\n' "$@" | median; }
{
echo
echo "medians of $ROUNDS rounds"
printf '  GET /healthz  concord %s req/s (p99 %s ms)  nginx %s req/s (p99 %s ms)  ratio %s  (goal >= 0.9)\n' \
    "$(m "${CONCORD_RPS[@]}")" "$(m "${HEALTH_P99[@]}")" "$(m "${NGINX_RPS[@]}")" "$(m "${NGINX_P99[@]}")" "$(m "${HEALTH_RATIO[@]}")"
printf '  GET /me       concord %s req/s (p99 %s ms)  pgbench %s tps (avg %s ms)  ratio %s\n' \
    "$(m "${ME_RPS[@]}")" "$(m "${ME_P99[@]}")" "$(m "${PG_TPS[@]}")" "$(m "${PG_LAT[@]}")" "$(m "${ME_RATIO[@]}")"
printf '                shape ceilings for GET /me, same SQL, nothing else: C in Concord'"'"'s shape %s req/s, ratio %s; C on one event loop %s req/s, ratio %s\n' \
    "$(m "${WORKERS_RPS[@]}")" "$(m "${WORKERS_RATIO[@]}")" "$(m "${EVENTLOOP_RPS[@]}")" "$(m "${EVENTLOOP_RATIO[@]}")"
printf '                concord against C in its shape: ratio %s  (goal >= 0.85)\n' "$(m "${ME_SHAPE_RATIO[@]}")"
printf '  order+confirm concord %s pairs/s (p99 %s ms per request)  pgbench %s tps (avg %s ms)  ratio %s  (goal >= 0.7)\n' \
    "$(m "${ORDER_PAIRS[@]}")" "$(m "${ORDER_P99[@]}")" "$(m "${ORDER_TPS[@]}")" "$(m "${ORDER_LAT[@]}")" "$(m "${ORDER_RATIO[@]}")"
printf '  GET /customers/{n}  concord %s req/s (p99 %s ms)  pgbench %s tps  ratio %s  (goal >= 0.6)\n' \
    "$(m "${POINT_RPS[@]}")" "$(m "${POINT_P99[@]}")" "$(m "${POINT_TPS[@]}")" "$(m "${POINT_RATIO[@]}")"
printf '  page of 50    concord %s req/s (p99 %s ms)  pgbench %s tps  ratio %s  (goal >= 0.5)\n' \
    "$(m "${PAGE_RPS[@]}")" "$(m "${PAGE_P99[@]}")" "$(m "${PAGE_TPS[@]}")" "$(m "${PAGE_RATIO[@]}")"
printf '  page 1000 vs page 1 of %s customers: %s ms vs %s ms, ratio %s  (goal <= 1.2)\n' \
    "$CUSTOMERS" "$PAGE1000_MS" "$PAGE1_MS" "$(ratio "$PAGE1000_MS" "$PAGE1_MS")"
printf '  q search      one connection: %s req/s, p99 %s ms  (goal p99 <= 50); %s connections: %s req/s, p99 %s ms\n' \
    "$SEARCH1_RPS" "$SEARCH1_P99" "$CONNECTIONS" "$SEARCH_RPS" "$SEARCH_P99"
printf '  own page of 50 (%s of %s owned)  %s req/s (p99 %s ms)  unscoped %s req/s (p99 %s ms)  time ratio %s  (goal <= 1.2)\n' \
    "$((CUSTOMERS / 100))" "$CUSTOMERS" "$OWN_RPS" "$OWN_P99" "$ALL_RPS" "$ALL_P99" "$(ratio "$ALL_RPS" "$OWN_RPS")"
printf '  page of 50 via a replica  concord reading a standby %s req/s (p99 %s ms)  on the primary alone %s req/s (p99 %s ms)  ratio %s  (same cores: the overhead, not a speed-up)\n' \
    "$REPL_R_RPS" "$REPL_R_P99" "$REPL_P_RPS" "$REPL_P_P99" "$REPL_RATIO"
printf '  reports on %s shipped lines: margin by month %s ms (SQL %s ms), kpis %s ms (SQL %s ms)  (goal p50 <= 2000); customer-rfm page %s ms (SQL %s ms)  (goal p50 <= 1000)\n' \
    "$SHIPPED_LINES" "$MARGIN_MS" "$MARGIN_SQL_MS" "$KPIS_MS" "$KPIS_SQL_MS" "$RFM_MS" "$RFM_SQL_MS"
printf '  RSS           %s MiB after the runs, %s MiB with 1000 idle keep-alive connections (%s MiB of it anonymous)  (goal < 50)\n' \
    "$RSS_BEFORE" "$RSS_IDLE" "$RSS_IDLE_ANON"
printf '                anonymous MiB along the way: %s\n' "$(printf '%s, ' "${RSS_STEPS[@]}" | sed 's/, $//')"
} | tee -a "$REPORT"
echo "report: $REPORT"
