"""The local supervisor against honcho, side by side: start-up of many instances, log throughput, footprint.

Four cases, each run once per round by both tools in turn (the order swaps every round, so a machine whose
speed drifts moves both alike); every run gets its own temporary folder and a unique app name.

  start     one type with --instances instances (`echo ready; exec sleep 3600`): seconds from launching
            `procfleet deploy` / `honcho start -c web=N` until every instance's `ready` line has come out of
            the supervisor's stdout, read through a pipe as a terminal would; the top process's RSS and the
            supervisor side's PSS with all of them up; seconds from SIGINT until the tool has stopped them
            all and exited.
  logs      8 instances print --lines lines each, one write(2) per line (a logging handler that flushes
            every record), as fast as they can, all released at once once every one is ready: lines per
            second until all 8 x N lines have come out of the supervisor's stdout, and the supervisor side's
            CPU time per line meanwhile.
  blocks    the same with 8 KiB writes (block-buffered stdout, `yes | head`).
  idle      8 idle instances: the top process's RSS (/proc/PID/status VmRSS), the supervisor side's PSS,
            CPU use and context switches over --idle-seconds.

"Supervisor side" is the top process plus the Python processes under it that are not instances: procfleet's
watchdog; honcho's forked reader per instance (multiprocessing). CPU time is each thread's on-CPU time from
/proc/PID/task/TID/schedstat. Every run ends with SIGINT to the top process, 0.2 s after its last
measurement; the bench then checks that every process it saw under it has gone, SIGKILLs any that has not,
and lists such runs at the end (exit status 1 if one was procfleet's). It reads /proc and needs only the
standard library (Linux).

    python bench/local.py [--rounds N] [--instances 50] [--lines N] [--idle-seconds S] [--cases start,...]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter

from benchlib import ensure_bytecode, executable, host, quiet_env

READY = b"| ready"  # an instance's first line, as both tools print it: `12:00:00 web.1 | ready`
MARK = b"| bench-line "  # every line of the throughput case
CHATTY_COUNT = 8
IDLE_COUNT = 8
CLK_TCK = os.sysconf("SC_CLK_TCK")
STOP_WAIT = 30.0  # seconds a tool may take to stop after SIGINT before the bench kills what is left
SETTLE = 0.2  # seconds between a case's last measurement and the SIGINT that ends the run
GONE_WAIT = 5.0  # seconds the processes seen under a tool may take to disappear after it exits
READ_SIZE = 1 << 20

CHATTY = """\
import os, sys, time
go, count, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
name = os.environ.get("PORT", "?")
os.write(1, b"ready\\n")
lines = [f"bench-line {name} {n:07d} the quick brown fox jumps over the lazy dog\\n".encode() for n in range(count)]
while not os.path.exists(go):
    time.sleep(0.002)
if mode == "line":  # one write per line, as a logging handler that flushes every record
    for line in lines:
        os.write(1, line)
else:  # 8 KiB writes, as block-buffered stdout
    with open(1, "wb", buffering=8192, closefd=False) as out:
        for line in lines:
            out.write(line)
time.sleep(3600)
"""

# /proc.

@dataclass(frozen=True)
class Proc:
    """A process as /proc shows it; pid plus start time names it even if the pid is reused later."""

    pid: int
    ppid: int
    start: int  # clock ticks after boot
    state: str


def read_stat(pid: int) -> tuple[Proc, int] | None:
    """The process and its user + system CPU ticks; None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = raw[raw.rindex(")") + 2:].split()  # after "pid (comm) "; comm may hold spaces and parentheses
    state, ppid, utime, stime, start = fields[0], int(fields[1]), int(fields[11]), int(fields[12]), int(fields[19])
    return Proc(pid, ppid, start, state), utime + stime


