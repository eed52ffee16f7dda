"""When deploy and scale --wait are done, and the failures waiting cannot fix (issue 6, points 3, 4 and 6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from procfleet.backend import Status, WaitOptions
from procfleet.errors import NotConverged
from procfleet.model import Formation
from procfleet_swarm import converge
from procfleet_swarm.converge import Baseline, converged, done, settled, trouble, wait_for
from procfleet_swarm.status import Snapshot, build_status
from tests.backends.swarm.helpers import formation
from tests.backends.swarm.inspected import NOW, service, snapshot, task

FORMATION = """
[app]
name = "shop"
image = "shop:1"
[processes.web]
command = "serve"
port = 8000
health = { http = "/" }
[processes.worker]
command = "work"
[processes.clock]
command = "tick"
restart = "never"
[processes.once]
command = "migrate"
restart = "on-failure"
"""


@pytest.fixture
def shop(tmp_path: Path) -> Formation:
    return formation(tmp_path, FORMATION)


def _done(f: Formation, look: Snapshot, targets: dict[str, int], baseline: Baseline | None = None,
          seen: dict[str, float] | None = None, now: float = 100.0) -> bool:
    baseline = baseline or Baseline()
    status = build_status(f, "shop", look, NOW)
    return converged(f, settled(f, status, look, baseline, {} if seen is None else seen, now), look, targets, baseline)


def test_counts_reached_and_healthy(shop: Formation) -> None:
    """A checked type is done when its tasks run (Swarm says running once healthy); replicas must match too."""
    look = snapshot([service("web", replicas=2)], [task("web", 1), task("web", 2)])
    assert _done(shop, look, {"web": 2})
    assert not _done(shop, look, {"web": 3})
    starting = snapshot([service("web", replicas=2)], [task("web", 1), task("web", 2, state="starting")])
    assert not _done(shop, starting, {"web": 2})


def test_a_task_without_a_check_must_stay_up_a_moment(shop: Formation) -> None:
    """Counted from when this wait first saw it running; a task that ran before procfleet acted counts at once."""
    look = snapshot([service("worker", replicas=1, checked=False)], [task("worker", 1, ident="t1")])
    seen: dict[str, float] = {}
    assert not _done(shop, look, {"worker": 1}, seen=seen, now=100.0)
    assert not _done(shop, look, {"worker": 1}, seen=seen, now=100.5)
    assert _done(shop, look, {"worker": 1}, seen=seen, now=100.0 + converge.SETTLE_SECONDS)
    assert _done(shop, look, {"worker": 1}, Baseline(tasks=frozenset({"t1"})))


def test_an_update_this_command_started_must_finish(shop: Formation) -> None:
    """Swarm monitors new tasks before calling an update complete (and may roll it back): wait for that."""
    running = [task("web", 1), task("web", 2)]
    old = Baseline(updates={"shop_web": "2026-11-26T22:00:00Z"})
    going = snapshot([service("web", update="updating", started="2026-11-26T22:29:00Z")], running)
    assert not _done(shop, going, {"web": 2}, old)
    left_over = snapshot([service("web", update="updating", started="2026-11-26T22:00:00Z")], running)
    assert _done(shop, left_over, {"web": 2}, old)  # not ours: a scale does not wait for someone else's update
    assert _done(shop, snapshot([service("web", update="completed")], running), {"web": 2}, old)


def test_an_image_no_node_can_get(shop: Formation) -> None:
    """A task refused for its image: the node, the image and what to do, at once."""
    look = snapshot([service("worker", replicas=1, checked=False)],
                    [task("worker", 1, state="rejected", error="No such image: shop:nope",
                          image="shop:nope@sha256:ab")])
    found = trouble(shop, look, {"worker": 1}, Baseline())
    assert found is not None and found.task is None
    assert found.reason.startswith("worker.1 (task shop_worker.1): node vm cannot get image shop:nope "
                                   "(No such image: shop:nope): every node that may run a task needs it")


def test_tasks_from_before_or_of_the_previous_definition_are_not_this_commands(shop: Formation) -> None:
    """Swarm retries the old definition until the update replaces it; tasks seen before acting are history."""
    rejected = task("worker", 1, state="rejected", error="No such image: shop:nope", fingerprint="old", ident="r1")
    look = snapshot([service("worker", replicas=1, checked=False, fingerprint="new")], [rejected])
    assert trouble(shop, look, {"worker": 1}, Baseline()) is None
    same = snapshot([service("worker", replicas=1, checked=False, fingerprint="old")], [rejected])
    assert trouble(shop, same, {"worker": 1}, Baseline(tasks=frozenset({"r1"}))) is None
    assert trouble(shop, same, {"web": 1}, Baseline()) is None  # not a targeted type


def test_a_failed_health_check(shop: Formation) -> None:
    """Swarm kills an unhealthy task: fail at once, with its output."""
    look = snapshot([service("web", replicas=1)],
                    [task("web", 1, state="failed", ident="t9",
                          error="task: non-zero exit (137): dockerexec: unhealthy container")])
    found = trouble(shop, look, {"web": 1}, Baseline())
    assert found is not None and found.task == "t9"
    assert found.reason == ("web.1 (task shop_web.1) failed its health check and Swarm stopped it (task: "
                            "non-zero exit (137): dockerexec: unhealthy container)")


def test_a_crash_loop(shop: Formation) -> None:
    """Three failed tasks in one slot, and the slot still down: not a slow start."""
    failed = [task("worker", 1, state="failed", age=age, error="task: non-zero exit (3)", exit_code=3)
              for age in (30, 20, 10)]
    down = snapshot([service("worker", replicas=1, checked=False)], [*failed, task("worker", 1, state="ready", age=1)])
    found = trouble(shop, down, {"worker": 1}, Baseline())
    assert found is not None and found.task == failed[-1].id
    assert found.reason == ("worker.1 (task shop_worker.1) keeps crashing: 3 tasks failed, the last with task: "
                            "non-zero exit (3)")
    up = snapshot([service("worker", replicas=1, checked=False)], [*failed, task("worker", 1, age=1)])
    assert trouble(shop, up, {"worker": 1}, Baseline()) is None
    refused = [task("worker", 1, state="rejected", age=age, error="Range of CPUs is from 0.01 to 2.00")
               for age in (30, 20, 10)]
    found = trouble(shop, snapshot([service("worker", replicas=1, checked=False)], refused), {"worker": 1}, Baseline())
    assert found is not None
    assert found.reason == ("worker.1 (task shop_worker.1) cannot start: nodes refused 3 tasks, the last with Range "
                            "of CPUs is from 0.01 to 2.00")
    two = snapshot([service("worker", replicas=1, checked=False)],
                   [*failed[1:], task("worker", 1, state="ready", age=1)])
    assert trouble(shop, two, {"worker": 1}, Baseline()) is None


@pytest.mark.parametrize(("process", "state", "code", "stuck"), [
    ("clock", "complete", 0, False), ("clock", "failed", 1, True), ("once", "complete", 0, False),
    ("once", "failed", 1, False), ("worker", "complete", 0, False),
])
def test_a_task_its_restart_policy_will_not_start_again(shop: Formation, process: str, state: str, code: int,
                                                        stuck: bool) -> None:
    """never: a failure stops the wait (found even for a task from before: nothing will change it); never and
    on-failure after exit 0: done, counted as finished; on-failure after a failure: Swarm restarts it."""
    look = snapshot([service(process, replicas=1, checked=False)],
                    [task(process, 1, state=state, desired="shutdown", exit_code=code, ident="t1")])
    found = trouble(shop, look, {process: 1}, Baseline(tasks=frozenset({"t1"})))
    restart = shop.processes[process].restart
    if stuck:
        assert found is not None
        assert found.reason == f'{process}.1 (task shop_{process}.1) exited with code {code} and restart = ' \
                               f'"{restart}" does not start it again'
    else:
        assert found is None
    finished = state == "complete" and restart in ("never", "on-failure")
    assert done(shop, look, {process: 1})[process] == int(finished)


def test_an_update_swarm_rolled_back(shop: Formation) -> None:
    """failure_action = rollback: the service runs its previous definition again; say so, with the failed task."""
    look = snapshot([service("worker", replicas=1, checked=False, update="rollback_completed",
                             message="rollback completed")],
                    [task("worker", 1, state="failed", error="task: non-zero exit (3)", exit_code=3, age=5,
                          fingerprint="new", ident="t2"),
                     task("worker", 1, state="running", age=1)])
    found = trouble(shop, look, {"worker": 1}, Baseline(updates={"shop_worker": None}))
    assert found is not None and found.task == "t2"
    assert found.reason == ("the update of shop_worker failed and Swarm rolled it back (rollback completed); "
                            "worker.1 (task shop_worker.1): task: non-zero exit (3)")


def test_describe_adds_the_last_lines() -> None:
    """At most five lines of the failed task's output."""
    text = converge.describe(converge.Trouble("it failed", "t"), "\n".join(str(n) for n in range(8)))
    assert text == "it failed; its last output:\n  | 3\n  | 4\n  | 5\n  | 6\n  | 7"
    assert converge.describe(converge.Trouble("it failed"), "") == "it failed"


