#!/usr/bin/env bash
# Install the Debian packages Xinfang Router needs to build, test and run its
# local stack.  Idempotent and fast when everything is already there.
# Usage: deploy/scripts/setup.sh [--kafka]
#   --kafka  also fetch the Apache Kafka broker jars (deploy/scripts/kafka.sh fetch)
set -euo pipefail
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

fetch_kafka=0
for arg in "$@"; do
    case $arg in
        --kafka) fetch_kafka=1 ;;
        -h | --help) sed -n '2,5p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) die "unknown option: $arg" ;;
    esac
done

# clang-14, libfuzzer-14-dev and libclang-rt-14-dev: make fuzz (tests/fuzz/);
# clang-format-14: the format check of make test; libpcre2-dev: JSON Schema patterns;
# python3-jsonschema: the reference validator of tests/schema_agree.py;
# libqrencode-dev, libpng-dev: xf-public's QR codes; zbar-tools, chromium: e2e_public
# decodes them and opens the status page; python3-jieba: the word list of
# deploy/scripts/gen-segdict.sh and the reference of tests/segment_agree.py.
PKGS=(gcc make pkg-config librdkafka-dev libjansson-dev libpq-dev libcurl4-openssl-dev
    libssl-dev libmicrohttpd-dev postgresql postgresql-contrib kcat maven
    openjdk-17-jdk-headless procps iproute2 python3-yaml liblinear-dev libutf8proc-dev
    prometheus chromium fonts-wqy-microhei clang-14 libfuzzer-14-dev
    libclang-rt-14-dev clang-format-14 libpcre2-dev python3-jsonschema
    libqrencode-dev libpng-dev zbar-tools python3-jieba)

# One dpkg-query for all packages (unknown ones print nothing, hence || true);
# then pure bash matching, so a complete machine costs one process.
installed=$'\n'$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${PKGS[@]}" 2>/dev/null || true)$'\n'
missing=()
for p in "${PKGS[@]}"; do
    [[ $installed == *$'\n'"$p installed"$'\n'* ]] || missing+=("$p")
done

if ((${#missing[@]})); then
    log "installing: ${missing[*]}"
    sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null || die "not root and no sudo; install: ${missing[*]}"
        sudo=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -q
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${missing[@]}"
    # prometheus is here for promtool (tests/deploy_check.sh).  Its postinst
    # enables its server and starts it through invoke-rc.d or, under systemd,
    # deb-systemd-invoke.  In a container without systemd nothing starts:
    # invoke-rc.d finds no runlevel, and Docker's Debian images also deny it
    # in /usr/sbin/policy-rc.d.  Where an init system did start it, switch it
    # off again: it would hold :9090, which docker-compose.yml publishes.
    if [[ " ${missing[*]} " == *" prometheus "* ]]; then
        if [[ -d /run/systemd/system ]]; then
            "${sudo[@]}" systemctl disable --now --quiet prometheus.service || true
        else
            "${sudo[@]}" update-rc.d prometheus disable >/dev/null 2>&1 || true
            "${sudo[@]}" /etc/init.d/prometheus stop >/dev/null 2>&1 || true
        fi
    fi
fi

if ((fetch_kafka)); then
    "$XF_ROOT/deploy/scripts/kafka.sh" fetch
fi
