#!/usr/bin/env bash
# daemons.sh start|stop RUNDIR [BIN]
#   start: runs xf-intake, xf-classify, xf-dispatch and xf-public in the background with
#          the settings of RUNDIR/env (XF_* lines); logs in RUNDIR/logs/,
#          pids in RUNDIR/pids/.  BIN defaults to bin (bin-san for SAN builds).
#   stop:  SIGTERM each (SIGKILL after 15 s) and wait until they are gone.
set -euo pipefail
# shellcheck source=deploy/scripts/lib.sh
. "$(dirname "$0")/lib.sh"

cmd=${1:-} run=${2:-}
[[ -n $cmd && -n $run ]] || die "usage: daemons.sh start|stop RUNDIR [BIN]"
bin=${3:-$XF_ROOT/bin}
run=$(abs_dir "$run")
mkdir -p "$run/logs" "$run/pids"

case $cmd in
start)
    [[ -f $run/env ]] || die "$run/env missing (start the stack first)"
    set -a
    # shellcheck disable=SC1091
    . "$run/env"
    set +a
    export XF_MODEL_PATH=${XF_MODEL_PATH:-$XF_ROOT/models/xf-category.model}
    for d in intake classify dispatch public; do
        if pid_alive "$(cat "$run/pids/xf-$d" 2>/dev/null || true)"; then
            continue
        fi
        daemonize "$run/logs/xf-$d.log" "$run/pids/xf-$d" "$bin/xf-$d"
    done
    log "daemons running; logs in $run/logs"
    ;;
stop)
    for d in intake classify dispatch public; do
        stop_group "$run/pids/xf-$d"
    done
    ;;
*) die "unknown command $cmd" ;;
esac
