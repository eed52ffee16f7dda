"""What the Docker benches share: a throw-away app on the local engine, its formation, shared options, the reports."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter
from types import FrameType

from benchlib import Samples, ensure_bytecode, executable, host, interleave, quiet_env, ratio, run

DEFAULT_IMAGE = "procfleet-test/busybox:latest"
GONE_WAIT = 120.0  # seconds a stack's tasks may take to disappear after `docker stack rm`

WEB_AND_WORKER = """\
[app]
name = "{app}"
image = "{image}"

[processes.web]
command = "mkdir -p /www && echo ok >/www/index.html && exec httpd -f -p $PORT -h /www"
count = {web}
port = 8080
stop_timeout = "0s"

[processes.worker]
command = "{worker}"
count = {workers}
stop_timeout = "0s"
"""
COMPOSE_OPTIONS = '\n[backends.compose]\nhost_ip = "127.0.0.1"\n'
# No IPVS is needed: host-mode ports and DNS round robin (docs/backends/swarm.md, "Kernels without IPVS").
SWARM_OPTIONS = '\n[backends.swarm]\nport_mode = "host"\nendpoint_mode = "dnsrr"\nresolve_image = "never"\n'


def web_and_worker(name: str, image: str, web: int, worker: str, workers: int) -> str:
    """A formation of web x `web` (httpd on a port) and worker x `workers` running `worker`, no backend table."""
    return WEB_AND_WORKER.format(app=name, image=image, web=web, worker=worker, workers=workers)


def parse_rounds(description: str, minutes: int) -> tuple[int, str]:
    """--rounds N (default 5), --quick (2 rounds, about `minutes` minutes) and --image: the rounds and the image."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rounds", type=int, default=5, help="counted runs of each command (default 5; --quick: 2)")
    parser.add_argument("--quick", action="store_true", help=f"2 rounds, for a first look (about {minutes} minutes)")
    parser.add_argument("--image", default=DEFAULT_IMAGE, help="an image with sh and httpd")
    args = parser.parse_args()
    rounds: int = 2 if args.quick else args.rounds
    if rounds < 1:
        parser.error("--rounds must be at least 1")
    return rounds, args.image


