"""The local backend's entry point: the Backend protocol for processes on this machine."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, ClassVar

from procfleet.backend import InstanceStatus, LiveType, Outcome, RenderedFile, Session, Status, WaitOptions
from procfleet.diff import with_app_settings
from procfleet.errors import NotConverged, NotRunning, UsageError
from procfleet.loglines import LogLine, log_writer, not_deployed
from procfleet.model import Formation, ProcessType
from procfleet.plan import Plan
from procfleet.validation import Where
from procfleet_local import launch, oneoff, runtime
from procfleet_local import options as local_options
from procfleet_local.client import Client
from procfleet_local.instances import port_for, port_overflow, type_fingerprint
from procfleet_local.render import file_counts, render_instances, render_procfile
from procfleet_local.wire import formation_from_wire, formation_to_wire, status_from_wire

POLL = 0.2  # how often `--wait` asks the supervisor for its status
# a type without a health check converges once its instances have stayed up this long, as on compose, swarm and
# systemd: one that crashes half a second after it starts is caught, not reported running
SETTLE_SECONDS = 1.0
LOG_LINES = 5  # of an instance that will not run, in the error that says so


class LocalBackend:
    """Runs the formation as child processes of a foreground supervisor."""

    name: ClassVar[str] = "local"
    features: ClassVar[frozenset[str]] = frozenset({
        "count", "port", "health", "env", "env_file", "restart", "stop_signal", "stop_timeout", "after",
    })
    formats: ClassVar[tuple[str, ...]] = ("instances", "procfile")
    max_count: ClassVar[int] = local_options.MAX_INSTANCES  # child processes of one supervisor, per type
    # deploy with no supervisor running becomes the supervisor, in the foreground, until it stops.
    runs_in_foreground: ClassVar[bool] = True

    def __init__(self, session: Session) -> None:
        self.session = session

    def validate_options(self, options: Mapping[str, Any], where: Where) -> Mapping[str, Any]:
        """Check `[backends.local]`."""
        return local_options.validate(options, where)

    def base_port(self, formation: Formation) -> int:
        """The first port of Foreman's scheme for this formation."""
        return local_options.settings(formation, self.session.environ).base_port

    def fingerprint(self, formation: Formation, process: ProcessType) -> str:
        """The definition hash `plan` compares: what local runs, without the image and resources it ignores."""
        return type_fingerprint(formation, process, self.base_port(formation))

    def render(self, formation: Formation, fmt: str) -> list[RenderedFile]:
        """The instances that would run, or a Procfile."""
        counts = file_counts(formation)
        if fmt == "procfile":
            return [render_procfile(formation, counts)]
        return [render_instances(formation, counts, self.base_port(formation))]

    def live(self, formation: Formation) -> dict[str, LiveType]:
        """The running supervisor's types, counts and definition fingerprints; empty when none runs."""
        snapshot = self._snapshot(formation)
        if snapshot is None:
            return {}
        fingerprints = snapshot["fingerprints"]
        return {item["name"]: LiveType(item["name"], item["desired"], fingerprints[item["name"]])
                for item in snapshot["status"]["types"] if item["name"] in fingerprints}

    def definitions(self, formation: Formation) -> Mapping[str, ProcessType] | None:
        """Each type as the running supervisor runs it (its formation, over the control socket)."""
        client = self._connect(formation)
        if client is None:
            return None
        with client:
            running = formation_from_wire(client.request("formation")["formation"])
        return {name: with_app_settings(process, running.app.env, running.app.image)
                for name, process in running.processes.items()}

    def apply(self, formation: Formation, plan: Plan, wait: WaitOptions) -> Outcome:
        """No supervisor: become one, in the foreground, until it ends. One running: have it reconcile."""
        overflow = port_overflow(formation, plan.counts, self.base_port(formation))
        if overflow is not None:
            raise UsageError(overflow)
        client = self._connect(formation)
        if client is None:
            code = launch.run(formation, plan.counts, self.session, self._address(formation))
            return Outcome(exit_code=code)
        with client:
            reply = client.request("reconcile", formation=formation_to_wire(formation), counts=plan.counts)
        status = status_from_wire(reply["status"])
        if wait.wait:
            status = self._wait(formation, plan.counts, wait)
        return Outcome(status=status, message=f"the running supervisor (pid {reply['pid']}) now runs this formation")

    def _failure(self, formation: Formation, instance: InstanceStatus) -> str:
        """Why an instance will not run, by the name ps gives it, with its last lines of output."""
        if instance.state == "crashed":
            reason = f"{instance.name} keeps crashing ({instance.detail}): the supervisor does not restart it"
        else:
            restart = formation.processes[instance.process].restart
            reason = f'{instance.name} {instance.detail} and restart = "{restart}" does not start it again'
        lines = self._last_lines(formation, instance)
        return reason + ("; its last output:" + "".join(f"\n  | {line}" for line in lines) if lines else "")

    def _last_lines(self, formation: Formation, instance: InstanceStatus) -> list[str]:
        """The instance's last lines, as the supervisor keeps them."""
        client = self._connect(formation)
        if client is None:
            return []
        with client:
            client.request("logs", types=[instance.process], tail=LOG_LINES, since=None, follow=False)
            return [str(text) for message in client.stream() if message["n"] == instance.name
                    for text in message["l"]][-LOG_LINES:]

    def scale(self, formation: Formation, targets: Mapping[str, int], wait: WaitOptions) -> Status:
        """Set counts on the running supervisor; with wait, until they run (and are healthy)."""
        with self._require(formation, "scale") as client:
            reply = client.request("scale", targets=dict(targets))
        if not wait.wait:
            return status_from_wire(reply["status"])
        return self._wait(formation, targets, wait)

    def status(self, formation: Formation) -> Status:
        """Per type and per instance state; an empty status when no supervisor runs."""
        snapshot = self._snapshot(formation)
        if snapshot is None:
            return Status(backend=self.name, app=formation.app.name)
        return status_from_wire(snapshot["status"])

    def logs(self, formation: Formation, types: Sequence[str], follow: bool, tail: int | None) -> None:
        """Print the supervisor's buffered lines (the last `tail` of each instance, those since --since), then
        follow; each line carries the time the supervisor read it from the instance's pipe."""
        client = self._connect(formation)
        if client is None:
            raise not_deployed(formation.app.name, self.name)
        with client:
            reply = client.request("logs", types=list(types), tail=tail, since=self.session.since, follow=follow)
            writer = log_writer(self.session, formation, self.name, types, width=int(reply.get("width", 0)))
            for message in client.stream():
                name, process, at = str(message["n"]), message["p"], float(message["a"])
                for text in message["l"]:
                    writer.write(LogLine(name, process, str(text), at))
        if not follow:
            writer.finish()

    def run(self, formation: Formation, argv: Sequence[str], process: str | None) -> int:
        """Run a one-off command with the app's env (the type's too, and a free PORT of its, if given)."""
        port = None
        if process is not None:
            live = self.live(formation).get(process)
            count = live.count if live else file_counts(formation)[process]
            port = port_for(self.base_port(formation), formation.position(process), count + 1)
        env = oneoff.environment(formation, process, self.session.environ, port)
        return oneoff.run(argv, env, runtime.formation_folder(formation, self.session.cwd), self.session.err)

    def restart(self, formation: Formation, types: Sequence[str], wait: WaitOptions) -> Status:
        """Have the running supervisor restart these types rolling; with wait, until they run (and are healthy)."""
        with self._require(formation, "restart") as client:
            reply = client.request("restart", types=list(types))
        if not wait.wait:
            return status_from_wire(reply["status"])
        counts = {item.name: item.desired for item in status_from_wire(reply["status"]).types if item.name in types}
        return self._wait(formation, counts, wait)  # until the rollout is over (the reply already lists it)

    def down(self, formation: Formation, purge: bool) -> None:
        """Stop every instance gracefully; the supervisor then exits with status 0. Nothing running: nothing to do.

        Like `docker compose down` and the other backends, a second `down` succeeds: what the user asked for holds.
        """
        client = self._connect(formation)
        if client is None:
            folder = runtime.formation_folder(formation, self.session.cwd)
            self.session.err.write(f"no supervisor runs {formation.app.name} from {folder}: nothing to stop\n")
            return
        with client:
            client.request("down", timeout=None)  # answered once every instance has stopped

    # Internals.

    def _address(self, formation: Formation) -> runtime.Address:
        return runtime.address(formation, self.session.cwd, self.session.environ)

    def _connect(self, formation: Formation) -> Client | None:
        return Client.connect(self._address(formation))

    def _require(self, formation: Formation, what: str) -> Client:
        client = self._connect(formation)
        if client is None:
            folder = runtime.formation_folder(formation, self.session.cwd)
            raise NotRunning(f"no supervisor runs {formation.app.name} from {folder}, so there "
                             f"is nothing to {what}: start one with `procfleet deploy` (it stays in the "
                             "foreground), then use this command from another terminal")
        return client

    def _snapshot(self, formation: Formation) -> dict[str, Any] | None:
        client = self._connect(formation)
        if client is None:
            return None
        with client:
            return client.request("status")

    def _wait(self, formation: Formation, targets: Mapping[str, int], wait: WaitOptions) -> Status:
        needs_health = {name: p.health is not None for name, p in formation.processes.items()}
        deadline = time.monotonic() + wait.timeout
        while True:
            snapshot = self._snapshot(formation)
            if snapshot is None:
                raise NotRunning(f"the supervisor of {formation.app.name} exited while waiting")
            status = status_from_wire(snapshot["status"])
            if wait.progress is not None:
                wait.progress(status)
            failed = next((i for i in status.instances if i.process in targets and (
                i.state == "crashed" or (i.state == "exited" and i.detail != "done"))), None)
            if failed is not None:
                raise NotConverged(self._failure(formation, failed))
            # An instance its restart policy leaves stopped after exit 0 (restart = "never" or "on-failure") is done,
            # not late: waiting for it would only run into the timeout.
            finished = Counter(i.process for i in status.instances if i.state == "exited")
            expected = {name: max(0, count - finished[name]) for name, count in targets.items()}
            settled = not snapshot["rolling"] and not snapshot["removed"]
            if settled and _stayed_up(status, needs_health).converged(expected, needs_health):
                return status
            if time.monotonic() >= deadline:
                counts = ", ".join(f"{t.name} {t.running}/{t.desired} running"
                                   + ("" if t.healthy is None else f", {t.healthy} healthy") for t in status.types)
                raise NotConverged(f"{formation.app.name} did not converge within {wait.timeout:g}s: {counts}")
            time.sleep(POLL)


def _stayed_up(status: Status, needs_health: Mapping[str, bool]) -> Status:
    """The status not counting as running, for a type without a health check, instances up less than
    SETTLE_SECONDS (those stopping still count: a scale down waits for them)."""
    young = Counter(i.process for i in status.instances
                    if i.state == "running" and (i.uptime is None or i.uptime < SETTLE_SECONDS))
    return replace(status, types=tuple(t if needs_health.get(t.name) else replace(t, running=t.running - young[t.name])
                                       for t in status.types))
