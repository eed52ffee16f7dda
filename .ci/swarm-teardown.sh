#!/usr/bin/env bash
# Leave the swarm .ci/swarm-setup.sh initialised, and only that one: a swarm the engine was already
# in before the setup ran is left alone.
#
#   bash .ci/swarm-teardown.sh           # leave the swarm if swarm-setup.sh created it
#   bash .ci/swarm-teardown.sh --force   # leave whatever swarm the engine is in
#
# Safe to run any number of times, and when no engine is running at all.
set -euo pipefail

STATE=${PROCFLEET_SWARM_STATE:-/tmp/procfleet-ci/swarm.state}
FORCE=0
case "${1:-}" in
    "") ;;
    --force) FORCE=1 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "swarm-teardown: unknown argument: $1" >&2; exit 2 ;;
esac

log() { printf '[swarm-teardown] %s\n' "$*"; }

if ! docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
    log "no docker engine answering"
    exit 0
fi

# The workers of .ci/swarm-cluster.sh, if they are up: they would be left in a swarm that is gone.
if [ -e "${PROCFLEET_CLUSTER_RUN:-/run/procfleet-cluster}/nodes" ]; then
    bash "$(dirname "$0")/swarm-cluster.sh" down
fi

recorded=$(cat "$STATE" 2>/dev/null || true)
if [ "$FORCE" = 0 ] && [ "$recorded" != initialised ]; then
    log "the swarm was not initialised by swarm-setup.sh: leaving it as found"
    rm -f "$STATE"
    exit 0
fi

if [ "$(docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null)" != inactive ]; then
    log "leaving the swarm"
    docker swarm leave --force >/dev/null
fi
# Created by the first swarm task; `docker swarm leave` keeps it.
if docker network inspect docker_gwbridge >/dev/null 2>&1; then
    docker network rm docker_gwbridge >/dev/null 2>&1 || true
fi
# The bridge swarm-setup.sh advertised the swarm on (.ci/swarm-cluster.sh creates it), once no swarm uses it.
bash "$(dirname "$0")/swarm-cluster.sh" bridge --remove
rm -f "$STATE"
log "done"
