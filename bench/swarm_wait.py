"""deploy and scale with their wait on the swarm backend, on this engine's node, against the docker CLI; the fixed cost.

In one run, on the same formation (web × 2 with a host-mode port, worker × 3) and the same engine, each group
interleaved (A B, B A, …):

- scale: `procfleet scale worker=30 --wait -b swarm` against `docker service scale APP_worker=30`, which waits
  too: until the tasks run, then 5 s more, its own check that they stay up ("verify: Waiting 5 seconds to verify
  that tasks are stable"; procfleet's is a second per task). Without the waits beside them (`scale` and
  `docker service scale --detach`). Scaled back to 3 (untimed) before every run.
- deploy: `procfleet deploy -b swarm` (waits) and `deploy --no-wait` from nothing, against `docker stack deploy`
  of the very stack file procfleet renders (same stack name, `--resolve-image never`), which does not wait: the
  docker CLI of Docker 20.10 has no waiting stack deploy. Taken down (untimed) before every run.
- the fixed cost: `python -c pass`, `procfleet --version`, `procfleet ps --json` and `procfleet ps` (and `docker
  service ls`), interleaved; the phases of `ps --json` timed inside a fresh interpreter (the CLI's imports, the
  formation and the backend, one look at the engine, a second one); and the settle, what each wait adds.

With more than one node in the swarm (`bash .ci/swarm-cluster.sh up` adds two), every type is pinned to the
manager (`[backends.swarm] constraints`) so the figures are those of one node; bench/swarm.py measures the swarm
of three nodes.

    python bench/swarm_wait.py [--rounds N] [--quick] [--image IMAGE]
"""

from __future__ import annotations

import sys

from benchlib import Samples, interleave
from dockerlib import (
    SWARM_OPTIONS,
    app,
    fixed_cost,
    fixed_cost_report,
    machine,
    parse_rounds,
    swarm_nodes,
    swarm_placement,
    table,
    tools,
    versus,
    web_and_worker,
)


def main() -> int:
    rounds, image = parse_rounds("Time the swarm backend's waits against the docker CLI's.", minutes=4)
    docker, procfleet = tools("compose", "swarm")
    nodes = swarm_nodes(docker)
    placement = swarm_placement(["web", "worker"], nodes)
    print(machine(docker))
    print(f"a swarm of {len(nodes)} nodes ({', '.join(nodes)})"
          f"{': every task pinned to the manager' if placement else ''}; {rounds} rounds (A B, B A, ...)\n",
          flush=True)

    with app("swarm", docker, procfleet) as made:
        made.write(web_and_worker(made.name, image, web=2, worker="exec sleep 100000", workers=3) + SWARM_OPTIONS
                   + placement)
        worker = made.service("worker")
        scale = [Samples("procfleet scale worker=30 --wait -b swarm", made.pf("scale", "worker=30", "--wait", "-q")),
                 Samples("docker service scale APP_worker=30", [docker, "service", "scale", "--detach=false",
                                                                 f"{worker}=30"]),
                 Samples("procfleet scale worker=30 -b swarm", made.pf("scale", "worker=30", "-q")),
                 Samples("docker service scale --detach APP_worker=30", [docker, "service", "scale", "--detach",
                                                                          f"{worker}=30"])]
        deploy = [Samples("procfleet deploy -b swarm", made.pf("deploy", "-q")),
                  Samples("procfleet deploy -b swarm --no-wait", made.pf("deploy", "-q", "--no-wait")),
                  Samples("docker stack deploy (does not wait)", [docker, "stack", "deploy", "--resolve-image",
                                                                  "never", "-c", "stack.yaml", made.name])]

        made.deploy()
        interleave(scale, made.folder, made.env, rounds, reset=lambda: made.native_scale("worker", 3))
        made.native_scale("worker", 3)
        fixed = fixed_cost(made, Samples("docker service ls", [docker, "service", "ls"]), max(5, 2 * rounds))
        interleave(deploy, made.folder, made.env, rounds, reset=made.down)

    print("scale worker 3 -> 30:\n" + table(scale))
    print(versus("waiting", scale[0], scale[1]))
    print(versus("not waiting", scale[2], scale[3]) + "\n")
    print("deploy, 5 tasks from nothing:\n" + table(deploy))
    print(versus("not waiting", deploy[1], deploy[2]))
    print(versus("waiting", deploy[0], deploy[2]) + "\n")
    print(fixed_cost_report(fixed, [("procfleet scale --wait minus scale", scale[0], scale[2]),
                                    ("docker service scale minus --detach", scale[1], scale[3]),
                                    ("procfleet deploy minus deploy --no-wait", deploy[0], deploy[1])]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
