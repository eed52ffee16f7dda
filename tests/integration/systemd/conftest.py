"""A container whose PID 1 is systemd, with procfleet installed in it, for the systemd backend's tests.

The tests under inner/ run inside it (test_in_container.py starts them there); on the host they are not collected.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.conftest import engine_missing

ROOT = Path(__file__).resolve().parents[3]
IMAGE = "procfleet-test/systemd:latest"  # built by .ci/systemd-setup.sh
SETUP = ".ci/systemd-setup.sh"
INSIDE = "PROCFLEET_SYSTEMD_INNER"  # set in the container: the inner tests run there
VENV = "/opt/procfleet"
# What procfleet, its local and systemd backends and pytest need, as wheels built here and installed there offline
# (requests: the conformance suite's modules import it, for a real Nomad agent's API).
REQUIREMENTS = ("typer>=0.28,<0.29", "rich>=13.7", "tomlkit>=0.12", "python-dotenv>=1.0", "PyYAML>=6", "pytest>=8",
                "hatchling>=1.21", "editables", "requests>=2.31")
# systemd as PID 1 wants its own /run and a writable cgroup tree; no --privileged (this host cannot grant every
# capability), SYS_ADMIN is what it mounts with
RUN_OPTIONS = ("--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN", "--cap-add", "SYS_PTRACE",
               "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
               "--tmpfs", "/run", "--tmpfs", "/run/lock", "--cgroupns=host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw")
USER_ENV = ("-e", "XDG_RUNTIME_DIR=/run/user/1000")  # pf's manager, started at boot by linger

collect_ignore = [] if os.environ.get(INSIDE) else ["inner"]


def docker(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the docker CLI, returning what it did."""
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=False)


@dataclass(frozen=True)
class Container:
    """The running systemd container."""

    name: str

    def exec(self, *argv: str, user: str = "root", timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run a command in it (as pf, with pf's manager in reach, or as root)."""
        extra = ("-u", user, *USER_ENV) if user != "root" else ()
        return docker("exec", *extra, self.name, *argv, timeout=timeout)


def _wheels() -> Path:
    """The dependency wheels, built once per machine (kept beside the rootfs tarball)."""
    cache = Path(os.environ.get("PROCFLEET_CI_CACHE", "/var/cache/procfleet-ci")) / "systemd-wheels"
    marker = cache / ".complete"
    if marker.exists() and marker.read_text() == repr(REQUIREMENTS):
        return cache
    cache.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["python3", "-m", "pip", "wheel", "-q", "--wheel-dir", str(cache), *REQUIREMENTS],
                          capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        pytest.fail(f"pip wheel for the systemd container failed: {done.stderr.strip()[-2000:]}", pytrace=False)
    marker.write_text(repr(REQUIREMENTS))
    return cache


def _booted(container: Container) -> str:
    """Wait until systemd has finished booting; its state."""
    state = ""
    for _ in range(120):
        state = container.exec("systemctl", "is-system-running").stdout.strip()
        if state in ("running", "degraded"):
            return state
        time.sleep(0.25)
    return state


@pytest.fixture(scope="session")
def systemd_container(docker_engine: None) -> Iterator[Container]:
    """The container, booted, with procfleet installed editable from this checkout (mounted read-only at /src)."""
    if docker("image", "inspect", IMAGE).returncode != 0:
        engine_missing(f"the test image {IMAGE} is missing", SETUP)
    wheels = _wheels()
    container = Container(f"procfleet-systemd-{secrets.token_hex(4)}")
    started = docker("run", "-d", "--name", container.name, *RUN_OPTIONS, "-v", f"{ROOT}:/src:ro",
                     "-v", f"{wheels}:/wheels:ro", IMAGE)
    if started.returncode != 0:
        pytest.fail(f"the systemd container did not start: {started.stderr.strip()}", pytrace=False)
    try:
        state = _booted(container)
        assert state in ("running", "degraded"), f"systemd did not boot: {state}: " + container.exec(
            "systemctl", "--failed", "--no-pager").stdout
        pip = f"{VENV}/bin/pip install -q --no-index --find-links /wheels"
        install = container.exec("sh", "-c", f"python3 -m venv {VENV} && {pip} hatchling editables && {pip} "
                                 "--no-build-isolation -e /src -e /src/backends/local -e /src/backends/systemd pytest "
                                 "requests")
        assert install.returncode == 0, f"installing procfleet in the container failed: {install.stderr}"
        yield container
    finally:
        docker("rm", "-f", container.name)
