"""Synchronous scheduling: place/stop/update allocations for a job version, run deployments, derive status."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .client_config import evaluate, failure_message, nested_variables
from .gotypes import rfc3339
from .model import (
    DEPLOYMENT_JOB_STOPPED,
    DEPLOYMENT_NEWER_JOB,
    DEPLOYMENT_SUCCESSFUL,
    DEPLOYMENT_UNHEALTHY,
    Allocation,
    Deployment,
    Evaluation,
    JobRecord,
    new_task_state,
    task_event,
)
from .nodes import Node
from .placement import Ask, Placer, Usage, group_ask
from .state import Cluster
from .taskenv import config_variables

Json = dict[str, Any]

# Group fields whose change replaces allocations; everything else (Count, Update, Services...) is in place.
_DESTRUCTIVE_GROUP_FIELDS = ("Networks", "EphemeralDisk", "Volumes", "Meta")
# scheduler/structs/const.go DescBlockedEvalFailedPlacements
BLOCKED_DESCRIPTION = "created to place remaining allocations"


@dataclass
class GroupChange:
    """What the scheduler does to one group: the counts behind a plan's DesiredTGUpdates."""

    place: int = 0
    stop: int = 0
    ignore: int = 0
    in_place: int = 0
    destructive: int = 0

    def desired_updates(self) -> Json:
        """The plan annotation DesiredTGUpdates entry."""
        return {
            "Ignore": self.ignore,
            "Place": self.place,
            "Migrate": 0,
            "Stop": self.stop,
            "InPlaceUpdate": self.in_place,
            "DestructiveUpdate": self.destructive,
            "Canary": 0,
            "Preemptions": 0,
            "Reconnect": 0,
            "Disconnect": 0,
            "RescheduleNow": 0,
            "RescheduleLater": 0,
        }


def groups_by_name(job: Json | None) -> dict[str, Json]:
    """A job's task groups keyed by name."""
    return {group["Name"]: group for group in (job or {}).get("TaskGroups") or []}


def _task_core(task: Json) -> Json:
    """A task without the fields that can change in place."""
    return {key: value for key, value in task.items() if key != "Services"}


def destructive_change(old_job: Json | None, new_job: Json, name: str) -> bool:
    """Whether a spec change to this group needs new allocations rather than an in-place update."""
    old = groups_by_name(old_job).get(name)
    new = groups_by_name(new_job)[name]
    if old is None or old_job is None or old_job["Meta"] != new_job["Meta"]:
        return True
    if any(old[key] != new[key] for key in _DESTRUCTIVE_GROUP_FIELDS):
        return True
    return [_task_core(t) for t in old["Tasks"]] != [_task_core(t) for t in new["Tasks"]]


def task_destructive(old_task: Json, new_task: Json) -> bool:
    """Whether one task's change forces a create/destroy update."""
    return _task_core(old_task) != _task_core(new_task)


def plan_changes(
    old_job: Json | None, new_job: Json, live: dict[str, list[Allocation]], *, spec_changed: bool
) -> dict[str, GroupChange]:
    """Per-group placements, stops and updates that moving from old_job to new_job needs."""
    changes: dict[str, GroupChange] = {}
    periodic = is_periodic_or_parameterized(new_job)
    for name, group in groups_by_name(new_job).items():
        allocs = live.get(name, [])
        count = 0 if new_job["Stop"] or periodic else max(group["Count"], 0)
        keep = min(len(allocs), count)
        change = GroupChange(place=count - keep, stop=len(allocs) - keep)
        if not spec_changed:
            change.ignore = keep
        elif destructive_change(old_job, new_job, name):
            change.destructive = keep
        else:
            change.in_place = keep
        changes[name] = change
    for name, allocs in live.items():
        if name not in changes and allocs:
            changes[name] = GroupChange(stop=len(allocs))
    return changes


def is_periodic_or_parameterized(job: Json) -> bool:
    """Periodic and parameterized parents never get allocations or evaluations of their own."""
    periodic = job.get("Periodic")
    return bool(periodic and periodic.get("Enabled")) or job.get("ParameterizedJob") is not None


