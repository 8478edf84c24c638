#!/usr/bin/env bash
# PostgreSQL with a synchronous standby that takes over (pg_auto_failover),
# behind HAProxy, on loopback: for trying registrar on a failover pair and
# for the cluster tests (tests/app/cluster.rs).
#
#   pg-failover.sh up            monitor (6000), node1 (6001), node2 (6002), HAProxy (6010)
#   pg-failover.sh down          stop everything this script started (by recorded PID)
#   pg-failover.sh kill-primary  kill -9 the whole primary node (pg_autoctl and postgres)
#   pg-failover.sh rejoin        start the killed node again: it rejoins as a standby
#   pg-failover.sh status        the monitor's view and which port is the primary
#
# Connect registrar to postgres://postgres@127.0.0.1:6010/registrar: HAProxy
# sends connections only to the node that is a primary and not read-only,
# and refuses them while there is no such node. Runs as the postgres user
# (PostgreSQL refuses root). State lives under $PG_FAILOVER_STATE (default
# /tmp/registrar-pg-failover).
set -euo pipefail

STATE=${PG_FAILOVER_STATE:-/tmp/registrar-pg-failover}
export PG_FAILOVER_STATE=$STATE
PGBIN=/usr/lib/postgresql/15/bin
MONITOR_PORT=6000
PROXY_PORT=6010
MONITOR_URI="postgres://autoctl_node@127.0.0.1:$MONITOR_PORT/pg_auto_failover?sslmode=require"

as_pg() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- env \
            XDG_CONFIG_HOME="$STATE/xdg/config" XDG_DATA_HOME="$STATE/xdg/data" \
            XDG_RUNTIME_DIR="$STATE/xdg/run" PATH="$PGBIN:$PATH" "$@"
    else
        env XDG_CONFIG_HOME="$STATE/xdg/config" XDG_DATA_HOME="$STATE/xdg/data" \
            XDG_RUNTIME_DIR="$STATE/xdg/run" PATH="$PGBIN:$PATH" "$@"
    fi
}

psql_at() {
    local port=$1
    shift
    as_pg psql -h 127.0.0.1 -p "$port" -U postgres -d "${DB:-postgres}" -Atqc "$*" 2>/dev/null
}

# Starts `pg_autoctl run` for a data dir in its own session; records the
# PID (the session leader: kill its process group to take the node down).
run_node() {
    local name=$1 pgdata=$STATE/$1
    # setsid first: runuser, pg_autoctl and the postgres it starts share one
    # process group, led by the PID recorded.
    setsid "$0" as-postgres pg_autoctl run --pgdata "$pgdata" >>"$STATE/$name.log" 2>&1 </dev/null &
    echo $! >"$STATE/$name.pid"
}

node_pid() { cat "$STATE/$1.pid" 2>/dev/null; }

