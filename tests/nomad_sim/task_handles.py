"""Starting a task with its driver, and the handle that signals, waits for and removes it.

raw_exec and exec run as local processes in their own process group (drivers/rawexec, drivers/exec: the
executor). docker runs a real container on the test engine, created the way drivers/docker/driver.go
createContainerConfig does: Entrypoint/Cmd from `entrypoint`, `command` and `args`, `init`, the group's ports
published on the node's address, the alloc and task directories mounted at /alloc and /local, memory without swap.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

Json = dict[str, Any]

# Every container the simulator creates carries this label (value: the pid of the test process), so a test run
# can remove what it left behind even after a crash (tests/conftest.py sweeps at session end).
SWEEP_LABEL = "procfleet.nomad-sim.owner"
ALLOC_LABEL = "com.hashicorp.nomad.alloc_id"  # drivers/docker/driver.go dockerLabelAllocID
DOCKER_TIMEOUT = 60.0


class DriverFailure(Exception):
    """The driver could not start the task: a "Driver Failure" event; recoverable errors are retried."""

    def __init__(self, message: str, *, recoverable: bool) -> None:
        super().__init__(message)
        self.recoverable = recoverable


class TaskHandle(Protocol):
    """A started task."""

    def poll(self) -> int | None:
        """The exit code once the task has ended, else None."""

    def signal(self, sig: signal.Signals) -> None:
        """Send the task a signal."""

    def wait(self, timeout: float) -> bool:
        """Wait up to timeout seconds for the task to end; whether it did."""

    def kill(self) -> None:
        """SIGKILL the task and wait for it."""

    def cleanup(self) -> None:
        """Release what the task left on the node (a container)."""


@dataclass
class LaunchSpec:
    """Everything a driver needs to start one task."""

    name: str  # the container name: <task>-<alloc ID>, as the docker driver names it
    alloc_id: str
    driver: str
    config: Json  # already evaluated by the client (client_config.evaluate)
    env: dict[str, str]
    alloc_dir: Path
    task_dir: Path
    stdout: Path
    stderr: Path
    ports: dict[str, tuple[int, int]]  # label -> (host port, port inside: To, or the host port)
    resources: Json


class ProcessHandle:
    """A raw_exec/exec task: a local process group."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc

    def poll(self) -> int | None:
        """The exit code (a negative signal number when killed, as Popen reports)."""
        return self.proc.poll()

    def signal(self, sig: signal.Signals) -> None:
        """Signal the whole group, as the executor does."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)

    def wait(self, timeout: float) -> bool:
        """Wait for the process."""
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def kill(self) -> None:
        """SIGKILL the group."""
        self.signal(signal.SIGKILL)
        self.proc.wait()

    def cleanup(self) -> None:
        """Nothing outlives a process group killed with it."""


class DockerHandle:
    """A docker task: a container, attached to by `docker start -a` so its output reaches the log files."""

    def __init__(self, name: str, attach: subprocess.Popen[bytes]) -> None:
        self.name = name
        self.attach = attach

    def poll(self) -> int | None:
        """The container's exit code, which `docker start -a` returns."""
        return self.attach.poll()

    def signal(self, sig: signal.Signals) -> None:
        """drivers/docker/handle.go Kill: the kill_signal goes to the container (init passes it on)."""
        _docker("kill", f"--signal={sig.name}", self.name)

    def wait(self, timeout: float) -> bool:
        """Wait for the container to exit."""
        try:
            self.attach.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def kill(self) -> None:
        """Stop it for good after the kill timeout."""
        _docker("kill", self.name)
        try:
            self.attach.wait(DOCKER_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.attach.kill()
            self.attach.wait()

    def cleanup(self) -> None:
        """The driver removes the container once the task is done."""
        _docker("rm", "-f", self.name)


def _docker(*args: str) -> subprocess.CompletedProcess[str]:
    """Run one docker CLI command; a missing CLI is a driver failure."""
    try:
        return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=DOCKER_TIMEOUT, check=False)
    except FileNotFoundError as error:
        raise DriverFailure(f"docker driver unavailable: {error}", recoverable=False) from error


def launch(spec: LaunchSpec) -> TaskHandle:
    """Start the task with its driver; DriverFailure when the driver refuses."""
    spec.task_dir.mkdir(parents=True, exist_ok=True)
    if spec.driver == "docker":
        return _launch_container(spec)
    return _launch_process(spec)


