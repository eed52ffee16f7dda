"""Per-instance ring buffers of output lines, for `logs --tail N`, and the followers of `logs -f`."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Collection
from dataclasses import dataclass

LINES_PER_INSTANCE = 2000


@dataclass(frozen=True)
class Chunk:
    """Lines one instance wrote in one read, stamped once: the unit buffered, sent and printed."""

    seq: int
    at: float  # when it was read from the instance's pipe, in seconds since the epoch
    name: str  # web.1, or "system"
    process: str | None  # the type; None for the supervisor's own lines
    lines: tuple[str, ...]


Follower = Callable[[Chunk], None]


def wanted(chunk: Chunk, types: Collection[str], since: float | None = None) -> bool:
    """Whether a `logs TYPE…` filter keeps this chunk (no filter: everything, the supervisor's lines too), and
    `--since`: only what was written from then on."""
    return (not types or chunk.process in types) and (since is None or chunk.at >= since)


class Logbook:
    """Keeps the last lines of every instance, and passes new ones to followers as they come."""

    def __init__(self, lines_per_instance: int = LINES_PER_INSTANCE) -> None:
        self._limit = lines_per_instance
        self._chunks: dict[str, deque[Chunk]] = {}
        self._sizes: dict[str, int] = {}
        self._seq = itertools.count()
        self._followers: dict[int, tuple[Collection[str], Follower]] = {}
        self._ids = itertools.count()

    def add(self, name: str, process: str | None, at: float, lines: list[str]) -> Chunk:
        """Record lines and hand them to every follower whose filter wants them."""
        chunk = Chunk(next(self._seq), at, name, process, tuple(lines))
        chunks = self._chunks.setdefault(name, deque())
        chunks.append(chunk)
        size = self._sizes.get(name, 0) + len(lines)
        # Drop whole chunks while what stays still holds the limit: cheaper than per-line bookkeeping.
        while len(chunks) > 1 and size - len(chunks[0].lines) >= self._limit:
            size -= len(chunks.popleft().lines)
        self._sizes[name] = size
        for types, follower in list(self._followers.values()):
            if wanted(chunk, types):
                follower(chunk)
        return chunk

    def tail(self, types: Collection[str], count: int | None, since: float | None = None) -> list[Chunk]:
        """The last `count` lines of each wanted instance (all it keeps when None), written since `since` if given,
        in the order written."""
        picked: list[Chunk] = []
        for chunks in self._chunks.values():
            if not chunks or not wanted(chunks[0], types):
                continue
            need = self._limit if count is None else count
            for chunk in reversed(chunks):
                if need <= 0 or not wanted(chunk, (), since):
                    break
                lines = chunk.lines[-need:]
                picked.append(chunk if len(lines) == len(chunk.lines) else
                              Chunk(chunk.seq, chunk.at, chunk.name, chunk.process, lines))
                need -= len(lines)
        return sorted(picked, key=lambda chunk: chunk.seq)

    def names(self, types: Collection[str]) -> list[str]:
        """The instances whose lines it keeps, of these types (every one, the supervisor too, when none)."""
        return [name for name, chunks in self._chunks.items() if chunks and wanted(chunks[0], types)]

    def follow(self, types: Collection[str], follower: Follower) -> int:
        """Start passing new chunks to follower; returns an id for unfollow."""
        key = next(self._ids)
        self._followers[key] = (types, follower)
        return key

    def unfollow(self, key: int) -> None:
        """Stop passing chunks to a follower."""
        self._followers.pop(key, None)
