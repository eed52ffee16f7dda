"""The swarm backend against the docker CLI's own swarm commands, on a swarm of several nodes, in one run.

- scale: `procfleet scale web=30 -b swarm` against `docker service scale <stack>_web=30`, from 3 tasks; scaled
  back to 3 (untimed, waited for) before every run. Both wait until the 30 tasks run: procfleet until each has
  run for a second (`--wait`), the docker CLI until they run and then 5 s more, its own check that they stay up
  ("verify: Waiting 5 seconds to verify that tasks are stable"). `--detach` / no `--wait` is timed too: both
  return once Swarm has the new count.
- redeploy: `procfleet deploy -b swarm` of the unchanged formation against `docker stack deploy` of the very
  stack file procfleet renders for it (same stack, same `--resolve-image never`); Swarm replaces no task in
  either. procfleet also plans first (one look at the stack) and waits until everything runs (it does).

Rounds alternate the order (A B, B A, …) so drift touches both alike. procfleet runs as a user runs it (a new
process: interpreter start-up and imports included). Needs a swarm manager with at least --nodes nodes Ready and
Active (`bash .ci/swarm-cluster.sh up` makes this machine one of three; docs/backends/swarm.md).

    python bench/swarm.py [--rounds N] [--image IMAGE] [--nodes N]
"""

from __future__ import annotations

import argparse
import sys

from benchlib import Samples, host, interleave, paired
from dockerlib import DEFAULT_IMAGE, SWARM_OPTIONS, app, engine, output, swarm_nodes, tools, web_and_worker


def report(ours: Samples, native: Samples) -> str:
    """Medians, and the procfleet command against its native one: ratio of medians, median of paired ratios."""
    lines = [f"{s.label:<58} median {s.median():6.2f}s  min {min(s.wall):6.2f}s  max {max(s.wall):6.2f}s"
             for s in (ours, native)]
    of_medians = ours.median() / native.median()
    lines.append(f"  {ours.label}: {of_medians:.3f}x native (median of paired ratios {paired(ours, native):.3f}x, "
                 f"{(of_medians - 1) * 100:+.1f}%)")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description="Time the swarm backend against the docker CLI's swarm commands.")
    parser.add_argument("--rounds", type=int, default=5, help="counted runs of each command (default 5)")
    parser.add_argument("--image", default=DEFAULT_IMAGE, help="an image with sh and httpd, present on every node")
    parser.add_argument("--nodes", type=int, default=3, help="Ready and Active nodes the swarm must have (default 3)")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    docker, procfleet = tools("compose", "swarm")
    active = swarm_nodes(docker, active=True)
    if len(active) < args.nodes:
        sys.exit(f"the swarm has {len(active)} Ready and Active nodes ({', '.join(active)}), not {args.nodes}: "
                 "bash .ci/swarm-cluster.sh up starts two more here")

    with app("swarm", docker, procfleet) as made:
        made.write(web_and_worker(made.name, args.image, web=3, worker="exec sleep 100000", workers=3)
                   + SWARM_OPTIONS)
        web = made.service("web")

        def at_three() -> None:
            made.run([docker, "service", "scale", "--detach=false", f"{web}=3"])

        scale = [Samples("procfleet scale web=30 -b swarm --wait", made.pf("scale", "web=30", "--wait", "-q")),
                 Samples("docker service scale web=30", [docker, "service", "scale", "--detach=false",
                                                         f"{web}=30"])]
        detached = [Samples("procfleet scale web=30 -b swarm", made.pf("scale", "web=30", "-q")),
                    Samples("docker service scale --detach web=30", [docker, "service", "scale", "--detach",
                                                                     f"{web}=30"])]
        redeploy = [Samples("procfleet deploy -b swarm (unchanged)", made.pf("deploy", "-q")),
                    Samples("docker stack deploy (unchanged)", [docker, "stack", "deploy", "--prune",
                                                                "--resolve-image", "never", "-c", "stack.yaml",
                                                                made.name])]
        made.deploy()
        interleave(scale, made.folder, made.env, args.rounds, reset=at_three)
        spread = output([docker, "service", "ps", "--filter", "desired-state=running", "--format", "{{.Node}}",
                         web]).split()
        interleave(detached, made.folder, made.env, args.rounds, reset=at_three)
        at_three()
        interleave(redeploy, made.folder, made.env, args.rounds)

    print(f"{host(release=False)}; Docker engine {engine(docker)}; a swarm of {len(active)} nodes "
          f"({', '.join(active)}); {args.rounds} rounds (A B, B A, ...)")
    print(f"web × 30 ran on: {', '.join(f'{n} {spread.count(n)}' for n in active)}\n")
    print("scale web 3 → 30, waiting until they run:\n" + report(*scale) + "\n")
    print("scale web 3 → 30, not waiting:\n" + report(*detached) + "\n")
    print("redeploy of an unchanged stack (web × 3, worker × 3):\n" + report(*redeploy))
    return 0


if __name__ == "__main__":
    sys.exit(main())
