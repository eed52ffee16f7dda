"""What Docker's swarm errors mean, as one line a user can act on. Pure: the engine module does the asking."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from procfleet_compose import failures as compose_failures

NOT_IN_SWARM = ('use "docker swarm init" or "docker swarm join"', "this node is not part of a swarm")
WORKER = ("worker nodes can't be used to view or modify cluster state",)
LOCKED = ("swarm is encrypted and needs to be unlocked",)
UNHEALTHY = "unhealthy container"
# Swarm's scheduler reasons that waiting does not change: no node satisfies the constraints, or every node that
# does already runs as many of the service's tasks as max_replicas_per_node allows.
NO_NODE = "no suitable node ("
CONSTRAINTS = "scheduling constraints not satisfied"
MAX_REPLICAS = "max replicas per node limit exceed"
# What Docker's CLI prints besides its answer, and what nobody needs to see.
NOISE = ("since --detach=false was not specified", "in a future release, --detach=false")

JOIN = ("make this engine a single-node swarm with `docker swarm init` (add --advertise-addr <IP> if it has "
        "several addresses), join one with `docker swarm join --token <token> <manager>:2377`, or point "
        "DOCKER_HOST / `docker context use` at a swarm manager")


def docker_missing() -> str:
    """No docker CLI on PATH."""
    return ("the docker command is not on PATH: install Docker (https://docs.docker.com/engine/install/); "
            "its CLI has `docker stack` built in")


def classify(stderr: str) -> str:
    """not-in-swarm, worker, locked, or what the compose backend makes of it (engine-down, no-access, …)."""
    text = stderr.lower()
    for kind, needles in (("worker", WORKER), ("locked", LOCKED), ("not-in-swarm", NOT_IN_SWARM)):
        if any(needle in text for needle in needles):
            return kind
    return compose_failures.classify(stderr)


def explain(stderr: str) -> str:
    """One actionable line for a failed docker command against a swarm."""
    kind = classify(stderr)
    line = compose_failures.key_line(stderr)
    if kind == "not-in-swarm":
        return f"this Docker engine is not part of a swarm ({line}): {JOIN}"
    if kind == "worker":
        return ("this Docker engine is a swarm worker, not a manager, and only managers deploy and inspect stacks "
                f"({line}): run procfleet against a manager (DOCKER_HOST=ssh://user@manager, or "
                "`docker context use`), or promote this node from a manager with `docker node promote <node>`")
    if kind == "locked":
        return f"this swarm is locked ({line}): unlock it with `docker swarm unlock` and the unlock key"
    if kind == "engine-down":
        return compose_failures.engine_down(line)
    if kind == "no-access":
        return (f"no permission to use the Docker engine ({line}): add your user to the docker group "
                "(`sudo usermod -aG docker $USER`, then log in again) or use rootless Docker")
    return line


def image_unavailable(error: str) -> bool:
    """Whether a task was refused because its node could not get the image."""
    return compose_failures.classify(error) == "pull-failed"


def images_unreachable(task: str, nodes: str, image: str, error: str) -> str:
    """Nodes cannot get the image: where it must come from."""
    which = f"nodes {nodes}" if ", " in nodes else f"node {nodes}"
    return (f"{task}: {which} cannot get image {image} ({error}): every node that may run a task needs it, "
            "so push it to a registry every node can pull from (`docker push`, and `docker login` on the nodes if "
            "it is private), or build or `docker load` it on each node")


def placement_reasons(error: str) -> list[str] | None:
    """The reasons in Swarm's `no suitable node (a on 2 nodes; b)`, without their node counts; None for another."""
    if not error.startswith(NO_NODE) or not error.endswith(")"):
        return None
    return [re.sub(r" on \d+ nodes?$", "", part.strip()) for part in error[len(NO_NODE):-1].split(";")]


def unplaceable(error: str) -> bool:
    """Whether Swarm cannot place a task for reasons that waiting does not change."""
    reasons = placement_reasons(error)
    return bool(reasons) and all(reason in (CONSTRAINTS, MAX_REPLICAS) for reason in reasons or ())


def cannot_place(task: str, error: str, process: str, constraints: Sequence[str], per_node: int | None,
                 available: Sequence[str], unavailable: Sequence[str]) -> str:
    """No node will take the task: Swarm's reason, the nodes it could have used, and which key to change."""
    reasons = placement_reasons(error) or []
    nodes = f"{len(available)} available node{'s' if len(available) != 1 else ''} ({', '.join(available) or 'none'})"
    hints = []
    if CONSTRAINTS in reasons:
        wanted = (f"processes.{process}'s constraints ({', '.join(constraints)}; [backends.swarm] constraints)"
                  if constraints else "the service's placement constraints")
        hints.append(f"none of the swarm's {nodes} satisfies {wanted}: change them, or give a node what they ask "
                     "(`docker node update --label-add <name>=<value> <node>`)")
    if MAX_REPLICAS in reasons:
        limit = f"max_replicas_per_node = {per_node}" if per_node else "the service's max replicas per node"
        hints.append(f"{limit} lets the swarm's {nodes} run no more of {process}'s tasks: lower its count, raise "
                     "the limit ([backends.swarm] max_replicas_per_node) or add nodes")
    also = f" ({', '.join(unavailable)})" if unavailable else ""
    return f"{task} cannot be placed: {error}; " + "; ".join(hints) + also


def output_lines(lines: Iterable[str]) -> list[str]:
    """Docker's progress lines without its notices about flags."""
    return [line for line in lines if line.strip() and not any(n in line.lower() for n in NOISE)]
