#!/usr/bin/env bash
# Make the local Docker engine a single-node swarm manager for procfleet's Swarm tests.
#
#   bash .ci/swarm-setup.sh       # init a swarm unless the engine is already a manager of one
#   bash .ci/swarm-teardown.sh    # leave it again, but only if this script created it
#
# Idempotent. The engine must be running (.ci/docker-setup.sh starts it). Whether this script
# initialised the swarm is recorded in a state file, so that the teardown leaves a swarm that was
# there before alone. A swarm this script initialised and an interrupted run never left is still
# recorded as ours, and is reused (and later left) as such.
#
# The manager advertises 10.77.0.1 on the bridge .ci/swarm-cluster.sh plugs its worker nodes into (the script
# creates the bridge first), so that the same swarm can grow to three nodes; a swarm this script initialised
# earlier on another address is initialised again (when it runs no service).
#
# Environment knobs (all optional):
#   PROCFLEET_SWARM_STATE          the state file          (default /tmp/procfleet-ci/swarm.state)
#   PROCFLEET_SWARM_ADDR           --advertise-addr        (default 10.77.0.1, the cluster's bridge)
#   PROCFLEET_SWARM_READY_TIMEOUT  seconds to wait for the node to be Ready   (default 30)
set -euo pipefail

STATE=${PROCFLEET_SWARM_STATE:-/tmp/procfleet-ci/swarm.state}
BRIDGE_ADDR=10.77.0.1
ADDR=${PROCFLEET_SWARM_ADDR:-$BRIDGE_ADDR}
READY_TIMEOUT=${PROCFLEET_SWARM_READY_TIMEOUT:-30}

log() { printf '[swarm-setup] %s\n' "$*"; }
die() { printf '[swarm-setup] ERROR: %s\n' "$*" >&2; exit 1; }

case "${1:-}" in
    "") ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "swarm-setup: unknown argument: $1" >&2; exit 2 ;;
esac

docker version --format '{{.Server.Version}}' >/dev/null 2>&1 \
    || die "no Docker engine answers (run .ci/docker-setup.sh first)"

swarm_state() { docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}' 2>/dev/null; }

if [ "$ADDR" = "$BRIDGE_ADDR" ]; then
    bash "$(dirname "$0")/swarm-cluster.sh" bridge || die "cannot create the cluster's bridge (.ci/swarm-cluster.sh bridge)"
fi

mkdir -p "$(dirname "$STATE")"
state=$(swarm_state)
if [ "$state" = "active true" ] && [ "$(cat "$STATE" 2>/dev/null)" = initialised ] \
        && [ "$(docker info --format '{{.Swarm.NodeAddr}}')" != "$ADDR" ]; then
    # An address cannot be changed in place (--force-new-cluster keeps the old one for joins): init again.
    [ -z "$(docker service ls -q)" ] || die "the swarm an earlier run initialised advertises $(docker info --format '{{.Swarm.NodeAddr}}'), not $ADDR, and runs services: remove them (or run .ci/swarm-teardown.sh) first"
    log "the swarm an earlier run initialised advertises $(docker info --format '{{.Swarm.NodeAddr}}'): initialising it again on $ADDR"
    docker swarm leave --force >/dev/null
    state=$(swarm_state)
fi
case "$state" in
    "active true")
        if [ "$(cat "$STATE" 2>/dev/null)" = initialised ]; then
            log "the engine is still the single-node swarm an earlier run initialised: reusing it"
        else
            echo found >"$STATE"
            log "the engine is already a swarm manager: using it as found (the teardown will not leave it)"
        fi
        ;;
    "inactive false")
        # Mark before acting: if init is interrupted half-way, the teardown still cleans up.
        echo initialised >"$STATE"
        log "initialising a single-node swarm (advertise address $ADDR)"
        docker swarm init --advertise-addr "$ADDR" >/dev/null || die "docker swarm init failed"
        ;;
    "active false")
        die "this engine is a swarm worker, not a manager: the tests need a manager (leave with \`docker swarm leave\`, or promote it from a manager with \`docker node promote\`)"
        ;;
    locked*)
        die "this engine's swarm is locked: unlock it with \`docker swarm unlock\`"
        ;;
    *)
        die "unexpected swarm state \"$state\" (pending or error: \`bash .ci/swarm-teardown.sh --force\` leaves it)"
        ;;
esac

deadline=$(( $(date +%s) + READY_TIMEOUT ))
until [ "$(docker node ls --filter role=manager --format '{{.Self}} {{.Status}}' 2>/dev/null | grep -c '^true Ready$')" = 1 ]; do
    [ "$(date +%s)" -lt "$deadline" ] || die "the swarm node did not become Ready within ${READY_TIMEOUT}s"
    sleep 0.5
done
ipvs="IPVS present: ingress-mode ports and VIPs work"
[ -d /proc/sys/net/ipv4/vs ] || ipvs="no IPVS in this kernel: set [backends.swarm] port_mode = \"host\" and endpoint_mode = \"dnsrr\" (docs/backends/swarm.md)"
log "swarm manager ready ($(cat "$STATE"); $ipvs)"
