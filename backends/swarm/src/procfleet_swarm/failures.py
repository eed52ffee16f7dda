"""What Docker's swarm errors mean, as one line a user can act on. Pure: the engine module does the asking."""

from __future__ import annotations

from collections.abc import Iterable

from procfleet_compose import failures as compose_failures

NOT_IN_SWARM = ('use "docker swarm init" or "docker swarm join"', "this node is not part of a swarm")
WORKER = ("worker nodes can't be used to view or modify cluster state",)
LOCKED = ("swarm is encrypted and needs to be unlocked",)
UNHEALTHY = "unhealthy container"
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


def images_unreachable(task: str, node: str, image: str, error: str) -> str:
    """A node cannot get the image: where it must come from."""
    return (f"{task}: node {node} cannot get image {image} ({error}): every node that may run a task needs it, "
            "so push it to a registry every node can pull from (`docker push`, and `docker login` on the nodes if "
            "it is private), or build or `docker load` it on each node")


def output_lines(lines: Iterable[str]) -> list[str]:
    """Docker's progress lines without its notices about flags."""
    return [line for line in lines if line.strip() and not any(n in line.lower() for n in NOISE)]
