"""The backend's decisions, with the engine replaced by a recording stand-in: what it asks Docker to do."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

import pytest

from procfleet.backend import Session, WaitOptions
from procfleet.errors import NotRunning, PlatformError, UsageError
from procfleet.model import Formation
from procfleet_swarm.backend import SwarmBackend
from procfleet_swarm.engine import Engine
from procfleet_swarm.options import settings
from procfleet_swarm.status import Service, Task
from tests.backends.swarm.helpers import formation
from tests.backends.swarm.inspected import service, task

FORMATION = """
[app]
name = "shop"
image = "shop:1"
env = { GREETING = "hi $HOME" }
[processes.web]
command = "serve"
port = 8000
[processes.worker]
command = "work"
"""


class FakeEngine(Engine):
    """Answers from fixed services and tasks, and records what procfleet asked."""

    def __init__(self, services: list[Service], tasks: list[Task] | None = None,
                 digests: Mapping[str, list[str] | None] | None = None, networks: Sequence[str] = ()) -> None:
        super().__init__("shop")
        self._services, self._tasks = services, tasks or []
        self._digests = dict(digests or {})
        self._networks = list(networks)
        self.calls: list[tuple[str, Any]] = []

    def services(self) -> list[Service]:
        return list(self._services)

    def tasks(self, services: Sequence[Service]) -> list[Task]:
        return list(self._tasks)

    def nodes(self, wanted: Sequence[str] = ()) -> dict[str, str]:
        return {}

    def networks(self) -> dict[str, str | None]:
        return dict.fromkeys(self._networks, "shop")

    def image_digests(self, images: Sequence[str]) -> dict[str, list[str] | None]:
        return {image: self._digests.get(image) for image in images}

    def deploy(self, stack_file: str, resolve_image: str) -> list[str]:
        self.calls.append(("deploy", resolve_image))
        return ["Creating service shop_web"]

    def scale(self, replicas: Mapping[str, int]) -> list[str]:
        self.calls.append(("scale", dict(replicas)))
        return [f"{name} scaled to {count}" for name, count in replicas.items()]

    def run(self, command: Sequence[str], env: Mapping[str, str], tty: bool, out: TextIO, err: TextIO) -> int:
        self.calls.append(("run", (list(command), dict(env))))
        return 7


def backend(f: Formation, engine: FakeEngine, verbose: bool = False) -> tuple[SwarmBackend, io.StringIO]:
    err = io.StringIO()
    the_backend = SwarmBackend(Session(out=io.StringIO(), err=err, verbose=verbose))
    the_backend._engines["shop"] = engine
    return the_backend, err


@pytest.mark.parametrize(("digests", "mode"), [
    ({"shop:1": []}, "never"),  # built here, never pushed: no digest to pin
    ({"shop:1": ["registry.example.com/shop@sha256:ab"]}, "always"),  # pulled: pin its digest
    ({"shop:1": None}, "always"),  # not here: it comes from a registry
])
def test_resolve_image_auto(tmp_path: Path, digests: dict[str, list[str] | None], mode: str) -> None:
    """"auto" asks no registry about images that exist only here, and pins those that came from one."""
    f = formation(tmp_path, FORMATION)
    the_backend, _ = backend(f, FakeEngine([], digests=digests))
    assert the_backend.resolve_image(f, settings(f)) == mode


def test_scale_changes_every_changed_type_in_one_call(tmp_path: Path) -> None:
    """Types already at their target are left out; nothing changed, no call at all."""
    f = formation(tmp_path, FORMATION)
    engine = FakeEngine([service("web", replicas=2), service("worker", replicas=1, checked=False)])
    the_backend, err = backend(f, engine, verbose=True)
    the_backend.scale(f, {"web": 2, "worker": 4}, WaitOptions(wait=False, progress=lambda _s: None))
    assert engine.calls == [("scale", {"shop_worker": 4})]
    assert "shop_worker scaled to 4" in err.getvalue()  # docker's own line, with -v
    the_backend.scale(f, {"web": 2}, WaitOptions(wait=False))
    assert engine.calls == [("scale", {"shop_worker": 4})]


def test_scale_of_a_type_not_deployed(tmp_path: Path) -> None:
    """It has no service to scale: deploy first."""
    f = formation(tmp_path, FORMATION)
    the_backend, _ = backend(f, FakeEngine([service("web")]))
    with pytest.raises(UsageError, match=r"worker: not deployed on swarm yet; run `procfleet deploy -b swarm`"):
        the_backend.scale(f, {"worker": 2}, WaitOptions(wait=False))


def test_refuses_a_stack_holding_what_it_does_not_own(tmp_path: Path) -> None:
    """A service of the namespace without the app's label: no deploy, scale or down."""
    f = formation(tmp_path, FORMATION)
    engine = FakeEngine([service("web"), service("db", app=None)])
    the_backend, _ = backend(f, engine)
    for act in (lambda: the_backend.live(f), lambda: the_backend.down(f, purge=False),
                lambda: the_backend.scale(f, {"web": 1}, WaitOptions(wait=False))):
        with pytest.raises(PlatformError, match=r'the stack "shop" has services procfleet did not create for shop '
                                                r"\(shop_db\)"):
            act()
    assert engine.calls == []