def _observer(f: Formation, looks: list[Snapshot]) -> tuple[list[int], object]:
    calls = [0]

    def observe() -> tuple[Status, Snapshot]:
        look = looks[min(calls[0], len(looks) - 1)]
        calls[0] += 1
        return build_status(f, "shop", look, NOW), look

    return calls, observe


def test_wait_for_polls_reports_progress_and_returns(shop: Formation, monkeypatch: pytest.MonkeyPatch) -> None:
    """Progress is reported on every look; the status that converged is returned."""
    monkeypatch.setattr(converge, "POLL_SECONDS", 0.0)
    looks = [snapshot([service("web", replicas=1)], [task("web", 1, state="starting")]),
             snapshot([service("web", replicas=1)], [task("web", 1)])]
    calls, observe = _observer(shop, looks)
    seen: list[Status] = []
    status = wait_for(shop, {"web": 1}, WaitOptions(timeout=10, progress=seen.append), observe,  # type: ignore[arg-type]
                      lambda _task: "", Baseline())
    assert calls == [2] and len(seen) == 2 and status.types[0].running == 1


def test_wait_for_times_out_saying_what_waits(shop: Formation, monkeypatch: pytest.MonkeyPatch) -> None:
    """The counts, and what the tasks that do not run are waiting for."""
    monkeypatch.setattr(converge, "POLL_SECONDS", 0.0)
    look = snapshot([service("web", replicas=2)],
                    [task("web", 1), task("web", 2, state="pending", message="pending task scheduling",
                                          error="no suitable node (insufficient resources on 1 node)")])
    _, observe = _observer(shop, [look])
    with pytest.raises(NotConverged) as info:
        wait_for(shop, {"web": 2}, WaitOptions(timeout=0), observe, lambda _task: "", Baseline())  # type: ignore[arg-type]
    assert str(info.value) == ("shop did not converge within 0s: web 1/2 running, 1/2 healthy; web.2 (task shop_web.2) "
                               "pending: "
                               "no suitable node (insufficient resources on 1 node) (see `procfleet ps` and "
                               "`procfleet logs`)")


def test_wait_for_stops_at_trouble_with_the_tasks_output(shop: Formation, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure waiting cannot fix ends the wait long before the timeout."""
    monkeypatch.setattr(converge, "POLL_SECONDS", 0.0)
    look = snapshot([service("web", replicas=1)],
                    [task("web", 1, state="failed", ident="t9", error="task: non-zero exit (137): dockerexec: "
                                                                       "unhealthy container")])
    _, observe = _observer(shop, [look])
    with pytest.raises(NotConverged, match=r"failed its health check .*its last output:\n  \| 500 from /up$"):
        wait_for(shop, {"web": 1}, WaitOptions(timeout=300), observe,  # type: ignore[arg-type]
                 lambda ident: "500 from /up" if ident == "t9" else "", Baseline())
