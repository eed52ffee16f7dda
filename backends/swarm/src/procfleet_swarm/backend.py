"""The swarm backend's entry point: the Backend protocol on Docker Swarm, one stack per app, one service per type."""

from __future__ import annotations

import shlex
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from procfleet import imagebuild
from procfleet.backend import FEATURES, ExportedApp, LiveType, Outcome, RenderedFile, Session, Status, WaitOptions
from procfleet.diff import exported_definitions
from procfleet.errors import NotConverged, NotRunning, PlatformError, UsageError
from procfleet.loglines import log_writer, not_deployed
from procfleet.model import Formation, ProcessType, fingerprint
from procfleet.plan import Plan
from procfleet.units import format_duration
from procfleet.validation import Where
from procfleet_compose.translate import APP_LABEL, PROCESS_LABEL, SHELL, file_counts
from procfleet_swarm import converge, translate
from procfleet_swarm import options as swarm_options
from procfleet_swarm.converge import Baseline
from procfleet_swarm.engine import Engine
from procfleet_swarm.export import exported
from procfleet_swarm.options import SwarmOptions
from procfleet_swarm.status import Service, Snapshot, build_status, foreign, live_types

DOWN_TIMEOUT = 120.0  # seconds `down` waits for the stack's networks to go
DOWN_POLL = 0.5
NETWORK_IN_USE = "is in use by task"  # the engine's words while a removed service's task still holds a network
ONEOFF_LABEL = "procfleet.oneoff"
UPDATE_SEEN_SECONDS = 10.0  # how long a restart waits for the manager to begin the update it asked for


