"""The multiplexer: every instance's output as `HH:MM:SS web.1 | line`, whole lines only, in big batches."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TextIO

from procfleet.loglines import Clock, color_code, render
from procfleet_local.logbook import Chunk, Logbook

SYSTEM = "system"  # the supervisor's own lines, named as Foreman and Honcho name theirs
PARTIAL_LIMIT = 64 * 1024  # a line longer than this is printed in pieces rather than held without bound


def format_chunk(chunk: Chunk, width: int, color: str | None, clock: Clock, *, timestamp: bool = True,
                 prefix: bool = True) -> str:
    """The printed form of a chunk, in the shape `procfleet logs` prints on every backend (loglines.render)."""
    return render(clock.stamp(chunk.at), chunk.name, width, color, chunk.lines, timestamps=timestamp, prefixes=prefix)


class Printer:
    """Turns raw reads from many instances into whole prefixed lines, written once per loop iteration."""

    def __init__(self, out: TextIO, color: bool, logbook: Logbook,
                 schedule: Callable[[Callable[[], None]], object], *, timestamp: bool = True,
                 prefix: bool = True) -> None:
        self._out = out
        self._color = color
        self._timestamp, self._prefix = timestamp, prefix
        self._logbook = logbook
        self._schedule = schedule  # loop.call_soon: the flush runs after the reads that are ready now
        self._pending: list[str] = []
        self._flush_scheduled = False
        self._partial: dict[str, bytes] = {}
        self._positions: dict[str, int] = {}
        self._width = len(SYSTEM)
        self._clock = Clock()

    @property
    def width(self) -> int:
        """The width of the name column, so that `logs` aligns as the supervisor does."""
        return self._width

    def reserve(self, names: Iterable[str], positions: dict[str, int]) -> None:
        """Widen the name column for these instance names, and set each type's color by its position."""
        self._width = max(self._width, *(len(name) for name in names))
        self._positions = dict(positions)

    def feed(self, name: str, process: str, data: bytes) -> None:
        """Take a read from an instance's pipe; print the complete lines, keep the partial one."""
        newline = data.rfind(b"\n")
        if newline < 0:
            held = self._partial.get(name, b"") + data
            if len(held) <= PARTIAL_LIMIT:
                self._partial[name] = held
                return
            self._partial.pop(name, None)
            self._emit(name, process, held.decode("utf-8", "replace"))
            return
        # Splitting at b"\n" is safe for UTF-8: no multibyte sequence contains that byte.
        complete = self._partial.pop(name, b"") + data[:newline]
        if newline + 1 < len(data):
            self._partial[name] = data[newline + 1:]
        self._emit(name, process, complete.decode("utf-8", "replace"))

    def close(self, name: str, process: str) -> None:
        """The instance's pipe closed: print its last line even without a newline."""
        held = self._partial.pop(name, b"")
        if held:
            self._emit(name, process, held.decode("utf-8", "replace"))

    def system(self, message: str) -> None:
        """A line from the supervisor itself."""
        self._emit(SYSTEM, None, message)

    def flush(self) -> None:
        """Write everything pending in one call."""
        self._flush_scheduled = False
        if not self._pending:
            return
        text = "".join(self._pending)
        self._pending.clear()
        try:
            self._out.write(text)
            self._out.flush()
        except (OSError, ValueError):
            pass  # the reader went away (`| head`), the terminal hung up, the stream closed: keep supervising

    def _emit(self, name: str, process: str | None, text: str) -> None:
        if "\r" in text:
            # CRLF and a lone CR end a line, as honcho reads output (str.splitlines) and Foreman strips them: a
            # Windows-style line or a progress bar's carriage returns never reach the terminal to overwrite prefixes
            text = text.removesuffix("\r").replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")
        chunk = self._logbook.add(name, process, time.time(), lines)
        color = color_code(None if process is None else self._positions.get(process, 0)) if self._color else None
        self._pending.append(format_chunk(chunk, self._width, color, self._clock, timestamp=self._timestamp,
                                          prefix=self._prefix))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._schedule(self.flush)
