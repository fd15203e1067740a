#!/usr/bin/env bash
# A private PostgreSQL 15 cluster on 127.0.0.1 (trust auth on loopback only),
# with database xf.  Run as root, the server runs as the postgres user.
# Usage:
#   deploy/scripts/pg.sh start RUNDIR   start (or find running); writes RUNDIR/pg.env
#   deploy/scripts/pg.sh stop RUNDIR    stop (fast shutdown) if running; removes RUNDIR/pg.env
#   deploy/scripts/pg.sh status RUNDIR  exit 0 and print the URL if running
# RUNDIR/pg/ holds data/ (cluster, port in data/xf.conf) and sock/ (unix
# socket); the server log is RUNDIR/logs/postgres.log.
# TLS is on, with a certificate of a private CA made once in RUNDIR/pg/tls/
# (XF_TEST_PG_CA). The role xf_tls may log in only over TLS with its
# password (XF_TEST_PG_TLS_URL, no database): the tests prove TLS with it.
set -euo pipefail
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PGBIN=${XF_PGBIN:-/usr/lib/postgresql/15/bin}

# as_pg CMD...: run CMD as the postgres user when we are root (PostgreSQL
# refuses to run as root), from a directory that user can enter.
as_pg() {
    if ((EUID == 0)); then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

running() { [[ -f $1/PG_VERSION ]] && as_pg "$PGBIN/pg_ctl" status -D "$1" >/dev/null 2>&1; }

# conf_port DATADIR: the port written by an earlier start, if any.
conf_port() { sed -n "s/^port = \([0-9]*\)$/\1/p" "$1/xf.conf" 2>/dev/null || true; }

# write_hba DATADIR: who may connect, rewritten on every start. Loopback only
# (listen_addresses is 127.0.0.1), trusted, but for the role xf_tls: over TLS
# with its SCRAM password, refused without TLS and on the unix socket.
write_hba() {
    printf '%s\n' '# Written by deploy/scripts/pg.sh; rewritten on every start.' \
        'hostssl all xf_tls 127.0.0.1/32 scram-sha-256' \
        'hostnossl all xf_tls 127.0.0.1/32 reject' 'local all xf_tls reject' \
        'local all all trust' 'host all all 127.0.0.1/32 trust' \
        'local replication all trust' 'host replication all 127.0.0.1/32 trust' \
        >"$1/pg_hba.conf"
    [[ $EUID -ne 0 ]] || chown postgres: "$1/pg_hba.conf"
}

# tls_role PORT PASSWORDFILE: the role xf_tls, with the password in the file
# (made once).
tls_role() {
    [[ -s $2 ]] || (umask 077 && openssl rand -hex 24 >"$2")
    psql -h 127.0.0.1 -p "$1" -U postgres -d postgres -Xq -v ON_ERROR_STOP=1 \
        -v pw="$(<"$2")" >/dev/null <<'SQL'
SELECT 'CREATE ROLE xf_tls LOGIN' WHERE NOT EXISTS
    (SELECT 1 FROM pg_roles WHERE rolname = 'xf_tls') \gexec
ALTER ROLE xf_tls PASSWORD :'pw';
SQL
}

start() {
    local run dir data sock logf port
    run=$(abs_dir "$1") dir=$run/pg
    data=$dir/data sock=$dir/sock logf=$run/logs/postgres.log
    [[ -x $PGBIN/pg_ctl ]] || die "PostgreSQL 15 not found in $PGBIN; run deploy/scripts/setup.sh"
    need pg_isready psql ss

    if running "$data"; then
        port=$(conf_port "$data")
        log "already running on 127.0.0.1:$port"
    else
        mkdir -p "$data" "$sock" "$run/logs"
        touch "$logf"
        chmod 755 "$run" "$dir" "$run/logs" # the server user must traverse these
        if ((EUID == 0)); then
            chown postgres: "$data" "$sock" "$logf"
            as_pg test -x "$run" ||
                die "user postgres cannot reach $run; make its parent directories world-searchable (chmod o+x)"
        fi
        chmod 700 "$data"

        if [[ ! -f $data/PG_VERSION ]]; then
            log "initdb $data"
            as_pg "$PGBIN/initdb" -D "$data" -U postgres --auth=trust \
                -E UTF8 --locale=C.UTF-8 >>"$logf" 2>&1 || die "initdb failed; see $logf"
            echo "include_if_exists = 'xf.conf'" >>"$data/postgresql.conf"
        fi
        write_hba "$data"
        tls_certs "$dir/tls"
        [[ $EUID -ne 0 ]] || chown postgres: "$dir/tls/server.key"

        # Our settings, rewritten on every start; keep the old port when free.
        port=$(free_port "$(conf_port "$data")")
        cat >"$data/xf.conf" <<EOF
# Written by deploy/scripts/pg.sh; rewritten on every start.
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$sock'
max_connections = 100
shared_buffers = 32MB
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = all
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
ssl = on
ssl_cert_file = '$dir/tls/server.crt'
ssl_key_file = '$dir/tls/server.key'
EOF
        [[ $EUID -ne 0 ]] || chown postgres: "$data/xf.conf"

        log "starting on 127.0.0.1:$port (log: $logf)"
        (close_fds && as_pg "$PGBIN/pg_ctl" start -D "$data" -l "$logf" -w -t 60 -s </dev/null) ||
            { tail -n 20 "$logf" >&2; die "PostgreSQL did not start; see $logf"; }
    fi

    wait_for 30 "PostgreSQL on 127.0.0.1:$port" \
        pg_isready -q -h 127.0.0.1 -p "$port" -d postgres -U postgres ||
        die "PostgreSQL not ready; see $logf"
    if [[ -z $(psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -XtAc \
        "SELECT 1 FROM pg_database WHERE datname = 'xf'") ]]; then
        psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -Xq -c 'CREATE DATABASE xf OWNER postgres'
    fi
    tls_role "$port" "$dir/tls/xf_tls.password" || die "could not set up the role xf_tls"
    write_env "$run/pg.env" "XF_DATABASE_URL=postgresql://postgres@127.0.0.1:$port/xf" \
        "XF_TEST_PG_CA=$dir/tls/ca.crt" \
        "XF_TEST_PG_TLS_URL=postgresql://xf_tls:$(<"$dir/tls/xf_tls.password")@127.0.0.1:$port"
    log "ready: XF_DATABASE_URL=postgresql://postgres@127.0.0.1:$port/xf ($run/pg.env)"
}

stop() {
    local run
    run=$(cd "$1" 2>/dev/null && pwd) || return 0 # no RUNDIR: nothing to stop
    if running "$run/pg/data"; then
        as_pg "$PGBIN/pg_ctl" stop -D "$run/pg/data" -m fast -w -t 60 -s
    fi
    rm -f "$run/pg.env"
}

status() {
    local run
    run=$(cd "$1" 2>/dev/null && pwd) || run=/nonexistent
    if running "$run/pg/data"; then
        echo "postgres: running, $(cat "$run/pg.env" 2>/dev/null)"
    else
        echo "postgres: stopped"
        return 1
    fi
}

case ${1:-} in
    start | stop | status)
        [[ $# -eq 2 ]] || die "usage: $0 $1 RUNDIR"
        "$1" "$2"
        ;;
    *)
        sed -n '4,7p' "${BASH_SOURCE[0]}" >&2
        exit 2
        ;;
esac
