"""Real supervisors for the local backend's tests: `procfleet deploy` subprocesses whose output is read live."""

from __future__ import annotations

import contextlib
import io
import os
import random
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest

from procfleet import loader
from procfleet.backend import Session, Status
from procfleet.cli import main
from procfleet.model import Formation
from procfleet_local import runtime
from procfleet_local.backend import LocalBackend

DEADLINE = 10.0  # seconds any wait in these tests may take before it fails
LINE = re.compile(r"^(\d\d:\d\d:\d\d) (\S+)\s* \| (.*)$")  # `HH:MM:SS web.1 | text`


def eventually(check: Callable[[], Any], timeout: float = DEADLINE, what: str = "condition") -> Any:
    """Poll check until it returns something truthy; fail with `what` after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(0.05)


def pid_alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie (a zombie has exited; only its reaping is pending)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def free_base_port(types: int = 5, per_type: int = 5) -> int:
    """A random base port whose first ports of each type's block nobody listens on now."""
    while True:
        base = random.randrange(20000, 60000, 500)
        try:
            for port in (base + 100 * t + n for t in range(types) for n in range(per_type)):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base


@dataclass
class Line:
    """One line the supervisor printed, split into its parts."""

    stamp: str
    name: str
    text: str


@dataclass
class Supervised:
    """A foreground supervisor (`procfleet deploy`) run as a subprocess."""

    process: subprocess.Popen[bytes]
    lines: list[Line] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)
    err: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._changed = threading.Condition()
        assert self.process.stdout is not None and self.process.stderr is not None
        self._readers = [threading.Thread(target=self._read, args=(stream, sink), daemon=True)
                         for stream, sink in ((self.process.stdout, self.raw), (self.process.stderr, self.err))]
        for reader in self._readers:
            reader.start()

    def _read(self, stream: IO[bytes], sink: list[str]) -> None:
        for raw in stream:
            text = raw.decode("utf-8", "replace").rstrip("\n")
            with self._changed:
                sink.append(text)
                match = LINE.match(text)
                if sink is self.raw and match:
                    self.lines.append(Line(match[1], match[2], match[3]))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    @property
    def ended(self) -> bool:
        """Whether the supervisor exited and all its output has been read."""
        return not any(reader.is_alive() for reader in self._readers)

    def find(self, name: str, pattern: str) -> list[re.Match[str]]:
        """Every line from `name` (web.1, system…) whose text matches pattern."""
        with self._changed:
            lines = list(self.lines)
        return [m for line in lines if line.name == name and (m := re.search(pattern, line.text))]

    def wait_for(self, name: str, pattern: str, count: int = 1, timeout: float = DEADLINE) -> list[re.Match[str]]:
        """Wait until `count` lines from `name` match pattern; returns the matches."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(found := self.find(name, pattern)) < count:
                left = deadline - time.monotonic()
                if left <= 0 or self.ended:
                    pytest.fail(f"no {count} line(s) from {name} matching {pattern!r}; output:\n" + self.output())
                self._changed.wait(min(left, 0.2))
        return found

    def output(self) -> str:
        """Everything printed so far, stdout then stderr."""
        return "\n".join(self.raw) + "\n--- stderr ---\n" + "\n".join(self.err)

    def exit_code(self, timeout: float = DEADLINE) -> int:
        """Wait for the supervisor to end and return its status."""
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the supervisor did not exit within {timeout:g}s; output:\n{self.output()}")

    def close(self) -> None:
        """Stop it if it still runs (SIGTERM, then SIGKILL) and release its pipes."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()  # the watchdog then kills the instances
                self.process.wait()
        for reader in self._readers:
            reader.join(5)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()

    def pid_of(self, instance: str) -> int:
        """The PID the supervisor reported when it (last) started an instance."""
        return int(self.wait_for("system", rf"^{re.escape(instance)} started \(pid (\d+)")[-1][1])


class LocalApp:
    """A uniquely named app in the test's folder, its formation file, and its supervisors."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.name = f"t-{uuid.uuid4().hex[:10]}"
        self.base_port = free_base_port()
        self.path = folder / "formation.toml"
        self.supervisors: list[Supervised] = []
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.env.pop("NO_COLOR", None)
        self.env.pop("PROCFLEET_FILE", None)

    def write(self, processes: str, local: str = "", app: str = "") -> Path:
        """Write formation.toml: [app] with this app's name, the given process tables, and [backends.local]."""
        text = (f'[app]\nname = "{self.name}"\n{textwrap.dedent(app)}\n{textwrap.dedent(processes)}\n'
                f"[backends.local]\nbase_port = {self.base_port}\n{textwrap.dedent(local)}")
        self.path.write_text(text)
        return self.path

    def deploy(self, *args: str, env: dict[str, str] | None = None) -> Supervised:
        """Start `procfleet deploy` in the foreground, as a user would in a terminal."""
        process = subprocess.Popen([sys.executable, "-m", "procfleet", "deploy", "--no-color", *args],
                                   cwd=self.folder, env=env or self.env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE)
        supervised = Supervised(process)
        self.supervisors.append(supervised)
        supervised.wait_for("system", r"^supervising ")
        return supervised

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run another procfleet command, in this process (fast), from this folder (the fixture's cwd)."""
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
        return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())

    def cli_process(self, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        """Run another procfleet command as its own process, as from a second terminal."""
        return subprocess.run([sys.executable, "-m", "procfleet", *args], cwd=self.folder, env=self.env,
                              capture_output=True, text=True, timeout=timeout, check=False)

    def formation(self) -> Formation:
        """The formation file as loaded now."""
        return loader.load(self.path, self.folder, self.env)

    def backend(self, out: io.StringIO | None = None) -> LocalBackend:
        """The backend, driven through its Python API from the test process."""
        return LocalBackend(Session(out=out or io.StringIO(), err=io.StringIO(), environ=self.env, cwd=self.folder))

    def status(self) -> Status:
        """What the running supervisor reports."""
        return self.backend().status(self.formation())

    def wait_status(self, check: Callable[[Status], bool], what: str) -> Status:
        """Poll the status until check passes; the failure shows the last status and the output."""
        deadline = time.monotonic() + DEADLINE
        while not check(status := self.status()):
            if time.monotonic() > deadline:
                output = self.supervisors[-1].output() if self.supervisors else ""
                pytest.fail(f"timed out waiting for {what}; last status: {status}\n{output}")
            time.sleep(0.05)
        return status

    def counts(self) -> dict[str, tuple[int, int]]:
        """(desired, running) per type."""
        return {t.name: (t.desired, t.running) for t in self.status().types}

    def pids(self, process: str | None = None) -> dict[str, int]:
        """The PID of every running instance (of one type), by instance name."""
        return {i.name: i.pid for i in self.status().instances
                if i.pid is not None and (process is None or i.process == process)}

    def cleanup(self) -> None:
        """Stop what is still running (SIGTERM, then SIGKILL) and remove the socket and lock files."""
        for supervised in self.supervisors:
            supervised.close()
        where = runtime.address(self.formation(), self.folder, self.env)
        for path in (where.socket, where.lock):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
