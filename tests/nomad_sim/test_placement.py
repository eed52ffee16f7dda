"""Placement: nodes, feasibility and resources, and evaluations that say why allocations could not be placed."""

from __future__ import annotations

from typing import Any

import pytest

from .model import SIM_NODE_ID
from .nodes import new_node
from .placement import check_constraint
from .simulator import NomadSimulator
from .test_simulator import call, register, scale
from .versions import version_matches

Json = dict[str, Any]
KERNEL_WINDOWS = {"LTarget": "${attr.kernel.name}", "RTarget": "windows", "Operand": "="}
ALLOC_METRIC_KEYS = [
    "NodesEvaluated", "NodesFiltered", "NodesInPool", "NodePool", "NodesAvailable", "ClassFiltered",
    "ConstraintFiltered", "NodesExhausted", "ClassExhausted", "DimensionExhausted", "QuotaExhausted",
    "ResourcesExhausted", "Scores", "ScoreMetaData", "AllocationTime", "CoalescedFailures",
]  # fmt: skip


def app_job(job_id: str = "shop", *, count: int = 2, memory: int = 256, **group: Any) -> Json:
    """A one-group service job on raw_exec."""
    task = {"Name": "web", "Driver": "raw_exec", "Config": {"command": "/bin/sleep", "args": ["60"]},
            "Resources": {"CPU": 100, "MemoryMB": memory}}  # fmt: skip
    groups = [{"Name": "web", "Count": count, "Tasks": [task], **group}]
    return {"ID": job_id, "Datacenters": ["*"], "TaskGroups": groups}


def evaluation(sim: NomadSimulator, eval_id: str) -> Json:
    """GET /v1/evaluation/:id."""
    reply = call(sim, "GET", f"/v1/evaluation/{eval_id}")
    assert reply.status == 200, reply.text
    body: Json = reply.json
    return body


def registered_eval(sim: NomadSimulator, job: Json) -> Json:
    """Register the job and read the evaluation its reply names."""
    reply = register(sim, job)
    assert reply.status == 200, reply.text
    return evaluation(sim, reply.json["EvalID"])


def test_one_default_node_takes_every_allocation_as_before(sim: NomadSimulator) -> None:
    found = registered_eval(sim, app_job())
    assert (found["Status"], found["FailedTGAllocs"], found["BlockedEval"]) == ("complete", None, "")
    assert found["QueuedAllocations"] == {"web": 0}
    assert {a["NodeID"] for a in sim.allocations("shop")} == {SIM_NODE_ID}
    assert [n.datacenter for n in sim.nodes()] == ["dc1"] and sim.nodes()[0].attributes["kernel.name"] == "linux"


def test_a_constraint_no_node_meets_fails_every_placement_with_nomads_metric(sim: NomadSimulator) -> None:
    sim.add_node("client-2")
    sim.add_node("client-3")
    found = registered_eval(sim, app_job(count=3, Constraints=[KERNEL_WINDOWS]))
    assert found["Status"] == "complete" and found["QueuedAllocations"] == {"web": 3}
    metric = found["FailedTGAllocs"]["web"]
    assert list(metric) == ALLOC_METRIC_KEYS
    assert (metric["NodesEvaluated"], metric["NodesFiltered"], metric["NodesInPool"]) == (3, 3, 3)
    # Identical nodes share a computed class: after the first, the class is known to be ineligible.
    assert metric["ConstraintFiltered"] == {"${attr.kernel.name} = windows": 1, "computed class ineligible": 2}
    assert (metric["NodePool"], metric["NodesAvailable"], metric["CoalescedFailures"]) == ("default", {"dc1": 3}, 2)
    assert metric["DimensionExhausted"] is None and metric["ResourcesExhausted"] is None
    assert metric["ClassFiltered"] is None and metric["AllocationTime"] > 0
    assert sim.allocations("shop") == []


