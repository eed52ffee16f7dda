"""Where output goes: rich tables and messages for people, plain JSON for programs."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table


def color_wanted(no_color: bool, environ: Mapping[str, str], stream: TextIO, when: str = "auto") -> bool:
    """Color on a terminal, or always with `--color always` (into a pipe, for `less -R`); never with --no-color,
    `--color never` or NO_COLOR (https://no-color.org)."""
    if no_color or when == "never" or environ.get("NO_COLOR"):
        return False
    if when == "always":
        return True
    return stream.isatty() and environ.get("TERM") != "dumb"  # a dumb terminal shows escape codes as text


@dataclass
class Output:
    """The CLI's two streams and the user's choices about them."""

    json: bool = False
    color: bool = False
    quiet: bool = False
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    verbose: bool = False  # -v: the platform's own event lines too (Compose's "Container … Started")
    _drawn: int = field(default=0, repr=False)  # characters of a line drawn in place on stderr, not yet ended

    # rich is imported only when something is styled or tabulated: JSON and plain messages skip its start-up cost.
    @cached_property
    def console(self) -> Console:
        """rich's console on stdout."""
        return _console(self.out, self.color)

    @cached_property
    def error_console(self) -> Console:
        """rich's console on stderr."""
        return _console(self.err, self.color)

    def draw(self, text: str) -> None:
        """Rewrite the line in place on stderr (a terminal's progress line): a carriage return and spaces over
        what is left of the previous one, no escape code."""
        self.err.write("\r" + text + " " * max(0, self._drawn - len(text)))
        self.err.flush()
        self._drawn = len(text)

    def end_line(self) -> None:
        """End a line drawn in place, so that what follows starts on a line of its own."""
        if self._drawn:
            self.err.write("\n")
            self.err.flush()
            self._drawn = 0

    def data(self, payload: Any) -> None:
        """Print a JSON document on stdout."""
        self.end_line()
        self.out.write(json.dumps(payload, indent=2, default=str) + "\n")
        self.out.flush()

    def table(self, table: Table) -> None:
        """Print a table for people."""
        self.end_line()
        self.console.print(table)

    def text(self, message: str) -> None:
        """Print plain text on stdout, verbatim."""
        self.end_line()
        self.out.write(message)
        self.out.flush()

    def info(self, message: str) -> None:
        """A progress or status line on stderr (silent with -q)."""
        if not self.quiet:
            self._line(message, "")

    def warn(self, message: str) -> None:
        """A warning on stderr."""
        self._line(message, "warning", "yellow")

    def error(self, message: str) -> None:
        """The one line a failed command prints."""
        self._line(message, "error", "bold red")

    def _line(self, message: str, label: str, style: str = "") -> None:
        self.end_line()
        if not self.color:
            self.err.write((f"{label}: " if label else "") + message + "\n")
            self.err.flush()
            return
        from rich.markup import escape

        prefix = f"[{style}]{label}:[/] " if label else ""
        self.error_console.print(prefix + escape(message))


def _console(stream: TextIO, color: bool) -> Console:
    from rich.console import Console

    # force_terminal=None lets rich detect a terminal (and its width); without color no color system at all, so
    # that no escape code is written, bold and italic included (no_color alone would keep them)
    return Console(file=stream, force_terminal=color or None, color_system="auto" if color else None,
                   highlight=False, soft_wrap=True)
