"""examples/03-nomad end to end, as its README tells a user: build the image, deploy, scale, ps, logs, down.

On the simulator the client runs every task as a real container of the example's image, so what is asserted is
what the processes did: the web answers HTTP, the clock's shell expanded ${TICK:-30} (Nomad's client left it
alone, because procfleet escaped it), the worker got SIGINT and finished warmly, and nothing is left running.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.request
from typing import Any

import pytest

from tests.backends.compose.helpers import ROOT
from tests.integration.conftest import PYTHON_IMAGE, engine_missing
from tests.integration.nomad.conftest import Agent, Project, eventually

pytestmark = pytest.mark.engine("docker")

EXAMPLE = ROOT / "examples" / "03-nomad"


def _docker(*args: str) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True, timeout=300).stdout


def _containers(alloc_ids: list[str]) -> list[str]:
    """The containers of these allocations that are running on the engine."""
    names = _docker("ps", "--filter", "label=com.hashicorp.nomad.alloc_id", "--format", "{{.Names}}").split()
    return [name for name in names if any(name.endswith(alloc_id) for alloc_id in alloc_ids)]


def _status(project: Project) -> dict[str, Any]:
    result = project.cli("ps", "--json")
    assert result.code == 0, result.err
    status: dict[str, Any] = json.loads(result.out)
    return status


def test_example_03_nomad(project: Project, agent: Agent) -> None:
    """deploy (2 healthy web, a worker, a clock), HTTP, scale worker=10, ps, logs, down."""
    sim = agent.simulator()  # the containers are observed on the local engine the simulator's client uses
    if shutil.which("docker") is None or not _docker("image", "ls", "-q", PYTHON_IMAGE).strip():
        engine_missing(f"the test image {PYTHON_IMAGE} is missing")
    shutil.copytree(EXAMPLE, project.folder, dirs_exist_ok=True)
    image = f"procfleet-example/{project.app}:test"
    text = (project.folder / "formation.toml").read_text()
    (project.folder / "formation.toml").write_text(text.replace('"greeter"', f'"{project.app}"')
                                                   .replace("procfleet-examples/greeter:1", image))
    _docker("build", "-q", "--build-arg", f"BASE={PYTHON_IMAGE}", "-t", image, str(project.folder))
    try:
        deployed = project.cli("deploy", "--timeout", "120")  # the formation's default backend is nomad
        assert deployed.code == 0, deployed.err
        status = _status(project)
        assert {name: (t["running"], t["healthy"]) for name, t in status["types"].items()} == {
            "web": (2, 2), "worker": (1, None), "clock": (1, None)}
        allocs = [a["ID"] for a in sim.allocations(project.app, live_only=True)]
        assert len(_containers(allocs)) == 4

        assert sim.client is not None
        web = next(run for run in sim.client.runs.values() if run.alloc.group == "web")
        host_port = next(iter(web.tasks["web"].spec.ports.values()))[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{host_port}/", timeout=5) as answer:
            assert answer.read() == b"hello from Nomad\n"

        scaled = project.cli("scale", "worker=10", "--wait", "--timeout", "120")
        assert scaled.code == 0, scaled.err
        assert _status(project)["types"]["worker"]["running"] == 10
        allocs = [a["ID"] for a in sim.allocations(project.app, live_only=True)]
        assert len(_containers(allocs)) == 13

        def logged() -> str:
            result = project.cli("logs", "worker", "clock")
            return result.out if "finished job 1" in result.out and "tick (20s)" in result.out else ""
        logs = eventually(logged, timeout=30, what="worker and clock output")
        # the shell saw TICK=20 in ${TICK:-30}: Nomad's client passed it through, escaped
        assert re.search(r"^\d\d:\d\d:\d\d clock\.1 +\| tick \(20s\)$", logs, re.MULTILINE), logs

        worker = next(run for run in sim.client.runs.values() if run.alloc.group == "worker")
        down = project.cli("down")
        assert down.code == 0, down.err
        eventually(lambda: not _containers(allocs), timeout=60, what="every container gone")
        assert "warm shutdown" in worker.tasks["worker"].spec.stdout.read_text()  # SIGINT reached the worker
        eventually(lambda: all(a["ClientStatus"] == "complete" for a in sim.allocations(project.app)),
                   what="every allocation complete")
    finally:
        subprocess.run(["docker", "rmi", "-f", image], capture_output=True, check=False)
