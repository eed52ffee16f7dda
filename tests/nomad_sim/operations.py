"""Job writes as Nomad's RPC layer does them: register, scale and deregister (reference §1.7-1.9, §3, §4)."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from .admission import node_pool_errors
from .errors import ApiError, validation_failed
from .model import JobRecord
from .scheduler import groups_by_name, is_periodic_or_parameterized, new_eval, refresh, schedule, stop_job_allocs
from .state import Cluster
from .validate import validate_job

Json = dict[str, Any]

TRACKED_VERSIONS = 6  # JobDefaultTrackedVersions: the current version and five before it.
MAX_SCALING_EVENTS = 20
# Fields Job.SpecChanged copies from the old job before comparing, so they never count as a change.
_SERVER_FIELDS = (
    "Status",
    "StatusDescription",
    "Stable",
    "Version",
    "SubmitTime",
    "CreateIndex",
    "ModifyIndex",
    "JobModifyIndex",
)  # NomadTokenID and VersionTag are not among them (nomad/structs/structs.go Job.SpecChanged): they count


def write_reply(index: int, *, eval_id: str = "", eval_index: int = 0, job_modify_index: int = 0) -> Json:
    """The JobRegisterResponse shape shared by register and scale (reference §1.7, §3.3)."""
    return {
        "EvalID": eval_id,
        "EvalCreateIndex": eval_index,
        "JobModifyIndex": job_modify_index,
        "Warnings": "",
        "Index": index,
        "LastContact": 0,
        "KnownLeader": False,
        "NextToken": "",
    }


def spec_view(job: Json) -> Json:
    """The job as Job.SpecChanged compares it: no server-set fields, no server-assigned scaling IDs."""
    view = {key: value for key, value in job.items() if key not in _SERVER_FIELDS}
    view["TaskGroups"] = []
    for group in job["TaskGroups"]:
        group_view = dict(group)
        if group["Scaling"] is not None:
            group_view["Scaling"] = {
                key: value for key, value in group["Scaling"].items() if key not in ("ID", "CreateIndex", "ModifyIndex")
            }
        view["TaskGroups"].append(group_view)
    return view


def check_namespace(cluster: Cluster, job: Json) -> list[str]:
    """The admission check that the job's namespace exists."""
    if job["Namespace"] in cluster.namespaces:
        return []
    return [f'job "{job["ID"]}" is in nonexistent namespace "{job["Namespace"]}"']


def node_pools(cluster: Cluster) -> set[str]:
    """The node pools that exist: the built-in and created ones, and every node's (a node registering in a new
    pool creates it: nomad/state/state_store.go UpsertNode, fetchOrCreateNodePoolTxn)."""
    return cluster.node_pools | {node.node_pool for node in cluster.nodes.values()}


def admission_errors(cluster: Cluster, job: Json) -> list[str]:
    """The admission validators before Job.Validate, in Nomad's order: namespace, then node pool."""
    return [*check_namespace(cluster, job), *node_pool_errors(job, node_pools(cluster))]


def check_job(cluster: Cluster, job: Json, strict_errors: list[str]) -> None:
    """Raise the 500 multierror of strict-decode, admission and validation failures, if any."""
    errors = [*strict_errors, *admission_errors(cluster, job)]
    errors += validate_job(job, job_max_count=cluster.options.job_max_count)
    if errors:
        raise validation_failed(errors)


@dataclass
class RegisterArgs:
    """The JobRegisterRequest fields that steer a registration."""

    enforce_index: bool = False
    job_modify_index: int = 0
    preserve_counts: bool = False
    preserve_resources: bool = False
    eval_priority: int = 0


def enforce_index(record: JobRecord | None, wanted: int) -> None:
    """EnforceIndex check-and-set against the job's JobModifyIndex (reference §1.8); a plain 500."""
    prefix = f"Enforcing job modify index {wanted}"
    if wanted == 0 and record is not None:
        raise ApiError(500, f"{prefix}: job already exists")
    if wanted > 0 and record is None:
        raise ApiError(500, f"{prefix}: job does not exist")
    if record is not None and record.job["JobModifyIndex"] != wanted:
        current = record.job["JobModifyIndex"]
        raise ApiError(500, f"{prefix}: job exists with conflicting job modify index: {current}")


