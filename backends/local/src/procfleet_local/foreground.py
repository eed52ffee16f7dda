"""The supervisor in the foreground: its lock, socket, watchdog and signals, from start until it ends."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import signal
import sys
from collections.abc import Mapping

from procfleet.backend import Session
from procfleet.exitcodes import ExitCode
from procfleet.model import Formation
from procfleet_local import runtime
from procfleet_local.control import ControlServer
from procfleet_local.logbook import Logbook
from procfleet_local.output import Printer
from procfleet_local.runtime import Address
from procfleet_local.supervisor import Ending, Supervisor
from procfleet_local.watchdog import Watchdog

# SIGHUP (the terminal closed) stops as gracefully as SIGTERM and reports the same status. Every other signal
# whose default is to end the process stops gracefully too, with 128 + its number, so that no signal leaves the
# instances to the watchdog's SIGKILL without their stop signal first.
SIGNAL_CODES: dict[signal.Signals, int] = {
    signal.SIGINT: ExitCode.INTERRUPTED, signal.SIGTERM: ExitCode.TERMINATED, signal.SIGHUP: ExitCode.TERMINATED,
    **{sig: 128 + sig for sig in (signal.SIGQUIT, signal.SIGALRM, signal.SIGVTALRM, signal.SIGPROF,
                                  signal.SIGXCPU, signal.SIGXFSZ, signal.SIGPWR, signal.SIGIO)},
}
# Passed on to every instance, as Foreman does: apps reopen logs or dump state on them.
FORWARDED = (signal.SIGUSR1, signal.SIGUSR2)


def supervise_holding(formation: Formation, counts: Mapping[str, int], session: Session, where: Address,
                      lock: int) -> int:
    """Supervise with the app's lock already held (its descriptor); release it at the end."""
    try:
        watch_children_with_pidfds()
        return asyncio.run(_supervise(formation, counts, session, where))
    finally:
        runtime.release(where, lock)


@functools.cache  # once per process: the watcher belongs to the event loop policy, not to one loop
def watch_children_with_pidfds() -> None:
    """Have asyncio learn of each instance's exit through a pidfd, not a thread per child (3.11's default).

    Starting 50 instances then creates no thread at all; Python 3.12 chooses pidfds by itself where the kernel has
    them (Linux 5.3+), and deprecates choosing, so this only acts on 3.11 and keeps the default without pidfds.
    """
    if sys.version_info >= (3, 12) or not hasattr(os, "pidfd_open"):
        return
    try:
        os.close(os.pidfd_open(os.getpid()))
    except OSError:  # a kernel before 5.3, or a sandbox that forbids the call
        return
    asyncio.set_child_watcher(asyncio.PidfdChildWatcher())


class Stopper:
    """Turns the first stop request into a graceful shutdown and a second signal into SIGKILL."""

    def __init__(self, supervisor: Supervisor, printer: Printer) -> None:
        self._supervisor = supervisor
        self._printer = printer
        self._task: asyncio.Task[None] | None = None
        self.code: int = ExitCode.OK
        self.finished: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def begin(self, code: int) -> asyncio.Task[None]:
        """Start stopping everything gracefully, once; the first reason's exit status wins."""
        if self._task is None:
            self.code = code
            self._task = asyncio.get_running_loop().create_task(self._shutdown())
        return self._task

    async def stop(self, code: int) -> None:
        """Stop everything gracefully and wait until it is done (`procfleet down`)."""
        await asyncio.shield(self.begin(code))  # a caller hanging up must not cancel the shutdown

    def on_signal(self, sig: signal.Signals) -> None:
        """A terminating signal arrived (SIGINT, SIGTERM, SIGHUP, SIGQUIT…)."""
        if self._task is not None:
            self._printer.system(f"{sig.name} again: killing every process now")
            self._supervisor.kill()
            return
        self._printer.system(f"{sig.name} received: stopping every process (send it again to kill them now)")
        self.begin(SIGNAL_CODES[sig])

    async def _shutdown(self) -> None:
        await self._supervisor.shutdown()
        self._printer.system("every process has stopped")
        self.finished.set_result(self.code)


def _forward(supervisor: Supervisor, printer: Printer, sig: signal.Signals) -> None:
    printer.system(f"{sig.name} received: passing it on to every process")
    supervisor.signal_all(sig)


async def _supervise(formation: Formation, counts: Mapping[str, int], session: Session,
                     where: Address) -> int:
    loop = asyncio.get_running_loop()
    logbook = Logbook()
    printer = Printer(session.out, session.color, logbook, loop.call_soon, timestamp=session.timestamps,
                      prefix=session.prefixes)
    # Whatever happens below, closing the watchdog SIGKILLs every group still registered with it.
    watchdog = Watchdog()
    handled: list[signal.Signals] = []
    try:
        ending = Ending(exit_with=frozenset(session.exit_with), abort_on_exit=session.abort_on_exit)
        supervisor = Supervisor(formation, counts, session.environ, runtime.formation_folder(formation, session.cwd),
                                printer, watchdog, ending)
        stopper = Stopper(supervisor, printer)
        ending.end = stopper.begin
        server = ControlServer(supervisor, logbook, stopper.stop)
        await server.open(where.socket)
        for sig in SIGNAL_CODES:
            with contextlib.suppress(ValueError, RuntimeError):  # not the main thread: no signals
                loop.add_signal_handler(sig, stopper.on_signal, sig)
                handled.append(sig)
        for sig in FORWARDED:
            with contextlib.suppress(ValueError, RuntimeError):
                loop.add_signal_handler(sig, _forward, supervisor, printer, sig)
                handled.append(sig)
        printer.system(f"supervising {formation.app.name} (pid {os.getpid()}, control socket {where.socket})")
        supervisor.start()
        code = await stopper.finished
        await server.close()
        return code
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
        printer.flush()
        watchdog.close()
