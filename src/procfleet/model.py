"""The formation as frozen dataclasses: pure data, no I/O (DESIGN §1)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

RestartPolicy = Literal["always", "on-failure", "never"]
Readiness = Literal["started", "healthy", "done"]  # Compose's service_started, _healthy, _completed_successfully
READINESS: tuple[Readiness, ...] = ("started", "healthy", "done")
HealthKind = Literal["http", "tcp", "command"]

RESTART_POLICIES: tuple[RestartPolicy, ...] = ("always", "on-failure", "never")
DEFAULT_BACKEND = "local"
SECRET_MARKERS = ("KEY", "SECRET", "TOKEN", "PASSWORD")
MASK = "******"


def _frozen(mapping: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    """Return a read-only copy so frozen dataclasses stay frozen all the way down."""
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class HealthCheck:
    """How a platform decides an instance is healthy: an HTTP path, a TCP connect, or a command."""

    kind: HealthKind
    http_path: str | None = None
    command: str | None = None
    interval: float = 10.0
    timeout: float = 2.0
    retries: int = 3
    start_period: float = 0.0


@dataclass(frozen=True)
class Resources:
    """CPU in cores and memory in bytes; None means the platform's default."""

    cpu: float | None = None
    memory: int | None = None


@dataclass(frozen=True)
class Build:
    """How a container image is built: `docker build` of context (relative to the formation's folder)."""

    context: str = "."
    dockerfile: str | None = None
    target: str | None = None
    args: Mapping[str, str] = field(default_factory=_frozen)

    def options(self) -> dict[str, Any]:
        """dockerfile, target and args where set, as Compose's `build:` and the formation's table name them."""
        given = {"dockerfile": self.dockerfile, "target": self.target, "args": dict(self.args) or None}
        return {key: value for key, value in given.items() if value is not None}


@dataclass(frozen=True)
class ProcessType:
    """One process type (web, worker, clock…) and everything needed to run its instances.

    It runs `command`, a shell line (through /bin/sh -c, as Foreman and Heroku run a Procfile's); or an argv
    without a shell: `args` (the image's CMD, handed to its ENTRYPOINT) after `entrypoint` (replacing the image's);
    or, with none of the three, its image's own command.
    """

    name: str
    command: str | None = None
    count: int | None = None  # None: the platform owns the number (DESIGN §2)
    port: int | None = None
    health: HealthCheck | None = None
    env: Mapping[str, str] = field(default_factory=_frozen)
    restart: RestartPolicy = "always"
    stop_signal: str = "SIGTERM"
    stop_timeout: float = 10.0
    resources: Resources = field(default_factory=Resources)
    image: str | None = None
    entrypoint: tuple[str, ...] | None = None
    args: tuple[str, ...] | None = None
    build: Build | None = None
    # the types that must be ready first, each with what ready means: "started", "healthy" or "done" (exited 0)
    after: Mapping[str, Readiness] = field(default_factory=_frozen)
    env_files: tuple[Path, ...] = ()  # read after the app's env files, as a Compose service's own env_file
    file_env: Mapping[str, str] = field(default_factory=_frozen)  # their values, merged in order

    @property
    def runs_image_command(self) -> bool:
        """Whether the type runs its image's own CMD/ENTRYPOINT (no command, entrypoint or args)."""
        return self.command is None and self.entrypoint is None and self.args is None

    def argv(self) -> tuple[str, ...] | None:
        """The argv a platform without images runs for entrypoint/args (None for a shell command or none)."""
        if self.command is not None or self.runs_image_command:
            return None
        return (*(self.entrypoint or ()), *(self.args or ()))

    def shown_command(self) -> str:
        """The command as a person reads it: the shell line, the argv quoted, or the image's own."""
        import shlex

        if self.command is not None:
            return self.command
        argv = self.argv()
        return shlex.join(argv) if argv else "(the image's own command)"


