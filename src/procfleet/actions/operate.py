"""plan, deploy, scale, ps, logs, run and down: the commands that act on a platform through its backend."""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from procfleet import diff
from procfleet.actions.context import Context, backend_name, load_formation, open_backend
from procfleet.backend import Backend, Outcome, ProgressCallback, Status, WaitOptions, max_count
from procfleet.errors import NotRunning, UsageError
from procfleet.locks import app_lock
from procfleet.loglines import parse_since
from procfleet.model import Formation
from procfleet.plan import Plan, fingerprint_for, make_plan
from procfleet.scaling import parse_specs, resolve_targets
from procfleet.validation import unknown_type


def _open(ctx: Context, warn: bool = False) -> tuple[Formation, Backend]:
    formation = load_formation(ctx, only_in_use=True)
    return formation, open_backend(ctx, formation, warn)


def _with_fields(the_plan: Plan, formation: Formation, backend: Backend) -> Plan:
    """The plan with each changed type's field-by-field diff, from the definitions the platform runs."""
    changed = [change for change in the_plan.changes if change.definition_changed]
    method = getattr(backend, "definitions", None)
    if not changed or method is None:
        return the_plan
    live = method(formation) or {}
    with_fields = []
    for change in the_plan.changes:
        running = live.get(change.process)
        if change.definition_changed and running is not None and change.process in formation.processes:
            fields = tuple(diff.changes(running, formation, formation.processes[change.process]))
            with_fields.append(dataclasses.replace(change, fields=fields))
        else:
            with_fields.append(change)
    return dataclasses.replace(the_plan, changes=tuple(with_fields))


def _runnable_here(formation: Formation, backend: Backend) -> None:
    """Render the formation for the backend and drop it: rendering is where a backend refuses what its platform
    cannot run (compose without an image, a signal Nomad clients cannot send), before any plan is printed."""
    backend.render(formation, backend.formats[0])


def plan(ctx: Context, keep_counts: bool) -> Plan:
    """What deploy would change on the chosen backend."""
    formation, backend = _open(ctx, warn=True)
    _runnable_here(formation, backend)
    return _with_fields(make_plan(formation, backend.name, backend.live(formation), keep_counts,
                                  fingerprint_of=fingerprint_for(backend)), formation, backend)


@dataclass(frozen=True)
class Deployed:
    """The plan that was applied and what applying it came to."""

    plan: Plan
    outcome: Outcome


def deploy(ctx: Context, keep_counts: bool, wait: WaitOptions,
           show_plan: Callable[[Plan], None] | None = None, only: Sequence[str] = (), force: bool = False) -> Deployed:
    """Plan, show the plan, apply it, and wait for the platform, under the app's lock (see locks.py)."""
    formation, backend = _open(ctx, warn=True)
    _runnable_here(formation, backend)
    if ctx.exit_with or ctx.abort_on_exit:
        if not getattr(backend, "runs_in_foreground", False):
            raise UsageError(f"--exit-with and --abort-on-exit end a foreground supervisor: the {backend.name} "
                             "backend runs the app detached (watch it with `procfleet ps` or `logs -f`)")
        _known_types(formation, ctx.exit_with)
    _known_types(formation, only)
    with contextlib.ExitStack() as held:
        held.enter_context(_change_lock(ctx, backend, formation))
        live = backend.live(formation)
        if (ctx.exit_with or ctx.abort_on_exit) and live:
            # a running supervisor keeps the ending it was started with: reconciling it quietly would let the user
            # believe it now ends with this deploy's choice
            raise UsageError("--exit-with and --abort-on-exit apply to a supervisor this deploy starts: one already "
                             "runs this app; `procfleet down` it first, or deploy without them to reconcile it")
        the_plan = _with_fields(make_plan(formation, backend.name, live, keep_counts,
                                          fingerprint_of=fingerprint_for(backend), only=only), formation, backend)
        if show_plan is not None:
            show_plan(the_plan)
        if getattr(backend, "runs_in_foreground", False) and not live:
            # about to become the supervisor until it stops: its own lock (one supervisor per app) serialises
            # from here, and scale must reach it meanwhile
            held.close()
        elif not the_plan.pending and not force:
            settled = _already_running(formation, backend, the_plan)
            if settled is not None:  # as terraform apply with no changes: nothing sent to the platform
                return Deployed(plan=the_plan, outcome=Outcome(status=settled))
        outcome = backend.apply(formation, the_plan, wait)
    return Deployed(plan=the_plan, outcome=outcome)


