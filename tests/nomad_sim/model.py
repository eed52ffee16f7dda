"""The objects of the simulated cluster and their JSON forms (reference §4)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from .gotypes import ZERO_TIME, rfc3339

Json = dict[str, Any]

# Deployment statuses in which Nomad counts a deployment as active (reference §3.2).
ACTIVE_DEPLOYMENT = frozenset({"running", "paused", "pending", "blocked", "unblocking", "initializing"})
TERMINAL_CLIENT = frozenset({"complete", "failed", "lost"})

# Nomad's deployment StatusDescription texts.
DEPLOYMENT_RUNNING = "Deployment is running"
DEPLOYMENT_SUCCESSFUL = "Deployment completed successfully"
DEPLOYMENT_UNHEALTHY = "Failed due to unhealthy allocations"
DEPLOYMENT_FAILED_BY_USER = "Deployment marked as failed"
DEPLOYMENT_NEWER_JOB = "Cancelled due to newer version of job"
DEPLOYMENT_JOB_STOPPED = "Cancelled because job is stopped"

# The simulated cluster's first client node (nodes.py default_node), where allocations go unless a test adds nodes.
SIM_NODE_ID = "5f0b1e5c-0000-4000-8000-00000000c11e"
SIM_NODE_NAME = "nomad-sim-client"


def task_event(kind: str, message: str, now: int) -> Json:
    """One entry of TaskState.Events."""
    return {"Type": kind, "Time": now, "Message": message, "DisplayMessage": message, "Details": {}}


@dataclass
class Allocation:
    """One placed instance of a task group."""

    id: str
    eval_id: str
    namespace: str
    job_id: str
    job_type: str
    job_version: int
    job_create_index: int
    group: str
    index: int
    tasks: list[str]
    create_index: int
    create_time: int
    modify_index: int = 0
    modify_time: int = 0
    desired_status: str = "run"
    desired_description: str = ""
    client_status: str = "pending"
    client_description: str = ""
    task_states: dict[str, Json] = field(default_factory=dict)
    deployment_id: str = ""
    healthy: bool | None = None
    health_time: int = 0
    health_index: int = 0
    logs: dict[tuple[str, str], str] = field(default_factory=dict)
    log_files: dict[tuple[str, str], str] = field(default_factory=dict)
    log_times: dict[tuple[str, str], int] = field(default_factory=dict)  # the last write_log, ns since the epoch
    node_id: str = SIM_NODE_ID
    node_name: str = SIM_NODE_NAME
    # What the allocation reserves on its node (MHz, MB, MB of ephemeral disk), counted until it is terminal.
    cpu: int = 0
    memory_mb: int = 0
    disk_mb: int = 0

    @property
    def name(self) -> str:
        """Nomad's allocation name, <job>.<group>[<index>]."""
        return f"{self.job_id}.{self.group}[{self.index}]"

    @property
    def terminal(self) -> bool:
        """Terminal as Nomad's TerminalStatus: asked to stop, or finished on the client."""
        return self.desired_status in ("stop", "evict") or self.client_status in TERMINAL_CLIENT

    @property
    def client_terminal(self) -> bool:
        """Finished on the client."""
        return self.client_status in TERMINAL_CLIENT

    def stub(self) -> Json:
        """The AllocListStub JSON."""
        status = None
        if self.healthy is not None:
            status = {
                "Healthy": self.healthy,
                "Timestamp": rfc3339(self.health_time),
                "Canary": False,
                "ModifyIndex": self.health_index,
            }
        return {
            "ID": self.id,
            "EvalID": self.eval_id,
            "Name": self.name,
            "Namespace": self.namespace,
            "NodeID": self.node_id,
            "NodeName": self.node_name,
            "JobID": self.job_id,
            "JobType": self.job_type,
            "JobVersion": self.job_version,
            "TaskGroup": self.group,
            "DesiredStatus": self.desired_status,
            "DesiredDescription": self.desired_description,
            "ClientStatus": self.client_status,
            "ClientDescription": self.client_description,
            "DesiredTransition": {"Migrate": None, "Reschedule": None, "ForceReschedule": None},
            "TaskStates": {name: dict(state) for name, state in self.task_states.items()} or None,
            "DeploymentStatus": status,
            "FollowupEvalID": "",
            "NextAllocation": "",
            "RescheduleTracker": None,
            "PreemptedAllocations": None,
            "CreateIndex": self.create_index,
            "ModifyIndex": self.modify_index,
            "CreateTime": self.create_time,
            "ModifyTime": self.modify_time,
        }


def new_task_state(now: int) -> Json:
    """A task that the client has received but not started."""
    return {
        "State": "pending",
        "Failed": False,
        "Restarts": 0,
        "StartedAt": ZERO_TIME,
        "FinishedAt": ZERO_TIME,
        "Events": [task_event("Received", "Task received by client", now)],
    }