@dataclass(frozen=True)
class App:
    """The app-wide settings of a formation."""

    name: str
    image: str | None = None
    env_files: tuple[Path, ...] = ()
    env: Mapping[str, str] = field(default_factory=_frozen)
    backend: str = DEFAULT_BACKEND
    file_env: Mapping[str, str] = field(default_factory=_frozen)  # the env_files' values, merged in order
    build: Build | None = None


@dataclass(frozen=True)
class Formation:
    """A whole formation file, validated: the app, its process types in file order, backend options."""

    app: App
    processes: Mapping[str, ProcessType]
    backends: Mapping[str, Mapping[str, Any]] = field(default_factory=_frozen)
    source: Path = Path("formation.toml")
    key_prefix: str = ""  # "tool.procfleet." when the formation lives in pyproject.toml

    @property
    def folder(self) -> Path:
        """The folder the formation file sits in; relative paths in it resolve from here."""
        return self.source.parent

    def environment(self, process: ProcessType) -> dict[str, str]:
        """The type's env without what procfleet sets per instance: the app's env files, the type's, then app env,
        then type env (a value written in the formation wins over a file's, as Compose's environment does)."""
        return {**self.app.file_env, **process.file_env, **self.app.env, **process.env}

    def image_for(self, process: ProcessType) -> str | None:
        """The image a container backend runs for this type."""
        return process.image or self.app.image

    def image_reference(self, process: ProcessType) -> str | None:
        """The image a platform runs for the type: its image, else for a type that is built `<app>-<type>`, the
        name Compose gives an image it builds for a service."""
        image = self.image_for(process)
        if image is None and self.build_for(process) is not None:
            return f"{self.app.name}-{process.name}"
        return image

    def build_for(self, process: ProcessType) -> Build | None:
        """How this type's image is built, if the formation says: the type's build, else the app's."""
        return process.build or self.app.build

    def options(self, backend: str) -> Mapping[str, Any]:
        """The validated `[backends.<name>]` table (empty when absent)."""
        return self.backends.get(backend, _frozen())

    def position(self, name: str) -> int:
        """The type's 0-based position in the file (Foreman's port scheme depends on it)."""
        return list(self.processes).index(name)


def default_readiness(process: ProcessType) -> Readiness:
    """What `after = ["db"]` waits for: db healthy if it has a health check, else started. "done" (a one-shot task
    that exited 0) is only ever asked for by name: `after = { migrate = "done" }`."""
    return "healthy" if process.health is not None else "started"


def is_secret(name: str) -> bool:
    """Whether an env var's value must be masked when printed."""
    upper = name.upper()
    return any(marker in upper for marker in SECRET_MARKERS)


def masked(env: Mapping[str, str]) -> dict[str, str]:
    """A copy of env with secret-looking values replaced, for anything printed."""
    return {name: (MASK if is_secret(name) else value) for name, value in env.items()}


def fingerprint(formation: Formation, process: ProcessType, extra: Mapping[str, Any] | None = None,
                ignore: Collection[str] = ()) -> str:
    """A short stable hash of what defines a type's instances, count excluded; backends store it as a label.

    `extra` adds what a backend's options shape; `ignore` drops keys the backend does not use (local runs no image),
    so that changing them does not restart its instances.
    """
    health = process.health
    definition: dict[str, Any] = {
        "command": process.command,
        "port": process.port,
        "env": sorted(formation.environment(process).items()),
        "health": None if health is None else [health.kind, health.http_path, health.command,
                                               health.interval, health.timeout, health.retries,
                                               health.start_period],
        "restart": process.restart,
        "stop_signal": process.stop_signal,
        "stop_timeout": process.stop_timeout,
        "resources": [process.resources.cpu, process.resources.memory],
        "image": formation.image_for(process),
        "extra": dict(extra or {}),
    }
    # only when used, so the fingerprints of types with a shell command and no build stay what they were
    if process.command is None:
        definition["argv"] = [process.entrypoint, process.args]
    built = formation.build_for(process)
    if built is not None:
        definition["build"] = [built.context, built.dockerfile, built.target, sorted(built.args.items())]
    for key in ignore:
        definition.pop(key, None)
    encoded = json.dumps(definition, sort_keys=True, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()[:16]