def _already_running(formation: Formation, backend: Backend, the_plan: Plan) -> Status | None:
    """The status, when the platform runs every type at its count (healthy where checked) and the plan changes
    nothing; None when something is not up (an instance exited, a task pending): then deploy applies as usual,
    which is what starts it again."""
    if getattr(backend, "runs_in_foreground", False):
        return None  # a running supervisor reconciles in a moment, and is what tells its terminal
    status = backend.status(formation)
    needs_health = {name: process.health is not None for name, process in formation.processes.items()}
    return status if status.converged(the_plan.counts, needs_health) else None


def _change_lock(ctx: Context, backend: Backend, formation: Formation) -> contextlib.AbstractContextManager[None]:
    """The app's lock, saying so when another deploy or scale holds it and this one waits."""
    def waiting() -> None:
        ctx.output.info(f"waiting for another procfleet deploy or scale of {formation.app.name} on "
                        f"{backend.name} to finish")

    return app_lock(backend.name, formation.app.name, waiting=waiting)


@dataclass(frozen=True)
class Scaled:
    """The targets asked for, the status reached, and notes for the user."""

    targets: dict[str, int]
    status: Status
    notes: list[str] = field(default_factory=list)


def scale(ctx: Context, arguments: Sequence[str], wait: WaitOptions, save: bool) -> Scaled:
    """Resolve `web=3 worker+2` against live counts and drive the platform's own replica mechanism."""
    specs = parse_specs(arguments)
    formation, backend = _open(ctx)
    # read, resolve and send under one lock: ten `scale web+1` at once end at +10, not +1
    with _change_lock(ctx, backend, formation):
        live = backend.live(formation)
        hint = move_hint(ctx, formation, backend.name, any(item.count for item in live.values()))
        if hint and ctx.backend is None:  # a default that still names the platform the app left
            raise NotRunning(f"{hint}; pass -b {backend.name} to scale it here all the same")
        if not live:
            raise NotRunning(f'{formation.app.name} is not running on {backend.name}: start it with '
                             f'`procfleet deploy --backend {backend.name}`')
        current = {name: item.count for name, item in live.items()}
        targets = resolve_targets(specs, formation.processes, current)
        ceiling = max_count(type(backend))
        for name, target in targets.items():
            if target > ceiling:  # refused before any platform call: a running supervisor never sees it
                raise UsageError(f"{name}={target}: the {backend.name} backend runs at most {ceiling} instances "
                                 "of a type")
        if wait.wait or any(current.get(name) != target for name, target in targets.items()):
            status = backend.scale(formation, targets, wait)
        else:  # every type already at its target: nothing to send, as `heroku ps:scale` to the same count
            status = backend.status(formation)
    notes = []
    if save:
        from procfleet.writer import save_counts  # tomlkit is loaded only when a file is written

        save_counts(formation.source, formation.key_prefix, targets)
        notes.append(f"saved the new counts in {formation.source}")
    else:
        pinned = [name for name in targets if formation.processes[name].count is not None]
        if pinned:
            notes.append(f"{', '.join(pinned)}: the formation file sets a count, so the next deploy returns to it "
                         "(use --save to keep this one)")
    return Scaled(targets=targets, status=status, notes=notes)


def move_hint(ctx: Context, formation: Formation, backend: str, runs: bool) -> str:
    """When nothing of the app runs on this backend and migrate last moved it away from here: where it went."""
    from procfleet import moves

    move = None if runs else moves.moved_away(formation.source, formation.app.name, backend, dict(ctx.environ))
    if move is None:
        return ""
    return (f"nothing of {formation.app.name} runs on {backend}: `procfleet migrate` moved it to {move.target} on "
            f"{move.when()} (use -b {move.target})")


@dataclass(frozen=True)
class Shown:
    """ps's status, and where the app went if it left this backend."""

    status: Status
    hint: str = ""