def register(cluster: Cluster, job: Json, args: RegisterArgs) -> Json:
    """Register or update a validated canonical job; returns the JobRegisterResponse."""
    record = cluster.record(job["Namespace"], job["ID"])
    if args.enforce_index:
        enforce_index(record, args.job_modify_index)
    old_job = record.job if record is not None else None
    _keep_scaling_ids(old_job, job)
    if record is not None and spec_view(record.job) == spec_view(job):
        return _unchanged(cluster, record, args.eval_priority)
    if old_job is not None:
        # Applied after the changed/unchanged decision, as Nomad's state store does (§1.9 subtlety 1).
        _preserve(old_job, job, counts=args.preserve_counts, resources=args.preserve_resources)
    index = cluster.next_index("jobs", "job_version", "job_summary")
    record = commit_version(cluster, record, job, index)
    return _evaluate(cluster, record, old_job, "job-register", index, args.eval_priority)


def _unchanged(cluster: Cluster, record: JobRecord, priority: int) -> Json:
    """An unchanged spec: no new version, still a new evaluation; JobModifyIndex = ModifyIndex (§1.7)."""
    job = record.job
    modify_index = job["ModifyIndex"]  # read before the refresh below can move it
    if is_periodic_or_parameterized(job):
        return write_reply(cluster.index, job_modify_index=modify_index)
    evaluation = new_eval(cluster, job, "job-register", priority)
    refresh(cluster, record)
    return write_reply(
        evaluation.create_index,
        eval_id=evaluation.id,
        eval_index=evaluation.create_index,
        job_modify_index=modify_index,
    )


def commit_version(cluster: Cluster, record: JobRecord | None, job: Json, index: int) -> JobRecord:
    """Store job as the next version of its record (or a new record) at index."""
    job.update(
        Version=0 if record is None else record.job["Version"] + 1,
        CreateIndex=index if record is None else record.job["CreateIndex"],
        ModifyIndex=index,
        JobModifyIndex=index,
        SubmitTime=cluster.now(),
        Stable=False,
        Status="pending" if record is None else record.job["Status"],
    )
    for group in job["TaskGroups"]:
        if group["Scaling"] is not None:
            group["Scaling"]["ID"] = group["Scaling"]["ID"] or cluster.new_id()
            group["Scaling"]["CreateIndex"] = group["Scaling"]["CreateIndex"] or index
            group["Scaling"]["ModifyIndex"] = index
    if record is None:
        record = JobRecord(job=job, versions=[], summary_groups=[])
        cluster.jobs[record.key] = record
    else:
        record.versions.insert(0, copy.deepcopy(record.job))
        del record.versions[TRACKED_VERSIONS - 1 :]
        record.job = job
    for group in job["TaskGroups"]:
        # The summary only ever gains groups (reference §4 summary quirk).
        if group["Name"] not in record.summary_groups:
            record.summary_groups.append(group["Name"])
    return record


def _evaluate(
    cluster: Cluster, record: JobRecord, old_job: Json | None, trigger: str, index: int, priority: int = 0
) -> Json:
    """Create the evaluation for a new version, schedule it, and build the reply."""
    job = record.job
    if is_periodic_or_parameterized(job):
        refresh(cluster, record)
        return write_reply(index, job_modify_index=index)
    evaluation = new_eval(cluster, job, trigger, priority)
    schedule(cluster, record, old_job, evaluation)
    refresh(cluster, record)
    return write_reply(
        evaluation.create_index,
        eval_id=evaluation.id,
        eval_index=evaluation.create_index,
        job_modify_index=index,
    )


def _keep_scaling_ids(old_job: Json | None, job: Json) -> None:
    """A group's scaling policy keeps its ID and CreateIndex across versions."""
    old_groups = groups_by_name(old_job)
    for group in job["TaskGroups"]:
        old = old_groups.get(group["Name"])
        if group["Scaling"] is not None and old is not None and old["Scaling"] is not None:
            group["Scaling"]["ID"] = old["Scaling"]["ID"]
            group["Scaling"]["CreateIndex"] = old["Scaling"]["CreateIndex"]


def _preserve(old_job: Json, job: Json, *, counts: bool, resources: bool) -> None:
    """PreserveCounts / PreserveResources: same-named groups (tasks) keep their live values."""
    old_groups = groups_by_name(old_job)
    for group in job["TaskGroups"]:
        old = old_groups.get(group["Name"])
        if old is None:
            continue
        if counts:
            group["Count"] = old["Count"]
        if resources:
            old_tasks = {task["Name"]: task for task in old["Tasks"]}
            for task in group["Tasks"]:
                if task["Name"] in old_tasks:
                    task["Resources"] = copy.deepcopy(old_tasks[task["Name"]]["Resources"])


@dataclass
class ScaleArgs:
    """A validated ScalingRequest."""

    group: str
    count: int | None
    message: str
    error: bool
    meta: Any
    job_modify_index: int


