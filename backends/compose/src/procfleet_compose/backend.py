"""The compose backend's entry point: the Backend protocol on Docker Compose v2, one service per process type."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from procfleet.backend import FEATURES, ExportedApp, LiveType, Outcome, RenderedFile, Session, Status, WaitOptions
from procfleet.diff import exported_definitions
from procfleet.errors import PlatformError, UsageError
from procfleet.loglines import log_writer, not_deployed
from procfleet.model import App, Formation, ProcessType, fingerprint
from procfleet.plan import Plan
from procfleet.validation import Where
from procfleet_compose import composefile, converge
from procfleet_compose import options as compose_options
from procfleet_compose.engine import Echo, Engine
from procfleet_compose.export import exported
from procfleet_compose.status import Container, build_status, foreign, live_types
from procfleet_compose.translate import FINGERPRINT_LABEL, compose_document, file_counts, option_extras

Snapshot = tuple[Status, list[Container]]


class ComposeBackend:
    """Runs the formation as a Docker Compose project named after the app."""

    name: ClassVar[str] = "compose"
    features: ClassVar[frozenset[str]] = frozenset(FEATURES)
    # Compose does not tell a replica its number (docker/compose#9153, closed without it): every replica of a
    # service shares one environment.
    differences: ClassVar[dict[str, str]] = {
        "instance-number": "PROCFLEET_PROCESS is the type name (web); logs still name the instances web.1",
    }
    formats: ClassVar[tuple[str, ...]] = ("compose",)
    max_count: ClassVar[int] = 1000  # containers of one service on this one engine

    def __init__(self, session: Session) -> None:
        self.session = session
        self._engines: dict[tuple[str, Path], Engine] = {}
        self._owned: set[str] = set()  # projects whose containers were all found to be procfleet's, this invocation

    def validate_options(self, options: Mapping[str, Any], where: Where) -> Mapping[str, Any]:
        """Check `[backends.compose]`."""
        return compose_options.validate(options, where)

    def fingerprint(self, formation: Formation, process: ProcessType) -> str:
        """The definition hash `plan` compares, with the compose options that shape this type's containers."""
        return fingerprint(formation, process, option_extras(process, compose_options.settings(formation)))

    def render(self, formation: Formation, fmt: str) -> list[RenderedFile]:
        """compose.yaml with the file's counts (a type without one: 1), env files relative to the formation."""
        document = compose_document(formation, file_counts(formation), compose_options.settings(formation))
        return [RenderedFile("compose.yaml", composefile.to_yaml(document, formation))]

    # -- where things are ------------------------------------------------------------------------------------

    def project(self, formation: Formation) -> str:
        """The Compose project: the app's name unless `[backends.compose] project` says otherwise."""
        return compose_options.settings(formation).project_for(formation)

    def compose_file(self, formation: Formation) -> Path:
        """procfleet's own copy of what it applied, in `<formation folder>/.procfleet/compose/`."""
        folder = (self.session.cwd / formation.source).resolve().parent
        return composefile.stored_path(folder, self.project(formation))

    def engine(self, formation: Formation) -> Engine:
        """The project on the engine (python-on-whales is imported when it is first asked something)."""
        key = (self.project(formation), self.compose_file(formation))
        if key not in self._engines:
            self._engines[key] = Engine(formation, key[0], key[1])
        return self._engines[key]

    def owned_containers(self, formation: Formation) -> list[Container]:
        """The project's containers, refusing to go on if any of them is not procfleet's for this app."""
        engine = self.engine(formation)
        containers = engine.containers()
        strangers = foreign(containers, formation.app.name)
        if strangers:
            names = ", ".join(c.name for c in strangers[:3])
            raise PlatformError(f'the Compose project "{engine.project}" has containers procfleet did not create '
                                f"for {formation.app.name} ({names}): procfleet only touches what it owns; set "
                                "[backends.compose] project to another name")
        self._owned.add(engine.project)
        return containers

    def stored(self, formation: Formation) -> dict[str, Any] | None:
        """The compose document procfleet last applied, if its copy is there."""
        return composefile.read(self.compose_file(formation))

    def observe(self, formation: Formation) -> Snapshot:
        """Status and containers, in one look at the engine."""
        containers = self.owned_containers(formation)
        desired = composefile.replicas(self.stored(formation))
        return build_status(formation, formation.app.name, containers, desired), containers

    def _wait(self, formation: Formation, targets: Mapping[str, int], wait: WaitOptions) -> Status:
        engine = self.engine(formation)
        if not wait.wait:
            return self.observe(formation)[0]
        return converge.wait_for(formation, targets, wait, lambda: self.observe(formation),
                                 lambda container: engine.tail(container, converge.LOG_LINES))

    def _echo(self, wait: WaitOptions) -> Echo | None:
        # Compose's own event stream ("Container shop-web-1  Started") only with -v: procfleet's progress view
        # says the same per type
        if wait.progress is None or not self.session.verbose:
            return None
        err = self.session.err

        def echo(line: str) -> None:
            err.write(line + "\n")
            err.flush()

        return echo

    # -- the protocol ---------------------------------------------------------------------------------------

    def live(self, formation: Formation) -> dict[str, LiveType]:
        """Each type's container count and fingerprint; a type scaled to zero is live with count 0."""
        live = live_types(self.owned_containers(formation))
        document = self.stored(formation) or {}
        replicas = composefile.replicas(document)
        # with containers, or every service scaled to zero (`scale worker=0` of the only type: deployed, at 0);
        # a copy asking for containers that are all gone is not live (they were removed: deploy adds them)
        if live or (replicas and not any(replicas.values())):
            for name, count in replicas.items():
                if count == 0 and name not in live:
                    labels = document["services"][name].get("labels") or {}
                    live[name] = LiveType(name=name, count=0, fingerprint=labels.get(FINGERPRINT_LABEL))
        return live

    def apply(self, formation: Formation, plan: Plan, wait: WaitOptions) -> Outcome:
        """Write the compose file for the plan's counts, `up -d --remove-orphans`, and wait for it."""
        counts = plan.counts
        document = compose_document(formation, counts, compose_options.settings(formation), cwd=self.session.cwd)
        # nothing of someone else's may become an orphan to remove (live() checked it when deploy planned)
        containers = self.owned_containers(formation)
        composefile.write(self.compose_file(formation), composefile.to_yaml(document, formation))
        built = [name for name, process in formation.processes.items() if formation.build_for(process)]
        if built:  # up builds only images that are missing; a changed Dockerfile or context must build again
            self.engine(formation).build(built)
        ended = converge.ended(formation, plan, containers)
        if ended:
            # the others by name, without --no-deps' dependencies (the ended ones) coming back: Compose keeps
            # the order among the named services and counts the others' containers as the project's, not orphans
            rest = [name for name in document["services"] if name not in ended]
            self.engine(formation).up(services=rest or None, dependencies=False, remove_orphans=True,
                                      start=bool(rest), echo=self._echo(wait))
        else:
            self.engine(formation).up(remove_orphans=True, echo=self._echo(wait))
        return Outcome(status=self._wait(formation, counts, wait))

    def scale(self, formation: Formation, targets: Mapping[str, int], wait: WaitOptions) -> Status:
        """`docker compose up -d --no-recreate --no-deps --scale T=N T`: containers that stay are untouched."""
        fixed = compose_options.settings(formation).ports
        for name, count in targets.items():
            if name in fixed and count > 1:
                raise UsageError(f"{name} has a fixed host port (backends.compose.ports.{name}), so it runs at most "
                                 "one instance: remove that key and deploy to publish ephemeral ports")
        document = self._document(formation)
        unknown = [name for name in targets if name not in (document.get("services") or {})]
        if unknown:
            raise UsageError(f"{', '.join(unknown)}: not deployed on compose yet; run `procfleet deploy -b compose`")
        document = composefile.with_replicas(document, targets)
        composefile.write(self.compose_file(formation), composefile.to_yaml(document, formation))
        self.engine(formation).up(services=list(targets), scales=targets, recreate=False, dependencies=False,
                                  echo=self._echo(wait))
        return self._wait(formation, targets, wait)

    def restart(self, formation: Formation, types: Sequence[str], wait: WaitOptions) -> Status:
        """`docker compose restart SERVICE…`: Compose's own restart (all containers of a service at once)."""
        document = self._document(formation)
        unknown = [name for name in types if name not in (document.get("services") or {})]
        if unknown:
            raise UsageError(f"{', '.join(unknown)}: not deployed on compose yet; run `procfleet deploy -b compose`")
        self.engine(formation).restart(types)
        replicas = {name: int((document["services"][name].get("deploy") or {}).get("replicas", 1)) for name in types}
        return self._wait(formation, replicas, wait)

    def status(self, formation: Formation) -> Status:
        """Per type desired/running/healthy; per container name, state, health, ports, restarts, uptime."""
        return self.observe(formation)[0]

    def logs(self, formation: Formation, types: Sequence[str], follow: bool, tail: int | None) -> None:
        """`docker compose logs --timestamps [TYPE…] [-f] [--tail N] [--since T]` of the services that exist."""
        stored = self.stored(formation)
        containers = [c for c in self.owned_containers(formation) if not c.oneoff]
        if stored is None and not containers:
            raise not_deployed(formation.app.name, self.name)
        document = self._document(formation, stored)
        # a type not in the project (added to the formation since, or never deployed) has no lines to show; Compose
        # would refuse the whole command for it
        services = [name for name in types if name in (document.get("services") or {})]
        chosen = [c for c in containers if not types or c.process in types]
        writer = log_writer(self.session, formation, self.name, types, [f"{c.process}.{c.number}" for c in chosen])
        engine = self.engine(formation)
        if (follow or not engine.recent_logs(chosen, tail, self.session.since, writer)) and (services or not types):
            engine.logs(services, follow, tail, self.session.since, writer)
        if not follow:
            writer.finish()

    def run(self, formation: Formation, argv: Sequence[str], process: str | None) -> int:
        """A one-off container of the type's service (the first type by default): image, env, network."""
        service = process or next(iter(formation.processes))
        self._document(formation)
        tty = self.session.out.isatty() and _stdin_is_tty()
        return self.engine(formation).run(service, shlex.join(argv), tty, self.session.out, self.session.err)

    def down(self, formation: Formation, purge: bool) -> None:
        """`docker compose down --remove-orphans` on procfleet's project, then procfleet's copy goes too."""
        containers = self.owned_containers(formation)  # refuses when the project holds what is not procfleet's
        stored = self.stored(formation)
        if stored is None and not containers:
            # never deployed (or already down): nothing to stop, and no state file written just to say so
            self.session.err.write(f"nothing of {formation.app.name} runs on compose: nothing to stop\n")
            return
        self._document(formation, stored)
        self.engine(formation).down()
        path = self.compose_file(formation)
        if path.exists() and composefile.is_ours(path):
            path.unlink()
        composefile.remove_empty_state(path)

    def definitions(self, formation: Formation) -> Mapping[str, ProcessType] | None:
        """Each service as the project runs it, read back from the file its containers were started from."""
        return exported_definitions(self, self.project(formation), self.session.environ)

    def export(self, app: str) -> ExportedApp | None:
        """The file the Compose project `app` was started from, and its containers per service; reads only."""
        placeholder = Formation(app=App(name=app), processes={})  # the engine wants one for its error messages
        return exported(app, Engine(placeholder, app).containers())

    def _document(self, formation: Formation, stored: dict[str, Any] | None = None) -> dict[str, Any]:
        """procfleet's copy of the compose file (stored: as the caller already read it), re-created at the live
        counts if it is gone (deployed elsewhere).

        Compose always gets a file procfleet wrote: without one it would read a compose.yaml in the working folder.
        """
        document = stored if stored is not None else self.stored(formation)
        if document is None:
            live = {name: item.count for name, item in self.live(formation).items()}
            counts = {name: live.get(name, 0) for name in formation.processes}
            document = compose_document(formation, counts, compose_options.settings(formation), cwd=self.session.cwd)
            composefile.write(self.compose_file(formation), composefile.to_yaml(document, formation))
        return document


def _stdin_is_tty() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()
