"""migrate: the formation onto another platform with the live counts of the one it runs on now."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from procfleet import moves, registry
from procfleet.actions.context import Context, load_formation
from procfleet.backend import Backend, WaitOptions
from procfleet.errors import NotConverged, NotRunning, PlatformError, UsageError
from procfleet.jsonshape import plan_json, status_json
from procfleet.plan import fingerprint_for, make_plan


@dataclass
class Migration:
    """Each step taken, in order, with what it found or did; `failed` names the step that stopped it."""

    source: str
    target: str
    drain: bool
    steps: list[dict[str, Any]] = field(default_factory=list)
    failed: str | None = None  # "deploy" or "drain"
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The `migrate --json` document (docs/json.md)."""
        return {"from": self.source, "to": self.target, "drain": self.drain, "ok": self.failed is None,
                "failed": self.failed, "error": self.error, "steps": self.steps}


def migrate(ctx: Context, source: str, target: str, drain: bool, wait: WaitOptions,
            report: Callable[[str], None], drain_wait: WaitOptions | None = None) -> Migration:
    """Deploy on target with source's live counts, wait until healthy, then (with drain) scale source to zero.

    If the target does not become healthy, the source is left exactly as it was and the result says which step
    failed and why; what reached the target stays there, to be looked at or taken down.
    """
    if source == target:
        raise UsageError(f"--from and --to are both {source}: nothing to migrate")
    formation = load_formation(ctx)
    origin: Backend = registry.load(source)(ctx.session())
    destination: Backend = registry.load(target)(ctx.session())
    migration = Migration(source=source, target=target, drain=drain)
    waiting = WaitOptions(wait=True, timeout=wait.timeout, progress=wait.progress)

    live = origin.live(formation)
    if not live:
        raise NotRunning(f"{formation.app.name} is not running on {source}: nothing to migrate")
    counts = {name: item.count for name, item in live.items() if name in formation.processes}
    migration.steps.append({"step": "read", "backend": source, "counts": counts})
    report(f"{source} runs " + " ".join(f"{name}={count}" for name, count in counts.items()))

    target_live = destination.live(formation)
    if getattr(destination, "runs_in_foreground", False) and not target_live:
        # Its deploy would block this command until the supervisor stops; migrate reconciles a running one instead.
        raise UsageError(f"start {formation.app.name} on {target} first (`procfleet deploy --backend {target}` in "
                         "another terminal); migrate then brings it to the live counts")
    plan = make_plan(formation, target, target_live, keep_counts=False, carried=counts,
                     fingerprint_of=fingerprint_for(destination))
    report(f"deploying on {target}: " + " ".join(f"{name}={count}" for name, count in plan.counts.items()))
    step: dict[str, Any] = {"step": "deploy", "backend": target, "plan": plan_json(plan), "status": None,
                            "error": None}
    migration.steps.append(step)
    try:
        outcome = destination.apply(formation, plan, waiting)
    except NotConverged as exc:
        return _failed(migration, step, "deploy", str(exc), f"{target} did not become healthy")
    except PlatformError as exc:
        return _failed(migration, step, "deploy", str(exc), f"deploying on {target} failed")
    step["status"] = status_json(outcome.status) if outcome.status else None
    if outcome.exit_code:
        return _failed(migration, step, "deploy", outcome.message or f"exit status {int(outcome.exit_code)}",
                       f"deploying on {target} failed")
    report(f"{target} runs " + " ".join(f"{name}={count}" for name, count in plan.counts.items())
           + ", healthy where a check exists")

    drained: dict[str, Any] = {"step": "drain", "backend": source, "skipped": not drain, "status": None,
                               "error": None}
    migration.steps.append(drained)
    if not drain:
        report(f"{source} still runs: pass --drain to scale it to zero once {target} is healthy")
        moves.record(formation.source, formation.app.name, source, target, dict(ctx.environ))
        return migration
    try:
        # the drain's own wait (a progress view whose clock starts now, not at the deploy's start)
        draining = waiting if drain_wait is None else WaitOptions(wait=True, timeout=drain_wait.timeout,
                                                                  progress=drain_wait.progress)
        status = origin.scale(formation, dict.fromkeys(counts, 0), draining)
    except PlatformError as exc:
        return _failed(migration, drained, "drain", str(exc), f"scaling {source} to zero failed")
    drained["status"] = status_json(status)
    report(f"{source} scaled to zero")
    moves.record(formation.source, formation.app.name, source, target, dict(ctx.environ))
    return migration


def _failed(migration: Migration, step: dict[str, Any], name: str, reason: str, what: str) -> Migration:
    """Record the step's error; the message says what happened to each side."""
    step["error"] = reason
    migration.failed = name
    if name == "deploy":
        migration.error = (f"{what}, so {migration.source} was left untouched: {reason}\n(what reached "
                           f"{migration.target} is left as it is: `procfleet ps -b {migration.target}` shows it, "
                           f"`procfleet down -b {migration.target}` removes it)")
    else:
        migration.error = f"{migration.target} runs the app, healthy, but {what}: {reason}"
    return migration
