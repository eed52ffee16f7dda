"""A Compose `healthcheck` as the formation's health check; procfleet's own http and tcp probes are recognised."""

from __future__ import annotations

import re
import shlex
from typing import Any

from procfleet import validation as v
from procfleet.importers.commands import from_argv
from procfleet.importers.result import Report
from procfleet.model import HealthCheck, HealthKind
from procfleet.validation import Where, describe

# The shapes procfleet's compose backend renders for http and tcp checks (procfleet_compose.probes): the
# marker line is the backend's own, so a hand-written probe is never mistaken for one.
HTTP_PROBE = re.compile(r"^if command -v wget >/dev/null; then wget -q -O /dev/null (?P<url>'[^']*'|\S+); .*"
                        r"procfleet: the image has no wget, curl or python3 for this health check", re.DOTALL)
TCP_PROBE = re.compile(r"^if command -v nc >/dev/null; then nc -z 127\.0\.0\.1 (?P<port>\d+) 2>/dev/null .*"
                       r"procfleet: the image has no nc or python3 for this health check", re.DOTALL)
LOCAL_URL = re.compile(r"^http://127\.0\.0\.1:(?P<port>\d+)(?P<path>/.*)$")
KEYS = ("test", "disable", "interval", "timeout", "retries", "start_period")
# Docker's defaults for a healthcheck that leaves them out.
DEFAULTS = {"interval": "30s", "timeout": "30s", "retries": 3, "start_period": "0s"}


def health_check(value: Any, port: int | None, where: Where, report: Report) -> HealthCheck | None:
    """The check, or None when there is none to carry over (each reason reported)."""
    spec = v.table(value, where)
    if spec.get("disable") is True or spec.get("test") in (["NONE"], "NONE"):
        report.skipped(where.key, "it turns off the image's own HEALTHCHECK; procfleet adds no check, nor removes one")
        return None
    if "test" not in spec:
        report.skipped(where.key, "no test: it only retimes the image's own HEALTHCHECK, which procfleet cannot see")
        return None
    for key in spec:
        if key not in KEYS:
            report.skipped(where.child(key).key, "procfleet's health checks have no such setting")
    kind, http_path, command = _probe(spec["test"], port, where.child("test"))
    timing = {**DEFAULTS, **{key: spec[key] for key in DEFAULTS if key in spec}}
    return HealthCheck(
        kind=kind,
        http_path=http_path,
        command=command,
        interval=_duration(timing["interval"], where.child("interval")),
        timeout=_duration(timing["timeout"], where.child("timeout")),
        retries=v.integer(_number(timing["retries"]), where.child("retries"), minimum=1, what="a positive integer"),
        start_period=v.duration(timing["start_period"], where.child("start_period")),
    )


def _probe(test: Any, port: int | None, where: Where) -> tuple[HealthKind, str | None, str | None]:
    """(kind, http path, command) from the test in any of its forms: a string, CMD, or CMD-SHELL."""
    if isinstance(test, str):
        shell = test
    elif isinstance(test, list) and test and all(isinstance(item, str) for item in test):
        if test[0] == "CMD" and len(test) > 1:
            return "command", None, from_argv(test[1:])
        if test[0] != "CMD-SHELL" or len(test) < 2:
            raise where.error(f'expected ["CMD", ...], ["CMD-SHELL", "..."] or ["NONE"], got {test}')
        shell = " ".join(test[1:])
    else:
        raise where.error(f"expected a string or a list of strings, got {describe(test)}")
    http = HTTP_PROBE.match(shell)
    if http and port is not None:
        url = LOCAL_URL.match(shlex.split(http.group("url"))[0])
        if url and int(url.group("port")) == port:
            return "http", url.group("path"), None
    tcp = TCP_PROBE.match(shell)
    if tcp and port is not None and int(tcp.group("port")) == port:
        return "tcp", None, None
    return "command", None, shell.strip()


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, str) and value.isdigit() else value


def _duration(value: Any, where: Where) -> float:
    seconds = v.duration(value, where)
    if seconds <= 0:
        raise where.error(f"expected a duration above zero, got {describe(value)}")
    return seconds
