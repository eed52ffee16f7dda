"""Inside the systemd container: a fresh app per test, driven through procfleet's CLI, checked with systemctl."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult

SCOPE = os.environ.get("PROCFLEET_SYSTEMD_SCOPE", "user")
FLAGS = ["--user"] if SCOPE == "user" else []


def pytest_configure(config: pytest.Config) -> None:
    """These tests mean nothing without systemd as PID 1: stop at once instead of failing one by one."""
    if Path("/proc/1/comm").read_text().strip() != "systemd":
        raise pytest.UsageError("tests/integration/systemd/inner runs inside the systemd container only")


@dataclass
class SystemdApp:
    """One test's app: its name, folder and CLI, and what systemd holds of it."""

    name: str
    folder: Path
    run_cli: Callable[..., CliResult]

    def write(self, text: str, options: str = "") -> Path:
        """formation.toml ({app} filled in), with the scope these tests run in and more [backends.systemd] lines."""
        path = self.folder / "formation.toml"
        body = textwrap.dedent(text).replace("{app}", self.name)
        path.write_text(body + f'\n[backends.systemd]\nscope = "{SCOPE}"\n{options}\n')
        return path

    def cli(self, *args: str) -> CliResult:
        """`procfleet -b systemd ARGS…` in-process from the app's folder."""
        return self.run_cli("-b", "systemd", *args)

    def ok(self, *args: str) -> CliResult:
        """Like cli, asserting exit status 0."""
        result = self.cli(*args)
        assert result.code == 0, f"procfleet {' '.join(args)} exited {result.code}:\n{result.err}"
        return result

    def ps(self) -> dict[str, Any]:
        """`procfleet ps --json`."""
        data: dict[str, Any] = json.loads(self.ok("ps", "--json").out)
        return data

    def systemctl(self, *args: str) -> str:
        """systemctl of the scope under test, directly."""
        done = subprocess.run(["systemctl", *FLAGS, *args], capture_output=True, text=True, timeout=60, check=False)
        return done.stdout.strip()

    def unit(self, process: str, number: int) -> str:
        """`<app>-<process>@<number>.service`."""
        return f"{self.name}-{process}@{number}.service"

    def pid(self, process: str, number: int) -> int:
        """The instance's main PID as systemd reports it (0 when it does not run)."""
        return int(self.systemctl("show", "-p", "MainPID", "--value", self.unit(process, number)) or 0)

    def active(self, process: str, number: int) -> str:
        """`systemctl is-active` of the instance."""
        return self.systemctl("is-active", self.unit(process, number))

    def unit_dir(self) -> Path:
        """Where procfleet writes this scope's units."""
        return Path.home() / ".config/systemd/user" if SCOPE == "user" else Path("/etc/systemd/system")


def eventually(check: Callable[[], bool], timeout: float = 15.0) -> None:
    """Wait until check() holds (processes write their observations a moment after systemd starts them)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.1)


@pytest.fixture
def app(cli: Callable[..., CliResult], tmp_path: Path) -> Iterator[SystemdApp]:
    """A random app name in the test's folder; `procfleet down` afterwards, and a check that nothing is left."""
    the_app = SystemdApp(name=f"pft{secrets.token_hex(3)}", folder=tmp_path, run_cli=cli)
    yield the_app
    if (tmp_path / "formation.toml").exists():
        cli("-b", "systemd", "down", "-q")
    left = the_app.systemctl("list-units", "--all", "--plain", "--no-legend", f"{the_app.name}-*")
    assert not [line for line in left.splitlines() if "not-found" not in line], left