def test_nodes_of_different_classes_are_each_checked(sim: NomadSimulator) -> None:
    sim.add_node("gpu-1", node_class="gpu")
    found = registered_eval(sim, app_job(count=1, Constraints=[KERNEL_WINDOWS]))
    metric = found["FailedTGAllocs"]["web"]
    assert metric["ConstraintFiltered"] == {"${attr.kernel.name} = windows": 2}
    assert metric["ClassFiltered"] == {"gpu": 1}


def test_the_blocked_evaluation_follows_the_original(sim: NomadSimulator) -> None:
    reply = register(sim, app_job(Constraints=[KERNEL_WINDOWS]))
    original = evaluation(sim, reply.json["EvalID"])
    blocked = evaluation(sim, original["BlockedEval"])
    assert (blocked["Status"], blocked["TriggeredBy"], blocked["PreviousEval"]) == (
        "blocked", "queued-allocs", original["ID"])  # fmt: skip
    assert blocked["StatusDescription"] == "created to place remaining allocations"
    assert blocked["FailedTGAllocs"] == original["FailedTGAllocs"] and blocked["QueuedAllocations"] is None
    assert blocked["JobModifyIndex"] == original["JobModifyIndex"] and blocked["EscapedComputedClass"] is False
    assert list(blocked["ClassEligibility"].values()) == [False]
    listed = call(sim, "GET", "/v1/job/shop/evaluations").json
    assert [e["ID"] for e in listed] == [blocked["ID"], original["ID"]]


def test_memory_exhausted_places_what_fits(sim: NomadSimulator) -> None:
    sim.set_node(memory_mb=1000)
    found = registered_eval(sim, app_job(count=3, memory=400))
    assert len(sim.allocations("shop")) == 2
    metric = found["FailedTGAllocs"]["web"]
    assert (metric["NodesEvaluated"], metric["NodesFiltered"], metric["NodesExhausted"]) == (1, 0, 1)
    assert metric["DimensionExhausted"] == {"memory": 1} and metric["ConstraintFiltered"] is None
    assert metric["ResourcesExhausted"]["web"]["MemoryMB"] == 400 and metric["ResourcesExhausted"]["web"]["CPU"] == 0
    assert found["QueuedAllocations"] == {"web": 1}


def test_cpu_is_checked_before_memory(sim: NomadSimulator) -> None:
    sim.set_node(cpu=50, memory_mb=10)
    metric = registered_eval(sim, app_job(count=2))["FailedTGAllocs"]["web"]
    assert metric["DimensionExhausted"] == {"cpu": 1} and metric["CoalescedFailures"] == 1
    assert metric["ResourcesExhausted"]["web"]["CPU"] == 200


def test_new_capacity_runs_the_blocked_evaluation(sim: NomadSimulator) -> None:
    sim.set_node(memory_mb=300)
    original = registered_eval(sim, app_job(count=2))
    assert len(sim.allocations("shop")) == 1
    sim.add_node("client-2")
    blocked = evaluation(sim, original["BlockedEval"])
    assert (blocked["Status"], blocked["FailedTGAllocs"]) == ("complete", None)
    allocs = sim.allocations("shop")
    assert len(allocs) == 2 and allocs[1]["EvalID"] == blocked["ID"] and allocs[1]["NodeName"] == "client-2"
    sim.advance("shop")
    assert sim.latest_deployment("shop")["Status"] == "successful"  # type: ignore[index]


def test_a_datacenter_without_nodes_evaluates_none(sim: NomadSimulator) -> None:
    job = app_job(count=1)
    job["Datacenters"] = ["dc2"]
    metric = registered_eval(sim, job)["FailedTGAllocs"]["web"]
    assert (metric["NodesEvaluated"], metric["NodesInPool"], metric["NodesAvailable"]) == (0, 0, {})


def test_node_pool_and_datacenter_globs_choose_the_nodes(sim: NomadSimulator) -> None:
    sim.add_node("east-1", datacenter="us-east-1", node_pool="batch")
    job = app_job(count=1)
    job.update(Datacenters=["us-*"], NodePool="batch")
    found = registered_eval(sim, job)
    assert found["FailedTGAllocs"] is None
    assert [a["NodeName"] for a in sim.allocations("shop")] == ["east-1"]


