"""Where an app last moved: migrate records it, so that ps and scale on the platform it left can say so.

The record is kept per user, outside the project folder (commands that only read must leave the folder as it
was): `$XDG_STATE_HOME/procfleet/moves.json`, else `~/.local/state/procfleet/moves.json`, mode 0600. It is keyed
by the formation file's path and the app's name, so two checkouts of one app keep their own.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Move:
    """One migrate: from which backend to which, and when (seconds since the epoch)."""

    source: str
    target: str
    at: float

    def when(self) -> str:
        """The local date and time of the move, to the minute."""
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(self.at))


def state_file(environ: dict[str, str] | None = None) -> Path:
    """The file moves are kept in."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_STATE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".local" / "state")
    return Path(base) / "procfleet" / "moves.json"


def _key(formation_file: Path, app: str) -> str:
    return f"{formation_file.resolve()}::{app}"


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):  # none yet, or not ours to trust: as if nothing had moved
        return {}
    return data if isinstance(data, dict) else {}


def record(formation_file: Path, app: str, source: str, target: str, environ: dict[str, str] | None = None) -> None:
    """Remember that the app moved from source to target (best effort: a read-only home only loses the hint)."""
    path = state_file(environ)
    data = _read(path)
    data[_key(formation_file, app)] = {"from": source, "to": target, "at": time.time()}
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(descriptor, "w") as stream:
            json.dump(data, stream, indent=1)
        os.replace(temporary, path)


def last(formation_file: Path, app: str, environ: dict[str, str] | None = None) -> Move | None:
    """The app's last move, if migrate ever moved it."""
    entry = _read(state_file(environ)).get(_key(formation_file, app))
    if not isinstance(entry, dict):
        return None
    try:
        return Move(source=str(entry["from"]), target=str(entry["to"]), at=float(entry["at"]))
    except (KeyError, TypeError, ValueError):
        return None


def moved_away(formation_file: Path, app: str, backend: str, environ: dict[str, str] | None = None) -> Move | None:
    """The last move, when it took the app away from this backend (and not back since)."""
    move = last(formation_file, app, environ)
    return move if move is not None and move.source == backend and move.target != backend else None