def new_eval(cluster: Cluster, job: Json, triggered_by: str, priority: int = 0) -> Evaluation:
    """Create a (complete) evaluation at a fresh index."""
    index = cluster.next_index("evals")
    evaluation = Evaluation(
        id=cluster.new_id(),
        namespace=job["Namespace"],
        priority=priority or job["Priority"],
        job_type=job["Type"],
        triggered_by=triggered_by,
        job_id=job["ID"],
        job_modify_index=job["JobModifyIndex"],
        create_index=index,
        create_time=cluster.now(),
        groups=[group["Name"] for group in job["TaskGroups"]],
    )
    cluster.evals[evaluation.id] = evaluation
    return evaluation


def live_by_group(cluster: Cluster, job: Json) -> dict[str, list[Allocation]]:
    """The allocations that count against each group's count: the non-terminal ones, and the failed ones that
    cannot be rescheduled."""
    live: dict[str, list[Allocation]] = {}
    groups = groups_by_name(job)
    for alloc in cluster.job_allocs(job["Namespace"], job["ID"]):
        if not alloc.terminal or stays_failed(alloc, groups.get(alloc.group)):
            live.setdefault(alloc.group, []).append(alloc)
    return {name: sorted(allocs, key=lambda a: a.index) for name, allocs in live.items()}


def stays_failed(alloc: Allocation, group: Json | None) -> bool:
    """A failed allocation the server still wants running whose group allows no reschedule: Nomad keeps it
    "untainted" (scheduler/reconcile/allocs.go filterByRescheduleable: shouldFilter neither ignores a failed
    allocation of a service job nor counts it as done, and updateByReschedulable finds it not eligible), so it
    counts against the count and no evaluation places a replacement; only a destructive update replaces it.
    (Where a reschedule is allowed this simulator replaces the failed allocation at the next evaluation, without
    the policy's delay.)"""
    policy = (group or {}).get("ReschedulePolicy") or {}
    return alloc.desired_status == "run" and alloc.client_status == "failed" \
        and not policy.get("Unlimited") and not policy.get("Attempts")


def schedule(cluster: Cluster, record: JobRecord, old_job: Json | None, evaluation: Evaluation) -> None:
    """Apply a new job version: cancel the old deployment, start a new one, place/stop/update allocs."""
    job = record.job
    live = live_by_group(cluster, job)
    changes = plan_changes(old_job, job, live, spec_changed=True)
    index = cluster.next_index("allocs", "deployment")
    now = cluster.now()
    reason = DEPLOYMENT_JOB_STOPPED if job["Stop"] else DEPLOYMENT_NEWER_JOB
    for old in cluster.job_deployments(job["Namespace"], job["ID"]):
        if old.active:
            old.status, old.description, old.modify_index = "cancelled", reason, index
    deployment = _new_deployment(cluster, job, index, now)
    if deployment is not None:
        evaluation.deployment_id = deployment.id
    placer = new_placer(cluster, job)
    wanted: dict[str, int] = {}
    for name, change in changes.items():
        allocs = live.get(name, [])
        keep = change.ignore + change.in_place + change.destructive
        for alloc in allocs[keep:]:
            _stop(alloc, "alloc not needed due to job update", index, now)
        kept = allocs[:keep]
        slot = Slot(job, name, evaluation, deployment, index, now)
        for alloc in kept:
            if change.destructive:
                wanted[name] = wanted.get(name, 0) + 1
                _replace(cluster, placer, alloc, slot)
                continue
            alloc.job_version, alloc.modify_index, alloc.modify_time = job["Version"], index, now
            if deployment is not None and name in deployment.groups and not alloc.terminal:
                # An in-place updated alloc joins the new deployment and must prove healthy again.
                alloc.deployment_id, alloc.healthy = deployment.id, None
        if change.place:
            wanted[name] = wanted.get(name, 0) + change.place
        for position in free_slots({alloc.index for alloc in kept}, change.place):
            _place(cluster, placer, slot, position)
    finish_evaluation(cluster, evaluation, placer, wanted)


