"""What no waiting can fix on a cluster is said at once (exit 1, Swarm's reason, the nodes), not after a timeout."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.conftest import BUSYBOX_IMAGE
from tests.integration.engine_app import docker
from tests.integration.swarm.cluster.conftest import Cluster
from tests.integration.swarm.conftest import SwarmApp

pytestmark = pytest.mark.engine("swarm")

ONLY_HERE = "procfleet-test/only-on-the-manager:latest"
BASE = """
[app]
name = "{app}"
image = "%s"

[processes.web]
command = "exec sleep 600"
count = %d
stop_timeout = "1s"

[backends.swarm]
%s
"""


def deploy_fails(app: SwarmApp, image: str, count: int, options: str) -> str:
    """Deploy, expecting exit 1 with a diagnosis, not the timeout's message; the error."""
    app.write(BASE % (image, count, options))
    result = app.cli("deploy", "--timeout", "60")
    assert result.code == 1, result.err
    # The wait's own timeout names Swarm's reasons too, but after "did not converge within 1m"
    assert "did not converge within" not in result.err, f"a timeout, not a diagnosis: {result.err}"
    return result.err


def test_a_constraint_no_node_satisfies(app: SwarmApp, cluster: Cluster) -> None:
    """Swarm's words, the three nodes it tried, the formation's constraint and the key that holds it."""
    err = deploy_fails(app, BUSYBOX_IMAGE, 2, 'constraints = { web = "node.labels.zone == nowhere" }')
    assert "no suitable node (scheduling constraints not satisfied on 3 nodes)" in err
    assert "none of the swarm's 3 available nodes (" in err and all(name in err for name in cluster.names), err
    assert "processes.web's constraints (node.labels.zone == nowhere; [backends.swarm] constraints)" in err


def test_more_tasks_than_max_replicas_per_node_allows(app: SwarmApp, cluster: Cluster) -> None:
    """Three nodes, at most one web task each, four wanted: the fourth is named, with the limit and the nodes."""
    err = deploy_fails(app, BUSYBOX_IMAGE, 4, "max_replicas_per_node = { web = 1 }")
    assert "no suitable node (max replicas per node limit exceed)" in err
    assert "max_replicas_per_node = 1 lets the swarm's 3 available nodes (" in err
    assert all(name in err for name in cluster.names), err


@pytest.fixture
def only_here() -> Iterator[str]:
    """An image that exists on the manager only (a tag the workers never got)."""
    docker("tag", BUSYBOX_IMAGE, ONLY_HERE)
    yield ONLY_HERE
    docker("rmi", ONLY_HERE, check=False)


def test_an_image_only_one_node_has(app: SwarmApp, cluster: Cluster, only_here: str) -> None:
    """One task per node: both workers refuse theirs, and the error names them and where the image must come from."""
    err = deploy_fails(app, only_here, 3, "max_replicas_per_node = { web = 1 }")
    workers = [w.name for w in cluster.workers]
    assert f"cannot get image {only_here} (No such image: {only_here})" in err
    assert (f"nodes {workers[0]}, {workers[1]} cannot get image" in err
            or f"nodes {workers[1]}, {workers[0]} cannot get image" in err), err
    assert "build or `docker load` it on each node" in err