class SwarmBackend:
    """Runs the formation as a Docker Swarm stack named after the app."""

    name: ClassVar[str] = "swarm"
    # `docker stack deploy` ignores depends_on: Swarm starts every service at once
    features: ClassVar[frozenset[str]] = frozenset(FEATURES) - {"after"}
    formats: ClassVar[tuple[str, ...]] = ("stack",)
    max_count: ClassVar[int] = 10000  # replicas of one service: Swarm sets no limit, but a node runs hundreds

    def __init__(self, session: Session) -> None:
        self.session = session
        self._engines: dict[str, Engine] = {}

    def validate_options(self, options: Mapping[str, Any], where: Where) -> Mapping[str, Any]:
        """Check `[backends.swarm]`."""
        return swarm_options.validate(options, where)

    def fingerprint(self, formation: Formation, process: ProcessType) -> str:
        """The definition hash `plan` compares, with the swarm options that shape this type's service."""
        return fingerprint(formation, process, translate.option_extras(process, swarm_options.settings(formation)))

    def render(self, formation: Formation, fmt: str) -> list[RenderedFile]:
        """stack.yaml with the file's counts (a type without one: 1)."""
        settings = swarm_options.settings(formation)
        document = translate.stack_document(formation, file_counts(formation), settings)
        return [RenderedFile("stack.yaml", translate.to_yaml(document, formation, settings.stack_for(formation)))]

    # -- where things are ------------------------------------------------------------------------------------

    def stack(self, formation: Formation) -> str:
        """The stack: the app's name unless `[backends.swarm] stack` says otherwise."""
        return swarm_options.settings(formation).stack_for(formation)

    def engine(self, formation: Formation) -> Engine:
        """The stack on the swarm (python-on-whales is imported when it is first asked something)."""
        stack = self.stack(formation)
        if stack not in self._engines:
            self._engines[stack] = Engine(stack)
        return self._engines[stack]

    def owned_services(self, formation: Formation) -> list[Service]:
        """The stack's services, refusing to go on if any of them is not procfleet's for this app."""
        engine = self.engine(formation)
        services = engine.services()
        strangers = foreign(services, formation.app.name)
        if strangers:
            names = ", ".join(s.name for s in strangers[:3])
            raise PlatformError(f'the stack "{engine.stack}" has services procfleet did not create for '
                                f"{formation.app.name} ({names}): procfleet only touches what it owns; set "
                                "[backends.swarm] stack to another name")
        return services

    def snapshot(self, formation: Formation) -> Snapshot:
        """The stack's services (all procfleet's, or an error), their tasks and node names, in one look."""
        engine = self.engine(formation)
        services = self.owned_services(formation)
        tasks = engine.tasks(services)
        return Snapshot(services=tuple(services), tasks=tuple(tasks),
                        nodes=engine.nodes([t.node_id for t in tasks]) if tasks else {},
                        down=engine.down_nodes() if tasks else frozenset(),
                        drained=engine.drained_nodes() if tasks else frozenset())

    def observe(self, formation: Formation) -> tuple[Status, Snapshot]:
        """Status and the snapshot it was built from."""
        snapshot = self.snapshot(formation)
        return build_status(formation, formation.app.name, snapshot), snapshot

    def _wait(self, formation: Formation, targets: Mapping[str, int], wait: WaitOptions, baseline: Baseline) -> Status:
        if not wait.wait:
            return self.observe(formation)[0]
        engine = self.engine(formation)
        return converge.wait_for(formation, targets, wait, lambda: self.observe(formation),
                                 lambda task: engine.task_output(task, converge.LOG_LINES), baseline)

    def _echo(self, wait: WaitOptions, lines: Sequence[str]) -> None:
        if wait.progress is None or not self.session.verbose:  # docker stack deploy's own lines only with -v
            return
        for line in lines:
            self.session.err.write(line.rstrip() + "\n")
        self.session.err.flush()

    def resolve_image(self, formation: Formation, settings: SwarmOptions) -> str:
        """`--resolve-image`: as set, or for "auto" `never` when every image was built here and never pushed.

        Such an image has no registry digest to pin, and asking a registry for one only prints a warning;
        an image that came from a registry is pinned to its digest, so every node runs the same one.
        """
        if settings.resolve_image != "auto":
            return settings.resolve_image
        images = list(dict.fromkeys(i for p in formation.processes.values() if (i := formation.image_reference(p))))
        digests = self.engine(formation).image_digests(images)
        return "never" if all(found is not None and not found for found in digests.values()) else "always"

    # -- the protocol ---------------------------------------------------------------------------------------

    def live(self, formation: Formation) -> dict[str, LiveType]:
        """Each type's deploy.replicas and fingerprint label; a type scaled to zero is live with count 0."""
        return live_types(self.owned_services(formation))

    def apply(self, formation: Formation, plan: Plan, wait: WaitOptions) -> Outcome:
        """`docker stack deploy --prune` of the stack file for the plan's counts, then wait for it."""
        settings = swarm_options.settings(formation)
        stack = settings.stack_for(formation)
        text = translate.to_yaml(translate.stack_document(formation, plan.counts, settings), formation, stack)
        baseline = Baseline.of(self.snapshot(formation))  # refuses a stack holding what is not procfleet's
        self._build(formation)
        lines = self.engine(formation).deploy(text, self.resolve_image(formation, settings))
        self._echo(wait, lines)
        return Outcome(status=self._wait(formation, plan.counts, wait, baseline))

    def _build(self, formation: Formation) -> None:
        """Build the images the formation builds, here; refused first if the swarm has nodes that cannot get them."""
        wanted = list(imagebuild.builds(formation))
        if not wanted:
            return
        engine = self.engine(formation)
        others = engine.other_nodes()
        if others:
            raise PlatformError(imagebuild.unreachable_message(wanted, others, "Swarm"))
        imagebuild.build_images(formation, engine.docker)

    def scale(self, formation: Formation, targets: Mapping[str, int], wait: WaitOptions) -> Status:
        """`docker service scale` of every changed type in one call: tasks that stay are untouched."""
        snapshot = self.snapshot(formation)
        unknown = [name for name in targets if snapshot.service(name) is None]
        if unknown:
            raise UsageError(f"{', '.join(unknown)}: not deployed on swarm yet; run `procfleet deploy -b swarm`")
        changed = {}
        for name, count in targets.items():
            service = snapshot.service(name)
            if service is not None and service.replicas != count:
                changed[service.name] = count
        if changed:
            self._echo(wait, self.engine(formation).scale(changed))
        return self._wait(formation, targets, wait, Baseline.of(snapshot))

    def restart(self, formation: Formation, types: Sequence[str], wait: WaitOptions) -> Status:
        """A rolling replacement of every task of these types (`docker service update --force`)."""
        snapshot = self.snapshot(formation)
        missing = [name for name in types if snapshot.service(name) is None]
        if missing:
            raise UsageError(f"{', '.join(missing)}: not deployed on swarm yet; run `procfleet deploy -b swarm`")
        engine = self.engine(formation)
        # one service after another, each waited for by procfleet's own wait, not the docker CLI's: that one
        # never returns when a restarted one-shot task exits and Swarm rolls the update back (its progress
        # waits for tasks that run), where this wait says which task ended and how
        for name in types:
            service = snapshot.service(name)
            if service is None:
                continue
            baseline = Baseline.of(snapshot)
            engine.restart([service.name], detach=True)
            if wait.wait:
                self._update_seen(formation, name, baseline, wait.timeout)
                self._wait(formation, {name: service.replicas}, wait, baseline)
                snapshot = self.snapshot(formation)
        return self.observe(formation)[0]

    def _update_seen(self, formation: Formation, process: str, baseline: Baseline, timeout: float) -> None:
        """Wait until the manager has begun the update just asked for (its UpdateStatus is new): until then the
        old tasks still look like the outcome. Gives up quietly after a while; the wait that follows covers it."""
        deadline = time.monotonic() + min(timeout, UPDATE_SEEN_SECONDS)
        while time.monotonic() < deadline:
            current = self.snapshot(formation).service(process)
            if current is None or baseline.new_update(current):
                return
            time.sleep(converge.POLL_SECONDS)

    def status(self, formation: Formation) -> Status:
        """Per type desired/running/healthy; per task its node, state, ports, earlier failures, uptime, error."""
        return self.observe(formation)[0]

    def logs(self, formation: Formation, types: Sequence[str], follow: bool, tail: int | None) -> None:
        """`docker service logs --timestamps [-f] [--tail N] [--since T]` of each type's service (all of them at
        once with -f); a type with no service has no lines."""
        services = {s.process: s for s in self.owned_services(formation)}
        if not services:
            raise not_deployed(formation.app.name, self.name)
        chosen = [services[name] for name in (types or formation.processes) if name in services]
        writer = log_writer(self.session, formation, self.name, types,
                            [f"{s.process}.{s.replicas}" for s in chosen if s.replicas])
        engine = self.engine(formation)
        if chosen and (follow or not engine.recent_logs(chosen, tail, self.session.since, writer)):
            engine.logs([s.name for s in chosen], follow, tail, self.session.since, writer)
        if not follow:
            writer.finish()

    def run(self, formation: Formation, argv: Sequence[str], process: str | None) -> int:
        """A one-off container of the type (the first by default) on this node, on the stack's network."""
        name = process or next(iter(formation.processes))
        the_type = formation.processes[name]
        image = translate.image(formation, the_type)
        engine = self.engine(formation)
        self.owned_services(formation)
        network = translate.network_name(engine.stack)
        if network not in engine.networks():
            raise NotRunning(self._not_deployed(formation) + " (a one-off joins the stack's network)")
        env = translate.environment(formation, the_type)
        tty = self.session.out.isatty() and sys.stdin is not None and sys.stdin.isatty()
        command = ["run", "--rm", "--init", "--network", network, "--entrypoint", SHELL[0],
                   "--label", f"{APP_LABEL}={formation.app.name}", "--label", f"{PROCESS_LABEL}={name}",
                   "--label", f"{ONEOFF_LABEL}=true", *(["-i", "-t"] if tty else []),
                   image, *SHELL[1:], shlex.join(argv)]
        return engine.run(command, env, tty, self.session.out, self.session.err)

    def definitions(self, formation: Formation) -> Mapping[str, ProcessType] | None:
        """Each service as the stack runs it, read back from what Swarm holds."""
        return exported_definitions(self, self.stack(formation), self.session.environ)

    def export(self, app: str) -> ExportedApp | None:
        """The services of the stack `app` as a stack file, with each one's replicas; reads only."""
        return exported(app, Engine(app).inspect_services())

    def down(self, formation: Formation, purge: bool) -> None:
        """`docker stack rm`, then wait until the stack's networks are gone (Swarm removes them after the last task).

        Until then a new deploy of the same stack would fail on them; exited containers Swarm clears on its own.
        """
        engine = self.engine(formation)
        services = self.owned_services(formation)
        networks = engine.networks()
        theirs = [network for network, app in networks.items() if app != formation.app.name]
        if theirs:
            raise PlatformError(f'the stack "{engine.stack}" has networks procfleet did not create for '
                                f"{formation.app.name} ({', '.join(theirs)}): procfleet only touches what it owns")
        if not services and not networks:
            return
        deadline = time.monotonic() + DOWN_TIMEOUT
        self._remove_stack(engine, deadline)
        while networks:
            if time.monotonic() >= deadline:
                raise NotConverged(f"the stack {engine.stack} was removed, but after {format_duration(DOWN_TIMEOUT)} "
                                   f"its networks are still there ({', '.join(networks)}): see "
                                   f"`docker stack ps {engine.stack}` and `docker network inspect`")
            time.sleep(DOWN_POLL)
            networks = engine.networks()

    @staticmethod
    def _remove_stack(engine: Engine, deadline: float) -> None:
        """`docker stack rm`, again while a network is still held by a task of a service it has just removed.

        The CLI removes the networks right after the services, before Swarm has let their tasks go; the engine then
        refuses with "in use by task". A second `stack rm` (services already gone) removes only the networks.
        """
        while True:
            try:
                engine.remove()
                return
            except PlatformError as exc:
                if NETWORK_IN_USE not in str(exc) or time.monotonic() >= deadline:
                    raise
            time.sleep(DOWN_POLL)

    def _not_deployed(self, formation: Formation) -> str:
        return (f"{formation.app.name} is not deployed on swarm: start it with "
                "`procfleet deploy --backend swarm`")