def scale(cluster: Cluster, namespace: str, job_id: str, args: ScaleArgs) -> Json:
    """Job.Scale: the RPC-level checks of reference §3.2 in order, then §3.3's effects."""
    record = cluster.record(namespace, job_id)
    if record is None:
        raise ApiError(404, f'job "{job_id}" not found')
    job = record.job
    if args.count is not None and job["Type"] == "system" and args.count > 1:
        raise ApiError(400, 'jobs of type "system" can only be scaled between 0 and 1')
    group = groups_by_name(job).get(args.group)
    if group is None:
        raise ApiError(400, f'task group "{args.group}" specified for scaling does not exist in job')
    previous = group["Count"]
    if args.count is None:
        index = cluster.next_index("scaling_event")
        _add_event(record, args, previous, "", index, cluster.now())
        return write_reply(index, job_modify_index=job["ModifyIndex"])
    _check_scale(cluster, record, group, args)
    old_job = job
    new_job = copy.deepcopy(job)
    groups_by_name(new_job)[args.group]["Count"] = args.count
    index = cluster.next_index("jobs", "job_version", "job_summary", "scaling_event")
    record = commit_version(cluster, record, new_job, index)
    reply = _evaluate(cluster, record, old_job, "job-scaling", index)
    _add_event(record, args, previous, reply["EvalID"], index, cluster.now())
    return reply


def _check_scale(cluster: Cluster, record: JobRecord, group: Json, args: ScaleArgs) -> None:
    """The count-dependent checks: policy bounds, job_max_count, active deployment, check-and-set."""
    assert args.count is not None
    scaling = group["Scaling"]
    if scaling is not None and args.count < scaling["Min"]:
        raise ApiError(400, f"group count was less than scaling policy minimum: {args.count} < {scaling['Min']}")
    if scaling is not None and 0 <= scaling["Max"] < args.count:
        raise ApiError(400, f"group count was greater than scaling policy maximum: {args.count} > {scaling['Max']}")
    job = record.job
    total = sum(g["Count"] for g in job["TaskGroups"] if g is not group) + args.count
    limit = cluster.options.job_max_count
    if total > limit:
        raise ApiError(500, f"total count was greater than configured job_max_count: {total} > {limit}")
    deployment = cluster.latest_deployment(job["Namespace"], job["ID"])
    if deployment is not None and deployment.active:
        raise ApiError(400, "job scaling blocked due to active deployment")
    if args.job_modify_index > 0 and args.job_modify_index != job["JobModifyIndex"]:
        raise ApiError(
            500,
            f"Enforcing job modify index {args.job_modify_index}: job exists with conflicting job modify "
            f"index: {job['JobModifyIndex']}",
        )


def _add_event(record: JobRecord, args: ScaleArgs, previous: int, eval_id: str, index: int, now: int) -> None:
    """Prepend a scaling event to the group's list, keeping the newest 20."""
    events = record.scaling_events.setdefault(args.group, [])
    event = {
        "Time": now,
        "Count": args.count,
        "PreviousCount": previous,
        "Message": args.message,
        "Error": args.error,
        "Meta": args.meta,
        "EvalID": eval_id or None,
        "CreateIndex": index,
    }
    events.insert(0, event)
    del events[MAX_SCALING_EVENTS:]


def deregister(cluster: Cluster, namespace: str, job_id: str, *, purge: bool, eval_priority: int = 0) -> Json:
    """Job.Deregister: stop (a new version with Stop set) or purge; 200 with zeros for an unknown job."""
    record = cluster.record(namespace, job_id)
    reply: Json = {
        "EvalID": "",
        "EvalCreateIndex": 0,
        "JobModifyIndex": 0,
        "VolumeEvalID": "",
        "VolumeEvalIndex": 0,
        "Index": 0,
        "LastContact": 0,
        "KnownLeader": False,
        "NextToken": "",
    }
    if record is None:
        return reply
    index = cluster.next_index("jobs", "job_version", "job_summary")
    if purge:
        del cluster.jobs[record.key]
        job = copy.deepcopy(record.job)
        job.update(JobModifyIndex=index, ModifyIndex=index)
    else:
        job = copy.deepcopy(record.job)
        job["Stop"] = True
        record = commit_version(cluster, record, job, index)
    stop_job_allocs(cluster, namespace, job_id, "alloc not needed since job is stopped")
    reply.update(JobModifyIndex=index, Index=index)
    if not is_periodic_or_parameterized(job):
        evaluation = new_eval(cluster, job, "job-deregister", eval_priority)
        reply.update(EvalID=evaluation.id, EvalCreateIndex=evaluation.create_index, Index=evaluation.create_index)
    if not purge:
        refresh(cluster, record)
    return reply
