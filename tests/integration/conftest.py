"""Real engines for integration tests: present, or a failure in CI (PROCFLEET_CI=1) and a skip elsewhere."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

BUSYBOX_IMAGE = "procfleet-test/busybox:latest"  # built by .ci/docker-setup.sh with `docker import`
PYTHON_IMAGE = "procfleet-test/python:latest"


def in_ci() -> bool:
    """Whether missing engines must fail the run instead of skipping."""
    return os.environ.get("PROCFLEET_CI", "") not in ("", "0")


def engine_missing(reason: str, setup: str = ".ci/docker-setup.sh") -> None:
    """Fail in CI, skip locally, saying why either way and which script sets the engine up."""
    message = f"{reason} (run {setup} to set it up)"
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _works(*command: str) -> str | None:
    """None when the command succeeds, else its error output."""
    if shutil.which(command[0]) is None:
        return f"{command[0]} is not installed"
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except subprocess.TimeoutExpired:
        return f"{' '.join(command)} timed out"
    return None if done.returncode == 0 else (done.stderr.strip() or done.stdout.strip())


@pytest.fixture(scope="session")
def docker_engine() -> None:
    """A running Docker engine with the Compose v2 plugin and the locally built test images."""
    checks = ((("docker", "info"), "no Docker engine answers"),
              (("docker", "compose", "version"), "the Docker Compose v2 plugin is missing"),
              (("docker", "image", "inspect", BUSYBOX_IMAGE), f"the test image {BUSYBOX_IMAGE} is missing"))
    for command, what in checks:
        problem = _works(*command)
        if problem is not None:
            engine_missing(f"{what}: {problem.splitlines()[0] if problem else ''}")


@pytest.fixture(scope="session")
def swarm_engine(docker_engine: None) -> None:
    """A Docker engine that is a swarm manager."""
    done = subprocess.run(["docker", "info", "--format", "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}"],
                          capture_output=True, text=True, timeout=30, check=False)
    if done.stdout.strip() != "active true":
        engine_missing(f"this Docker engine is not a swarm manager ({done.stdout.strip() or done.stderr.strip()})",
                       ".ci/swarm-setup.sh")
