"""The platforms' own log lines read back as procfleet's: the instance (`web.1`) and the time each line was written,
whatever prefix the platform's log command puts before them."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from procfleet.loglines import LogLine, LogWriter

LineParser = Callable[[str, bool], LogLine | None]  # a line, and whether it came on stderr
_COMPOSE = re.compile(r"(?P<type>[A-Za-z0-9_.-]+?)-(?P<number>\d+)\s*\| (?P<time>\S+)(?: (?P<text>.*))?")


def rfc3339(text: str) -> float | None:
    """Seconds since the epoch of an RFC 3339 time with a zone (`2024-05-01T13:00:00.123456789Z`, as docker's
    --timestamps and Nomad's ModTime write it; Python keeps microseconds); None for anything else."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.timestamp() if moment.tzinfo is not None else None


def compose_line(line: str, stderr: bool) -> LogLine | None:
    """`docker compose logs --timestamps`: `web-1  | 2024-05-01T13:00:00.123456789Z text` (the service, its
    container number); None for a line in another shape."""
    return _parsed(_COMPOSE.fullmatch(line), stderr)


def swarm_line(stack: str) -> LineParser:
    """`docker service logs --timestamps`: `2024-05-01T13:00:00.123456789Z <stack>_web.1.<task id>@<node>    | text`
    (the slot is the number)."""
    pattern = re.compile(rf"(?P<time>\S+) {re.escape(stack)}_(?P<type>[A-Za-z0-9_-]+)\.(?P<number>\d+)"
                         r"(?:\.\w+)?@\S+\s*\|(?: (?P<text>.*))?")
    return lambda line, stderr: _parsed(pattern.fullmatch(line), stderr)


def stamped(name: str, process: str, line: str, stderr: bool) -> LogLine | None:
    """A line the Engine API sent with `timestamps`: `2024-05-01T13:00:00.123456789Z text`, of the instance
    `name`; None for a line in another shape."""
    moment, _, text = line.partition(" ")
    at = rfc3339(moment)
    return None if at is None else LogLine(name, process, text, at, stderr)


def _parsed(found: re.Match[str] | None, stderr: bool) -> LogLine | None:
    at = None if found is None else rfc3339(found.group("time"))
    if found is None or at is None:
        return None
    process = found.group("type")
    return LogLine(f"{process}.{int(found.group('number'))}", process, found.group("text") or "", at, stderr)


def into(writer: LogWriter, parse: LineParser, stderr: bool) -> LineFeed:
    """A stream for the platform log command's stdout or stderr: each instance's line to the writer in the one
    shape, any other line (the command's own words) as it came."""
    def on_line(line: str) -> None:
        parsed = parse(line, stderr)
        if parsed is None:
            writer.passthrough(line, stderr)
        else:
            writer.write(parsed)

    return LineFeed(on_line)


class LineFeed:
    """A text stream that hands each complete line to a callback; writes may carry several lines or part of one."""

    def __init__(self, on_line: Callable[[str], None]) -> None:
        self.on_line = on_line
        self._partial = ""

    def write(self, text: str) -> int:
        """Pass on every complete line; keep the rest for the next write."""
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        for line in lines:
            self.on_line(line.removesuffix("\r"))
        return len(text)

    def flush(self) -> None:
        """Nothing to do: a partial line waits for its end."""

    def close(self) -> None:
        """Pass on a last line that had no newline."""
        if self._partial:
            self.on_line(self._partial.removesuffix("\r"))
            self._partial = ""

