"""Why Nomad could not place allocations, from an evaluation's FailedTGAllocs, in the words `nomad job run` uses."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

Json = dict[str, Any]

# Evaluation statuses after which its FailedTGAllocs are final (nomad/structs/eval.go); "blocked" waits for capacity
# but has already recorded what it could not place.
SETTLED = frozenset({"complete", "failed", "cancelled", "blocked"})


def _quote(text: str) -> str:
    """Go's %q for the strings Nomad prints (constraints, datacenters, dimensions)."""
    return json.dumps(text, ensure_ascii=False)


def _counts(metric: Json, key: str) -> list[tuple[str, int]]:
    """A map of the metric, sorted so the message is stable (Go ranges over maps in random order)."""
    found: Mapping[str, int] = metric.get(key) or {}
    return sorted(found.items())


def metric_reasons(metric: Json) -> list[str]:
    """command/monitor.go formatAllocMetrics, one reason per line it would print (scores left out)."""
    reasons: list[str] = []
    if int(metric.get("NodesEvaluated") or 0) == 0:
        reasons.append("No nodes were eligible for evaluation")
    reasons += [f"No nodes are available in datacenter {_quote(dc)}"
                for dc, available in _counts(metric, "NodesAvailable") if available == 0]
    reasons += [f"Class {_quote(c)}: {n} nodes excluded by filter" for c, n in _counts(metric, "ClassFiltered")]
    reasons += [f"Constraint {_quote(c)}: {n} nodes excluded by filter"
                for c, n in _counts(metric, "ConstraintFiltered")]
    exhausted = int(metric.get("NodesExhausted") or 0)
    if exhausted > 0:
        reasons.append(f"Resources exhausted on {exhausted} nodes")
    reasons += [f"Class {_quote(c)} exhausted on {n} nodes" for c, n in _counts(metric, "ClassExhausted")]
    reasons += [f"Dimension {_quote(d)} exhausted on {n} nodes" for d, n in _counts(metric, "DimensionExhausted")]
    reasons += [f"Quota limit hit {_quote(q)}" for q in metric.get("QuotaExhausted") or []]
    return reasons


def group_line(group: str, metric: Json) -> str:
    """One line per task group: how many allocations failed (the monitor's count) and every reason."""
    failed = int(metric.get("CoalescedFailures") or 0) + 1
    noun = "allocation" if failed == 1 else "allocations"
    reasons = metric_reasons(metric) or ["Nomad gave no reason"]
    return f"{group}: {failed} {noun} could not be placed: " + "; ".join(reasons)


def placement_failure(evaluation: Json) -> list[str] | None:
    """The per-group lines for an evaluation that failed to place allocations, or None when it placed all."""
    failed: Mapping[str, Json] = evaluation.get("FailedTGAllocs") or {}
    if not failed:
        return None
    return [group_line(group, metric or {}) for group, metric in sorted(failed.items())]
