"""The server's admission hooks that run on the canonical job (nomad/job_endpoint.go NewJobEndpoints).

Mutators add what Nomad adds before storing a job: the implied constraints of jobImpliedConstraints and the client
version constraint of jobImplicitIdentitiesHook. Validators refuse what no field check catches: a node pool that
does not exist (jobNodePoolValidatingHook).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Json = dict[str, Any]

SEMVER = "semver"  # nomad/structs/structs.go ConstraintSemver
SET_CONTAINS = "set_contains"  # ConstraintSetContains
BUILTIN_NODE_POOLS = ("all", "default")  # nomad/structs/node_pool.go NodePoolAll, NodePoolDefault

# The constraint values of nomad/job_endpoint_hooks.go (vaultConstraint, nativeServiceDiscoveryConstraint, …).
VAULT = {"LTarget": "${attr.vault.version}", "RTarget": ">= 0.6.1", "Operand": SEMVER}
CONSUL = {"LTarget": "${attr.consul.version}", "RTarget": ">= 1.8.0", "Operand": SEMVER}
NATIVE_SERVICE_DISCOVERY = {"LTarget": "${attr.nomad.service_discovery}", "RTarget": "true", "Operand": "="}
NATIVE_SERVICE_CHECKS = {"LTarget": "${attr.nomad.version}", "RTarget": ">= 1.4.0", "Operand": SEMVER}
NUMA_VERSION = {"LTarget": "${attr.nomad.version}", "RTarget": ">= 1.6.3-dev", "Operand": SEMVER}
NUMA_KERNEL = {"LTarget": "${attr.kernel.name}", "RTarget": "linux", "Operand": "="}
CNI_BRIDGE = [
    {"LTarget": f"${{attr.plugins.cni.version.{plugin}}}", "RTarget": ">= 0.4.0", "Operand": SEMVER}
    for plugin in ("bridge", "firewall", "host-local", "loopback", "portmap")
]
TRANSPARENT_PROXY = [
    {"LTarget": "${attr.plugins.cni.version.consul-cni}", "RTarget": ">= 1.4.2", "Operand": SEMVER},
    {"LTarget": "${attr.nomad.version}", "RTarget": ">= 1.8.0-dev", "Operand": SEMVER},
]
TASK_SCHEDULE = {"LTarget": "${attr.nomad.version}", "RTarget": ">= 1.8.0-dev", "Operand": SEMVER}
# job_endpoint_hook_implicit_identities.go implicitIdentityClientVersionConstraint
IDENTITY_CLIENT_VERSION = {"LTarget": "${attr.nomad.version}", "RTarget": ">= 1.7.0-a", "Operand": SEMVER}


def admit(job: Json) -> None:
    """Run the mutating hooks, in Nomad's order, on a canonical job (in place)."""
    implied_constraints(job)
    implicit_identities(job)


def implied_constraints(job: Json) -> None:
    """jobImpliedConstraints.Mutate: each group gains the constraints its tasks and services imply."""
    for group in job["TaskGroups"]:
        for task in sorted(group["Tasks"], key=lambda t: str(t["Name"])):
            # Vault blocks are visited in task-name order (lang.MapKeys, then sort.Strings).
            if task["Vault"] is not None:
                _add(group, _vault_constraint(task["Vault"]), left_only=True)
        if any(_numa_requested(task) for task in group["Tasks"]):
            _add(group, NUMA_VERSION)
            _add(group, NUMA_KERNEL)
        signals = sorted({signal for task in group["Tasks"] for signal in required_signals(task)})
        if signals:
            # getSignalConstraint (job_endpoint.go): the group's signals, unique, sorted, comma-joined.
            _add(group, {"LTarget": "${attr.os.signals}", "RTarget": ",".join(signals), "Operand": SET_CONTAINS})
        native = [svc for svc in _all_services(group) if svc["Provider"] == "nomad"]
        if native:
            _add(group, NATIVE_SERVICE_DISCOVERY)
        if any(svc["Checks"] for svc in native):
            _add(group, NATIVE_SERVICE_CHECKS)
        _consul_constraints(group)
        if any(net["Mode"] == "bridge" for net in group["Networks"] or []):
            for constraint in CNI_BRIDGE:
                _add(group, constraint, left_only=True)
        if any(_transparent_proxy(svc) for svc in group["Services"] or []):
            for constraint in TRANSPARENT_PROXY:
                _add(group, constraint, left_only=True)
        if any(task["Schedule"] is not None for task in group["Tasks"]):
            _add(group, TASK_SCHEDULE, left_only=True)


