#!/usr/bin/env bash
# Put the local Docker engine back the way .ci/docker-setup.sh leaves it.
#
#   bash .ci/docker-teardown.sh            # leave swarm, remove leftover smoke-check objects
#   bash .ci/docker-teardown.sh --images   # ... and remove the procfleet-test/* images
#   bash .ci/docker-teardown.sh --stop     # ... and stop dockerd (the one in /var/run/docker.pid)
#
# Safe to run any number of times, and when no engine is running at all.
set -euo pipefail

REMOVE_IMAGES=0
STOP_DAEMON=0
for arg in "$@"; do
    case "$arg" in
        --images) REMOVE_IMAGES=1 ;;
        --stop) STOP_DAEMON=1 ;;
        -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
        *) echo "docker-teardown: unknown argument: $arg" >&2; exit 2 ;;
    esac
done

DOCKERD_PIDFILE=/var/run/docker.pid
log() { printf '[docker-teardown] %s\n' "$*"; }

if docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
    if [ "$(docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null)" != inactive ]; then
        log "leaving swarm"
        docker swarm leave --force >/dev/null 2>&1 || true
    fi
    # Created by the first swarm task; useless once the node has left.
    if docker network inspect docker_gwbridge >/dev/null 2>&1; then
        docker network rm docker_gwbridge >/dev/null 2>&1 || true
    fi
    # Leftovers of an interrupted `docker-setup.sh --smoke`.
    ids=$(docker ps -aq --filter name=procfleet-ci-smoke; docker ps -aq --filter label=com.docker.compose.project=procfleet-ci-smoke)
    if [ -n "$ids" ]; then
        # shellcheck disable=SC2086
        docker rm -f $ids >/dev/null 2>&1 || true
    fi
    docker network rm procfleet-ci-smoke_default >/dev/null 2>&1 || true
    if [ "$REMOVE_IMAGES" = 1 ]; then
        imgs=$(docker image ls -q 'procfleet-test/*' | sort -u)
        if [ -n "$imgs" ]; then
            log "removing procfleet-test/* images"
            # shellcheck disable=SC2086
            docker rmi -f $imgs >/dev/null 2>&1 || true
        fi
    fi
else
    log "no docker engine answering"
fi

if [ "$STOP_DAEMON" = 1 ] && [ -f "$DOCKERD_PIDFILE" ]; then
    pid=$(cat "$DOCKERD_PIDFILE")
    if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]; then
        log "stopping dockerd (pid $pid)"
        kill -TERM "$pid"
        for _ in $(seq 1 60); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        if kill -0 "$pid" 2>/dev/null; then
            log "dockerd (pid $pid) did not stop within 30s" >&2
            exit 1
        fi
    fi
fi
log "done"