def processes() -> dict[int, Proc]:
    """Every process now."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := read_stat(int(entry))) is not None:
            found[stat[0].pid] = stat[0]
    return found


def tree(top: int) -> list[Proc]:
    """The top process and every process under it, by parent links."""
    table = processes()
    children: dict[int, list[Proc]] = {}
    for proc in table.values():
        children.setdefault(proc.ppid, []).append(proc)
    if top not in table:
        return []
    found, queue = [], [table[top]]
    while queue:
        proc = queue.pop()
        found.append(proc)
        queue += children.get(proc.pid, [])
    return found


def alive(proc: Proc) -> bool:
    """Whether this very process (not a later one with its pid) still exists and is not a zombie."""
    stat = read_stat(proc.pid)
    return stat is not None and stat[0].start == proc.start and stat[0].state not in ("Z", "X")


def is_python(pid: int) -> bool:
    """Whether the process runs a Python interpreter (an instance here never does, except in `logs`)."""
    try:
        return "python" in Path(os.readlink(f"/proc/{pid}/exe")).name
    except OSError:
        return False


def cpu_seconds(pids: list[int]) -> float:
    """CPU time so far of every thread of these processes, to the nanosecond (/proc/PID/task/TID/schedstat:
    on-CPU time); falls back on /proc/PID/stat utime + stime (clock ticks) without schedstat."""
    total = 0.0
    for pid in pids:
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                total += int(Path(f"/proc/{pid}/task/{task}/schedstat").read_text().split()[0]) / 1e9
        except (FileNotFoundError, ProcessLookupError):  # gone (then stat is None too), or no schedstat
            if (stat := read_stat(pid)) is not None:
                total += stat[1] / CLK_TCK
    return total


def status_kib(pid: int, key: str) -> int:
    """A `VmRSS:`-style figure of /proc/PID/status, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def switches(pids: list[int]) -> int:
    """Context switches so far of every thread of these processes: how often they woke up, roughly."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{pid}/task"):
                for line in Path(f"/proc/{pid}/task/{task}/status").read_text().splitlines():
                    if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                        total += int(line.split()[1])
    return total


def pss_kib(pid: int) -> int:
    """Proportional set size (shared pages divided among their users), in KiB; 0 if gone."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# One supervisor run.

class Reader(threading.Thread):
    """Drains the supervisor's stdout as fast as it comes and counts READY and MARK lines, with the times
    at which each count reached the thresholds asked for."""

    def __init__(self, fd: int) -> None:
        super().__init__(daemon=True)
        self._fd = fd
        self._cond = threading.Condition()
        self.counts = {READY: 0, MARK: 0}
        self.first_output: float | None = None
        self.eof = False
        self._targets: dict[tuple[bytes, int], float | None] = {}
        self.tail = b""  # the last bytes read, for error messages

    def run(self) -> None:
        pending = b""
        while chunk := os.read(self._fd, READ_SIZE):
            now = perf_counter()
            data = pending + chunk
            cut = data.rfind(b"\n") + 1
            complete, pending = data[:cut], data[cut:]
            with self._cond:
                if self.first_output is None and complete:
                    self.first_output = now
                for pattern in self.counts:
                    self.counts[pattern] += complete.count(pattern)
                for (pattern, target), reached in self._targets.items():
                    if reached is None and self.counts[pattern] >= target:
                        self._targets[pattern, target] = now
                self.tail = (self.tail + chunk)[-2000:]
                self._cond.notify_all()
        with self._cond:
            self.eof = True
            self._cond.notify_all()

    def watch(self, pattern: bytes, target: int) -> None:
        """Record when the count of pattern reaches target (call before it can happen)."""
        with self._cond:
            self._targets[pattern, target] = perf_counter() if self.counts[pattern] >= target else None

    def wait(self, pattern: bytes, target: int, timeout: float) -> float:
        """The time at which the count reached target; raises if it does not within timeout."""
        deadline = perf_counter() + timeout
        with self._cond:
            while (reached := self._targets[pattern, target]) is None:
                left = deadline - perf_counter()
                if left <= 0 or self.eof:
                    raise RuntimeError(f"{self.counts[pattern]} of {target} {pattern.decode()!r} lines "
                                       f"after {timeout:g}s; last output:\n{self.tail.decode(errors='replace')}")
                self._cond.wait(left)
            return reached


@dataclass
class Tool:
    """How to lay out a folder for one tool and start it there."""

    label: str
    executable: str
    prepare: Callable[[Tool, Path, str, str, int], list[str]]  # (folder, app, command, count) -> argv


def prepare_procfleet(tool: Tool, folder: Path, app: str, command: str, count: int) -> list[str]:
    """A formation with one type `web`; restart = "never" so that a dying instance is not hidden."""
    (folder / "formation.toml").write_text(
        f'[app]\nname = "{app}"\n\n[processes.web]\ncommand = {toml_string(command)}\ncount = {count}\n'
        'restart = "never"\nstop_timeout = "5s"\n\n[backends.local]\nbase_port = 20000\n')
    return [tool.executable, "deploy", "--no-color"]


