"""Job.Plan: what a registration would do, as annotations and a JobDiff; state is not changed (reference §4)."""

from __future__ import annotations

from typing import Any

from .gotypes import ZERO_TIME
from .operations import spec_view
from .scheduler import GroupChange, groups_by_name, live_by_group, plan_changes, task_destructive
from .schema import JOB, TASK, TASK_GROUP, ListOf, MapOf, Scalar, Struct
from .state import Cluster

Json = dict[str, Any]

# Keys of TaskGroupDiff.Updates, as scheduler/annotate.go names them; only non-zero counts appear.
_UPDATE_NAMES = (
    ("place", "create"),
    ("stop", "destroy"),
    ("ignore", "ignore"),
    ("in_place", "in-place update"),
    ("destructive", "create/destroy update"),
)


def plan(cluster: Cluster, job: Json, *, diff: bool) -> Json:
    """The JobPlanResponse for a validated canonical job."""
    record = cluster.record(job["Namespace"], job["ID"])
    old = record.job if record is not None else None
    changed = old is None or spec_view(old) != spec_view(job)
    live = live_by_group(cluster, job)
    changes = plan_changes(old, job, live, spec_changed=changed)
    return {
        "JobModifyIndex": old["JobModifyIndex"] if old is not None else 0,
        "CreatedEvals": None,
        "Diff": job_diff(old, job, changes) if diff else None,
        "Annotations": {
            "DesiredTGUpdates": {name: change.desired_updates() for name, change in changes.items()},
            "PreemptedAllocs": None,
        },
        "FailedTGAllocs": None,
        "NextPeriodicLaunch": ZERO_TIME,
        "Warnings": "",
        "Index": cluster.index,
        "LastContact": 0,
        "KnownLeader": False,
        "NextToken": "",
    }


def job_diff(old: Json | None, new: Json, changes: dict[str, GroupChange]) -> Json:
    """A JobDiff: Added for a new job, else Edited or None, with per-group and per-task diffs."""
    old_view = spec_view(old) if old is not None else None
    fields, objects = _parts(JOB, old_view, spec_view(new), skip=("TaskGroups",))
    old_groups, new_groups = groups_by_name(old), groups_by_name(new)
    groups = [
        _group_diff(name, old_groups.get(name), new_groups.get(name), changes.get(name, GroupChange()))
        for name in sorted(old_groups.keys() | new_groups.keys())
    ]
    if old is None:
        kind = "Added"
    elif fields or objects or any(group["Type"] != "None" for group in groups):
        kind = "Edited"
    else:
        kind = "None"
    return {"Type": kind, "ID": new["ID"], "Fields": fields, "Objects": objects, "TaskGroups": groups}


def _group_diff(name: str, old: Json | None, new: Json | None, change: GroupChange) -> Json:
    """A TaskGroupDiff, with Count annotated and the scheduler's update counts."""
    fields, objects = _parts(TASK_GROUP, old, new, skip=("Tasks",))
    for field in fields:
        if field["Name"] == "Count" and field["Type"] == "Edited":
            grows = int(field["New"]) > int(field["Old"])
            field["Annotations"] = ["forces create" if grows else "forces destroy"]
    old_tasks = {t["Name"]: t for t in (old or {}).get("Tasks") or []}
    new_tasks = {t["Name"]: t for t in (new or {}).get("Tasks") or []}
    tasks = [_task_diff(task, old_tasks.get(task), new_tasks.get(task)) for task in sorted(old_tasks | new_tasks)]
    updates = {label: getattr(change, attr) for attr, label in _UPDATE_NAMES if getattr(change, attr)}
    return {
        "Type": _kind(old, new, bool(fields or objects or any(t["Type"] != "None" for t in tasks))),
        "Name": name,
        "Fields": fields,
        "Objects": objects,
        "Tasks": tasks,
        "Updates": updates or None,
    }


def _task_diff(name: str, old: Json | None, new: Json | None) -> Json:
    """A TaskDiff, annotated with the kind of update it forces."""
    fields, objects = _parts(TASK, old, new)
    kind = _kind(old, new, bool(fields or objects))
    annotations: list[str] | None = None
    if kind == "Added":
        annotations = ["forces create"]
    elif kind == "Deleted":
        annotations = ["forces destroy"]
    elif kind == "Edited" and old is not None and new is not None:
        destructive = task_destructive(old, new)
        annotations = ["forces create/destroy update" if destructive else "forces in-place update"]
    return {"Type": kind, "Name": name, "Fields": fields, "Objects": objects, "Annotations": annotations}


