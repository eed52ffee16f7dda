"""What Docker's error output means, as one line a user can act on. Pure: the engine module does the asking."""

from __future__ import annotations

import re
from collections.abc import Iterable

from procfleet.model import Formation

ENGINE_DOWN = ("cannot connect to the docker daemon", "is the docker daemon running", "error during connect")
NO_ACCESS = "permission denied while trying to connect to the docker"
COMPOSE_MISSING = ("'compose' is not a docker command", "unknown command: docker compose", "unknown flag: --file",
                   "unknown flag: --project-name", "unknown shorthand flag")
PORT_IN_USE = ("port is already allocated", "address already in use")
PULL_FAILED = ("pull access denied", "manifest unknown", "repository does not exist", "no such host",
               "unable to get image", "not found: manifest", "failed to resolve reference", "no such image",
               "toomanyrequests", "i/o timeout")
_PORT = re.compile(r"(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:]*\]):(\d+)")

INSTALL_COMPOSE = ("install the Docker Compose v2 plugin: Docker's apt/dnf repositories ship it as "
                   "docker-compose-plugin; or put the docker-compose binary from "
                   "https://github.com/docker/compose/releases in ~/.docker/cli-plugins/ "
                   "(see https://docs.docker.com/compose/install/linux/), then check `docker compose version`")


def engine_down(detail: str) -> str:
    """The engine does not answer."""
    return (f"the Docker engine does not answer ({detail}): start it (e.g. `sudo systemctl start docker`, or "
            "Docker Desktop), or point DOCKER_HOST / `docker context use` at a running one")


def compose_missing() -> str:
    """`docker compose` is not there."""
    return f"Docker Compose v2 is not installed (`docker compose` is not a docker command): {INSTALL_COMPOSE}"


def docker_missing() -> str:
    """No docker CLI on PATH."""
    return ("the docker command is not on PATH: install Docker (https://docs.docker.com/engine/install/) "
            "and its Compose v2 plugin")


def images_missing(images: Iterable[str], detail: str) -> str:
    """Images neither here nor pullable."""
    names = ", ".join(images)
    return (f"image {names} is not on this machine and could not be pulled ({detail}): build it "
            f"(`docker build -t {names.split(', ')[0]} .`) or check its name and your registry login")


def port_owner(formation: Formation, host_port: str | None) -> str:
    """The process type a fixed host port belongs to, for the message."""
    ports = formation.options("compose").get("ports") or {}
    for name, port in ports.items():
        if str(port) == host_port:
            return f" ({name}: backends.compose.ports.{name})"
    return ""


def classify(stderr: str) -> str:
    """engine-down, no-access, compose-missing, port-in-use, pull-failed, or other."""
    text = stderr.lower()
    checks = (("no-access", (NO_ACCESS,)), ("engine-down", ENGINE_DOWN), ("compose-missing", COMPOSE_MISSING),
              ("port-in-use", PORT_IN_USE), ("pull-failed", PULL_FAILED))
    for kind, needles in checks:
        if any(needle in text for needle in needles):
            return kind
    return "other"


def key_line(stderr: str) -> str:
    """The line of Docker's output that says what went wrong (the last error-looking one)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in reversed(lines):
        lowered = line.lower()
        if "error" in lowered or "denied" in lowered or "cannot" in lowered or "failed" in lowered:
            return _trim(line)
    return _trim(lines[-1]) if lines else "no error output"


def _trim(line: str) -> str:
    line = re.sub(r"^(time=\S+ level=\w+ msg=)", "", line).strip('"')
    return line if len(line) <= 300 else line[:297] + "..."


def explain(stderr: str, formation: Formation) -> str:
    """One actionable line for a failed docker or docker compose command."""
    kind = classify(stderr)
    line = key_line(stderr)
    if kind == "engine-down":
        return engine_down(line)
    if kind == "no-access":
        return (f"no permission to use the Docker engine ({line}): add your user to the docker group "
                "(`sudo usermod -aG docker $USER`, then log in again) or use rootless Docker")
    if kind == "compose-missing":
        return compose_missing()
    if kind == "port-in-use":
        match = _PORT.search(line)
        port = match.group(1) if match else None
        which = f"host port {port}" if port else "a host port"
        return (f"{which}{port_owner(formation, port)} is already in use: stop what listens there or choose "
                f"another port ({line})")
    return line
