"""A Compose service's replicas, restart policy, stop signal and grace period, and resource limits."""

from __future__ import annotations

from typing import Any

from procfleet import validation as v
from procfleet.importers.result import NO_KEY, Report
from procfleet.model import Resources, RestartPolicy
from procfleet.validation import Where, describe

RESTARTS: dict[str, RestartPolicy] = {"no": "never", "always": "always", "on-failure": "on-failure",
                                      "unless-stopped": "always"}
CONDITIONS: dict[str, RestartPolicy] = {"none": "never", "on-failure": "on-failure", "any": "always"}
DEPLOY_KEYS = ("replicas", "resources", "restart_policy")


def count(spec: dict[str, Any], where: Where) -> int | None:
    """deploy.replicas or scale (they must agree, as Compose requires); None when neither is set."""
    deploy = v.table(spec.get("deploy") or {}, where.child("deploy"))
    replicas = _integer(deploy.get("replicas"), where.child("deploy").child("replicas"))
    scale = _integer(spec.get("scale"), where.child("scale"))
    if replicas is not None and scale is not None and replicas != scale:
        raise where.child("scale").error(f"scale ({scale}) and deploy.replicas ({replicas}) disagree")
    return replicas if replicas is not None else scale


def _integer(value: Any, where: Where) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    return v.integer(value, where)


def restart(spec: dict[str, Any], where: Where, report: Report) -> RestartPolicy:
    """restart, else deploy.restart_policy.condition, else Compose's default: no restart."""
    deploy = v.table(spec.get("deploy") or {}, where.child("deploy"))
    policy = v.table(deploy.get("restart_policy") or {}, where.child("deploy").child("restart_policy"))
    for key in policy:
        if key != "condition":
            report.skipped(where.child("deploy").child("restart_policy").child(key).key,
                           "procfleet's restart policies have fixed back-off and limits")
    if spec.get("restart") is not None and "condition" in policy:
        report.skipped(where.child("deploy").child("restart_policy").child("condition").key,
                       "restart wins over it, as it does in Compose")
    if spec.get("restart") is None:
        condition = str(policy.get("condition", "none" if not policy else "any"))
        return CONDITIONS.get(condition) or _unknown(condition, where.child("deploy").child("restart_policy"))
    at = where.child("restart")
    text = v.string(spec["restart"], at)
    base, _, retries = text.partition(":")
    if base not in RESTARTS:
        raise at.error(f'expected no, always, on-failure[:N] or unless-stopped, got "{text}"')
    if retries:
        report.skipped(at.key, f'the limit of {retries} retries: procfleet\'s "on-failure" has its own')
    if base == "unless-stopped":
        report.note(at.key, 'carried over as restart = "always" (procfleet has no unless-stopped)')
    return RESTARTS[base]


def _unknown(condition: str, where: Where) -> RestartPolicy:
    raise where.child("condition").error(f'expected none, on-failure or any, got "{condition}"')


def stop_settings(spec: dict[str, Any], where: Where) -> tuple[str, float]:
    """stop_signal and stop_grace_period, with Docker's defaults (SIGTERM, 10s), which are procfleet's too."""
    signal = v.signal_name(spec.get("stop_signal") or "SIGTERM", where.child("stop_signal"))
    timeout = v.duration(spec.get("stop_grace_period") or "10s", where.child("stop_grace_period"))
    return signal, timeout


def resources(spec: dict[str, Any], where: Where, report: Report) -> Resources:
    """deploy.resources.limits (or the older cpus and mem_limit); reservations and the rest are reported."""
    deploy_at = where.child("deploy")
    deploy = v.table(spec.get("deploy") or {}, deploy_at)
    for key, value in deploy.items():
        if key not in DEPLOY_KEYS and value not in (None, {}, []) and not (key == "mode" and value == "replicated"):
            report.skipped(deploy_at.child(key).key, NO_KEY)
    limits_at = deploy_at.child("resources")
    section = v.table(deploy.get("resources") or {}, limits_at)
    for key in section:
        if key != "limits":
            report.skipped(limits_at.child(key).key, "procfleet sets limits only")
    limits = v.table(section.get("limits") or {}, limits_at.child("limits"))
    for key in limits:
        if key not in ("cpus", "memory"):
            report.skipped(limits_at.child("limits").child(key).key, "procfleet limits cpu and memory only")
    cpu = limits.get("cpus", spec.get("cpus"))
    memory = limits.get("memory", spec.get("mem_limit"))
    for key, wanted in (("cpus", "cpus"), ("mem_limit", "memory")):
        if key in spec and wanted in limits and str(spec[key]) != str(limits[wanted]):
            report.skipped(where.child(key).key, f"deploy.resources.limits.{wanted} wins, as it does in Compose")
    return Resources(cpu=_cpu(cpu, where.child("cpus")), memory=_memory(memory, where.child("mem_limit")))


def _cpu(value: Any, where: Where) -> float | None:
    if value is None:
        return None
    try:
        return v.number(float(value) if isinstance(value, str) else value, where, what="a positive number of cores")
    except ValueError:
        raise where.error(f"expected a number of cores, got {describe(value)}") from None


def _memory(value: Any, where: Where) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return v.memory(value, where)
