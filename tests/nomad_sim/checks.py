"""Nomad service checks run against the real task: client/serviceregistration/checks/client.go checker.Do.

The first probe waits half the interval, then one per interval (client/allocrunner/checks_hook.go observer.start).
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]
OUTPUT_LIMIT = 3 * 1024  # client.go outputSizeLimit


@dataclass
class CheckRun:
    """One check of one allocation: its schedule, its last result and its run of failures."""

    check: Json
    service: Json
    host_port: int
    next_at: float
    status: str = "pending"  # structs.CheckPending / CheckSuccess / CheckFailure
    output: str = ""
    failures: int = 0  # consecutive, for check_restart
    passing_since: float | None = None
    in_flight: bool = field(default=False)

    @property
    def interval(self) -> float:
        """Seconds between probes."""
        return (self.check.get("Interval") or 10_000_000_000) / 1e9

    def record(self, status: str, output: str, now: float) -> None:
        """Store a probe's result and schedule the next one."""
        if status == "success" and self.status != "success":
            self.passing_since = now
        if status != "success":
            self.passing_since = None
        self.failures = self.failures + 1 if status == "failure" else 0
        self.status, self.output, self.in_flight = status, output, False
        self.next_at = now + self.interval


def probe(check: Json, host_port: int) -> tuple[str, str]:
    """One run of an http or tcp check against 127.0.0.1:<host port>: (status, output)."""
    timeout = (check.get("Timeout") or 2_000_000_000) / 1e9
    if check.get("Type") == "tcp":
        try:
            with socket.create_connection(("127.0.0.1", host_port), timeout):
                return "success", "nomad: tcp ok"
        except OSError as error:
            return "failure", str(error)
    relative = urllib.parse.urlsplit(check.get("Path") or "/")
    url = urllib.parse.urlunsplit((check.get("Protocol") or "http", f"127.0.0.1:{host_port}", relative.path or "/",
                                   relative.query, ""))
    request = urllib.request.Request(url, method=check.get("Method") or "GET")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            code, body = answer.status, answer.read(OUTPUT_LIMIT)
    except urllib.error.HTTPError as error:
        code, body = error.code, error.read(OUTPUT_LIMIT)
    except (OSError, ValueError) as error:
        return "failure", f"nomad: {error}"
    if code == 200:
        return "success", "nomad: http ok"  # client.go: the output is dropped on a 200
    return ("success" if code < 400 else "failure"), body.decode(errors="replace")


def group_checks(group: Json, ports: dict[str, tuple[int, int]], now: float) -> list[CheckRun]:
    """The Nomad-provider checks of a group's and its tasks' services, each with the host port it probes."""
    services = list(group.get("Services") or [])
    for task in group.get("Tasks") or []:
        services += task.get("Services") or []
    runs = []
    for service in services:
        if (service.get("Provider") or "consul") != "nomad":
            continue
        for check in service.get("Checks") or []:
            label = check.get("PortLabel") or service.get("PortLabel") or ""
            if check.get("Type") in ("http", "tcp") and label in ports:
                first = (check.get("Interval") or 10_000_000_000) / 2e9
                runs.append(CheckRun(check, service, ports[label][0], now + first))
    return runs
