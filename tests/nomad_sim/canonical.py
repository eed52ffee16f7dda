"""Server-side canonicalisation of a decoded job: Nomad's defaults, and every field present as Go marshals it."""

from __future__ import annotations

import copy
from typing import Any

from .admission import admit
from .gotypes import HOUR, MINUTE, SECOND
from .schema import (
    EPHEMERAL_DISK,
    JOB,
    LOG_CONFIG,
    MIGRATE,
    NETWORK,
    RESCHEDULE_POLICY,
    RESOURCES,
    RESTART_POLICY,
    SCALING_POLICY,
    SERVICE,
    TASK,
    TASK_GROUP,
    TEMPLATE,
    UPDATE_STRATEGY,
    WORKLOAD_IDENTITY,
    FieldType,
    ListOf,
    Struct,
    zero_value,
)

Json = dict[str, Any]

# api/jobs.go DefaultUpdateStrategy (reference §1.3).
DEFAULT_UPDATE: Json = {
    "Stagger": 30 * SECOND,
    "MaxParallel": 1,
    "HealthCheck": "checks",
    "MinHealthyTime": 10 * SECOND,
    "HealthyDeadline": 5 * MINUTE,
    "ProgressDeadline": 10 * MINUTE,
    "AutoRevert": False,
    "Canary": 0,
    "AutoPromote": False,
}
# api/tasks.go defaultServiceJobRestartPolicy and the batch one (reference §1.4).
SERVICE_RESTART: Json = {"Attempts": 2, "Interval": 30 * MINUTE, "Delay": 15 * SECOND, "Mode": "fail"}
BATCH_RESTART: Json = {"Attempts": 3, "Interval": 24 * HOUR, "Delay": 15 * SECOND, "Mode": "fail"}
# api/tasks.go NewDefaultReschedulePolicy; the batch values are Nomad's batch defaults (not in the reference).
SERVICE_RESCHEDULE: Json = {
    "Attempts": 0,
    "Interval": 0,
    "Delay": 30 * SECOND,
    "DelayFunction": "exponential",
    "MaxDelay": HOUR,
    "Unlimited": True,
}
BATCH_RESCHEDULE: Json = {
    "Attempts": 1,
    "Interval": 24 * HOUR,
    "Delay": 5 * SECOND,
    "DelayFunction": "constant",
    "MaxDelay": 0,
    "Unlimited": False,
}
DEFAULT_MIGRATE: Json = {
    "MaxParallel": 1,
    "HealthCheck": "checks",
    "MinHealthyTime": 10 * SECOND,
    "HealthyDeadline": 5 * MINUTE,
}
DEFAULT_TEMPLATE: Json = {
    "ChangeMode": "restart",
    "Splay": 5 * SECOND,
    "Perms": "0644",
    "LeftDelim": "{{",
    "RightDelim": "}}",
}
SERVICE_TYPES = ("service", "system")
# nomad/structs/workload_id.go DefaultWorkloadIdentity: WorkloadIdentityDefaultName and IdentityDefaultAud.
DEFAULT_IDENTITY_NAME = "default"
DEFAULT_IDENTITY_AUDIENCE = "nomadproject.io"


def fill(kind: FieldType, value: Any) -> Any:
    """Give every struct (also nested in lists) all its fields, zero-valued where unset."""
    if value is None:
        return zero_value(kind)
    if isinstance(kind, Struct):
        filled: Json = {name: fill(child, value.get(name)) for name, child in kind.fields.items()}
        return filled
    if isinstance(kind, ListOf):
        return [fill(kind.item, item) for item in value]
    return copy.deepcopy(value)


def _with_defaults(kind: Struct, defaults: Json, *layers: Json | None) -> Json:
    """Defaults, overlaid by each given layer in turn (a later layer wins), then zero-filled."""
    merged = dict(defaults)
    for layer in layers:
        merged.update(layer or {})
    result: Json = fill(kind, merged)
    return result