def prepare_honcho(tool: Tool, folder: Path, app: str, command: str, count: int) -> list[str]:
    """The same command in a Procfile, `-c web=N`."""
    (folder / "Procfile").write_text(f"web: {command}\n")
    return [tool.executable, "start", "-f", str(folder / "Procfile"), "-d", str(folder), "-c", f"web={count}",
            "-p", "20000", "--no-colour"]


def contenders() -> list[Tool]:
    """procfleet and honcho, as this environment's console scripts with their packages byte-compiled."""
    ensure_bytecode("procfleet", "procfleet_local", "honcho")
    return [Tool("procfleet", executable("procfleet", "pip install ./ ./backends/local"), prepare_procfleet),
            Tool("honcho", executable("honcho", "pip install honcho"), prepare_honcho)]


def toml_string(text: str) -> str:
    """A TOML basic string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class Running:
    """A tool started in its folder, its stdout drained by a Reader."""

    tool: Tool
    process: subprocess.Popen[bytes]
    reader: Reader
    started: float
    folder: Path
    seen: dict[tuple[int, int], Proc] = field(default_factory=dict)
    stop_seconds: float | None = None  # SIGINT -> exit, once stopped cleanly

    @property
    def pid(self) -> int:
        return self.process.pid

    def look(self) -> list[Proc]:
        """Remember every process under the tool now (for the leftover check); returns them."""
        found = tree(self.pid)
        self.seen.update({(p.pid, p.start): p for p in found})
        return found

    def side(self) -> list[int]:
        """The supervisor side: the top process and the Python processes under it that are not instances."""
        return [self.pid] + [p.pid for p in self.look() if p.pid != self.pid and is_python(p.pid)
                             and not _runs_chatty(p.pid)]

    def stderr(self) -> str:
        return (self.folder / "stderr.txt").read_text(errors="replace")


def _runs_chatty(pid: int) -> bool:
    try:
        return b"chatty.py" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


@dataclass(frozen=True)
class Unclean:
    """A run that did not stop cleanly: the tool hung, or left processes behind (the bench killed them)."""

    tool: str
    how: str
    left: list[str]
    stderr: str


UNCLEAN: list[Unclean] = []  # every unclean stop of this bench run, reported at the end


@contextlib.contextmanager
def launch(tool: Tool, root: Path, app: str, command: str, count: int, env: dict[str, str]) -> Iterator[Running]:
    """Start the tool in a new folder and yield it; always stop it and check nothing it started is left."""
    folder = root / app
    folder.mkdir()
    (folder / "chatty.py").write_text(CHATTY)
    argv = tool.prepare(tool, folder, app, command, count)
    with (folder / "stderr.txt").open("wb") as err:
        started = perf_counter()
        process = subprocess.Popen(argv, cwd=folder, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=err, start_new_session=True)  # our Ctrl-C is the bench's alone
    assert process.stdout is not None
    reader = Reader(process.stdout.fileno())
    reader.start()
    run = Running(tool, process, reader, started, folder)
    try:
        yield run
    except RuntimeError as exc:
        raise RuntimeError(f"{tool.label} in {folder}: {exc}\n{tool.label}'s stderr:\n{run.stderr()[-3000:]}") from exc
    finally:
        stop(run)
        process.stdout.close()


def stop(run: Running) -> None:
    """SIGINT the tool (both stop everything gracefully on it), wait, then make sure nothing is left: what
    is, the bench SIGKILLs (only processes seen under this run: pid and start time both match)."""
    time.sleep(SETTLE)
    run.look()
    begun = perf_counter()
    killed = False
    if run.process.poll() is None:
        run.process.send_signal(signal.SIGINT)
    try:
        run.process.wait(STOP_WAIT)
    except subprocess.TimeoutExpired:
        killed = True
        run.process.kill()
        run.process.wait()
    took = perf_counter() - begun
    run.reader.join(GONE_WAIT)
    deadline = perf_counter() + GONE_WAIT
    left = [p for p in run.seen.values() if p.pid != run.pid and alive(p)]
    while left and perf_counter() < deadline:
        time.sleep(0.05)
        left = [p for p in left if alive(p)]
    what = [f"{p.pid} {command_line(p.pid)}" for p in left]
    for proc in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
    if killed or left:
        how = f"did not exit within {STOP_WAIT:g}s of SIGINT (SIGKILLed)" if killed else \
            f"exited with status {run.process.returncode} {took:.2f}s after SIGINT"
        UNCLEAN.append(Unclean(run.tool.label, how, what, run.stderr()))
    else:
        run.stop_seconds = took


def command_line(pid: int) -> str:
    """A process's command line, for messages."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


