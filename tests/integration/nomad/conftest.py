"""The Nomad the integration tests run against: the in-repo simulator, or a real agent when NOMAD_ADDR is set.

Every test runs the CLI with NOMAD_ADDR pointing at that agent: `procfleet.cli.main` in this interpreter for speed,
and `python -m procfleet` in a fresh process where a test runs commands in the background or checks the real
entry point.
Tests that need the simulator's controls (its request log, ACL set-up, failure injection, manual progress) skip
against a real agent, saying so; the others run against both.
"""

from __future__ import annotations

import io
import os
import secrets
import subprocess
import sys
import textwrap
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import requests

from procfleet.cli import main
from tests.nomad_sim import NomadSimulator

# What every test formation runs: a raw_exec-able shell line works on a real dev agent (`nomad agent -dev`
# enables raw_exec) and is what the simulator's strict driver check accepts.
FORMATION = """
[app]
name = "{app}"
env = {{ GREETING = "hello" }}

[processes.web]
command = "python3 -m http.server $PORT"
count = 2
port = 8000
health = {{ http = "/", interval = "2s", timeout = "1s" }}
stop_timeout = "2s"

[processes.worker]
command = "sleep 3600"
stop_timeout = "2s"

[backends.nomad]
driver = "raw_exec"
"""


@dataclass(frozen=True)
class CliResult:
    """One CLI run."""

    code: int
    out: str
    err: str


@dataclass
class Agent:
    """The Nomad under test: its address, and the simulator when it is one."""

    address: str
    sim: NomadSimulator | None
    timeout: float  # what --timeout tests pass: short on the simulator, a real rollout's length otherwise
    environ: dict[str, str] = field(default_factory=dict)

    def simulator(self) -> NomadSimulator:
        """The simulator, or a skip when the tests run against a real agent."""
        if self.sim is None:
            pytest.skip("needs the Nomad simulator's controls (NOMAD_ADDR points at a real agent)")
        return self.sim

    def http(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A request straight to the agent (not through procfleet), with its token and TLS settings."""
        headers = {"X-Nomad-Token": self.environ["NOMAD_TOKEN"]} if self.environ.get("NOMAD_TOKEN") else {}
        skip = self.environ.get("NOMAD_SKIP_VERIFY", "").lower() in ("1", "t", "true")
        verify: bool | str = False if skip else self.environ.get("NOMAD_CACERT") or True
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # an unverified request is what NOMAD_SKIP_VERIFY asked for
            return requests.request(method, f"{self.address}{path}", headers=headers, timeout=10, verify=verify,
                                    **kwargs)

    def job(self, job_id: str, namespace: str = "default") -> dict[str, Any] | None:
        """GET /v1/job/:id, None when missing."""
        answer = self.http("GET", f"/v1/job/{job_id}", params={"namespace": namespace})
        if answer.status_code == 404:
            return None
        answer.raise_for_status()
        body: dict[str, Any] = answer.json()
        return body

    def counts(self, job_id: str) -> dict[str, int]:
        """Each group's Count."""
        job = self.job(job_id)
        assert job is not None, f"no job {job_id}"
        return {group["Name"]: group["Count"] for group in job["TaskGroups"]}

    def live_allocations(self, job_id: str) -> list[dict[str, Any]]:
        """The job's allocations that are wanted running and not finished."""
        answer = self.http("GET", f"/v1/job/{job_id}/allocations")
        answer.raise_for_status()
        return [a for a in answer.json() if a["DesiredStatus"] == "run"
                and a["ClientStatus"] not in ("complete", "failed", "lost")]


@pytest.fixture
def agent(request: pytest.FixtureRequest) -> Iterator[Agent]:
    """A fresh simulator per test whose client runs the tasks for real, or the real agent; a test marked
    `scripted` gets the stubbed simulator instead (deployments succeed at once, states set by the test)."""
    address = os.environ.get("NOMAD_ADDR")
    if address:
        environ = {k: v for k, v in os.environ.items() if k.startswith("NOMAD_")}
        yield Agent(address=address.rstrip("/"), sim=None, timeout=180.0, environ=environ)
        return
    scripted = request.node.get_closest_marker("scripted") is not None
    options: dict[str, Any] = {"auto_healthy": True} if scripted else {"run_tasks": True}
    with NomadSimulator(**options) as sim:
        yield Agent(address=sim.address, sim=sim, timeout=10.0, environ={"NOMAD_ADDR": sim.address})


class Project:
    """A folder with a formation file, and the CLI run in it against the agent."""

    def __init__(self, folder: Path, app: str, agent: Agent) -> None:
        self.folder = folder
        self.app = app
        self.agent = agent
        self.started: list[subprocess.Popen[str]] = []

    def write(self, text: str = FORMATION, **values: str) -> Path:
        """Write formation.toml ({app} is the test's unique app name)."""
        path = self.folder / "formation.toml"
        path.write_text(textwrap.dedent(text).format(app=self.app, **values))
        return path

    def environ(self, **extra: str) -> dict[str, str]:
        """The caller's environment without its NOMAD_* (those of the agent instead), plus extra."""
        base = {k: v for k, v in os.environ.items() if not k.startswith("NOMAD_")}
        return {**base, **self.agent.environ, "NO_COLOR": "1", "COLUMNS": "200", **extra}

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "procfleet", *args]

    def cli(self, *args: str, env: dict[str, str] | None = None, fresh: bool = False) -> CliResult:
        """Run `procfleet ARGS…` to completion: in this interpreter (procfleet.cli.main, the same code path, with
        the environment and folder swapped in), or with fresh=True as `python -m procfleet` in a new process."""
        environ = env or self.environ()
        if fresh:
            done = subprocess.run(self.command(*args), cwd=self.folder, env=environ, capture_output=True, text=True,
                                  timeout=300, check=False)
            return CliResult(done.returncode, done.stdout, done.stderr)
        out, err = io.StringIO(), io.StringIO()
        previous = Path.cwd()
        try:
            os.chdir(self.folder)
            with mock.patch.dict(os.environ, environ, clear=True), redirect_stdout(out), redirect_stderr(err):
                code = main(list(args))
        finally:
            os.chdir(previous)
        return CliResult(code, out.getvalue(), err.getvalue())

    def start(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        """Start `procfleet ARGS…` in the background (finish it with finish())."""
        process = subprocess.Popen(self.command(*args), cwd=self.folder, env=env or self.environ(),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.started.append(process)
        return process

    def stop_started(self) -> None:
        """Kill what a failed test left running, by its own process id."""
        for process in self.started:
            if process.poll() is None:
                process.kill()
            process.communicate()

    @staticmethod
    def finish(process: subprocess.Popen[str], timeout: float = 60) -> CliResult:
        out, err = process.communicate(timeout=timeout)
        return CliResult(process.returncode, out, err)


@pytest.fixture
def project(tmp_path: Path, agent: Agent) -> Iterator[Project]:
    """A unique app name (so runs against a real agent never collide), purged from the agent afterwards."""
    app = f"pf-{secrets.token_hex(4)}"
    made = Project(tmp_path, app, agent)
    yield made
    made.stop_started()
    if agent.sim is None and (tmp_path / "formation.toml").exists():
        made.cli("down", "--purge", "-b", "nomad")


def eventually(condition: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll until condition() is truthy, returning its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
