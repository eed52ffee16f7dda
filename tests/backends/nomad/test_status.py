"""Reading Nomad's answers back: live counts and fingerprints, ps rows, failure messages (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from procfleet.errors import FormationError
from procfleet.plan import make_plan
from procfleet.validation import Where
from procfleet_nomad.options import settings, validate
from procfleet_nomad.status import build_status, failures, instance, live_types, owner, problem
from procfleet_nomad.translate import META_SPEC, translate
from tests.backends.nomad.formations import SHOP, formation

Json = dict[str, Any]


def alloc(group: str, index: int, client: str = "running", *, healthy: bool | None = True, desired: str = "run",
          version: int = 0, events: list[Json] | None = None) -> Json:
    """An AllocListStub with what procfleet reads."""
    return {
        "ID": f"{group}-{index}-0000-0000-0000-000000000000", "Name": f"shop.{group}[{index}]", "JobID": "shop",
        "TaskGroup": group, "NodeName": "client-1", "NodeID": "abcdef12-0000", "JobVersion": version,
        "DesiredStatus": desired, "ClientStatus": client, "CreateIndex": 10 + index,
        "DeploymentStatus": None if healthy is None else {"Healthy": healthy},
        "TaskStates": {group: {"State": "running", "Restarts": 1, "StartedAt": "2026-01-01T00:00:00.123456789Z",
                               "Events": events or []}},
    }


def registered(counts: dict[str, int] | None = None, **changes: Any) -> Json:
    """The job as Nomad stores it after a deploy of SHOP (the fields procfleet reads)."""
    job = translate(formation(SHOP), counts).job
    job.update({"Version": 3, "JobModifyIndex": 40, "ModifyIndex": 44, "Stop": False, **changes})
    return job


def test_owner_is_read_from_job_meta() -> None:
    assert owner(registered()) == "shop"
    assert owner({"ID": "shop", "Meta": None}) is None


def test_live_counts_and_fingerprints_make_an_unchanged_plan() -> None:
    """What deploy registered reads back as unchanged; a scaled count is a count change, not a definition one."""
    shop = formation(SHOP)
    expected = {g["Name"]: g["Meta"][META_SPEC] for g in translate(shop).job["TaskGroups"]}
    live = live_types(registered(), expected)
    assert {name: item.count for name, item in live.items()} == {"web": 2, "worker": 1}
    assert not make_plan(shop, "nomad", live, keep_counts=False).pending
    scaled = live_types(registered({"web": 5, "worker": 3}), expected)
    plan = make_plan(shop, "nomad", scaled, keep_counts=False)
    assert [(c.process, c.action, c.desired) for c in plan.changes] == [("web", "scale", 2), ("worker", "unchanged", 3)]


def test_a_nomad_only_change_shows_as_a_definition_change() -> None:
    """Changing [backends.nomad] driver changes no fingerprint, but live() reports it so plan is honest."""
    shop = formation(SHOP, {"driver": "raw_exec"})
    expected = {g["Name"]: g["Meta"][META_SPEC] for g in translate(shop).job["TaskGroups"]}
    live = live_types(registered(), expected)
    assert all(item.fingerprint is None for item in live.values())
    assert all(c.definition_changed for c in make_plan(shop, "nomad", live, keep_counts=False).changes)


def test_a_stopped_job_runs_nothing() -> None:
    assert live_types(registered(Stop=True), {}) == {}


def test_build_status_from_scale_status_and_allocations() -> None:
    """Counts from GET /scale; rows for allocations wanted running, in the formation's order."""
    scale = {"TaskGroups": {"web": {"Desired": 2, "Placed": 2, "Running": 1, "Healthy": 1},
                            "worker": {"Desired": 1, "Placed": 1, "Running": 1, "Healthy": 1}}}
    allocs = [alloc("worker", 0), alloc("web", 10), alloc("web", 9, "pending", healthy=None),
              alloc("web", 2, "complete", desired="stop")]
    status = build_status("shop", registered(), allocs, ["web", "worker"], scale)
    assert [(t.name, t.desired, t.placed, t.running, t.healthy) for t in status.types] == [
        ("web", 2, 2, 1, 1), ("worker", 1, 1, 1, None)]  # worker has no check: no healthy count
    assert [(i.name, i.platform_name) for i in status.instances] == [
        ("web.10", "shop.web[9]"), ("web.11", "shop.web[10]"), ("worker.1", "shop.worker[0]")]
    worker = status.instances[-1]
    assert (worker.node, worker.state, worker.healthy, worker.restarts) == ("client-1", "running", None, 1)


