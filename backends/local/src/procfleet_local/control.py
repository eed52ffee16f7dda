"""The supervisor's end of the control socket: line-delimited JSON requests, one JSON reply each.

Requests: {"op": "status"} · {"op": "scale", "targets": {"web": 3}} ·
{"op": "reconcile", "formation": {…}, "counts": {"web": 2}} · {"op": "restart", "types": ["web"]} · {"op": "down"} ·
{"op": "logs", "types": ["web"], "tail": 10, "since": 1700000000.5, "follow": false}.
Replies: {"ok": true, "status": {…}, "pid": N, "fingerprints": {…}, "removed": […], "rolling": […]}, or
{"ok": false, "error": "one line", "exit_code": 2}. `logs` replies {"ok": true, "width": N} (N: the name
column's width), then one {"a": seconds since the epoch, "n": "web.1", "p": "web", "l": [lines]} per chunk,
then {"end": true} unless following.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from procfleet.errors import ProcfleetError
from procfleet.exitcodes import ExitCode
from procfleet_local.logbook import Chunk, Logbook
from procfleet_local.supervisor import Supervisor
from procfleet_local.wire import formation_from_wire, formation_to_wire, status_to_wire

LINE_LIMIT = 16 * 1024 * 1024  # a reconcile carries the whole formation, env included
SOCKET_CHECK = 1.0  # seconds between looks at the socket file
CLOSE_GRACE = 2.0  # seconds the closing supervisor waits for answers and connections to go out
FOLLOW_BACKLOG = 8 * 1024 * 1024  # a `logs -f` reader this far behind is dropped rather than buffered forever


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        request = json.loads(line)
    except ValueError:
        return None
    return request if isinstance(request, dict) else None


def chunk_to_wire(chunk: Chunk) -> bytes:
    """One logs record."""
    return json.dumps({"a": chunk.at, "n": chunk.name, "p": chunk.process, "l": chunk.lines}).encode() + b"\n"


class ControlServer:
    """Answers `ps`, `scale`, `deploy`, `logs` and `down` from other terminals."""

    def __init__(self, supervisor: Supervisor, logbook: Logbook,
                 stop: Callable[[ExitCode], Awaitable[None]]) -> None:
        self._supervisor = supervisor
        self._logbook = logbook
        self._stop = stop
        self._server: asyncio.AbstractServer | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task[Any]] = set()
        self._answering = 0  # requests being dispatched or answered (`logs -f` streams not included)
        self._guard: asyncio.Task[None] | None = None
        self._inode = 0

    async def open(self, path: Path) -> None:
        """Listen on path; only our user may connect (the folder is 0700 too). A socket file removed meanwhile
        (a tmp cleaner, a user) is made again, so `ps` and `down` always find a running supervisor."""
        await self._listen(path)
        self._guard = asyncio.get_running_loop().create_task(self._keep(path))

    async def _listen(self, path: Path) -> None:
        self._server = await asyncio.start_unix_server(self._serve, path=str(path), limit=LINE_LIMIT)
        os.chmod(path, 0o600)
        self._inode = path.stat().st_ino

    async def _keep(self, path: Path) -> None:
        while True:
            await asyncio.sleep(SOCKET_CHECK)
            try:
                intact = path.stat().st_ino == self._inode
            except FileNotFoundError:
                intact = False
            if not intact and self._server is not None:
                self._server.close()
                with contextlib.suppress(FileNotFoundError):
                    if path.is_socket():
                        path.unlink()  # another one's socket at our path: ours is the supervisor that runs
                await self._listen(path)

    async def close(self) -> None:
        """Stop listening, let pending answers (`down`'s) go out, then end every connection."""
        if self._guard is not None:
            self._guard.cancel()
        if self._server is not None:
            self._server.close()
        deadline = asyncio.get_running_loop().time() + CLOSE_GRACE
        while self._answering and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)
        for writer in list(self._writers):
            writer.close()  # sends what is buffered first
        if self._handlers:
            await asyncio.wait(self._handlers, timeout=CLOSE_GRACE)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._writers.add(writer)
        self._handlers.add(task)
        try:
            while line := await reader.readline():
                request = _parse(line)
                if request is not None and request.get("op") == "logs":
                    await self._logs(request, reader, writer)  # a stream, possibly endless; it ends the connection
                    break
                self._answering += 1
                try:
                    writer.write(json.dumps(await self._answer(request)).encode() + b"\n")
                    await writer.drain()
                finally:
                    self._answering -= 1
        except (ConnectionError, ValueError):  # ValueError: a request longer than LINE_LIMIT
            pass
        finally:
            self._writers.discard(writer)
            self._handlers.discard(task)
            writer.close()

    async def _answer(self, request: dict[str, Any] | None) -> dict[str, Any]:
        """One request's reply; a refusal is a reply too."""
        try:
            if request is None:
                raise ValueError("not a JSON object")
            return await self._dispatch(request)
        except ProcfleetError as exc:
            return {"ok": False, "error": str(exc), "exit_code": int(exc.exit_code)}
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            # whatever a client sends: a reply to it, never a traceback in the supervisor's output
            return {"ok": False, "error": f"bad request: {type(exc).__name__}: {exc}",
                    "exit_code": int(ExitCode.USAGE)}

    async def _dispatch(self, request: dict[str, Any]) -> dict[str, Any]:
        op = request["op"]
        supervisor = self._supervisor
        if op == "status":
            pass
        elif op == "scale":
            supervisor.scale(request["targets"])
        elif op == "reconcile":
            supervisor.reconcile(formation_from_wire(request["formation"]), request["counts"])
        elif op == "restart":
            supervisor.restart(request["types"])
        elif op == "formation":
            return {"ok": True, "formation": formation_to_wire(supervisor.formation)}
        elif op == "down":
            await self._stop(ExitCode.OK)
            return {"ok": True}
        else:
            raise ValueError(f"unknown op {op!r}")
        snapshot = supervisor.status()
        return {"ok": True, **snapshot, "status": status_to_wire(snapshot["status"])}

    def _width(self, types: list[str]) -> int:
        """The name column of `logs`: as the supervisor prints it for everything; for some types, their longest
        instance name (those that run and those whose lines it still keeps)."""
        if not types:
            return self._supervisor.printer.width
        names = [*self._supervisor.instance_names(types), *self._logbook.names(types)]
        return max((len(name) for name in names), default=0)

    async def _logs(self, request: dict[str, Any], reader: asyncio.StreamReader,
                    writer: asyncio.StreamWriter) -> None:
        types, tail, since = request.get("types") or [], request.get("tail"), request.get("since")
        if not isinstance(types, list) or not (tail is None or isinstance(tail, int)) or not (
                since is None or isinstance(since, int | float)):
            writer.write(b'{"ok": false, "error": "bad request: logs wants a list of types, an integer tail and '
                         b'a number since", "exit_code": 2}\n')
            return
        writer.write(json.dumps({"ok": True, "width": self._width(types)}).encode() + b"\n")
        writer.writelines(chunk_to_wire(chunk) for chunk in self._logbook.tail(types, tail, since))
        if not request.get("follow"):
            writer.write(b'{"end": true}\n')
            await writer.drain()
            return

        def forward(chunk: Chunk) -> None:
            if writer.is_closing():  # the reader hung up; the loop below unfollows in a moment
                return
            if since is not None and chunk.at < since:  # a --since still ahead: from then on, as docker does
                return
            if writer.transport.get_write_buffer_size() > FOLLOW_BACKLOG:
                self._logbook.unfollow(key)
                writer.write(b'{"end": true, "error": "this reader fell too far behind"}\n')
                writer.close()
                return
            writer.write(chunk_to_wire(chunk))

        key = self._logbook.follow(types, forward)
        try:
            await writer.drain()
            while await reader.read(4096):  # until the reader hangs up, or close() ends the connection
                pass
        finally:
            self._logbook.unfollow(key)