def _launch_process(spec: LaunchSpec) -> ProcessHandle:
    argv = [spec.config["command"], *spec.config.get("args", [])]
    with open(spec.stdout, "ab") as out, open(spec.stderr, "ab") as err:
        try:
            proc = subprocess.Popen(argv, env={**os.environ, **spec.env}, stdout=out, stderr=err,
                                    stdin=subprocess.DEVNULL, cwd=spec.config.get("work_dir") or spec.task_dir,
                                    start_new_session=True)
        except OSError as error:
            # drivers/rawexec/driver.go StartTask: an executor error is not recoverable, so no restart follows
            raise DriverFailure(f"failed to launch command with executor: {error}", recoverable=False) from error
    return ProcessHandle(proc)


def container_args(spec: LaunchSpec) -> list[str]:
    """`docker create` arguments for the task, following createContainerConfig."""
    config = spec.config
    entrypoint = list(config.get("entrypoint") or [])
    cmd = ([config["command"]] if config.get("command") else []) + list(config.get("args") or [])
    env = {**spec.env, "NOMAD_ALLOC_DIR": "/alloc", "NOMAD_TASK_DIR": "/local", "NOMAD_SECRETS_DIR": "/secrets"}
    memory = int(spec.resources.get("MemoryMB") or 300)
    args = ["create", "--pull", "never", "--name", spec.name, "--label", f"{SWEEP_LABEL}={os.getpid()}",
            "--label", f"{ALLOC_LABEL}={spec.alloc_id}", "--memory", f"{memory}m", "--memory-swap", f"{memory}m",
            "--cpu-shares", str(int(spec.resources.get("CPU") or 100)),
            "-v", f"{spec.alloc_dir}:/alloc", "-v", f"{spec.task_dir / 'local'}:/local"]
    if config.get("init"):
        args.append("--init")
    if config.get("work_dir"):
        args += ["-w", str(config["work_dir"])]
    for label in config.get("ports") or []:
        host, inside = spec.ports[label]
        args += ["-p", f"127.0.0.1:{host}:{inside}"]
    for key, value in env.items():
        args += ["-e", f"{key}={value}"]
    if entrypoint:
        # the CLI takes one entrypoint word; the rest of the Entrypoint array leads the Cmd, which is the same argv
        args += ["--entrypoint", entrypoint[0]]
        cmd = entrypoint[1:] + cmd
    return [*args, str(config["image"]), *cmd]


def _launch_container(spec: LaunchSpec) -> DockerHandle:
    (spec.task_dir / "local").mkdir(exist_ok=True)
    created = _docker(*container_args(spec))
    if created.returncode != 0:
        detail = created.stderr.strip().splitlines()[-1] if created.stderr.strip() else "docker create failed"
        if "No such image" in detail or "not found" in detail:
            # driver.go createImage: a pull failure is a recoverable error, so the restart policy retries it
            raise DriverFailure(f"Failed to pull `{spec.config['image']}`: {detail}", recoverable=True)
        raise DriverFailure(f"Failed to create container: {detail}", recoverable=True)
    with open(spec.stdout, "ab") as out, open(spec.stderr, "ab") as err:
        attach = subprocess.Popen(["docker", "start", "-a", spec.name], stdout=out, stderr=err,
                                  stdin=subprocess.DEVNULL, start_new_session=True)
    # driver.go StartTask returns once ContainerStart has: the task is "Started" only when the container runs
    deadline = time.monotonic() + DOCKER_TIMEOUT
    while attach.poll() is None and time.monotonic() < deadline:
        state = _docker("inspect", "--format", "{{.State.Status}}", spec.name).stdout.strip()
        if state not in ("created", ""):
            break
        time.sleep(0.02)
    return DockerHandle(spec.name, attach)


def sweep_containers(owner: int | None = None) -> None:
    """Remove the containers the simulator created (those of one owner pid, or all)."""
    label = f"{SWEEP_LABEL}={owner}" if owner is not None else SWEEP_LABEL
    with contextlib.suppress(DriverFailure, subprocess.TimeoutExpired):
        found = _docker("ps", "-aq", "--filter", f"label={label}")
        ids = found.stdout.split()
        if ids:
            _docker("rm", "-f", *ids)
