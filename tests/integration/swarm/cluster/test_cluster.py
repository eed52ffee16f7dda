"""One app on the three nodes, through what happens to a cluster: spread, scaled, reached across nodes over the
overlay network, a node drained, a node's engine killed, and down. The tests share the deployment and run in
order; each starts by scaling to the counts it needs, so that one can also run alone."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import BUSYBOX_IMAGE
from tests.integration.engine_app import docker
from tests.integration.swarm.cluster.conftest import Cluster, eventually

pytestmark = pytest.mark.engine("swarm")

# Each task says who and where it is: NODE is Swarm's template for the node's hostname. The worker resolves `web`
# (dnsrr: every task's address) and asks each address, and the name itself once, every second.
FORMATION = """
[app]
name = "{app}"
image = "{image}"
env = { NODE = "{{.Node.Hostname}}" }

[processes.web]
command = "mkdir -p /www && echo $PROCFLEET_PROCESS@$NODE >/www/index.html && exec httpd -f -p $PORT -h /www"
count = 6
port = 8000
stop_timeout = "1s"

[processes.worker]
command = '''while true; do
  for ip in $(nslookup web 2>/dev/null | awk '/^Address: / {print $2}'); do
    echo "$PROCFLEET_PROCESS@$NODE got $(timeout 3 wget -q -O- http://$ip:8000/)"
  done
  echo "$PROCFLEET_PROCESS@$NODE by-name $(timeout 3 wget -q -O- http://web:8000/)"
  sleep 1
done'''
count = 1
stop_timeout = "1s"

[backends.swarm]
port_mode = "host"
endpoint_mode = "dnsrr"
"""


@dataclass
class Fleet:
    """The shared app: its stack name and folder, driven through procfleet's CLI as a user would."""

    name: str
    folder: Path

    def cli(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        """`procfleet -b swarm ARGS…` in the app's folder."""
        env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "250"}
        return subprocess.run([sys.executable, "-m", "procfleet", "-b", "swarm", *args], cwd=self.folder, env=env,
                              capture_output=True, text=True, timeout=timeout, check=False)

    def ok(self, *args: str) -> str:
        """Its stdout, asserting exit status 0."""
        done = self.cli(*args)
        assert done.returncode == 0, f"procfleet {' '.join(args)} exited {done.returncode}:\n{done.stderr}"
        return done.stdout

    def ps(self) -> dict[str, Any]:
        """`procfleet ps --json`."""
        data: dict[str, Any] = json.loads(self.ok("ps", "--json"))
        return data

    def placed(self, process: str) -> dict[str, str]:
        """Instance → node of the type's running tasks, as `ps` shows them."""
        return {i["name"]: i["node"] for i in self.ps()["instances"]
                if i["process"] == process and i["state"] == "running"}

    def task_ids(self, process: str) -> set[str]:
        """The IDs of the type's tasks Swarm wants running."""
        return set(docker("service", "ps", "-q", "--no-trunc", "--filter", "desired-state=running",
                          f"{self.name}_{process}").split())


