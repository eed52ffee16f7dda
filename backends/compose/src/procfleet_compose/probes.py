"""Health checks as Compose `healthcheck` tables: the probe runs inside the container, with whatever it has."""

from __future__ import annotations

import shlex
from typing import Any

from procfleet.model import HealthCheck
from procfleet.units import format_duration

LOOPBACK = "127.0.0.1"
MISSING = 'echo "procfleet: the image has no {tools} for this health check" >&2; exit 1'


def http_probe(port: int, path: str) -> str:
    """GET the path on the container's own port with wget (busybox, Debian), curl or Python, whichever exists."""
    url = shlex.quote(f"http://{LOOPBACK}:{port}{path}")
    python = shlex.quote("import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=10)")
    return (f"if command -v wget >/dev/null; then wget -q -O /dev/null {url}; "
            f"elif command -v curl >/dev/null; then curl -fsS -o /dev/null {url}; "
            f"elif command -v python3 >/dev/null; then python3 -c {python} {url}; "
            f"else {MISSING.format(tools='wget, curl or python3')}; fi")


def tcp_probe(port: int) -> str:
    """Connect to the container's own port: `nc -z`, busybox's smaller nc (no -z), or Python."""
    python = shlex.quote(f'import socket; socket.create_connection(("{LOOPBACK}", {port}), 10).close()')
    return (f"if command -v nc >/dev/null; then nc -z {LOOPBACK} {port} 2>/dev/null || "
            f"nc {LOOPBACK} {port} </dev/null >/dev/null; "
            f"elif command -v python3 >/dev/null; then python3 -c {python}; "
            f"else {MISSING.format(tools='nc or python3')}; fi")


def healthcheck(check: HealthCheck, port: int | None) -> dict[str, Any]:
    """The service's `healthcheck` table (the schema guarantees a port for http and tcp checks)."""
    if check.kind == "http" and port is not None and check.http_path is not None:
        probe = http_probe(port, check.http_path)
    elif check.kind == "tcp" and port is not None:
        probe = tcp_probe(port)
    else:
        probe = check.command or "true"
    return {
        "test": ["CMD-SHELL", probe],
        "interval": format_duration(check.interval),
        "timeout": format_duration(check.timeout),
        "retries": check.retries,
        "start_period": format_duration(check.start_period),
    }
