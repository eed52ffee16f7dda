"""What `deploy` would change: types added, removed or changed, and counts with their reason (DESIGN §2)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from procfleet.diff import FieldChange
from procfleet.model import Formation, ProcessType, fingerprint

if TYPE_CHECKING:
    from procfleet.backend import LiveType

Action = Literal["add", "remove", "change", "scale", "unchanged"]
Reason = Literal["file", "kept", "new", "removed", "migrated", "not asked for", "asked for"]
NEW_TYPE_COUNT = 1  # a new type whose count the file leaves to the platform starts with one instance


@dataclass(frozen=True)
class TypeChange:
    """One type's line in a plan."""

    process: str
    action: Action
    current: int | None  # None: the type does not run yet
    desired: int
    reason: Reason  # where the desired count comes from
    definition_changed: bool = False
    fields: tuple[FieldChange, ...] = ()  # what changes in the definition, where the platform can say


@dataclass(frozen=True)
class Plan:
    """The changes that bring the platform to the formation."""

    backend: str
    app: str
    changes: tuple[TypeChange, ...]

    @property
    def pending(self) -> bool:
        """Whether deploy would change anything."""
        return any(change.action != "unchanged" for change in self.changes)

    @property
    def counts(self) -> dict[str, int]:
        """The count each type of the formation ends up with."""
        return {c.process: c.desired for c in self.changes if c.action != "remove"}

    def change(self, process: str) -> TypeChange:
        """The line for one type."""
        return next(c for c in self.changes if c.process == process)


def desired_count(file_count: int | None, live: int | None, keep_counts: bool) -> tuple[int, Reason]:
    """The count deploy converges a type to, and why: the file's, the live one kept, or a new type's."""
    if live is not None and (keep_counts or file_count is None):
        return live, "kept"
    if file_count is not None:
        return file_count, "file"
    return NEW_TYPE_COUNT, "new"


def make_plan(formation: Formation, backend: str, live: Mapping[str, LiveType], keep_counts: bool,
              carried: Mapping[str, int] | None = None,
              fingerprint_of: Callable[[Formation, ProcessType], str] = fingerprint,
              only: Collection[str] = ()) -> Plan:
    """Compare the formation with what runs and list what deploy would do.

    `carried` holds counts brought from another platform by migrate; they win over every other rule.
    `fingerprint_of` is the backend's own definition hash when its options shape a type too.
    `only` names the types to start (`deploy web worker`, as `foreman start web`): the others keep their live
    counts, and a new one starts with none.
    """
    changes: list[TypeChange] = []
    for name, process in formation.processes.items():
        running = live.get(name)
        count, reason = desired_count(process.count, running.count if running else None, keep_counts)
        if carried is not None and name in carried:
            count, reason = carried[name], "migrated"
        if only and name not in only:
            count, reason = (running.count if running else 0), "not asked for"
        elif only and count == 0 and process.count is None:
            count, reason = NEW_TYPE_COUNT, "asked for"  # named to start: one instance, as for a new type
        if running is None:
            changes.append(TypeChange(name, "add", None, count, reason))
            continue
        changed = running.fingerprint != fingerprint_of(formation, process)
        action: Action = "change" if changed else ("scale" if count != running.count else "unchanged")
        changes.append(TypeChange(name, action, running.count, count, reason, definition_changed=changed))
    for name, running in live.items():
        if name not in formation.processes:
            changes.append(TypeChange(name, "remove", running.count, 0, "removed"))
    return Plan(backend=backend, app=formation.app.name, changes=tuple(changes))


def fingerprint_for(backend: object) -> Callable[[Formation, ProcessType], str]:
    """The backend's `fingerprint(formation, process)` if it has one (its options shape types), else the core's."""
    method = getattr(backend, "fingerprint", None)
    return method if callable(method) else fingerprint

