"""The simulated client running allocations' raw_exec and exec tasks as real local processes.

Follows client/allocrunner/taskrunner/task_runner.go runDriver (Config evaluated with the task's
environment, a failure is a "Failed Validation" event) and client/taskenv/env.go (the NOMAD_* variables).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from .client_config import evaluate, failure_message, nested_variables
from .model import Allocation
from .scheduler import fail_validation, finish, groups_by_name, job_of, refresh, set_health, start
from .state import Cluster
from .taskenv import NODE_ATTRIBUTES, group_ports, task_env

Json = dict[str, Any]
MAX_KILL_TIMEOUT = 30.0  # client/config/config.go DefaultMaxKillTimeout


def _free_port() -> int:
    """A free loopback port for a dynamic host port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ClientRunner:
    """A background thread that starts, watches and stops the processes of every allocation."""

    def __init__(self, cluster: Cluster, min_healthy_scale: float = 0.0) -> None:
        self.cluster = cluster
        self.scale = min_healthy_scale
        self.root = tempfile.mkdtemp(prefix="nomad-sim-client-")
        self.procs: dict[str, list[subprocess.Popen[bytes]]] = {}
        self.started_at: dict[str, float] = {}
        self.stopping: set[str] = set()
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Kill every process left and end the thread."""
        self._halt.set()
        self._thread.join(5)
        for procs in self.procs.values():
            for proc in procs:
                self._kill(proc, signal.SIGKILL, 0)

    @staticmethod
    def _kill(proc: subprocess.Popen[bytes], sig: int, timeout: float) -> None:
        """Signal the process group, then SIGKILL after timeout (task_runner.go killTask)."""
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
            proc.wait(timeout)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def _loop(self) -> None:
        while not self._halt.wait(0.05):
            with self.cluster.lock:
                for alloc in list(self.cluster.allocs.values()):
                    self._step(alloc)

    def _step(self, alloc: Allocation) -> None:
        if alloc.client_terminal or alloc.id in self.stopping:
            return
        if alloc.desired_status != "run":
            self.stopping.add(alloc.id)
            threading.Thread(target=self._stop_alloc, args=(alloc,), daemon=True).start()
            return
        if alloc.client_status == "pending" and alloc.id not in self.procs:
            self._start(alloc)
            return
        procs = self.procs.get(alloc.id, [])
        codes = [p.poll() for p in procs]  # an alloc with no process (docker only) runs until stopped
        if procs and all(code is not None for code in codes):
            bad = [c for c in codes if c]
            message = f"Exit Code: {bad[0] if bad else 0}"
            self._finish(alloc, "failed" if bad else "complete", "Terminated", message)
            return
        deployment = self.cluster.deployments.get(alloc.deployment_id)
        if alloc.client_status == "running" and alloc.healthy is None and deployment is not None \
                and deployment.active:
            record = self.cluster.record(alloc.namespace, alloc.job_id)
            group = groups_by_name(record.job if record else None).get(alloc.group) or {}
            wait = ((group.get("Update") or {}).get("MinHealthyTime") or 0) / 1e9 * self.scale
            if time.monotonic() - self.started_at[alloc.id] >= wait:
                set_health(alloc, True, self.cluster.next_index("allocs"), self.cluster.now())
                if record is not None:
                    refresh(self.cluster, record)

    def _finish(self, alloc: Allocation, status: str, event: str, message: str) -> None:
        finish(alloc, status, event, message, self.cluster.next_index("allocs"), self.cluster.now())
        self._settle(alloc)

    def _settle(self, alloc: Allocation) -> None:
        """After the allocation ended: a failure inside an active deployment makes it unhealthy; the job settles."""
        deployment = self.cluster.deployments.get(alloc.deployment_id)
        if alloc.client_status == "failed" and deployment is not None and deployment.active:
            set_health(alloc, False, self.cluster.index, self.cluster.now())
        record = self.cluster.record(alloc.namespace, alloc.job_id)
        if record is not None:
            refresh(self.cluster, record)

    def _start(self, alloc: Allocation) -> None:
        job = job_of(self.cluster, alloc)
        if job is None:
            return
        group = groups_by_name(job)[alloc.group]
        ports = {p["Label"]: (p.get("Value") or _free_port()) for p in group_ports(group)}
        alloc_dir = Path(self.root, alloc.id)
        procs: list[subprocess.Popen[bytes]] = []
        for task in group["Tasks"]:
            task_dir = alloc_dir / task["Name"]
            task_dir.mkdir(parents=True, exist_ok=True)
            env = task_env(alloc, job, group, task, (str(alloc_dir), str(task_dir)), ports)
            config, errors = evaluate(task.get("Config") or {}, nested_variables({**NODE_ATTRIBUTES, **env}))
            if errors:
                for proc in procs:
                    self._kill(proc, signal.SIGKILL, 0)
                self.procs[alloc.id] = []
                # task_runner.go runDriver: "Failed Validation", then no restart
                fail_validation(alloc, failure_message(errors), self.cluster.next_index("allocs"), self.cluster.now())
                self._settle(alloc)
                return
            if task["Driver"] not in ("raw_exec", "exec"):
                continue  # other drivers (docker) are not run: the task counts as running, as in the stubbed mode
            argv = [config["command"], *config.get("args", [])]
            out = open(task_dir / "stdout", "wb")  # noqa: SIM115 - handed to the child
            err = open(task_dir / "stderr", "wb")  # noqa: SIM115
            alloc.log_files[(task["Name"], "stdout")] = str(task_dir / "stdout")
            alloc.log_files[(task["Name"], "stderr")] = str(task_dir / "stderr")
            procs.append(subprocess.Popen(argv, env={**os.environ, **env}, stdout=out, stderr=err,
                                          cwd=config.get("work_dir") or task_dir, start_new_session=True))
            out.close()
            err.close()
        self.procs[alloc.id] = procs
        self.started_at[alloc.id] = time.monotonic()
        now = self.cluster.now()
        start(alloc, self.cluster.next_index("allocs"), now)

    def _stop_alloc(self, alloc: Allocation) -> None:
        with self.cluster.lock:
            record = self.cluster.record(alloc.namespace, alloc.job_id)
            group = groups_by_name(record.job if record else None).get(alloc.group) or {"Tasks": []}
            tasks = {t["Name"]: t for t in group["Tasks"]}
            procs = self.procs.get(alloc.id, [])
        for name, proc in zip(alloc.tasks, procs, strict=False):
            task = tasks.get(name, {})
            sig = getattr(signal, task.get("KillSignal") or "SIGINT", signal.SIGINT)
            timeout = min((task.get("KillTimeout") or 5_000_000_000) / 1e9, MAX_KILL_TIMEOUT)
            self._kill(proc, sig, timeout)
        with self.cluster.lock:
            self._finish(alloc, "complete", "Killed", "Task successfully killed")