def test_a_node_without_the_driver_is_filtered(sim: NomadSimulator) -> None:
    sim.set_nodes(new_node("no-raw-exec", attributes={"driver.raw_exec": None}))
    metric = registered_eval(sim, app_job(count=1))["FailedTGAllocs"]["web"]
    assert metric["ConstraintFiltered"] == {"missing drivers": 1}


def test_distinct_hosts_allows_one_allocation_per_node(sim: NomadSimulator) -> None:
    metric = registered_eval(sim, app_job(count=2, Constraints=[{"Operand": "distinct_hosts", "RTarget": "true"}]))
    assert metric["FailedTGAllocs"]["web"]["ConstraintFiltered"] == {"distinct_hosts": 1}
    assert len(sim.allocations("shop")) == 1


def test_scaling_past_the_capacity_reports_on_the_scale_evaluation(sim: NomadSimulator) -> None:
    sim.set_node(memory_mb=600)
    assert registered_eval(sim, app_job(count=1, memory=256))["FailedTGAllocs"] is None
    sim.advance("shop")
    reply = scale(sim, "shop", "web", 4)
    found = evaluation(sim, reply.json["EvalID"])
    assert found["TriggeredBy"] == "job-scaling" and found["QueuedAllocations"] == {"web": 2}
    assert found["FailedTGAllocs"]["web"]["DimensionExhausted"] == {"memory": 1}


def test_a_later_blocked_evaluation_cancels_the_earlier(sim: NomadSimulator) -> None:
    first = registered_eval(sim, app_job(Constraints=[KERNEL_WINDOWS]))
    second = registered_eval(sim, app_job(count=3, Constraints=[KERNEL_WINDOWS]))
    old = evaluation(sim, first["BlockedEval"])
    assert old["Status"] == "cancelled"
    assert old["StatusDescription"] == 'existing blocked evaluation exists for job "shop"'
    assert evaluation(sim, second["BlockedEval"])["Status"] == "blocked"


def test_unknown_evaluation_is_404(sim: NomadSimulator) -> None:
    reply = call(sim, "GET", "/v1/evaluation/00000000-0000-0000-0000-000000000000")
    assert (reply.status, reply.text) == (404, "eval not found")
    assert call(sim, "DELETE", "/v1/evaluation/x").status == 405


@pytest.mark.parametrize(
    ("operand", "left", "right", "met"),
    [
        ("=", ("linux", True), ("linux", True), True),
        ("=", ("", False), ("", True), False),
        ("!=", ("", False), ("windows", True), True),
        ("!=", ("linux", True), ("linux", True), False),
        ("set_contains", ("SIGINT,SIGTERM, SIGHUP", True), ("SIGHUP,SIGTERM", True), True),
        ("set_contains", ("SIGINT", True), ("SIGINT,SIGPWR", True), False),
        ("set_contains_any", ("SIGINT", True), ("SIGINT,SIGPWR", True), True),
        ("regexp", ("debian", True), ("^deb", True), True),
        ("regexp", ("debian", True), ("(", True), False),
        ("version", ("1.10.0", True), (">= 1.4.0, < 2", True), True),
        ("version", ("1.10.0", True), ("~> 1.9.0", True), False),
        ("version", ("1.6.3-dev", True), (">= 1.6.0", True), False),
        ("semver", ("1.6.3-dev", True), (">= 1.6.0", True), True),
        (">", ("10", True), ("9", True), True),
        (">", ("b", True), ("a", True), True),
        ("is_set", ("", False), ("", True), False),
        ("distinct_hosts", ("", True), ("true", True), True),
        ("nonsense", ("a", True), ("a", True), False),
    ],
)
def test_constraint_operands(operand: str, left: tuple[str, bool], right: tuple[str, bool], met: bool) -> None:
    assert check_constraint(operand, left, right) is met


def test_versions() -> None:
    assert version_matches("1.2.3", "~> 1.2")
    assert not version_matches("2.0.0", "~> 1.2")
    assert version_matches("v1.2", "= 1.2.0")
    assert not version_matches("not-a-version", ">= 0")