@dataclass
class Deployment:
    """A job version's rollout; per-group counters are derived from its allocations."""

    id: str
    namespace: str
    job_id: str
    job_version: int
    job_modify_index: int
    job_create_index: int
    groups: dict[str, Json]
    priority: int
    create_index: int
    create_time: int
    modify_index: int = 0
    status: str = "running"
    description: str = DEPLOYMENT_RUNNING

    @property
    def active(self) -> bool:
        """Whether Nomad would count it as active (and so block scaling)."""
        return self.status in ACTIVE_DEPLOYMENT

    def to_json(self, allocs: list[Allocation]) -> Json:
        """The Deployment JSON, with PlacedAllocs/HealthyAllocs/UnhealthyAllocs counted from allocs."""
        groups: Json = {}
        for name, static in self.groups.items():
            mine = [a for a in allocs if a.deployment_id == self.id and a.group == name]
            groups[name] = {
                **static,
                "PlacedCanaries": None,
                "DesiredCanaries": 0,
                "Promoted": False,
                "PlacedAllocs": len(mine),
                "HealthyAllocs": sum(1 for a in mine if a.healthy is True),
                "UnhealthyAllocs": sum(1 for a in mine if a.healthy is False),
            }
        return {
            "ID": self.id,
            "Namespace": self.namespace,
            "JobID": self.job_id,
            "JobVersion": self.job_version,
            "JobModifyIndex": self.job_modify_index,
            "JobSpecModifyIndex": self.job_modify_index,
            "JobCreateIndex": self.job_create_index,
            "IsMultiregion": False,
            "TaskGroups": groups,
            "Status": self.status,
            "StatusDescription": self.description,
            "EvalPriority": self.priority,
            "CreateIndex": self.create_index,
            "ModifyIndex": self.modify_index,
            "CreateTime": self.create_time,
        }


@dataclass
class Evaluation:
    """A scheduling request; the simulator schedules synchronously, so evaluations are born complete (or blocked)."""

    id: str
    namespace: str
    priority: int
    job_type: str
    triggered_by: str
    job_id: str
    job_modify_index: int
    create_index: int
    create_time: int
    groups: list[str]
    deployment_id: str = ""
    status: str = "complete"
    status_description: str = ""
    previous_eval: str = ""
    blocked_eval: str = ""
    # Group name → AllocMetric JSON of the allocations that could not be placed (placement.py Metric).
    failed_tg_allocs: dict[str, Json] | None = None
    queued_allocations: dict[str, int] | None = None
    class_eligibility: dict[str, bool] | None = None
    escaped_computed_class: bool = False
    snapshot_index: int = 0
    modify_index: int = 0
    modify_time: int = 0

    def to_json(self) -> Json:
        """The Evaluation JSON, every field of nomad/structs/eval.go Evaluation as Go marshals it."""
        queued = self.queued_allocations
        if queued is None and self.status == "complete":
            queued = {group: 0 for group in self.groups}
        return {
            "ID": self.id,
            "Namespace": self.namespace,
            "Priority": self.priority,
            "Type": self.job_type,
            "TriggeredBy": self.triggered_by,
            "JobID": self.job_id,
            "JobModifyIndex": self.job_modify_index,
            "NodeID": "",
            "NodeModifyIndex": 0,
            "DeploymentID": self.deployment_id,
            "Status": self.status,
            "StatusDescription": self.status_description,
            "Wait": 0,
            "WaitUntil": ZERO_TIME,
            "NextEval": "",
            "PreviousEval": self.previous_eval,
            "BlockedEval": self.blocked_eval,
            "RelatedEvals": None,
            "FailedTGAllocs": _copy_metrics(self.failed_tg_allocs),
            "PlanAnnotations": None,
            "ClassEligibility": dict(self.class_eligibility) if self.class_eligibility is not None else None,
            "QuotaLimitReached": "",
            "MissingNonNodeResources": None,
            "EscapedComputedClass": self.escaped_computed_class,
            "AnnotatePlan": False,
            "QueuedAllocations": queued,
            "LeaderACL": "",
            "SnapshotIndex": self.snapshot_index or self.create_index,
            "CreateIndex": self.create_index,
            "ModifyIndex": self.modify_index or self.create_index,
            "CreateTime": self.create_time,
            "ModifyTime": self.modify_time or self.create_time,
        }


def _copy_metrics(metrics: dict[str, Json] | None) -> dict[str, Json] | None:
    """A copy, so that a reader cannot change the stored metrics."""
    return copy.deepcopy(metrics) if metrics else None


@dataclass
class JobRecord:
    """A registered job: its current version, its history and its per-group scaling events."""

    job: Json
    versions: list[Json]
    summary_groups: list[str]
    scaling_events: dict[str, list[Json]] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        """(namespace, job ID)."""
        return (self.job["Namespace"], self.job["ID"])
