"""JSON answers of the read endpoints, computed from the cluster (reference §3.4, §4)."""

from __future__ import annotations

import copy
from typing import Any

from .model import JobRecord
from .state import Cluster

Json = dict[str, Any]


def summary(cluster: Cluster, record: JobRecord) -> Json:
    """The JobSummary: per-group counts by client status; groups once present are kept."""
    job = record.job
    allocs = cluster.job_allocs(job["Namespace"], job["ID"], any_create_index=False)
    groups: Json = {}
    for name in record.summary_groups:
        mine = [a for a in allocs if a.group == name]
        groups[name] = {
            "Queued": 0,
            "Complete": sum(1 for a in mine if a.client_status == "complete"),
            "Failed": sum(1 for a in mine if a.client_status == "failed"),
            "Running": sum(1 for a in mine if a.client_status == "running"),
            "Starting": sum(1 for a in mine if a.client_status == "pending"),
            "Lost": sum(1 for a in mine if a.client_status == "lost"),
            "Unknown": sum(1 for a in mine if a.client_status == "unknown"),
        }
    return {
        "JobID": job["ID"],
        "Namespace": job["Namespace"],
        "Summary": groups,
        "Children": {"Pending": 0, "Running": 0, "Dead": 0},
        "CreateIndex": job["CreateIndex"],
        "ModifyIndex": summary_index(cluster, record),
    }


def summary_index(cluster: Cluster, record: JobRecord) -> int:
    """The summary's ModifyIndex: the newest write to the job or to one of its allocations."""
    job = record.job
    allocs = cluster.job_allocs(job["Namespace"], job["ID"], any_create_index=False)
    return max([int(job["JobModifyIndex"]), *(a.modify_index for a in allocs)])


def job_stub(cluster: Cluster, record: JobRecord, *, meta: bool) -> Json:
    """A JobListStub for GET /v1/jobs."""
    job = record.job
    stub: Json = {
        "ID": job["ID"],
        "ParentID": job["ParentID"],
        "Name": job["Name"],
        "Namespace": job["Namespace"],
        "Datacenters": list(job["Datacenters"]),
        "Type": job["Type"],
        "Priority": job["Priority"],
        "Periodic": bool(job["Periodic"] and job["Periodic"]["Enabled"]),
        "ParameterizedJob": job["ParameterizedJob"] is not None,
        "Stop": job["Stop"],
        "Status": job["Status"],
        "StatusDescription": job["StatusDescription"],
        "JobSummary": summary(cluster, record),
        "CreateIndex": job["CreateIndex"],
        "ModifyIndex": job["ModifyIndex"],
        "JobModifyIndex": job["JobModifyIndex"],
        "SubmitTime": job["SubmitTime"],
    }
    if meta:
        stub["Meta"] = copy.deepcopy(job["Meta"])
    return stub


def versions(record: JobRecord) -> list[Json]:
    """Every tracked version of the job, newest first."""
    return [copy.deepcopy(record.job), *copy.deepcopy(record.versions)]


def scale_status(cluster: Cluster, record: JobRecord) -> Json:
    """GET /v1/job/:id/scale: desired/placed/running/healthy per group and the scaling events."""
    job = record.job
    allocs = cluster.job_allocs(job["Namespace"], job["ID"], any_create_index=False)
    groups: Json = {}
    for group in job["TaskGroups"]:
        placed = [a for a in allocs if a.group == group["Name"] and not a.terminal]
        events = record.scaling_events.get(group["Name"])
        groups[group["Name"]] = {
            "Desired": group["Count"],
            "Placed": len(placed),
            "Running": sum(1 for a in placed if a.client_status == "running"),
            "Healthy": sum(1 for a in placed if a.healthy is True),
            "Unhealthy": sum(1 for a in placed if a.healthy is False),
            "Events": copy.deepcopy(events) if events else None,
        }
    return {
        "JobID": job["ID"],
        "Namespace": job["Namespace"],
        "JobCreateIndex": job["CreateIndex"],
        # Nomad fills this from job.ModifyIndex, not JobModifyIndex (reference §3.4 quirk).
        "JobModifyIndex": job["ModifyIndex"],
        "JobStopped": job["Stop"],
        "TaskGroups": groups,
    }
