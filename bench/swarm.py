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
import os
import platform
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter

from benchlib import ensure_bytecode, executable

# No IPVS is needed: host-mode ports and DNS round robin (docs/backends/swarm.md, "Kernels without IPVS").
FORMATION = """\
[app]
name = "{app}"
image = "{image}"

[processes.web]
command = "mkdir -p /www && echo ok >/www/index.html && exec httpd -f -p $PORT -h /www"
count = 3
port = 8080
stop_timeout = "0s"

[processes.worker]
command = "exec sleep 100000"
count = 3
stop_timeout = "0s"

[backends.swarm]
port_mode = "host"
endpoint_mode = "dnsrr"
resolve_image = "never"
"""


@dataclass
class Samples:
    """Wall seconds of every counted run of one command."""

    label: str
    argv: list[str]
    wall: list[float] = field(default_factory=list)


def run(argv: list[str], cwd: Path, env: dict[str, str], stdin: bytes | None = None) -> float:
    """Run a command to completion; its wall time; exit on failure."""
    start = perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, input=stdin or b"", stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, check=False)
    wall = perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} exited {done.returncode}:\n{done.stderr.decode(errors='replace')}")
    return wall


def compare(group: list[Samples], reset: Callable[[], None], cwd: Path, env: dict[str, str], rounds: int) -> None:
    """reset, A, reset, B, …; the order reversed every other round."""
    for number in range(rounds):
        for samples in group if number % 2 == 0 else group[::-1]:
            reset()
            samples.wall.append(run(samples.argv, cwd, env))


def report(pairs: list[tuple[Samples, Samples]]) -> str:
    """Medians, and each procfleet command against its native one: ratio of medians, median of paired ratios."""
    lines = []
    for ours, native in pairs:
        for samples in (ours, native):
            lines.append(f"{samples.label:<58} median {statistics.median(samples.wall):6.2f}s  "
                         f"min {min(samples.wall):6.2f}s  max {max(samples.wall):6.2f}s")
        of_medians = statistics.median(ours.wall) / statistics.median(native.wall)
        paired = statistics.median(x / y for x, y in zip(ours.wall, native.wall, strict=True))
        lines.append(f"  {ours.label}: {of_medians:.3f}x native (median of paired ratios {paired:.3f}x, "
                     f"{(of_medians - 1) * 100:+.1f}%)")
    return "\n".join(lines)


def nodes(docker: str) -> list[str]:
    """The hostnames of the swarm's nodes that are Ready and Active."""
    listed = subprocess.run([docker, "node", "ls", "--format", "{{.Hostname}} {{.Status}} {{.Availability}}"],
                            capture_output=True, text=True, check=False)
    if listed.returncode != 0:
        sys.exit(f"this engine is not a swarm manager: {listed.stderr.strip()}")
    return [line.split()[0] for line in listed.stdout.splitlines() if line.split()[1:] == ["Ready", "Active"]]


def main() -> int:
    parser = argparse.ArgumentParser(description="Time the swarm backend against the docker CLI's swarm commands.")
    parser.add_argument("--rounds", type=int, default=5, help="counted runs of each command (default 5)")
    parser.add_argument("--image", default="procfleet-test/busybox:latest",
                        help="an image with sh and httpd, present on every node")
    parser.add_argument("--nodes", type=int, default=3, help="Ready and Active nodes the swarm must have (default 3)")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    docker, procfleet = shutil.which("docker"), executable("procfleet", "pip install ./ ./backends/compose "
                                                                        "./backends/swarm")
    if docker is None:
        sys.exit("docker is not on PATH")
    active = nodes(docker)
    if len(active) < args.nodes:
        sys.exit(f"the swarm has {len(active)} Ready and Active nodes ({', '.join(active)}), not {args.nodes}: "
                 "bash .ci/swarm-cluster.sh up starts two more here")
    ensure_bytecode("procfleet", "procfleet_compose", "procfleet_swarm")

    app = f"pfbench{secrets.token_hex(3)}"
    web = f"{app}_web"
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100"}
    env.pop("PROCFLEET_FILE", None)
    with tempfile.TemporaryDirectory(prefix="procfleet-bench-") as folder:
        cwd = Path(folder)
        (cwd / "formation.toml").write_text(FORMATION.format(app=app, image=args.image))
        rendered = subprocess.run([procfleet, "render", "-b", "swarm"], cwd=cwd, env=env, capture_output=True,
                                  text=True, check=True).stdout
        (cwd / "stack.yaml").write_text(rendered)

        def at_three() -> None:
            run([docker, "service", "scale", "--detach=false", f"{web}=3"], cwd, env)

        scale = [Samples("procfleet scale web=30 -b swarm --wait", [procfleet, "scale", "web=30", "-b", "swarm",
                                                                     "--wait", "-q"]),
                 Samples("docker service scale web=30", [docker, "service", "scale", "--detach=false",
                                                         f"{web}=30"])]
        detached = [Samples("procfleet scale web=30 -b swarm", [procfleet, "scale", "web=30", "-b", "swarm", "-q"]),
                    Samples("docker service scale --detach web=30", [docker, "service", "scale", "--detach",
                                                                     f"{web}=30"])]
        redeploy = [Samples("procfleet deploy -b swarm (unchanged)", [procfleet, "deploy", "-b", "swarm", "-q"]),
                    Samples("docker stack deploy (unchanged)", [docker, "stack", "deploy", "--prune",
                                                                "--resolve-image", "never", "-c", "stack.yaml",
                                                                app])]
        try:
            run([procfleet, "deploy", "-b", "swarm", "-q"], cwd, env)
            compare(scale, at_three, cwd, env, args.rounds)
            spread = subprocess.run([docker, "service", "ps", "--filter", "desired-state=running", "--format",
                                     "{{.Node}}", web], capture_output=True, text=True, check=False).stdout.split()
            compare(detached, at_three, cwd, env, args.rounds)
            at_three()
            compare(redeploy, lambda: None, cwd, env, args.rounds)
        finally:
            subprocess.run([procfleet, "down", "-b", "swarm", "-q"], cwd=cwd, env=env, capture_output=True,
                           check=False)

    version = subprocess.run([docker, "version", "--format", "{{.Server.Version}}"], capture_output=True, text=True,
                             check=False).stdout.strip()
    print(f"python {platform.python_version()} on {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs; "
          f"Docker engine {version}; a swarm of {len(active)} nodes ({', '.join(active)}); {args.rounds} rounds "
          "(A B, B A, ...)")
    print(f"web × 30 ran on: {', '.join(f'{n} {spread.count(n)}' for n in active)}\n")
    print("scale web 3 → 30, waiting until they run:\n" + report([(scale[0], scale[1])]) + "\n")
    print("scale web 3 → 30, not waiting:\n" + report([(detached[0], detached[1])]) + "\n")
    print("redeploy of an unchanged stack (web × 3, worker × 3):\n" + report([(redeploy[0], redeploy[1])]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
