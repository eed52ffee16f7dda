"""Waiting on Nomad: for a job version's deployment and allocations, or for an active deployment to end."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from procfleet.backend import Status, WaitOptions
from procfleet.errors import NotConverged
from procfleet_nomad.client import NomadClient
from procfleet_nomad.logs import last_lines
from procfleet_nomad.placement import SETTLED, placement_failure
from procfleet_nomad.status import build_status, failed, failures, instance_name, is_live

Json = dict[str, Any]

# Deployment statuses in which Nomad counts a deployment as active and refuses to scale (reference §3.2).
ACTIVE = frozenset({"running", "paused", "pending", "blocked", "unblocking", "initializing"})
LOG_LINES = 5  # of the first failed instance, in the error that says so
POLL = 1.0  # the longest a blocking query waits, so progress and deployment state refresh at least this often


@dataclass(frozen=True)
class Rollout:
    """A job version to wait for: the job as registered and the counts its groups must reach."""

    app: str
    job: Json
    counts: Mapping[str, int]
    order: Sequence[str] = ()
    evaluations: Sequence[str] = ()  # the EvalIDs of the register or scale replies, read until they settle

    @property
    def job_id(self) -> str:
        """The job's ID."""
        return str(self.job["ID"])

    @property
    def version(self) -> int:
        """The job version whose allocations count."""
        return int(self.job.get("Version") or 0)


def wait_for_rollout(client: NomadClient, rollout: Rollout, wait: WaitOptions,
                     clock: Callable[[], float] = time.monotonic) -> Status:
    """Block until the version runs its counts (healthy where checked) and its deployment, if any, succeeded."""
    deadline = clock() + wait.timeout
    index = 0
    unsettled = [eval_id for eval_id in rollout.evaluations if eval_id]
    while True:
        unsettled = _check_placement(client, rollout, unsettled)
        answer = client.allocations(rollout.job_id, index=index, wait=min(POLL, max(deadline - clock(), 0.0)))
        index = max(answer.index, index)
        allocs: list[Json] = answer.body or []
        deployment = client.deployment(rollout.job_id).body
        status = build_status(rollout.app, rollout.job, allocs, rollout.order)
        if wait.progress is not None:
            wait.progress(status)
        outcome = _deployment_outcome(client, rollout, deployment, allocs)
        if outcome == "done" and _settled(rollout, status, allocs):
            return status
        if clock() >= deadline:
            raise NotConverged(_timeout_message(rollout, wait.timeout, status, deployment, allocs))


def _check_placement(client: NomadClient, rollout: Rollout, eval_ids: Sequence[str]) -> list[str]:
    """Read the evaluations not yet processed; raise NotConverged as soon as one could not place allocations (no
    point waiting for allocations Nomad has none to give: `nomad job run` stops there too). Returns those still
    pending."""
    pending: list[str] = []
    for eval_id in eval_ids:
        evaluation = client.evaluation(eval_id)
        if evaluation is None:
            continue  # garbage-collected already: nothing left to learn from it
        lines = placement_failure(evaluation)
        if lines is not None:
            raise NotConverged(_placement_message(rollout, evaluation, lines))
        if evaluation.get("Status") not in SETTLED:
            pending.append(eval_id)
    return pending


def _placement_message(rollout: Rollout, evaluation: Json, lines: Sequence[str]) -> str:
    """The monitor's account of a placement failure: one line per task group, then where it waits."""
    message = (f"Nomad could not place every allocation of job {rollout.job_id} version {rollout.version} "
               f"(evaluation {str(evaluation.get('ID', ''))[:8]} {evaluation.get('Status')})")
    blocked = str(evaluation.get("BlockedEval") or "")
    if blocked:
        message += (f"; evaluation {blocked[:8]} waits for additional capacity to place the remainder: add or free "
                    "capacity (or ask for less) and run the command again")
    return message + "".join(f"\n  {line}" for line in lines)


