"""The progress view every waiting command shares: in place on a terminal, plain lines in a pipe."""

from __future__ import annotations

import io

import pytest

from procfleet.backend import InstanceStatus, Status, TypeStatus
from procfleet.console import Output
from procfleet.progress import ProgressView, closing_line


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def status(*types: TypeStatus, instances: tuple[InstanceStatus, ...] = ()) -> Status:
    return Status(backend="compose", app="shop", types=types, instances=instances)


def test_piped_it_writes_a_line_each_time_the_counts_change_with_the_elapsed_time() -> None:
    err, clock = io.StringIO(), Clock()
    view = ProgressView(Output(err=err), timeout=300, clock=clock)
    view(status(TypeStatus("web", desired=2, running=4, healthy=None)))
    clock.now += 3
    view(status(TypeStatus("web", desired=2, running=4, healthy=None)))  # nothing changed: nothing written
    clock.now += 2
    view(status(TypeStatus("web", desired=2, running=2, healthy=2)))
    assert err.getvalue().splitlines() == ["waiting: web 2 wanted, 2 stopping (0s)",  # not "4/2 running"
                                           "waiting: web 2/2 running, 2 healthy (5s)"]
    assert "\r" not in err.getvalue()


def test_on_a_terminal_one_line_is_rewritten_in_place_with_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm")
    err, clock = Terminal(), Clock()
    output = Output(err=err)
    view = ProgressView(output, timeout=120, clock=clock)
    view(status(TypeStatus("web", desired=3, running=1, healthy=0), TypeStatus("worker", 1, 1)))
    clock.now += 61
    view(status(TypeStatus("web", desired=3, running=3, healthy=3), TypeStatus("worker", 1, 1)))
    output.info("done")  # whatever is said next starts on a line of its own
    text = err.getvalue()
    assert "\x1b" not in text
    first, second = text.split("\r")[1:]
    assert first == "waiting: web 1/3 running, 0 healthy · worker 1/1 running (0s of 2m)"
    assert second.startswith("waiting: web 3/3 running, 3 healthy · worker 1/1 running (1m1s of 2m)")
    assert text.endswith("\ndone\n")


def test_dumb_terminals_get_plain_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "dumb")
    err = Terminal()
    ProgressView(Output(err=err), timeout=10)(status(TypeStatus("web", 1, 0)))
    assert err.getvalue() == "waiting: web 0/1 running (0s)\n"


def test_an_instance_that_fails_its_check_is_told_once_with_the_check_output() -> None:
    err = io.StringIO()
    view = ProgressView(Output(err=err), timeout=10)
    sick = InstanceStatus(name="web.2", process="web", state="running", healthy=False,
                          detail="curl: (7) Failed to connect to 127.0.0.1 port 8000")
    for _ in range(3):
        view(status(TypeStatus("web", 2, 2, 1), instances=(sick,)))
    assert err.getvalue().splitlines() == [
        "web.2 is not healthy yet: curl: (7) Failed to connect to 127.0.0.1 port 8000",
        "waiting: web 2/2 running, 1 healthy (0s)"]


def test_the_closing_line_says_what_runs_now() -> None:
    assert closing_line(status(TypeStatus("web", 2, 2, 2), TypeStatus("worker", 3, 3))) == \
        "shop on compose runs web 2 (2 healthy), worker 3"
    assert closing_line(status(TypeStatus("web", 0, 0, 0))) == "shop on compose runs nothing now"


def test_going_down_it_counts_what_is_still_stopping_without_a_timeout() -> None:
    err = io.StringIO()
    view = ProgressView(Output(err=err), timeout=None)
    view(status(TypeStatus("web", 0, 0, 0), TypeStatus("worker", 0, 2)))
    view(status(TypeStatus("web", 0, 0, 0), TypeStatus("worker", 0, 0)))
    assert err.getvalue().splitlines() == ["waiting: web stopped · worker 2 stopping (0s)",
                                           "waiting: web stopped · worker stopped (0s)"]


def test_the_closing_line_says_what_is_still_wanted_after_a_scale_that_did_not_wait() -> None:
    assert closing_line(status(TypeStatus("web", 5, 2, 1), TypeStatus("worker", 1, 1))) == \
        "shop on compose runs web 2 (1 healthy, 5 wanted), worker 1"


def test_a_one_shot_that_finished_is_done_not_wanted() -> None:
    finished = TypeStatus("migrate", 1, 0, done=1)
    assert closing_line(status(TypeStatus("web", 1, 1), finished)) == "shop on compose runs web 1, migrate 0 (1 done)"
    # one of two done, the other not started yet: still wanted
    assert closing_line(status(TypeStatus("web", 1, 1), TypeStatus("migrate", 2, 0, done=1))) == \
        "shop on compose runs web 1, migrate 0 (1 done, 2 wanted)"
    err = io.StringIO()
    ProgressView(Output(err=err), timeout=None)(status(TypeStatus("web", 1, 1), finished))
    assert err.getvalue() == "waiting: web 1/1 running · migrate 0/1 running, 1 done (0s)\n"
