#!/usr/bin/env bash
# A three-node MariaDB Galera cluster on loopback, for trying registrar on a
# multi-primary database and for the cluster tests (tests/app/cluster.rs).
#
#   galera.sh up           start nodes 1-3 (ports 3311-3313), wait until all are Synced
#   galera.sh down         stop every node this script started (by its recorded PID)
#   galera.sh kill N       kill -9 node N (1-3), as a crash would
#   galera.sh restart N    bring node N back: recover its position, catch up by IST
#   galera.sh status       each node's state and the cluster size
#
# Node i listens on 127.0.0.1:331i (SQL) and 457i (group communication),
# 458i (IST), 459i (SST). Everything lives under $GALERA_STATE (default
# /tmp/registrar-galera): datadirs, sockets, logs, PID files. Only the
# processes whose PIDs this script recorded are ever stopped.
set -euo pipefail

STATE=${GALERA_STATE:-/tmp/registrar-galera}
NODES=(1 2 3)
CLUSTER="gcomm://127.0.0.1:4571,127.0.0.1:4572,127.0.0.1:4573"
MARIADB=$(command -v mariadb || command -v mysql)

node_dir() { echo "$STATE/node$1"; }
pid_file() { echo "$STATE/node$1/mariadbd.pid"; }
cnf() { echo "$STATE/node$1.cnf"; }
port() { echo "331$1"; }

write_cnf() {
    local i=$1 dir
    dir=$(node_dir "$i")
    cat >"$(cnf "$i")" <<EOF
[mysqld]
user=mysql
datadir=$dir/data
socket=$dir/mysqld.sock
pid-file=$(pid_file "$i")
log-error=$dir/error.log
port=$(port "$i")
bind-address=127.0.0.1
skip-name-resolve
binlog_format=ROW
innodb_autoinc_lock_mode=2
innodb_flush_log_at_trx_commit=1
innodb_buffer_pool_size=64M
max_connections=200
wsrep_on=ON
wsrep_provider=/usr/lib/galera/libgalera_smm.so
wsrep_cluster_name=registrar_test
wsrep_cluster_address=$CLUSTER
wsrep_node_name=node$i
wsrep_node_address=127.0.0.1:457$i
wsrep_node_incoming_address=127.0.0.1:$(port "$i")
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:457$i;ist.recv_addr=127.0.0.1:458$i;gcache.size=128M"
wsrep_sst_receive_address=127.0.0.1:459$i
wsrep_sst_method=rsync
EOF
}

sql() {
    local i=$1
    shift
    "$MARIADB" -h 127.0.0.1 -P "$(port "$i")" -u root -N -B -e "$*" 2>/dev/null
}

node_state() {
    sql "$1" "SHOW STATUS LIKE 'wsrep_local_state_comment'" | awk '{print $2}'
}

# Whether a process runs (a zombie, killed but not yet reaped, does not).
running_pid() {
    [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status"
}

running() {
    local pid
    [ -f "$(pid_file "$1")" ] || return 1
    pid=$(cat "$(pid_file "$1")")
    running_pid "$pid"
}

wait_synced() {
    local i=$1
    for _ in $(seq 1 120); do
        if [ "$(node_state "$i" || true)" = "Synced" ]; then
            echo "node$i synced"
            return 0
        fi
        sleep 0.5
    done
    echo "node$i did not reach Synced; see $(node_dir "$i")/error.log" >&2
    tail -n 30 "$(node_dir "$i")/error.log" >&2 || true
    return 1
}

# Starts node i in the background with extra mariadbd arguments; records
# the PID of the mariadbd process itself.
start_node() {
    local i=$1
    shift
    local dir
    dir=$(node_dir "$i")
    setsid /usr/sbin/mariadbd --defaults-file="$(cnf "$i")" "$@" \
        >>"$dir/stdout.log" 2>&1 </dev/null &
    echo $! >"$(pid_file "$i").started"
}

up() {
    mkdir -p "$STATE"
    chmod 755 "$STATE"
    for i in "${NODES[@]}"; do
        if running "$i"; then
            echo "node$i is already running" >&2
            continue
        fi
        mkdir -p "$(node_dir "$i")/data"
        chown -R mysql:mysql "$(node_dir "$i")"
        write_cnf "$i"
    done
    if ! running 1; then
        if [ ! -d "$(node_dir 1)/data/mysql" ]; then
            mariadb-install-db --defaults-file="$(cnf 1)" --user=mysql \
                --auth-root-authentication-method=normal >"$(node_dir 1)/install.log" 2>&1
        fi
        start_node 1 --wsrep-new-cluster
        wait_synced 1
        # Root from 127.0.0.1 without a password, as the test kit connects.
        sql 1 "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
               GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;" || true
    fi
    for i in 2 3; do
        if ! running "$i"; then
            start_node "$i"
            wait_synced "$i"
        fi
    done
    status
}

stop_node() {
    local i=$1 signal=$2 pid
    [ -f "$(pid_file "$i").started" ] || return 0
    pid=$(cat "$(pid_file "$i").started")
    if kill -0 "$pid" 2>/dev/null; then
        kill "-$signal" "$pid" 2>/dev/null || true
        for _ in $(seq 1 60); do
            running_pid "$pid" || break
            sleep 0.5
        done
        running_pid "$pid" && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$(pid_file "$i").started"
}

down() {
    for i in 3 2 1; do
        stop_node "$i" TERM
    done
    rm -rf "$STATE"
    echo "galera cluster stopped"
}

kill_node() {
    local i=$1 pid
    pid=$(cat "$(pid_file "$i").started")
    kill -9 "$pid"
    while running_pid "$pid"; do sleep 0.1; done
    rm -f "$(pid_file "$i").started"
    echo "node$i killed"
}

restart_node() {
    local i=$1 position
    if running "$i"; then
        echo "node$i is running" >&2
        return 1
    fi
    # The position the crashed node reached, so that it catches up by
    # incremental state transfer instead of a full copy.
    /usr/sbin/mariadbd --defaults-file="$(cnf "$i")" --wsrep-recover \
        --log-error="$(node_dir "$i")/recover.log" >/dev/null 2>&1 || true
    position=$(grep -o 'Recovered position: [^ ]*' "$(node_dir "$i")/recover.log" |
        tail -n1 | awk '{print $3}')
    if [ -n "$position" ]; then
        start_node "$i" "--wsrep_start_position=$position"
    else
        start_node "$i"
    fi
    wait_synced "$i"
}

status() {
    for i in "${NODES[@]}"; do
        printf 'node%s port %s: %s, cluster size %s\n' "$i" "$(port "$i")" \
            "$(node_state "$i" || echo down)" \
            "$(sql "$i" "SHOW STATUS LIKE 'wsrep_cluster_size'" | awk '{print $2}' || echo -)"
    done
}

case "${1:-}" in
up) up ;;
down) down ;;
kill) kill_node "${2:?node number}" ;;
restart) restart_node "${2:?node number}" ;;
status) status ;;
*)
    echo "usage: $0 up|down|kill N|restart N|status" >&2
    exit 2
    ;;
esac
