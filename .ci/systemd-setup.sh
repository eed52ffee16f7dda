#!/usr/bin/env bash
# Build the image the systemd backend's tests run in: a Debian 12 root filesystem whose PID 1 is systemd.
#
#   bash .ci/systemd-setup.sh          # install debootstrap, build (or reuse) procfleet-test/systemd
#   bash .ci/systemd-setup.sh --smoke  # same, then boot a container from it and check systemd answers
#
# Runs as root after .ci/docker-setup.sh (the engine must answer). Reaches only Debian's apt mirror. There
# is no registry: debootstrap makes the root filesystem from Debian's packages and `docker import` turns
# it into the image. The root filesystem is kept as a tarball in $CACHE, keyed by the recipe version, so
# that a machine builds it once (about two minutes) and later runs import it (seconds) or find the image
# already there (nothing to do).
#
# Environment knobs (all optional):
#   PROCFLEET_CI_CACHE            where the tarball is kept          (default /var/cache/procfleet-ci)
#   PROCFLEET_DEBIAN_MIRROR       the mirror debootstrap reads       (default http://deb.debian.org/debian)
#   PROCFLEET_REBUILD_IMAGES=1    debootstrap again even if the tarball and the image exist
set -euo pipefail

SMOKE=0
for arg in "$@"; do
    case "$arg" in
        --smoke) SMOKE=1 ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "systemd-setup: unknown argument: $arg" >&2; exit 2 ;;
    esac
done

