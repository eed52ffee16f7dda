"""deploy and scale with their wait on the compose backend, against Docker Compose waiting the same way; the fixed cost.

In one run, on the same formation and the same engine, each pair interleaved (A B, B A, …):

- deploy: `procfleet deploy -b compose` (waits until every container runs, and has stayed up a second where the
  type has no health check) against `docker compose up -d --wait`, from nothing to 12 containers (web × 2,
  worker × 10); `deploy --no-wait` against `docker compose up -d` beside them. The project is taken down
  (untimed) before every run.
- scale: `procfleet scale worker=30 --wait -b compose` against `docker compose up -d --wait --no-recreate
  --no-deps --scale worker=30 worker`, from 10 workers; without the waits beside them. Scaled back to 10
  (untimed) before every run.
- the fixed cost: `python -c pass`, `procfleet --version`, `procfleet ps --json` and `procfleet ps` (and `docker
  compose ps`), interleaved; the phases of `ps --json` timed inside a fresh interpreter (the CLI's imports, the
  formation and the backend, one look at the engine, a second one); and the settle, what waiting adds to each.

Native Compose gets the very compose.yaml procfleet renders for the formation (the same project name), so both
create the same containers. procfleet runs as a user runs it: a new process, start-up and imports included.

    python bench/compose.py [--rounds N] [--quick] [--image IMAGE]
"""

from __future__ import annotations

import sys

from benchlib import Samples, interleave
from dockerlib import (
    COMPOSE_OPTIONS,
    app,
    fixed_cost,
    fixed_cost_report,
    machine,
    parse_rounds,
    table,
    tools,
    versus,
    web_and_worker,
)


def main() -> int:
    rounds, image = parse_rounds("Time the compose backend's waits against docker compose's.", minutes=3)
    docker, procfleet = tools("compose")
    print(machine(docker))
    print(f"{rounds} rounds (A B, B A, ...)\n", flush=True)

    with app("compose", docker, procfleet) as made:
        made.write(web_and_worker(made.name, image, web=2, worker="while true; do sleep 1; done", workers=10)
                   + COMPOSE_OPTIONS)
        up = [docker, "compose", "up", "-d"]
        deploy = [Samples("procfleet deploy -b compose", made.pf("deploy", "-q")),
                  Samples("docker compose up -d --wait", [*up, "--wait"]),
                  Samples("procfleet deploy -b compose --no-wait", made.pf("deploy", "-q", "--no-wait")),
                  Samples("docker compose up -d", up)]
        scaling = [*up, "--no-recreate", "--no-deps", "--scale", "worker=30", "worker"]
        scale = [Samples("procfleet scale worker=30 --wait -b compose", made.pf("scale", "worker=30", "--wait", "-q")),
                 Samples("docker compose up -d --wait --no-recreate --no-deps --scale", [*scaling, "--wait"]),
                 Samples("procfleet scale worker=30 -b compose", made.pf("scale", "worker=30", "-q")),
                 Samples("docker compose up -d --no-recreate --no-deps --scale", scaling)]

        interleave(deploy, made.folder, made.env, rounds, reset=made.down)
        made.deploy()
        interleave(scale, made.folder, made.env, rounds, reset=lambda: made.native_scale("worker", 10))
        made.native_scale("worker", 10)
        fixed = fixed_cost(made, Samples("docker compose ps", [docker, "compose", "ps"]), max(5, 2 * rounds))

    print("deploy, 12 containers from nothing:\n" + table(deploy))
    print(versus("waiting", deploy[0], deploy[1]))
    print(versus("not waiting", deploy[2], deploy[3]) + "\n")
    print("scale worker 10 -> 30:\n" + table(scale))
    print(versus("waiting", scale[0], scale[1]))
    print(versus("not waiting", scale[2], scale[3]) + "\n")
    print(fixed_cost_report(fixed, [("procfleet deploy minus deploy --no-wait", deploy[0], deploy[2]),
                                    ("docker compose up -d --wait minus up -d", deploy[1], deploy[3]),
                                    ("procfleet scale --wait minus scale", scale[0], scale[2]),
                                    ("docker compose up --scale --wait minus without", scale[1], scale[3])]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
