"""The simulated client running tasks as real processes."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from .simulator import NomadSimulator


@pytest.fixture
def client_sim() -> Iterator[NomadSimulator]:
    """A simulator whose client runs tasks."""
    with NomadSimulator(run_tasks=True) as sim:
        yield sim


def _job(command: str, args: list[str], **task: Any) -> dict[str, Any]:
    return {"Job": {"ID": "t", "Name": "t", "Type": "service", "Datacenters": ["dc1"], "TaskGroups": [{
        "Name": "g", "Count": 1, "Networks": [{"DynamicPorts": [{"Label": "port"}]}],
        "Tasks": [{"Name": "g", "Driver": "raw_exec", "Config": {"command": command, "args": args}, **task}]}]}}


def _wait(what: Callable[[], Any], timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := what()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return value


def test_a_raw_exec_task_runs_and_its_output_is_in_the_logs(client_sim: NomadSimulator) -> None:
    job = _job("/bin/sh", ["-c", "echo index=$NOMAD_ALLOC_INDEX port=$NOMAD_PORT_port ${NOMAD_TASK_NAME} "
                                 "'$${A:-b}'; sleep 30"])
    assert requests.post(f"{client_sim.address}/v1/jobs", json=job, timeout=5).status_code == 200
    (alloc,) = _wait(lambda: [a for a in client_sim.allocations("t") if a["ClientStatus"] == "running"])
    url = f"{client_sim.address}/v1/client/fs/logs/{alloc['ID']}"
    text = _wait(lambda: requests.get(url, params={"task": "g", "type": "stdout", "plain": "true"}, timeout=5).text)
    assert text.startswith("index=0 port=") and text.endswith(" g ${A:-b}\n")
    _wait(lambda: client_sim.latest_deployment("t")["Status"] == "successful")  # type: ignore[index]
    requests.delete(f"{client_sim.address}/v1/job/t", timeout=5)
    (done,) = _wait(lambda: [a for a in client_sim.allocations("t") if a["ClientStatus"] == "complete"])
    assert done["TaskStates"]["g"]["Events"][-1]["Type"] == "Killed"


@pytest.mark.parametrize(("arg", "message"), [("${HOME}", 'There is no variable named "HOME".'),
                                              ("${A:-b}", "Extra characters after interpolation")])
def test_a_bad_template_fails_the_alloc(client_sim: NomadSimulator, arg: str, message: str) -> None:
    requests.post(f"{client_sim.address}/v1/jobs", json=_job("/bin/echo", [arg]), timeout=5)
    (alloc,) = _wait(lambda: [a for a in client_sim.allocations("t") if a["ClientStatus"] == "failed"])
    events = alloc["TaskStates"]["g"]["Events"]
    assert any(e["Type"] == "Failed Validation" and "failed to parse config: " in e["Message"]
               and message in e["Message"] for e in events)
    assert alloc["TaskStates"]["g"]["Failed"] is True


def test_kill_signal_is_delivered_and_kill_timeout_respected(client_sim: NomadSimulator) -> None:
    script = "trap 'echo got-term; exit 0' TERM; echo ready; while true; do sleep 0.1; done"
    job = _job("/bin/sh", ["-c", script], KillSignal="SIGTERM", KillTimeout=2_000_000_000)
    requests.post(f"{client_sim.address}/v1/jobs", json=job, timeout=5)
    (alloc,) = _wait(lambda: [a for a in client_sim.allocations("t") if a["ClientStatus"] == "running"])
    url = f"{client_sim.address}/v1/client/fs/logs/{alloc['ID']}"
    params = {"task": "g", "type": "stdout", "plain": "true"}
    _wait(lambda: "ready" in requests.get(url, params=params, timeout=5).text)
    requests.delete(f"{client_sim.address}/v1/job/t", timeout=5)
    _wait(lambda: [a for a in client_sim.allocations("t") if a["ClientStatus"] == "complete"])
    assert "got-term" in requests.get(url, params=params, timeout=5).text


def test_a_process_ignoring_the_signal_is_killed_after_kill_timeout(client_sim: NomadSimulator) -> None:
    job = _job("/bin/sh", ["-c", "trap '' INT TERM; while true; do sleep 0.1; done"], KillTimeout=1_000_000_000)
    requests.post(f"{client_sim.address}/v1/jobs", json=job, timeout=5)
    _wait(lambda: [a for a in client_sim.allocations("t") if a["ClientStatus"] == "running"])
    started = time.monotonic()
    requests.delete(f"{client_sim.address}/v1/job/t", timeout=5)
    _wait(lambda: [a for a in client_sim.allocations("t") if a["ClientStatus"] == "complete"])
    assert 0.9 < time.monotonic() - started < 5
