"""A fresh app per test, on the real engine: its own random name, and nothing of it left afterwards."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult
from tests.integration.engine_app import EngineApp, docker

pytestmark = pytest.mark.engine("docker")


@dataclass
class ComposeApp(EngineApp):
    """One test's app: its name, folder and CLI, and what the engine holds of it."""

    backend = "compose"

    def containers(self, process: str | None = None) -> dict[str, str]:
        """Container name → ID of this app's (non one-off) containers, from `docker ps -a`."""
        filters = ["--filter", f"label=procfleet.app={self.name}", "--filter", "label=com.docker.compose.oneoff=False"]
        if process:
            filters += ["--filter", f"label=procfleet.process={process}"]
        lines = docker("ps", "-a", *filters, "--format", "{{.Names}} {{.ID}}").split()
        return dict(zip(lines[::2], lines[1::2], strict=True))

    def inspect(self, container: str) -> dict[str, Any]:
        """`docker inspect` of one container."""
        result: dict[str, Any] = json.loads(docker("inspect", container))[0]
        return result


def sweep(name: str) -> None:
    """Remove whatever still carries the app's label (a safety net behind `procfleet down`)."""
    ids = docker("ps", "-aq", "--filter", f"label=procfleet.app={name}", check=False).split()
    if ids:
        docker("rm", "-f", *ids, check=False)
    for network in docker("network", "ls", "-q", "--filter", f"label=procfleet.app={name}", check=False).split():
        docker("network", "rm", network, check=False)


@pytest.fixture
def app(docker_engine: None, cli: Callable[..., CliResult], tmp_path: Path) -> Iterator[ComposeApp]:
    """A random app name in the test's folder; `procfleet down` and a label sweep afterwards."""
    the_app = ComposeApp(name=f"pft{secrets.token_hex(4)}", folder=tmp_path, run_cli=cli)
    yield the_app
    if (tmp_path / "formation.toml").exists():
        cli("down", "-b", "compose", "-q")
    sweep(the_app.name)
