"""HTTP requests per `deploy` and per `scale` on the Nomad backend, counted at the in-repo Nomad simulator.

Each operation runs the real CLI code (procfleet.cli.main, in this interpreter) against a fresh simulator whose
deployments succeed at once, and the simulator's request log is read afterwards. Writes are compared with the
minimum the issue sets: one register per deploy, one scale request per changed group. Reads are listed too.
With --groups, the same counts for jobs of 1, 10, 50… groups instead (one process type per group): how the
requests of a deploy and of a scale grow with the job.

    python bench/nomad.py [--markdown] [--groups 1,10,50] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

# Run as a script, this file's folder comes first on sys.path, where this very file would pass for python-nomad's
# `nomad` package; swap it for the repository root (which also makes tests.nomad_sim importable).
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

# mypy run in this folder does not have the repository root on its path: the import is unchecked there.
from tests.nomad_sim import NomadSimulator, RecordedRequest  # type: ignore[import-not-found, unused-ignore]  # noqa: E402

from procfleet.cli import main  # noqa: E402  (after the path set-up above)

FORMATION = """\
[app]
name = "bench"

[processes.web]
command = "python3 -m http.server $PORT"
count = 2
port = 8000
health = { http = "/", interval = "2s" }

[processes.worker]
command = "sleep 3600"

[backends.nomad]
driver = "raw_exec"
"""


@dataclass(frozen=True)
class Row:
    """One measured operation."""

    operation: str
    requests: list[RecordedRequest]
    minimum_writes: int
    code: int

    @property
    def writes(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method != "GET"]

    def summary(self) -> str:
        """Each endpoint with its count, in first-use order."""
        shape = Counter(f"{r.method} {_short(r.path)}" for r in self.requests)
        return ", ".join(f"{count}× {call}" if count > 1 else call for call, count in shape.items())


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _short(path: str) -> str:
    path = path.replace("/v1/job/bench", "/v1/job/:id").replace("/v1/client/fs/logs/", "/v1/client/fs/logs/:alloc")
    return UUID.sub(":id", path)


@dataclass(frozen=True)
class Project:
    """A folder with the formation, and `procfleet ARGS… -b nomad` run in it against one simulator."""

    folder: Path
    environ: dict[str, str]

    def run(self, *args: str) -> int:
        """The CLI's exit status; its output is discarded."""
        previous = Path.cwd()
        os.chdir(self.folder)
        try:
            with mock.patch.dict(os.environ, self.environ, clear=True), \
                    contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                return main([*args, "-b", "nomad"])
        finally:
            os.chdir(previous)


@contextlib.contextmanager
def project(sim: NomadSimulator, formation: str = FORMATION) -> Iterator[Project]:
    """A temporary project whose NOMAD_ADDR is the simulator's."""
    with tempfile.TemporaryDirectory(prefix="procfleet-bench-nomad-") as folder:
        path = Path(folder)
        (path / "formation.toml").write_text(formation)
        environ = {k: v for k, v in os.environ.items() if not k.startswith("NOMAD_")}
        environ.update(NOMAD_ADDR=sim.address, NO_COLOR="1")
        yield Project(path, environ)


def measure(operation: str, minimum: int, setup: Callable[[Project, NomadSimulator], None],
            args: list[str], during: Callable[[NomadSimulator], None] | None = None,
            formation: str = FORMATION) -> Row:
    """Run setup, forget its requests, then run the measured command (and `during` beside it)."""
    with NomadSimulator(auto_healthy=True) as sim, project(sim, formation) as made:
        setup(made, sim)
        sim.clear_requests()
        helper = threading.Timer(0.3, during, (sim,)) if during else None
        if helper:
            helper.start()
        code = made.run(*args)
        if helper:
            helper.join()
        return Row(operation, sim.requests, minimum, code)


def nothing(made: Project, sim: NomadSimulator) -> None:
    """No set-up."""


def deployed(made: Project, sim: NomadSimulator) -> None:
    """The formation deployed and healthy."""
    assert made.run("deploy") == 0


def deployed_then_edited(made: Project, sim: NomadSimulator) -> None:
    """Deployed, then one type's command edited."""
    deployed(made, sim)
    (made.folder / "formation.toml").write_text(FORMATION.replace("sleep 3600", "sleep 7200"))


def deployed_then_scaled(made: Project, sim: NomadSimulator) -> None:
    """Deployed, then web scaled away from its file count."""
    deployed(made, sim)
    assert made.run("scale", "web=4") == 0


def deployed_with_active_deployment(made: Project, sim: NomadSimulator) -> None:
    """Deployed with --no-wait and progress held back, so Nomad blocks scaling."""
    sim.set_auto_progress(run=False, healthy=False)
    assert made.run("deploy", "--no-wait") == 0


def release(sim: NomadSimulator) -> None:
    """Let the held-back deployment succeed (and later writes progress on their own)."""
    sim.set_auto_progress(run=True, healthy=True)
    sim.advance("bench")


