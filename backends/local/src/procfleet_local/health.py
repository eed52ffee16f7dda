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
                groups: Callable[[int, bool], None], owner: int | None = None) -> str:
    """One probe within the check's timeout: "" when it passed, else what it got, for `ps` and the progress view
    (`GET /healthz: HTTP/1.0 503 Service Unavailable`, `connection refused`, the command's last line). Any error
    counts as a failure. An http or tcp answer counts only from the instance itself (its process group, owner):
    another program on its port is not its health."""
    try:
        if check.kind in ("http", "tcp"):
            failed = await asyncio.wait_for(_http(check.http_path or "/", port) if check.kind == "http"
                                            else _tcp(port), check.timeout)
            if not failed and owner is not None and ports.held_by_group(port, owner) is False:
                return f"port {port} answers from another program"
            return failed
        return await asyncio.wait_for(_command(check.command or "true", env, cwd, groups), check.timeout)
    except TimeoutError:
        return f"no answer within {check.timeout:g}s"
    except ConnectionRefusedError:
        return f"port {port}: connection refused"
    except OSError as exc:  # a reset, an unreachable address; for a command, a shell that cannot start
        return exc.strerror or str(exc) or type(exc).__name__
    except Exception as exc:  # garbage instead of HTTP: not healthy either
        return str(exc) or type(exc).__name__


async def _http(path: str, port: int) -> str:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: procfleet-health\r\n"
                     "Connection: close\r\n\r\n".encode())
        await writer.drain()
        line = await reader.readline()  # b"HTTP/1.1 200 OK"
        parts = line.split()
        if len(parts) >= 2 and parts[1].isdigit() and 200 <= int(parts[1]) < 400:
            return ""
        return f"GET {path}: {line.decode(errors='replace').strip()[:120] or 'no answer'}"
    finally:
        await _close(writer)


async def _tcp(port: int) -> str:
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    await _close(writer)
    return ""


async def _command(command: str, env: Mapping[str, str], cwd: Path, groups: Callable[[int, bool], None]) -> str:
    process = await asyncio.create_subprocess_exec(
        "/bin/sh", "-c", command, env=dict(env), cwd=cwd, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, start_new_session=True)
    groups(process.pid, True)
    try:
        returncode = await process.wait()  # the shell's exit, not the end of what it left in the background
        if returncode == 0:
            return ""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # what it left holds the pipe: gone, the output can be read
        assert process.stdout is not None
        lines = (await process.stdout.read(65536)).decode(errors="replace").strip().splitlines()
        return f"exit status {returncode}" + (f": {lines[-1].strip()[:160]}" if lines else "")
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
                  owner: int | None = None, noted: Callable[[str], None] | None = None) -> None:
    """Probe forever; report(healthy, failures) on every change of state, and noted(what the last probe got)
    after every probe ("" once one passes).

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
        failed = await probe(check, port, env, cwd, groups, owner)
        if noted is not None:
            noted(failed)
        if not failed:
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