def free_slots(used: set[int], count: int) -> list[int]:
    """The lowest count name indexes not in used."""
    found: list[int] = []
    slot = 0
    while len(found) < count:
        if slot not in used:
            found.append(slot)
        slot += 1
    return found


@dataclass(frozen=True)
class Slot:
    """Where a new allocation of one group belongs: its job version, evaluation, deployment and write index."""

    job: Json
    group: str
    evaluation: Evaluation
    deployment: Deployment | None
    index: int
    now: int


def new_placer(cluster: Cluster, job: Json) -> Placer:
    """A placement context over the cluster's nodes, seeing the allocations already proposed on each."""

    def usage(node: Node, group: str) -> Usage:
        # ProposedAllocs: what is not terminal on the node, including what this evaluation placed so far.
        mine = [a for a in cluster.allocs.values() if a.node_id == node.id and not a.terminal]
        total = Ask()
        for alloc in mine:
            total = total.plus(Ask(alloc.cpu, alloc.memory_mb, alloc.disk_mb))
        same_job = [a for a in mine if (a.namespace, a.job_id) == (job["Namespace"], job["ID"])]
        return Usage(total, bool(same_job), any(a.group == group for a in same_job))

    return Placer(job, cluster.nodes.values(), usage)


def _replace(cluster: Cluster, placer: Placer, alloc: Allocation, slot: Slot) -> None:
    """A destructive update: stop the old allocation first (freeing its resources), place its successor under
    the same name; when that fails the stop is backed out (generic_sched.go computePlacements PopUpdate)."""
    before = (alloc.desired_status, alloc.desired_description, alloc.modify_index, alloc.modify_time)
    _stop(alloc, "alloc is being updated due to job update", slot.index, slot.now)
    if not _place(cluster, placer, slot, alloc.index):
        alloc.desired_status, alloc.desired_description, alloc.modify_index, alloc.modify_time = before


def finish_evaluation(cluster: Cluster, evaluation: Evaluation, placer: Placer, wanted: dict[str, int]) -> None:
    """setStatus: FailedTGAllocs and QueuedAllocations, and a blocked evaluation for what could not be placed."""
    if wanted:
        # computeJobAllocs counts only the groups with placements to make, less those placed.
        evaluation.queued_allocations = {
            name: (m.coalesced_failures + 1 if (m := placer.failed.get(name)) else 0) for name in wanted
        }
    if not placer.failed:
        for other in cluster.job_evals(evaluation.namespace, evaluation.job_id):
            if other.status == "blocked":
                cluster.untracked.add(other.id)  # nomad/fsm.go handleUpsertedEval → BlockedEvals.Untrack
        return
    evaluation.failed_tg_allocs = {name: metric.to_json() for name, metric in placer.failed.items()}
    blocked = _blocked_eval(cluster, evaluation, placer)
    evaluation.blocked_eval = blocked.id


def _blocked_eval(cluster: Cluster, evaluation: Evaluation, placer: Placer) -> Evaluation:
    """Evaluation.CreateBlockedEval (nomad/structs/eval.go); an older blocked one of the job is cancelled
    (nomad/leader.go reapDupBlockedEvaluations)."""
    escaped = placer.eligibility.has_escaped()
    for other in cluster.job_evals(evaluation.namespace, evaluation.job_id):
        if other.status == "blocked":
            other.status = "cancelled"
            other.status_description = f'existing blocked evaluation exists for job "{other.job_id}"'
            other.modify_index, other.modify_time = cluster.index + 1, cluster.now()
    index = cluster.next_index("evals")
    blocked = Evaluation(
        id=cluster.new_id(),
        namespace=evaluation.namespace,
        priority=evaluation.priority,
        job_type=evaluation.job_type,
        triggered_by="queued-allocs",
        job_id=evaluation.job_id,
        job_modify_index=evaluation.job_modify_index,
        create_index=index,
        create_time=cluster.now(),
        groups=list(evaluation.groups),
        status="blocked",
        status_description=BLOCKED_DESCRIPTION,
        previous_eval=evaluation.id,
        failed_tg_allocs=dict(evaluation.failed_tg_allocs or {}),
        class_eligibility=None if escaped else placer.eligibility.classes(),
        escaped_computed_class=escaped,
        snapshot_index=evaluation.create_index,
    )
    cluster.evals[blocked.id] = blocked
    return blocked