# The cases.

@dataclass
class Figures:
    """Every sample of every metric of one tool."""

    samples: dict[str, list[float]] = field(default_factory=dict)

    def add(self, metric: str, value: float) -> None:
        self.samples.setdefault(metric, []).append(value)


@dataclass(frozen=True)
class Metric:
    key: str
    title: str
    unit: str
    better: str  # "lower" or "higher"
    scale: float = 1.0  # shown value = sample * scale


METRICS = [
    Metric("start", "start: launch -> all instances ready", "s", "lower"),
    Metric("first", "start: launch -> first stdout line", "s", "lower"),
    Metric("spawn", "start: first stdout line -> all ready", "s", "lower"),
    Metric("rss_many", "start: RSS of the top process, all up", "MiB", "lower", 1 / 1024),
    Metric("pss_many", "start: PSS of the supervisor side, all up", "MiB", "lower", 1 / 1024),
    Metric("helpers_many", "start: supervisor-side processes", "", "lower"),
    Metric("stop", "stop: SIGINT -> exit, all instances", "s", "lower"),
    Metric("rate_line", "logs, a write per line: lines/s to stdout", "lines/s", "higher"),
    Metric("cpu_line", "logs, a write per line: supervisor-side CPU", "us/line", "lower", 1e6),
    Metric("rate_block", "logs, 8 KiB writes: lines/s to stdout", "lines/s", "higher"),
    Metric("cpu_block", "logs, 8 KiB writes: supervisor-side CPU", "us/line", "lower", 1e6),
    Metric("hwm", "logs: peak RSS of the top process", "MiB", "lower", 1 / 1024),
    Metric("rss", "idle: RSS of the top process", "MiB", "lower", 1 / 1024),
    Metric("pss", "idle: PSS of the supervisor side", "MiB", "lower", 1 / 1024),
    Metric("helpers", "idle: supervisor-side processes", "", "lower"),
    Metric("cpu", "idle: CPU of the top process", "%", "lower"),
    Metric("cpu_side", "idle: CPU of the supervisor side", "%", "lower"),
    Metric("wakeups", "idle: context switches/s, supervisor side", "1/s", "lower"),
]

IDLE_COMMAND = "echo ready; exec sleep 3600"


def case_start(tool: Tool, root: Path, app: str, env: dict[str, str], instances: int, figures: Figures) -> None:
    """Launch with N instances; time until N ready lines; RSS with all of them up; time to stop them."""
    with launch(tool, root, app, IDLE_COMMAND, instances, env) as run:
        run.reader.watch(READY, instances)
        ready = run.reader.wait(READY, instances, 120)
        figures.add("start", ready - run.started)
        assert run.reader.first_output is not None
        figures.add("first", run.reader.first_output - run.started)
        figures.add("spawn", ready - run.reader.first_output)
        sleeping = wait_for_instances(run, instances)
        if sleeping != instances:
            raise RuntimeError(f"{tool.label}: {sleeping} of {instances} instances alive after the ready lines")
        figures.add("rss_many", status_kib(run.pid, "VmRSS"))
        side = run.side()
        figures.add("pss_many", sum(pss_kib(pid) for pid in side))
        figures.add("helpers_many", len(side))
    if run.stop_seconds is not None:
        figures.add("stop", run.stop_seconds)


def wait_for_instances(run: Running, instances: int) -> int:
    """How many `sleep` instances run under the tool (waiting a little for the last execs)."""
    deadline = perf_counter() + 5
    while True:
        count = 0
        for proc in run.look():
            with contextlib.suppress(OSError):
                count += Path(f"/proc/{proc.pid}/cmdline").read_bytes().startswith(b"sleep\0")
        if count >= instances or perf_counter() > deadline:
            return count
        time.sleep(0.02)


