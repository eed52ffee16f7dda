"""What the Nomad importer treats as unset, Nomad's own defaults, and the report of keys it does not read."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from procfleet import validation as v
from procfleet.importers.result import ENV_ONLY, NO_KEY, NO_VOLUMES, Report
from procfleet.validation import Where, describe

SECOND = 1_000_000_000
MINUTE = 60 * SECOND
# Nomad fills these in when it reads a job back (GET /v1/job/:id, `nomad job inspect`); they say nothing the
# user chose, so an exported job does not drown its report in them.
DEFAULTS: Mapping[str, Any] = {
    "Priority": 50,
    "Update": {"Stagger": 30 * SECOND, "MaxParallel": 1, "HealthCheck": "checks", "MinHealthyTime": 10 * SECOND,
               "HealthyDeadline": 5 * MINUTE, "ProgressDeadline": 10 * MINUTE},
    "Migrate": {"MaxParallel": 1, "HealthCheck": "checks", "MinHealthyTime": 10 * SECOND,
                "HealthyDeadline": 5 * MINUTE},
    "EphemeralDisk": {"SizeMB": 300},
    "LogConfig": {"MaxFiles": 10, "MaxFileSizeMB": 10},
    "AddressMode": "auto",
    "OnUpdate": "require_healthy",
    "Method": "GET",
    "Mode": "host",
}
# Set by the server, not by whoever wrote the job.
SERVER_SET = frozenset({"Stop", "ParentID", "Dispatched", "Payload", "Status", "StatusDescription", "Stable",
                        "Version", "SubmitTime", "CreateIndex", "ModifyIndex", "JobModifyIndex", "NomadTokenID",
                        "VersionTag"})
REASONS = {
    "Constraints": "procfleet places groups through [backends.nomad] options only",
    "Affinities": "procfleet places groups through [backends.nomad] options only",
    "Spreads": "procfleet places groups through [backends.nomad] options only",
    "Update": "procfleet uses Nomad's default update strategy",
    "Scaling": "procfleet's counts come from count and `procfleet scale`",
    "Templates": "procfleet has no templates: put the values in env or an env file",
    "Volumes": NO_VOLUMES,
    "VolumeMounts": NO_VOLUMES,
    "Artifacts": "procfleet runs images or commands already on the node",
    "Vault": ENV_ONLY,
    "Mode": "procfleet uses host networking, with the type's port mapped inside the allocation",
}


def unset(value: Any) -> bool:
    """Whether a value is Go's zero value (how an exported job writes what nobody set)."""
    if isinstance(value, dict):
        return all(unset(item) for item in value.values())
    return value in (None, "", 0, False) or value == []


def without_unset(value: Any) -> Any:
    """A mapping without its zero values, recursively, to compare with a default."""
    if isinstance(value, dict):
        return {key: without_unset(item) for key, item in value.items() if not unset(item)}
    return value


def report_rest(data: Mapping[str, Any], handled: Collection[str], where: Where, report: Report) -> None:
    """One line for every key that is set, not read, not Nomad's default and not the server's."""
    for key, value in data.items():
        if key in handled or key in SERVER_SET or unset(value):
            continue
        if key in DEFAULTS and _is_default(value, DEFAULTS[key]):
            continue
        report.skipped(where.child(key).key, REASONS.get(key, NO_KEY))


def _is_default(value: Any, default: Any) -> bool:
    """Whether every part of value that is set has Nomad's default value."""
    if isinstance(value, dict) and isinstance(default, dict):
        return all(key in default and default[key] == item for key, item in without_unset(value).items())
    return bool(value == default)


def tables(value: Any, where: Where) -> list[Mapping[str, Any]]:
    """A JSON array of objects (null for none), each checked, so a wrong shape is an error at its key path."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise where.error(f"expected an array, got {describe(value)}")
    return [v.table(item, Where(where.file, f"{where.key}[{index}]")) for index, item in enumerate(value)]


def seconds(value: Any, where: Where) -> float:
    """A Nomad duration (integer nanoseconds) in seconds."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise where.error(f"expected a duration in nanoseconds, got {value!r}")
    return value / SECOND
