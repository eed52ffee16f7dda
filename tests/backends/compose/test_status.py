"""`docker inspect` → containers → live counts, status, and the convergence rules deploy and scale wait on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from procfleet.backend import Status, WaitOptions
from procfleet.errors import NotConverged
from procfleet.plan import Plan, TypeChange
from procfleet_compose import converge
from procfleet_compose.status import MIXED, Container, build_status, foreign, format_ports, live_types, parse
from tests.backends.compose.helpers import formation

NOW = datetime(2026, 11, 26, 21, 30, tzinfo=UTC)

# Trimmed from a real `docker inspect` of a container procfleet deployed (Docker 20.10, Compose 2.40).
SAMPLE: dict[str, Any] = {
    "Id": "a0576a8aa5cd661a83769c88f7af95b91a3d4c5db1f3b5223f72fe44a23a9d00",
    "Name": "/shop-web-1",
    "RestartCount": 0,
    "State": {"Status": "running", "Running": True, "Restarting": False, "ExitCode": 0, "Error": "",
              "StartedAt": "2026-11-26T21:27:51.52801158Z", "FinishedAt": "0001-01-01T00:00:00Z",
              "Health": {"Status": "healthy", "FailingStreak": 0,
                         "Log": [{"Start": "2026-11-26T21:27:53.6Z", "End": "2026-11-26T21:27:53.7Z",
                                  "ExitCode": 0, "Output": ""}]}},
    "Config": {"Labels": {"com.docker.compose.container-number": "1", "com.docker.compose.oneoff": "False",
                          "com.docker.compose.project": "shop", "com.docker.compose.service": "web",
                          "procfleet.app": "shop", "procfleet.fingerprint": "9ffdeb717f444a4d",
                          "procfleet.process": "web"}},
    "NetworkSettings": {"Ports": {"8000/tcp": [{"HostIp": "127.0.0.1", "HostPort": "32787"}]}},
}


def inspected(process: str = "web", number: int = 1, *, state: str = "running", health: str | None = "healthy",
              app: str | None = "shop", oneoff: bool = False, fingerprint: str = "f1", restarts: int = 0,
              started: datetime | None = None, exit_code: int = 0, output: str = "") -> dict[str, Any]:
    """A `docker inspect` element like SAMPLE, varied."""
    labels = {"com.docker.compose.container-number": str(number), "com.docker.compose.oneoff": str(oneoff),
              "com.docker.compose.project": "shop", "com.docker.compose.service": process,
              "procfleet.process": process, "procfleet.fingerprint": fingerprint}
    if app is not None:
        labels["procfleet.app"] = app
    started_at = (started or NOW - timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%S.%f123Z")
    state_table: dict[str, Any] = {"Status": state, "ExitCode": exit_code, "StartedAt": started_at}
    if health is not None:
        state_table["Health"] = {"Status": health, "Log": [{"Output": output}]}
    return {"Id": f"{process}{number}", "Name": f"/shop-{process}-{number}", "RestartCount": restarts,
            "State": state_table, "Config": {"Labels": labels}, "NetworkSettings": {"Ports": {}}}


def test_parse_a_real_inspect_element() -> None:
    """Name, type, number, state, health, ports, start time (nanoseconds cut to microseconds)."""
    container = parse(SAMPLE)
    assert container.name == "shop-web-1"
    assert (container.app, container.process, container.number, container.oneoff) == ("shop", "web", 1, False)
    assert (container.state, container.health, container.restarts, container.running) == \
        ("running", "healthy", 0, True)
    assert container.fingerprint == "9ffdeb717f444a4d"
    assert container.ports == "127.0.0.1:32787->8000/tcp"
    assert container.started_at == datetime(2026, 11, 26, 21, 27, 51, 528011, tzinfo=UTC)


def test_parse_tolerates_missing_fields() -> None:
    """A container being created has no start time, health or ports yet."""
    container = parse({"Id": "x", "Name": "/y", "State": {"Status": "created", "StartedAt": "0001-01-01T00:00:00Z"}})
    assert (container.app, container.process, container.number, container.started_at, container.health) == \
        (None, "", 0, None, None)


def test_format_ports() -> None:
    """As `docker ps` prints them, IPv6 hosts in brackets; unpublished ports are left out."""
    ports = {"8000/tcp": [{"HostIp": "0.0.0.0", "HostPort": "32768"}, {"HostIp": "::", "HostPort": "32768"}],
             "9000/tcp": None}
    assert format_ports(ports) == "0.0.0.0:32768->8000/tcp, [::]:32768->8000/tcp"
    assert format_ports(None) == ""


def test_live_counts_every_container_but_one_offs() -> None:
    """Stopped containers count (Compose keeps them as replicas); `run` containers do not."""
    containers = [parse(inspected("web", 1)), parse(inspected("web", 2, state="exited")),
                  parse(inspected("web", 3, oneoff=True)), parse(inspected("worker", 1, health=None))]
    live = live_types(containers)
    assert {name: item.count for name, item in live.items()} == {"web": 2, "worker": 1}
    assert live["web"].fingerprint == "f1"


def test_live_fingerprint_of_a_half_updated_type_is_mixed() -> None:
    """Containers that disagree make the type look changed, so the next deploy finishes the job."""
    containers = [parse(inspected("web", 1, fingerprint="a")), parse(inspected("web", 2, fingerprint="b"))]
    assert live_types(containers)["web"].fingerprint == MIXED


def test_foreign_containers() -> None:
    """Containers of the project without this app's label are someone else's."""
    mine, other, unlabelled = (parse(inspected("web", 1)), parse(inspected("web", 2, app="other")),
                               parse(inspected("web", 3, app=None)))
    assert foreign([mine, other, unlabelled], "shop") == [other, unlabelled]


def test_status_per_type_and_instance(tmp_path: Path) -> None:
    """desired (from procfleet's copy), running, healthy (None without a check); instances in file order."""
    f = formation(tmp_path, '[app]\nname = "shop"\nimage = "i"\n[processes.web]\ncommand = "s"\nport = 8000\n'
                            'health = { http = "/" }\n[processes.worker]\ncommand = "w"\n')
    containers = [parse(inspected("worker", 1, health=None)),
                  parse(inspected("web", 2, health="starting")), parse(inspected("web", 1)),
                  parse(inspected("web", 3, state="restarting", health="unhealthy", exit_code=2, restarts=4))]
    status = build_status(f, "shop", containers, {"web": 3, "worker": 2}, now=NOW)
    assert [(t.name, t.desired, t.running, t.healthy) for t in status.types] == \
        [("web", 3, 2, 1), ("worker", 2, 1, None)]
    assert [(i.name, i.platform_name) for i in status.instances] == [
        ("web.1", "shop-web-1"), ("web.2", "shop-web-2"), ("web.3", "shop-web-3"), ("worker.1", "shop-worker-1")]
    web3 = status.instances[2]
    assert (web3.state, web3.healthy, web3.restarts, web3.detail, web3.uptime) == \
        ("restarting", False, 4, "exit code 2", None)
    assert status.instances[0].uptime == pytest.approx(30, abs=0.01)


def test_status_of_types_no_longer_in_the_formation(tmp_path: Path) -> None:
    """A type removed from the file still shows until deploy removes it; its desired count is what runs."""
    f = formation(tmp_path, '[app]\nname = "shop"\nimage = "i"\n[processes.web]\ncommand = "s"\n')
    status = build_status(f, "shop", [parse(inspected("old", 1, health=None))], {}, now=NOW)
    assert [(t.name, t.desired, t.running, t.healthy) for t in status.types] == [("web", 0, 0, None),
                                                                                   ("old", 1, 1, None)]


def _formation(tmp_path: Path, restart: str = "always") -> Any:
    return formation(tmp_path, f'[app]\nname = "shop"\nimage = "i"\n[processes.web]\ncommand = "s"\nport = 80\n'
                               f'health = {{ http = "/" }}\n[processes.worker]\ncommand = "w"\n'
                               f'restart = "{restart}"\n')


def test_settled_counts_only_containers_that_stayed_up(tmp_path: Path) -> None:
    """A container up for less than SETTLE_SECONDS is not counted yet (it may be about to crash)."""
    f = _formation(tmp_path)
    fresh = parse(inspected("worker", 1, health=None, started=NOW - timedelta(seconds=0.2)))
    old = parse(inspected("worker", 2, health=None, started=NOW - timedelta(seconds=5)))
    status = build_status(f, "shop", [fresh, old], {"worker": 2}, now=NOW)
    assert status.types[1].running == 2
    assert converge.settled(f, status, [fresh, old], NOW).types[1].running == 1
    later = NOW + timedelta(seconds=converge.SETTLE_SECONDS)
    assert converge.settled(f, status, [fresh, old], later).types[1].running == 2


@pytest.mark.parametrize(("restart", "container", "stuck"), [
    ("always", inspected("worker", 1, health=None, state="restarting", restarts=3), True),
    ("always", inspected("worker", 1, health=None, state="restarting", restarts=1), False),
    ("always", inspected("worker", 1, health=None, state="running", restarts=5), False),
    ("always", inspected("web", 1, health="unhealthy"), True),
    ("always", inspected("web", 1, health="starting"), False),
    ("never", inspected("worker", 1, health=None, state="exited", exit_code=0), False),  # done
    ("never", inspected("worker", 1, health=None, state="exited", exit_code=1), True),
    ("on-failure", inspected("worker", 1, health=None, state="exited", exit_code=0), False),  # done
    ("on-failure", inspected("worker", 1, health=None, state="exited", exit_code=1), False),
])
def test_trouble_tells_crash_loops_from_slow_starts(tmp_path: Path, restart: str, container: dict[str, Any],
                                                    stuck: bool) -> None:
    """Crash loops, failing health checks and failed containers their policy will not restart stop the wait at once;
    a one-shot container that exited 0 is done, and the wait counts it as finished."""
    f = _formation(tmp_path, restart)
    found = converge.trouble(f, [parse(container)], {"web": 1, "worker": 1})
    assert (found is not None) == stuck
    one_shot_done = container["State"]["Status"] == "exited" and container["State"]["ExitCode"] == 0 \
        and restart in ("never", "on-failure")
    assert converge.done(f, [parse(container)], {"web": 1, "worker": 1})["worker"] == int(one_shot_done)


@pytest.mark.parametrize(("restart", "action", "exit_codes", "built", "left_alone"), [
    ("never", "unchanged", (0, 0), False, True),
    ("on-failure", "unchanged", (0, 0), False, True),
    ("never", "unchanged", (0, 3), False, True),  # one failed: left failed, as the plan and the wait say
    ("on-failure", "unchanged", (0, 3), False, False),  # on-failure restarts a failed one: not ended
    ("never", "unchanged", (0,), False, False),  # one of the two is missing
    ("never", "change", (0, 0), False, False),  # a new definition runs again
    ("always", "unchanged", (0, 0), False, False),  # stopped by hand: up starts it again
    ("never", "unchanged", (0, 0), True, False),  # built: up recreates it when its image was rebuilt
])
def test_an_unchanged_deploy_leaves_only_ended_one_shots_alone(tmp_path: Path, restart: str, action: str,
                                                                  exit_codes: tuple[int, ...], built: bool,
                                                                  left_alone: bool) -> None:
    """A one-shot type whose every container exited and stays stopped is not handed to `up` again when the plan
    leaves it as it is."""
    f = _formation(tmp_path, restart)
    if built:
        (tmp_path / "Dockerfile").write_text("FROM scratch\n")
        f = formation(tmp_path, (tmp_path / "formation.toml").read_text() + 'build = { context = "." }\n')
    containers = [parse(inspected("worker", n, health=None, state="exited", exit_code=code))
                  for n, code in enumerate(exit_codes, 1)]
    plan = Plan(backend="compose", app="shop", changes=(
        TypeChange(process="worker", action=action, current=len(exit_codes), desired=2, reason="file",  # type: ignore[arg-type]
                   definition_changed=action == "change"),))
    assert converge.ended(f, plan, containers) == ({"worker"} if left_alone else set())


def test_trouble_ignores_types_not_waited_for(tmp_path: Path) -> None:
    """Scaling worker does not fail because web is unhealthy."""
    f = _formation(tmp_path)
    assert converge.trouble(f, [parse(inspected("web", 1, health="unhealthy"))], {"worker": 2}) is None


def test_describe_trouble_quotes_the_last_output(tmp_path: Path) -> None:
    """The reason, then the container's last lines."""
    f = _formation(tmp_path)
    crashed = parse(inspected("worker", 1, health=None, state="restarting", restarts=4, exit_code=3))
    message = converge.describe_trouble(f, crashed, "starting\n" * 10 + "oops")
    assert message.startswith("worker.1 (container shop-worker-1) keeps crashing: 4 restarts, last exit code 3; "
                              "its last output:\n")
    assert message.splitlines()[-1] == "  | oops" and len(message.splitlines()) == 1 + converge.LOG_LINES
    unhealthy = parse(inspected("web", 1, health="unhealthy", output="wget: server returned error: 500"))
    assert "web.1 (container shop-web-1) is unhealthy: its health check fails (wget: server returned error: 500)" in \
        converge.describe_trouble(f, unhealthy, "")


def test_wait_for_returns_once_converged_and_reports_progress(tmp_path: Path) -> None:
    """Progress is reported on every look; the settled status decides."""
    f = _formation(tmp_path)
    looks = [[parse(inspected("web", 1, health="starting"))], [parse(inspected("web", 1))]]
    seen: list[Status] = []

    def observe() -> tuple[Status, list[Container]]:
        containers = looks.pop(0)
        return build_status(f, "shop", containers, {"web": 1}), containers

    converge.POLL_SECONDS, before = 0.0, converge.POLL_SECONDS
    try:
        status = converge.wait_for(f, {"web": 1}, WaitOptions(timeout=5, progress=seen.append), observe,
                                   lambda c: "")
    finally:
        converge.POLL_SECONDS = before
    assert status.types[0].healthy == 1 and len(seen) == 2 and not looks


def test_wait_for_times_out_with_a_summary(tmp_path: Path) -> None:
    """NotConverged names the app, the timeout and the counts reached."""
    f = _formation(tmp_path)
    containers = [parse(inspected("web", 1, health="starting"))]
    with pytest.raises(NotConverged, match=r"shop did not converge within 0s: web 1/1 running, 0/1 healthy"):
        converge.wait_for(f, {"web": 1}, WaitOptions(timeout=0), lambda: (build_status(f, "shop", containers, {}),
                                                                          containers), lambda c: "")


def test_wait_for_stops_at_a_crash_loop(tmp_path: Path) -> None:
    """No need to wait for the timeout when a container keeps crashing."""
    f = _formation(tmp_path)
    containers = [parse(inspected("worker", 1, health=None, state="restarting", restarts=3, exit_code=1))]
    with pytest.raises(NotConverged, match=r"worker\.1 \(container shop-worker-1\) keeps crashing.*\n  \| boom"):
        converge.wait_for(f, {"worker": 1}, WaitOptions(timeout=60),
                          lambda: (build_status(f, "shop", containers, {}), containers), lambda c: "boom")