def _new_deployment(cluster: Cluster, job: Json, index: int, now: int) -> Deployment | None:
    """A deployment for service jobs with an update strategy and something to run (reference §3.3)."""
    if job["Type"] != "service" or job["Stop"] or is_periodic_or_parameterized(job):
        return None
    groups = {
        group["Name"]: {
            "AutoRevert": group["Update"]["AutoRevert"],
            "AutoPromote": group["Update"]["AutoPromote"],
            "ProgressDeadline": group["Update"]["ProgressDeadline"],
            "RequireProgressBy": rfc3339(now + group["Update"]["ProgressDeadline"]),
            "DesiredTotal": group["Count"],
        }
        for group in job["TaskGroups"]
        if group["Update"] and group["Update"]["MaxParallel"] > 0
    }
    if not groups or sum(g["DesiredTotal"] for g in groups.values()) == 0:
        return None
    deployment = Deployment(
        id=cluster.new_id(),
        namespace=job["Namespace"],
        job_id=job["ID"],
        job_version=job["Version"],
        job_modify_index=job["JobModifyIndex"],
        job_create_index=job["CreateIndex"],
        groups=groups,
        priority=job["Priority"],
        create_index=index,
        create_time=now,
        modify_index=index,
    )
    cluster.deployments[deployment.id] = deployment
    return deployment


def _place(cluster: Cluster, placer: Placer, slot: Slot, position: int) -> bool:
    """Create one pending allocation on the node the placer chooses; False when no node can take it."""
    group = groups_by_name(slot.job)[slot.group]
    node = placer.select(group)
    if node is None:
        return False
    deployment = slot.deployment
    in_deployment = deployment is not None and slot.group in deployment.groups
    ask = group_ask(group)
    alloc = Allocation(
        id=cluster.new_id(),
        eval_id=slot.evaluation.id,
        namespace=slot.job["Namespace"],
        job_id=slot.job["ID"],
        job_type=slot.job["Type"],
        job_version=slot.job["Version"],
        job_create_index=slot.job["CreateIndex"],
        group=slot.group,
        index=position,
        tasks=[task["Name"] for task in group["Tasks"]],
        create_index=slot.index,
        create_time=slot.now,
        modify_index=slot.index,
        modify_time=slot.now,
        deployment_id=deployment.id if deployment is not None and in_deployment else "",
        node_id=node.id,
        node_name=node.name,
        cpu=ask.cpu,
        memory_mb=ask.memory_mb,
        disk_mb=ask.disk_mb,
    )
    alloc.task_states = {name: new_task_state(slot.now) for name in alloc.tasks}
    cluster.allocs[alloc.id] = alloc
    return True


def _stop(alloc: Allocation, description: str, index: int, now: int) -> None:
    """Ask an allocation to stop; the client completes it on the next advance."""
    alloc.desired_status, alloc.desired_description = "stop", description
    alloc.modify_index, alloc.modify_time = index, now


def stop_job_allocs(cluster: Cluster, namespace: str, job_id: str, description: str) -> None:
    """Stop every live allocation of a job and cancel its active deployments (deregister)."""
    index = cluster.next_index("allocs", "deployment")
    now = cluster.now()
    for alloc in cluster.job_allocs(namespace, job_id):
        if not alloc.terminal:
            _stop(alloc, description, index, now)
    for deployment in cluster.job_deployments(namespace, job_id):
        if deployment.active:
            deployment.status, deployment.description = "cancelled", DEPLOYMENT_JOB_STOPPED
            deployment.modify_index = index