alive() {
    local pid
    pid=$(node_pid "$1") || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

wait_sql() {
    local port=$1
    for _ in $(seq 1 120); do
        psql_at "$port" "select 1" >/dev/null && return 0
        sleep 0.5
    done
    echo "nothing answers on port $port" >&2
    return 1
}

create_node() {
    local name=$1 port=$2
    as_pg pg_autoctl create postgres --pgdata "$STATE/$name" --pgport "$port" \
        --pgctl "$PGBIN/pg_ctl" --listen 127.0.0.1 --hostname 127.0.0.1 --name "$name" \
        --dbname registrar --monitor "$MONITOR_URI" --auth trust --ssl-self-signed \
        --replication-quorum true >>"$STATE/$name.log" 2>&1
    as_pg pg_autoctl config set --pgdata "$STATE/$name" timeout.network_partition_timeout 2 \
        >/dev/null
    cat >>"$STATE/$name/postgresql.auto.conf" <<EOF
shared_buffers = '64MB'
max_connections = 200
EOF
    run_node "$name"
}

primary_port() {
    for port in 6001 6002; do
        if [ "$(psql_at "$port" "select pg_is_in_recovery()")" = "f" ]; then
            echo "$port"
            return 0
        fi
    done
    return 1
}

# The state the monitor assigned to each node, e.g. "primary secondary".
states() {
    DB=pg_auto_failover psql_at "$MONITOR_PORT" \
        "select string_agg(nodename || '=' || reportedstate, ' ' order by nodename) from pgautofailover.node"
}

wait_pair() {
    for _ in $(seq 1 240); do
        local s
        s=$(states || true)
        if [[ "$s" == *"=primary"* && "$s" == *"=secondary"* ]]; then
            echo "pair ready: $s"
            return 0
        fi
        sleep 0.5
    done
    echo "the pair did not become primary + secondary: $(states || true)" >&2
    return 1
}

write_haproxy() {
    # A PostgreSQL startup packet (protocol 3.0, user postgres, database
    # registrar); the server answers with ParameterStatus messages, among
    # them default_transaction_read_only and in_hot_standby: only a primary
    # that accepts writes reports both "off".
    cat >"$STATE/haproxy.cfg" <<EOF
global
    maxconn 500
defaults
    mode tcp
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout check 1s
frontend pg
    bind 127.0.0.1:$PROXY_PORT
    tcp-request connection reject if !{ nbsrv(pg_primary) eq 1 }
    default_backend pg_primary
backend pg_primary
    option tcp-check
    tcp-check connect
    tcp-check send-binary 0000002a000300007573657200706f737467726573006461746162617365007265676973747261720000
    tcp-check expect rstring default_transaction_read_only.off
    tcp-check connect
    tcp-check send-binary 0000002a000300007573657200706f737467726573006461746162617365007265676973747261720000
    tcp-check expect rstring in_hot_standby.off
    default-server inter 500ms fall 1 rise 1 on-marked-down shutdown-sessions
    server node1 127.0.0.1:6001 check
    server node2 127.0.0.1:6002 check
EOF
}

up() {
    mkdir -p "$STATE/xdg/config" "$STATE/xdg/data" "$STATE/xdg/run"
    chmod 755 "$STATE"
    [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$STATE"
    chmod 700 "$STATE/xdg/run"
    if ! alive monitor; then
        as_pg pg_autoctl create monitor --pgdata "$STATE/monitor" --pgport "$MONITOR_PORT" \
            --pgctl "$PGBIN/pg_ctl" --hostname 127.0.0.1 --auth trust --ssl-self-signed \
            >>"$STATE/monitor.log" 2>&1
        as_pg pg_autoctl config set --pgdata "$STATE/monitor" \
            postgresql.listen_addresses 127.0.0.1 >/dev/null
        cat >>"$STATE/monitor/postgresql.auto.conf" <<EOF
shared_buffers = '32MB'
pgautofailover.health_check_period = 1000
pgautofailover.health_check_timeout = 1000
pgautofailover.health_check_max_retries = 1
pgautofailover.health_check_retry_delay = 500
pgautofailover.node_considered_unhealthy_timeout = 2000
pgautofailover.primary_demote_timeout = 3000
EOF
        run_node monitor
        wait_sql "$MONITOR_PORT"
    fi
    alive node1 || create_node node1 6001
    wait_sql 6001
    alive node2 || create_node node2 6002
    wait_pair
    write_haproxy
    if ! [ -f "$STATE/haproxy.pid" ] || ! kill -0 "$(cat "$STATE/haproxy.pid")" 2>/dev/null; then
        haproxy -D -f "$STATE/haproxy.cfg" -p "$STATE/haproxy.pid"
    fi
    for _ in $(seq 1 40); do
        DB=registrar psql_at "$PROXY_PORT" "select 1" >/dev/null && break
        sleep 0.25
    done
    status
}

# Whether a process runs (a zombie, killed but not yet reaped, does not).
running_pid() {
    [ -n "$1" ] && [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status"
}

# Kills a node's whole process tree: pg_autoctl's session and postgres
# (which pg_autoctl would otherwise restart in place, with no failover).
kill_tree() {
    local name=$1 signal=$2 pid pm
    pid=$(node_pid "$name") || return 0
    pm=$(head -n1 "$STATE/$name/postmaster.pid" 2>/dev/null || true)
    kill "-$signal" -- "-$pid" 2>/dev/null || true
    [ -n "$pm" ] && kill "-$signal" "$pm" 2>/dev/null || true
    for _ in $(seq 1 40); do
        running_pid "$pid" || running_pid "$pm" || break
        sleep 0.25
    done
    kill -9 -- "-$pid" 2>/dev/null || true
    [ -n "$pm" ] && kill -9 "$pm" 2>/dev/null || true
    rm -f "$STATE/$name.pid"
}

kill_primary() {
    local port name
    port=$(primary_port)
    name=node$((port - 6000))
    kill_tree "$name" 9
    echo "$name" >"$STATE/killed"
    echo "killed $name (port $port)"
}

rejoin() {
    local name
    name=$(cat "$STATE/killed")
    rm -f "$STATE/$name/postmaster.pid"
    run_node "$name"
    wait_pair
}

down() {
    if [ -f "$STATE/haproxy.pid" ]; then
        kill "$(cat "$STATE/haproxy.pid")" 2>/dev/null || true
    fi
    for name in node2 node1 monitor; do
        kill_tree "$name" TERM
    done
    rm -rf "$STATE"
    echo "pg failover pair stopped"
}

status() {
    echo "monitor: $(states || echo unreachable)"
    echo "primary port: $(primary_port || echo none)"
    echo "through haproxy ($PROXY_PORT): $(DB=registrar psql_at "$PROXY_PORT" \
        "select current_setting('port')" || echo refused)"
}

case "${1:-}" in
as-postgres)
    shift
    as_pg "$@"
    ;;
up) up ;;
down) down ;;
kill-primary) kill_primary ;;
rejoin) rejoin ;;
status) status ;;
*)
    echo "usage: $0 up|down|kill-primary|rejoin|status" >&2
    exit 2
    ;;
esac
