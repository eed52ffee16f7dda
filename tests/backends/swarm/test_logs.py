"""`docker service logs --timestamps` lines read back as procfleet's: the slot's instance and the time written."""

from __future__ import annotations

from procfleet.loglines import LogLine
from procfleet.lognames import swarm_line

# As Docker 20.10 printed them for the stack lgtest (`docker service logs --timestamps`, with and without task IDs).
WEB = "2026-12-03T15:52:53.528605344Z lgtest_web.1.gdhzi77ccg9x@vm    | PROBE {\"pid\": 7}"
WORKER = "2026-12-03T15:53:00.528722381Z lgtest_worker.12@vm    | tick"


def test_each_line_names_the_slot_and_the_time_docker_received_it() -> None:
    parse = swarm_line("lgtest")
    assert parse(WEB, False) == LogLine("web.1", "web", 'PROBE {"pid": 7}', 1796313173.528605)
    assert parse(WORKER, True) == LogLine("worker.12", "worker", "tick", 1796313180.528722, stderr=True)
    assert parse("2026-12-03T15:53:00.5Z lgtest_worker.1@vm    |", False) == LogLine("worker.1", "worker", "",
                                                                                     1796313180.5)


def test_another_stack_or_another_shape_is_no_instance_line() -> None:
    assert swarm_line("lg")(WEB, False) is None  # another stack's service, whose name starts the same
    assert swarm_line("lgtest")("lgtest_web.1.gdhzi77ccg9x@vm    | no timestamp", False) is None
    assert swarm_line("lgtest")("error from daemon in stream: Error grabbing logs: rpc error", True) is None
