"""Log lines under procfleet's instance names (`web.1`), whatever prefix the platform's own log command writes."""

from __future__ import annotations

import re
from typing import TextIO


class RenamedLines:
    """A text stream that rewrites each line's platform prefix to `<type>.<number> | `, aligned as it goes.

    `pattern` must match the platform's prefix with groups `type` and `number`; lines it does not match pass as
    they are. Writes may carry several lines or part of one: only complete lines are rewritten and passed on.
    """

    def __init__(self, target: TextIO, pattern: re.Pattern[str]) -> None:
        self.target = target
        self.pattern = pattern
        self.width = 0
        self._partial = ""

    def write(self, text: str) -> int:
        """Rewrite and pass on every complete line; keep the rest for the next write."""
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        for line in lines:
            self.target.write(self._renamed(line) + "\n")
        return len(text)

    def flush(self) -> None:
        """Flush the target (a partial line waits for its end)."""
        self.target.flush()

    def close(self) -> None:
        """Pass on a last line that had no newline."""
        if self._partial:
            self.target.write(self._renamed(self._partial) + "\n")
            self._partial = ""
        self.target.flush()

    def _renamed(self, line: str) -> str:
        found = self.pattern.match(line)
        if found is None:
            return line
        name = f"{found.group('type')}.{int(found.group('number'))}"
        self.width = max(self.width, len(name))
        return f"{name:<{self.width}} | {line[found.end():]}"


def compose_prefix() -> re.Pattern[str]:
    """`docker compose logs`: `web-1  | text` (the service, its container number)."""
    return re.compile(r"^(?P<type>[A-Za-z0-9_.-]+?)-(?P<number>\d+)\s*\| ")


def swarm_prefix(stack: str) -> re.Pattern[str]:
    """`docker service logs`: `<stack>_web.1.<task id>@<node>    | text` (the slot is the number)."""
    return re.compile(rf"^{re.escape(stack)}_(?P<type>[A-Za-z0-9_-]+)\.(?P<number>\d+)(?:\.\w+)?@\S+\s*\| ")
