"""A swarm of several nodes: a node that goes down in `ps`, and tasks no node will take, as one clear error."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from procfleet.model import Formation
from procfleet_swarm import failures
from procfleet_swarm.converge import Baseline, trouble
from procfleet_swarm.engine import NODES_REFRESH, Engine
from procfleet_swarm.status import Snapshot, Task, build_status
from tests.backends.swarm.helpers import formation
from tests.backends.swarm.inspected import NODE, NOW, service, task

NODES = {NODE: "vm", "n2": "node-2", "n3": "node-3"}
CONSTRAINED = """
[app]
name = "shop"
image = "shop:1"
[processes.web]
command = "serve"
[backends.swarm]
constraints = { web = "node.labels.zone == z" }
max_replicas_per_node = { web = 1 }
"""


def on(node: str, t: Task) -> Task:
    return replace(t, node_id=node)


def look(tasks: list[Task], *, down: frozenset[str] = frozenset(), drained: frozenset[str] = frozenset()) -> Snapshot:
    return Snapshot(services=(service("web", replicas=2, checked=False),), tasks=tuple(tasks), nodes=NODES,
                    down=down, drained=drained)


def shop(tmp_path: Path) -> Formation:
    return formation(tmp_path, CONSTRAINED)


def test_ps_names_the_node_that_is_down_and_the_tasks_lost_with_it(tmp_path: Path) -> None:
    """A task still on the down node says so; the replacement in its slot names the task it replaces and where."""
    lost = on("n2", task("web", 1, desired="shutdown", ident="lost-task-0001abcd"))
    replacement = on("n3", task("web", 1, state="ready", age=2, ident="new-task"))
    stranded = on("n2", task("web", 2, ident="stranded"))
    status = build_status(shop(tmp_path), "shop", look([lost, replacement, stranded], down=frozenset({"n2"})), NOW)
    rows = {i.name: i for i in status.instances}
    assert rows["web.1"].node == "node-3" and rows["web.1"].state == "ready"
    assert rows["web.1"].detail == "replaces task lost-task-00, lost with node node-2 (down)"
    assert rows["web.2"].node == "node-2" and rows["web.2"].detail == "node node-2 is down"
    assert status.types[0].running == 0  # a task on a node that is down is not known to run
    # once the node is back its old tasks are ended history (failed, counted as restarts), nothing is "lost"
    back = look([replace(lost, state="failed", error="task: non-zero exit (255)"),
                 replace(replacement, state="running")])
    assert build_status(shop(tmp_path), "shop", back, NOW).instances[0].detail == ""


def test_a_constraint_no_node_satisfies_is_trouble_at_once(tmp_path: Path) -> None:
    """Not a timeout: Swarm's reason, the nodes it could use, the formation key, the node that is down."""
    error = "no suitable node (scheduling constraints not satisfied on 2 nodes)"
    pending = replace(task("web", 1, state="pending", error=error), node_id="")
    found = trouble(shop(tmp_path), look([pending], down=frozenset({"n3"})), {"web": 2}, Baseline())
    assert found is not None
    assert found.reason == (
        "web.1 (task shop_web.1) cannot be placed: no suitable node (scheduling constraints not satisfied on 2 "
        "nodes); none of the "
        "swarm's 2 available nodes (vm, node-2) satisfies processes.web's constraints (node.labels.zone == z; "
        "[backends.swarm] constraints): change them, or give a node what they ask (`docker node update --label-add "
        "<name>=<value> <node>`) (node-3 is down)")


def test_max_replicas_per_node_reached_everywhere_is_trouble(tmp_path: Path) -> None:
    """Three nodes, at most one task each, a fourth task: it will never be placed."""
    running = [on(n, task("web", slot)) for slot, n in enumerate(NODES, start=1)]
    pending = task("web", 4, state="pending", error="no suitable node (max replicas per node limit exceed)")
    found = trouble(shop(tmp_path), look([*running, pending], drained=frozenset()), {"web": 4},
                    Baseline(tasks=frozenset(t.id for t in running)))
    assert found is not None
    assert ("web.4 (task shop_web.4) cannot be placed: no suitable node (max replicas per node limit exceed); "
            in found.reason)
    assert ("max_replicas_per_node = 1 lets the swarm's 3 available nodes (vm, node-2, node-3) run no more of web's "
            "tasks") in found.reason


