"""What the compose and swarm tests share: the docker CLI, busybox commands, and a test app driven through the CLI."""

from __future__ import annotations

import json
import subprocess
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from tests.conftest import CliResult
from tests.integration.conftest import BUSYBOX_IMAGE

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
class EngineApp:
    """One test's app on a Docker backend: its name, folder and CLI; subclasses add what the engine holds of it."""

    backend: ClassVar[str]
    name: str
    folder: Path
    run_cli: Callable[..., CliResult]

    def write(self, text: str) -> Path:
        """Write formation.toml ({app} and {image} are filled in)."""
        path = self.folder / "formation.toml"
        path.write_text(textwrap.dedent(text).replace("{app}", self.name).replace("{image}", BUSYBOX_IMAGE))
        return path

    def cli(self, *args: str) -> CliResult:
        """`procfleet -b <backend> ARGS…`, in-process, from the app's folder (run takes all after --)."""
        return self.run_cli("-b", self.backend, *args)

    def ok(self, *args: str) -> CliResult:
        """Like cli, asserting exit status 0."""
        result = self.cli(*args)
        assert result.code == 0, f"procfleet {' '.join(args)} exited {result.code}:\n{result.err}"
        return result

    def ps(self) -> dict[str, Any]:
        """`procfleet ps --json`."""
        data: dict[str, Any] = json.loads(self.ok("ps", "--json").out)
        return data