def output(argv: Sequence[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    """A command's stdout (empty if it fails)."""
    done = subprocess.run(list(argv), cwd=cwd, env=env, capture_output=True, text=True, check=False)
    return done.stdout if done.returncode == 0 else ""


def versus(title: str, ours: Samples, native: Samples) -> str:
    """`  waiting:     A / B: 1.23x (paired 1.20x)`, the line under a table that sets one command against another."""
    return f"  {title + ':':<12} {ours.label} / {native.label}: {ratio(ours, native)}"


def table(group: Sequence[Samples], width: int = 60) -> str:
    """One line per command: median, min, max wall seconds and the median CPU seconds of the process itself."""
    lines = [f"{'command':<{width}} {'median':>8} {'min':>8} {'max':>8} {'cpu':>7}"]
    for s in group:
        lines.append(f"{s.label:<{width}} {s.median():8.3f} {min(s.wall):8.3f} {max(s.wall):8.3f} "
                     f"{statistics.median(s.cpu):7.3f}")
    return "\n".join(lines)


def engine(docker: str) -> str:
    """The Docker engine's version (`?` if it does not answer)."""
    return output([docker, "version", "--format", "{{.Server.Version}}"]).strip() or "?"


def machine(docker: str) -> str:
    """Python, OS, CPUs, load, Docker engine and Compose versions, as one line."""
    compose = output([docker, "compose", "version", "--short"]).strip() or "?"
    load = os.getloadavg()
    return (f"{host()}, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
            f"Docker engine {engine(docker)}, Compose {compose}")


def tools(*packages: str) -> tuple[str, str]:
    """The docker CLI and this environment's procfleet, with the packages byte-compiled (benchlib)."""
    docker = shutil.which("docker")
    if docker is None:
        sys.exit("docker is not on PATH")
    procfleet = executable("procfleet", "pip install ./ " + " ".join(f"./backends/{p}" for p in packages))
    ensure_bytecode("procfleet", *(f"procfleet_{p}" for p in packages))
    return docker, procfleet


def swarm_nodes(docker: str, active: bool = False) -> list[str]:
    """The hostnames of the swarm's nodes (only the Ready and Active ones if asked); exits if not a manager."""
    listed = subprocess.run([docker, "node", "ls", "--format", "{{.Hostname}} {{.Status}} {{.Availability}}"],
                            capture_output=True, text=True, check=False)
    if listed.returncode != 0:
        sys.exit(f"this engine is not a swarm manager ({listed.stderr.strip()}): docker swarm init")
    rows = [line.split() for line in listed.stdout.splitlines() if line.strip()]
    return [row[0] for row in rows if not active or row[1:] == ["Ready", "Active"]]


def swarm_placement(types: Sequence[str], nodes: Sequence[str]) -> str:
    """The `[backends.swarm]` line that keeps every type on the manager when the swarm has other nodes."""
    if len(nodes) <= 1:
        return ""
    pinned = ", ".join(f'{name} = "node.role == manager"' for name in types)
    return f"constraints = {{ {pinned} }}\n"


@dataclass
class App:
    """A formation in a temporary folder, deployed on one backend; `native` is the docker command prefix for it."""

    name: str
    backend: str
    folder: Path
    env: dict[str, str]
    docker: str
    procfleet: str

    @property
    def native(self) -> list[str]:
        """`docker compose` (run in the folder, whose compose.yaml names the project) or plain `docker`."""
        if self.backend == "compose":
            return [self.docker, "compose"]  # the folder's compose.yaml names the project
        return [self.docker]

    def service(self, process: str) -> str:
        """The platform's name of a type's service (swarm: `<stack>_<type>`)."""
        return f"{self.name}_{process}"

    def pf(self, *args: str) -> list[str]:
        """A procfleet command line on this app's backend."""
        return [self.procfleet, *args, "-b", self.backend]

    def run(self, argv: Sequence[str]) -> float:
        """Run a command in the app's folder; its wall seconds."""
        return run(argv, self.folder, self.env)[0]

    def deploy(self) -> float:
        """`procfleet deploy` of the app's formation, waiting; its wall seconds."""
        return self.run(self.pf("deploy", "-q"))

    def write(self, formation: str) -> None:
        """Write the formation and the native file procfleet renders for it (compose.yaml or stack.yaml)."""
        (self.folder / "formation.toml").write_text(formation)
        rendered = subprocess.run(self.pf("render"), cwd=self.folder, env=self.env, capture_output=True, text=True,
                                  check=False)
        if rendered.returncode != 0:
            sys.exit(f"procfleet render -b {self.backend} exited {rendered.returncode}:\n{rendered.stderr}")
        name = "compose.yaml" if self.backend == "compose" else "stack.yaml"
        (self.folder / name).write_text(rendered.stdout)

    def running(self, process: str) -> int:
        """How many containers of the type run now, as the engine's container list says."""
        label = (f"com.docker.compose.service={process}" if self.backend == "compose"
                 else f"com.docker.swarm.service.name={self.service(process)}")
        project = (f"com.docker.compose.project={self.name}" if self.backend == "compose"
                   else f"com.docker.stack.namespace={self.name}")
        listed = output([self.docker, "ps", "-q", "--filter", f"label={label}", "--filter", f"label={project}"])
        return len(listed.split())

    def native_scale(self, process: str, count: int) -> None:
        """Scale with the docker CLI and wait until exactly `count` containers of the type run (untimed resets)."""
        if self.backend == "compose":
            self.run([*self.native, "up", "-d", "--no-recreate", "--no-deps", "--scale", f"{process}={count}",
                      process])
        else:
            self.run([self.docker, "service", "scale", "--detach", f"{self.service(process)}={count}"])
        deadline = perf_counter() + 300
        while self.running(process) != count:
            if perf_counter() > deadline:
                sys.exit(f"{self.running(process)} containers of {process} run, not {count}, after 300 s")
            time.sleep(0.2)

    def down(self) -> None:
        """Remove everything of the app from the engine (procfleet down, then the docker CLI), waiting until gone."""
        subprocess.run(self.pf("down", "-q"), cwd=self.folder, env=self.env, capture_output=True, check=False)
        if self.backend == "compose":
            subprocess.run([self.docker, "compose", "-p", self.name, "down", "-t", "0"], cwd=self.folder,
                           env=self.env, capture_output=True, check=False)
        else:
            subprocess.run([self.docker, "stack", "rm", self.name], capture_output=True, check=False)
        native = "com.docker.compose.project" if self.backend == "compose" else "com.docker.stack.namespace"
        deadline = perf_counter() + GONE_WAIT
        left: set[str] = set()
        networks: set[str] = set()
        while perf_counter() < deadline:
            left, networks = set(), set()
            for label in (native, "procfleet.app"):
                where = ["--filter", f"label={label}={self.name}"]
                left |= set(output([self.docker, "ps", "-aq", *where]).split())
                networks |= set(output([self.docker, "network", "ls", "-q", *where]).split())
            if self.backend == "swarm":
                left |= set(output([self.docker, "service", "ls", "-q", "--filter", f"label={native}={self.name}"])
                            .split())
            if not left and not networks:
                return
            if not left:  # a network whose removal raced with its last containers' is removed once they are gone
                subprocess.run([self.docker, "network", "rm", *networks], capture_output=True, check=False)
            time.sleep(0.5)
        print(f"warning: after {GONE_WAIT:g} s, {self.name} still has on the engine: {' '.join(sorted(left))} "
              f"{' '.join(sorted(networks))}", file=sys.stderr)


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def app(backend: str, docker: str, procfleet: str, prefix: str = "pfbench") -> Iterator[App]:
    """A uniquely named app in a temporary folder; whatever happens (failure, Ctrl-C, SIGTERM), it is taken down
    from the engine at the end, with Ctrl-C ignored meanwhile so the clean-up itself is not cut short."""
    previous = signal.signal(signal.SIGTERM, _terminate)
    with tempfile.TemporaryDirectory(prefix="procfleet-bench-") as folder:
        made = App(f"{prefix}{secrets.token_hex(3)}", backend, Path(folder), quiet_env(100), docker, procfleet)
        try:
            yield made
        finally:
            interrupt = signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                made.down()
            finally:
                signal.signal(signal.SIGINT, interrupt)
                signal.signal(signal.SIGTERM, previous)


# Run in a fresh interpreter in the app's folder: the phases of `procfleet ps --json -b BACKEND`, timed inside it.
PHASES = """\
import json, sys, time
started = time.perf_counter()
import procfleet.cli
imported = time.perf_counter()
from procfleet.actions.context import Context, load_formation, open_backend
context = Context(backend=sys.argv[1])
formation = load_formation(context)
backend = open_backend(context, formation, False)
loaded = time.perf_counter()
backend.status(formation)
looked = time.perf_counter()
backend.status(formation)
again = time.perf_counter()
print(json.dumps({"imports": imported - started, "load": loaded - imported, "look": looked - loaded,
                  "again": again - looked}))
"""
PHASE_TITLES = {
    "imports": "procfleet's CLI imports (import procfleet.cli)",
    "load": "the formation read and checked, the backend loaded",
    "look": "one look at the engine (Backend.status)",
    "again": "a second look in the same process",
}


def fixed_cost(made: App, yardstick: Samples, rounds: int) -> tuple[list[Samples], dict[str, list[float]], str]:
    """What a command costs before and around the platform's work: whole commands timed from outside
    (interleaved), and the phases of one `ps --json` timed inside a fresh interpreter; an error instead of the
    phases if procfleet's internals they call have changed."""
    b = made.backend
    group = [Samples("python -c pass", [sys.executable, "-c", "pass"]),
             Samples("procfleet --version", [made.procfleet, "--version"]),
             Samples(f"procfleet ps --json -b {b}", made.pf("ps", "--json")),
             Samples(f"procfleet ps -b {b}", made.pf("ps")),
             yardstick]
    interleave(group, made.folder, made.env, rounds, warmup=1)
    phases: dict[str, list[float]] = {}
    for _ in range(rounds):
        done = subprocess.run([sys.executable, "-c", PHASES, b], cwd=made.folder, env=made.env, capture_output=True,
                              text=True, check=False)
        if done.returncode != 0:
            return group, {}, done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"
        for key, seconds in json.loads(done.stdout).items():
            phases.setdefault(key, []).append(seconds)
    return group, phases, ""


def difference(slow: Samples, fast: Samples) -> float:
    """The median of the round-by-round differences slow - fast, in seconds."""
    return statistics.median(a - b for a, b in zip(slow.wall, fast.wall, strict=True))


def fixed_cost_report(fixed: tuple[list[Samples], dict[str, list[float]], str],
                      settles: Sequence[tuple[str, Samples, Samples]]) -> str:
    """`fixed cost (medians):`, whole commands, the phases of one `ps --json`, what each wait adds (paired)."""
    group, phases, error = fixed
    steps = [(f"whole process: {s.label}", s.median()) for s in group]
    if phases:
        steps += [(f"inside ps --json: {PHASE_TITLES.get(key, key)}", statistics.median(values))
                  for key, values in phases.items()]
    steps += [(f"settle: {label}", difference(slow, fast)) for label, slow, fast in settles]
    width = max(len(label) for label, _ in steps)
    lines = ["fixed cost (medians):", *(f"  {label:<{width}} {seconds:7.3f}s" for label, seconds in steps)]
    if error:
        lines.append(f"  (the phases inside ps --json could not be timed: {error})")
    return "\n".join(lines)
