"""What every importer returns: a formation without a name or a file yet, and what it left behind."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from procfleet.model import App, Formation, ProcessType

# Reasons several formats share.
NO_VOLUMES = "procfleet formations have no volumes; factor VI: keep state in a backing service"
NO_DEPENDENCIES = "procfleet starts every type on its own; factor IV: attach backing services through config"
ENV_ONLY = "procfleet passes config through env and env files only"
NO_KEY = "no formation key for it"


def _frozen(mapping: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass
class Report:
    """One line per key an importer could not carry over (or carried over only approximately), naming the key."""

    source: Path
    lines: list[str] = field(default_factory=list)

    def skipped(self, key: str, reason: str) -> None:
        """A key whose meaning is not in the formation."""
        self.lines.append(f"{self.source}: {key}: not carried over ({reason})")

    def note(self, key: str, message: str) -> None:
        """A key carried over with a change the user should know about."""
        self.lines.append(f"{self.source}: {key}: {message}")


@dataclass(frozen=True)
class ImportResult:
    """A formation read from another format: its types, app-wide settings and the lines of its report."""

    format: str
    source: Path
    processes: Mapping[str, ProcessType]
    app_name: str | None = None  # as the source names it (made portable); None: the target folder's name
    image: str | None = None
    env_files: tuple[Path, ...] = ()  # absolute paths
    env: Mapping[str, str] = field(default_factory=_frozen)
    backend: str | None = None  # the backend that runs what the source describes, if procfleet has one
    backends: Mapping[str, Mapping[str, Any]] = field(default_factory=_frozen)
    warnings: tuple[str, ...] = ()

    def formation(self, name: str, target: Path, backend: str) -> Formation:
        """The formation this result becomes when written to target for the app called name."""
        app = App(name=name, image=self.image, env_files=self.env_files, env=_frozen(self.env), backend=backend)
        return Formation(app=app, processes=_frozen(self.processes), backends=_frozen(self.backends), source=target)


def hoisted(result: ImportResult) -> ImportResult:
    """The env every type shares moved to the app, and the image every type shares made the app's image."""
    processes = dict(result.processes)
    if len(processes) > 1:
        shared = dict.fromkeys(next(iter(processes.values())).env.items())
        common = {key: value for key, value in shared if all(p.env.get(key) == value for p in processes.values())}
        if common:
            processes = {name: replace(p, env=_frozen({k: v for k, v in p.env.items() if k not in common}))
                         for name, p in processes.items()}
            result = replace(result, env=_frozen({**result.env, **common}))
    images = {p.image for p in processes.values()}
    if result.image is None and len(images) == 1 and None not in images:
        result = replace(result, image=images.pop())
        processes = {name: replace(p, image=None) for name, p in processes.items()}
    return replace(result, processes=_frozen(processes))
