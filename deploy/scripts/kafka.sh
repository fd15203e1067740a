#!/usr/bin/env bash
# A private single-node Apache Kafka 3.9.1 broker (KRaft, combined
# broker+controller) run with plain java from the jars on Maven Central.
# Usage:
#   deploy/scripts/kafka.sh fetch          jars into ${XF_CACHE:-~/.cache/xf}/kafka-3.9.1/lib
#   deploy/scripts/kafka.sh start RUNDIR   start (if not running); writes RUNDIR/kafka.env
#   deploy/scripts/kafka.sh stop RUNDIR    stop (if running); removes RUNDIR/kafka.env
#   deploy/scripts/kafka.sh status RUNDIR  exit 0 and print the address if running
#   deploy/scripts/kafka.sh run CLASS ARGS...  run a Kafka tool class (e.g.
#                                          kafka.admin.AclCommand) with the jars
# RUNDIR/kafka/ holds server.properties, pid, ports and data/; the log is
# RUNDIR/logs/kafka.log (the previous one is kept as kafka.log.1).
# Two listeners on 127.0.0.1: PLAINTEXT (XF_KAFKA_BROKERS; its principal
# User:ANONYMOUS is a super user) and SASL_SSL with SCRAM-SHA-512
# (XF_TEST_KAFKA_SASL_BROKERS), whose certificates (a private CA,
# XF_TEST_KAFKA_CA) are made once in RUNDIR/kafka/tls/. ACLs are enforced
# (StandardAuthorizer, nothing allowed without one): the super user xf-admin
# connects over SASL_SSL with XF_TEST_KAFKA_ADMIN_CONFIG (a client
# properties file) and runs deploy/kafka/acls.sh.
set -euo pipefail
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KAFKA_VERSION=3.9.1
CACHE=${XF_CACHE:-$HOME/.cache/xf}/kafka-$KAFKA_VERSION
LIB=$CACHE/lib
POM=$XF_ROOT/deploy/kafka/pom.xml
LOG4J=$XF_ROOT/deploy/kafka/log4j.properties
MARKER=$CACHE/complete # holds the pom's checksum, so editing the pom refetches

fetched() { [[ -f $MARKER && $(<"$MARKER") == "$(sha256sum <"$POM")" ]]; }

# fetch: copy the broker's runtime jars from Maven Central into $LIB, once.
fetch() {
    fetched && return 0
    need mvn java sha256sum flock
    mkdir -p "$CACHE"
    (
        flock 9 # two concurrent fetches must not share the temp dir
        fetched && exit 0
        log "fetching Kafka $KAFKA_VERSION jars from Maven Central into $LIB"
        rm -rf "$LIB.tmp"
        # Maven's output (progress, stray colour codes) is shown only on failure.
        mvn -q -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
            -DincludeScope=runtime -DoutputDirectory="$LIB.tmp" >"$CACHE/mvn.log" 2>&1 ||
            { cat "$CACHE/mvn.log" >&2; die "maven failed (log: $CACHE/mvn.log)"; }
        [[ -f $LIB.tmp/kafka_2.13-$KAFKA_VERSION.jar ]] || die "maven did not fetch kafka_2.13"
        rm -rf "$LIB"
        mv "$LIB.tmp" "$LIB"
        sha256sum <"$POM" >"$MARKER"
    ) 9>"$CACHE/lock"
}

# kjava ARGS...: java with the broker's classpath and logging configuration.
kjava() { java -Dlog4j.configuration="file:$LOG4J" -cp "$LIB/*" "$@"; }

# ready PID LOG PORT: the broker logged its start and answers a metadata request.
ready() {
    pid_alive "$1" || { tail -n 40 "$2" >&2; die "Kafka exited during startup; see $2"; }
    grep -q 'Kafka Server started' "$2" &&
        timeout 10 kcat -b "127.0.0.1:$3" -L -m 5 >/dev/null 2>&1
}

# tls_setup DIR: the broker's PEM key store, the xf-admin SCRAM password and
# the admin client's properties, in DIR (made once, kept).
tls_setup() {
    local d=$1
    tls_certs "$d"
    cat "$d/server.key" "$d/server.crt" >"$d/broker.pem"
    chmod 600 "$d/broker.pem"
    [[ -s $d/admin.password ]] || (umask 077 && openssl rand -hex 24 >"$d/admin.password")
    (
        umask 077
        cat >"$d/admin.properties" <<EOF
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="xf-admin" password="$(<"$d/admin.password")";
ssl.truststore.type=PEM
ssl.truststore.location=$d/ca.crt
EOF
    )
}

# admin_scram DIR PORT LOG: a data directory formatted before SASL_SSL came
# has no xf-admin: add it once over the PLAINTEXT listener (a super user).
admin_scram() {
    [[ -f $1/admin.scram ]] && return 0
    # through standard input (KafkaBatch), so the password is in no argv
    echo "kafka.admin.ConfigCommand --bootstrap-server 127.0.0.1:$2 --alter" \
        "--entity-type users --entity-name xf-admin" \
        "--add-config SCRAM-SHA-512=[password=$(<"$1/tls/admin.password")]" |
        kjava "$XF_ROOT/deploy/kafka/KafkaBatch.java" >>"$3" 2>&1 ||
        die "could not add the SCRAM user xf-admin; see $3"
    touch "$1/admin.scram"
}