def ps(ctx: Context, types: Sequence[str] = ()) -> Shown:
    """Per type and per instance state on the chosen backend; only these types when some are named."""
    formation, backend = _open(ctx)
    _known_types(formation, types)
    status = backend.status(formation)
    hint = move_hint(ctx, formation, backend.name, any(item.running for item in status.types))
    if not types:
        return Shown(status, hint)
    return Shown(dataclasses.replace(status, types=tuple(t for t in status.types if t.name in types),
                                     instances=tuple(i for i in status.instances if i.process in types)), hint)


def logs(ctx: Context, types: Sequence[str], follow: bool, tail: int | None, since: str | None = None) -> None:
    """Print the app's logs, optionally only some types, only the last lines, only those written since a time."""
    if since is not None:  # a bad --since is a usage error before anything is read
        ctx = dataclasses.replace(ctx, since=parse_since(since, time.time()))
    formation, backend = _open(ctx)
    _known_types(formation, types)
    backend.logs(formation, types, follow, tail)


def run(ctx: Context, argv: Sequence[str], process: str | None) -> int:
    """Run a one-off command with the app's env; its exit status is returned."""
    if not argv:
        raise UsageError("nothing to run: give the command after --, e.g. procfleet run -- env")
    formation, backend = _open(ctx)
    if process is not None:
        _known_types(formation, [process])
    if len(argv) == 1 and argv[0] in formation.processes and process in (None, argv[0]):
        # `foreman run web`: a type's name runs that type's command, with its env (and image, elsewhere)
        process = argv[0]
        the_type = formation.processes[process]
        type_argv = the_type.argv()
        if the_type.command is not None:
            argv = ["/bin/sh", "-c", the_type.command]
        elif type_argv:
            argv = list(type_argv)
        else:
            raise UsageError(f"{process} runs its image's own command: give the command to run after --")
    return backend.run(formation, argv, process)


def counts(ctx: Context) -> tuple[dict[str, int], str]:
    """The live count of every type of the formation (0 for a type not running), for `scale` with no argument,
    and where the app went if it left this backend."""
    formation, backend = _open(ctx)
    live = backend.live(formation)
    found = {name: live[name].count if name in live else 0 for name in formation.processes}
    return found, move_hint(ctx, formation, backend.name, any(found.values()))


def restart(ctx: Context, types: Sequence[str], wait: WaitOptions) -> Status:
    """Restart these types' instances (every type when none is named), the platform's own way."""
    formation, backend = _open(ctx)
    _known_types(formation, types)
    method = getattr(backend, "restart", None)
    if method is None:
        raise UsageError(f"restart is not offered on {backend.name} yet: `procfleet deploy` after a change restarts "
                         "what changed")
    status: Status = method(formation, list(types) or list(formation.processes), wait)
    return status


def down(ctx: Context, purge: bool, progress: ProgressCallback | None = None) -> tuple[str, str]:
    """Stop and remove the app on the chosen backend, the progress view watching it go; returns the app's name
    and the backend's."""
    formation, backend = _open(ctx)
    with watching(backend, formation, progress):
        backend.down(formation, purge)
    return formation.app.name, backend_name(ctx, formation)


@contextlib.contextmanager
def watching(backend: Backend, formation: Formation, progress: ProgressCallback | None,
             every: float = 0.5) -> Iterator[None]:
    """Show the platform's status to progress every half second while the block runs (down has no wait loop of
    its own to report from); a read that fails meanwhile is skipped: the block's own errors are what count."""
    if progress is None:
        yield
        return
    done = threading.Event()

    def watch() -> None:
        while not done.wait(every):
            try:
                status = backend.status(formation)
            except Exception:  # a read racing the removal it watches: the next one will do
                continue
            if not done.is_set():
                progress(dataclasses.replace(status, types=tuple(
                    dataclasses.replace(t, desired=0) for t in status.types)))

    watcher = threading.Thread(target=watch, name="procfleet-down-progress", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


def _known_types(formation: Formation, types: Sequence[str]) -> None:
    names = list(formation.processes)
    for name in types:
        if name not in names:
            raise UsageError(unknown_type(name, names))
