"""Shared fixtures: formation files in temporary folders, and the CLI run in-process."""

from __future__ import annotations

import os
import re
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


# Tests that must not run beside each other when the suite runs on several workers (pytest-xdist, --dist
# loadgroup): every test that touches the swarm runs on one worker, in turn, since the three-node tests change the
# nodes' availability under every other swarm test (and migrate moves apps onto and off it); the systemd tests share
# one container, booted once per worker that runs any of them.
SERIAL_GROUPS = (
    ("swarm", re.compile(r"\[(?:[^]]*-)?swarm(?:-[^]]*)?\]|/swarm/|/migrate/")),
    ("systemd", re.compile(r"/integration/systemd/")),
)


def serial_group(nodeid: str) -> str | None:
    """The serial group a test belongs to, if any."""
    return next((group for group, pattern in SERIAL_GROUPS if pattern.search(nodeid)), None)


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups off the markers
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put each test of a serial group into its xdist group (a marker without effect on a run of one process)."""
    for item in items:
        group = serial_group(item.nodeid)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


@pytest.hookimpl(optionalhook=True)  # xdist's hook: unknown where xdist is not installed
def pytest_xdist_node_collection_finished(node: object, ids: list[str]) -> None:
    """Refuse to run when a worker's groups did not take: xdist passes them on in the tests' node ids (`…@swarm`),
    which some pytest releases no longer let it change (pytest-xdist#1386), and the serial groups would then run
    beside each other without a word."""
    lost = [nodeid for nodeid in ids if "@" not in nodeid and serial_group(nodeid) is not None]
    if lost:
        pytest.exit(f"pytest-xdist lost the test groups ({lost[0]} has none; pytest-xdist#1386): install a pytest "
                    "that --dist loadgroup works with (noxfile.py, TEST_DEPS)", returncode=pytest.ExitCode.USAGE_ERROR)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove any container the Nomad simulator's client started and a crashed test left behind."""
    from tests.nomad_sim.task_handles import sweep_containers

    sweep_containers(os.getpid())
