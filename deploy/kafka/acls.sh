#!/usr/bin/env bash
# deploy/kafka/acls.sh: the Kafka principals of Xinfang Router and their ACLs,
# least privilege (README "Security"). For a broker with the authorizer on
# (authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer,
# allow.everyone.if.no.acl.found=false). Adding an ACL that exists changes
# nothing, so it can be run again, e.g. for a new department.
# Usage:
#   deploy/kafka/acls.sh --bootstrap HOST:PORT --command-config FILE [options]
#     --command-config FILE  the admin client's properties (a super user, or
#                            one allowed to alter ACLs and SCRAM users)
#     --group-prefix P       the daemons' XF_GROUP_PREFIX (default xf)
#     --department CODE      principal User:dept-CODE (repeat per department)
#     --bureau CODE          principal User:bureau, the petition bureau (its
#                            department code: the rules' triage department)
#     --upstream SYSTEM      principal User:upstream-SYSTEM (its source.system)
#     --users FILE           also set SCRAM-SHA-512 users: "NAME PASSWORD" lines
#     --print                print the steps (without passwords), change nothing
# Principals and what each may do:
#   User:xf-intake      read hotline.events (group P-intake); write
#                       petition.received, petition.receipts, petition.dlq
#   User:xf-classify    read petition.received (group P-classify); write
#                       petition.classified, petition.dlq
#   User:xf-dispatch    read petition.classified, department.feedback (group
#                       P-dispatch); write assignments.*, case.events,
#                       petition.updates, petition.dlq; describe groups P-*
#                       and read the other input topics for its lag monitor
#   (the three)         IdempotentWrite on the cluster (idempotent producers)
#   User:xfctl          create the topics; read and write the topics a dead
#                       letter is replayed to; describe groups P-* (xfctl lag)
#   User:dept-CODE      read assignments.CODE; write department.feedback;
#                       groups dept-CODE:*
#   User:upstream-SYS   write hotline.events, and department.feedback (a
#                       citizen_side sender rates cases); read
#                       petition.receipts and petition.updates (all of them:
#                       Kafka has no per-key ACL); groups upstream-SYS:*
#   User:bureau         read assignments.CODE and case.events; write
#                       department.feedback; groups bureau:*
# The tools (kafka.admin.AclCommand, kafka.admin.ConfigCommand of Kafka 3.9)
# run in one JVM (deploy/kafka/KafkaBatch.java, a source file: java needs its
# compiler, a JDK) through $KAFKA_RUN: a command that runs a class with the
# Kafka jars; default kafka-run-class.sh. KAFKA_BATCH=0 runs a JVM per step
# instead (seconds each; a JRE suffices; --users passwords are then on
# command lines).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { printf 'acls.sh: error: %s\n' "$*" >&2; exit 1; }

bootstrap='' config='' prefix=xf bureau='' users='' print=0
depts=() upstreams=() steps=()

# name_ok WHAT VALUE: department codes and system names as the rules allow
# codes; none holds ':', which ends a principal's group prefix.
name_ok() { [[ $2 =~ ^[a-z0-9][a-z0-9._-]{0,63}$ ]] || die "bad $1: '$2'"; }

parse() {
    while (($#)); do
        [[ $# -ge 2 || $1 == --print ]] || die "$1 needs a value"
        case $1 in
            --bootstrap) bootstrap=$2 ;;
            --command-config) config=$2 ;;
            --group-prefix) prefix=$2 ;;
            --department) name_ok department "$2" && depts+=("$2") ;;
            --bureau) name_ok bureau "$2" && bureau=$2 ;;
            --upstream) name_ok upstream "$2" && upstreams+=("$2") ;;
            --users) users=$2 ;;
            --print) print=1 && shift && continue ;;
            *) die "unknown option $1 (see the comment at the top of $0)" ;;
        esac
        shift 2
    done
    [[ -n $bootstrap && -n $config ]] || die "--bootstrap and --command-config are required"
    [[ -r $config ]] || die "cannot read $config"
    [[ $prefix =~ ^[A-Za-z0-9._-]+$ ]] || die "bad group prefix '$prefix'"
}

# acl ARGS...: one AclCommand --add step: every principal named gets every
# operation on every resource named.
acl() { steps+=("kafka.admin.AclCommand --bootstrap-server $bootstrap --command-config $config --add $*"); }

# allow WHO... -- ARGS...: acl with --allow-principal User:WHO for each WHO.
allow() {
    local p=()
    while [[ $1 != -- ]]; do p+=(--allow-principal "User:$1") && shift; done
    shift
    acl "${p[@]}" "$@"
}

RD=(--operation Read --operation Describe)
WD=(--operation Write --operation Describe)