def canonical_job(given: Json, *, namespace: str, region: str) -> Json:
    """The job as the server stores it: defaults applied, implied constraints added, all fields present."""
    job_type = given.get("Type") or "service"
    job = _with_defaults(
        JOB,
        {"Name": given.get("ID", ""), "Type": "service", "Priority": 50, "Datacenters": ["*"]},
        given,
    )
    job.update(Region=region, Namespace=namespace, Type=job_type)
    job["NodePool"] = job["NodePool"] or "default"
    if not job["Datacenters"]:
        job["Datacenters"] = ["*"]
    for server_field in ("Stop", "Stable", "Dispatched"):
        job[server_field] = False
    for server_field in ("Version", "SubmitTime", "CreateIndex", "ModifyIndex", "JobModifyIndex"):
        job[server_field] = 0
    job.update(Status="", StatusDescription="", ParentID="", NomadTokenID="", VersionTag=given.get("VersionTag"))
    job_update = given.get("Update")
    if job_update is not None or job_type == "service":
        job["Update"] = _with_defaults(UPDATE_STRATEGY, DEFAULT_UPDATE, job_update)
    else:
        job["Update"] = fill(UPDATE_STRATEGY, {})
    job["TaskGroups"] = [
        _canonical_group(group, given, job) for group in given.get("TaskGroups") or [] if group is not None
    ]
    # Register, plan and validate all run the admission mutators after Canonicalize (job_endpoint.go).
    admit(job)
    return job


def _canonical_group(group: Json, given_job: Json, job: Json) -> Json:
    """Apply TaskGroup defaults; the job-level Update, Reschedule and Migrate are merged in."""
    job_type = job["Type"]
    out: Json = fill(TASK_GROUP, group)
    scaling = group.get("Scaling")
    if "Count" in group:
        count = group["Count"]
    elif scaling is not None and "Min" in scaling:
        count = scaling["Min"]
    else:
        count = 1
    out["Count"] = count
    if scaling is not None:
        out["Scaling"] = _with_defaults(SCALING_POLICY, {"Type": "horizontal", "Enabled": True, "Min": count}, scaling)
        out["Scaling"].update(
            Namespace=job["Namespace"],
            Target={"Namespace": job["Namespace"], "Job": job["ID"], "Group": out["Name"]},
        )
        if "Max" not in scaling:
            # api canonicalisation leaves an unset Max at -1 so that validation reports it.
            out["Scaling"]["Max"] = -1
    out["Update"] = _group_update(group, given_job, job_type)
    restart_defaults = SERVICE_RESTART if job_type in SERVICE_TYPES else BATCH_RESTART
    out["RestartPolicy"] = _with_defaults(RESTART_POLICY, restart_defaults, group.get("RestartPolicy"))
    out["ReschedulePolicy"] = _group_reschedule(group, given_job, job_type)
    if job_type == "service" or group.get("Migrate") is not None:
        out["Migrate"] = _with_defaults(MIGRATE, DEFAULT_MIGRATE, given_job.get("Migrate"), group.get("Migrate"))
    out["EphemeralDisk"] = _with_defaults(
        EPHEMERAL_DISK, {"Sticky": False, "Migrate": False, "SizeMB": 300}, group.get("EphemeralDisk")
    )
    out["Networks"] = _networks(group.get("Networks"))
    out["Services"] = _services(group.get("Services"), f"{job['ID']}-{out['Name']}", job["Namespace"])
    out["Tasks"] = [_canonical_task(task, out, job) for task in group.get("Tasks") or [] if task is not None]
    return out


def _group_update(group: Json, given_job: Json, job_type: str) -> Json | None:
    """Group update strategy: defaults, then the job's, then the group's own fields."""
    job_update, group_update = given_job.get("Update"), group.get("Update")
    if job_update is not None and not any(job_update.values()):
        # Groups inherit only a non-empty job update; a read-back job carries a zero-valued one.
        job_update = None
    if job_type == "service" or (job_type == "system" and (job_update or group_update)):
        return _with_defaults(UPDATE_STRATEGY, DEFAULT_UPDATE, job_update, group_update)
    if group_update is not None:
        # Kept so that validation can say this job type does not allow an update block.
        return _with_defaults(UPDATE_STRATEGY, DEFAULT_UPDATE, group_update)
    return None


def _group_reschedule(group: Json, given_job: Json, job_type: str) -> Json | None:
    """Reschedule policy: per-type defaults, the job's, then the group's; none for system jobs."""
    job_policy, group_policy = given_job.get("Reschedule"), group.get("ReschedulePolicy")
    if job_type in ("system", "sysbatch"):
        if job_policy is None and group_policy is None:
            return None
        return _with_defaults(RESCHEDULE_POLICY, {}, job_policy, group_policy)
    defaults = SERVICE_RESCHEDULE if job_type == "service" else BATCH_RESCHEDULE
    return _with_defaults(RESCHEDULE_POLICY, defaults, job_policy, group_policy)