def required_signals(task: Json) -> set[str]:
    """Job.RequiredSignals for one task: a signal Vault change mode, the KillSignal, signal template modes."""
    signals: set[str] = set()
    vault = task["Vault"]
    if vault is not None and vault.get("ChangeMode") == "signal":
        signals.add(str(vault.get("ChangeSignal") or ""))
    if task["KillSignal"]:
        signals.add(task["KillSignal"])
    for template in task["Templates"] or []:
        if template["ChangeMode"] == "signal":
            signals.add(template["ChangeSignal"])
    return signals


def implicit_identities(job: Json) -> None:
    """jobImplicitIdentitiesHook.Mutate: a group using extra workload identities needs a 1.7 client.

    The server injects no Consul or Vault identities here (no consul.service_identity or vault.default_identity is
    configured), so only identities the job itself declares count. Nomad appends without looking for an existing
    constraint, so a job read back and resubmitted gains another copy.
    """
    for group in job["TaskGroups"]:
        with_identity = any(svc["Identity"] is not None for svc in _all_services(group))
        with_identity = with_identity or any(task["Identities"] for task in group["Tasks"])
        if with_identity:
            group["Constraints"] = [*(group["Constraints"] or []), dict(IDENTITY_CLIENT_VERSION)]


def node_pool_errors(job: Json, pools: set[str]) -> list[str]:
    """jobNodePoolValidatingHook.Validate (nomad/job_endpoint_hook_node_pool.go): the pool must exist."""
    if job["NodePool"] in pools:
        return []
    return [f'job "{job["ID"]}" is in nonexistent node pool "{job["NodePool"]}"']


def _consul_constraints(group: Json) -> None:
    """The Consul version constraint: on the group for group services, on the task for task services."""
    for svc in group["Services"] or []:
        if _is_consul(svc):
            _add(group, _consul_constraint(svc), left_only=True)
    for task in group["Tasks"]:
        for svc in task["Services"] or []:
            if _is_consul(svc):
                _add(task, _consul_constraint(svc), left_only=True)


def _is_consul(service: Json) -> bool:
    """Service.IsConsul: the consul provider, or none named."""
    return service["Provider"] in ("consul", "")


def _consul_constraint(service: Json) -> Json:
    """consulConstraintFn: a non-default Consul cluster has a fingerprint of its own."""
    cluster = service["Cluster"]
    if cluster not in ("default", ""):
        return {"LTarget": f"${{attr.consul.{cluster}.version}}", "RTarget": ">= 1.8.0", "Operand": SEMVER}
    return CONSUL


def _vault_constraint(vault: Json) -> Json:
    """vaultConstraintFn: a non-default Vault cluster derives tokens from workload identities (Vault 1.11+)."""
    cluster = str(vault.get("Cluster") or "")
    if cluster not in ("default", ""):
        return {"LTarget": f"${{attr.vault.{cluster}.version}}", "RTarget": ">= 1.11.0", "Operand": SEMVER}
    return VAULT


def _numa_requested(task: Json) -> bool:
    """NUMA.Requested: a numa block whose affinity is not "none" (api canonicalisation turns "" into "none")."""
    numa = task["Resources"]["NUMA"]
    return numa is not None and numa.get("Affinity") not in (None, "", "none")


def _transparent_proxy(service: Json) -> bool:
    """ConsulConnect.HasTransparentProxy: a sidecar service whose proxy has a transparent_proxy block."""
    connect = service["Connect"] or {}
    proxy = (connect.get("SidecarService") or {}).get("Proxy") or {}
    return proxy.get("TransparentProxy") is not None


def _all_services(group: Json) -> Iterator[Json]:
    """The group's services, then each task's."""
    yield from group["Services"] or []
    for task in group["Tasks"]:
        yield from task["Services"] or []


def _add(owner: Json, constraint: Json, *, left_only: bool = False) -> None:
    """mutateConstraint: append unless an equal constraint (or, left_only, one on the same LTarget) is there."""
    existing = owner["Constraints"] or []
    if left_only:
        found = any(c["LTarget"] == constraint["LTarget"] for c in existing)
    else:
        found = any(
            (c["LTarget"], c["RTarget"], c["Operand"])
            == (constraint["LTarget"], constraint["RTarget"], constraint["Operand"])
            for c in existing
        )
    if not found:
        owner["Constraints"] = [*existing, dict(constraint)]