daemons() {
    local g=$prefix
    allow xf-intake -- "${RD[@]}" --topic hotline.events --group "$g-intake"
    allow xf-intake -- "${WD[@]}" --topic petition.received --topic petition.receipts \
        --topic petition.dlq
    allow xf-classify -- "${RD[@]}" --topic petition.received --group "$g-classify"
    allow xf-classify -- "${WD[@]}" --topic petition.classified --topic petition.dlq
    # dispatch's lag monitor dates the oldest waiting message of every input
    allow xf-dispatch -- "${RD[@]}" --topic petition.classified \
        --topic department.feedback --topic hotline.events --topic petition.received \
        --group "$g-dispatch"
    allow xf-dispatch -- "${WD[@]}" --topic case.events --topic petition.updates \
        --topic petition.dlq
    allow xf-dispatch -- "${WD[@]}" --resource-pattern-type prefixed --topic assignments.
    allow xf-intake xf-classify xf-dispatch xfctl -- --operation IdempotentWrite --cluster
    allow xf-dispatch xfctl -- --operation Describe --resource-pattern-type prefixed \
        --group "$g-"
    allow xf-dispatch xfctl -- --operation Describe --group xf.lag-probe
}

xfctl_acls() {
    allow xfctl -- --operation Create --operation Describe --topic hotline.events \
        --topic petition.received --topic petition.receipts --topic petition.dlq \
        --topic petition.classified --topic case.events --topic department.feedback \
        --topic petition.updates
    allow xfctl -- --operation Create --operation Describe --resource-pattern-type prefixed \
        --topic assignments.
    # dlq replay writes a dead letter back to its source topic; lag reads them
    allow xfctl -- "${RD[@]}" --operation Write --topic hotline.events \
        --topic petition.received --topic petition.classified --topic department.feedback
}

# outsiders: departments, upstream systems, the bureau; each its own groups.
outsiders() {
    local d s who=()
    for d in "${depts[@]}"; do
        allow "dept-$d" -- "${RD[@]}" --topic "assignments.$d"
        allow "dept-$d" -- --operation Read --operation Describe \
            --resource-pattern-type prefixed --group "dept-$d:"
        who+=("dept-$d")
    done
    if [[ -n $bureau ]]; then
        allow bureau -- "${RD[@]}" --topic "assignments.$bureau" --topic case.events
        allow bureau -- "${RD[@]}" --resource-pattern-type prefixed --group bureau:
        who+=(bureau)
    fi
    who+=("${upstreams[@]/#/upstream-}") # citizen_side senders rate cases
    ((${#who[@]} == 0)) || allow "${who[@]}" -- "${WD[@]}" --topic department.feedback
    ((${#upstreams[@]} == 0)) && return 0
    allow "${upstreams[@]/#/upstream-}" -- "${WD[@]}" --topic hotline.events
    allow "${upstreams[@]/#/upstream-}" -- "${RD[@]}" --topic petition.receipts \
        --topic petition.updates
    for s in "${upstreams[@]}"; do
        allow "upstream-$s" -- "${RD[@]}" --resource-pattern-type prefixed \
            --group "upstream-$s:"
    done
}

# scram_users: a step per "NAME PASSWORD" line of the users file.
scram_users() {
    local name pw
    [[ -n $users ]] || return 0
    [[ -r $users ]] || die "cannot read $users"
    while read -r name pw; do
        [[ -z $name || $name == \#* ]] && continue
        [[ $name =~ ^[a-z0-9][a-z0-9._-]{0,80}$ ]] || die "bad user name '$name'"
        [[ $pw =~ ^[A-Za-z0-9._~-]{16,}$ ]] ||
            die "password of $name: 16 or more of [A-Za-z0-9._~-]"
        steps+=("kafka.admin.ConfigCommand --bootstrap-server $bootstrap --command-config $config --alter --entity-type users --entity-name $name --add-config SCRAM-SHA-512=[password=$pw]")
    done <"$users"
}

parse "$@"
scram_users
daemons
xfctl_acls
outsiders
if ((print)); then
    printf '%s\n' "${steps[@]}" | sed 's/\[password=[^]]*\]/[password=...]/'
    exit 0
fi
read -ra run <<<"${KAFKA_RUN:-kafka-run-class.sh}"
if [[ ${KAFKA_BATCH:-1} == 1 ]]; then
    printf '%s\n' "${steps[@]}" | "${run[@]}" "$here/KafkaBatch.java" ||
        die "a step failed (see above); rerun when it is fixed"
else
    for step in "${steps[@]}"; do
        read -ra words <<<"$step"
        "${run[@]}" "${words[@]}" || die "step failed: ${step%%--add-config*}"
    done
fi
printf 'acls.sh: %d steps applied\n' "${#steps[@]}" >&2