def case_logs(tool: Tool, root: Path, app: str, env: dict[str, str], lines: int, mode: str,
              figures: Figures) -> None:
    """8 chatty instances released together; lines per second until every line is out, and the supervisor
    side's CPU per line meanwhile."""
    go = root / f"{app}.go"
    command = f"exec {sys.executable} {root / app / 'chatty.py'} {go} {lines} {mode}"
    total = CHATTY_COUNT * lines
    with launch(tool, root, app, command, CHATTY_COUNT, env) as run:
        run.reader.watch(READY, CHATTY_COUNT)
        run.reader.wait(READY, CHATTY_COUNT, 120)
        side = run.side()
        cpu_before = cpu_seconds(side)
        run.reader.watch(MARK, total)
        begun = perf_counter()
        go.touch()
        done = run.reader.wait(MARK, total, 600)
        figures.add(f"rate_{mode}", total / (done - begun))
        figures.add(f"cpu_{mode}", (cpu_seconds(side) - cpu_before) / total)
        figures.add("hwm", status_kib(run.pid, "VmHWM"))
        if run.reader.counts[MARK] != total:
            raise RuntimeError(f"{tool.label}: {run.reader.counts[MARK]} lines, expected {total}")


def case_idle(tool: Tool, root: Path, app: str, env: dict[str, str], seconds: float, figures: Figures) -> None:
    """8 idle instances: RSS, PSS and CPU of the supervisor over a quiet window."""
    with launch(tool, root, app, IDLE_COMMAND, IDLE_COUNT, env) as run:
        run.reader.watch(READY, IDLE_COUNT)
        run.reader.wait(READY, IDLE_COUNT, 120)
        time.sleep(1.0)  # let start-up work (imports, first polls) settle
        side = run.side()
        top_before, side_before, woken_before = cpu_seconds([run.pid]), cpu_seconds(side), switches(side)
        time.sleep(seconds)
        top, everything = cpu_seconds([run.pid]) - top_before, cpu_seconds(side) - side_before
        figures.add("wakeups", (switches(side) - woken_before) / seconds)
        figures.add("cpu", 100 * top / seconds)
        figures.add("cpu_side", 100 * everything / seconds)
        figures.add("rss", status_kib(run.pid, "VmRSS"))
        figures.add("pss", sum(pss_kib(pid) for pid in side))
        figures.add("helpers", len(side))


def case_curve(tool: Tool, root: Path, app: str, env: dict[str, str], instances: int, seconds: float,
               figures: Figures) -> None:
    """start and idle in one run, for the growth curves (bench/curves.py): launch -> N ready, then, a second
    later, the supervisor side's CPU and wakeups over a quiet window, its memory, and the stop."""
    with launch(tool, root, app, IDLE_COMMAND, instances, env) as run:
        run.reader.watch(READY, instances)
        ready = run.reader.wait(READY, instances, 300)
        figures.add("start", ready - run.started)
        if (sleeping := wait_for_instances(run, instances)) != instances:
            raise RuntimeError(f"{tool.label}: {sleeping} of {instances} instances alive after the ready lines")
        time.sleep(1.0)  # let start-up work (imports, first polls) settle
        side = run.side()
        before, woken = cpu_seconds(side), switches(side)
        time.sleep(seconds)
        figures.add("cpu_side", 100 * (cpu_seconds(side) - before) / seconds)
        figures.add("wakeups", (switches(side) - woken) / seconds)
        figures.add("rss", status_kib(run.pid, "VmRSS"))
        figures.add("pss", sum(pss_kib(pid) for pid in side))
    if run.stop_seconds is not None:
        figures.add("stop", run.stop_seconds)


# Reporting.

def fmt(value: float) -> str:
    """Three significant figures, thousands separated."""
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def report(tools: list[Tool], figures: dict[str, Figures]) -> None:
    """One row per metric: each tool's median (min-max), and the ratio of the medians A/B."""
    a, b = tools
    fa, fb = figures[a.label], figures[b.label]
    header = (f"{'metric':<44} {'unit':>7} {a.label + ' median (min-max)':>30} {b.label + ' median (min-max)':>30} "
              f"{'A/B':>6}  better")
    print(header)
    print("-" * len(header))
    for metric in METRICS:
        sa, sb = fa.samples.get(metric.key), fb.samples.get(metric.key)
        if not sa or not sb:
            continue
        cells = []
        for samples in (sa, sb):
            shown = [s * metric.scale for s in samples]
            cells.append(f"{fmt(statistics.median(shown))} ({fmt(min(shown))}-{fmt(max(shown))})")
        ma, mb = statistics.median(sa), statistics.median(sb)
        ratio = f"{ma / mb:.2f}x" if mb else "-"
        print(f"{metric.title:<44} {metric.unit:>7} {cells[0]:>30} {cells[1]:>30} {ratio:>6}  {metric.better}")



