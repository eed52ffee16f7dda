"""`docker compose logs --timestamps` lines read back as procfleet's: the instance and the time it was written."""

from __future__ import annotations

from procfleet.loglines import LogLine
from procfleet.lognames import LineFeed, compose_line

# As Docker Compose 2.40 printed them for a project of web ×2 and a worker (`logs --timestamps`, no colour).
WEB = 'web-2  | 2026-12-03T15:52:32.471290009Z PROBE {"argv": [], "bound": true}'
WORKER = "worker-1  | 2026-12-03T15:52:40.083919419Z tick"
ELEVENTH = "clock-11  | 2026-12-03T15:52:41Z "  # an empty line; a timestamp with no fraction


def test_each_line_names_the_instance_and_the_time_docker_received_it() -> None:
    assert compose_line(WEB, False) == LogLine("web.2", "web", 'PROBE {"argv": [], "bound": true}', 1796313152.471290)
    assert compose_line(WORKER, True) == LogLine("worker.1", "worker", "tick", 1796313160.083919, stderr=True)
    assert compose_line(ELEVENTH, False) == LogLine("clock.11", "clock", "", 1796313161.0)


def test_a_line_in_another_shape_is_no_instance_line() -> None:
    assert compose_line("web-1  | PROBE without a timestamp", False) is None  # --timestamps was not given
    assert compose_line("no container found for service idle", True) is None


def test_lines_are_whole_however_the_output_is_cut() -> None:
    seen: list[str] = []
    feed = LineFeed(seen.append)
    feed.write(WEB[:10])
    feed.write(WEB[10:] + "\r\n" + WORKER[:5])
    assert seen == [WEB]
    feed.write(WORKER[5:])
    feed.close()
    assert seen == [WEB, WORKER]
