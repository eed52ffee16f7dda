"""A fresh app per test on the real swarm: its own random stack name, and nothing of it left afterwards."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult
from tests.integration.engine_app import EngineApp, docker

pytestmark = pytest.mark.engine("swarm")

# This machine's kernel has no IPVS, so neither the routing mesh nor service VIPs work here: the tests publish
# ports on the tasks' own nodes and resolve services to their tasks (docs/backends/swarm.md, docs/ci-engines.md).
NO_IPVS = '\n[backends.swarm]\nport_mode = "host"\nendpoint_mode = "dnsrr"\n'
SWEEP_SECONDS = 60.0


@dataclass
class SwarmApp(EngineApp):
    """One test's app: its name (the stack's), folder and CLI, and what the swarm holds of it."""

    backend = "swarm"

    def tasks(self, process: str | None = None, *, every: bool = False) -> dict[str, str]:
        """Task ID → `stack_type.slot` of the tasks Swarm wants running (every task, history too, with every)."""
        target = [f"{self.name}_{process}"] if process else [s for s in self.services()]
        if not target:
            return {}
        filters = [] if every else ["--filter", "desired-state=running"]
        lines = docker("service", "ps", "--no-trunc", *filters, "--format", "{{.ID}} {{.Name}}", *target).split()
        return dict(zip(lines[::2], lines[1::2], strict=True))

    def services(self) -> list[str]:
        """The stack's service names."""
        return docker("service", "ls", "--filter", f"label=com.docker.stack.namespace={self.name}",
                      "--format", "{{.Name}}").split()

    def service(self, process: str) -> dict[str, Any]:
        """`docker service inspect` of one type's service."""
        result: dict[str, Any] = json.loads(docker("service", "inspect", f"{self.name}_{process}"))[0]
        return result

    def inspect_task(self, task: str) -> dict[str, Any]:
        """`docker inspect` of one task."""
        result: dict[str, Any] = json.loads(docker("inspect", "--type", "task", task))[0]
        return result


def networks_left(names: list[str]) -> list[str]:
    """The networks of these stacks that are still there."""
    found = []
    for name in names:
        found += docker("network", "ls", "-q", "--filter", f"label=com.docker.stack.namespace={name}",
                        check=False).split()
    return found


@pytest.fixture(scope="session")
def removed_stacks(swarm_engine: None) -> Iterator[list[str]]:
    """Stacks the tests removed; at the end of the session, wait until Swarm has removed their networks too.

    Swarm takes about 4 s to remove a stack's network after `docker stack rm`: waiting once, for all of them
    together, instead of after every test keeps the suite short. `procfleet down`'s own wait is tested by itself.
    A network that a task still held when `docker stack rm` ran stays until the stack is removed again, as
    `procfleet down` does too.
    """
    names: list[str] = []
    yield names
    deadline = time.monotonic() + SWEEP_SECONDS
    while time.monotonic() < deadline:
        holding = [name for name in names if networks_left([name])]
        if not holding:
            break
        for name in holding:
            docker("stack", "rm", name, check=False)
        time.sleep(0.5)
    left = networks_left(names)
    assert not left, f"networks of removed stacks still there after {SWEEP_SECONDS:g}s: {left}"


@pytest.fixture
def app(swarm_engine: None, removed_stacks: list[str], cli: Callable[..., CliResult],
        tmp_path: Path) -> Iterator[SwarmApp]:
    """A random app (and stack) name in the test's folder; its stack removed afterwards, whatever the test did."""
    the_app = SwarmApp(name=f"pfs{secrets.token_hex(4)}", folder=tmp_path, run_cli=cli)
    yield the_app
    docker("stack", "rm", the_app.name, check=False)  # "Nothing found in stack" when down already ran: fine
    removed_stacks.append(the_app.name)
