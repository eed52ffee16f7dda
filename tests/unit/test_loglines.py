"""The one shape of log lines, `--since` as docker reads it, and the line that says there is nothing to show."""

from __future__ import annotations

import io
import time
from datetime import datetime

import pytest

from procfleet.errors import UsageError
from procfleet.loglines import LogLine, LogRequest, LogStyle, LogWriter, docker_since, not_deployed, parse_since

NOW = 1_764_000_000.25  # 2025-11-24T16:00:00.25Z


@pytest.mark.parametrize(("given", "seconds_back"), [("10m", 600), ("1h30m", 5400), ("90s", 90), ("500ms", 0.5)])
def test_since_a_duration_is_back_from_now(given: str, seconds_back: float) -> None:
    assert parse_since(given, NOW) == NOW - seconds_back


def test_since_a_time_with_a_zone_a_local_time_a_date_or_unix_seconds() -> None:
    assert parse_since("2025-11-24T16:00:00Z", NOW) == 1_764_000_000
    assert parse_since("2025-11-24T17:00:00.5+01:00", NOW) == 1_764_000_000.5
    assert parse_since("2025-11-24T15:59:00.123456789Z", NOW) == pytest.approx(1_763_999_940.123456)
    # without a zone, local time, as docker reads it
    assert parse_since("2025-11-24T16:00:00", NOW) == datetime(2025, 11, 24, 16).timestamp()
    assert parse_since("2025-11-24", NOW) == datetime(2025, 11, 24).timestamp()
    assert parse_since("1764000000", NOW) == 1_764_000_000  # digits without a unit: Unix seconds, not a duration
    assert parse_since("1764000000.5", NOW) == 1_764_000_000.5


@pytest.mark.parametrize("given", ["yesterday", "10 minutes", "-5m", "", "2025-13-01"])
def test_since_anything_else_is_a_usage_error_naming_the_forms(given: str) -> None:
    with pytest.raises(UsageError, match=r'^--since: expected a duration like "10m" or "1h30m", a time like '):
        parse_since(given, NOW)


def test_docker_gets_unix_seconds_with_nine_digits_of_nanoseconds() -> None:
    assert docker_since(1_764_000_000.25) == "1764000000.250000000"
    assert docker_since(1_764_000_000) == "1764000000.000000000"


def writer(style: LogStyle, since: float | None = None, width: int = 0) -> tuple[LogWriter, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    return LogWriter(out, err, style, LogRequest("shop", "compose", ("web",), since), width), out, err


def test_lines_are_timed_padded_and_coloured_by_type() -> None:
    at = datetime(2025, 11, 24, 16, 0, 7).timestamp()
    plain, out, err = writer(LogStyle(), width=len("worker.1"))
    plain.write(LogLine("web.1", "web", "GET /", at))
    plain.write(LogLine("worker.10", "worker", "oops", at + 1, stderr=True))
    plain.write(LogLine("web.1", "web", "GET /health", at + 2))
    assert out.getvalue() == "16:00:07 web.1    | GET /\n16:00:09 web.1     | GET /health\n"
    assert err.getvalue() == "16:00:08 worker.10 | oops\n"  # a longer name widens the column from then on
    colored, out, _ = writer(LogStyle(color=True, positions={"web": 0, "worker": 1, "clock": 14}))
    for process in ("web", "worker", "clock"):
        colored.write(LogLine(f"{process}.1", process, "x", at))
    assert out.getvalue().splitlines() == ["\x1b[36m16:00:07 web.1 | \x1b[0mx", "\x1b[33m16:00:07 worker.1 | \x1b[0mx",
                                           "\x1b[32m16:00:07 clock.1  | \x1b[0mx"]  # honcho's 12 colours, round


def test_without_timestamps_or_prefixes() -> None:
    bare, out, _ = writer(LogStyle(timestamps=False, color=True), width=8)
    bare.write(LogLine("web.1", "web", "GET /", time.time()))
    raw, raw_out, _ = writer(LogStyle(prefixes=False, color=True))
    raw.write(LogLine("web.1", "web", "GET /", time.time()))
    assert (out.getvalue(), raw_out.getvalue()) == ("\x1b[36mweb.1    | \x1b[0mGET /\n", "GET /\n")


def test_nothing_to_show_is_one_line_on_stderr_only_when_no_line_came() -> None:
    empty, out, err = writer(LogStyle(), since=datetime(2025, 11, 24, 16, 0, 7).timestamp())
    empty.passthrough("warning: a platform's own words are no log line")
    empty.finish()
    assert out.getvalue() == "warning: a platform's own words are no log line\n"  # passed on as it came
    assert err.getvalue() == "nothing to show: no log line from web of shop on compose since 2025-11-24 16:00:07\n"
    some, _, err = writer(LogStyle())
    some.write(LogLine("web.1", "web", "", time.time()))
    some.finish()
    assert err.getvalue() == ""
    assert str(not_deployed("shop", "nomad")) == ("nothing to show: shop is not deployed on nomad; start it with "
                                                  "`procfleet deploy -b nomad`")