def _kind(old: Any, new: Any, edited: bool) -> str:
    """DiffType of an object."""
    if old is None:
        return "Added"
    if new is None:
        return "Deleted"
    return "Edited" if edited else "None"


def _parts(
    schema: Struct, old: Json | None, new: Json | None, skip: tuple[str, ...] = ()
) -> tuple[list[Json], list[Json]]:
    """The FieldDiffs and ObjectDiffs between two values of one struct."""
    fields: list[Json] = []
    objects: list[Json] = []
    for name, kind in schema.fields.items():
        if name in skip:
            continue
        before = (old or {}).get(name)
        after = (new or {}).get(name)
        if before == after and old is not None and new is not None:
            continue
        if isinstance(kind, Scalar):
            fields += _field(name, before, after)
        elif isinstance(kind, MapOf) and isinstance(kind.value, Scalar):
            for key in sorted((before or {}).keys() | (after or {}).keys()):
                fields += _field(f"{name}[{key}]", (before or {}).get(key), (after or {}).get(key))
        elif isinstance(kind, ListOf) and isinstance(kind.item, Scalar):
            objects += _set_diff(name, before or [], after or [])
        elif isinstance(kind, Struct):
            objects += _object(kind.name, kind, before, after)
        elif isinstance(kind, ListOf) and isinstance(kind.item, Struct):
            objects += _list_diff(kind.item, before or [], after or [])
        else:
            objects += _flat_object(name, before, after)
    return sorted(fields, key=lambda f: f["Name"]), sorted(objects, key=lambda o: o["Name"])


def _field(name: str, before: Any, after: Any) -> list[Json]:
    """A FieldDiff with flatmap-formatted values, or nothing when they are equal."""
    old, new = _flat(before), _flat(after)
    if old == new:
        return []
    kind = "Added" if old == "" else "Deleted" if new == "" else "Edited"
    return [{"Type": kind, "Name": name, "Old": old, "New": new, "Annotations": None}]


def _flat(value: Any) -> str:
    """A primitive rendered as Nomad's flatmap does."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _object(name: str, schema: Struct, before: Json | None, after: Json | None) -> list[Json]:
    """An ObjectDiff for a nested struct, or nothing when unchanged."""
    if before is None and after is None:
        return []
    fields, objects = _parts(schema, before, after)
    if not fields and not objects:
        return []
    return [{"Type": _kind(before, after, True), "Name": name, "Fields": fields, "Objects": objects}]


def _list_diff(schema: Struct, before: list[Json], after: list[Json]) -> list[Json]:
    """ObjectDiffs for a list of structs, paired by Name or Label when they have one, else by position."""

    def keyed(items: list[Json]) -> dict[str, Json]:
        """Items by their pairing key."""
        return {str(item.get("Name") or item.get("Label") or i): item for i, item in enumerate(items)}

    old, new = keyed(before), keyed(after)
    diffs: list[Json] = []
    for key in sorted(old.keys() | new.keys()):
        diffs += _object(schema.name, schema, old.get(key), new.get(key))
    return diffs


def _set_diff(name: str, before: list[Any], after: list[Any]) -> list[Json]:
    """A primitive list compared as a set: one Added/Deleted field per value, inside one object."""
    old, new = {_flat(v) for v in before}, {_flat(v) for v in after}
    fields = [{"Type": "Added", "Name": name, "Old": "", "New": v, "Annotations": None} for v in sorted(new - old)]
    fields += [{"Type": "Deleted", "Name": name, "Old": v, "New": "", "Annotations": None} for v in sorted(old - new)]
    if not fields:
        return []
    kind = "Added" if not before else "Deleted" if not after else "Edited"
    return [{"Type": kind, "Name": name, "Fields": fields, "Objects": []}]


def _flat_object(name: str, before: Any, after: Any) -> list[Json]:
    """An opaque value (driver Config and the like) flattened to keys like args[0] and compared."""
    old, new = _flatten(before), _flatten(after)
    fields: list[Json] = []
    for key in sorted(old.keys() | new.keys()):
        fields += _field(key, old.get(key), new.get(key))
    if not fields:
        return []
    kind = "Added" if before is None else "Deleted" if after is None else "Edited"
    return [{"Type": kind, "Name": name, "Fields": fields, "Objects": []}]


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Flatten JSON into dotted/indexed keys."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list):
        out = {}
        for i, item in enumerate(value):
            out.update(_flatten(item, f"{prefix}[{i}]"))
        return out
    return {prefix: value} if prefix else {}
