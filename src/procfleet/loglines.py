"""The one shape of `procfleet logs` on every backend: `HH:MM:SS web.1 | line`, coloured per type in honcho's
palette, names padded so the bars align; `--since` read as docker reads it; and the one way of saying there is
nothing to show."""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, TextIO

from procfleet.errors import NotRunning, UsageError
from procfleet.units import parse_duration

if TYPE_CHECKING:
    from procfleet.backend import Session
    from procfleet.model import Formation

# Honcho's palette, in its order (honcho/colour.py get_colours): cyan, yellow, green, magenta, red, blue, then
# the intense ones; the first types get the colours people already associate with web and worker.
COLORS = ("36", "33", "32", "35", "31", "34", "36;1", "33;1", "32;1", "35;1", "31;1", "34;1")
SUPERVISOR_COLOR = "1"  # the local supervisor's own `system` lines are bold
_UNIX_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def color_code(position: int | None) -> str:
    """The ANSI colour of the type at this position in the formation file; None (the supervisor) is bold."""
    return SUPERVISOR_COLOR if position is None else COLORS[position % len(COLORS)]


class Clock:
    """Moments as HH:MM:SS in local time (as Foreman and honcho print them), formatted once per second: lines come
    in bursts, and a busy supervisor prints thousands a second."""

    def __init__(self) -> None:
        self._second, self._stamp = -1, ""

    def stamp(self, at: float) -> str:
        """HH:MM:SS of the moment."""
        second = math.floor(at)
        if second != self._second:
            self._second, self._stamp = second, time.strftime("%H:%M:%S", time.localtime(at))
        return self._stamp


def render(stamp: str, name: str, width: int, color: str | None, lines: Sequence[str], *, timestamps: bool = True,
           prefixes: bool = True) -> str:
    """Lines as printed: each after `HH:MM:SS name | ` (the whole prefix coloured, as honcho does), without the
    time (`--no-timestamps`), or without any prefix (`--no-prefix`: the process's own lines as they are)."""
    if not prefixes:
        return "\n".join(lines) + "\n"
    head = f"{stamp} " if timestamps else ""
    head = f"{head}{name.ljust(width)} | "
    if color:
        head = f"\033[{color}m{head}\033[0m"
    return head + ("\n" + head).join(lines) + "\n"


@dataclass(frozen=True)
class LogLine:
    """One line an instance wrote, as a backend read it from its platform."""

    name: str  # the instance, web.1 (the local supervisor's own lines: system)
    process: str | None  # its type, which picks the colour; None for the supervisor's lines
    text: str
    at: float  # when it was written, in seconds since the epoch (a backend's `differences` say if not)
    stderr: bool = False


@dataclass(frozen=True)
class LogStyle:
    """How lines are printed: the `logs` options, and each type's place in the formation (its colour)."""

    timestamps: bool = True
    prefixes: bool = True
    color: bool = False
    positions: Mapping[str, int] = field(default_factory=dict)

    def color_of(self, process: str | None) -> str | None:
        """The ANSI colour of a type's lines (the supervisor's when None); None when colour is off."""
        if not self.color:
            return None
        return color_code(None if process is None else self.positions.get(process, 0))


@dataclass(frozen=True)
class LogRequest:
    """What `procfleet logs` was asked to show, for the line that says nothing matched."""

    app: str
    backend: str
    types: Sequence[str] = ()
    since: float | None = None


class LogWriter:
    """Prints LogLines in the one shape, from one thread or several, and says so when it printed none."""

    def __init__(self, out: TextIO, err: TextIO, style: LogStyle, request: LogRequest, width: int = 0) -> None:
        self.out, self.err, self.style, self.request = out, err, style, request
        self.width = width  # the longest name known before any line comes; a longer one widens it
        self.count = 0
        self._lock = threading.Lock()
        self._clock = Clock()

    def write(self, line: LogLine) -> None:
        """Print one line (to stderr when the instance wrote it there)."""
        with self._lock:
            self.width = max(self.width, len(line.name))
            target = self.err if line.stderr else self.out
            target.write(render(self._clock.stamp(line.at), line.name, self.width, self.style.color_of(line.process),
                                [line.text], timestamps=self.style.timestamps, prefixes=self.style.prefixes))
            target.flush()
            self.count += 1

    def passthrough(self, text: str, stderr: bool = False) -> None:
        """A line of the platform's log command that is no instance's (a warning of its own): as it came."""
        with self._lock:
            target = self.err if stderr else self.out
            target.write(text + "\n")
            target.flush()

    def finish(self) -> None:
        """After reading what there was (not following): one line on stderr if none of it was a log line."""
        if self.count == 0:
            self.err.write(no_lines(self.request) + "\n")
            self.err.flush()


def log_writer(session: Session, formation: Formation, backend: str, types: Sequence[str],
               names: Iterable[str] = (), width: int = 0) -> LogWriter:
    """A backend's writer for one `logs` command: the session's options, the formation's colours, the names of the
    instances it is about to read (so that the bars align from the first line)."""
    style = LogStyle(session.timestamps, session.prefixes, session.color,
                     {name: position for position, name in enumerate(formation.processes)})
    request = LogRequest(formation.app.name, backend, tuple(types), session.since)
    return LogWriter(session.out, session.err, style, request, max(width, *(len(name) for name in names), 0))


def not_deployed(app: str, backend: str) -> NotRunning:
    """The error `logs` ends with on every backend when nothing of the app is there (exit status 1)."""
    return NotRunning(f"nothing to show: {app} is not deployed on {backend}; start it with "
                      f"`procfleet deploy -b {backend}`")


def no_lines(request: LogRequest) -> str:
    """What `logs` says on every backend when the app is there but no line matched (exit status 0)."""
    which = f"{', '.join(request.types)} of {request.app}" if request.types else request.app
    since = "" if request.since is None else " since " + time.strftime("%Y-%m-%d %H:%M:%S",
                                                                       time.localtime(request.since))
    return f"nothing to show: no log line from {which} on {request.backend}{since}"


def parse_since(text: str, now: float) -> float:
    """`--since` as docker reads it: a duration back from now (10m, 1h30m), a time (RFC 3339 or a date, local time
    when it has no zone), or Unix seconds; the moment, in seconds since the epoch."""
    text = text.strip()
    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    if _UNIX_SECONDS.fullmatch(text):
        return float(text)
    try:
        return datetime.fromisoformat(text).timestamp()  # without a zone: local time, as docker reads it
    except ValueError:
        raise UsageError(f'--since: expected a duration like "10m" or "1h30m", a time like "2024-05-01T13:00:00Z" '
                         f'or "2024-05-01", or Unix seconds, got "{text}"') from None


def docker_since(at: float) -> str:
    """A moment as Unix time for docker's `--since`, in the form the docker CLI itself sends the engine (seconds,
    a dot, nine digits of nanoseconds): exact, and read the same by every engine version."""
    seconds = math.floor(at)
    return f"{seconds}.{min(int((at - seconds) * 1e9), 999_999_999):09d}"