def test_build_status_counts_allocations_without_a_scale_status() -> None:
    """While waiting, counts come from the allocations: placed = live, running, healthy."""
    allocs = [alloc("web", 0), alloc("web", 1, "pending", healthy=None), alloc("web", 2, "failed", healthy=False)]
    (web, worker) = build_status("shop", registered(), allocs).types
    assert (web.desired, web.placed, web.running, web.healthy) == (2, 2, 1, 1)
    assert (worker.placed, worker.running) == (0, 0)


def test_stopped_job_desires_nothing() -> None:
    status = build_status("shop", registered(Stop=True), [])
    assert [t.desired for t in status.types] == [0, 0]


def test_instance_uptime_and_failure_detail() -> None:
    now = datetime(2026, 1, 1, 0, 1, 0, tzinfo=UTC)
    row = instance(alloc("web", 0), now=now)
    assert row.uptime == pytest.approx(59.876543, abs=1e-3)
    failed = alloc("web", 1, "failed", healthy=False, events=[
        {"Type": "Started", "Time": 1, "DisplayMessage": "Task started by client"},
        {"Type": "Terminated", "Time": 2, "DisplayMessage": "Exit Code: 3, Exit Message: \"boom\""}])
    assert (instance(failed).detail, instance(failed).platform_id) == \
        ('Terminated: Exit Code: 3, Exit Message: "boom"', "web-1-00")
    assert instance(failed).uptime is None


def test_problem_prefers_the_newest_task_event_then_the_client_description() -> None:
    assert problem({"TaskStates": None, "ClientDescription": "Failed tasks"}) == "Failed tasks"
    assert problem({"TaskStates": {"t": {"Events": [{"Type": "Driver Failure", "Time": 5,
                                                     "Message": "image not found"}]}}}) == \
        "Driver Failure: image not found"


def test_failures_list_only_the_version_waited_for() -> None:
    allocs = [alloc("web", 0, "failed", version=2), alloc("web", 1, "failed", version=3),
              alloc("web", 2, healthy=False, version=3), alloc("web", 3, version=3)]
    lines = failures(allocs, 3)
    assert [line.split(" ")[0] for line in lines] == ["web.2", "web.3"]  # the names ps gives them
    assert lines[0].startswith("web.2 (allocation shop.web[1] ")  # then Nomad's, for nomad's own commands


@pytest.mark.parametrize(("options", "key", "words"), [
    ({"drvier": "docker"}, "backends.nomad.drvier", 'did you mean "driver"'),
    ({"driver": "podman"}, "backends.nomad.driver", "docker | exec | raw_exec"),
    ({"datacenters": []}, "backends.nomad.datacenters", "at least one"),
    ({"namespace": "my ns"}, "backends.nomad.namespace", "invalid name"),
    ({"node_pool": "a/b"}, "backends.nomad.node_pool", "invalid name"),
    ({"node_pool": "gpu.large"}, "backends.nomad.node_pool", "invalid name"),
    ({"region": ""}, "backends.nomad.region", "must not be empty"),
])
def test_options_are_validated_with_their_key_path(options: Json, key: str, words: str) -> None:
    with pytest.raises(FormationError) as caught:
        validate(options, Where(Path("formation.toml"), "backends.nomad"))
    assert caught.value.key == key and words in caught.value.message


def test_options_defaults_and_settings() -> None:
    assert validate({}, Where(Path("f"), "backends.nomad")) == {"datacenters": ["*"]}
    chosen = settings(formation(SHOP, {"datacenters": "dc1", "driver": "exec", "namespace": "apps",
                                       "region": "eu", "node_pool": "default"}))
    assert (chosen.datacenters, chosen.driver, chosen.namespace, chosen.region, chosen.node_pool) == (
        ("dc1",), "exec", "apps", "eu", "default")


def test_a_failed_allocation_is_explained_by_the_event_that_says_why() -> None:
    """The client's config error (a Go multierror over several lines) is the reason, not the "Not Restarting" after
    it (client/allocrunner/taskrunner/task_runner.go runDriver), and it is printed on one line."""
    error = ('2 errors occurred:\n\t* failed to parse config: \n\t* Unknown variable: There is no variable named '
             '"HOME".\n\n')
    alloc = {"TaskStates": {"web": {"Events": [
        {"Type": "Received", "Message": "Task received by client", "Time": 1},
        {"Type": "Failed Validation", "Message": error, "Time": 2},
        {"Type": "Not Restarting", "Message": "Error was unrecoverable", "Time": 3}]}}}
    assert problem(alloc) == ('Failed Validation: failed to parse config; Unknown variable: There is no variable '
                              'named "HOME".')