def _networks(networks: list[Json] | None) -> list[Json] | None:
    """Network blocks, with Mode defaulting to host."""
    if networks is None:
        return None
    return [_with_defaults(NETWORK, {"Mode": "host"}, net) for net in networks if net is not None]


def _services(services: list[Json] | None, default_name: str, namespace: str) -> list[Json] | None:
    """Service blocks, with Nomad's default name, provider, cluster, address mode, on_update and namespace."""
    if services is None:
        return None
    defaults = {
        "Name": default_name,
        "Provider": "consul",
        "AddressMode": "auto",
        "OnUpdate": "require_healthy",
        "Cluster": "default",  # api/services.go Service.Canonicalize, for every provider
    }
    canonical = [_with_defaults(SERVICE, defaults, svc) for svc in services if svc is not None]
    for svc in canonical:
        svc["Namespace"] = _service_namespace(svc["Provider"], namespace)
    return canonical


def _service_namespace(provider: str, job_namespace: str) -> str:
    """nomad/structs/services.go Service.Canonicalize: Consul's "default", or the job's for Nomad's provider.

    The submitted value never counts: api.Service has no Namespace, so the HTTP layer drops it.
    """
    if provider == "consul":
        return "default"
    if provider == "nomad":
        return job_namespace
    return ""


def _identities(task: Json) -> tuple[Json, list[Json] | None]:
    """Task.Canonicalize (nomad/structs/structs.go): the task's default workload identity, and the others.

    An identity named "default" (or unnamed) in Identities moves to Identity; without one Nomad adds
    DefaultWorkloadIdentity, so every stored task has an Identity.
    """
    given = task.get("Identities")
    identities = None if not given else [_identity(fill(WORKLOAD_IDENTITY, wid)) for wid in given if wid]
    identity = fill(WORKLOAD_IDENTITY, task["Identity"]) if task.get("Identity") is not None else None
    defaults = [i for i, wid in enumerate(identities or []) if wid["Name"] == DEFAULT_IDENTITY_NAME]
    if identities is not None and defaults:
        # The last default wins and only it is removed (slices.Delete), which can leave an empty, non-null list.
        identity = identities.pop(defaults[-1])
    if identity is None:
        identity = {"Name": DEFAULT_IDENTITY_NAME, "Audience": [DEFAULT_IDENTITY_AUDIENCE]}
        return fill(WORKLOAD_IDENTITY, identity), identities
    return _identity(identity), identities


def _identity(wid: Json) -> Json:
    """WorkloadIdentity.Canonicalize: unnamed is "default", whose audience is Nomad's; signals upper-case."""
    wid["Name"] = wid["Name"] or DEFAULT_IDENTITY_NAME
    if wid["Name"] == DEFAULT_IDENTITY_NAME:
        wid["Audience"] = [DEFAULT_IDENTITY_AUDIENCE]
    wid["ChangeSignal"] = wid["ChangeSignal"].upper()
    return wid


def _canonical_task(task: Json, group: Json, job: Json) -> Json:
    """Apply Task defaults: resources 100 MHz / 300 MB, 5s kill timeout, log rotation, group restart policy."""
    out: Json = fill(TASK, task)
    resources = task.get("Resources") or {}
    resource_defaults: Json = {"MemoryMB": 300}
    if not resources.get("Cores"):
        resource_defaults["CPU"] = 100
    out["Resources"] = _with_defaults(RESOURCES, resource_defaults, resources)
    out["Resources"]["Networks"] = _networks(resources.get("Networks"))
    if "KillTimeout" not in task:
        out["KillTimeout"] = 5 * SECOND
    out["LogConfig"] = _with_defaults(
        LOG_CONFIG, {"MaxFiles": 10, "MaxFileSizeMB": 10, "Disabled": False}, task.get("LogConfig")
    )
    out["RestartPolicy"] = _with_defaults(RESTART_POLICY, group["RestartPolicy"], task.get("RestartPolicy"))
    out["Services"] = _services(
        task.get("Services"), f"{job['ID']}-{group['Name']}-{out['Name']}", job["Namespace"]
    )
    templates = task.get("Templates")
    if templates is not None:
        out["Templates"] = [_with_defaults(TEMPLATE, DEFAULT_TEMPLATE, tmpl) for tmpl in templates if tmpl]
        for tmpl in out["Templates"]:
            tmpl["ChangeSignal"] = tmpl["ChangeSignal"].upper()  # nomad/structs/structs.go Template.Canonicalize
    out["Identity"], out["Identities"] = _identities(task)
    return out