start() {
    local run dir pidf logf props port cport sport id
    local old_port='' old_cport='' old_sport=''
    run=$(abs_dir "$1") dir=$run/kafka
    pidf=$dir/pid logf=$run/logs/kafka.log props=$dir/server.properties
    if pid_alive "$(cat "$pidf" 2>/dev/null)"; then
        log "already running (pid $(<"$pidf"))"
        return 0
    fi
    fetch
    need java kcat ss timeout setsid
    mkdir -p "$dir/data" "$run/logs"

    # Keep the previous ports when they are still free.
    [[ -f $dir/ports ]] && read -r old_port old_cport old_sport <"$dir/ports"
    port=$(free_port "$old_port" "$old_cport" "$old_sport")
    cport=$(free_port "$old_cport" "$port" "$old_sport")
    sport=$(free_port "$old_sport" "$port" "$cport")
    echo "$port $cport $sport" >"$dir/ports"
    tls_setup "$dir/tls"

    cat >"$props" <<EOF
# Written by deploy/scripts/kafka.sh; rewritten on every start.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,SASL_SSL://127.0.0.1:$sport,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port,SASL_SSL://127.0.0.1:$sport
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PEM
ssl.keystore.location=$dir/tls/broker.pem
ssl.client.auth=none
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
# The PLAINTEXT and CONTROLLER listeners' principal (the broker itself,
# and every PLAINTEXT client) and the SASL_SSL administrator.
super.users=User:ANONYMOUS;User:xf-admin
log.dirs=$dir/data
num.partitions=4
default.replication.factor=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
min.insync.replicas=1
group.initial.rebalance.delay.ms=0
message.max.bytes=4194304
replica.fetch.max.bytes=4194304
num.network.threads=2
num.io.threads=2
background.threads=2
num.recovery.threads.per.data.dir=1
log.cleaner.threads=1
log.cleaner.dedupe.buffer.size=2097152
EOF

    # Keep one previous log; then format the storage on first use only.
    [[ -s $logf ]] && mv -f "$logf" "$logf.1"
    : >"$logf"
    if [[ ! -f $dir/data/meta.properties ]]; then
        id=$(kjava kafka.tools.StorageTool random-uuid 2>>"$logf" | tail -n 1)
        kjava kafka.tools.StorageTool format -t "$id" -c "$props" \
            --add-scram "SCRAM-SHA-512=[name=xf-admin,password=$(<"$dir/tls/admin.password")]" \
            >>"$logf" 2>&1 || die "formatting $dir/data failed; see $logf"
        touch "$dir/admin.scram"
    fi

    daemonize "$logf" "$pidf" java -Xmx512m -Xms512m -XX:+ExitOnOutOfMemoryError \
        -Djava.awt.headless=true -Dlog4j.configuration="file:$LOG4J" \
        -cp "$LIB/*" kafka.Kafka "$props"
    log "started pid $(<"$pidf"), waiting for 127.0.0.1:$port (log: $logf)"
    if ! wait_for 90 "Kafka on 127.0.0.1:$port" ready "$(<"$pidf")" "$logf" "$port"; then
        stop_group "$pidf"
        die "Kafka did not become ready; see $logf"
    fi
    admin_scram "$dir" "$port" "$logf"
    write_env "$run/kafka.env" "XF_KAFKA_BROKERS=127.0.0.1:$port" \
        "XF_TEST_KAFKA_SASL_BROKERS=127.0.0.1:$sport" "XF_TEST_KAFKA_CA=$dir/tls/ca.crt" \
        "XF_TEST_KAFKA_ADMIN_CONFIG=$dir/tls/admin.properties"
    log "ready: XF_KAFKA_BROKERS=127.0.0.1:$port, SASL_SSL on 127.0.0.1:$sport ($run/kafka.env)"
}

stop() {
    local run=$1
    [[ -d $run ]] || return 0
    stop_group "$run/kafka/pid" 15
    rm -f "$run/kafka.env"
}

status() {
    local pidf=$1/kafka/pid
    if pid_alive "$(cat "$pidf" 2>/dev/null)"; then
        echo "kafka: running, pid $(<"$pidf"), $(cat "$1/kafka.env" 2>/dev/null)"
    else
        echo "kafka: stopped"
        return 1
    fi
}

case ${1:-} in
    fetch) fetch ;;
    run)
        [[ $# -ge 2 ]] || die "usage: $0 run CLASS ARGS..."
        shift
        fetch
        kjava "$@"
        ;;
    start | stop | status)
        [[ $# -eq 2 ]] || die "usage: $0 $1 RUNDIR"
        "$1" "$2"
        ;;
    *)
        sed -n '4,10p' "${BASH_SOURCE[0]}" >&2
        exit 2
        ;;
esac
