"""The three-node swarm of .ci/swarm-cluster.sh: the host's engine (the manager) and two workers in their own
network namespaces. Missing, it fails in CI (PROCFLEET_CI=1) and skips elsewhere, like every engine.

The workers are joined drained (`up --drain` in .ci/run), so that the single-node tests, which read their tasks'
containers and ports on this engine, never get a task placed elsewhere; these tests make them active while they
run and drain them again afterwards.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.integration.conftest import engine_missing
from tests.integration.engine_app import docker

ROOT = Path(__file__).resolve().parents[4]
SCRIPT = ROOT / ".ci" / "swarm-cluster.sh"
NODES_FILE = Path(os.environ.get("PROCFLEET_CLUSTER_RUN", "/run/procfleet-cluster")) / "nodes"
MANAGER = "manager"


@dataclass(frozen=True)
class Node:
    """One worker: its name (the node's hostname), address, engine socket and pidfile."""

    name: str
    address: str
    socket: str
    pidfile: str

    def docker(self, *args: str, check: bool = True) -> str:
        """The docker CLI against this worker's own engine."""
        done = subprocess.run(["docker", "-H", f"unix://{self.socket}", *args], capture_output=True, text=True,
                              timeout=60, check=False)
        if check and done.returncode != 0:
            raise AssertionError(f"docker {' '.join(args)} on {self.name} failed: {done.stderr}")
        return done.stdout

    def kill(self) -> None:
        """SIGKILL the worker's dockerd: its node stops answering the manager, as a machine that dies."""
        os.kill(int(Path(self.pidfile).read_text().strip()), 9)

    def start(self) -> None:
        """Start its engine again (it rejoins with its old identity) and wait until the node is Ready."""
        subprocess.run(["bash", str(SCRIPT), "start", self.name], check=True, capture_output=True, timeout=120)


@dataclass
class Cluster:
    """The manager's hostname and the workers."""

    manager: str
    workers: list[Node]
    killed: set[str] = field(default_factory=set)

    @property
    def names(self) -> list[str]:
        """Every node's hostname, the manager first."""
        return [self.manager, *(w.name for w in self.workers)]

    def availability(self, node: str, value: str) -> None:
        """`docker node update --availability active|drain|pause`."""
        docker("node", "update", "--availability", value, node)

    def kill(self, node: Node) -> None:
        """Kill a worker's engine, remembered so that the session starts it again whatever the test did."""
        self.killed.add(node.name)
        node.kill()

    def restore(self) -> None:
        """Start the engines the tests killed."""
        for node in self.workers:
            if node.name in self.killed:
                node.start()
                self.killed.discard(node.name)


def _nodes() -> dict[str, tuple[str, str]]:
    """hostname → (status, availability) as the manager lists the swarm's nodes."""
    found = {}
    for line in docker("node", "ls", "--format", "{{.Hostname}} {{.Status}} {{.Availability}}").splitlines():
        hostname, status, availability = line.split()
        found[hostname] = (status, availability)
    return found


@pytest.fixture(scope="package")
def cluster(swarm_engine: None) -> Iterator[Cluster]:
    """The three nodes, the workers made active for these tests and left as they were found once they are done
    (package scope: before the single-node tests that come after them)."""
    setup = ".ci/swarm-cluster.sh up"
    if not NODES_FILE.exists():
        engine_missing(f"the three-node swarm is not up ({NODES_FILE} is missing)", setup)
    workers = [Node(*line.split()) for line in NODES_FILE.read_text().splitlines()
               if line.strip() and not line.startswith("#")]
    listed = _nodes()
    unready = [w.name for w in workers if listed.get(w.name, ("missing",))[0] != "Ready"]
    if unready:
        engine_missing(f"worker nodes not Ready in this swarm: {', '.join(unready)}", setup)
    manager = docker("info", "--format", "{{.Name}}").strip()
    found = {w.name: listed[w.name][1] for w in workers}
    the_cluster = Cluster(manager=manager, workers=workers)
    for worker in workers:
        the_cluster.availability(worker.name, "active")
    try:
        yield the_cluster
    finally:
        the_cluster.restore()
        for worker in workers:
            if found[worker.name] != "Active":
                the_cluster.availability(worker.name, found[worker.name].lower())


def eventually(check: object, timeout: float = 60.0, what: str = "it") -> None:
    """Poll a callable until it returns something truthy."""
    assert callable(check)
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout:g}s"
        time.sleep(0.5)
