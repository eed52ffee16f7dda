"""The commands a user runs all day, against the docker CLI on the same app: compose and swarm, in one run.

One app of 5 containers (web × 2 with a port, worker × 3 that print 50 lines and sleep) runs on each backend;
then every round runs, once each, in the same folder:

  procfleet ps / plan / scale worker=3 (already 3: nothing to do) / logs --tail 10, each with -b BACKEND,
  the yardstick the issue sets (`docker compose ps`; for swarm `docker service ls`),
  and each procfleet command's native counterpart where the docker CLI has one:
    compose: `docker compose --dry-run up -d` (plan), `docker compose up -d --no-recreate --no-deps --scale
             worker=3 worker` (scale), `docker compose logs --tail 10` (logs);
    swarm:   `docker stack ps APP` (ps), `docker service scale --detach APP_worker=3` (scale), `docker service logs
             --tail 10 APP_worker` (logs: one service; procfleet's covers both types).

and the floor any Python CLI on typer and rich pays before it does anything (`python -c pass`, then
`python -c 'import typer, rich.console, rich.table'`), against the same yardstick.

The order reverses every other round (A B …, … B A) and the ratios are taken round by round: each command's
median, and the median of its paired ratios to the yardstick and to its counterpart. procfleet runs as a user
runs it: a new process, interpreter start-up and imports included. The native commands run in the folder with
the compose file (or stack file) `procfleet render` prints, as a user of the docker CLI would. Each run's formation
has only its own backend's `[backends.X]` table (procfleet loads the backend of every such table to check it).
With more than one node in the swarm, every type is pinned to the manager (`[backends.swarm] constraints`).

    python bench/everyday.py [--backends compose,swarm] [--rounds N] [--warmup N] [--quick] [--markdown]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from benchlib import Samples, interleave, ratio
from dockerlib import (
    COMPOSE_OPTIONS,
    DEFAULT_IMAGE,
    SWARM_OPTIONS,
    App,
    app,
    machine,
    swarm_nodes,
    swarm_placement,
    tools,
    web_and_worker,
)

WORKER = "i=0; while [ $i -lt 50 ]; do echo worker line $i; i=$((i+1)); done; exec sleep 100000"
# Each backend's table only in its own run: a `[backends.X]` table has procfleet load backend X to check it.
OPTIONS = {"compose": COMPOSE_OPTIONS, "swarm": SWARM_OPTIONS}

COMMANDS = ("ps", "plan", "scale", "logs")


@dataclass
class Measured:
    """One backend's samples: procfleet's commands, the yardstick, and the counterparts by command."""

    backend: str
    ours: dict[str, Samples]
    yardstick: Samples
    counterparts: dict[str, Samples]
    floors: list[Samples]
    note: str


def commands(made: App) -> tuple[dict[str, Samples], Samples, dict[str, Samples]]:
    """What each round runs on this app."""
    b = made.backend
    ours = {
        "ps": Samples(f"procfleet ps -b {b}", made.pf("ps")),
        "plan": Samples(f"procfleet plan -b {b}", made.pf("plan")),
        "scale": Samples(f"procfleet scale worker=3 -b {b} (no change)", made.pf("scale", "worker=3")),
        "logs": Samples(f"procfleet logs --tail 10 -b {b}", made.pf("logs", "--tail", "10")),
    }
    d = made.docker
    if b == "compose":
        yardstick = Samples("docker compose ps", [d, "compose", "ps"])
        counterparts = {
            "ps": yardstick,
            "plan": Samples("docker compose --dry-run up -d", [d, "compose", "--dry-run", "up", "-d"]),
            "scale": Samples("docker compose up -d --no-recreate --no-deps --scale worker=3 worker",
                             [d, "compose", "up", "-d", "--no-recreate", "--no-deps", "--scale", "worker=3",
                              "worker"]),
            "logs": Samples("docker compose logs --tail 10", [d, "compose", "logs", "--tail", "10"]),
        }
    else:
        worker = made.service("worker")
        yardstick = Samples("docker service ls", [d, "service", "ls"])
        counterparts = {
            "ps": Samples("docker stack ps APP", [d, "stack", "ps", made.name]),
            "scale": Samples("docker service scale --detach APP_worker=3", [d, "service", "scale", "--detach",
                                                                            f"{worker}=3"]),
            "logs": Samples("docker service logs --tail 10 APP_worker", [d, "service", "logs", "--tail", "10",
                                                                          worker]),
        }
    return ours, yardstick, counterparts


def measure(backend: str, docker: str, procfleet: str, image: str, rounds: int, warmup: int) -> Measured:
    """Deploy the app on the backend, time every command round after round, take the app down."""
    note = ""
    placement = ""
    if backend == "swarm":
        nodes = swarm_nodes(docker)
        placement = swarm_placement(["web", "worker"], nodes)
        if placement:
            note = f"swarm of {len(nodes)} nodes ({', '.join(nodes)}): every task pinned to the manager"
        else:
            note = f"swarm of one node ({nodes[0]})"
    with app(backend, docker, procfleet) as made:
        made.write(web_and_worker(made.name, image, web=2, worker=WORKER, workers=3) + OPTIONS[backend] + placement)
        made.deploy()
        ours, yardstick, counterparts = commands(made)
        floors = floor_samples()
        group = [*ours.values(), yardstick, *(s for s in counterparts.values() if s is not yardstick), *floors]
        interleave(group, made.folder, made.env, rounds, warmup)
    return Measured(backend, ours, yardstick, counterparts, floors, note)


def floor_samples() -> list[Samples]:
    """What any command of a Python CLI built on typer and rich pays before it does anything: the interpreter,
    then the interpreter importing the two libraries (what procfleet's own code adds is the rest)."""
    python = sys.executable
    return [Samples("floor: python -c pass", [python, "-c", "pass"]),
            Samples("floor: python -c 'import typer, rich.table'",
                    [python, "-c", "import typer, rich.console, rich.table"])]


def report(measured: Measured, markdown: bool) -> str:
    """A row per procfleet command: its median, then against the yardstick and its counterpart."""
    y = measured.yardstick
    lines = []
    if markdown:
        lines += [f"| command | median (s) | CPU (s) | / `{y.label}` ({y.median():.3f} s) | native counterpart | "
                  "/ counterpart |", "|---|---:|---:|---:|---|---:|"]
    else:
        lines.append(f"{'command':<48} {'median':>7} {'cpu':>6} {'/ ' + y.label:>24}   counterpart")
    for name in COMMANDS:
        ours = measured.ours[name]
        cpu = sorted(ours.cpu)[len(ours.cpu) // 2]
        against = ratio(ours, y)
        other = measured.counterparts.get(name)
        if markdown:
            counterpart = f"`{other.label}` {other.median():.3f} s" if other else "—"
            versus = f"{ours.median() / other.median():.2f}x" if other else "—"
            lines.append(f"| `{ours.label}` | {ours.median():.3f} | {cpu:.3f} | {against} | {counterpart} | {versus} |")
        else:
            counterpart = f"{other.label} {other.median():.3f}s: {ratio(ours, other)}" if other else "-"
            lines.append(f"{ours.label:<48} {ours.median():7.3f} {cpu:6.3f} {against:>24}   {counterpart}")
    if not markdown:
        lines.append(f"{y.label:<48} {y.median():7.3f} {sorted(y.cpu)[len(y.cpu) // 2]:6.3f}")
    for floor in measured.floors:
        against = ratio(floor, y)
        cpu = sorted(floor.cpu)[len(floor.cpu) // 2]
        if markdown:
            lines.append(f"| {floor.label} | {floor.median():.3f} | {cpu:.3f} | {against} | | |")
        else:
            lines.append(f"{floor.label:<48} {floor.median():7.3f} {cpu:6.3f} {against:>24}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description="procfleet's everyday commands against the docker CLI.")
    parser.add_argument("--backends", default="compose,swarm", help="compose, swarm or both (default both)")
    parser.add_argument("--rounds", type=int, default=10, help="counted rounds (default 10; --quick: 3)")
    parser.add_argument("--warmup", type=int, default=1, help="uncounted rounds first (default 1)")
    parser.add_argument("--quick", action="store_true", help="3 rounds, for a first look")
    parser.add_argument("--image", default=DEFAULT_IMAGE, help="an image with sh and httpd")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    args = parser.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if unknown := set(backends) - {"compose", "swarm"}:
        parser.error(f"unknown backends: {', '.join(sorted(unknown))}")
    rounds = 3 if args.quick else args.rounds
    if rounds < 1 or args.warmup < 0:
        parser.error("--rounds must be at least 1 and --warmup at least 0")
    docker, procfleet = tools(*backends)
    print(machine(docker))
    print(f"{rounds} rounds after {args.warmup} warm-up (order reversed every other round); 5 containers: "
          "web x 2, worker x 3\n")
    for backend in backends:
        measured = measure(backend, docker, procfleet, args.image, rounds, args.warmup)
        print(f"{backend}{': ' + measured.note if measured.note else ''}")
        print(report(measured, args.markdown) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
