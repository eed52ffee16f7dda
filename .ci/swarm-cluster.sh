#!/usr/bin/env bash
# A three-node swarm on this one machine: the host's engine (the manager) and two more Docker engines, each in
# its own network namespace, joined as workers.
#
#   bash .ci/swarm-cluster.sh up [--drain]   # start the workers and join them (--drain: join them drained)
#   bash .ci/swarm-cluster.sh down           # stop them, remove them from the swarm, delete what they kept
#   bash .ci/swarm-cluster.sh status         # the nodes, as the manager sees them
#   bash .ci/swarm-cluster.sh start NODE     # start one worker's engine again (after it was killed)
#   bash .ci/swarm-cluster.sh bridge [--remove]  # only the bridge the manager advertises on (for swarm-setup.sh
#                                                # and swarm-teardown.sh)
#
# Each worker is a dockerd with its own --data-root, --exec-root, socket and pidfile, started in a network
# namespace whose only addresses are loopback and 10.77.0.N on a veth pair plugged into the bridge pfcl0
# (10.77.0.1, the manager's advertise address). Idempotent: up starts only what is missing, and both up and
# down clean up after a run that was killed half-way. Root only. See docs/ci-engines.md.
#
# Environment knobs (all optional):
#   PROCFLEET_CLUSTER_DIR      where the workers keep their state   (default /var/lib/procfleet-cluster)
#   PROCFLEET_CLUSTER_RUN      sockets, pidfiles, the node list     (default /run/procfleet-cluster)
#   PROCFLEET_CLUSTER_IMAGES   images copied into every worker      (default the procfleet-test images)
#   PROCFLEET_CLUSTER_TIMEOUT  seconds to wait for an engine or a node (default 60)
set -euo pipefail

STATE_DIR=${PROCFLEET_CLUSTER_DIR:-/var/lib/procfleet-cluster}
RUN_DIR=${PROCFLEET_CLUSTER_RUN:-/run/procfleet-cluster}
IMAGES=${PROCFLEET_CLUSTER_IMAGES:-procfleet-test/busybox:latest procfleet-test/python:latest}
TIMEOUT=${PROCFLEET_CLUSTER_TIMEOUT:-60}
BRIDGE=pfcl0
SUBNET_PREFIX=10.77.0
MANAGER_ADDR=$SUBNET_PREFIX.1
WORKERS=(pfworker1 pfworker2)
DAEMON_PATH=/usr/sbin:/usr/bin:/sbin:/bin
# A node reported down after 3 missed heartbeats: 1 s instead of Swarm's 5 s, so a lost node shows in seconds.
HEARTBEAT=1s
NODES_FILE=$RUN_DIR/nodes

