"""The restart tracker against restarts.go GetState, on a clock the test moves."""

from __future__ import annotations

import random

from .restarts import REASON_WITHIN_POLICY, RestartTracker

POLICY = {"Attempts": 2, "Interval": 10_000_000_000, "Delay": 1_000_000_000, "Mode": "fail"}


class Clock:
    """A monotonic clock that only moves when told."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_count_starts_again_once_the_interval_has_passed() -> None:
    clock = Clock()
    tracker = RestartTracker(POLICY, "service", clock=clock)
    assert [tracker.after_exit(1).restart for _ in range(2)] == [True, True]
    clock.now += 10.5
    again = tracker.after_exit(1)
    assert again.restart and again.reason == REASON_WITHIN_POLICY and tracker.count == 1


def test_the_delay_has_up_to_a_quarter_of_jitter() -> None:
    delays = {RestartTracker(POLICY, "service", rand=random.Random(seed)).after_exit(1).delay_ns
              for seed in range(50)}
    assert min(delays) >= 1_000_000_000 and max(delays) <= 1_250_000_000 and len(delays) > 40


def test_mode_delay_waits_for_the_rest_of_the_interval() -> None:
    clock = Clock()
    tracker = RestartTracker({**POLICY, "Mode": "delay"}, "service", clock=clock)
    tracker.after_exit(1), tracker.after_exit(1)
    clock.now += 4
    third = tracker.after_exit(1)
    assert third.restart and third.delay_ns == 6_000_000_000
    assert third.event() == ("Restarting", "Exceeded allowed attempts, applying a delay - Task restarting in 6s")
