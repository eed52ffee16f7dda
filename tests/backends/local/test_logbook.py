"""The supervisor's log buffer: `--tail N` per instance and `--since`, by the time each chunk was read."""

from __future__ import annotations

from procfleet_local.logbook import Logbook


def test_since_keeps_what_was_read_from_then_on_and_tail_counts_within_it() -> None:
    book = Logbook()
    book.add("web.1", "web", 100.0, ["booting", "listening"])
    book.add("worker.1", "worker", 101.5, ["job 1"])
    book.add("web.1", "web", 102.0, ["GET /"])
    book.add("system", None, 103.0, ["web.1 healthy"])
    book.add("worker.1", "worker", 104.0, ["job 2", "job 3"])

    def lines(types: list[str], tail: int | None, since: float | None) -> list[tuple[str, str]]:
        return [(chunk.name, line) for chunk in book.tail(types, tail, since) for line in chunk.lines]

    assert lines([], None, 102.0) == [("web.1", "GET /"), ("system", "web.1 healthy"), ("worker.1", "job 2"),
                                      ("worker.1", "job 3")]
    assert lines(["worker"], 1, 101.0) == [("worker.1", "job 3")]
    assert lines(["worker"], 5, 101.6) == [("worker.1", "job 2"), ("worker.1", "job 3")]
    assert lines(["web"], None, 102.5) == []
    assert lines(["web"], 1, None) == [("web.1", "GET /")]
    assert book.names(["web", "worker"]) == ["web.1", "worker.1"] and "system" in book.names([])
