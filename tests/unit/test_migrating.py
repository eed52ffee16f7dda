"""migrate's steps and its failures, with stand-in backends: which side is touched when, and what --json says."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest

from procfleet import registry
from procfleet.backend import LiveType, Outcome, Session, Status, TypeStatus, WaitOptions
from procfleet.errors import NotConverged, PlatformError
from procfleet.model import Formation
from procfleet.plan import Plan
from tests.conftest import CliResult

FORMATION = """
[app]
name = "shop"

[processes.web]
command = "serve"
count = 1

[processes.worker]
command = "work"
"""


class Stand:
    """A backend whose live counts, apply and scale a test sets; every call is recorded in `calls`."""

    name: ClassVar[str] = "stand"
    features: ClassVar[frozenset[str]] = frozenset()
    calls: ClassVar[list[tuple[str, str, Any]]] = []
    live_counts: ClassVar[dict[str, dict[str, int]]] = {}
    failures: ClassVar[dict[tuple[str, str], Exception]] = {}
    foreground: ClassVar[set[str]] = set()

    def __init__(self, session: Session, backend: str) -> None:
        self.backend = backend
        self.runs_in_foreground = backend in Stand.foreground

    def _call(self, what: str, argument: Any) -> None:
        Stand.calls.append((self.backend, what, argument))
        failure = Stand.failures.get((self.backend, what))
        if failure is not None:
            raise failure

    def live(self, formation: Formation) -> dict[str, LiveType]:
        return {name: LiveType(name, count) for name, count in Stand.live_counts.get(self.backend, {}).items()}

    def status(self, formation: Formation) -> Status:
        return _status(self.backend, Stand.live_counts.get(self.backend, {}))

    def apply(self, formation: Formation, plan: Plan, wait: WaitOptions) -> Outcome:
        self._call("apply", plan.counts)
        return Outcome(status=_status(self.backend, plan.counts))

    def scale(self, formation: Formation, targets: Mapping[str, int], wait: WaitOptions) -> Status:
        self._call("scale", dict(targets))
        return _status(self.backend, targets)


def _status(backend: str, counts: Mapping[str, int]) -> Status:
    return Status(backend=backend, app="shop", types=tuple(TypeStatus(name, n, n) for name, n in counts.items()))


@pytest.fixture
def stands(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> type[Stand]:
    """Backends "a" and "b" (and "local", which load_formation needs) are stand-ins; a formation is written."""
    Stand.calls, Stand.live_counts, Stand.failures, Stand.foreground = [], {}, {}, set()

    def load(name: str) -> Callable[[Session], Stand]:
        named = type(f"Stand_{name}", (Stand,), {"name": name})  # a backend's name is its class's, as in the registry
        return lambda session: named(session, name)

    monkeypatch.setattr(registry, "load", load)
    (tmp_path / "formation.toml").write_text(FORMATION)
    return Stand


def _migrate(cli: Callable[..., CliResult], *args: str) -> tuple[CliResult, dict[str, Any]]:
    result = cli("migrate", "--from", "a", "--to", "b", "--json", *args)
    return result, json.loads(result.out)


def test_without_drain_the_source_is_only_read(stands: type[Stand], cli: Callable[..., CliResult]) -> None:
    """b gets a's live counts (not the file's); a is never scaled; the drain step says it was skipped."""
    stands.live_counts = {"a": {"web": 3, "worker": 2}}
    result, report = _migrate(cli)
    assert result.code == 0, result.err
    assert stands.calls == [("b", "apply", {"web": 3, "worker": 2})]
    assert [s["step"] for s in report["steps"]] == ["read", "deploy", "drain"]
    assert report["steps"][2] == {"step": "drain", "backend": "a", "skipped": True, "status": None, "error": None}
    assert "a still runs: pass --drain" in cli("migrate", "--from", "a", "--to", "b").err


def test_drain_comes_after_a_healthy_deploy(stands: type[Stand], cli: Callable[..., CliResult]) -> None:
    stands.live_counts = {"a": {"web": 3, "worker": 2}}
    result, report = _migrate(cli, "--drain")
    assert result.code == 0, result.err
    assert stands.calls == [("b", "apply", {"web": 3, "worker": 2}), ("a", "scale", {"web": 0, "worker": 0})]
    assert report["ok"] and report["steps"][2]["status"]["types"]["web"]["desired"] == 0


@pytest.mark.parametrize(("failure", "said"), [
    (NotConverged("web.1 keeps crashing"), "b did not become healthy, so a was left untouched: web.1 keeps crashing"),
    (PlatformError("no such image"), "deploying on b failed, so a was left untouched: no such image"),
])
def test_a_failed_deploy_never_drains(stands: type[Stand], cli: Callable[..., CliResult], failure: Exception,
                                      said: str) -> None:
    """Exit 1, the reason in --json and on stderr, and a is not touched even with --drain."""
    stands.live_counts = {"a": {"web": 1}}
    stands.failures = {("b", "apply"): failure}
    result, report = _migrate(cli, "--drain")
    assert result.code == 1
    assert stands.calls == [("b", "apply", {"web": 1, "worker": 1})]
    assert (report["ok"], report["failed"]) == (False, "deploy")
    assert report["steps"][-1]["error"] == str(failure) and len(report["steps"]) == 2
    assert f"error: {said}" in result.err and "`procfleet down -b b` removes it" in result.err


def test_a_failed_drain_says_the_target_runs(stands: type[Stand], cli: Callable[..., CliResult]) -> None:
    stands.live_counts = {"a": {"web": 1}}
    stands.failures = {("a", "scale"): PlatformError("the supervisor went away")}
    result, report = _migrate(cli, "--drain")
    assert result.code == 1
    assert (report["failed"], report["steps"][2]["error"]) == ("drain", "the supervisor went away")
    assert "error: b runs the app, healthy, but scaling a to zero failed: the supervisor went away" in result.err


def test_a_foreground_target_must_already_run(stands: type[Stand], cli: Callable[..., CliResult]) -> None:
    """Deploying local would block migrate in the foreground: start it first, says the usage error."""
    stands.live_counts = {"a": {"web": 1}}
    stands.foreground = {"b"}
    result = cli("migrate", "--from", "a", "--to", "b")
    assert result.code == 2 and "start shop on b first" in result.err
    assert stands.calls == []


def test_after_a_drain_the_platform_left_behind_says_where_the_app_went(stands: type[Stand],
                                                                         cli: Callable[..., CliResult],
                                                                         tmp_path: Path) -> None:
    """`[app].backend` still names the drained platform (a stand-in called compose here): scale without -b
    refuses, naming b; -b compose scales it anyway."""
    (tmp_path / "formation.toml").write_text(FORMATION.replace('name = "shop"', 'name = "shop"\nbackend = "compose"'))
    stands.live_counts = {"compose": {"web": 3, "worker": 2}}
    moved = cli("migrate", "--from", "compose", "--to", "b", "--drain")
    assert moved.code == 0, moved.err
    stands.live_counts = {"compose": {"web": 0, "worker": 0}, "b": {"web": 3, "worker": 2}}
    stands.calls.clear()
    refused = cli("scale", "web=2")
    assert refused.code == 1
    assert refused.err.startswith("error: nothing of shop runs on compose: `procfleet migrate` moved it to b on ")
    assert "(use -b b); pass -b compose to scale it here all the same" in refused.err
    assert stands.calls == []  # nothing was sent to the platform it left
    counts = cli("scale")
    assert counts.out == "web=0 worker=0\n" and "moved it to b" in counts.err
    shown = cli("ps")
    assert shown.code == 0
    assert shown.err.startswith("nothing of shop runs on compose: `procfleet migrate` moved it to b")
    assert "moved it" not in cli("ps", "-b", "b").err
    assert cli("scale", "-b", "compose", "web=2").code == 0
    assert stands.calls == [("compose", "scale", {"web": 2})]
    assert cli("scale", "-b", "b", "web=4").code == 0  # the platform it moved to is not held back

