"""`docker inspect` of services and tasks → live counts and `ps` (issue 6, point 5)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from procfleet.backend import LiveType
from procfleet_swarm.status import build_status, current, foreign, live_types, parse_service, parse_task
from tests.backends.swarm.helpers import formation
from tests.backends.swarm.inspected import NOW, SERVICE, TASK, service, snapshot, task

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
"""


def test_parse_a_real_service() -> None:
    """Name, owner, type, fingerprint, replicas, whether it has a health check; no update yet."""
    parsed = parse_service(SERVICE, "pfone")
    assert (parsed.name, parsed.app, parsed.process, parsed.fingerprint) == \
        ("pfone_web", "pfone", "web", "4e10547cab4d4274")
    assert (parsed.replicas, parsed.checked, parsed.ports, parsed.update_state) == (2, True, "", None)


def test_parse_a_real_task() -> None:
    """Slot, node, states, exit code, times (nanoseconds cut), host ports listed once, image, fingerprint."""
    parsed = parse_task(TASK)
    assert (parsed.slot, parsed.desired, parsed.state, parsed.running, parsed.failed) == \
        (1, "running", "running", True, False)
    assert parsed.exit_code == 0 and parsed.ports == "*:32798->8080/tcp"
    assert parsed.created == datetime(2026, 11, 26, 22, 6, 21, 656447, tzinfo=UTC)
    assert (parsed.image, parsed.fingerprint) == ("procfleet-test/busybox:latest", "4e10547cab4d4274")


def test_parse_tolerates_a_task_not_yet_placed() -> None:
    """A pending task has no node, no container and no ports."""
    parsed = parse_task({"ID": "t", "ServiceID": "s", "Slot": 2, "DesiredState": "running",
                         "Status": {"State": "pending", "Message": "pending task scheduling",
                                    "Err": "no suitable node (insufficient resources on 1 node)"}})
    assert (parsed.node_id, parsed.exit_code, parsed.ports, parsed.created) == ("", None, "", None)


def test_live_counts_are_the_replicas_asked_for() -> None:
    """deploy.replicas and the fingerprint label: a type scaled to 0 is live at 0."""
    live = live_types([service("web", replicas=3, fingerprint="a"), service("worker", replicas=0, fingerprint="b")])
    assert live == {"web": LiveType("web", 3, "a"), "worker": LiveType("worker", 0, "b")}


def test_foreign_services() -> None:
    """A service of the namespace without the app's label is not procfleet's."""
    assert [s.name for s in foreign([service("web"), service("db", app=None), service("x", app="other")],
                                    "shop")] == ["shop_db", "shop_x"]


def test_current_is_the_newest_task_of_each_slot_not_being_removed() -> None:
    """History (failed, replaced by an update) is left out; so are slots a scale-down is removing."""
    tasks = [task(slot=1, state="failed", age=60, error="task: non-zero exit (1)"),
             task(slot=1, state="running", age=20),
             task(slot=2, state="shutdown", desired="shutdown", age=90),
             task(slot=2, state="starting", age=3),
             task(slot=3, state="running", desired="remove", age=10)]
    assert [(t.slot, t.state) for t in current(tasks)] == [(1, "running"), (2, "starting")]


def test_status_per_type_and_per_task(tmp_path: Path) -> None:
    """desired = replicas, running = tasks running (healthy too where checked); a row per slot with node and error."""
    f = formation(tmp_path, FORMATION)
    look = snapshot([service("web", replicas=2, ingress=30000), service("worker", replicas=2, checked=False)],
                    [task("web", 1), task("web", 2, state="starting", age=2),
                     task("web", 2, state="failed", age=40, error="task: non-zero exit (137): dockerexec: "
                                                                   "unhealthy container"),
                     task("worker", 1, state="running", age=100),
                     task("worker", 2, state="pending", age=1, message="pending task scheduling",
                          error="no suitable node (insufficient resources on 1 node)")])
    status = build_status(f, "shop", look, NOW)
    assert status.backend == "swarm"
    assert [(t.name, t.desired, t.running, t.healthy) for t in status.types] == [("web", 2, 1, 1),
                                                                                 ("worker", 2, 1, None)]
    rows = {i.name: i for i in status.instances}
    assert list(rows) == ["web.1", "web.2", "worker.1", "worker.2"]
    assert [i.platform_name for i in status.instances] == ["shop_web.1", "shop_web.2", "shop_worker.1", "shop_worker.2"]
    assert (rows["web.1"].healthy, rows["web.1"].node, rows["web.1"].ports) == \
        (True, "vm", "*:30000->8000/tcp")
    assert rows["web.1"].uptime == 15.0
    assert (rows["web.2"].state, rows["web.2"].healthy, rows["web.2"].restarts) == \
        ("starting", False, 1)
    assert rows["worker.1"].healthy is None
    assert rows["worker.2"].detail == "no suitable node (insufficient resources on 1 node)"


def test_status_of_types_not_deployed(tmp_path: Path) -> None:
    """A type of the formation without a service: desired and running 0."""
    status = build_status(formation(tmp_path, FORMATION), "shop", snapshot([], []), NOW)
    assert [(t.name, t.desired, t.running) for t in status.types] == [("web", 0, 0), ("worker", 0, 0)]
    assert status.instances == ()
