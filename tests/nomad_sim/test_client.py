"""The simulated client running tasks as real processes."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from tests.integration.conftest import BUSYBOX_IMAGE, engine_missing

from .simulator import NomadSimulator
from .task_handles import ProcessHandle


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


def test_a_process_ignoring_the_signal_is_killed_after_kill_timeout(client_sim: NomadSimulator,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """task_runner.go killTask: the kill signal, a wait of KillTimeout that the task outlives, then SIGKILL."""
    done: list[tuple[str, Any]] = []  # what the client did to the task's handle, in order
    signal_task, wait_for_task, kill_task = ProcessHandle.signal, ProcessHandle.wait, ProcessHandle.kill

    def signalled(handle: ProcessHandle, sig: signal.Signals) -> None:
        done.append(("signal", sig))
        signal_task(handle, sig)

    def waited(handle: ProcessHandle, timeout: float) -> bool:
        ended = wait_for_task(handle, timeout)
        done.append(("wait", (timeout, "ended" if ended else "still running")))
        return ended

    def killed(handle: ProcessHandle) -> None:
        done.append(("kill", None))
        kill_task(handle)

    monkeypatch.setattr(ProcessHandle, "signal", signalled)
    monkeypatch.setattr(ProcessHandle, "wait", waited)
    monkeypatch.setattr(ProcessHandle, "kill", killed)
    # It reports each signal it gets and carries on: only SIGKILL ends it. Python rather than sh: a shell cannot
    # trap a signal that was ignored when it started, as SIGINT is for a test run started in the background.
    script = ("import signal, time\n"
              "signal.signal(signal.SIGINT, lambda *_: print('got-int', flush=True))\n"
              "signal.signal(signal.SIGTERM, lambda *_: print('got-term', flush=True))\n"
              "print('ready', flush=True)\n"
              "while True:\n    time.sleep(0.1)\n")
    job = _job(sys.executable, ["-c", script], KillTimeout=1_000_000_000)
    requests.post(f"{client_sim.address}/v1/jobs", json=job, timeout=5)
    (alloc,) = _wait(lambda: [a for a in client_sim.allocations("t") if a["ClientStatus"] == "running"])
    url = f"{client_sim.address}/v1/client/fs/logs/{alloc['ID']}"
    params = {"task": "g", "type": "stdout", "plain": "true"}
    _wait(lambda: "ready" in requests.get(url, params=params, timeout=5).text)
    assert client_sim.client is not None
    handle = client_sim.client.runs[alloc["ID"]].tasks["g"].handle
    assert isinstance(handle, ProcessHandle)
    requests.delete(f"{client_sim.address}/v1/job/t", timeout=5)
    (stopped,) = _wait(lambda: [a for a in client_sim.allocations("t") if a["ClientStatus"] == "complete"])
    assert done == [("signal", signal.SIGINT), ("wait", (1.0, "still running")), ("kill", None),
                    ("signal", signal.SIGKILL)]  # kill() signals the group with SIGKILL
    assert handle.poll() == -signal.SIGKILL
    assert requests.get(url, params=params, timeout=5).text.split() == ["ready", "got-int"]
    events = stopped["TaskStates"]["g"]["Events"]
    killing = next(e for e in events if e["Type"] == "Killing")
    assert (killing["DisplayMessage"], killing["KillTimeout"]) == ("Sent interrupt. Waiting 1s before force killing",
                                                                   1.0)
    assert events[-1]["Type"] == "Killed"


def _events(sim: NomadSimulator, job: str = "t") -> list[tuple[str, str]]:
    (alloc,) = sim.allocations(job)
    return [(e["Type"], e["DisplayMessage"]) for e in alloc["TaskStates"]["g"]["Events"]]


def _policy(attempts: int, mode: str = "fail", delay: float = 0.1, interval: float = 30) -> dict[str, Any]:
    return {"Attempts": attempts, "Mode": mode, "Delay": int(delay * 1e9), "Interval": int(interval * 1e9)}


def _with_policy(job: dict[str, Any], policy: dict[str, Any], kind: str = "service") -> dict[str, Any]:
    job["Job"]["Type"] = kind
    job["Job"]["TaskGroups"][0]["RestartPolicy"] = policy
    if kind == "batch":
        job["Job"]["TaskGroups"][0]["Networks"] = None
    return job


def _runs(client_sim: NomadSimulator) -> int:
    """How many times the task really started: each run appends a line to a file in its alloc dir."""
    assert client_sim.client is not None
    return sum(len((run.tasks["g"].spec.alloc_dir / "runs").read_text().splitlines())
               for run in client_sim.client.runs.values())


COUNTED = "echo run >>$NOMAD_ALLOC_DIR/runs; "


def test_a_failing_task_is_restarted_until_the_policy_gives_up(client_sim: NomadSimulator) -> None:
    """restarts.go: Attempts restarts within Interval, each after Delay (+ jitter); then mode "fail" ends it."""
    job = _with_policy(_job("/bin/sh", ["-c", COUNTED + "exit 3"]), _policy(2))
    requests.post(f"{client_sim.address}/v1/jobs", json=job, timeout=5)
    (alloc,) = _wait(lambda: [a for a in client_sim.allocations("t") if a["ClientStatus"] == "failed"])
    kinds = [kind for kind, _ in _events(client_sim)]
    assert kinds == ["Received", *["Started", "Terminated", "Restarting"] * 2, "Started", "Terminated",
                     "Not Restarting"]
    messages = dict(_events(client_sim))
    assert messages["Terminated"] == "Exit Code: 3"
    assert messages["Restarting"].startswith("Task restarting in 1")  # 100ms plus up to 25%: "1xx.xxxms"
    assert messages["Not Restarting"] == 'Exceeded allowed attempts 2 in interval 30s and mode is "fail"'
    state = alloc["TaskStates"]["g"]
    assert (state["State"], state["Failed"], state["Restarts"]) == ("dead", True, 2)
    assert _runs(client_sim) == 3


def test_a_service_task_that_exits_0_is_restarted_a_batch_task_is_not(client_sim: NomadSimulator) -> None:
    """NewRestartTracker: onSuccess is true except for batch jobs, whose successful exit ends the task."""
    requests.post(f"{client_sim.address}/v1/jobs", json=_with_policy(_job("/bin/sh", ["-c", COUNTED + "exit 0"]),
                                                                  _policy(1)), timeout=5)
    _wait(lambda: [a for a in client_sim.allocations("t") if a["ClientStatus"] == "failed"])
    assert [k for k, _ in _events(client_sim)].count("Restarting") == 1 and _runs(client_sim) == 2

    batch = _with_policy(_job("/bin/sh", ["-c", "exit 0"]), _policy(1), kind="batch")
    batch["Job"]["ID"] = batch["Job"]["Name"] = "b"
    requests.post(f"{client_sim.address}/v1/jobs", json=batch, timeout=5)
    (alloc,) = _wait(lambda: [a for a in client_sim.allocations("b") if a["ClientStatus"] == "complete"])
    assert [k for k, _ in _events(client_sim, "b")] == ["Received", "Started", "Terminated"]
    assert alloc["TaskStates"]["g"]["Failed"] is False


def test_no_attempts_means_no_restart_even_after_exit_0(client_sim: NomadSimulator) -> None:
    requests.post(f"{client_sim.address}/v1/jobs", json=_with_policy(_job("/bin/true", []), _policy(0)), timeout=5)
    _wait(lambda: [a for a in client_sim.allocations("t") if a["ClientStatus"] == "failed"])
    assert _events(client_sim)[-1] == ("Not Restarting", "Policy allows no restarts")


def test_mode_delay_waits_out_the_interval_and_keeps_restarting(client_sim: NomadSimulator) -> None:
    """Past its attempts the task waits for the rest of the interval (5s, Nomad's shortest), then runs again."""
    answer = requests.post(f"{client_sim.address}/v1/jobs", timeout=5, json=_with_policy(
        _job("/bin/sh", ["-c", COUNTED + "exit 1"]), _policy(1, mode="delay", delay=0.05, interval=5.0)))
    assert answer.status_code == 200, answer.text
    _wait(lambda: any(m.startswith("Exceeded allowed attempts, applying a delay - Task restarting in 4.")
                      for _, m in _events(client_sim)))
    (alloc,) = client_sim.allocations("t")
    assert alloc["ClientStatus"] == "pending" and alloc["TaskStates"]["g"]["State"] == "pending"
    assert _runs(client_sim) == 2


def test_a_service_check_probes_the_real_process(client_sim: NomadSimulator) -> None:
    """checks_hook.go: the first probe after half the interval; healthy needs the check passing; check_restart
    restarts a task whose check keeps failing (here the server answers 500)."""
    server = ("import http.server, os\n"
              "class H(http.server.BaseHTTPRequestHandler):\n"
              "    def do_GET(self):\n"
              "        self.send_response(int(os.environ['CODE'])); self.end_headers(); self.wfile.write(b'nope')\n"
              "http.server.HTTPServer(('127.0.0.1', int(os.environ['NOMAD_PORT_port'])), H).serve_forever()\n")
    job = _job(sys.executable, ["-c", server], Env={"CODE": "200"})
    check = {"Name": "health", "Type": "http", "Path": "/", "Interval": 1_000_000_000, "Timeout": 1_000_000_000,
             "CheckRestart": {"Limit": 2, "Grace": 0}}
    job["Job"]["TaskGroups"][0]["Services"] = [{"Name": "web", "PortLabel": "port", "Provider": "nomad",
                                                "Checks": [check]}]
    answer = requests.post(f"{client_sim.address}/v1/jobs", json=job, timeout=5)
    assert answer.status_code == 200, answer.text
    _wait(lambda: client_sim.latest_deployment("t")["Status"] == "successful")  # type: ignore[index]

    job["Job"]["TaskGroups"][0]["Tasks"][0]["Env"] = {"CODE": "500"}
    requests.post(f"{client_sim.address}/v1/jobs", json=job, timeout=5)
    _wait(lambda: [a for a in client_sim.allocations("t") if a["JobVersion"] == 1 and a["ClientStatus"] == "running"])
    new = next(a for a in client_sim.allocations("t") if a["JobVersion"] == 1)
    time.sleep(0.5)
    assert client_sim.latest_deployment("t")["Status"] == "running"  # type: ignore[index]
    assert not (client_sim.allocations("t")[-1].get("DeploymentStatus") or {}).get("Healthy")

    def restarted() -> bool:
        alloc = next(a for a in client_sim.allocations("t") if a["ID"] == new["ID"])
        return any(e["Type"] == "Restart Signaled" for e in alloc["TaskStates"]["g"]["Events"])
    _wait(restarted, timeout=10)
    alloc = next(a for a in client_sim.allocations("t") if a["ID"] == new["ID"])
    messages = [e["DisplayMessage"] for e in alloc["TaskStates"]["g"]["Events"]]
    assert 'healthcheck: check "health" unhealthy' in messages


def test_a_docker_task_runs_in_a_real_container_that_is_removed_after(client_sim: NomadSimulator) -> None:
    """drivers/docker: the container gets the task env, init passes the kill signal on, the logs are its output."""
    if shutil.which("docker") is None or subprocess.run(["docker", "image", "inspect", BUSYBOX_IMAGE],
                                                        capture_output=True, check=False).returncode:
        engine_missing(f"the docker driver's tasks need the engine and {BUSYBOX_IMAGE}")
    script = ("trap 'echo got-term; exit 0' TERM; echo index=$NOMAD_ALLOC_INDEX dir=$NOMAD_ALLOC_DIR; "
              "while true; do sleep 0.1; done")
    job = _job("", [])
    job["Job"]["TaskGroups"][0]["Tasks"][0].update(Driver="docker", KillSignal="SIGTERM", Config={
        "image": BUSYBOX_IMAGE, "entrypoint": ["/bin/sh", "-c"], "args": [script], "init": True})
    requests.post(f"{client_sim.address}/v1/jobs", json=job, timeout=5)
    (alloc,) = _wait(lambda: [a for a in client_sim.allocations("t") if a["ClientStatus"] == "running"], 30)
    name = f"g-{alloc['ID']}"
    listed = subprocess.run(["docker", "ps", "--filter", f"label=com.hashicorp.nomad.alloc_id={alloc['ID']}",
                             "--format", "{{.Names}}"], capture_output=True, text=True, check=True).stdout.split()
    assert listed == [name]
    url = f"{client_sim.address}/v1/client/fs/logs/{alloc['ID']}"
    params = {"task": "g", "type": "stdout", "plain": "true"}
    _wait(lambda: "index=0 dir=/alloc" in requests.get(url, params=params, timeout=5).text)
    requests.delete(f"{client_sim.address}/v1/job/t", timeout=5)
    _wait(lambda: [a for a in client_sim.allocations("t") if a["ClientStatus"] == "complete"], 30)
    assert "got-term" in requests.get(url, params=params, timeout=5).text
    _wait(lambda: not subprocess.run(["docker", "ps", "-aq", "--filter", f"name={name}"], capture_output=True,
                                     text=True, check=True).stdout.strip())
