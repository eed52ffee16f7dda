"""The Backend protocol every platform meets, and the plain data that crosses it (DESIGN §4)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, TextIO, runtime_checkable

from procfleet.exitcodes import ExitCode
from procfleet.model import Formation
from procfleet.plan import Plan
from procfleet.validation import Where

# The formation keys a backend may honour; `procfleet backends` prints which each one does.
FEATURES: tuple[str, ...] = (
    "count", "port", "health", "env", "env_file", "restart", "stop_signal", "stop_timeout",
    "resources.cpu", "resources.memory", "image", "build", "image-command", "after",
)
# A backend without it cannot run a type that has no command of its own (it runs its image's CMD/ENTRYPOINT):
# such a type is an error there, not a warning, since nothing would run.
IMAGE_COMMAND = "image-command"

# Behaviours the conformance suite asserts on every backend; a platform that truly cannot meet one declares it in
# its `differences` (behaviour → what happens instead), which `procfleet backends` shows and the suite asserts.
BEHAVIOURS: dict[str, str] = {
    "instance-number": "the process sees PROCFLEET_PROCESS as <type>.<n>, numbered from 1, as logs name it",
    "restart-on-success": "restart = \"on-failure\" does not restart a process that exited 0",
    "log-time": "each line `logs` prints carries the time the process wrote it",
    "log-since": "`logs --since` shows only the lines written since then",
    "restart-ended": "`restart` runs a one-shot instance that has ended (done or failed) again, and waits for it",
}


DEFAULT_MAX_COUNT = 1000  # instances of one type, for a backend that declares no ceiling of its own


def max_count(backend_class: type[Any]) -> int:
    """The most instances of one type the backend runs (its `max_count`, else DEFAULT_MAX_COUNT)."""
    return int(getattr(backend_class, "max_count", DEFAULT_MAX_COUNT))


def depends_on(formation: Formation, behaviour: str) -> list[str]:
    """The key paths of the formation whose meaning rests on a behaviour (none where no key can show it)."""
    at = formation.key_prefix + "processes."
    if behaviour == "restart-on-success":
        return [f"{at}{name}.restart" for name, p in formation.processes.items() if p.restart == "on-failure"]
    if behaviour == "restart-ended":
        return [f"{at}{name}.restart" for name, p in formation.processes.items() if p.restart == "never"]
    return []


def declared_differences(backend_class: type[Any]) -> dict[str, str]:
    """A backend class's declared differences (none for a backend that declares nothing)."""
    return {key: str(text) for key, text in (getattr(backend_class, "differences", None) or {}).items()
            if key in BEHAVIOURS}

@dataclass(frozen=True)
class Session:
    """What a backend may use of the caller's world: its streams, env, folder and color choice."""

    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    cwd: Path = field(default_factory=Path.cwd)
    color: bool = False
    timestamps: bool = True  # log lines start with HH:MM:SS (`--no-timestamps` drops it, as honcho's does)
    prefixes: bool = True  # and the instance's name (`--no-prefix`: the process's own lines as they are)
    since: float | None = None  # `logs --since`: only lines written from then on (seconds since the epoch)
    exit_with: tuple[str, ...] = ()  # the foreground supervisor ends when an instance of one of these types ends
    abort_on_exit: bool = False  # or when any instance ends (honcho start, compose up --abort-on-container-exit)
    verbose: bool = False  # -v: pass the platform's own event lines on (to err), not only procfleet's progress
    json: bool = False  # --json: the caller prints a JSON document once the backend returns

@dataclass(frozen=True)
class RenderedFile:
    """One native artefact (compose.yaml, a Nomad job, a Procfile…) as text, never written by render."""

    name: str
    content: str
    # One line per formation key the artefact cannot hold, naming the file and key, for render to print.
    warnings: tuple[str, ...] = ()

@dataclass(frozen=True)
class LiveType:
    """A process type as the platform runs it now."""

    name: str
    count: int
    fingerprint: str | None = None  # the definition hash procfleet labelled it with, if any

@dataclass(frozen=True)
class InstanceStatus:
    """One running (or failed) instance: a child process, a container, a task or an allocation."""

    name: str  # procfleet's name for it, the same on every platform: web.1, web.2…
    process: str
    state: str
    healthy: bool | None = None  # None: no health check
    pid: int | None = None
    ports: str = ""
    restarts: int = 0
    uptime: float | None = None
    node: str = ""
    detail: str = ""
    platform_name: str = ""  # the platform's own name: the container, the task, the allocation
    platform_id: str = ""  # the platform's short id, what its own CLI takes (docker logs ID, nomad alloc logs ID)

