"""A fresh app per test, on the real engine: its own random name, and nothing of it left afterwards."""

from __future__ import annotations

import json
import secrets
import subprocess
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult
from tests.integration.conftest import BUSYBOX_IMAGE

pytestmark = pytest.mark.engine("docker")

# A web process busybox can run: httpd serving one file on $PORT. Workers print a line a second.
WEB = "mkdir -p /www && echo ok >/www/index.html && exec httpd -f -p $PORT -h /www"
TICK = "while true; do echo tick; sleep 1; done"


def docker(*args: str, check: bool = True) -> str:
    """Run the docker CLI directly (tests check the engine without going through procfleet)."""
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=120, check=False)
    if check and done.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} failed: {done.stderr}")
    return done.stdout


@dataclass
class ComposeApp:
    """One test's app: its name, folder and CLI, and what the engine holds of it."""

    name: str
    folder: Path
    run_cli: Callable[..., CliResult]

    def write(self, text: str) -> Path:
        """Write formation.toml ({app} and {image} are filled in)."""
        path = self.folder / "formation.toml"
        path.write_text(textwrap.dedent(text).replace("{app}", self.name).replace("{image}", BUSYBOX_IMAGE))
        return path

    def cli(self, *args: str) -> CliResult:
        """`procfleet -b compose ARGS…`, in-process, from the app's folder (before ARGS: run takes all after --)."""
        return self.run_cli("-b", "compose", *args)

    def ok(self, *args: str) -> CliResult:
        """Like cli, asserting exit status 0."""
        result = self.cli(*args)
        assert result.code == 0, f"procfleet {' '.join(args)} exited {result.code}:\n{result.err}"
        return result

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

    def ps(self) -> dict[str, Any]:
        """`procfleet ps --json`."""
        data: dict[str, Any] = json.loads(self.ok("ps", "--json").out)
        return data


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