def test_reasons_waiting_can_fix_are_left_to_the_timeout(tmp_path: Path) -> None:
    """Resources or a host port in use may free up; a task pending before this command is not its trouble."""
    for error in ("no suitable node (insufficient resources on 3 nodes)",
                  "no suitable node (scheduling constraints not satisfied on 1 node; insufficient resources on 2 "
                  "nodes)",
                  "no suitable node (host-mode port already in use on 3 nodes)"):
        assert not failures.unplaceable(error), error
        assert trouble(shop(tmp_path), look([task("web", 1, state="pending", error=error)]), {"web": 1},
                       Baseline()) is None
    old = task("web", 1, state="pending", error="no suitable node (max replicas per node limit exceed)")
    assert trouble(shop(tmp_path), look([old]), {"web": 1}, Baseline(tasks=frozenset({old.id}))) is None
    assert failures.placement_reasons("no suitable node (max replicas per node limit exceed; scheduling "
                                      "constraints not satisfied on 2 nodes)") == [failures.MAX_REPLICAS,
                                                                                   failures.CONSTRAINTS]


def test_node_states_are_read_again_on_a_swarm_of_several_nodes() -> None:
    """`docker node ls`: hostnames, the nodes not Ready, the nodes not Active; asked again every NODES_REFRESH
    seconds while there are several."""
    asked: list[tuple[str, ...]] = []

    class Listing(Engine):
        def _run(self, *args: str, stdin: bytes | None = None) -> str:
            asked.append(args)
            return "a1 Ready Active vm\nb2 Down Active node-2\nc3 Ready Drain node-3\n"

    engine = Listing("shop")
    engine.api = None  # the docker CLI's way (an engine reached over tcp or ssh): what `docker node ls` prints
    assert engine.nodes() == {"a1": "vm", "b2": "node-2", "c3": "node-3"}
    assert engine.down_nodes() == {"b2"} and engine.drained_nodes() == {"c3"}
    engine.nodes(["a1"])
    assert len(asked) == 1  # a wait looks every 0.5 s; nodes go down in seconds, not that fast
    engine._nodes_asked -= NODES_REFRESH
    engine.nodes(["a1"])
    assert len(asked) == 2


def test_every_node_that_refuses_the_image_is_named(tmp_path: Path) -> None:
    """Tasks refused on two nodes for lack of the image: one message naming both, after a moment to gather them."""
    error = "No such image: shop:1"
    refused = [on(n, task("web", slot, state="rejected", desired="shutdown", error=error))
               for slot, n in ((1, "n2"), (2, "n3"))]
    found = trouble(shop(tmp_path), look(refused), {"web": 2}, Baseline())
    assert found is not None and found.gather
    assert found.reason.startswith("web.1 (task shop_web.1): nodes node-2, node-3 cannot get image shop:1 "
                                   "(No such image: shop:1)")
    alone = trouble(shop(tmp_path), look(refused, drained=frozenset({"n2", "n3"})), {"web": 2}, Baseline())
    assert alone is not None and not alone.gather  # no other node to hear from: said at once


def test_a_drained_node_is_not_one_an_image_built_here_must_reach() -> None:
    """Swarm gives a drained or paused node no task, so building here is refused only for the active others."""

    class Listing(Engine):
        def _run(self, *args: str, stdin: bytes | None = None) -> str:
            if args[0] == "info":
                return "a1\n"
            return "a1 Ready Active vm\nb2 Down Active node-2\nc3 Ready Drain node-3\nd4 Ready Pause node-4\n"

    engine = Listing("shop")
    engine.api = None  # as the docker CLI prints them
    assert engine.other_nodes() == ["node-2"]
