"""One app moved between platforms: a unique name, the Nomad simulator as Nomad, and nothing left behind."""

from __future__ import annotations

import itertools
import json
import subprocess
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from procfleet import registry
from procfleet.errors import BackendLoadError, BackendNotFound
from tests.conftest import CliResult
from tests.integration.compose.conftest import sweep
from tests.integration.conftest import BUSYBOX_IMAGE, in_ci
from tests.integration.engine_app import TICK, WEB, docker
from tests.integration.local.harness import LocalApp
from tests.nomad_sim import NomadSimulator

pytestmark = pytest.mark.engine("docker")

# The same formation runs on every backend: busybox or python images for containers, the shell locally.
COMPOSE_NOMAD = f"""
[app]
name = "{{app}}"
image = "{BUSYBOX_IMAGE}"
env = {{ GREETING = "hi" }}

[processes.web]
command = "{WEB}"
count = 1
port = 8080
health = {{ http = "/", interval = "1s" }}
stop_timeout = "1s"

[processes.worker]
command = "{TICK}"
stop_timeout = "1s"
"""


@dataclass
class Move:
    """One test's app: its folder, its CLI, the local supervisors it starts, and the backends it touched."""

    folder: Path
    run_cli: Callable[..., CliResult]
    local: LocalApp
    used: set[str] = field(default_factory=set)

    @property
    def name(self) -> str:
        """The app's unique name (also its Compose project, Swarm stack and Nomad job)."""
        return self.local.name

    def write(self, text: str) -> Path:
        """Write formation.toml ({app} and {base_port} filled in)."""
        path = self.folder / "formation.toml"
        path.write_text(textwrap.dedent(text).replace("{app}", self.name)
                        .replace("{base_port}", str(self.local.base_port)))
        return path

    def cli(self, *args: str) -> CliResult:
        """`procfleet ARGS…` in-process, from the app's folder; the backends named are taken down afterwards."""
        for flag, value in itertools.pairwise(args):
            if flag in ("-b", "--backend", "--from", "--to"):
                self.used.add(value)
        return self.run_cli(*args)

    def ok(self, *args: str) -> CliResult:
        """Like cli, asserting exit status 0."""
        result = self.cli(*args)
        assert result.code == 0, f"procfleet {' '.join(args)} exited {result.code}:\n{result.err}"
        return result

    def migrate(self, source: str, target: str, *extra: str) -> tuple[CliResult, dict[str, Any]]:
        """`procfleet migrate --from SOURCE --to TARGET --json …` and its JSON document."""
        result = self.cli("migrate", "--from", source, "--to", target, "--json", *extra)
        assert result.out, f"no JSON on stdout (exit {result.code}):\n{result.err}"
        document: dict[str, Any] = json.loads(result.out)
        return result, document

    def types(self, backend: str) -> dict[str, dict[str, Any]]:
        """`procfleet ps -b BACKEND --json`'s per type counts."""
        types: dict[str, dict[str, Any]] = json.loads(self.ok("ps", "-b", backend, "--json").out)["types"]
        return types

    def containers(self) -> dict[str, str]:
        """Name → ID of the app's Compose containers, from `docker ps -a`."""
        lines = docker("ps", "-a", "--filter", f"label=procfleet.app={self.name}", "--filter",
                       f"label=com.docker.compose.project={self.name}", "--format", "{{.Names}} {{.ID}}").split()
        return dict(zip(lines[::2], lines[1::2], strict=True))

    def started(self) -> dict[str, str]:
        """Each Compose container's start time, which a restart or recreate would change."""
        return {name: docker("inspect", "-f", "{{.State.StartedAt}}", cid).strip()
                for name, cid in self.containers().items()}


@pytest.fixture
def move(docker_engine: None, cli: Callable[..., CliResult], tmp_path: Path,
         monkeypatch: pytest.MonkeyPatch) -> Iterator[Move]:
    """A unique app in the test's folder; afterwards `procfleet down` on every backend it used, and a sweep."""
    for name in ("NOMAD_ADDR", "NOMAD_TOKEN", "NOMAD_NAMESPACE", "NOMAD_REGION"):
        monkeypatch.delenv(name, raising=False)
    moved = Move(folder=tmp_path, run_cli=cli, local=LocalApp(tmp_path))
    try:
        yield moved
    finally:
        if (tmp_path / "formation.toml").exists():
            for backend in sorted(moved.used - {"local"}):
                cli("down", "-b", backend, "-q")
            moved.local.cleanup()
        sweep(moved.name)
        if "swarm" in moved.used:
            subprocess.run(["docker", "stack", "rm", moved.name, f"{moved.name}-stack"], capture_output=True,
                           timeout=60, check=False)


@pytest.fixture
def nomad(monkeypatch: pytest.MonkeyPatch) -> Iterator[NomadSimulator]:
    """The Nomad simulator as the agent (deployments succeed at once unless a test says otherwise)."""
    with NomadSimulator(auto_healthy=True) as sim:
        monkeypatch.setenv("NOMAD_ADDR", sim.address)
        yield sim


@pytest.fixture
def swarm(swarm_engine: None) -> None:
    """The swarm backend, installed and loadable (`pip install -e backends/swarm`), on a swarm manager."""
    try:
        registry.load("swarm")
    except (BackendLoadError, BackendNotFound) as exc:
        if in_ci():
            pytest.fail(f"the swarm backend is not usable: {exc}", pytrace=False)
        pytest.skip(f"the swarm backend is not usable yet: {exc}")