@dataclass(frozen=True)
class TypeStatus:
    """Counts for one process type: what is wanted, what runs, what is healthy."""

    name: str
    desired: int
    running: int
    healthy: int | None = None  # None: the type has no health check
    placed: int | None = None  # platforms that place before running (Nomad) report this
    done: int = 0  # one-shot instances that exited 0 and that the restart policy leaves stopped: finished, not missing

@dataclass(frozen=True)
class Status:
    """What a backend reports of an app."""

    backend: str
    app: str
    types: tuple[TypeStatus, ...] = ()
    instances: tuple[InstanceStatus, ...] = ()

    def converged(self, targets: Mapping[str, int], needs_health: Mapping[str, bool]) -> bool:
        """Whether every targeted type runs exactly its count (and is healthy where it has a check)."""
        by_name = {t.name: t for t in self.types}
        for name, target in targets.items():
            current = by_name.get(name)
            running = current.running if current else 0
            if running != target:
                return False
            if needs_health.get(name) and target and (current is None or (current.healthy or 0) < target):
                return False
        return True

ProgressCallback = Callable[[Status], None]

@dataclass(frozen=True)
class WaitOptions:
    """Whether and how long to wait for the platform to converge, and whom to tell meanwhile."""

    wait: bool = True
    timeout: float = 300.0
    progress: ProgressCallback | None = None

@dataclass(frozen=True)
class Outcome:
    """What applying a plan came to: an exit status, and the status to print if any."""

    exit_code: int = ExitCode.OK  # the foreground supervisor passes on the status of what ended it
    status: Status | None = None
    message: str = ""

@dataclass(frozen=True)
class ExportedApp:
    """What a platform runs of an app: its definition, as a document one of the importers reads, and live counts."""

    format: str  # the importer that reads the document: "compose" or "nomad"
    source: Path  # the file the definition is in; with text, the name report lines give it (nomad:job/shop)
    described: str  # what was read, for people: "Compose project shop (…/compose.yaml)"
    counts: Mapping[str, int]  # the instances that exist now, by the document's own names for the types
    text: str | None = None  # the document itself, when it is not a file on this machine
    variables: Mapping[str, str] = field(default_factory=dict)  # what the document's interpolation must see
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # [backends.X] tables the document lacks
    notes: tuple[str, ...] = ()  # what adopting it means for the user (not created by procfleet, drifted…)

@runtime_checkable
class Backend(Protocol):
    """A platform procfleet can run a formation on; found by name through `procfleet.backends`."""

    name: ClassVar[str]
    features: ClassVar[frozenset[str]]
    formats: ClassVar[tuple[str, ...]]  # render formats; the first is the default

    def __init__(self, session: Session) -> None: ...

    def validate_options(self, options: Mapping[str, Any], where: Where) -> Mapping[str, Any]:
        """Check this backend's `[backends.<name>]` table; raise FormationError naming the key."""
        ...

    def render(self, formation: Formation, fmt: str) -> list[RenderedFile]:
        """The native artefacts for the formation, pure: touches nothing."""
        ...

    def live(self, formation: Formation) -> dict[str, LiveType]:
        """What the platform runs of this app now, by type (empty when nothing runs)."""
        ...

    def apply(self, formation: Formation, plan: Plan, wait: WaitOptions) -> Outcome:
        """Make the platform run the plan's counts and definitions."""
        ...

    def scale(self, formation: Formation, targets: Mapping[str, int], wait: WaitOptions) -> Status:
        """Set the counts of the named types through the platform's own replica mechanism."""
        ...

    def status(self, formation: Formation) -> Status:
        """Per type and per instance state."""
        ...

    def logs(self, formation: Formation, types: Sequence[str], follow: bool, tail: int | None) -> None:
        """Print the app's logs to the session's output."""
        ...

    def run(self, formation: Formation, argv: Sequence[str], process: str | None) -> int:
        """Run a one-off command with the app's env; returns its exit status."""
        ...

    def down(self, formation: Formation, purge: bool) -> None:
        """Stop and remove everything procfleet created for the app, and nothing else."""
        ...

@runtime_checkable
class Exporter(Protocol):
    """A backend that can also say what it runs, so `import --from-backend` can adopt an app (optional)."""

    def export(self, app: str) -> ExportedApp | None:
        """The app's definition as the platform holds it and its live counts; None when nothing of it runs.

        Reads only: exporting never changes anything on the platform.
        """
        ...
