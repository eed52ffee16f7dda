"""Health checks of one instance: HTTP GET, TCP connect, or a command, on the check's schedule."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable, Mapping
from pathlib import Path

from procfleet.model import HealthCheck
from procfleet_local import ports

FIRST_PROBE = 0.2  # seconds after start; until the first success probes come at most this far apart
UNTIL_HEALTHY = 1.0


async def probe(check: HealthCheck, port: int, env: Mapping[str, str], cwd: Path,
                groups: Callable[[int, bool], None], owner: int | None = None) -> bool:
    """One probe within the check's timeout; any error counts as a failure. An http or tcp answer counts only
    from the instance itself (its process group, owner): another program on its port is not its health."""
    try:
        if check.kind in ("http", "tcp"):
            answered = await asyncio.wait_for(_http(check.http_path or "/", port) if check.kind == "http"
                                              else _tcp(port), check.timeout)
            return answered and (owner is None or ports.held_by_group(port, owner) is not False)
        return await asyncio.wait_for(_command(check.command or "true", env, cwd, groups), check.timeout)
    except Exception:  # a refused connection, a timeout, garbage instead of HTTP: all mean "not healthy"
        return False


async def _http(path: str, port: int) -> bool:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: procfleet-health\r\n"
                     "Connection: close\r\n\r\n".encode())
        await writer.drain()
        parts = (await reader.readline()).split()  # b"HTTP/1.1 200 OK"
        return len(parts) >= 2 and parts[1].isdigit() and 200 <= int(parts[1]) < 400
    finally:
        await _close(writer)


async def _tcp(port: int) -> bool:
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    await _close(writer)
    return True


async def _command(command: str, env: Mapping[str, str], cwd: Path, groups: Callable[[int, bool], None]) -> bool:
    process = await asyncio.create_subprocess_exec(
        "/bin/sh", "-c", command, env=dict(env), cwd=cwd, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL, start_new_session=True)
    groups(process.pid, True)
    try:
        return await process.wait() == 0
    finally:
        # Timed out, or finished leaving something in the background: the check's whole group goes.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        if process.returncode is None:
            await process.wait()
        groups(process.pid, False)


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()


async def monitor(check: HealthCheck, port: int, env: Mapping[str, str], cwd: Path,
                  report: Callable[[bool, int], None], groups: Callable[[int, bool], None],
                  owner: int | None = None) -> None:
    """Probe forever; report(healthy, failures) on every change of state.

    Failures inside start_period do not count; `retries` failures in a row make a healthy instance
    unhealthy; one success makes it healthy. Before the first success probes come every
    min(interval, 1s), so `--wait` and rolling restarts do not idle a whole interval.
    """
    loop = asyncio.get_running_loop()
    started = loop.time()
    healthy = False
    failures = 0
    await asyncio.sleep(min(check.interval, FIRST_PROBE))
    while True:
        if await probe(check, port, env, cwd, groups, owner):
            failures = 0
            if not healthy:
                healthy = True
                report(True, 0)
        elif loop.time() - started >= check.start_period:
            failures += 1
            if healthy and failures >= check.retries:
                healthy = False
                report(False, failures)
        await asyncio.sleep(check.interval if healthy else min(check.interval, UNTIL_HEALTHY))
