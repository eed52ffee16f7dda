"""A tiny process that SIGKILLs every instance's process group if the supervisor dies without stopping them.

The supervisor holds the only write end of a pipe whose read end is the watchdog's stdin, and writes
`+PGID` / `-PGID` lines as groups come and go. End of file means the supervisor is gone, even if it was
SIGKILLed, so the watchdog kills what is left, grandchildren included, and exits. PR_SET_PDEATHSIG would
reach only direct children, and is Linux-only.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys


class Watchdog:
    """The supervisor's side: starts the watchdog and tells it which process groups exist."""

    def __init__(self) -> None:
        read_end, self._write_end = os.pipe()  # both non-inheritable: no instance ever holds the write end
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-c", "from procfleet_local.watchdog import main; main()"],
                stdin=read_end, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True,  # out of the terminal's process group: Ctrl-C does not reach it
            )
        finally:
            os.close(read_end)

    def add(self, pgid: int) -> None:
        """Register a new instance's process group."""
        self._send(f"+{pgid}\n")

    def remove(self, pgid: int) -> None:
        """Forget a group once it is empty, so a reused id is never killed."""
        self._send(f"-{pgid}\n")

    def close(self) -> None:
        """Let the watchdog go: it kills whatever is still registered, then exits."""
        with contextlib.suppress(OSError):
            os.close(self._write_end)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=2)

    def _send(self, line: str) -> None:
        with contextlib.suppress(BrokenPipeError):
            os.write(self._write_end, line.encode())


def main() -> None:
    """The watchdog process: read group ids until end of file, then SIGKILL the groups still registered."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)  # only the supervisor's death ends the watchdog
    groups: set[int] = set()
    for raw in sys.stdin.buffer:
        line = raw.strip()
        if line[:1] == b"+":
            groups.add(int(line[1:]))
        elif line[:1] == b"-":
            groups.discard(int(line[1:]))
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
