"""One numbered instance (web.1) across its restarts: its process group, its output pipe, its stop."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from collections import deque
from pathlib import Path
from typing import Literal, Protocol

from procfleet.model import ProcessType
from procfleet.shellcommand import exec_form
from procfleet_local import health, ports
from procfleet_local.instances import Instance
from procfleet_local.output import Printer
from procfleet_local.watchdog import Watchdog

State = Literal["starting", "running", "stopping", "stopped", "backoff", "exited", "crashed"]
PIPE_GRACE = 0.5  # after SIGKILL, how long a pipe held open by an escaped process may delay the exit


class Host(Protocol):
    """What a slot needs from its supervisor."""

    printer: Printer
    watchdog: Watchdog

    def exited(self, slot: Slot, returncode: int) -> None:
        """The slot's process group is gone: decide whether to restart."""
        ...


def describe_exit(returncode: int) -> str:
    """`exited with status 1` or `killed by SIGKILL`."""
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exited with status {returncode}"


class PortTaken(OSError):
    """The instance's port is held by a program that is not the instance."""


def listens(process: ProcessType) -> bool:
    """Whether the type listens on its PORT: it says so with `port`, or an http or tcp check connects to it."""
    return process.port is not None or (process.health is not None and process.health.kind in ("http", "tcp"))