# Bump when the rootfs recipe below changes: the tarball and the image are keyed by it.
RECIPE=1
SUITE=bookworm
MIRROR=${PROCFLEET_DEBIAN_MIRROR:-http://deb.debian.org/debian}
CACHE=${PROCFLEET_CI_CACHE:-/var/cache/procfleet-ci}
TARBALL=$CACHE/systemd-rootfs-$SUITE-r$RECIPE.tar
IMAGE=procfleet-test/systemd:latest
LABEL=systemd-$SUITE-r$RECIPE
# systemd as PID 1 and its user manager (logind, a user bus); python3 with venv/ensurepip for procfleet.
ROOTFS_PACKAGES=systemd,systemd-sysv,dbus,dbus-user-session,libpam-systemd,python3,python3-venv
# On the host: debootstrap builds the rootfs, systemd provides systemd-analyze for the unit tests.
HOST_PACKAGES=(debootstrap systemd)

T0=$(date +%s)
log() { printf '[systemd-setup +%ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
die() { printf '[systemd-setup] ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"
docker version --format '{{.Server.Version}}' >/dev/null 2>&1 || die "no Docker engine answers (run .ci/docker-setup.sh)"

WORK=""
cleanup() { if [ -n "$WORK" ]; then rm -rf "$WORK"; fi; }
trap cleanup EXIT

pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'; }

install_host_packages() {
    local missing=() p
    for p in "${HOST_PACKAGES[@]}"; do pkg_installed "$p" || missing+=("$p"); done
    if [ "${#missing[@]}" = 0 ]; then log "apt: ${HOST_PACKAGES[*]} already installed"; return; fi
    log "apt: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/systemd-setup-apt.log 2>&1 \
        || { tail -n 30 /tmp/systemd-setup-apt.log >&2; die "apt-get install ${missing[*]} failed"; }
}

image_current() {
    [ "${PROCFLEET_REBUILD_IMAGES:-0}" != 1 ] || return 1
    [ "$(docker image inspect -f '{{index .Config.Labels "org.procfleet.ci.recipe"}}' "$IMAGE" 2>/dev/null)" = "$LABEL" ]
}

# The rootfs, configured to boot in a container: no getty, no udev work, a journal kept on disk (so a user's
# `journalctl --user` has its own file to read), and a test user whose manager starts at boot (linger).
configure_rootfs() {
    local r=$1
    echo procfleet-systemd >"$r/etc/hostname"
    : >"$r/etc/machine-id"   # empty: systemd makes a new one at every boot
    rm -f "$r/etc/systemd/system/getty.target.wants/"* "$r/etc/systemd/system/multi-user.target.wants/"*.timer
    ln -sf /dev/null "$r/etc/systemd/system/systemd-udevd.service"
    ln -sf /dev/null "$r/etc/systemd/system/systemd-udev-trigger.service"
    ln -sf /dev/null "$r/etc/systemd/system/getty@tty1.service"
    ln -sf /dev/null "$r/etc/systemd/system/apt-daily.timer"
    ln -sf /dev/null "$r/etc/systemd/system/apt-daily-upgrade.timer"
    mkdir -p "$r/var/log/journal"
    chroot "$r" useradd --create-home --uid 1000 --shell /bin/bash pf
    mkdir -p "$r/var/lib/systemd/linger" && : >"$r/var/lib/systemd/linger/pf"
    rm -rf "$r/var/cache/apt/archives/"*.deb "$r/var/lib/apt/lists/"*
}

build_tarball() {
    mkdir -p "$CACHE"
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/procfleet-systemd.XXXXXX")
    local r=$WORK/rootfs
    log "debootstrap: $SUITE from $MIRROR with $ROOTFS_PACKAGES (log: $WORK/debootstrap.log)"
    if ! debootstrap --variant=minbase --include="$ROOTFS_PACKAGES" "$SUITE" "$r" "$MIRROR" \
            >"$WORK/debootstrap.log" 2>&1; then
        tail -n 30 "$WORK/debootstrap.log" >&2
        tail -n 30 "$r/debootstrap/debootstrap.log" >&2 2>/dev/null || true
        die "debootstrap failed"
    fi
    configure_rootfs "$r"
    # written beside, then renamed: an interrupted run never leaves half a tarball under the cached name
    tar --numeric-owner -C "$r" -cf "$TARBALL.tmp" .
    mv -f "$TARBALL.tmp" "$TARBALL"
    rm -rf "$WORK"; WORK=""
    log "rootfs: $TARBALL ($(du -h "$TARBALL" | cut -f1))"
}

import_image() {
    local old; old=$(docker image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null || true)
    docker import \
        --change 'CMD ["/lib/systemd/systemd"]' \
        --change 'ENV container=docker' \
        --change "LABEL org.procfleet.ci.recipe=$LABEL" \
        "$TARBALL" "$IMAGE" >/dev/null
    if [ -n "$old" ] && [ "$old" != "$(docker image inspect -f '{{.Id}}' "$IMAGE")" ]; then
        docker rmi "$old" >/dev/null 2>&1 || true
    fi
    log "image: $IMAGE imported from $TARBALL"
}

smoke() {
    local name=procfleet-ci-systemd-smoke state
    docker rm -f "$name" >/dev/null 2>&1 || true
    docker run -d --name "$name" --privileged --cgroupns=host --tmpfs /run --tmpfs /run/lock "$IMAGE" >/dev/null
    for _ in $(seq 60); do
        state=$(docker exec "$name" systemctl is-system-running 2>/dev/null || true)
        case "$state" in running|degraded) break ;; esac
        sleep 0.5
    done
    docker exec "$name" systemctl is-system-running >/dev/null 2>&1 || {
        docker exec "$name" systemctl --failed --no-pager >&2 || true; }
    docker exec -u pf "$name" env XDG_RUNTIME_DIR=/run/user/1000 systemctl --user is-system-running \
        || { docker rm -f "$name" >/dev/null; die "the user manager of pf does not answer"; }
    docker rm -f "$name" >/dev/null
    log "smoke: systemd booted ($state), pf's user manager answers"
}

install_host_packages
if image_current; then
    log "image: $IMAGE already built ($LABEL)"
else
    if [ ! -f "$TARBALL" ] || [ "${PROCFLEET_REBUILD_IMAGES:-0}" = 1 ]; then build_tarball; else log "rootfs: cached $TARBALL"; fi
    import_image
fi
if [ "$SMOKE" = 1 ]; then smoke; fi
log "done"
