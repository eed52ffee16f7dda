"""The Nomad backend's entry point: the Backend protocol over one Nomad job per app (DESIGN §4).

Rendering is pure and never imports python-nomad; everything that talks to Nomad imports client.py when it runs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from procfleet import imagebuild
from procfleet.backend import FEATURES, ExportedApp, LiveType, Outcome, RenderedFile, Session, Status, WaitOptions
from procfleet.diff import exported_definitions
from procfleet.errors import NotConverged, NotRunning, PlatformError, UsageError
from procfleet.loglines import log_writer, not_deployed
from procfleet.model import App, Formation, ProcessType
from procfleet.plan import Plan
from procfleet.validation import Where
from procfleet_nomad import options as nomad_options
from procfleet_nomad.connection import Connection, from_environment
from procfleet_nomad.hcl import write_job
from procfleet_nomad.status import build_status, groups, instance_name, is_live, live_types, owner
from procfleet_nomad.translate import META_SPEC, job_id, register_request, translate

STOPPING = ("pending", "running")  # client statuses of an allocation whose tasks may still run
MAX_KILL_TIMEOUT = 30.0  # a Nomad client's default max_kill_timeout
STOP_MARGIN = 15.0  # for the client to notice the stop and report back

if TYPE_CHECKING:
    from procfleet_nomad.client import NomadClient

Json = dict[str, Any]


class NomadBackend:
    """Runs the formation as one Nomad job: a task group per process type, counts in TaskGroup.Count."""

    name: ClassVar[str] = "nomad"
    # a job's groups start together; ordering lives inside a group (lifecycle hooks), not between groups
    features: ClassVar[frozenset[str]] = frozenset(FEATURES) - {"after"}
    formats: ClassVar[tuple[str, ...]] = ("json", "hcl")
    max_count: ClassVar[int] = 50000  # a Nomad server's default job_max_count: a job's allocations, all groups together
    # A service job's restart policy applies to every exit (client/allocrunner/taskrunner/restarts/restarts.go:
    # onSuccess is true for service jobs); no job setting restarts only after a failure.
    differences: ClassVar[dict[str, str]] = {
        "restart-on-success": 'a service task is restarted after exit 0 too: "on-failure" restarts it (up to its '
                              'attempts) as after a failure, and under "never" an exit 0 fails the allocation (and '
                              "the deployment waiting for it) as any other exit does",
        "log-time": "Nomad keeps no time per line: a line shows when procfleet read it (with -f as it comes, "
                    "otherwise the moment of the read, the same for every line)",
        "log-since": "Nomad keeps only each log file's last write (fs/ls ModTime): a task's files untouched since "
                     "then are skipped, a file written to since is shown whole, its older lines too",
        "restart-ended": "restart restarts only the allocations that run, as `nomad job restart` does: one that "
                         'has ended is not run again (restart = "never" allows no reschedule) and restart says so; '
                         "a changed definition runs it again",
    }

    def __init__(self, session: Session) -> None:
        self.session = session
        self._client: NomadClient | None = None
        self._jobs: dict[str, Json | None] = {}  # each job as live() read it: deploy enforces that JobModifyIndex

    def validate_options(self, options: Mapping[str, Any], where: Where) -> Mapping[str, Any]:
        """Check `[backends.nomad]`."""
        return nomad_options.validate(options, where)

    # -- pure ---------------------------------------------------------------------------------------

    def render(self, formation: Formation, fmt: str) -> list[RenderedFile]:
        """The job as the JSON body of POST /v1/jobs, or as an HCL2 job file for `nomad job run`."""
        translation = translate(formation)
        self._warn(translation.warnings)
        name = job_id(formation)
        if fmt == "hcl":
            return [RenderedFile(f"{name}.nomad.hcl", write_job(translation.job))]
        return [RenderedFile(f"{name}.nomad.json", json.dumps({"Job": translation.job}, indent=2) + "\n")]

    # -- reading ------------------------------------------------------------------------------------

    def live(self, formation: Formation) -> dict[str, LiveType]:
        """Each group's count and fingerprint, from the job as it is registered now."""
        job = self._read(formation)
        if job is None:
            return {}
        expected = {group["Name"]: group["Meta"][META_SPEC] for group in translate(formation).job["TaskGroups"]}
        return live_types(job, expected)

    def status(self, formation: Formation) -> Status:
        """Desired/placed/running/healthy per group from the scale status, and one row per allocation; an empty
        status when the job does not exist, as every backend answers for an app never deployed."""
        job = self._read(formation)
        if job is None:
            return Status(backend=self.name, app=formation.app.name)
        client = self._nomad(formation)
        scale = client.scale_status(job_id(formation))
        allocs = client.allocations(job_id(formation)).body or []
        return build_status(formation.app.name, job, allocs, formation.processes, scale)

    def logs(self, formation: Formation, types: Sequence[str], follow: bool, tail: int | None) -> None:
        """Each allocation's stdout and stderr through the client fs API (times as `differences` says)."""
        from procfleet_nomad.logs import chosen, label, show_logs

        try:
            self._deployed(formation)
        except NotRunning as exc:  # said as every backend says it
            raise not_deployed(formation.app.name, self.name) from exc
        client = self._nomad(formation)
        allocs = chosen(client.allocations(job_id(formation)).body or [], types)
        writer = log_writer(self.session, formation, self.name, types, [label(alloc) for alloc in allocs])
        show_logs(client, allocs, follow, tail, self.session.since, writer)
        if not follow:
            writer.finish()

    def definitions(self, formation: Formation) -> Mapping[str, ProcessType] | None:
        """Each group as the job runs it (GET /v1/job/:id), read back."""
        return exported_definitions(self, job_id(formation), self.session.environ)

    def export(self, app: str) -> ExportedApp | None:
        """The job `app` as Nomad returns it (GET /v1/job/:id), with each group's count; reads only."""
        client = self._nomad(Formation(app=App(name=app), processes={}))  # NOMAD_* alone say where it is
        job = client.read_job(app)
        if job is None or job.get("Stop"):
            return None
        notes = []
        if owner(job) != app:
            notes.append(f"Nomad job {app} was not registered by procfleet (its meta has no procfleet.app = "
                         f'"{app}"), and procfleet only touches what it owns: `procfleet deploy -b nomad` will refuse '
                         "to change it; stop it first (`nomad job stop`) to run the formation in its place")
        return ExportedApp(
            format="nomad",
            source=Path(f"nomad:job/{app}"),
            described=f"Nomad job {app} version {job.get('Version')} at {client.connection.described}",
            counts={name: int(group.get("Count") or 0) for name, group in groups(job).items()},
            text=json.dumps(job),
            notes=tuple(notes),
        )

    # -- changing -----------------------------------------------------------------------------------

    def apply(self, formation: Formation, plan: Plan, wait: WaitOptions) -> Outcome:
        """Register the job (check-and-set against the version read), then wait for its deployment."""
        from procfleet_nomad.rollout import Rollout, wait_for_rollout

        identifier = job_id(formation)
        previous = self._jobs[identifier] if identifier in self._jobs else self._read(formation)
        translation = translate(formation, plan.counts)
        self._warn(translation.warnings)
        self._build(formation)
        running = [c for c in plan.changes if c.current is not None and c.action != "remove"]
        # PreserveCounts whenever every running type keeps its live count (always so with --keep-counts); the
        # counts sent are those live counts too, so that Nomad sees an unchanged spec as unchanged (§1.9).
        preserve = bool(running) and all(c.reason == "kept" for c in running)
        modify_index = int(previous["JobModifyIndex"]) if previous is not None else 0
        client = self._nomad(formation)
        reply = client.register(register_request(translation.job, job_modify_index=modify_index,
                                                 preserve_counts=preserve))
        self._jobs.pop(identifier, None)
        where = client.connection.described
        if not wait.wait:
            evaluation = str(reply.get("EvalID") or "")[:8] or "none"
            return Outcome(message=f"submitted job {identifier} to {where} (evaluation {evaluation}); not waiting")
        job = client.read_job(identifier)
        if job is None:
            raise PlatformError(f"job {identifier} vanished from {where} right after it was registered")
        unchanged = previous is not None and not previous.get("Stop") and job.get("Version") == previous.get("Version")
        evaluations = [str(reply.get("EvalID") or "")]
        status = wait_for_rollout(client, Rollout(formation.app.name, job, plan.counts, list(formation.processes),
                                                  evaluations), wait)
        if unchanged:
            return Outcome(status=status, message=f"no changes: Nomad kept job {identifier} at version "
                                                  f"{job.get('Version')}")
        return Outcome(status=status, message=f"job {identifier} version {job.get('Version')} runs on {where}")

    def restart(self, formation: Formation, types: Sequence[str], wait: WaitOptions) -> Status:
        """Restart these groups' allocations in place, one after another (PUT /v1/client/allocation/:id/restart,
        as `nomad alloc restart` does), each running again before the next; the job itself does not change."""
        identifier = job_id(formation)
        self._deployed(formation)
        client = self._nomad(formation)
        every = client.allocations(identifier).body or []
        allocs = sorted((a for a in every
                         if is_live(a) and a.get("TaskGroup") in types and a.get("ClientStatus") == "running"),
                        key=lambda a: (list(types).index(str(a.get("TaskGroup"))), str(a.get("Name"))))
        for name in _ended(every, types):
            self._warn([f"{name} has ended, and Nomad restarts only allocations that run (restart = \"never\" "
                        "allows no reschedule): deploy a changed definition to run it again"])
        deadline = time.monotonic() + wait.timeout
        for alloc in allocs:
            before = _restarts(alloc)
            self._say(f"restarting {alloc.get('Name')} ({str(alloc.get('ID'))[:8]})")
            client.restart_allocation(str(alloc["ID"]))
            while wait.wait:
                current = next((a for a in client.allocations(identifier).body or [] if a.get("ID") == alloc["ID"]),
                               None)
                if current is not None and _restarts(current) > before and _all_running(current):
                    break
                if time.monotonic() >= deadline:
                    raise NotConverged(f"{alloc.get('Name')} did not run again within {wait.timeout:g}s of its "
                                       "restart: see `procfleet ps -b nomad`")
                time.sleep(0.2)
        return self.status(formation)

    def scale(self, formation: Formation, targets: Mapping[str, int], wait: WaitOptions) -> Status:
        """POST /v1/job/:id/scale once per group whose count changes, waiting out an active deployment."""
        from procfleet_nomad.rollout import Rollout, wait_for_rollout

        identifier = job_id(formation)
        job = self._jobs.get(identifier) or self._deployed(formation)
        by_name = groups(job)
        for name, count in targets.items():
            if count < 0:
                raise UsageError(f"{name}: a count cannot be negative (got {count})")
            if name not in by_name:
                raise UsageError(f'"{name}" is not a task group of Nomad job {identifier} (it has: '
                                 f"{', '.join(by_name) or 'none'}): deploy the formation first")
        changed = {name: count for name, count in targets.items() if by_name[name].get("Count") != count}
        client = self._nomad(formation)
        index = int(job["JobModifyIndex"])
        deadline = time.monotonic() + wait.timeout
        evaluations: list[str] = []
        for name, count in changed.items():
            reply = self._scale_group(client, identifier, name, count, index, deadline, wait)
            index = int(reply.get("JobModifyIndex") or index)
            evaluations.append(str(reply.get("EvalID") or ""))
        self._jobs.pop(identifier, None)
        if wait.wait:
            current = client.read_job(identifier)
            if current is None:
                raise PlatformError(f"job {identifier} vanished from {client.connection.described} while scaling")
            return wait_for_rollout(client, Rollout(formation.app.name, current, targets, list(formation.processes),
                                                    evaluations), wait)
        return self._scale_summary(formation, client, job)

    def _scale_group(self, client: NomadClient, identifier: str, name: str, count: int, index: int,
                     deadline: float, wait: WaitOptions) -> Json:
        """One scale request; while a deployment is active Nomad refuses (400), so wait for it within --timeout."""
        from procfleet_nomad.client import ScalingBlocked
        from procfleet_nomad.rollout import POLL, wait_for_no_active_deployment

        told = False
        while True:
            try:
                return client.scale(identifier, name, count, job_modify_index=index,
                                    message=f"procfleet scale {name}={count}")
            except ScalingBlocked as exc:
                if time.monotonic() >= deadline:
                    raise NotConverged(f"Nomad still refused to scale {name} of job {identifier} after "
                                       f"{wait.timeout:g}s: a deployment is active") from exc
                if not told and wait.progress is not None:
                    self._say(f"a deployment of job {identifier} is active and Nomad refuses to scale during one: "
                              f"waiting for it to end (up to --timeout {wait.timeout:g}s)")
                told = True
                started = time.monotonic()
                wait_for_no_active_deployment(client, identifier, deadline, wait.timeout)
                if time.monotonic() - started < 0.05:
                    # Nomad said blocked but its deployment already reads inactive: give it a moment.
                    time.sleep(min(POLL / 4, max(deadline - time.monotonic(), 0.0)))

    def _scale_summary(self, formation: Formation, client: NomadClient, job: Json) -> Status:
        """Per group counts from one GET /v1/job/:id/scale, for a scale that does not wait."""
        scale = client.scale_status(job_id(formation))
        return build_status(formation.app.name, job, [], formation.processes, scale)

    def run(self, formation: Formation, argv: Sequence[str], process: str | None) -> int:
        """Nomad has no one-off run for a service job; say what to use instead."""
        raise UsageError("the nomad backend does not run one-off commands: use `nomad alloc exec` in a running "
                         "allocation, or `procfleet run --backend local`")

    def down(self, formation: Formation, purge: bool) -> None:
        """Deregister the job (stop its allocations); --purge also removes it from Nomad's history at once."""
        job = self._read(formation)
        client = self._nomad(formation)
        identifier = job_id(formation)
        if job is None:
            self._say(f"no job {identifier} at {client.connection.described}: nothing to stop")
            return
        if job.get("Stop") and not purge:
            self._say(f"job {identifier} is already stopped (--purge removes it)")
            return
        running = [a for a in client.allocations(identifier).body or [] if a.get("ClientStatus") in STOPPING]
        client.deregister(identifier, purge)
        self._jobs.pop(identifier, None)
        self._wait_stopped(client, identifier, job, len(running))

    def _wait_stopped(self, client: NomadClient, identifier: str, job: Json, count: int) -> None:
        """Return once the job's allocations have stopped on their clients, as `docker compose down` returns once
        its containers are gone: each task has its kill timeout (capped by the client) to end."""
        if not count:
            return
        kill = max((task.get("KillTimeout") or 0) / 1e9 for group in job.get("TaskGroups") or []
                   for task in group.get("Tasks") or [])
        deadline = time.monotonic() + min(max(kill, 5.0), MAX_KILL_TIMEOUT) + STOP_MARGIN
        self._say(f"waiting for {count} allocation{'s' if count != 1 else ''} of job {identifier} to stop")
        index = 0
        while True:
            try:
                answer = client.allocations(identifier, index=index, wait=1.0)
            except PlatformError:
                return  # purged and collected: nothing of it is left to wait for
            index = max(answer.index, index)
            left = [a for a in answer.body or [] if a.get("ClientStatus") in STOPPING]
            if not left:
                return
            if time.monotonic() >= deadline:
                raise NotConverged(f"job {identifier} is stopped, but {len(left)} of its allocations still run on "
                                   f"their clients: see `nomad job status {identifier}`")

    # -- plumbing -----------------------------------------------------------------------------------

    def connection(self, formation: Formation) -> Connection:
        """Where this formation's job lives, from the session's environment and [backends.nomad]."""
        return from_environment(self.session.environ, nomad_options.settings(formation))

    def _nomad(self, formation: Formation) -> NomadClient:
        if self._client is None:
            from procfleet_nomad.client import NomadClient

            self._client = NomadClient(self.connection(formation))
        return self._client

    def _read(self, formation: Formation) -> Json | None:
        """The app's job, or None; a job of that name that procfleet did not make is never touched."""
        client = self._nomad(formation)
        identifier = job_id(formation)
        job = client.read_job(identifier)
        if job is not None and owner(job) != formation.app.name:
            raise PlatformError(f"a Nomad job {identifier} exists at {client.connection.described} but procfleet did "
                                f'not create it (its meta has no procfleet.app = "{formation.app.name}"): procfleet '
                                "only touches what it owns; rename the app or remove that job")
        self._jobs[identifier] = job
        return job

    def _build(self, formation: Formation) -> None:
        """Build the images the formation builds on this machine's engine, which a one-node cluster whose client
        runs here uses as they are; refused first when the cluster has other nodes, which would have to pull them."""
        wanted = list(imagebuild.builds(formation))
        if not wanted:
            return
        try:
            nodes = self._nomad(formation).nodes()
        except PlatformError as exc:  # a token without node:read: the cluster's size is not known
            self._warn([f"cannot list the cluster's nodes ({exc}): building {', '.join(wanted)} here, which only "
                        "a client on this machine can run"])
            nodes = []
        ready = [str(node.get("Name")) for node in nodes if node.get("Status") == "ready"]
        if len(ready) > 1:
            raise PlatformError(imagebuild.unreachable_message(wanted, ready, "Nomad"))
        imagebuild.build_images(formation)

    def _deployed(self, formation: Formation) -> Json:
        """The app's running job, or NotRunning."""
        job = self._read(formation)
        if job is None or job.get("Stop"):
            where = self._nomad(formation).connection.described
            state = "is stopped" if job is not None else "does not exist"
            raise NotRunning(f"{formation.app.name} is not running on Nomad: job {job_id(formation)} {state} at "
                             f"{where}; start it with `procfleet deploy --backend nomad`")
        return job

    def _warn(self, warnings: Sequence[str]) -> None:
        for warning in warnings:
            self.session.err.write(f"warning: {warning}\n")

    def _say(self, message: str) -> None:
        self.session.err.write(message + "\n")
        self.session.err.flush()


def _ended(allocs: Sequence[Json], types: Sequence[str]) -> list[str]:
    """The instances of these types whose allocation has ended on its client while still wanted (a one-shot done
    or failed, not replaced): `nomad job restart` skips them (command/job_restart.go filterAllocs), and so does
    restart here."""
    live = {instance_name(a) for a in allocs if is_live(a)}
    ended = {instance_name(a) for a in allocs if a.get("TaskGroup") in types and a.get("DesiredStatus") == "run"
             and a.get("ClientStatus") in ("complete", "failed") and not a.get("NextAllocation")}
    return sorted(ended - live, key=lambda name: (list(types).index(name.rsplit(".", 1)[0]),
                                                  int(name.rsplit(".", 1)[1])))


def _restarts(alloc: Mapping[str, Any]) -> int:
    """How many times the allocation's tasks have restarted (TaskState.Restarts)."""
    return sum(int(state.get("Restarts") or 0) for state in (alloc.get("TaskStates") or {}).values())


def _all_running(alloc: Mapping[str, Any]) -> bool:
    """Whether every task of the allocation is running."""
    states = (alloc.get("TaskStates") or {}).values()
    return bool(states) and all(state.get("State") == "running" for state in states)