def advance(cluster: Cluster, allocs: Iterable[Allocation], *, run: bool, healthy: bool) -> None:
    """Client progress: stopping allocs complete; pending ones start (run); running ones turn healthy."""
    touched = [a for a in allocs if not a.client_terminal]
    if not touched:
        return
    index = cluster.next_index("allocs")
    now = cluster.now()
    for alloc in touched:
        if alloc.desired_status != "run":
            finish(alloc, "complete", "Killed", "Task successfully killed", index, now)
            continue
        if run and alloc.client_status == "pending":
            problem = config_failure(cluster, alloc)
            if problem is not None:
                fail_validation(alloc, problem, index, now)
                deployment = cluster.deployments.get(alloc.deployment_id)
                if deployment is not None and deployment.active:
                    set_health(alloc, False, index, now)
                continue
            start(alloc, index, now)
        deployment = cluster.deployments.get(alloc.deployment_id)
        ready = alloc.client_status == "running" and alloc.healthy is None
        if healthy and ready and deployment is not None and deployment.active:
            set_health(alloc, True, index, now)


def job_of(cluster: Cluster, alloc: Allocation) -> Json | None:
    """The job version an allocation runs."""
    record = cluster.record(alloc.namespace, alloc.job_id)
    if record is None:
        return None
    versions = [snapshot for snapshot in record.versions if snapshot["Version"] == alloc.job_version]
    return versions[0] if versions else record.job


def config_failure(cluster: Cluster, alloc: Allocation) -> str | None:
    """What the client's runDriver says of the allocation's driver configs, or None when they all evaluate."""
    job = job_of(cluster, alloc)
    if job is None:
        return None
    group = groups_by_name(job).get(alloc.group)
    for task in (group or {}).get("Tasks") or []:
        variables = nested_variables(config_variables(job, group or {}, task, alloc))
        _, errors = evaluate(task.get("Config") or {}, variables)
        if errors:
            return failure_message(errors)
    return None


def fail_validation(alloc: Allocation, message: str, index: int, now: int) -> None:
    """The task runner's config error: a "Failed Validation" event, then no restart (SetStartError: the error is
    not recoverable, client/allocrunner/taskrunner/restarts/restarts.go), so the task is dead and failed."""
    alloc.client_status, alloc.client_description = "failed", "Failed tasks"
    for state in alloc.task_states.values():
        state.update(State="dead", Failed=True, FinishedAt=rfc3339(now))
        event = task_event("Failed Validation", message, now)
        event["ValidationError"] = message
        event["Details"] = {"validation_error": message}
        state["Events"].append(event)
        state["Events"].append(task_event("Not Restarting", "Error was unrecoverable", now))
    alloc.modify_index, alloc.modify_time = index, now


def start(alloc: Allocation, index: int, now: int) -> None:
    """The client starts a pending allocation's tasks."""
    alloc.client_status, alloc.client_description = "running", "Tasks are running"
    for state in alloc.task_states.values():
        state.update(State="running", StartedAt=rfc3339(now))
        state["Events"].append(task_event("Started", "Task started by client", now))
    alloc.modify_index, alloc.modify_time = index, now


def finish(alloc: Allocation, status: str, event: str, message: str, index: int, now: int) -> None:
    """The client ends an allocation: complete (stopped or exited 0) or failed."""
    failed = status == "failed"
    alloc.client_status = status
    alloc.client_description = "Failed tasks" if failed else "All tasks have completed"
    for state in alloc.task_states.values():
        state.update(State="dead", Failed=failed, FinishedAt=rfc3339(now))
        state["Events"].append(task_event(event, message, now))
    alloc.modify_index, alloc.modify_time = index, now


def set_health(alloc: Allocation, healthy: bool, index: int, now: int) -> None:
    """Record the deployment health of an allocation."""
    alloc.healthy, alloc.health_time, alloc.health_index = healthy, now, index
    alloc.modify_index, alloc.modify_time = index, now