def _deployment_outcome(client: NomadClient, rollout: Rollout, deployment: Json | None,
                        allocs: Sequence[Json]) -> str:
    """"done" when the version has no deployment or a successful one, "waiting" while it runs; raises on failure."""
    if deployment is None or int(deployment.get("JobVersion") or 0) < rollout.version:
        return "done"  # no deployment for this version: a count-only change to zero, or an unchanged job
    version = int(deployment.get("JobVersion") or 0)
    if version > rollout.version:
        raise NotConverged(f"job {rollout.job_id} was changed again on Nomad while procfleet waited (version "
                           f"{version} replaced {rollout.version}): check `procfleet ps` and plan again")
    state = deployment.get("Status")
    if state in ACTIVE:
        return "waiting"
    if state == "successful":
        return "done"
    # the groups waited for first (a scale's), then the others the new version replaced
    ordered = sorted(allocs, key=lambda alloc: alloc.get("TaskGroup") not in rollout.counts)
    lines = failures(ordered, rollout.version)
    # the first failed instance leads, as on every backend; then the deployment, the others, its last output
    first, others = (lines[0] + "; ", lines[1:]) if lines else ("", [])
    bad = failed(ordered, rollout.version)
    output = last_lines(client, bad[0], LOG_LINES) if bad else []
    raise NotConverged(f"{first}the deployment of job {rollout.job_id} version {rollout.version} {state}: "
                       f"{deployment.get('StatusDescription') or 'no description'}"
                       + "".join(f"\n  {line}" for line in others)
                       + (f"\n{instance_name(bad[0])}'s last output:" + "".join(f"\n  | {line}" for line in output)
                          if output else ""))


def _settled(rollout: Rollout, status: Status, allocs: Iterable[Json]) -> bool:
    """Counts reached, health where checked, and every live allocation on the version waited for."""
    needs_health = {t.name: t.healthy is not None for t in status.types}
    if not status.converged(rollout.counts, needs_health):
        return False
    placed = {t.name: t.placed for t in status.types}
    if any(placed.get(name, 0) != count for name, count in rollout.counts.items()):
        return False  # instances of the old version still stopping
    if _stopping(rollout, allocs):
        return False  # scaled down or replaced, and not stopped yet: `nomad job scale` does not wait for it
    return all(int(a.get("JobVersion") or 0) >= rollout.version for a in allocs if is_live(a))


def _stopping(rollout: Rollout, allocs: Iterable[Json]) -> list[Json]:
    """The allocations of the waited-for groups the server told to stop (DesiredStatus stop or evict) whose
    client still reports them running: their tasks have their kill_timeout yet (nomad/structs/structs.go:
    Allocation.ClientTerminalStatus is what ends it)."""
    return [a for a in allocs if a.get("TaskGroup") in rollout.counts and a.get("DesiredStatus") != "run"
            and a.get("ClientStatus") in ("pending", "running")]


def _timeout_message(rollout: Rollout, timeout: float, status: Status, deployment: Json | None,
                     allocs: Sequence[Json]) -> str:
    counts = ", ".join(
        f"{t.name} {t.running}/{rollout.counts.get(t.name, t.desired)} running"
        + (f" ({t.healthy} healthy)" if t.healthy is not None else "")
        for t in status.types if t.name in rollout.counts)
    message = f"timed out after {timeout:g}s waiting for job {rollout.job_id} version {rollout.version}: {counts}"
    if deployment is not None and int(deployment.get("JobVersion") or 0) == rollout.version:
        message += f"; deployment {str(deployment.get('ID', ''))[:8]} is {deployment.get('Status')}"
    if still := _stopping(rollout, allocs):
        message += f"; {len(still)} allocation{'s' if len(still) > 1 else ''} told to stop still running"
    lines = failures(allocs, rollout.version)
    return message + "".join(f"\n  {line}" for line in lines)


def wait_for_no_active_deployment(client: NomadClient, job_id: str, deadline: float, timeout: float,
                                  clock: Callable[[], float] = time.monotonic) -> None:
    """Block until the job's latest deployment is no longer active, as Nomad requires before a scale."""
    index = 0
    while True:
        answer = client.deployment(job_id, index=index, wait=min(POLL, max(deadline - clock(), 0.0)))
        deployment: Json | None = answer.body
        if deployment is None or deployment.get("Status") not in ACTIVE:
            return
        if clock() >= deadline:
            raise NotConverged(f"job {job_id}'s deployment {str(deployment.get('ID', ''))[:8]} was still "
                               f"{deployment.get('Status')} after {timeout:g}s, and Nomad refuses to scale while "
                               "a deployment is active: wait for it (or fail it) and scale again")
        index = max(answer.index, index)

