"""`logs` from the journal: each instance's own lines as `HH:MM:SS web.1 | line`, as every backend prints them."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from procfleet.errors import PlatformError
from procfleet_systemd.layout import Layout

# Honcho's palette in its order, as the local backend colors its lines: a type keeps its color on every backend.
NO_JOURNALCTL = "journalctl is not installed: the systemd backend reads logs from the journal"
COLORS = ("36", "33", "32", "35", "31", "34", "36;1", "33;1", "32;1", "35;1", "31;1", "34;1")


@dataclass(frozen=True)
class Line:
    """One line an instance wrote, as the journal keeps it."""

    when: float  # seconds since the epoch
    name: str  # web.1
    process: str
    text: str
    cursor: str


@dataclass(frozen=True)
class Style:
    """How lines are printed: with the time, the instance's name, colors by type position."""

    timestamps: bool = True
    prefixes: bool = True
    color: bool = False
    positions: Mapping[str, int] | None = None


def line_from(entry: Mapping[str, Any], units: Mapping[str, tuple[str, str]], field: str) -> Line | None:
    """The Line of a journal entry written by one of the units (by unit: (instance name, type)); None for others,
    such as systemd's own "Started …" messages about the unit."""
    owner = units.get(str(entry.get(field, "")))
    if owner is None:
        return None
    message = entry.get("MESSAGE", "")
    if isinstance(message, list):  # the journal's JSON gives a message that is not UTF-8 as its bytes
        message = bytes(message).decode("utf-8", errors="replace")
    return Line(int(entry.get("__REALTIME_TIMESTAMP", 0)) / 1e6, owner[0], owner[1], str(message).rstrip("\n"),
                str(entry.get("__CURSOR", "")))


def formatted(line: Line, width: int, style: Style) -> str:
    """`HH:MM:SS web.1 | text`, or the text alone without prefixes."""
    if not style.prefixes:
        return line.text + "\n"
    head = f"{time.strftime('%H:%M:%S', time.localtime(line.when))} " if style.timestamps else ""
    head += f"{line.name.ljust(width)} | "
    if style.color and style.positions is not None:
        head = f"\033[{COLORS[style.positions.get(line.process, 0) % len(COLORS)]}m{head}\033[0m"
    return head + line.text + "\n"


class Journal:
    """The journal of one systemd instance, read with journalctl's JSON output."""

    def __init__(self, layout: Layout, environ: Mapping[str, str]) -> None:
        self.layout = layout
        self.environ = dict(environ)
        # the process's own lines carry the unit it runs in; in a user's manager that is the user unit
        self.field = "_SYSTEMD_USER_UNIT" if layout.scope == "user" else "_SYSTEMD_UNIT"

    def _argv(self, units: Iterable[str], *args: str) -> list[str]:
        matches = [f"--unit={unit}" for unit in units]
        return self.layout.journalctl("--output=json", "--quiet", *args, *matches)

    def read(self, units: Mapping[str, tuple[str, str]], tail: int | None) -> list[Line]:
        """The units' lines so far, oldest first; with tail, the last `tail` of each instance."""
        if tail is None:
            return list(self._lines(self._argv(units, "--lines=all"), units))
        lines: list[Line] = []
        for unit in units:
            if tail > 0:
                lines += self._lines(self._argv([unit], f"--lines={tail}"), units)
        return sorted(lines, key=lambda line: line.when)

    def follow(self, units: Mapping[str, tuple[str, str]], after: str | None) -> Iterator[Line]:
        """The units' new lines as they are written, until interrupted."""
        since = [f"--after-cursor={after}"] if after else ["--lines=0"]
        argv = self._argv(units, "--follow", *since)
        try:
            child = subprocess.Popen(argv, stdout=subprocess.PIPE, env=self.environ, text=True, errors="replace")
        except FileNotFoundError:
            raise PlatformError(NO_JOURNALCTL) from None
        assert child.stdout is not None
        try:
            for text in child.stdout:
                line = self._parse(text, units)
                if line is not None:
                    yield line
        finally:
            child.terminate()
            child.wait()

    def _lines(self, argv: list[str], units: Mapping[str, tuple[str, str]]) -> Iterator[Line]:
        try:
            done = subprocess.run(argv, capture_output=True, text=True, env=self.environ, check=False,
                                  errors="replace", timeout=120)
        except FileNotFoundError:
            raise PlatformError(NO_JOURNALCTL) from None
        if done.returncode != 0:
            raise PlatformError(f"journalctl: {(done.stderr.strip() or 'failed').splitlines()[-1]}")
        for text in done.stdout.splitlines():
            line = self._parse(text, units)
            if line is not None:
                yield line

    def _parse(self, text: str, units: Mapping[str, tuple[str, str]]) -> Line | None:
        try:
            entry = json.loads(text)
        except json.JSONDecodeError:
            return None
        return line_from(entry, units, self.field) if isinstance(entry, dict) else None


def print_lines(lines: Sequence[Line], out: TextIO, width: int, style: Style) -> None:
    """Write the lines and flush."""
    for line in lines:
        out.write(formatted(line, width, style))
    out.flush()