T0=$(date +%s)
log() { printf '[swarm-cluster +%ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
die() { printf '[swarm-cluster] ERROR: %s\n' "$*" >&2; exit 1; }

index_of() { local i; for i in "${!WORKERS[@]}"; do [ "${WORKERS[$i]}" = "$1" ] && { echo "$i"; return; }; done; return 1; }
addr_of() { echo "$SUBNET_PREFIX.$(( $(index_of "$1") + 2 ))"; }
sock_of() { echo "$RUN_DIR/$1/docker.sock"; }
pidfile_of() { echo "$RUN_DIR/$1/docker.pid"; }
wdocker() { local node=$1; shift; docker -H "unix://$(sock_of "$node")" "$@"; }
alive() { local pid; pid=$(cat "$1" 2>/dev/null) && [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ]; }

# -- the bridge -------------------------------------------------------------------------------------------------

bridge_up() {
    if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
        ip link add "$BRIDGE" type bridge
    fi
    grep -q "inet $MANAGER_ADDR/24" <<<"$(ip addr show dev "$BRIDGE")" || ip addr add "$MANAGER_ADDR/24" dev "$BRIDGE"
    # no IPv6 link-local address either: the cluster's addresses are 10.77.0.0/24 and loopback only
    sysctl -qw "net.ipv6.conf.$BRIDGE.disable_ipv6=1" 2>/dev/null || true
    ip link set "$BRIDGE" up
    # Docker's FORWARD policy is DROP, and bridged frames pass through it (br_netfilter): let the nodes talk.
    iptables -C FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null \
        || iptables -I FORWARD 1 -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT
}

bridge_down() {
    iptables -D FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null || true
    ip link del "$BRIDGE" 2>/dev/null || true
}

# -- one worker -------------------------------------------------------------------------------------------------

netns_up() {
    local node=$1 addr host_if="${1}h"
    grep -qw "^$node" <<<"$(ip netns list)" || ip netns add "$node"
    ip -n "$node" link set lo up
    addr=$(addr_of "$node")
    if ! ip -n "$node" link show eth0 >/dev/null 2>&1; then
        ip link del "$host_if" 2>/dev/null || true
        ip link add "$host_if" type veth peer name "${node}n"
        ip link set "${node}n" netns "$node"
        ip -n "$node" link set "${node}n" name eth0
    fi
    sysctl -qw "net.ipv6.conf.$host_if.disable_ipv6=1" 2>/dev/null || true
    ip netns exec "$node" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1 2>/dev/null || true
    ip link set "$host_if" master "$BRIDGE" up
    grep -q "inet $addr/24" <<<"$(ip -n "$node" addr show dev eth0)" || ip -n "$node" addr add "$addr/24" dev eth0
    ip -n "$node" link set eth0 up
}

# Every process a worker started: its engine, containerd, the shims (all in the namespace) and the containers
# (in their own network namespaces, but in the worker's cgroup).
worker_pids() {
    local node=$1
    ip netns pids "$node" 2>/dev/null || true
    cat /sys/fs/cgroup/pids/"procfleet-$node"/*/cgroup.procs /sys/fs/cgroup/pids/"procfleet-$node"/cgroup.procs \
        /sys/fs/cgroup/"procfleet-$node"/*/cgroup.procs 2>/dev/null || true
}

kill_worker() {
    local node=$1 pids
    pids=$(worker_pids "$node" | sort -u)
    [ -z "$pids" ] && return 0
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    for _ in $(seq 1 50); do
        [ -z "$(worker_pids "$node")" ] && return 0
        sleep 0.1
    done
    log "$node: processes still there: $(worker_pids "$node" | tr '\n' ' ')"
}

start_engine() {
    local node=$1 sock pidfile
    sock=$(sock_of "$node")
    pidfile=$(pidfile_of "$node")
    if alive "$pidfile" dockerd && wdocker "$node" version >/dev/null 2>&1; then
        return
    fi
    if ! alive "$pidfile" dockerd; then
        kill_worker "$node"   # what a killed engine left running: a new one would not adopt it
        netns_up "$node"
        mkdir -p "$STATE_DIR/$node" "$RUN_DIR/$node"
        rm -f "$pidfile" "$sock"
        log "$node: starting dockerd at $(addr_of "$node") (log: $STATE_DIR/$node/dockerd.log)"
        # In the node's network namespace, with its own host name (the one `docker node ls` shows) and its own
        # mounts: a sysfs of that network namespace (as `ip netns exec` mounts), the host's cgroups kept under it.
        nsenter --net="/run/netns/$node" -- unshare --mount --uts --propagation slave -- sh -c "
            set -e
            mkdir -p $RUN_DIR/$node/cgroup
            mount --rbind /sys/fs/cgroup $RUN_DIR/$node/cgroup
            umount -l /sys
            mount -t sysfs sysfs /sys
            mount --move $RUN_DIR/$node/cgroup /sys/fs/cgroup
            hostname $node
            exec env PATH=$DAEMON_PATH setsid /usr/sbin/dockerd --data-root=$STATE_DIR/$node/docker \
                --exec-root=$RUN_DIR/$node/exec --host=unix://$sock --pidfile=$pidfile \
                --cgroup-parent=/procfleet-$node --storage-driver=overlay2 --bridge=none" \
            </dev/null >>"$STATE_DIR/$node/dockerd.log" 2>&1 &
    fi
    local deadline=$(( $(date +%s) + TIMEOUT ))
    until wdocker "$node" version >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$deadline" ] || { tail -n 30 "$STATE_DIR/$node/dockerd.log" >&2; die "$node: dockerd did not answer within ${TIMEOUT}s"; }
        sleep 0.3
    done
}

load_images() {
    local node=$1 image want have missing=()
    for image in $IMAGES; do
        want=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null) || die "the image $image is missing here (run .ci/docker-setup.sh)"
        have=$(wdocker "$node" image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
        [ "$want" = "$have" ] || missing+=("$image")
    done
    [ "${#missing[@]}" = 0 ] && return
    log "$node: loading ${missing[*]}"
    docker save "${missing[@]}" | wdocker "$node" load -q >/dev/null
}

# Whether .ci/swarm-setup.sh initialised the swarm (its state file): only then are its settings changed.
ours() { [ "$(cat "${PROCFLEET_SWARM_STATE:-/tmp/procfleet-ci/swarm.state}" 2>/dev/null)" = initialised ]; }

join_worker() {
    local node=$1 availability=$2 state addr
    addr=$(addr_of "$node")
    state=$(wdocker "$node" info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null)
    if [ "$state" = active ]; then
        # a worker knows only its node ID: check that this swarm still has it (and that it is ready again)
        local id; id=$(wdocker "$node" info --format '{{.Swarm.NodeID}}')
        if docker node inspect "$id" >/dev/null 2>&1; then
            return
        fi
        log "$node: in a swarm that no longer knows it: leaving that"
    fi
    if [ "$state" != inactive ]; then
        wdocker "$node" swarm leave --force >/dev/null 2>&1 || true
    fi
    # a node of the same name left behind by an earlier run
    local old
    for old in $(docker node ls --filter "name=$node" --format '{{.ID}} {{.Hostname}} {{.Status}}' | awk -v n="$node" '$2 == n && $3 != "Ready" {print $1}'); do
        docker node rm --force "$old" >/dev/null 2>&1 || true
    done
    log "$node: joining the swarm as a worker ($availability)"
    wdocker "$node" swarm join --token "$(docker swarm join-token -q worker)" --advertise-addr "$addr" \
        --listen-addr "$addr:2377" --availability "$availability" "$MANAGER_ADDR:2377" >/dev/null
    # the node an earlier engine of this name was, if the manager has not called it down yet
    local new; new=$(wdocker "$node" info --format '{{.Swarm.NodeID}}')
    for old in $(docker node ls --format '{{.ID}} {{.Hostname}}' | awk -v n="$node" -v id="$new" '$2 == n && $1 != id {print $1}'); do
        docker node rm --force "$old" >/dev/null 2>&1 || true
    done
}

wait_ready() {
    local node=$1 deadline=$(( $(date +%s) + TIMEOUT )) id
    id=$(wdocker "$node" info --format '{{.Swarm.NodeID}}')
    until [ "$(docker node inspect --format '{{.Status.State}}' "$id" 2>/dev/null)" = ready ]; do
        [ "$(date +%s)" -lt "$deadline" ] || die "$node did not become Ready within ${TIMEOUT}s"
        sleep 0.3
    done
}

remove_worker() {
    local node=$1 pidfile pid id
    pidfile=$(pidfile_of "$node")
    id=$(wdocker "$node" info --format '{{.Swarm.NodeID}}' 2>/dev/null || true)
    if alive "$pidfile" dockerd; then
        pid=$(cat "$pidfile")
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    kill_worker "$node"
    # the node as the manager knows it, by ID or by its name
    if [ "$(docker info --format '{{.Swarm.ControlAvailable}}' 2>/dev/null)" = true ]; then
        local ids
        ids=$( { [ -n "$id" ] && echo "$id"; docker node ls --format '{{.ID}} {{.Hostname}}' | awk -v n="$node" '$2 == n {print $1}'; } | sort -u)
        for id in $ids; do docker node rm --force "$id" >/dev/null 2>&1 || true; done
    fi
    ip netns del "$node" 2>/dev/null || true
    ip link del "${node}h" 2>/dev/null || true
    local cg
    for cg in /sys/fs/cgroup/*/"procfleet-$node"; do
        [ -d "$cg" ] || continue
        find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    done
    rm -rf "${STATE_DIR:?}/$node" "${RUN_DIR:?}/$node"
}

# -- the manager ------------------------------------------------------------------------------------------------

check_manager() {
    docker version --format '{{.Server.Version}}' >/dev/null 2>&1 || die "no Docker engine answers (run .ci/docker-setup.sh first)"
    [ "$(docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}')" = "active true" ] \
        || die "this engine is not a swarm manager (run .ci/swarm-setup.sh first)"
    local addr; addr=$(docker info --format '{{.Swarm.NodeAddr}}')
    [ "$addr" = "$MANAGER_ADDR" ] || die "the swarm manager advertises $addr, which the workers cannot reach: \
run .ci/swarm-setup.sh, which advertises $MANAGER_ADDR (or leave this swarm first)"
}

write_nodes() {
    local node
    mkdir -p "$RUN_DIR"
    {
        echo "# name address socket pidfile (written by .ci/swarm-cluster.sh)"
        for node in "${WORKERS[@]}"; do echo "$node $(addr_of "$node") $(sock_of "$node") $(pidfile_of "$node")"; done
    } >"$NODES_FILE.tmp"
    mv "$NODES_FILE.tmp" "$NODES_FILE"
}

up() {
    local availability=$1 node
    [ "$(id -u)" = 0 ] || die "must run as root"
    bridge_up
    check_manager
    if ours; then
        docker swarm update --dispatcher-heartbeat "$HEARTBEAT" >/dev/null
    else
        log "the swarm was not initialised by swarm-setup.sh: its heartbeat is left as it is (a lost node shows later)"
    fi
    for node in "${WORKERS[@]}"; do start_engine "$node" & done
    wait
    for node in "${WORKERS[@]}"; do start_engine "$node"; load_images "$node" & done
    wait
    for node in "${WORKERS[@]}"; do join_worker "$node" "$availability"; done
    for node in "${WORKERS[@]}"; do
        wait_ready "$node"
        docker node update --availability "$availability" "$node" >/dev/null   # a node joined earlier too
    done
    write_nodes
    log "up: $(docker node ls --format '{{.Hostname}}/{{.Status}}/{{.Availability}}' | sort | tr '\n' ' ')"
}

down() {
    local node
    [ "$(id -u)" = 0 ] || die "must run as root"
    for node in "${WORKERS[@]}"; do remove_worker "$node" & done
    wait
    rm -f "$NODES_FILE"
    if ours && [ "$(docker info --format '{{.Swarm.ControlAvailable}}' 2>/dev/null)" = true ]; then
        docker swarm update --dispatcher-heartbeat 5s >/dev/null 2>&1 || true   # Swarm's default again
    fi
    log "down: the workers are gone"
}

case "${1:-}" in
    up)
        case "${2:-}" in
            "") up active ;;
            --drain) up drain ;;
            *) echo "swarm-cluster: unknown argument: $2" >&2; exit 2 ;;
        esac
        ;;
    down) down ;;
    start)
        index_of "${2:-}" >/dev/null || { echo "swarm-cluster: start which node? (${WORKERS[*]})" >&2; exit 2; }
        check_manager
        start_engine "$2"
        wait_ready "$2"
        log "$2: up again"
        ;;
    status) docker node ls ;;
    bridge)
        case "${2:-}" in
            "") bridge_up ;;
            --remove) bridge_down ;;
            *) echo "swarm-cluster: unknown argument: $2" >&2; exit 2 ;;
        esac
        ;;
    -h|--help|"") sed -n '2,21p' "$0"; [ -n "${1:-}" ] || exit 2 ;;
    *) echo "swarm-cluster: unknown command: $1" >&2; exit 2 ;;
esac
