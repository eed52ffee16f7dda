"""Shared fixtures: formation files in temporary folders, and the CLI run in-process."""

from __future__ import annotations

import os
import tempfile
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from procfleet.cli import main

# What procfleet keeps per user (where migrate last moved an app) goes into a folder of this run, not the home of
# whoever runs the tests; the CLIs that tests start inherit it.
os.environ.setdefault("XDG_STATE_HOME", os.path.join(tempfile.gettempdir(), f"procfleet-tests-state-{os.getpid()}"))


@dataclass(frozen=True)
class CliResult:
    """What one CLI invocation printed and returned."""

    code: int
    out: str
    err: str


@pytest.fixture
def write_formation(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a formation file (dedented) into the test's folder and return its path."""

    def write(text: str, name: str = "formation.toml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return path

    return write


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> Callable[..., CliResult]:
    """Run `procfleet ARGS…` in-process from the test's folder, without colors."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("PROCFLEET_FILE", raising=False)

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove any container the Nomad simulator's client started and a crashed test left behind."""
    from tests.nomad_sim.task_handles import sweep_containers

    sweep_containers(os.getpid())
