"""Docker's swarm errors → one line a user can act on (issue 6, point 6)."""

from __future__ import annotations

import pytest

from procfleet_swarm import failures

NOT_IN_SWARM = ('Error response from daemon: This node is not a swarm manager. Use "docker swarm init" or '
                '"docker swarm join" to connect this node to swarm and try again.')
DEPLOY_NOT_IN_SWARM = ('this node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to '
                       "connect this node to swarm and try again")
WORKER = ("Error response from daemon: This node is not a swarm manager. Worker nodes can't be used to view or "
          "modify cluster state. Please run this command on a manager node or promote the current node to a manager.")
LOCKED = ('Error response from daemon: Swarm is encrypted and needs to be unlocked before it can be used. Please '
          'use "docker swarm unlock" to unlock it.')
ENGINE_DOWN = "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"


@pytest.mark.parametrize(("stderr", "kind"), [
    (NOT_IN_SWARM, "not-in-swarm"), (DEPLOY_NOT_IN_SWARM, "not-in-swarm"), (WORKER, "worker"), (LOCKED, "locked"),
    (ENGINE_DOWN, "engine-down"),
    ("permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock",
     "no-access"),
    ("Error response from daemon: rpc error: code = InvalidArgument desc = port '80' is already in use", "other"),
])
def test_classify(stderr: str, kind: str) -> None:
    """Each case is recognised from Docker's own words (the worker's message starts like the other one)."""
    assert failures.classify(stderr) == kind


def test_not_in_swarm_says_how_to_make_one() -> None:
    """swarm init for one machine, swarm join for a cluster, or another engine."""
    message = failures.explain(NOT_IN_SWARM)
    assert message.startswith("this Docker engine is not part of a swarm (Error response from daemon: This node is "
                              "not a swarm manager.")
    assert "`docker swarm init`" in message and "docker swarm join" in message and "DOCKER_HOST" in message


def test_worker_says_to_use_a_manager() -> None:
    """A worker cannot deploy: a manager, or promote this one."""
    message = failures.explain(WORKER)
    assert "is a swarm worker, not a manager" in message and "docker node promote" in message


def test_locked_and_engine_down() -> None:
    """The compose backend's engine message is reused; a locked swarm says how to unlock."""
    assert "docker swarm unlock" in failures.explain(LOCKED)
    assert failures.explain(ENGINE_DOWN).startswith("the Docker engine does not answer (")


def test_other_errors_are_dockers_own_line() -> None:
    """Anything else: the line that says what went wrong."""
    assert failures.explain("Creating service x\nfailed to create service x: Error response from daemon: bad") == \
        "failed to create service x: Error response from daemon: bad"


@pytest.mark.parametrize(("error", "expected"), [
    ("No such image: shop:nope", True),
    ("pull access denied for shop, repository does not exist or may require 'docker login'", True),
    ("task: non-zero exit (3)", False),
    ("no suitable node (insufficient resources on 1 node)", False),
])
def test_image_unavailable(error: str, expected: bool) -> None:
    """A task refused for its image, as the node says it."""
    assert failures.image_unavailable(error) is expected


def test_output_lines_drop_the_clis_notices() -> None:
    """The newer CLI's note about --detach is not progress."""
    assert failures.output_lines(["Since --detach=false was not specified, tasks will be created in the background.",
                                  "In a future release, --detach=false will become the default.", "",
                                  "Creating service shop_web"]) == ["Creating service shop_web"]
