"""The compose backend against plain Docker Compose, on the same formation and the same engine.

Two comparisons, in one run, each printed as a ratio:

- deploy: `procfleet deploy -b compose` against `docker compose up -d`, from nothing to 12 containers
  (web × 2, worker × 10); the project is taken down (untimed) before every run.
- scale: `procfleet scale worker=30 -b compose` against `docker compose up -d --no-recreate --no-deps
  --scale worker=30 worker`, from 10 workers; scaled back to 10 (untimed) before every run.

Native Compose gets the very compose.yaml procfleet renders for the formation, under the same project name, so
both create the same containers. Rounds alternate the order (A B, B A, …) so drift touches both alike. procfleet
runs as a user runs it (a new process: interpreter start-up and imports included). deploy waits until every
container runs and has stayed up a second (so a crash loop is caught), which `up -d` does not do: `deploy
--no-wait` is timed too, doing what `up -d` does. `plan` is timed as procfleet's fixed cost (start-up, imports,
one look at the engine).

    python bench/compose.py [--rounds N] [--image IMAGE]
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

FORMATION = """\
[app]
name = "{app}"
image = "{image}"

[processes.web]
command = "mkdir -p /www && echo ok >/www/index.html && exec httpd -f -p $PORT -h /www"
count = 2
port = 8080
stop_timeout = "0s"

[processes.worker]
command = "while true; do sleep 1; done"
count = 10
stop_timeout = "0s"

[backends.compose]
host_ip = "127.0.0.1"
"""


@dataclass
class Samples:
    """Wall seconds of every counted run of one command."""

    label: str
    argv: list[str]
    wall: list[float] = field(default_factory=list)



def run(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Run a command to completion; its wall time; exit on failure."""
    start = perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
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


def report(group: list[Samples]) -> str:
    """Medians, and each procfleet command against native (the last): ratio of medians, median of paired ratios."""
    *ours, native = group
    lines = [f"{s.label:<52} median {statistics.median(s.wall):6.2f}s  min {min(s.wall):6.2f}s  "
             f"max {max(s.wall):6.2f}s" for s in group]
    for samples in ours:
        of_medians = statistics.median(samples.wall) / statistics.median(native.wall)
        paired = statistics.median(x / y for x, y in zip(samples.wall, native.wall, strict=True))
        lines.append(f"  {samples.label}: {of_medians:.3f}x native (median of paired ratios {paired:.3f}x, "
                     f"{(of_medians - 1) * 100:+.1f}%)")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description="Time the compose backend against plain docker compose.")
    parser.add_argument("--rounds", type=int, default=5, help="counted runs of each command (default 5)")
    parser.add_argument("--image", default="procfleet-test/busybox:latest", help="an image with sh and httpd")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    docker, procfleet = shutil.which("docker"), executable("procfleet", "pip install ./ ./backends/compose")
    if docker is None:
        sys.exit("docker is not on PATH")
    ensure_bytecode("procfleet", "procfleet_compose")

    app = f"pfbench{secrets.token_hex(3)}"
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100"}
    env.pop("PROCFLEET_FILE", None)
    with tempfile.TemporaryDirectory(prefix="procfleet-bench-") as folder:
        cwd = Path(folder)
        (cwd / "formation.toml").write_text(FORMATION.format(app=app, image=args.image))
        rendered = subprocess.run([procfleet, "render", "-b", "compose"], cwd=cwd, env=env, capture_output=True,
                                  text=True, check=True).stdout
        (cwd / "compose.yaml").write_text(rendered)
        native = [docker, "compose", "-p", app, "-f", "compose.yaml"]

        def down() -> None:
            run([*native, "down", "-t", "0", "--remove-orphans"], cwd, env)

        def at_ten() -> None:
            run([*native, "up", "-d", "--no-recreate", "--no-deps", "--scale", "worker=10", "worker"], cwd, env)

        deploy = [Samples("procfleet deploy -b compose", [procfleet, "deploy", "-b", "compose", "-q"]),
                  Samples("procfleet deploy -b compose --no-wait", [procfleet, "deploy", "-b", "compose", "-q",
                                                                     "--no-wait"]),
                  Samples("docker compose up -d", [*native, "up", "-d"])]
        scale = [Samples("procfleet scale worker=30 -b compose", [procfleet, "scale", "worker=30", "-b", "compose",
                                                                   "-q"]),
                 Samples("docker compose up -d --no-recreate --no-deps --scale", [*native, "up", "-d", "--no-recreate",
                                                                                   "--no-deps", "--scale",
                                                                                   "worker=30", "worker"])]
        plan = Samples("procfleet plan -b compose (fixed cost)", [procfleet, "plan", "-b", "compose", "-q"])
        try:
            down()
            compare(deploy, down, cwd, env, args.rounds)
            down()
            run([procfleet, "deploy", "-b", "compose", "-q"], cwd, env)
            compare(scale, at_ten, cwd, env, args.rounds)
            at_ten()
            for _ in range(args.rounds):
                plan.wall.append(run(plan.argv, cwd, env))
        finally:
            subprocess.run([procfleet, "down", "-b", "compose", "-q"], cwd=cwd, env=env, capture_output=True,
                           check=False)
            subprocess.run([*native, "down", "-t", "0", "--remove-orphans"], cwd=cwd, env=env, capture_output=True,
                           check=False)

    versions = subprocess.run([docker, "version", "--format", "{{.Server.Version}}"], capture_output=True, text=True,
                              check=False).stdout.strip()
    compose_version = subprocess.run([docker, "compose", "version", "--short"], capture_output=True, text=True,
                                     check=False).stdout.strip()
    print(f"python {platform.python_version()} on {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs; "
          f"Docker engine {versions}, Compose {compose_version}; {args.rounds} rounds (A B, B A, ...)\n")
    print("deploy, 12 containers from nothing:\n" + report(deploy) + "\n")
    print("scale worker 10 → 30:\n" + report(scale) + "\n")
    print(f"{plan.label:<52} median {statistics.median(plan.wall):6.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