def refresh(cluster: Cluster, record: JobRecord) -> None:
    """Settle deployments (all groups healthy: successful; an unhealthy alloc: failed) and the job status."""
    job = record.job
    allocs = cluster.job_allocs(job["Namespace"], job["ID"])
    for deployment in cluster.job_deployments(job["Namespace"], job["ID"]):
        if not deployment.active:
            continue
        mine = [a for a in allocs if a.deployment_id == deployment.id]
        if any(a.healthy is False for a in mine):
            deployment.status, deployment.description = "failed", DEPLOYMENT_UNHEALTHY
            deployment.modify_index = cluster.next_index("deployment")
        elif all(
            sum(1 for a in mine if a.group == name and a.healthy) >= group["DesiredTotal"]
            for name, group in deployment.groups.items()
        ):
            deployment.status, deployment.description = "successful", DEPLOYMENT_SUCCESSFUL
            deployment.modify_index = cluster.next_index("deployment")
            mark_stable(cluster, record, deployment.job_version)
    status = derive_status(cluster, record)
    if status != job["Status"]:
        job["Status"] = status
        # A status change is a job write: ModifyIndex moves, JobModifyIndex does not (reference §1.8).
        job["ModifyIndex"] = cluster.next_index("jobs")


def mark_stable(cluster: Cluster, record: JobRecord, version: int) -> None:
    """A successful deployment marks its job version stable (a write that keeps the version)."""
    for snapshot in record.versions:
        if snapshot["Version"] == version:
            snapshot["Stable"] = True
    if record.job["Version"] == version and not record.job["Stable"]:
        record.job["Stable"] = True
        record.job["ModifyIndex"] = cluster.next_index("jobs", "job_version")


def derive_status(cluster: Cluster, record: JobRecord) -> str:
    """Nomad's getJobStatus (reference §4)."""
    job = record.job
    if is_periodic_or_parameterized(job):
        return "dead" if job["Stop"] else "running"
    namespace, job_id = job["Namespace"], job["ID"]
    if any(not a.terminal for a in cluster.job_allocs(namespace, job_id)):
        return "running"
    if any(d.active for d in cluster.job_deployments(namespace, job_id)):
        return "running"
    evals = cluster.job_evals(namespace, job_id)
    if any(e.status in ("pending", "blocked") for e in evals):
        return "pending"
    if evals or job["Stop"]:
        return "dead"
    return "pending"


def rerun_blocked(cluster: Cluster) -> list[JobRecord]:
    """Capacity changed: run each tracked blocked evaluation again (nomad/blocked_evals.go Unblock); it completes
    when everything missing is placed and stays blocked otherwise. Returns the jobs that got allocations."""
    touched: list[JobRecord] = []
    for evaluation in sorted(cluster.evals.values(), key=lambda e: e.create_index):
        if evaluation.status != "blocked" or evaluation.id in cluster.untracked:
            continue
        record = cluster.record(evaluation.namespace, evaluation.job_id)
        if record is None or record.job["Stop"] or record.job["JobModifyIndex"] != evaluation.job_modify_index:
            cluster.untracked.add(evaluation.id)  # the job moved on; its own evaluations decide now
            continue
        if _place_missing(cluster, record, evaluation):
            touched.append(record)
    return touched


def _place_missing(cluster: Cluster, record: JobRecord, evaluation: Evaluation) -> bool:
    """Place each group's missing allocations for a blocked evaluation; True when any was placed."""
    job = record.job
    live = live_by_group(cluster, job)
    placer = new_placer(cluster, job)
    index, now = cluster.next_index("allocs", "evals"), cluster.now()
    latest = cluster.latest_deployment(job["Namespace"], job["ID"])
    deployment = latest if latest is not None and latest.active and latest.job_version == job["Version"] else None
    placed = False
    for name, group in groups_by_name(job).items():
        allocs = live.get(name, [])
        slot = Slot(job, name, evaluation, deployment, index, now)
        for position in free_slots({a.index for a in allocs}, max(group["Count"] - len(allocs), 0)):
            placed = _place(cluster, placer, slot, position) or placed
    evaluation.modify_index, evaluation.modify_time = index, now
    if not placer.failed:
        # setStatus after a clean run: complete, with no failures left to report.
        evaluation.status, evaluation.status_description = "complete", ""
        evaluation.failed_tg_allocs, evaluation.queued_allocations = None, {}
    return placed
