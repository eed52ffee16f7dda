"""migrate: the formation onto another platform with the live counts of the one it runs on now."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from procfleet import registry
from procfleet.actions.context import Context, load_formation
from procfleet.backend import Backend, WaitOptions
from procfleet.errors import NotRunning, PlatformError, UsageError
from procfleet.jsonshape import plan_json, status_json
from procfleet.plan import make_plan


@dataclass
class Migration:
    """Each step taken, in order, with what it found or did; `failed` names the step that stopped it."""

    source: str
    target: str
    steps: list[dict[str, Any]] = field(default_factory=list)
    failed: str = ""
    error: str = ""


def migrate(ctx: Context, source: str, target: str, drain: bool, wait: WaitOptions,
            report: Callable[[str], None]) -> Migration:
    """Deploy on target with source's live counts, wait until healthy, then (with drain) scale source to zero.

    If the target does not become healthy, the source is left exactly as it was and the result says which step
    failed and why.
    """
    if source == target:
        raise UsageError(f"--from and --to are both {source}: nothing to migrate")
    formation = load_formation(ctx)
    origin: Backend = registry.load(source)(ctx.session())
    destination: Backend = registry.load(target)(ctx.session())
    migration = Migration(source=source, target=target)

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
    plan = make_plan(formation, target, target_live, keep_counts=False, carried=counts)
    report(f"deploying on {target}: " + " ".join(f"{name}={count}" for name, count in plan.counts.items()))
    try:
        outcome = destination.apply(formation, plan, WaitOptions(wait=True, timeout=wait.timeout,
                                                                  progress=wait.progress))
    except PlatformError as exc:
        return _failed(migration, plan_json(plan), str(exc))
    if outcome.exit_code:
        return _failed(migration, plan_json(plan), outcome.message or f"exit status {int(outcome.exit_code)}")
    migration.steps.append({"step": "deploy", "backend": target, "plan": plan_json(plan),
                            "status": status_json(outcome.status) if outcome.status else None})
    report(f"{target} is healthy")

    if drain:
        zero = dict.fromkeys(counts, 0)
        status = origin.scale(formation, zero, WaitOptions(wait=True, timeout=wait.timeout, progress=wait.progress))
        migration.steps.append({"step": "drain", "backend": source, "status": status_json(status)})
        report(f"{source} scaled to zero")
    else:
        migration.steps.append({"step": "drain", "backend": source, "skipped": True})
        report(f"{source} still runs: pass --drain to scale it to zero once {target} is healthy")
    return migration


def _failed(migration: Migration, plan: dict[str, Any], reason: str) -> Migration:
    migration.steps.append({"step": "deploy", "backend": migration.target, "plan": plan, "error": reason})
    migration.failed = "deploy"
    migration.error = f"{migration.target} did not become healthy, {migration.source} left untouched: {reason}"
    return migration
