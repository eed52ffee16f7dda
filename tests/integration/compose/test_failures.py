"""Failures on a real engine: each a clear message and exit 1, and nothing a second deploy cannot fix."""

from __future__ import annotations

import os
import socket
import stat
import urllib.request
from pathlib import Path

import pytest

from tests.integration.compose.conftest import ComposeApp
from tests.integration.engine_app import TICK, WEB

pytestmark = pytest.mark.engine("docker")


def test_engine_not_running(app: ComposeApp, monkeypatch: pytest.MonkeyPatch) -> None:
    """An engine that does not answer: how to start one, exit 1."""
    app.write(f'[app]\nname = "{{app}}"\nimage = "{{image}}"\n[processes.worker]\ncommand = "{TICK}"\n')
    with monkeypatch.context() as patched:  # undone before the fixture's clean-up, which needs the engine
        patched.setenv("DOCKER_HOST", f"unix://{app.folder}/no-engine.sock")
        result = app.cli("deploy")
    assert result.code == 1
    assert "error: cannot list the project's containers: the Docker engine does not answer (" in result.err
    assert "systemctl start docker" in result.err


def test_docker_cli_missing(app: ComposeApp, monkeypatch: pytest.MonkeyPatch) -> None:
    """No docker on PATH: install Docker, exit 1, for what needs the CLI; ps reads the engine's socket without it."""
    app.write(f'[app]\nname = "{{app}}"\nimage = "{{image}}"\n[processes.worker]\ncommand = "{TICK}"\n')
    with monkeypatch.context() as patched:
        patched.setenv("PATH", str(app.folder / "empty"))
        result = app.cli("deploy")
        looked = app.cli("ps")
    assert result.code == 1
    assert "the docker command is not on PATH: install Docker" in result.err
    assert looked.code == 0, looked.err


def test_compose_plugin_missing(app: ComposeApp, monkeypatch: pytest.MonkeyPatch) -> None:
    """A docker CLI without the Compose plugin (faked: `docker compose` answers as it does then): how to install."""
    fake = app.folder / "bin" / "docker"
    fake.parent.mkdir()
    real = next(Path(d) / "docker" for d in os.environ["PATH"].split(os.pathsep) if (Path(d) / "docker").is_file())
    fake.write_text(f'#!/bin/sh\nif [ "$1" = compose ]; then\n  echo "unknown flag: --file" >&2\n'
                    f"  echo \"See 'docker --help'.\" >&2\n  exit 125\nfi\nexec {real} \"$@\"\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    app.write(f'[app]\nname = "{{app}}"\nimage = "{{image}}"\n[processes.worker]\ncommand = "{TICK}"\n')
    with monkeypatch.context() as patched:
        patched.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
        result = app.cli("deploy")
    assert result.code == 1
    assert "Docker Compose v2 is not installed" in result.err and "docker-compose-plugin" in result.err
    assert app.containers() == {}


def test_image_missing_then_fixed(app: ComposeApp) -> None:
    """An image neither here nor pullable: named, exit 1; with the right image the next deploy works."""
    formation = f"""
        [app]
        name = "{{app}}"
        image = "procfleet-test/{{app}}-missing:1"
        [processes.worker]
        command = "{TICK}"
        stop_timeout = "0s"
    """
    app.write(formation)
    result = app.cli("deploy")
    assert result.code == 1
    assert f"image procfleet-test/{app.name}-missing:1 is not on this machine and could not be pulled" in result.err
    assert app.containers() == {}
    app.write(formation.replace("procfleet-test/{app}-missing:1", "{image}"))
    app.ok("deploy", "-q")
    assert len(app.containers()) == 1


def test_a_container_that_keeps_crashing(app: ComposeApp) -> None:
    """A crash loop ends the wait before the timeout, with the container's last output; fixed, deploy converges."""
    formation = """
        [app]
        name = "{app}"
        image = "{image}"
        [processes.worker]
        command = "echo starting; echo cannot reach the queue >&2; exit 3"
        stop_timeout = "0s"
    """
    app.write(formation)
    result = app.cli("deploy", "--timeout", "120")
    assert result.code == 1
    assert f"error: worker.1 (container {app.name}-worker-1) keeps crashing:" in result.err
    assert "last exit code 3" in result.err
    assert "  | cannot reach the queue" in result.err
    app.write(formation.replace("exit 3", "exec sleep 600"))
    app.ok("deploy", "-q")
    assert app.ps()["types"]["worker"]["running"] == 1


def test_a_port_already_in_use(app: ComposeApp) -> None:
    """A fixed host port someone else holds: named with its key, exit 1; once free, the next deploy works."""
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    app.write(f"""
        [app]
        name = "{{app}}"
        image = "{{image}}"
        [processes.web]
        command = "{WEB}"
        port = 8080
        stop_timeout = "0s"
        [backends.compose]
        host_ip = "127.0.0.1"
        ports = {{ web = {port} }}
    """)
    try:
        result = app.cli("deploy")
    finally:
        holder.close()
    assert result.code == 1
    assert f"host port {port} (web: backends.compose.ports.web) is already in use" in result.err
    app.ok("deploy", "-q")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
        assert response.read() == b"ok\n"
    refused = app.cli("scale", "web=2")
    assert refused.code == 2 and "runs at most one instance" in refused.err
