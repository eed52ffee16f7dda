"""The one progress view of deploy, scale --wait, restart, migrate and down: per type counts, elapsed time and the
timeout, rewritten in place on a terminal and written as plain lines, only when the counts change, elsewhere."""

from __future__ import annotations

import time
from collections.abc import Callable

from procfleet.backend import Status, TypeStatus
from procfleet.console import Output
from procfleet.units import format_duration


def counts_line(status: Status) -> str:
    """`web 2/3 running, 1 healthy · worker 1 wanted, 2 stopping`: what each type has, against what it wants."""
    return " · ".join(_type_part(item) for item in status.types)


def _type_part(item: TypeStatus) -> str:
    if item.desired == 0:
        return f"{item.name} {item.running} stopping" if item.running else f"{item.name} stopped"
    if item.running > item.desired:  # a scale-down in progress reads as such, not as "4/2 running"
        part = f"{item.name} {item.desired} wanted, {item.running - item.desired} stopping"
    else:
        part = f"{item.name} {item.running}/{item.desired} running"
    if item.healthy is not None and item.desired:
        part += f", {item.healthy} healthy"
    if item.done:
        part += f", {item.done} done"
    return part


def closing_line(status: Status) -> str:
    """What now runs, in one line: `shop on compose runs web 2 (2 healthy), worker 3 (5 wanted), migrate 0 (1 done)`
    (or nothing); what is still wanted is said where it differs, as after a scale that did not wait, and a
    one-shot that finished is done, not wanted."""
    parts = []
    for item in status.types:
        notes = [f"{item.healthy} healthy"] if item.healthy is not None and item.running else []
        if item.done:
            notes.append(f"{item.done} done")
        if item.desired != item.running + item.done:
            notes.append(f"{item.desired} wanted")
        parts.append(f"{item.name} {item.running}" + (f" ({', '.join(notes)})" if notes else ""))
    if not any(item.running for item in status.types):
        return f"{status.app} on {status.backend} runs nothing now"
    return f"{status.app} on {status.backend} runs " + ", ".join(parts)


class ProgressView:
    """A progress callback: on a terminal one line rewritten in place (carriage return and spaces, no escape
    codes, so it works without colour too); elsewhere a `waiting: …` line each time the counts change. An
    instance that fails its health check while waiting is said once, with the check's last output."""

    def __init__(self, output: Output, timeout: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.output = output
        self.timeout = timeout
        self.clock = clock
        self.started = clock()
        self.live = _in_place(output)
        self._last = ""
        self._told: set[tuple[str, str]] = set()

    def __call__(self, status: Status) -> None:
        """Show the status reached so far."""
        for instance in status.instances:
            failing = instance.healthy is False and instance.state == "running" and instance.detail
            if failing and (instance.name, instance.detail) not in self._told:
                self._told.add((instance.name, instance.detail))
                self._line(f"{instance.name} is not healthy yet: {instance.detail}")
        counts = counts_line(status)
        if not counts:
            return
        elapsed = format_duration(round(self.clock() - self.started))
        if self.live:
            limit = f" of {format_duration(round(self.timeout))}" if self.timeout else ""
            self._draw(f"waiting: {counts} ({elapsed}{limit})")
        elif counts != self._last:
            self._line(f"waiting: {counts} ({elapsed})")
        self._last = counts

    def close(self) -> None:
        """End the in-place line, so what follows starts on a line of its own."""
        self.output.end_line()

    def _line(self, text: str) -> None:
        self.output.info(text)

    def _draw(self, text: str) -> None:
        width = max(20, _width(self.output) - 1)
        self.output.draw(text if len(text) <= width else text[: width - 1] + "…")


def _in_place(output: Output) -> bool:
    """Rewriting a line needs a terminal that understands a carriage return: not a pipe, not TERM=dumb, not -q."""
    import os

    stream = output.err
    return not output.quiet and stream.isatty() and os.environ.get("TERM") != "dumb"


def _width(output: Output) -> int:
    return int(output.error_console.width)
