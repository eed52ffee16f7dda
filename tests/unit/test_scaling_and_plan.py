"""`scale` arguments, and the count rules deploy follows (DESIGN §2)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from procfleet.backend import LiveType
from procfleet.errors import UsageError
from procfleet.loader import load
from procfleet.model import fingerprint
from procfleet.plan import desired_count, make_plan
from procfleet.scaling import parse_specs, resolve_targets


def test_absolute_and_relative_specs() -> None:
    """web=3 worker+2 clock-1, like heroku ps:scale."""
    specs = parse_specs(["web=3", "worker+2", "clock-1"])
    targets = resolve_targets(specs, ["web", "worker", "clock"], {"web": 1, "worker": 4, "clock": 1})
    assert targets == {"web": 3, "worker": 6, "clock": 0}


@pytest.mark.parametrize("argument", ["web", "web=", "web=x", "=3", "Web=3", "web=-1", "web*2"])
def test_malformed_specs(argument: str) -> None:
    """Malformed arguments are usage errors that show the expected form."""
    with pytest.raises(UsageError, match="TYPE=N"):
        parse_specs([argument])


def test_unknown_type_and_below_zero() -> None:
    """A type not in the formation, or a count below zero, is refused before anything is touched."""
    with pytest.raises(UsageError, match='did you mean "worker"'):
        resolve_targets(parse_specs(["wroker=2"]), ["web", "worker"], {})
    with pytest.raises(UsageError, match="below zero"):
        resolve_targets(parse_specs(["web-3"]), ["web"], {"web": 2})


def test_same_type_twice() -> None:
    """Naming a type twice is ambiguous."""
    with pytest.raises(UsageError, match="twice"):
        parse_specs(["web=1", "web+1"])


@pytest.mark.parametrize(("file", "live", "keep", "expected"), [
    (3, None, False, (3, "file")),  # new type with a count: the file's
    (None, None, False, (1, "new")),  # new type without a count: one instance
    (3, 5, False, (3, "file")),  # count in the file wins over a live scale
    (None, 5, False, (5, "kept")),  # no count: the platform owns it
    (3, 5, True, (5, "kept")),  # --keep-counts keeps every live count
    (3, None, True, (3, "file")),  # --keep-counts on a new type: the file's
])
def test_count_rules(file: int | None, live: int | None, keep: bool, expected: tuple[int, str]) -> None:
    """DESIGN §2's table of count rules."""
    assert desired_count(file, live, keep) == expected


def test_plan_lists_adds_removes_changes(write_formation: Callable[[str], Path]) -> None:
    """A type not running is added, one no longer in the file removed, a changed one changed."""
    formation = load(write_formation("""
        [app]
        name = "a"
        [processes.web]
        command = "serve"
        count = 2
        [processes.worker]
        command = "work"
        [processes.clock]
        command = "tick"
    """), environ={})
    live = {
        "web": LiveType("web", 2, fingerprint(formation, formation.processes["web"])),
        "worker": LiveType("worker", 4, "stale"),
        "old": LiveType("old", 1, "x"),
    }
    plan = make_plan(formation, "test", live, keep_counts=False)
    assert [(c.process, c.action, c.current, c.desired, c.reason) for c in plan.changes] == [
        ("web", "unchanged", 2, 2, "file"),
        ("worker", "change", 4, 4, "kept"),
        ("clock", "add", None, 1, "new"),
        ("old", "remove", 1, 0, "removed"),
    ]
    assert plan.pending
    assert plan.counts == {"web": 2, "worker": 4, "clock": 1}
    unchanged = make_plan(formation, "test", {name: LiveType(name, 1, fingerprint(formation, p))
                                              for name, p in formation.processes.items()}, keep_counts=True)
    assert not unchanged.pending
