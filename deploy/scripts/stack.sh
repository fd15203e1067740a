#!/usr/bin/env bash
# stack.sh up|down: the same real stack the tests use, in the background,
# for trying things by hand (make up / make down).
#   up:   private PostgreSQL + Apache Kafka 3.9.1 (KRaft) in .run/stack,
#         migrations, core topics, the sample rules (if none are imported),
#         then xf-intake, xf-classify, xf-dispatch with /metrics, /healthz and
#         /readyz on 127.0.0.1:8081-8083. Writes .run/env.
#   down: stops the daemons, the broker and PostgreSQL (data is kept).
set -euo pipefail
# shellcheck source=deploy/scripts/lib.sh
. "$(dirname "$0")/lib.sh"

run=$(abs_dir "$XF_ROOT/.run/stack")
scripts=$XF_ROOT/deploy/scripts

case ${1:-} in
up)
    "$scripts/setup.sh" --kafka
    "$scripts/pg.sh" start "$run"
    "$scripts/kafka.sh" start "$run"
    # a development stack: the secrets' development defaults (README "Secrets")
    { cat "$run/pg.env" "$run/kafka.env"; echo XF_ENV=development; } >"$run/env"
    set -a
    # shellcheck disable=SC1091
    . "$run/env"
    set +a
    cp "$run/env" "$XF_ROOT/.run/env"
    xfctl=$XF_ROOT/bin/xfctl
    "$xfctl" migrate
    "$xfctl" topics create
    if ! "$xfctl" rules export >/dev/null 2>&1; then
        "$xfctl" rules import "$XF_ROOT/deploy/examples/rules.json"
    fi
    "$scripts/daemons.sh" start "$run"
    cat <<EOF2

Xinfang Router is up.
  settings:  .run/env ($(tr '\n' ' ' <"$run/env"))
  logs:      $run/logs/
  status page: http://127.0.0.1:8083/   (xf-dispatch: lag, throughput, dead letters, cases, departments)
  ready:     http://127.0.0.1:8081/readyz (intake), :8082 (classify), :8083 (dispatch)
  citizens:  http://127.0.0.1:8090/c/<case id>?code=<query code>   (xf-public; xfctl case qr CASE_ID)
  metrics:   http://127.0.0.1:8081/metrics ...
  try:       set -a; . .run/env; set +a
             bin/xfctl publish hotline.events deploy/examples/petitions.jsonl
             bin/xfctl cases; bin/xfctl lag
  stop:      make down
EOF2
    ;;
down)
    "$scripts/daemons.sh" stop "$run"
    "$scripts/kafka.sh" stop "$run"
    "$scripts/pg.sh" stop "$run"
    rm -f "$XF_ROOT/.run/env"
    ;;
*) die "usage: stack.sh up|down" ;;
esac
