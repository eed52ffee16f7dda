"""The backends the conformance suite runs on, each driven only through procfleet's CLI, as a user drives it.

Every platform deploys the same formation file (its [backends.*] tables say what each platform needs here: host
ports on a swarm without IPVS, the docker driver on Nomad) and is read back through `procfleet logs` and
`procfleet ps --json`. What the test checks is what the probe printed: the same lines on every platform.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from procfleet import registry
from tests.integration.nomad.conftest import eventually
from tests.nomad_sim import NomadSimulator

# Tagged by the probe's content: test sessions of other checkouts on the same engine build their own probe, and
# one tag for all of them would let a session run another's probe.
PROBE_DIGEST = hashlib.sha256(Path(__file__).with_name("probe.py").read_bytes()).hexdigest()
PROBE_IMAGE = f"procfleet-test/probe:{PROBE_DIGEST[:12]}"
DEADLINE = 90.0
# `procfleet logs` lines, the same on every backend: `HH:MM:SS <instance> | <text>`, the name padded
LOG_LINE = re.compile(r"^\d\d:\d\d:\d\d (\S+) +\| (.*)$")

# Each backend's table, in every formation the suite writes where that backend is installed (a table of a backend
# that is not is an error: a container with only local and systemd in it)
PLATFORM_TABLES = {
    "local": "base_port = {base_port}\n",
    "swarm": 'port_mode = "host"\nendpoint_mode = "dnsrr"\n',
    "nomad": 'driver = "docker"\ndatacenters = ["dc1"]\n',
    "systemd": 'base_port = {base_port}\nscope = "{systemd_scope}"\n',
}


def systemd_scope() -> str | None:
    """The systemd manager this machine lets the suite drive: the user's (its private socket is in
    $XDG_RUNTIME_DIR), else, for root, the system's (booted with systemd, as sd_booted(3) tells: /run/systemd/system
    exists); None where neither runs (a container without systemd, a Mac)."""
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime.startswith("/") and Path(runtime, "systemd", "private").exists():
        return "user"
    if os.geteuid() == 0 and Path("/run/systemd/system").is_dir():
        return "system"
    return None


@dataclass(frozen=True)
class Run:
    """One CLI run."""

    code: int
    out: str
    err: str


def docker(*args: str) -> str:
    """The docker CLI, for what a platform still holds of an app."""
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=120, check=False).stdout


@dataclass
class Platform:
    """One backend, one app, one folder."""

    backend: str
    folder: Path
    app: str = field(default_factory=lambda: f"pfc{secrets.token_hex(4)}")
    environ: dict[str, str] = field(default_factory=dict)
    supervisor: subprocess.Popen[str] | None = None
    sim: NomadSimulator | None = None

    def write(self, body: str) -> Path:
        """formation.toml: [app] with this app's name and the probe image, the body, and every installed platform's
        table."""
        path = self.folder / "formation.toml"
        base_port = 20000 + secrets.randbelow(400) * 100
        installed = registry.discover()
        tables = "".join(f"\n[backends.{name}]\n{text}" for name, text in PLATFORM_TABLES.items() if name in installed)
        path.write_text(f'[app]\nname = "{self.app}"\nimage = "{PROBE_IMAGE}"\n{body}\n'
                        + tables.format(base_port=base_port, systemd_scope=systemd_scope() or "user"))
        return path

    def cli(self, *args: str, timeout: float = 300) -> Run:
        """`procfleet -b <backend> ARGS…` as its own process, from the app's folder."""
        env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **self.environ}
        done = subprocess.run([sys.executable, "-m", "procfleet", "-b", self.backend, *args], cwd=self.folder,
                              env=env, capture_output=True, text=True, timeout=timeout, check=False)
        return Run(done.returncode, done.stdout, done.stderr)

    def screen(self, *args: str, columns: int, color: bool) -> Run:
        """What a person sees of `procfleet -b <backend> ARGS…` on a terminal this wide, in colour or not (rich
        takes COLUMNS as the terminal's width, and --color always colours a pipe as it would a terminal)."""
        env = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}
        env |= {"COLUMNS": str(columns), "TERM": "xterm-256color", **self.environ}
        done = subprocess.run([sys.executable, "-m", "procfleet", "--color", "always" if color else "never", "-b",
                               self.backend, *args], cwd=self.folder, env=env,
                              capture_output=True, text=True, timeout=120, check=False)
        return Run(done.returncode, done.stdout, done.stderr)

    def deploy(self, *, wait: bool = True) -> None:
        """Deploy and wait until every type runs (healthy where checked), or only until the platform has the
        formation (wait=False); local keeps its supervisor running."""
        if self.backend != "local":
            done = self.cli("deploy", "--timeout", "120") if wait else self.cli("deploy", "--no-wait")
            assert done.code == 0, done.err
            return
        env = {**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1", **self.environ}
        # the supervisor's own output goes to a file in the test's folder, shown when the deploy does not converge
        with self.supervisor_log.open("w") as output:
            self.supervisor = subprocess.Popen([sys.executable, "-m", "procfleet", "deploy"], cwd=self.folder,
                                               env=env, stdout=output, stderr=subprocess.STDOUT, text=True)
        try:
            eventually(self.converged if wait else lambda: self.cli("ps").code == 0, timeout=DEADLINE,
                       what=f"{self.app} on local")
        except AssertionError as timed_out:
            raise AssertionError(f"{timed_out}\n{self.local_diagnosis()}") from None

    @property
    def supervisor_log(self) -> Path:
        """Where the local supervisor's stdout and stderr go."""
        return self.folder / "supervisor.log"

    def local_diagnosis(self) -> str:
        """What a local deploy that did not converge leaves to go on: the supervisor's exit status, the last `ps`,
        and the tail of the supervisor's own output."""
        status = "running" if self.supervisor is None or self.supervisor.poll() is None \
            else f"exited {self.supervisor.returncode}"
        shown = self.cli("ps", "--json")
        output = self.supervisor_log.read_text(errors="replace").splitlines() if self.supervisor_log.exists() else []
        tail = "\n".join(output[-40:])
        return (f"supervisor {status}; ps exit {shown.code}: {shown.out.strip() or shown.err.strip()}\n"
                f"supervisor output (last 40 lines):\n{tail}")

    def starts(self, *types: str) -> dict[str, int]:
        """How many times each instance has started, from the probes' start lines in the logs."""
        counts: dict[str, int] = {}
        for name, text in self.logs(*types):
            if text.startswith("PROBE {"):
                counts[name] = counts.get(name, 0) + 1
        return counts

    def converged(self) -> bool:
        """Every type runs its desired count, healthy where checked (a type at 0 runs nothing)."""
        done = self.cli("ps", "--json")
        if done.code != 0:
            return False
        types = json.loads(done.out)["types"]
        return any(t["desired"] for t in types.values()) and all(
            t["running"] == t["desired"] and t["healthy"] in (None, t["desired"]) for t in types.values())

    def logs(self, *types: str) -> list[tuple[str, str]]:
        """(instance, line) of everything the instances printed, as `procfleet logs` shows it."""
        done = self.cli("logs", *types)
        lines = []
        for text in done.out.splitlines():
            match = LOG_LINE.match(text)
            if match:
                lines.append((match.group(1), match.group(2)))
        return lines

    def reports(self, count: int, *types: str) -> dict[str, dict[str, Any]]:
        """The probes' start reports, by instance name, once `count` of them are in the logs."""
        def found() -> dict[str, dict[str, Any]]:
            seen = {name: json.loads(text.removeprefix("PROBE "))
                    for name, text in self.logs(*types) if text.startswith("PROBE {")}
            return seen if len(seen) >= count else {}
        result: dict[str, dict[str, Any]] = eventually(found, timeout=DEADLINE,
                                                       what=f"{count} probe reports on {self.backend}")
        return result

    def follow(self, *types: str) -> Follower:
        """Start `procfleet logs -f TYPE…` (from now on: earlier lines are not wanted)."""
        env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **self.environ}
        process = subprocess.Popen([sys.executable, "-m", "procfleet", "-b", self.backend, "logs", "-f",
                                    "--tail", "0", *types], cwd=self.folder, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True)
        time.sleep(2)  # let it attach before what it must see happens
        return Follower(process)

    def down(self) -> None:
        """`procfleet down`, and the local supervisor's end."""
        done = self.cli("down")
        assert done.code == 0, done.err
        if self.supervisor is not None:
            self.supervisor.wait(60)

    def leftovers(self) -> list[str]:
        """What of the app still runs after down (Swarm keeps exited tasks' containers as history a while)."""
        if self.backend != "local":
            return self.running()
        if self.supervisor is not None and self.supervisor.poll() is None:
            return [f"supervisor pid {self.supervisor.pid}"]
        return []

    def running(self) -> list[str]:
        """The app's instances that still run, as the platform itself has them: containers, allocations, units, or
        the local supervisor's processes."""
        if self.backend == "local":
            done = self.cli("ps", "--json")
            instances = json.loads(done.out)["instances"] if done.code == 0 else []
            return [f"{i['name']} pid {i['pid']}" for i in instances if i["pid"] is not None]
        if self.backend in ("compose", "swarm"):
            label = "com.docker.stack.namespace" if self.backend == "swarm" else "procfleet.app"
            return docker("ps", "-q", "--filter", f"label={label}={self.app}").split()
        if self.backend == "nomad":
            if self.sim is not None:
                allocs = self.sim.allocations(self.app)
            else:  # a real agent (NOMAD_ADDR)
                token = {"X-Nomad-Token": self.environ["NOMAD_TOKEN"]} if self.environ.get("NOMAD_TOKEN") else {}
                answer = requests.get(f"{self.environ['NOMAD_ADDR'].rstrip('/')}/v1/job/{self.app}/allocations",
                                      headers=token, timeout=10)
                allocs = answer.json() if answer.ok else []
            return [a["ID"] for a in allocs if a["ClientStatus"] in ("pending", "running")]
        if self.backend == "systemd":  # the app's service units that are not inactive (failed ones do not run either;
            # the app's target stays active while the app is deployed, even at 0)
            flags = ["--user"] if systemd_scope() == "user" else []
            listed = subprocess.run(["systemctl", *flags, "list-units", "--all", "--plain", "--no-legend", "--full",
                                     "--type=service", f"{self.app}-*"], capture_output=True, text=True,
                                    timeout=60, check=False).stdout
            rows = [line.split() for line in listed.splitlines()]  # unit, load, active, sub, description
            return [row[0] for row in rows if len(row) > 2 and row[2] in ("active", "activating", "deactivating")]
        return []

    def close(self) -> None:
        """Leave nothing behind, whatever the test did."""
        if self.supervisor is not None and self.supervisor.poll() is None:
            self.supervisor.send_signal(signal.SIGTERM)
            try:
                self.supervisor.wait(30)
            except subprocess.TimeoutExpired:
                self.supervisor.kill()
        if self.backend in ("compose", "swarm", "systemd") and (self.folder / "formation.toml").exists():
            self.cli("down", timeout=120)
        if self.backend == "nomad" and self.sim is None and (self.folder / "formation.toml").exists():
            self.cli("down", "--purge", timeout=120)  # a real agent keeps nothing of the test's app
        if self.sim is not None:
            self.sim.stop()


class Follower:
    """`procfleet logs -f` running in the background, its lines collected as they come (Swarm's arrive late)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[tuple[str, str]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for text in self.process.stdout:
            match = LOG_LINE.match(text.rstrip("\n"))
            if match:
                self.lines.append((match.group(1), match.group(2)))

    def stop(self, until: Callable[[list[tuple[str, str]]], bool], timeout: float = 20) -> list[tuple[str, str]]:
        """Wait until the lines so far satisfy `until` (or timeout), end the follower, return (instance, line)."""
        deadline = time.monotonic() + timeout
        while not until(list(self.lines)) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(0.5)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._reader.join(5)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return list(self.lines)
