"""`procfleet logs` looks alike on every backend: `HH:MM:SS web.1 | line` with the time each line was written,
names padded so the bars align, one colour per type in honcho's palette (none, and no escape code, without
colour); `--no-timestamps` (and honcho's `--no-timestamp`), `--no-prefix`, `--since`; and one line, the same
everywhere, when there is nothing to show.

The checks run on test_names.py's deployment (web ×2, a worker that ticks every 0.5 s, idle at 0), which CI time
counts: one deployment per backend serves the names and every look at the logs.
"""

from __future__ import annotations

import math
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time

from procfleet import registry
from procfleet.backend import declared_differences
from tests.conformance.platforms import Platform, Run

LINE = re.compile(r"(?P<time>\d\d:\d\d:\d\d) (?P<name>\S+)(?P<pad> *) \| (?P<text>.*)")
COLORED = re.compile(r"\x1b\[(?P<color>[0-9;]+)m\d\d:\d\d:\d\d (?P<name>\S+) +\| \x1b\[0m(?P<text>.*)")
WIDTH = len("worker.1")  # the longest instance name of web and worker
APART = 2.0  # seconds at least between the probes' start lines and the looks: written and read in other seconds


def written_between(stamp: str, start: float, end: float) -> bool:
    """Whether a local HH:MM:SS names a second from start to end (a midnight between them included)."""
    day = datetime.fromtimestamp(end).date()
    moments = (datetime.combine(day - timedelta(days=back), clock_time.fromisoformat(stamp)).timestamp()
               for back in (0, 1))
    return any(math.floor(start) <= moment <= end for moment in moments)


def parsed(run: Run) -> list[re.Match[str]]:
    """Every line of the output in the one shape; a line in another shape fails the test."""
    assert run.code == 0 and run.out, run.err
    lines = [LINE.fullmatch(text) for text in run.out.splitlines()]
    assert all(lines), run.out
    return [line for line in lines if line is not None]


def assert_not_deployed(platform: Platform) -> None:
    """Before the first deploy: one error line, exit status 1, nothing on stdout."""
    never = platform.cli("logs")
    assert (never.code, never.out, never.err) == (
        1, "", f"error: nothing to show: {platform.app} is not deployed on {platform.backend}; start it with "
        f"`procfleet deploy -b {platform.backend}`\n")


def assert_logs_look_alike(platform: Platform, deployed: float, reported: float) -> None:
    """The looks at the running app's logs, from `deployed` (before deploy) and `reported` (every probe's start
    line was in the logs by then)."""
    time.sleep(max(0.0, reported + APART - time.time()))
    asked = time.time()
    since = asked - APART / 2  # after every start line, before the worker's last ticks
    with ThreadPoolExecutor(8) as pool:  # reads only: at once, to keep the suite's time down
        runs = [pool.submit(platform.cli, "logs", *args) for args in (
            ("web", "worker"), ("web", "--no-timestamps"), ("web", "--no-timestamp"), ("web", "--no-prefix"),
            ("idle",), ("web", "worker", "--since", datetime.fromtimestamp(since, UTC).isoformat()),
            ("web", "--since", f"{APART:g}s"))]
        painting = pool.submit(platform.screen, "logs", "web", "worker", columns=200, color=True)
        shown, bare, honcho, unprefixed, idle, recent, quiet = (run.result() for run in runs)
        colored = painting.result()
    answered = time.time()
    differences = declared_differences(registry.load(platform.backend))
    web = _shape_and_times(shown, "log-time" in differences, (deployed, reported), (asked, answered))

    # web has been quiet since it started, so every look shows the same lines (Compose may interleave instances
    # differently from one read to the next: compared sorted)
    assert bare.code == 0 and sorted(bare.out.splitlines()) == sorted(f"{name:<5} | {text}" for name, text in web)
    assert (honcho.code, sorted(honcho.out.splitlines())) == (0, sorted(bare.out.splitlines()))  # honcho's spelling
    assert unprefixed.code == 0 and sorted(unprefixed.out.splitlines()) == sorted(text for _, text in web)
    painted = [COLORED.fullmatch(text) for text in colored.out.splitlines()]
    assert colored.code == 0 and painted and all(painted), colored.out
    assert {(match["name"].split(".")[0], match["color"]) for match in painted if match} == {("web", "36"),
                                                                                             ("worker", "33")}
    assert (idle.code, idle.out, idle.err) == (
        0, "", f"nothing to show: no log line from idle of {platform.app} on {platform.backend}\n")
    _since(platform, recent, quiet, since, "log-since" in differences)


def _shape_and_times(shown: Run, read_times: bool, written: tuple[float, float],
                     read: tuple[float, float]) -> list[tuple[str, str]]:
    """`logs web worker`: every line in the shape, every bar in one column, no escape code under NO_COLOR, each
    line's time when it was written (or, declared, when it was read); web's (instance, text) lines."""
    lines = parsed(shown)
    assert "\x1b" not in shown.out + shown.err
    assert {len(line["name"] + line["pad"]) for line in lines} == {WIDTH}
    starts = {line["name"]: line["time"] for line in lines if line["text"].startswith("PROBE {")}
    assert sorted(starts) == ["web.1", "web.2", "worker.1"]
    ticks = [line["time"] for line in lines if line["name"] == "worker.1" and line["text"].startswith("PROBE-TICK ")]
    assert ticks, shown.out
    if read_times:  # Nomad keeps no time per line: the moment procfleet read it
        assert all(written_between(line["time"], *read) for line in lines), (read, shown.out)
    else:
        assert all(written_between(stamp, *written) for stamp in starts.values()), (written, starts)
        assert len(set(ticks)) > 1, ticks  # each tick at its own time, not one stamp for the whole read
    return [(line["name"], line["text"]) for line in lines if line["name"].startswith("web.")]


def _since(platform: Platform, recent: Run, quiet: Run, since: float, by_file: bool) -> None:
    """`--since` a time after the probes' start lines (RFC 3339) and a duration (as long ago as they are at
    least): older lines left out; web, quiet since, has nothing to show."""
    kept = parsed(recent)
    assert {line["name"] for line in kept} == {"worker.1"}, recent.out  # web wrote nothing since
    assert any(line["text"].startswith("PROBE-TICK ") for line in kept), recent.out
    if by_file:  # Nomad, declared: the worker's log file was written to since, so it is shown whole
        assert any(line["text"].startswith("PROBE {") for line in kept), recent.out
    else:
        assert all(line["text"].startswith("PROBE-TICK ") and written_between(line["time"], since, time.time())
                   for line in kept), (since, recent.out)
    assert quiet.code == 0 and quiet.out == "", quiet.out
    assert re.fullmatch(rf"nothing to show: no log line from web of {platform.app} on {platform.backend} since "
                        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n", quiet.err), quiet.err