def rows() -> list[Row]:
    """Every measured operation."""
    return [
        measure("deploy, new job, --no-wait", 1, nothing, ["deploy", "--no-wait"]),
        measure("deploy, new job", 1, nothing, ["deploy"]),
        measure("deploy, unchanged", 1, deployed, ["deploy"]),
        measure("deploy, one type's command changed", 1, deployed_then_edited, ["deploy"]),
        measure("deploy after `scale web=4` (web returns to 2)", 1, deployed_then_scaled, ["deploy"]),
        measure("scale worker=4", 1, deployed, ["scale", "worker=4"]),
        measure("scale worker+2 (relative)", 1, deployed, ["scale", "worker+2"]),
        measure("scale web=3 worker=5", 2, deployed, ["scale", "web=3", "worker=5"]),
        measure("scale web=2 worker=5 (web unchanged)", 1, deployed, ["scale", "web=2", "worker=5"]),
        measure("scale worker=4 --wait", 1, deployed, ["scale", "worker=4", "--wait"]),
        measure("scale worker=4 during an active deployment", 1, deployed_with_active_deployment,
                ["scale", "worker=4"], during=release),
    ]


def groups_formation(count: int) -> str:
    """A job of `count` groups: types p1…pN, one instance each."""
    types = "".join(f'\n[processes.p{n}]\ncommand = "sleep 3600"\n' for n in range(1, count + 1))
    return f'[app]\nname = "bench"\n{types}\n[backends.nomad]\ndriver = "raw_exec"\n'


def curve(sizes: list[int]) -> list[dict[str, object]]:
    """Requests and writes of each operation on jobs of each size."""
    points: list[dict[str, object]] = []
    for size in sizes:
        formation = groups_formation(size)
        every = [f"p{n}=2" for n in range(1, size + 1)]
        operations = [
            ("deploy, new job", 1, nothing, ["deploy"]),
            ("deploy, new job, --no-wait", 1, nothing, ["deploy", "--no-wait"]),
            ("deploy, unchanged", 1, deployed, ["deploy"]),
            ("scale one group", 1, deployed, ["scale", "p1=3"]),
            ("scale one group --wait", 1, deployed, ["scale", "p1=3", "--wait"]),
            ("scale every group", size, deployed, ["scale", *every]),
        ]
        for operation, minimum, setup, args in operations:
            row = measure(operation, minimum, setup, args, formation=formation)
            points.append({"groups": size, "operation": operation, "requests": len(row.requests),
                           "writes": len(row.writes), "minimum": minimum, "code": row.code, "what": row.summary()})
    return points


def report() -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(description="Count the HTTP requests procfleet makes to Nomad.")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--groups", help="instead, count for jobs of these many groups, e.g. 1,10,50")
    parser.add_argument("--json", action="store_true", help="with --groups: print the counts as JSON")
    args = parser.parse_args()
    if args.groups:
        return report_curve([int(n) for n in args.groups.split(",")], args.markdown, args.json)
    measured = rows()
    failed = [row.operation for row in measured if row.code != 0]
    if args.markdown:
        print("| operation | requests | writes (minimum) | what |")
        print("|---|---|---|---|")
        for row in measured:
            print(f"| {row.operation} | {len(row.requests)} | {len(row.writes)} ({row.minimum_writes}) | "
                  f"{row.summary()} |")
    else:
        width = max(len(row.operation) for row in measured)
        print(f"{'operation':<{width}}  requests  writes  minimum  what")
        for row in measured:
            print(f"{row.operation:<{width}}  {len(row.requests):>8}  {len(row.writes):>6}  "
                  f"{row.minimum_writes:>7}  {row.summary()}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def _groups(count: int) -> str:
    return f"{count} group" if count == 1 else f"{count} groups"


def report_curve(sizes: list[int], markdown: bool, as_json: bool) -> int:
    """Requests (writes) per operation, a column per job size."""
    points = curve(sizes)
    if as_json:
        print(json.dumps(points, indent=1))
    else:
        operations = list(dict.fromkeys(str(p["operation"]) for p in points))
        cell = {(p["operation"], p["groups"]): f"{p['requests']} ({p['writes']})" for p in points}
        if markdown:
            print("| operation | " + " | ".join(_groups(n) for n in sizes) + " |")
            print("|---|" + "---:|" * len(sizes))
            for op in operations:
                print(f"| {op} | " + " | ".join(cell[op, n] for n in sizes) + " |")
        else:
            width = max(map(len, operations))
            print(f"requests (writes) per operation\n{'operation':<{width}}" + "".join(f"{_groups(n):>14}"
                                                                                    for n in sizes))
            for op in operations:
                print(f"{op:<{width}}" + "".join(f"{cell[op, n]:>14}" for n in sizes))
    failed = [f"{p['operation']} ({p['groups']} groups)" for p in points if p["code"] != 0]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(report())
