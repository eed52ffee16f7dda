"""Finds backends through the `procfleet.backends` entry-point group and loads one only when asked."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING

from procfleet.errors import BackendLoadError, BackendNotFound, quoted
from procfleet.validation import did_you_mean

if TYPE_CHECKING:
    from procfleet.backend import Backend

GROUP = "procfleet.backends"


@dataclass(frozen=True)
class Discovered:
    """A backend known by name and distribution, not yet imported."""

    name: str
    distribution: str
    version: str
    entry_point: EntryPoint


def discover() -> dict[str, Discovered]:
    """Every installed backend by name, sorted; nothing is imported."""
    return dict(_installed())


@cache
def _installed() -> tuple[tuple[str, Discovered], ...]:
    """The installed backends, looked for once per process: reading every distribution's metadata costs a few
    milliseconds, and a command asks several times (the formation's tables, the backend it runs on)."""
    found: dict[str, Discovered] = {}
    for entry in entry_points(group=GROUP):
        dist = entry.dist
        found.setdefault(entry.name, Discovered(
            name=entry.name,
            distribution=dist.name if dist else "unknown distribution",
            version=dist.version if dist else "",
            entry_point=entry,
        ))
    return tuple(sorted(found.items()))


def lookup(name: str) -> Discovered:
    """The discovered backend called name, or an error listing the available ones."""
    available = discover()
    if name not in available:
        names = ", ".join(available) or "none installed"
        raise BackendNotFound(f'unknown backend {quoted(name)}{did_you_mean(name, available)}; available: {names}')
    return available[name]


def load(name: str) -> type[Backend]:
    """Import the backend's class; a failing import is reported with its distribution's name."""
    found = lookup(name)
    try:
        backend_class: type[Backend] = found.entry_point.load()
    except Exception as exc:  # any import-time failure of a plugin must not crash the CLI
        raise BackendLoadError(
            f'backend "{name}" from {found.distribution} {found.version} failed to load: '
            f"{type(exc).__name__}: {exc}"
        ) from exc
    return backend_class
