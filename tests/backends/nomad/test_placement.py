"""The placement-failure lines procfleet prints, from AllocMetric JSON (command/monitor.go formatAllocMetrics)."""

from __future__ import annotations

from procfleet_nomad.placement import group_line, metric_reasons, placement_failure


def test_every_kind_of_reason_in_the_monitors_order() -> None:
    metric = {
        "NodesEvaluated": 3, "NodesAvailable": {"dc1": 3, "dc2": 0}, "ClassFiltered": {"gpu": 1},
        "ConstraintFiltered": {"${attr.kernel.name} = windows": 2}, "NodesExhausted": 1,
        "ClassExhausted": {"gpu": 1}, "DimensionExhausted": {"memory": 1}, "QuotaExhausted": ["memory"],
    }  # fmt: skip
    assert metric_reasons(metric) == [
        'No nodes are available in datacenter "dc2"',
        'Class "gpu": 1 nodes excluded by filter',
        'Constraint "${attr.kernel.name} = windows": 2 nodes excluded by filter',
        "Resources exhausted on 1 nodes",
        'Class "gpu" exhausted on 1 nodes',
        'Dimension "memory" exhausted on 1 nodes',
        'Quota limit hit "memory"',
    ]


def test_one_line_per_group_counting_the_coalesced_failures() -> None:
    assert group_line("web", {"NodesEvaluated": 0, "CoalescedFailures": 1}) == (
        "web: 2 allocations could not be placed: No nodes were eligible for evaluation")
    assert group_line("web", {"NodesEvaluated": 1}) == "web: 1 allocation could not be placed: Nomad gave no reason"


def test_an_evaluation_that_placed_everything_has_no_failure() -> None:
    assert placement_failure({"FailedTGAllocs": None}) is None
    lines = placement_failure({"FailedTGAllocs": {"worker": {"NodesEvaluated": 0}, "web": {"NodesEvaluated": 0}}})
    assert [line.split(":")[0] for line in lines or []] == ["web", "worker"]
