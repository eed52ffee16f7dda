"""The simulated client: it runs every allocation's tasks for real and reports what they do.

Follows client/allocrunner/taskrunner/task_runner.go: Config evaluated with the task's environment before the
driver starts (runDriver; a failure is a "Failed Validation" event and no restart), the restart policy applied to
each real exit (shouldRestart, restarts.go), KillSignal then KillTimeout on stop (killTask; the client caps the
timeout at 30 s). The allocation's status follows its tasks (client/allocrunner/alloc_runner.go getClientStatus),
and its deployment health follows client/allochealth/tracker.go: tasks running, Nomad service checks passing.
Slow work (starting a container, waiting out a kill timeout, probing a check) runs outside the cluster lock.
"""

from __future__ import annotations

import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .checks import CheckRun, group_checks, probe
from .client_config import evaluate, failure_message, nested_variables
from .gotypes import format_duration, rfc3339
from .model import Allocation, task_event
from .restarts import Decision, RestartTracker
from .scheduler import fail_validation, groups_by_name, job_of, refresh, set_health
from .state import Cluster
from .task_handles import DriverFailure, LaunchSpec, TaskHandle, launch
from .taskenv import NODE_ATTRIBUTES, group_ports, task_env

Json = dict[str, Any]
MAX_KILL_TIMEOUT = 30.0  # client/config/config.go DefaultMaxKillTimeout
DEFAULT_KILL_TIMEOUT = 5.0  # structs.DefaultKillTimeout, what a KillTimeout of 0 becomes
TICK = 0.05


def _free_port() -> int:
    """A free loopback port for a dynamic host port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def exit_code_of(returncode: int) -> tuple[int, int]:
    """(ExitCode, Signal) as the executor reports a wait status: killed by a signal is 128+signal."""
    if returncode < 0:
        return 128 - returncode, -returncode
    return returncode, 0


def client_status(states: dict[str, Json]) -> tuple[str, str]:
    """alloc_runner.go getClientStatus: any failed task fails the allocation, then running, pending, complete."""
    found = {("failed" if s["Failed"] else "dead") if s["State"] == "dead" else s["State"] for s in states.values()}
    for state, status, description in (("failed", "failed", "Failed tasks"), ("running", "running",
                                        "Tasks are running"), ("pending", "pending", "No tasks have started"),
                                       ("dead", "complete", "All tasks have completed")):
        if state in found:
            return status, description
    return "pending", ""


@dataclass
class TaskRun:
    """One task of a running allocation: its launch spec, restart tracker and current handle."""

    name: str
    task: Json
    spec: LaunchSpec
    tracker: RestartTracker
    phase: str = "pending"  # pending (may start at start_at), starting, running, dead
    start_at: float = 0.0
    started_at: float = 0.0
    handle: TaskHandle | None = None
    restart_signaled: bool = False
    user_restart: bool = False  # RestartTracker.SetRestartTriggered(false): restart at once, not counted

    @property
    def kill_signal(self) -> signal.Signals:
        """KillSignal; a task without one gets SIGINT on exec drivers, as the executor sends."""
        return getattr(signal.Signals, self.task.get("KillSignal") or "SIGINT", signal.SIGINT)

    @property
    def kill_timeout(self) -> float:
        """KillTimeout in seconds, 0 stored as the 5 s default, capped at the client's maximum."""
        return min((self.task.get("KillTimeout") or 0) / 1e9 or DEFAULT_KILL_TIMEOUT, MAX_KILL_TIMEOUT)


@dataclass
class AllocRun:
    """What the client holds for one allocation it runs."""

    alloc: Allocation
    group: Json
    tasks: dict[str, TaskRun]
    checks: list[CheckRun]
    created: float
    stopping: bool = False
    threads: list[threading.Thread] = field(default_factory=list)