@pytest.fixture(scope="module")
def fleet(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    """web × 6 and a worker deployed on the three nodes; removed at the end whatever the tests did."""
    folder = tmp_path_factory.mktemp("fleet")
    name = f"pfn{secrets.token_hex(4)}"
    (folder / "formation.toml").write_text(textwrap.dedent(FORMATION).replace("{app}", name)
                                           .replace("{image}", BUSYBOX_IMAGE))
    the_fleet = Fleet(name, folder)
    the_fleet.ok("deploy", "--timeout", "90")
    try:
        yield the_fleet
    finally:
        cluster.restore()
        the_fleet.cli("down")


def test_deploy_spreads_web_over_every_node(fleet: Fleet, cluster: Cluster) -> None:
    """Swarm's spread strategy: two of the six web tasks on each node, and `ps` names each task's node."""
    fleet.ok("scale", "web=6", "worker=1", "--wait", "--timeout", "60")
    placed = fleet.placed("web")
    assert len(placed) == 6
    assert Counter(placed.values()) == dict.fromkeys(cluster.names, 2)
    table = fleet.ok("ps", "web")
    for instance, node in placed.items():
        assert any(line.split()[:1] == [instance] and node in line for line in table.splitlines()), table


def test_scale_adds_tasks_on_every_node_and_restarts_none(fleet: Fleet, cluster: Cluster) -> None:
    """scale web=9 worker=3: a new web task on each node, a worker on each, every earlier task still running."""
    fleet.ok("scale", "web=6", "worker=1", "--wait", "--timeout", "60")
    before = fleet.task_ids("web") | fleet.task_ids("worker")
    fleet.ok("scale", "web=9", "worker=3", "--wait", "--timeout", "60")
    after = fleet.task_ids("web") | fleet.task_ids("worker")
    assert before <= after and len(after) == 12
    assert Counter(fleet.placed("web").values()) == dict.fromkeys(cluster.names, 3)
    assert sorted(fleet.placed("worker").values()) == sorted(cluster.names)


def test_a_worker_reaches_web_on_other_nodes_by_name(fleet: Fleet) -> None:
    """Over the stack's overlay network (VXLAN between the namespaces): `web` resolves to tasks on other nodes,
    and they answer."""
    fleet.ok("scale", "web=9", "worker=3", "--wait", "--timeout", "60")

    def across() -> set[tuple[str, str]]:
        pairs = set()
        for line in fleet.ok("logs", "worker", "--tail", "30").splitlines():
            text = line.partition("| ")[2].split()
            if len(text) == 3 and text[1] == "got" and "@" in text[2]:
                here, there = text[0].partition("@")[2], text[2].partition("@")[2]
                if here != there:
                    pairs.add((here, there))
        return pairs

    eventually(lambda: len(across()) >= 3, timeout=30, what="answers from web tasks on other nodes")
    by_name = [line for line in fleet.ok("logs", "worker", "--tail", "5").splitlines() if " by-name web." in line]
    assert by_name, "`wget http://web:8000/` got no answer"


def test_a_drained_node_loses_its_tasks_and_scale_wait_converges(fleet: Fleet, cluster: Cluster) -> None:
    """`docker node update --availability drain`: Swarm moves the node's tasks; `scale --wait` sees it through."""
    fleet.ok("scale", "web=9", "worker=3", "--wait", "--timeout", "60")
    drained = cluster.workers[0].name
    cluster.availability(drained, "drain")
    try:
        done = fleet.cli("scale", "web=9", "worker=3", "--wait", "--timeout", "60")
        assert done.returncode == 0, done.stderr
        status = fleet.ps()
        assert {t: (v["desired"], v["running"]) for t, v in status["types"].items()} == {"web": (9, 9),
                                                                                          "worker": (3, 3)}
        nodes = {i["node"] for i in status["instances"] if i["state"] == "running"}
        assert drained not in nodes and nodes == set(cluster.names) - {drained}
    finally:
        cluster.availability(drained, "active")


def test_a_node_whose_engine_dies_is_survived(fleet: Fleet, cluster: Cluster) -> None:
    """The engine of a node running tasks is killed: ps names the node that is down and, once Swarm has
    rescheduled, which tasks each replacement stands in for; scale --wait converges on the other two nodes."""
    fleet.ok("scale", "web=9", "worker=3", "--wait", "--timeout", "60")
    victim = max(cluster.workers, key=lambda w: list(fleet.placed("web").values()).count(w.name))
    lost = {i for i, node in fleet.placed("web").items() if node == victim.name}
    assert lost, f"no web task on {victim.name} to lose"
    cluster.kill(victim)
    try:
        # the manager calls a node down after three missed heartbeats (1 s each on this cluster)
        eventually(lambda: docker("node", "inspect", "--format", "{{.Status.State}}", victim.name).strip() == "down",
                   timeout=30, what=f"{victim.name} reported down")
        table = fleet.ok("ps", "web")
        assert f"node {victim.name} is down" in table or f"lost with node {victim.name} (down)" in table, table
        done = fleet.cli("scale", "web=9", "worker=3", "--wait", "--timeout", "90")
        assert done.returncode == 0, done.stderr
        status = fleet.ps()
        rows = {i["name"]: i for i in status["instances"] if i["process"] == "web"}
        assert status["types"]["web"]["running"] == 9
        assert victim.name not in {r["node"] for r in rows.values()}
        for instance in lost:
            assert rows[instance]["detail"].startswith("replaces task "), rows[instance]
            assert rows[instance]["detail"].endswith(f"lost with node {victim.name} (down)"), rows[instance]
        table = fleet.ok("ps", "web")
        assert f"lost with node {victim.name} (down)" in table
    finally:
        cluster.restore()
    eventually(lambda: not any(r["detail"] for r in fleet.ps()["instances"]), timeout=30,
               what=f"{victim.name} back, nothing reported lost")


def test_down_leaves_nothing_on_any_node(fleet: Fleet, cluster: Cluster) -> None:
    """No service, container or network of the stack on the manager or on either worker."""
    fleet.ok("down")
    label = f"label=com.docker.stack.namespace={fleet.name}"
    assert not docker("service", "ls", "-q", "--filter", label).split()
    assert not docker("network", "ls", "-q", "--filter", label).split()  # down waits for the manager's

    def clean() -> bool:
        # exited containers are removed by each node's agent once Swarm has let their tasks go
        return (not docker("ps", "-aq", "--filter", label).split()
                and all(not node.docker("ps", "-aq", "--filter", label).split()
                        and not node.docker("network", "ls", "-q", "--filter", label).split()
                        for node in cluster.workers))

    eventually(clean, timeout=60, what="containers and networks gone from every node")
