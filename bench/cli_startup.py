"""CLI start-up: `procfleet --help` against `honcho --help`, and `procfleet check` against `honcho check`.

Every round runs each pair in turn (A B, A B, ...) plus `python -c pass`, the interpreter's own start-up, so a
machine whose speed drifts during the run moves every command alike. The ratio is printed as the ratio of the two
medians, with the median of the pair-by-pair ratios beside it.
Wall time is perf_counter around the whole process; CPU time is the OS's user + system accounting of the
reaped child (resource.getrusage(RUSAGE_CHILDREN) before and after).

    python bench/cli_startup.py [--rounds N] [--warmup N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from benchlib import Samples, ensure_bytecode, executable, host, paired, quiet_env, timed

FORMATION = """\
[app]
name = "hello"

[processes.web]
command = "python -m http.server $PORT"
count = 2
port = 8000

[processes.worker]
command = "python -c 'import time; time.sleep(3600)'"
count = 1
"""

PROCFILE = """\
web: python -m http.server $PORT
worker: python -c 'import time; time.sleep(3600)'
"""


def measure(groups: list[list[Samples]], cwd: Path, env: dict[str, str], rounds: int, warmup: int) -> None:
    """Each round runs every group's commands in turn (A B, A B, ...), so drift touches all of them alike."""
    for number in range(warmup + rounds):
        for group in groups:
            for samples in group:
                timed(samples, cwd, env, record=number >= warmup)


def ms(seconds: float) -> str:
    """Seconds as milliseconds with one decimal."""
    return f"{seconds * 1000:.1f}"


def main() -> int:
    """Measure, then print the table and the ratios."""
    parser = argparse.ArgumentParser(description="Time procfleet's start-up against honcho's.")
    parser.add_argument("--rounds", type=int, default=20, help="counted A B pairs per comparison (default 20)")
    parser.add_argument("--warmup", type=int, default=2, help="uncounted rounds first (default 2)")
    args = parser.parse_args()
    if args.rounds < 1 or args.warmup < 0:
        parser.error("--rounds must be at least 1 and --warmup at least 0")

    procfleet = executable("procfleet", "pip install ./ ./backends/local")
    honcho = executable("honcho", "pip install honcho")
    ensure_bytecode("procfleet", "procfleet_local", "honcho")
    # Same environment for both: no colors, a fixed width, no inherited formation file.
    env = quiet_env(80)

    pairs = [
        (Samples("procfleet --help", [procfleet, "--help"]), Samples("honcho --help", [honcho, "--help"])),
        (Samples("procfleet check", [procfleet, "check"]), Samples("honcho check", [honcho, "check"])),
    ]
    floor = Samples("python -c pass", [sys.executable, "-c", "pass"])  # the interpreter's own start-up
    with tempfile.TemporaryDirectory(prefix="procfleet-bench-") as folder:
        cwd = Path(folder)
        (cwd / "formation.toml").write_text(FORMATION)
        (cwd / "Procfile").write_text(PROCFILE)
        measure([*map(list, pairs), [floor]], cwd, env, args.rounds, args.warmup)

    print(f"{host(release=False)}; {args.rounds} rounds (A B A B ...), {args.warmup} warm-up rounds")
    print(f"procfleet: {procfleet}\nhoncho:    {honcho}\n")
    header = f"{'command':<18} {'wall median':>11} {'min':>7} {'max':>7} {'cpu median':>10}  (ms)"
    print(header)
    print("-" * len(header))
    for samples in [*(s for pair in pairs for s in pair), floor]:
        print(f"{samples.label:<18} {ms(samples.median()):>11} {ms(min(samples.wall)):>7} "
              f"{ms(max(samples.wall)):>7} {ms(statistics.median(samples.cpu)):>10}")
    print()
    for a, b in pairs:
        cpu_ratio = statistics.median(a.cpu) / statistics.median(b.cpu)
        print(f"{a.label} / {b.label}: {a.median() / b.median():.2f}x  (median of paired ratios "
              f"{paired(a, b):.2f}x, cpu {cpu_ratio:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