class ClientRunner:
    """A background thread that starts, watches, restarts and stops the tasks of every allocation."""

    def __init__(self, cluster: Cluster, min_healthy_scale: float = 0.0) -> None:
        self.cluster = cluster
        self.scale = min_healthy_scale
        self.root = Path(tempfile.mkdtemp(prefix="nomad-sim-client-"))
        self.runs: dict[str, AllocRun] = {}
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Kill every task left, remove its containers and the client's directories, and end the thread."""
        self._halt.set()
        self._thread.join(5)
        with self.cluster.lock:
            runs = list(self.runs.values())
        for run in runs:
            for thread in run.threads:
                thread.join(MAX_KILL_TIMEOUT + 5)
            for task in run.tasks.values():
                if task.handle is not None:
                    if task.handle.poll() is None:
                        task.handle.kill()
                    task.handle.cleanup()
        shutil.rmtree(self.root, ignore_errors=True)

    # -- the loop -----------------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._halt.wait(TICK):
            with self.cluster.lock:
                for alloc in list(self.cluster.allocs.values()):
                    self._step(alloc, time.monotonic())

    def _background(self, run: AllocRun, work: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=work, args=(run, *args), daemon=True)
        run.threads.append(thread)
        thread.start()

    def _step(self, alloc: Allocation, now: float) -> None:
        run = self.runs.get(alloc.id)
        if alloc.client_terminal or (run is not None and run.stopping):
            return
        if alloc.desired_status != "run":
            if run is None:
                self._finish_unstarted(alloc)
            else:
                run.stopping = True
                self._background(run, self._stop_alloc)
            return
        if run is None:
            self._receive(alloc, now)
            return
        for task in run.tasks.values():
            if task.phase == "pending" and now >= task.start_at:
                task.phase = "starting"
                self._background(run, self._launch, task)
            elif task.phase == "running" and task.handle is not None:
                code = task.handle.poll()
                if code is not None:
                    self._exited(run, task, code, now)
        if all(t.phase == "running" for t in run.tasks.values()):
            for check in run.checks:
                if not check.in_flight and now >= check.next_at:
                    check.in_flight = True
                    self._background(run, self._probe, check)
        self._track_health(run, now)

    # -- starting -----------------------------------------------------------------------------------

    def _receive(self, alloc: Allocation, now: float) -> None:
        """A new allocation: ports, directories, each task's env and evaluated Config."""
        job = job_of(self.cluster, alloc)
        if job is None:
            return
        group = groups_by_name(job)[alloc.group]
        ports = {}
        for port in group_ports(group):
            host = port.get("Value") or _free_port()
            ports[port["Label"]] = (host, port.get("To") or host)
        alloc_dir = self.root / alloc.id
        tasks: dict[str, TaskRun] = {}
        for task in group["Tasks"]:
            task_dir = alloc_dir / task["Name"]
            env = task_env(alloc, job, group, task, (str(alloc_dir), str(task_dir)),
                           {label: host for label, (host, _) in ports.items()})
            config, errors = evaluate(task.get("Config") or {}, nested_variables({**NODE_ATTRIBUTES, **env}))
            if errors:
                # task_runner.go runDriver: "Failed Validation", then no restart
                fail_validation(alloc, failure_message(errors), self.cluster.next_index("allocs"), self.cluster.now())
                self._settle(alloc)
                return
            spec = LaunchSpec(name=f"{task['Name']}-{alloc.id}", alloc_id=alloc.id, driver=task["Driver"],
                              config=config, env=env, alloc_dir=alloc_dir, task_dir=task_dir,
                              stdout=task_dir / "stdout", stderr=task_dir / "stderr", ports=ports,
                              resources=task.get("Resources") or {})
            alloc.log_files[(task["Name"], "stdout")] = str(spec.stdout)
            alloc.log_files[(task["Name"], "stderr")] = str(spec.stderr)
            tracker = RestartTracker(group.get("RestartPolicy") or {}, alloc.job_type)
            tasks[task["Name"]] = TaskRun(task["Name"], task, spec, tracker, start_at=now)
        self.runs[alloc.id] = AllocRun(alloc, group, tasks, group_checks(group, ports, now), created=now)

    def _launch(self, run: AllocRun, task: TaskRun) -> None:
        """Start one task with its driver (outside the lock), then record what happened."""
        try:
            handle: TaskHandle | None = launch(task.spec)
            failure = None
        except DriverFailure as error:
            handle, failure = None, error
        with self.cluster.lock:
            alloc, now = run.alloc, time.monotonic()
            if handle is not None and (run.stopping or alloc.desired_status != "run"):
                task.handle, task.phase = handle, "running"  # the stop in progress kills it
                return
            if failure is not None:
                self._event(alloc, task.name, "Driver Failure", str(failure), DriverError=str(failure))
                decision = (task.tracker.after_exit(1) if failure.recoverable
                            else Decision(False, 0, "Error was unrecoverable", failed=True))
                self._decide(run, task, decision, now)
                return
            task.handle, task.phase, task.started_at = handle, "running", now
            state = alloc.task_states[task.name]
            state.update(State="running", StartedAt=rfc3339(self.cluster.now()))
            self._event(alloc, task.name, "Started", "Task started by client")
            for check in run.checks:
                check.next_at = now + check.interval / 2  # a (re)started task is probed afresh
            self._update_status(run)

    # -- exits and restarts -------------------------------------------------------------------------

    def _exited(self, run: AllocRun, task: TaskRun, returncode: int, now: float) -> None:
        """A task ended on its own (or after a check restart): Terminated, then the restart policy decides."""
        code, sig = exit_code_of(returncode)
        message = f"Exit Code: {code}" + (f", Signal: {sig}" if sig else "")
        self._event(run.alloc, task.name, "Terminated", message, ExitCode=code, Signal=sig)
        handle, task.handle = task.handle, None
        if handle is not None:
            self._background(run, lambda _run: handle.cleanup())
        triggered, task.restart_signaled = task.restart_signaled, False
        if task.user_restart:
            # restarts.go GetState: the restartTriggered hot path, TaskRestarting with no delay
            task.user_restart = False
            self._decide(run, task, Decision(restart=True, delay_ns=0, reason="", failed=False), now)
            return
        self._decide(run, task, task.tracker.after_exit(1 if triggered else code), now)

    def _decide(self, run: AllocRun, task: TaskRun, decision: Decision, now: float) -> None:
        """task_runner.go shouldRestart: pending with a Restarting event, or dead (failed when not restarting)."""
        alloc = run.alloc
        state = alloc.task_states[task.name]
        event = decision.event()
        if decision.restart:
            task.phase, task.start_at = "pending", now + decision.delay_ns / 1e9
            state["State"] = "pending"
            state["Restarts"] += 1
            state["LastRestart"] = rfc3339(self.cluster.now())
        else:
            task.phase = "dead"
            state.update(State="dead", Failed=decision.failed, FinishedAt=rfc3339(self.cluster.now()))
        if event is not None:
            extra = {"StartDelay": decision.delay_ns} if decision.restart else {"FailsTask": decision.failed}
            self._event(alloc, task.name, *event, RestartReason=decision.reason, **extra)
        if decision.failed:
            for sibling in run.tasks.values():
                if sibling is not task and sibling.phase != "dead":
                    self._background(run, self._kill_sibling, sibling, task.name)
        self._update_status(run)

    def _kill_sibling(self, run: AllocRun, task: TaskRun, failed: str) -> None:
        """alloc_runner.go: a failed task kills the others, each with a "Sibling Task Failed" event."""
        with self.cluster.lock:
            handle, task.phase = task.handle, "dead"
        if handle is not None:
            self._kill(task, handle)
        with self.cluster.lock:
            self._event(run.alloc, task.name, "Sibling Task Failed", f'Task\'s sibling "{failed}" failed',
                        FailedSibling=failed)
            run.alloc.task_states[task.name].update(State="dead", FinishedAt=rfc3339(self.cluster.now()))
            self._update_status(run)

    # -- checks and health --------------------------------------------------------------------------

    def _probe(self, run: AllocRun, check: CheckRun) -> None:
        status, output = probe(check.check, check.host_port)
        with self.cluster.lock:
            check.record(status, output, time.monotonic())
            self._check_restart(run, check)

    def restart(self, alloc_id: str) -> bool:
        """PUT /v1/client/allocation/:id/restart (client/allocrunner/taskrunner/lifecycle.go Restart): every running
        task gets "Restart Signaled" (User requested restart) and is killed, then starts again at once; False when
        no task runs (te.ErrTaskNotRunning)."""
        with self.cluster.lock:
            run = self.runs.get(alloc_id)
            running = [task for task in run.tasks.values() if task.phase == "running" and task.handle is not None] \
                if run is not None and not run.stopping else []
            for task in running:
                task.user_restart = True
                self._event(run.alloc, task.name, "Restart Signaled", "User requested restart")  # type: ignore[union-attr]
                handle = task.handle
                self._background(run, lambda _run, t=task, h=handle: self._kill(t, h))  # type: ignore[arg-type]
        return bool(running)

    def _check_restart(self, run: AllocRun, check: CheckRun) -> None:
        """check_restart: Limit failures in a row, past Grace, restart the task the check belongs to."""
        policy = check.check.get("CheckRestart") or {}
        limit = int(policy.get("Limit") or 0)
        if not limit or check.failures < limit or run.stopping:
            return
        grace = (policy.get("Grace") or 0) / 1e9
        for task in run.tasks.values():
            if task.phase == "running" and task.handle is not None and time.monotonic() - task.started_at >= grace:
                task.restart_signaled = True
                check.failures = 0
                name = check.check.get("Name") or "check"
                self._event(run.alloc, task.name, "Restart Signaled", f'healthcheck: check "{name}" unhealthy')
                handle = task.handle
                self._background(run, lambda _run, t=task, h=handle: self._kill(t, h))

    def _track_health(self, run: AllocRun, now: float) -> None:
        """allochealth/tracker.go: healthy once every task has run MinHealthyTime (since its latest start) with
        its checks passing; unhealthy when a task fails or finishes, or past HealthyDeadline."""
        alloc = run.alloc
        deployment = self.cluster.deployments.get(alloc.deployment_id)
        if alloc.healthy is not None or deployment is None or not deployment.active:
            return
        update = run.group.get("Update") or {}
        states = alloc.task_states.values()
        if any(s["Failed"] or s["State"] == "dead" for s in states):
            self._set_health(alloc, False)
            return
        if now - run.created >= (update.get("HealthyDeadline") or 300_000_000_000) / 1e9:
            self._set_health(alloc, False)
            return
        if not all(t.phase == "running" for t in run.tasks.values()):
            return
        since = max(t.started_at for t in run.tasks.values())
        if update.get("HealthCheck", "checks") == "checks":
            if not all(c.status == "success" and c.passing_since is not None for c in run.checks):
                return
            since = max([since, *(c.passing_since or now for c in run.checks)])
        if now - since >= (update.get("MinHealthyTime") or 0) / 1e9 * self.scale:
            self._set_health(alloc, True)

    def _set_health(self, alloc: Allocation, healthy: bool) -> None:
        set_health(alloc, healthy, self.cluster.next_index("allocs"), self.cluster.now())
        record = self.cluster.record(alloc.namespace, alloc.job_id)
        if record is not None:
            refresh(self.cluster, record)

    # -- stopping -----------------------------------------------------------------------------------

    @staticmethod
    def _kill(task: TaskRun, handle: TaskHandle) -> None:
        """task_runner.go killTask: the kill signal, then SIGKILL once the kill timeout has passed."""
        if handle.poll() is None:
            handle.signal(task.kill_signal)
            if not handle.wait(task.kill_timeout):
                handle.kill()

    def _stop_alloc(self, run: AllocRun) -> None:
        """The server stopped the allocation: every task is killed; the allocation completes."""
        # wait for launches in flight, so the handle they produce is killed too
        while True:
            with self.cluster.lock:
                if not any(t.phase == "starting" for t in run.tasks.values()):
                    tasks = [(t, t.handle) for t in run.tasks.values()]
                    for task, handle in tasks:
                        if handle is not None and task.phase == "running":
                            message = f"Sent interrupt. Waiting {format_duration(int(task.kill_timeout * 1e9))} " \
                                      f"before force killing"
                            self._event(run.alloc, task.name, "Killing", message, KillTimeout=task.kill_timeout)
                    break
            time.sleep(TICK)
        for task, handle in tasks:
            if handle is not None:
                self._kill(task, handle)
                handle.cleanup()
        with self.cluster.lock:
            alloc = run.alloc
            for task in run.tasks.values():
                task.phase, task.handle = "dead", None
                state = alloc.task_states[task.name]
                if state["State"] != "dead":
                    state.update(State="dead", FinishedAt=rfc3339(self.cluster.now()))
                    self._event(alloc, task.name, "Killed", "Task successfully killed")
            self._update_status(run)

    def _finish_unstarted(self, alloc: Allocation) -> None:
        """An allocation stopped before the client ran it."""
        for name, state in alloc.task_states.items():
            state.update(State="dead", FinishedAt=rfc3339(self.cluster.now()))
            self._event(alloc, name, "Killed", "Task successfully killed")
        alloc.client_status, alloc.client_description = "complete", "All tasks have completed"
        alloc.modify_index, alloc.modify_time = self.cluster.next_index("allocs"), self.cluster.now()
        self._settle(alloc)

    # -- state updates ------------------------------------------------------------------------------

    def _event(self, alloc: Allocation, task: str, kind: str, message: str, **fields: Any) -> None:
        event = task_event(kind, message, self.cluster.now())
        event.update(fields)
        alloc.task_states[task]["Events"].append(event)
        alloc.modify_index, alloc.modify_time = self.cluster.next_index("allocs"), self.cluster.now()

    def _update_status(self, run: AllocRun) -> None:
        """The allocation's client status from its tasks'; a terminal one settles the job."""
        alloc = run.alloc
        status, description = client_status(alloc.task_states)
        if (status, description) != (alloc.client_status, alloc.client_description):
            alloc.client_status, alloc.client_description = status, description
            alloc.modify_index, alloc.modify_time = self.cluster.next_index("allocs"), self.cluster.now()
        if alloc.client_terminal:
            self._settle(alloc)

    def _settle(self, alloc: Allocation) -> None:
        """After the allocation ended: a failure inside an active deployment makes it unhealthy; the job settles."""
        deployment = self.cluster.deployments.get(alloc.deployment_id)
        if alloc.client_status == "failed" and deployment is not None and deployment.active \
                and alloc.healthy is None:
            set_health(alloc, False, self.cluster.index, self.cluster.now())
        record = self.cluster.record(alloc.namespace, alloc.job_id)
        if record is not None:
            refresh(self.cluster, record)