def test_run_joins_the_stacks_network_with_the_types_env(tmp_path: Path) -> None:
    """`docker run --rm --init` on the stack's network, labelled, the type's image and env, argv kept literal."""
    f = formation(tmp_path, FORMATION)
    engine = FakeEngine([service("web")], networks=["shop_swarm"])
    the_backend, _ = backend(f, engine)
    assert the_backend.run(f, ["echo", "$HOME", "a b"], "worker") == 7
    (kind, (command, env)), = engine.calls
    assert kind == "run"
    assert command[:7] == ["run", "--rm", "--init", "--network", "shop_swarm", "--entrypoint", "/bin/sh"]
    assert {"procfleet.app=shop", "procfleet.process=worker", "procfleet.oneoff=true"} <= set(command)
    assert command[-3:] == ["shop:1", "-c", "echo '$HOME' 'a b'"]
    assert env == {"GREETING": "hi $HOME", "PROCFLEET_PROCESS": "worker"}
    assert not any("GREETING" in part for part in command)  # values never on the docker command line


def test_run_and_logs_before_deploy(tmp_path: Path) -> None:
    """No stack network, no services: say how to start it."""
    f = formation(tmp_path, FORMATION)
    the_backend, _ = backend(f, FakeEngine([]))
    with pytest.raises(NotRunning, match=r"shop is not deployed on swarm: start it with `procfleet deploy "
                                         r"--backend swarm` \(a one-off joins the stack's network\)"):
        the_backend.run(f, ["true"], None)
    with pytest.raises(NotRunning, match="shop is not deployed on swarm"):
        the_backend.logs(f, [], follow=False, tail=None)


def test_apply_deploys_and_waits(tmp_path: Path) -> None:
    """One `docker stack deploy` with the image mode; its lines shown when progress is; then the wait."""
    from procfleet.plan import make_plan

    f = formation(tmp_path, FORMATION)
    engine = FakeEngine([service("web", replicas=1), service("worker", replicas=1, checked=False)],
                        [task("web", 1, ident="a"), task("worker", 1, ident="b")], digests={"shop:1": []})
    the_backend, err = backend(f, engine)
    plan = make_plan(f, "swarm", the_backend.live(f), keep_counts=False)
    outcome = the_backend.apply(f, plan, WaitOptions(timeout=5, progress=lambda _s: None))
    assert engine.calls == [("deploy", "never")]
    assert "Creating service" not in err.getvalue()  # docker stack deploy's own lines only with -v
    assert outcome.status is not None and [t.running for t in outcome.status.types] == [1, 1]


class RacingEngine(FakeEngine):
    """`docker stack rm` refused `refusals` times because a removed service's task still holds the network."""

    def __init__(self, refusals: int, message: str) -> None:
        super().__init__([service("web")], networks=["shop_swarm"])
        self.refusals, self.message = refusals, message

    def remove(self) -> list[str]:
        self.calls.append(("remove", None))
        if self.refusals:
            self.refusals -= 1
            raise PlatformError(f"docker stack rm failed: Failed to remove network n1: {self.message}")
        self._services, self._networks = [], []
        return ["Removing service shop_web"]


def test_down_removes_again_while_a_task_still_holds_the_network(tmp_path: Path, monkeypatch: Any) -> None:
    """The engine's "in use by task" is a moment, not a failure: down removes the stack again and succeeds."""
    monkeypatch.setattr("procfleet_swarm.backend.DOWN_POLL", 0.0)
    f = formation(tmp_path, FORMATION)
    engine = RacingEngine(2, "network n1 is in use by task hw7l")
    the_backend, _ = backend(f, engine)
    the_backend.down(f, purge=False)
    assert engine.calls == [("remove", None)] * 3


def test_down_reports_any_other_refusal_at_once(tmp_path: Path) -> None:
    """Another refusal is the engine's answer: reported after one try."""
    f = formation(tmp_path, FORMATION)
    engine = RacingEngine(1, "permission denied")
    the_backend, _ = backend(f, engine)
    with pytest.raises(PlatformError, match="permission denied"):
        the_backend.down(f, purge=False)
    assert engine.calls == [("remove", None)]


def test_an_image_built_here_is_refused_on_a_swarm_of_several_nodes(tmp_path: Path) -> None:
    """The other nodes could not pull an image that exists only on this machine (there is no registry): refused
    before anything is built or deployed, naming them."""
    f = formation(tmp_path, FORMATION.replace('image = "shop:1"\n', 'image = "shop:1"\nbuild = "."\n'))

    class Cluster(FakeEngine):
        def other_nodes(self) -> list[str]:
            return ["node-2", "node-3"]

    engine = Cluster([])
    the_backend, _ = backend(f, engine)
    with pytest.raises(PlatformError, match=r"shop:1 is built on this machine only, and Swarm would run tasks on "
                                            r"node-2, node-3, which cannot get it without a registry"):
        the_backend._build(f)
    assert engine.calls == []
