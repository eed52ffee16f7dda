"""The systemd backend's entry point: the Backend protocol on the operating system's own process manager."""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from procfleet.backend import ExportedApp, InstanceStatus, LiveType, Outcome, RenderedFile, Session, Status, WaitOptions
from procfleet.diff import exported_definitions
from procfleet.errors import PlatformError, UsageError
from procfleet.loglines import log_writer, not_deployed
from procfleet.model import Formation, ProcessType
from procfleet.plan import Plan
from procfleet.validation import Where
from procfleet_systemd import converge, journal, names, rollout, translate, unitfiles
from procfleet_systemd import options as systemd_options
from procfleet_systemd.export import exported
from procfleet_systemd.layout import Layout, layout
from procfleet_systemd.manager import Manager
from procfleet_systemd.status import PROPERTIES, Unit, build_status, stays_down, unit_from
from procfleet_systemd.unitfiles import Installed, installed

LOG_LINES = 5  # of a crashed instance, in the error that says so


class SystemdBackend:
    """Runs each process type as a template unit `<app>-<type>@.service`, its instances `@1…@N`."""

    name: ClassVar[str] = "systemd"
    # No health check: systemd has no probe of its own to run one with (only sd_notify's watchdog, which the
    # program itself must feed), so `health` is declared as not honoured and ps shows no health column.
    features: ClassVar[frozenset[str]] = frozenset({
        "count", "port", "env", "env_file", "restart", "stop_signal", "stop_timeout", "resources.cpu",
        "resources.memory",
    })
    formats: ClassVar[tuple[str, ...]] = ("units",)
    max_count: ClassVar[int] = 1000  # instances of one type; Foreman's scheme gives each type 100 ports, see docs

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- where things are ------------------------------------------------------------------------------------

    def validate_options(self, options: Mapping[str, Any], where: Where) -> Mapping[str, Any]:
        """Check `[backends.systemd]`."""
        return systemd_options.validate(options, where)

    def layout(self, formation: Formation) -> Layout:
        """The manager the formation runs under: the user's by default, the system's with scope = "system"."""
        return layout(systemd_options.settings(formation).scope, self.session.environ)

    def folder(self, formation: Formation) -> Path:
        """The instances' working directory: [backends.systemd] working_directory, else the formation's folder."""
        given = systemd_options.settings(formation).working_directory
        return given or (self.session.cwd / formation.source).resolve().parent

    def fingerprint(self, formation: Formation, process: ProcessType) -> str:
        """The definition hash `plan` compares, with the options that shape the units."""
        return translate.type_fingerprint(formation, process, systemd_options.settings(formation),
                                          self.folder(formation))

    def _manager(self, formation: Formation) -> Manager:
        return Manager(self.layout(formation), self.session.environ)

    def _files(self, formation: Formation, secrets_masked: bool = False) -> list[tuple[Path, str, int]]:
        """Every file a deploy writes, with its mode: the target, then each type's template and environment."""
        translate.check_names(formation)
        where, options, folder = self.layout(formation), systemd_options.settings(formation), self.folder(formation)
        app = formation.app.name
        files = [(where.unit_dir / names.target(app), translate.target_unit(formation, where), 0o644)]
        for name, process in formation.processes.items():
            files.append((where.unit_dir / names.template(app, name),
                          translate.template_unit(formation, process, options, where, folder), 0o644))
            files.append((where.env_dir / names.env_file(app, name),
                          translate.env_file(formation, process, secrets_masked), rollout.ENV_FILE_MODE))
        return files

    def render(self, formation: Formation, fmt: str) -> list[RenderedFile]:
        """The target, each type's template unit and its environment file (secret-looking values masked)."""
        return [RenderedFile(path.name, text) for path, text, _ in self._files(formation, secrets_masked=True)]

    # -- what runs ------------------------------------------------------------------------------------------

    def _installed(self, formation: Formation) -> Installed:
        return installed(self.layout(formation), formation.app.name)

    def _units(self, manager: Manager, found: Installed) -> list[Unit]:
        """Every instance of the app's types that is enabled, or loaded and not idle (started by hand, failing)."""
        templates = {kind.template: kind for kind in found.types.values()}
        numbers: dict[str, set[int]] = {kind.process: set(kind.enabled) for kind in found.types.values()}
        if templates:
            for unit in manager.loaded(f"{found.app}-*@*.service"):
                parsed = names.parse_instance(unit)
                if parsed is not None and parsed[0] in templates:
                    numbers[templates[parsed[0]].process].add(parsed[1])
        wanted = [(process, number) for process, found_numbers in numbers.items() for number in sorted(found_numbers)]
        shown = manager.show([names.instance(found.app, p, n) for p, n in wanted], PROPERTIES)
        units = [unit_from(block, p, n) for (p, n), block in zip(wanted, shown, strict=False)]
        enabled = {(kind.process, n) for kind in found.types.values() for n in kind.enabled}
        return [u for u in units if (u.process, u.number) in enabled or u.active not in ("inactive",)]

    def _observe(self, formation: Formation) -> tuple[Status, list[Unit]]:
        manager, found = self._manager(formation), self._installed(formation)
        units = self._units(manager, found) if found.types else []
        options = systemd_options.settings(formation)
        ports = {name: translate.first_port(formation, p, options) for name, p in formation.processes.items()}
        desired = {kind.process: len(kind.enabled) for kind in found.types.values()}
        order = [name for name in formation.processes if name in found.types]
        return build_status(formation.app.name, order, desired, units, ports, time.monotonic(),
                            _restart_policies(formation)), units

    def live(self, formation: Formation) -> dict[str, LiveType]:
        """Each installed type, its enabled instances as the count, and the fingerprint its template carries."""
        return {kind.process: LiveType(kind.process, len(kind.enabled), kind.fingerprint)
                for kind in self._installed(formation).types.values()}

    def status(self, formation: Formation) -> Status:
        """Per type desired (enabled) and running; per instance state, PID, PORT, restarts, uptime."""
        return self._observe(formation)[0]

    def definitions(self, formation: Formation) -> Mapping[str, ProcessType] | None:
        """Each type as its units run it, read back from the files procfleet wrote (for plan's field diff)."""
        return exported_definitions(self, formation.app.name, self.session.environ)

    def export(self, app: str) -> ExportedApp | None:
        """The app's units, from the user's manager or else the system's, as a Compose document; reads only."""
        for scope in systemd_options.SCOPES:
            found = installed(layout(scope, self.session.environ), app)
            if found.types:
                texts = {}
                for process in found.types:
                    path = found.layout.env_dir / names.env_file(app, process)
                    texts[process] = path.read_text(encoding="utf-8") if path.is_file() else ""
                return exported(found, texts)
        return None

    # -- changes --------------------------------------------------------------------------------------------

    def apply(self, formation: Formation, plan: Plan, wait: WaitOptions) -> Outcome:
        """Write the units, reload, start the target; then per type stop what is above its count, restart a
        changed type rolling, and start what is missing. An unchanged deploy writes and restarts nothing."""
        manager, found = self._manager(formation), self._installed(formation)
        files = self._files(formation)
        rollout.refuse_strangers(manager, [path for path, _, _ in files if path.suffix != ".env"])
        units = self._units(manager, found) if found.types else []
        running = _active(units)
        # what is enabled but did not run when this deploy began (crashed, stopped by hand) starts again, but for a
        # one-shot that ended by itself and that its policy leaves stopped: left so, as on the other backends and as
        # the plan says; one this deploy starts and that ends meanwhile is its policy's
        restarts = _restart_policies(formation)
        ended = {(u.process, u.number) for u in units if u.process in restarts and stays_down(u, restarts[u.process])}
        idle = {name: {n for n in kind.enabled if n not in running.get(name, set()) and (name, n) not in ended}
                for name, kind in found.types.items()}
        for change in plan.changes:
            if change.action == "remove" and change.process in found.types:
                rollout.remove_type(manager, found, change.process, running.get(change.process, ()))
        if rollout.write_files(files):
            manager.reload()
        target = names.target(formation.app.name)
        # starting the target, even an active one, starts every instance it wants that is not running: a finished
        # one-shot would run again, so an active target is only enabled (what is idle is handled below)
        shown = manager.show([target], ("ActiveState",))
        active = bool(shown) and shown[0].get("ActiveState") == "active"
        manager.systemctl("enable", "--quiet", *([] if active else ["--now"]), target)
        found = self._installed(formation)
        for change in plan.changes:
            if change.action == "remove":
                continue
            name, count, numbers = change.process, change.desired, running.get(change.process, set())
            rollout.stop_above(manager, found, name, count, numbers)
            if change.definition_changed:
                kept = [n for n in found.types[name].enabled if n <= count]
                rollout.rolling_restart(manager, found, name, kept,
                                        lambda unit: self._wait_unit(formation, unit, wait.timeout))
            rollout.start_missing(manager, found, name, count)
            if not change.definition_changed:  # a changed type's instances were all restarted just now
                rollout.start_stopped(manager, found, name, [n for n in idle.get(name, ()) if n <= count])
        return Outcome(status=self._wait(formation, plan.counts, wait))

    def scale(self, formation: Formation, targets: Mapping[str, int], wait: WaitOptions) -> Status:
        """Start `@N+1…` or stop the highest instances of each type; the others are not touched."""
        manager, found = self._manager(formation), self._installed(formation)
        unknown = [name for name in targets if name not in found.types]
        if unknown:
            raise UsageError(f"{', '.join(unknown)}: not deployed on systemd yet; run `procfleet deploy -b systemd`")
        running = self._running(manager, found)
        for name, count in targets.items():
            rollout.scale_type(manager, found, name, count, running.get(name, set()))
        return self._wait(formation, targets, wait)

    def restart(self, formation: Formation, types: Sequence[str], wait: WaitOptions) -> Status:
        """Restart each type's instances one after another (`systemctl restart`), each running before the next."""
        manager, found = self._manager(formation), self._installed(formation)
        unknown = [name for name in types if name not in found.types]
        if unknown:
            raise UsageError(f"{', '.join(unknown)}: not deployed on systemd yet; run `procfleet deploy -b systemd`")
        for name in types:
            rollout.rolling_restart(manager, found, name, found.types[name].enabled,
                                    lambda unit: self._wait_unit(formation, unit, wait.timeout))
        return self._wait(formation, {name: len(found.types[name].enabled) for name in types}, wait)

    def down(self, formation: Formation, purge: bool) -> None:
        """Stop and disable every instance, then remove the units and environment files procfleet wrote."""
        manager, found = self._manager(formation), self._installed(formation)
        if not found.exists:
            self.session.err.write(f"nothing of {formation.app.name} runs on systemd: nothing to stop\n")
            return
        running = self._running(manager, found)
        for process in list(found.types):
            rollout.remove_type(manager, found, process, running.get(process, ()))
        rollout.remove_app(manager, found)

    # -- output ---------------------------------------------------------------------------------------------

    def logs(self, formation: Formation, types: Sequence[str], follow: bool, tail: int | None) -> None:
        """Each instance's lines from the journal, as every backend prints them; with tail, the last N of each."""
        manager, found = self._manager(formation), self._installed(formation)
        if not found.exists:
            raise not_deployed(formation.app.name, self.name)
        units = {names.instance(found.app, u.process, u.number): (u.name, u.process)
                 for u in self._units(manager, found) if not types or u.process in types}
        writer = log_writer(self.session, formation, self.name, types, [name for name, _ in units.values()])
        book, since = journal.Journal(self.layout(formation), self.session.environ), self.session.since
        entries = book.read(units, tail, since) if units else []
        for entry in entries:
            writer.write(entry.line)
        if follow and units:
            for entry in book.follow(units, entries[-1].cursor if entries else None, since):
                writer.write(entry.line)
        if not follow:
            writer.finish()

    def run(self, formation: Formation, argv: Sequence[str], process: str | None) -> int:
        """`systemd-run --wait`: a one-off service with the app's environment file (the type's, if named), its
        folder, PROCFLEET_PROCESS=run.1 and, for a type, the PORT after its last instance's."""
        where, options = self.layout(formation), systemd_options.settings(formation)
        translate.check_names(formation)
        chosen = formation.processes[process] if process is not None else None
        env_path = where.env_dir / names.env_file(formation.app.name, None)
        unitfiles.write(env_path, translate.env_file(formation, chosen), rollout.ENV_FILE_MODE)
        settings = [f"--property=EnvironmentFile={env_path}", "--setenv=PROCFLEET_PROCESS=run.1",
                    f"--working-directory={self.folder(formation)}"]
        if chosen is not None:
            live = self.live(formation).get(chosen.name)
            count = live.count if live else (chosen.count or 1)
            settings.append(f"--setenv=PORT={translate.first_port(formation, chosen, options) + count}")
        interactive = sys.stdin is not None and sys.stdin.isatty() and self.session.out.isatty()
        unit = f"{formation.app.name}-run-{secrets.token_hex(3)}"
        command = ["systemd-run", *where.flags, "--quiet", "--wait", "--collect", f"--unit={unit}",
                   "--pty" if interactive else "--pipe", *settings, "--", *argv]
        try:
            return subprocess.run(command, env=dict(self.session.environ), check=False).returncode
        except FileNotFoundError:
            raise PlatformError("systemd-run is not installed: the systemd backend runs one-off commands with it") \
                from None

    # -- internals ------------------------------------------------------------------------------------------

    def _running(self, manager: Manager, found: Installed) -> dict[str, set[int]]:
        """The instance numbers of each type that are active (or activating) now."""
        return _active(self._units(manager, found) if found.types else [])

    def _wait(self, formation: Formation, targets: Mapping[str, int], wait: WaitOptions) -> Status:
        if not wait.wait:
            return self.status(formation)
        return converge.wait_for(formation, targets, wait, lambda: self.status(formation),
                                 lambda instance: self._last_lines(formation, instance))

    def _wait_unit(self, formation: Formation, unit: str, timeout: float) -> None:
        """During a rolling restart: until the instance has run for a moment, or systemd gave up on it."""
        template, number = names.parse_instance(unit) or (unit, 1)
        process_name = template[len(formation.app.name) + 1:-len("@.service")]
        converge.wait_for(formation, {process_name: number}, WaitOptions(timeout=timeout),
                          lambda: _only(self.status(formation), process_name, number),
                          lambda instance: self._last_lines(formation, instance))

    def _last_lines(self, formation: Formation, instance: InstanceStatus) -> list[str]:
        book = journal.Journal(self.layout(formation), self.session.environ)
        number = int(instance.name.rsplit(".", 1)[1])
        unit = names.instance(formation.app.name, instance.process, number)
        try:
            return [entry.line.text for entry in book.read({unit: (instance.name, instance.process)}, LOG_LINES)]
        except PlatformError:
            return []


def _only(status: Status, process: str, number: int) -> Status:
    """The status reduced to instances 1…number of one type (a rolling restart waits for the one it restarted)."""
    instances = tuple(i for i in status.instances if i.process == process and int(i.name.rsplit(".", 1)[1]) <= number)
    return Status(backend=status.backend, app=status.app, types=(), instances=instances)


def _active(units: Sequence[Unit]) -> dict[str, set[int]]:
    """The instance numbers of each type whose unit is active (or activating)."""
    running: dict[str, set[int]] = {}
    for unit in units:
        if unit.active in ("active", "activating", "reloading"):
            running.setdefault(unit.process, set()).add(unit.number)
    return running


def _restart_policies(formation: Formation) -> dict[str, str]:
    """Each type's restart policy."""
    return {name: process.restart for name, process in formation.processes.items()}
