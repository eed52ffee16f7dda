"""What a Nomad server writes into every job it stores, so that an import of a job read back does not report it.

The server adds constraints that the job's own fields imply (nomad/job_endpoint_hooks.go jobImpliedConstraints),
gives every task a default workload identity (nomad/structs/structs.go Task.Canonicalize) and every service a
Consul cluster and a namespace (api/services.go and nomad/structs/services.go Service.Canonicalize). None of these
is something the job's author chose.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Json = Mapping[str, Any]

SIGNALS = "${attr.os.signals}"
# The constraints jobImpliedConstraints and jobImplicitIdentitiesHook add, as (LTarget, RTarget, Operand).
IMPLIED: frozenset[tuple[str, str, str]] = frozenset({
    ("${attr.nomad.service_discovery}", "true", "="),
    ("${attr.nomad.version}", ">= 1.4.0", "semver"),  # Nomad service checks
    ("${attr.nomad.version}", ">= 1.7.0-a", "semver"),  # workload identities
    ("${attr.consul.version}", ">= 1.8.0", "semver"),
    ("${attr.vault.version}", ">= 0.6.1", "semver"),
})  # fmt: skip
DEFAULT_IDENTITY = {"Name": "default", "Audience": ["nomadproject.io"]}


def own_constraints(owner: Json, tasks: list[Json]) -> list[Json]:
    """The group's (or a task's) constraints without those the server implied for these tasks."""
    signals = ",".join(sorted({str(task.get("KillSignal")) for task in tasks if task.get("KillSignal")}))
    kept = []
    for constraint in owner.get("Constraints") or []:
        key = (constraint.get("LTarget"), constraint.get("RTarget"), constraint.get("Operand"))
        if key in IMPLIED or key == (SIGNALS, signals, "set_contains"):
            continue
        kept.append(constraint)
    return kept


def is_default_identity(identity: Any) -> bool:
    """Whether a task's Identity is the one Nomad gives every task (name "default", Nomad's audience, no more)."""
    if not isinstance(identity, Mapping):
        return False
    rest = {key: value for key, value in identity.items() if key not in DEFAULT_IDENTITY}
    named = all(identity.get(key) == value for key, value in DEFAULT_IDENTITY.items())
    return named and all(value in (None, "", 0, False) or value == [] for value in rest.values())


def group_view(group: Json) -> dict[str, Any]:
    """A group without the constraints the server implied for it."""
    return _with_constraints(group, own_constraints(group, list(group.get("Tasks") or [])))


def task_view(task: Json) -> dict[str, Any]:
    """A task without its default identity and the constraints the server implied for it."""
    view = _with_constraints(task, own_constraints(task, []))
    if is_default_identity(view.get("Identity")):
        view.pop("Identity")
    return view


def service_view(service: Json, namespace: str) -> dict[str, Any]:
    """A service without the Cluster and Namespace the server filled in (namespace: the job's)."""
    view = dict(service)
    if view.get("Cluster") == "default":
        view.pop("Cluster")
    if "Namespace" in view and view["Namespace"] == (namespace if view.get("Provider") == "nomad" else "default"):
        view.pop("Namespace")
    return view


def _with_constraints(data: Json, constraints: list[Json]) -> dict[str, Any]:
    """A copy of data with its Constraints replaced (left out when none remain)."""
    view = dict(data)
    view.pop("Constraints", None)
    if constraints:
        view["Constraints"] = constraints
    return view
