# shellcheck shell=bash
# Shared helpers for deploy/scripts/*.sh.  Source it; do not run it.

# Repository root (this file lives in deploy/scripts/).
XF_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export XF_ROOT

# log MSG... / die MSG...: messages go to stderr, prefixed with the script name.
log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# need CMD...: fail early with a hint when a tool is missing.
need() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || die "'$c' not found; run deploy/scripts/setup.sh"
    done
}

# abs_dir DIR: create DIR if needed and print its absolute path.
abs_dir() { mkdir -p -- "$1" && (cd -- "$1" && pwd); }

# port_free PORT: true when nothing on this host listens on TCP port PORT.
# Connections left in TIME_WAIT by a server we just stopped do not count:
# PostgreSQL and Kafka bind with SO_REUSEADDR, so a restart keeps its port
# (clients that still hold the old address reconnect to the same one).
port_free() { [[ -z $(ss -Htln "( sport = :$1 )" 2>/dev/null) ]]; }

# free_port [PREFERRED] [EXCLUDED...]: print a free TCP port.  PREFERRED (may be
# empty) is kept when free, so a restart keeps its address.  Other candidates
# come from 20000-31999, below Linux's ephemeral range.  No EXCLUDED port is
# ever printed (pass the ports already chosen for the same server).
free_port() {
    local p=${1:-} i x ok
    shift || true
    for ((i = 0; i < 200; i++)); do
        if ((i > 0)) || [[ -z $p ]]; then p=$((20000 + RANDOM % 12000)); fi
        ok=1
        for x in "$@"; do [[ $p == "$x" ]] && ok=0; done
        if ((ok)) && port_free "$p"; then echo "$p"; return; fi
    done
    die "no free TCP port found"
}

# pid_alive PID: true when PID runs and is not a zombie.
pid_alive() {
    local st
    [[ -n ${1:-} ]] && st=$(ps -o stat= -p "$1" 2>/dev/null) && [[ $st != Z* ]]
}

# wait_for SECONDS WHAT CMD...: run CMD every half second until it succeeds.
# After SECONDS it logs and returns 1 (the caller cleans up and dies).
# CMD may itself call die to give up early.
wait_for() {
    local secs=$1 what=$2 deadline
    shift 2
    deadline=$((SECONDS + secs))
    until "$@"; do
        if ((SECONDS >= deadline)); then
            log "timed out after ${secs}s waiting for $what"
            return 1
        fi
        sleep 0.5
    done
}

# write_env FILE KEY=VALUE...: write shell KEY=value lines atomically.
write_env() {
    local f=$1
    shift
    printf '%s\n' "$@" >"$f.tmp" && mv -f -- "$f.tmp" "$f"
}

# close_fds: close every descriptor above 2 in the current shell; call it in a
# subshell before starting a daemon, so that no caller's pipe (a test
# harness's fd 3, make's jobserver) stays open for the daemon's lifetime.
close_fds() {
    local fd
    for fd in /proc/self/fd/*; do
        fd=${fd##*/}
        if ((fd > 2)) && [[ -e /proc/self/fd/$fd ]]; then eval "exec $fd>&-"; fi
    done
}

# daemonize LOG PIDFILE CMD...: run CMD in its own session (so its process group
# can be killed as one), stdin from /dev/null, output appended to LOG, no other
# inherited descriptors, its pid in PIDFILE.
daemonize() {
    local logf=$1 pidf=$2
    shift 2
    (
        close_fds
        # Not a group leader here, so setsid needs no fork: $! is the daemon.
        exec setsid "$@" </dev/null >>"$logf" 2>&1
    ) &
    echo $! >"$pidf"
}

# stop_group PIDFILE [GRACE]: SIGTERM the process group led by the pid in
# PIDFILE, SIGKILL it after GRACE seconds (default 15), wait until it is gone.
stop_group() {
    local pidf=$1 grace=${2:-15} pid deadline
    pid=$(cat -- "$pidf" 2>/dev/null) || return 0
    if pid_alive "$pid"; then
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        deadline=$((SECONDS + grace))
        while pid_alive "$pid" && ((SECONDS < deadline)); do sleep 0.3; done
        if pid_alive "$pid"; then
            log "pid $pid still running after ${grace}s; sending SIGKILL"
            kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
            deadline=$((SECONDS + 10))
            while pid_alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
            pid_alive "$pid" && die "pid $pid survived SIGKILL"
        fi
    fi
    rm -f -- "$pidf"
}

# tls_certs DIR: a private CA (DIR/ca.crt, ca.key) and a server certificate
# it signs (DIR/server.crt, server.key: PKCS#8, unencrypted) for CN localhost
# with SAN IP:127.0.0.1 and DNS:localhost, made once with openssl and kept.
tls_certs() {
    local d=$1
    [[ -s $d/server.crt && -s $d/server.key && -s $d/ca.crt ]] && return 0
    need openssl
    mkdir -p "$d"
    (
        umask 077
        cd "$d" || exit 1
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=xf test CA" \
            -addext basicConstraints=critical,CA:TRUE \
            -addext keyUsage=critical,keyCertSign,cRLSign \
            -keyout ca.key -out ca.crt 2>/dev/null &&
            openssl req -newkey rsa:2048 -nodes -subj /CN=localhost \
                -keyout server.key -out server.csr 2>/dev/null &&
            printf '%s\n' 'subjectAltName=IP:127.0.0.1,DNS:localhost' \
                'extendedKeyUsage=serverAuth' >server.ext &&
            openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
                -days 825 -extfile server.ext -out server.crt 2>/dev/null &&
            rm -f server.csr server.ext ca.srl && chmod 644 ca.crt server.crt
    ) || die "openssl could not make the certificates in $d"
}
