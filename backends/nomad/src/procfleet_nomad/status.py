"""What runs, read from Nomad's job, scale status and allocations into procfleet's LiveType and Status (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from procfleet.backend import InstanceStatus, LiveType, Status, TypeStatus
from procfleet_nomad.translate import META_APP, META_FINGERPRINT, META_PROCESS, META_SPEC

Json = dict[str, Any]

TERMINAL_CLIENT = ("complete", "failed", "lost")
_FRACTION = re.compile(r"\.(\d{6})\d*")


def owner(job: Mapping[str, Any]) -> str | None:
    """The app that owns the job according to its procfleet.app meta, if any."""
    meta = job.get("Meta") or {}
    value = meta.get(META_APP)
    return value if isinstance(value, str) else None


def groups(job: Mapping[str, Any]) -> dict[str, Json]:
    """The job's task groups by name."""
    return {group["Name"]: group for group in job.get("TaskGroups") or []}


def live_types(job: Mapping[str, Any], expected_specs: Mapping[str, str]) -> dict[str, LiveType]:
    """Each procfleet-made group's count and fingerprint; a group whose Nomad-side spec differs from what procfleet
    would register now (another driver, datacenter…) reports no fingerprint, so the plan shows it as changed."""
    if job.get("Stop"):
        return {}
    live: dict[str, LiveType] = {}
    for name, group in groups(job).items():
        meta = group.get("Meta") or {}
        if meta.get(META_PROCESS) != name:
            continue
        stored = meta.get(META_FINGERPRINT)
        same_spec = meta.get(META_SPEC) is not None and meta.get(META_SPEC) == expected_specs.get(name)
        live[name] = LiveType(name=name, count=int(group.get("Count") or 0),
                              fingerprint=stored if same_spec and isinstance(stored, str) else None)
    return live


def has_check(group: Mapping[str, Any]) -> bool:
    """Whether any service of the group (or its tasks) carries a check."""
    services = list(group.get("Services") or [])
    for task in group.get("Tasks") or []:
        services += task.get("Services") or []
    return any(service.get("Checks") for service in services)


def is_live(alloc: Mapping[str, Any]) -> bool:
    """Non-terminal, as Nomad counts placed allocations: wanted running and not finished on the client."""
    return alloc.get("DesiredStatus") == "run" and alloc.get("ClientStatus") not in TERMINAL_CLIENT


def build_status(app: str, job: Mapping[str, Any], allocs: Sequence[Json], order: Iterable[str] = (),
                 scale: Mapping[str, Any] | None = None) -> Status:
    """Per group desired/placed/running/healthy (from the scale status when given) and per allocation rows."""
    by_name = groups(job)
    names = [name for name in order if name in by_name] + [name for name in by_name if name not in order]
    scaled = (scale or {}).get("TaskGroups") or {}
    stopped = bool(job.get("Stop"))
    types = []
    for name in names:
        group = by_name[name]
        mine = [a for a in allocs if a.get("TaskGroup") == name and is_live(a)]
        counts = scaled.get(name) or {
            "Desired": group.get("Count") or 0,
            "Placed": len(mine),
            "Running": sum(1 for a in mine if a.get("ClientStatus") == "running"),
            "Healthy": sum(1 for a in mine if healthy(a) is True),
        }
        types.append(TypeStatus(
            name=name,
            desired=0 if stopped else int(counts.get("Desired") or 0),
            running=int(counts.get("Running") or 0),
            healthy=int(counts.get("Healthy") or 0) if has_check(group) else None,
            placed=int(counts.get("Placed") or 0),
        ))
    rank = {name: position for position, name in enumerate(names)}
    shown = [a for a in allocs if a.get("DesiredStatus") == "run" and a.get("TaskGroup") in rank]
    shown.sort(key=lambda a: (rank[a["TaskGroup"]], _index(a), a.get("CreateIndex", 0)))
    checked = {name: has_check(group) for name, group in by_name.items()}
    rows = tuple(instance(a, checked=checked[a["TaskGroup"]]) for a in shown)
    return Status(backend="nomad", app=app, types=tuple(types), instances=rows)


def healthy(alloc: Mapping[str, Any]) -> bool | None:
    """The allocation's deployment health, None until a deployment has judged it."""
    value = (alloc.get("DeploymentStatus") or {}).get("Healthy")
    return value if isinstance(value, bool) else None


