"""What the bench scripts share: finding the tools to time, timing them as installed packages run, paired ratios."""

from __future__ import annotations

import compileall
import importlib.util
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter


def executable(name: str, install_hint: str) -> str:
    """The console script of this interpreter's environment, so version-manager shims are not timed."""
    candidate = Path(sysconfig.get_path("scripts")) / name
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        sys.exit(f"{name} is not installed ({install_hint})")
    return found


def ensure_bytecode(*packages: str) -> None:
    """Byte-compile the packages' sources where no bytecode sits beside them.

    pip compiles a wheel's modules when it installs them, but an editable install (`pip install -e`) leaves its
    sources bare, and with PYTHONDONTWRITEBYTECODE set (the benches set it, to write nothing while timing) every
    run would compile them again: about 45 ms of `procfleet deploy` that no installed copy pays. Compiling once
    here times both tools as installed packages run.
    """
    for package in packages:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue
        for folder in spec.submodule_search_locations:
            compileall.compile_dir(folder, quiet=1)


def quiet_env(columns: int, *unset: str) -> dict[str, str]:
    """This environment for timed commands: no colours, `columns` wide, no bytecode written, no PROCFLEET_FILE."""
    env = {k: v for k, v in os.environ.items() if k not in ("PROCFLEET_FILE", *unset)}
    env.update({"NO_COLOR": "1", "COLUMNS": str(columns), "PYTHONDONTWRITEBYTECODE": "1"})
    return env


def host(release: bool = True) -> str:
    """`python 3.11.2 on Linux 6.1.0-18-amd64 x86_64, 4 CPUs` (without the kernel release if not asked)."""
    system = f"{platform.system()} {platform.release()}" if release else platform.system()
    return f"python {platform.python_version()} on {system} {platform.machine()}, {os.cpu_count()} CPUs"


@dataclass
class Samples:
    """Wall and CPU seconds of every counted run of one command (CPU: the reaped child's user + system)."""

    label: str
    argv: list[str]
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def median(self) -> float:
        return statistics.median(self.wall)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(argv: Sequence[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Run a command to completion, output discarded; its wall and CPU seconds; exit on failure."""
    cpu_before = _children_cpu()
    start = perf_counter()
    done = subprocess.run(list(argv), cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, check=False)
    wall = perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}:\n{done.stderr.decode(errors='replace')}")
    return wall, _children_cpu() - cpu_before


def timed(samples: Samples, cwd: Path, env: dict[str, str], record: bool = True) -> None:
    """Run one sampled command, keeping its times when record is true."""
    wall, cpu = run(samples.argv, cwd, env)
    if record:
        samples.wall.append(wall)
        samples.cpu.append(cpu)


def interleave(group: Sequence[Samples], cwd: Path, env: dict[str, str], rounds: int, warmup: int = 0,
               reset: Callable[[], None] | None = None) -> None:
    """Every round runs each command once (reset, untimed, before each); the order reverses every other round
    (A B C, C B A, ...) so a machine whose speed drifts moves them all alike."""
    for number in range(warmup + rounds):
        for samples in group if number % 2 == 0 else group[::-1]:
            if reset is not None:
                reset()
            timed(samples, cwd, env, record=number >= warmup)


def paired(ours: Samples, native: Samples) -> float:
    """The median of the round-by-round ratios ours / native."""
    return statistics.median(a / b for a, b in zip(ours.wall, native.wall, strict=True))


def ratio(ours: Samples, native: Samples) -> str:
    """`1.23x (paired 1.20x)`: the ratio of the medians, and the median of the paired ratios."""
    return f"{ours.median() / native.median():.2f}x (paired {paired(ours, native):.2f}x)"