class Slot:
    """An instance's place in its type; the process in it comes and goes, the counters stay."""

    def __init__(self, host: Host, process: str, number: int) -> None:
        self._host = host
        self.process = process
        self.number = number
        self.state: State = "starting"
        self.pid: int | None = None
        self.port: int | None = None
        self.fingerprint = ""  # the definition the current process runs
        self.healthy: bool | None = None
        self.check_output = ""  # what the last failing health probe got; "" after one passed
        self.restarts = 0
        self.status: int | None = None  # the last exit, as a shell reports it
        self.exits: deque[float] = deque()  # monotonic times of unplanned exits, for backoff and crash loops
        self.detail = ""
        self.wanted_stop = False  # the coming exit was asked for (scale down, rollout, shutdown)
        self.backoff: asyncio.TimerHandle | None = None
        self.finished: asyncio.Future[int] | None = None
        self._started = 0.0
        self._transport: asyncio.SubprocessTransport | None = None
        self._returncode: int | None = None
        self._pipe_open = False
        self._stop_signal = signal.SIGTERM
        self._stop_timeout = 10.0
        self._kill_timer: asyncio.TimerHandle | None = None
        self._grace_timer: asyncio.TimerHandle | None = None
        self._killed = False
        self._kill_asked = False
        self._health: asyncio.Task[None] | None = None
        self._protocol: _Protocol | None = None

    @property
    def name(self) -> str:
        """`web.1`."""
        return f"{self.process}.{self.number}"

    @property
    def alive(self) -> bool:
        """Whether a process of this slot runs (stopping included)."""
        return self.state in ("running", "stopping")

    def uptime(self) -> float | None:
        """Seconds since the current process started, if one runs."""
        return time.monotonic() - self._started if self.alive else None

    async def start(self, instance: Instance, fingerprint: str, cwd: Path) -> None:
        """Start the instance's command by /bin/sh -c in a new session (its own process group)."""
        loop = asyncio.get_running_loop()
        self.state, self.fingerprint, self.port, self.detail = "starting", fingerprint, instance.port, ""
        self.wanted_stop = self._killed = self._kill_asked = False
        self.healthy = None if instance.process.health is None else False
        self.check_output = ""
        self.finished = loop.create_future()
        self._returncode, self._pipe_open = None, True
        self._stop_signal = signal.Signals[instance.process.stop_signal]
        self._stop_timeout = instance.process.stop_timeout
        process = instance.process
        # a shell line through /bin/sh -c; an argv (entrypoint/args) exactly as written, as a container runs it
        argv = ("/bin/sh", "-c", exec_form(process.command)) if process.command is not None else process.argv()
        try:
            if not argv:
                raise ValueError("this type runs its image's own command, which the local backend does not have")
            if listens(process) and ports.in_use(instance.port):
                # another program has the port: the instance would fail to bind, and its health check would
                # probe that program instead (a restart is tried later, when the port may be free)
                raise PortTaken(f"port {instance.port} is in use by {ports.holder(instance.port)}")
            await loop.subprocess_exec(
                lambda: _Protocol(self, self._host.printer), *argv,
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                env=dict(instance.env), cwd=cwd, start_new_session=True)
        except (OSError, ValueError, UnicodeError, subprocess.SubprocessError) as exc:
            # this instance could not be spawned (a missing folder, an argument list too long, a value exec
            # refuses): it says so and ends like a command that was not found; the others and down go on
            self._say(f"could not start: {exc}")
            self._pipe_open = False
            self._returncode = 127  # the shell's "command not found"
            self._finish()
            return
        if self._kill_asked:  # asked while the process was being created
            self.kill()
        elif self.wanted_stop:
            self.stop()
        check = instance.process.health
        if check is not None and self.alive and not self.wanted_stop:
            self._health = loop.create_task(health.monitor(
                check, instance.port, instance.env, cwd, self._health_changed, self._check_group, owner=self.pid,
                noted=self._checked))

    def stop(self) -> None:
        """Send the stop signal to the whole group; SIGKILL it if it is not gone after stop_timeout."""
        self.wanted_stop = True
        if self.state != "running":
            return
        self.state = "stopping"
        self._say(f"stopping ({self._stop_signal.name}, pid {self.pid})")
        self._signal(self._stop_signal)
        self._arm_kill()

    def kill(self) -> None:
        """SIGKILL the whole group now."""
        self.wanted_stop = self._kill_asked = True
        if self.alive:
            self.state = "stopping"
            self._kill()

    # The process side, called by the protocol.

    def attach(self, transport: asyncio.SubprocessTransport, protocol: _Protocol) -> None:
        """The process exists: record it and register its group with the watchdog at once."""
        self._transport, self._protocol = transport, protocol
        self.pid = transport.get_pid()
        self._started = time.monotonic()
        self.state = "running"
        self._host.watchdog.add(self.pid)
        self._say(f"started (pid {self.pid}, PORT={self.port})")

    def leader_exited(self, returncode: int) -> None:
        """The shell (the group leader) exited; what it left in its group still holds the pipe."""
        self._returncode = returncode
        if not self._pipe_open:
            self._finish()
        elif self._killed:
            self._arm_grace()
        elif self._kill_timer is None:  # an unplanned exit: leftovers get the same treatment as a stop
            self._signal(self._stop_signal)
            self._arm_kill()

    def pipe_closed(self) -> None:
        """Everything holding the output pipe is gone."""
        self._pipe_open = False
        if self._returncode is not None:
            self._finish()

    # Internals.

    def _finish(self) -> None:
        for timer in (self._kill_timer, self._grace_timer):
            if timer is not None:
                timer.cancel()
        self._kill_timer = self._grace_timer = None
        if self._health is not None:
            self._health.cancel()
            self._health = None
        if self.pid is not None:
            self._signal(signal.SIGKILL)  # members that closed their stdout but stayed in the group
            self._host.watchdog.remove(self.pid)
        if self._protocol is not None:
            self._protocol.active = False  # callbacks still queued for this process are not ours any more
        if self._transport is not None:
            self._transport.close()
        self._transport = self._protocol = None
        code = 127 if self._returncode is None else self._returncode
        self.state, self.pid = "stopped", None
        if self.healthy:
            self.healthy = False
        if self.finished is not None and not self.finished.done():
            self.finished.set_result(code)
        self._host.exited(self, code)

    def _arm_kill(self) -> None:
        if self._kill_timer is None and not self._killed:
            self._kill_timer = asyncio.get_running_loop().call_later(self._stop_timeout, self._timed_out)

    def _timed_out(self) -> None:
        self._kill_timer = None
        self._say(f"still running {self._stop_timeout:g}s after {self._stop_signal.name}: SIGKILL")
        self._kill()

    def _kill(self) -> None:
        self._killed = True
        self._signal(signal.SIGKILL)
        if self._returncode is not None:
            self._arm_grace()

    def _arm_grace(self) -> None:
        if self._grace_timer is None:
            self._grace_timer = asyncio.get_running_loop().call_later(PIPE_GRACE, self._give_up_pipe)

    def _give_up_pipe(self) -> None:
        # Something that left the group (setsid) still holds the pipe: stop waiting for it.
        self._grace_timer = None
        if self._pipe_open and self._returncode is not None:
            self._host.printer.close(self.name, self.process)
            self._pipe_open = False
            self._finish()

    def send(self, sig: signal.Signals) -> None:
        """Send a signal to the instance's whole process group, if it runs (SIGUSR1 passed on, say)."""
        if self.alive:
            self._signal(sig)

    def _signal(self, sig: signal.Signals) -> None:
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, sig)

    def _checked(self, failed: str) -> None:
        self.check_output = failed

    def _health_changed(self, healthy: bool, failures: int) -> None:
        self.healthy = healthy
        self._say("healthy" if healthy else f"unhealthy ({failures} failed checks in a row)")

    def _check_group(self, pgid: int, alive: bool) -> None:
        (self._host.watchdog.add if alive else self._host.watchdog.remove)(pgid)

    def _say(self, message: str) -> None:
        self._host.printer.system(f"{self.name} {message}")


class _Protocol(asyncio.SubprocessProtocol):
    """Feeds the merged stdout/stderr pipe to the printer and tells the slot about the process."""

    def __init__(self, slot: Slot, printer: Printer) -> None:
        self._slot = slot
        self._printer = printer
        self.active = True

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.SubprocessTransport)
        self._transport = transport
        self._slot.attach(transport, self)

    def pipe_data_received(self, fd: int, data: bytes | str) -> None:
        if self.active:
            self._printer.feed(self._slot.name, self._slot.process, data)  # type: ignore[arg-type]  # bytes: no text mode

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        if self.active:
            self._printer.close(self._slot.name, self._slot.process)
            self._slot.pipe_closed()

    def process_exited(self) -> None:
        if self.active:
            returncode = self._transport.get_returncode()
            self._slot.leader_exited(-1 if returncode is None else returncode)