def instance(alloc: Mapping[str, Any], *, checked: bool = True, now: datetime | None = None) -> InstanceStatus:
    """One allocation as a ps row: Nomad's own name, its node, client status, restarts and why it failed; its
    health only where the group has a check, as for the type's counts."""
    states = alloc.get("TaskStates") or {}
    detail = ""
    if alloc.get("ClientStatus") in ("failed", "lost") or healthy(alloc) is False:
        detail = problem(alloc)
    return InstanceStatus(
        name=instance_name(alloc),
        process=str(alloc.get("TaskGroup", "")),
        state=str(alloc.get("ClientStatus", "")),
        healthy=healthy(alloc) if checked else None,
        restarts=sum(int(state.get("Restarts") or 0) for state in states.values()),
        uptime=_uptime(states, now) if alloc.get("ClientStatus") == "running" else None,
        node=str(alloc.get("NodeName") or str(alloc.get("NodeID", ""))[:8]),
        detail=detail,
        platform_name=str(alloc.get("Name", "")),
        platform_id=str(alloc.get("ID", ""))[:8],
    )


# Events that follow a failure without saying what it was: the one before them does.
_AFTERMATH = frozenset({"Not Restarting", "Killing", "Killed", "Restarting"})


def problem(alloc: Mapping[str, Any]) -> str:
    """The allocation's own account of what went wrong: its newest task event with a message that explains."""
    events = [event for state in (alloc.get("TaskStates") or {}).values() for event in state.get("Events") or []]
    events.sort(key=lambda event: event.get("Time") or 0)
    telling = [event for event in events if event.get("Type") not in _AFTERMATH] or events
    for event in reversed(telling):
        message = one_line(str(event.get("DisplayMessage") or event.get("Message") or ""))
        if message:
            return f"{event.get('Type', 'event')}: {message}" if event.get("Type") else message
    return str(alloc.get("ClientDescription") or alloc.get("ClientStatus") or "no message")


def one_line(message: str) -> str:
    """A Go multierror ("2 errors occurred:\n\t* a\n\t* b") or any multi-line message as one line."""
    items = [line.strip().removeprefix("* ").strip() for line in message.splitlines()]
    if items and re.fullmatch(r"\d+ errors? occurred:", items[0]):
        items = items[1:]
    return "; ".join(item.rstrip(":").strip() for item in items if item.rstrip(":").strip())


def failed(allocs: Sequence[Json], version: int) -> list[Json]:
    """The failed or unhealthy allocations of the given job version or later."""
    return [a for a in allocs if int(a.get("JobVersion") or 0) >= version
            and (a.get("ClientStatus") == "failed" or healthy(a) is False)]


def failures(allocs: Sequence[Json], version: int) -> list[str]:
    """One line per failed or unhealthy allocation of the given job version or later: the name ps gives it, then
    Nomad's (for nomad's own commands), its node and its own account."""
    return [f"{instance_name(a)} (allocation {a.get('Name')} {str(a.get('ID', ''))[:8]}) on "
            f"{a.get('NodeName') or '?'}: {problem(a)}" for a in failed(allocs, version)]


def instance_name(alloc: Mapping[str, Any]) -> str:
    """procfleet's name for an allocation: job.web[0] is web.1, as ps and logs name it."""
    return f"{alloc.get('TaskGroup', '')}.{_index(alloc) + 1}"


def _index(alloc: Mapping[str, Any]) -> int:
    """The [i] of an allocation name, so web[10] sorts after web[9]."""
    found = re.search(r"\[(\d+)\]$", str(alloc.get("Name", "")))
    return int(found.group(1)) if found else 0


def _uptime(states: Mapping[str, Any], now: datetime | None) -> float | None:
    """Seconds since the latest task start, from the RFC 3339 StartedAt Nomad reports."""
    starts = []
    for state in states.values():
        text = str(state.get("StartedAt") or "")
        if not text or text.startswith("0001-"):
            continue
        try:
            # Python reads at most microseconds; Nomad writes nanoseconds.
            starts.append(datetime.fromisoformat(_FRACTION.sub(r".\1", text).replace("Z", "+00:00")))
        except ValueError:
            continue
    if not starts:
        return None
    current = now or datetime.now(tz=max(starts).tzinfo)
    return max(0.0, (current - max(starts)).total_seconds())