def version(argv: list[str]) -> str:
    """The first line a `--version` prints."""
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    return (result.stdout or result.stderr).strip().splitlines()[0] if (result.stdout or result.stderr) else "?"


def main() -> int:
    """Run every case for both tools, round after round, then print the table."""
    parser = argparse.ArgumentParser(description="The local supervisor against honcho: start, log throughput, "
                                                 "memory and idle CPU.")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of every case (default 5)")
    parser.add_argument("--instances", type=int, default=50, help="instances in the start case (default 50)")
    parser.add_argument("--lines", type=int, default=20000,
                        help=f"lines each of the {CHATTY_COUNT} chatty instances prints (default 20000)")
    parser.add_argument("--idle-seconds", type=float, default=5.0, help="the idle CPU window (default 5)")
    parser.add_argument("--cases", default="start,logs,blocks,idle", help="a subset of start,logs,blocks,idle")
    args = parser.parse_args()
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    if args.rounds < 1 or args.instances < 1 or args.lines < 1 or args.idle_seconds <= 0:
        parser.error("--rounds, --instances, --lines and --idle-seconds must be positive")
    if unknown := set(cases) - {"start", "logs", "blocks", "idle"}:
        parser.error(f"unknown cases: {', '.join(sorted(unknown))}")
    if not Path("/proc/self/stat").exists():
        sys.exit("this bench reads /proc: it runs on Linux only")

    tools = contenders()
    env = quiet_env(80, "PYTHONUNBUFFERED")
    figures = {tool.label: Figures() for tool in tools}
    load_before = os.getloadavg()
    tag = f"bl{os.getpid()}"
    with tempfile.TemporaryDirectory(prefix="procfleet-bench-local-") as folder:
        root = Path(folder)
        sequence = 0
        for number in range(args.rounds):
            order = tools if number % 2 == 0 else tools[::-1]
            for case in cases:
                for tool in order:
                    sequence += 1
                    app = f"{tag}-{sequence}"
                    if case == "start":
                        case_start(tool, root, app, env, args.instances, figures[tool.label])
                    elif case in ("logs", "blocks"):
                        mode = "line" if case == "logs" else "block"
                        case_logs(tool, root, app, env, args.lines, mode, figures[tool.label])
                    else:
                        case_idle(tool, root, app, env, args.idle_seconds, figures[tool.label])
            print(f"round {number + 1}/{args.rounds} done", file=sys.stderr)

    print(f"{host()}; load average {load_before[0]:.2f} before, {os.getloadavg()[0]:.2f} after")
    print(f"A = {version([tools[0].executable, '--version'])} ({tools[0].executable})")
    print(f"B = {version([tools[1].executable, '--version'])} ({tools[1].executable})")
    print(f"{args.rounds} rounds (A B, then B A); start: {args.instances} instances; logs and blocks: "
          f"{CHATTY_COUNT} x {args.lines} lines; idle: {IDLE_COUNT} instances, {args.idle_seconds:g}s window\n")
    report(tools, figures)
    return report_unclean(tools[0].label)


def report_unclean(ours: str) -> int:
    """Every run that did not stop cleanly; exit status 1 if one of them was procfleet's."""
    if not UNCLEAN:
        print("\nevery run stopped cleanly on SIGINT and left no process behind")
        return 0
    print(f"\n{len(UNCLEAN)} run(s) did not stop cleanly (the bench SIGKILLed what they left):")
    for item in UNCLEAN:
        print(f"- {item.tool} {item.how}; {len(item.left)} processes left"
              + "".join(f"\n    {line}" for line in item.left[:4]) + ("\n    …" if len(item.left) > 4 else ""))
        last = [line for line in item.stderr.strip().splitlines() if line.strip()][-1:]
        if last:
            print(f"  its stderr ends with: {last[0]}")
    return 1 if any(item.tool == ours for item in UNCLEAN) else 0


if __name__ == "__main__":
    sys.exit(main())
