"""Reads of the Docker Engine API on its unix socket, for the commands a user runs all day (ps, plan, scale).

One look at the engine is a few GET requests on one connection here, where the docker CLI costs a process per
call (and python-on-whales, which drives it, a third of a second of imports). The standard library's
http.client speaks the HTTP; only the socket is ours. What the engine answers is the very JSON `docker inspect`
prints, so the backends parse it with the functions they already have.

Only an engine the docker CLI would reach the same way is read so: DOCKER_HOST unset or `unix://`, and no
docker context chosen (DOCKER_CONTEXT, or `currentContext` in the CLI's config.json). Anything else (tcp, ssh,
a context) is left to the docker CLI, which knows how to reach it: `socket_for` then returns None.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from procfleet.dockerjson import shown
from procfleet.errors import PlatformError
from procfleet.loglines import docker_since

DEFAULT_SOCKET = "/var/run/docker.sock"
TIMEOUT = 30.0


class EngineError(PlatformError):
    """The engine refused a request: its HTTP status and its own message, for callers that explain it."""

    def __init__(self, action: str, status: int, message: str) -> None:
        super().__init__(f"{action}: the Docker engine answered {status}: {message}")
        self.status = status
        self.message = message


class _UnixConnection(http.client.HTTPConnection):
    """http.client's connection, over a unix socket instead of TCP."""

    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self) -> None:
        """Connect to the socket file instead of a host and port."""
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.settimeout(self.timeout)
        try:
            connection.connect(self.path)
        except OSError:
            connection.close()
            raise
        self.sock = connection


class EngineSocket:
    """GET requests to one Docker engine, on one kept-alive connection per thread (down's progress view reads
    the engine from a thread of its own while the command reads it too: an HTTP connection is one conversation)."""

    def __init__(self, path: str, timeout: float = TIMEOUT) -> None:
        self.path = path
        self.timeout = timeout
        self._local = threading.local()

    @property
    def _connection(self) -> _UnixConnection | None:
        return getattr(self._local, "connection", None)

    @_connection.setter
    def _connection(self, connection: _UnixConnection | None) -> None:
        self._local.connection = connection

    def get(self, path: str, action: str, query: Mapping[str, Any] | None = None,
            missing_ok: bool = False) -> Any:
        """The JSON the engine answers to GET path?query; None for a 404 when missing_ok (an object removed
        since it was listed). Anything else that is not a 200 with JSON is a PlatformError naming the action."""
        target = quote(path) + (f"?{urlencode(dict(query))}" if query else "")
        status, body = self._request(target, action)
        if status == 404 and missing_ok:
            return None
        if status != 200:
            raise EngineError(action, status, _message(body))
        try:
            return json.loads(body)
        except ValueError:
            raise not_the_engine(action, self.path, body.decode(errors="replace")) from None

    def log(self, path: str, action: str, query: Mapping[str, Any]) -> list[tuple[bool, str]]:
        """The lines of a log the engine answers to GET path?query without following (a container's or a
        service's), each with whether it was written on stderr, in the order the engine sent them; none for a 404
        (removed since it was listed)."""
        target = quote(path) + f"?{urlencode(dict(query))}"
        status, body = self._request(target, action)
        if status == 404:
            return []
        if status != 200:
            raise EngineError(action, status, _message(body))
        return log_lines(body)

    def __enter__(self) -> EngineSocket:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (the next request opens another)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _request(self, target: str, action: str) -> tuple[int, bytes]:
        for attempt in (1, 2):  # a kept-alive connection the engine closed meanwhile is opened again, once
            if self._connection is None:
                self._connection = _UnixConnection(self.path, self.timeout)
            try:
                self._connection.request("GET", target, headers={"Host": "docker"})
                response = self._connection.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                self.close()
                if attempt == 2:
                    raise self._unreachable(action, exc) from exc
            except OSError as exc:
                self.close()
                raise self._unreachable(action, exc) from exc
            except http.client.HTTPException as exc:  # not HTTP at all: something else listens there
                self.close()
                raise not_the_engine(action, self.path, exc) from exc
        raise AssertionError("unreachable")  # the loop returns or raises

    def _unreachable(self, action: str, exc: OSError) -> PlatformError:
        reason = exc.strerror or str(exc) or type(exc).__name__
        return PlatformError(f"{action}: cannot reach the Docker engine at unix://{self.path} ({reason}): is "
                             "dockerd running, and may this user use its socket?")


def socket_for(environ: Mapping[str, str] | None = None) -> EngineSocket | None:
    """The engine the docker CLI would talk to, when that is a unix socket chosen without a context; else None
    (the caller then uses the docker CLI)."""
    env = os.environ if environ is None else environ
    if env.get("DOCKER_CONTEXT") or _context_chosen(env):
        return None
    host = env.get("DOCKER_HOST", "")
    if host and not host.startswith("unix://"):
        return None
    path = host.removeprefix("unix://") or DEFAULT_SOCKET
    if not Path(path).exists():
        return None  # no engine here: the CLI's own error says so best
    return EngineSocket(path)


def _context_chosen(env: Mapping[str, str]) -> bool:
    """Whether the CLI's config.json names a current context other than the default one."""
    home = Path(env.get("HOME") or Path.home())
    folder = Path(env["DOCKER_CONFIG"]) if env.get("DOCKER_CONFIG") else home / ".docker"
    try:
        config = json.loads((folder / "config.json").read_text())
    except (OSError, ValueError):
        return False
    current = config.get("currentContext") if isinstance(config, dict) else None
    return bool(current) and current != "default"


def not_the_engine(action: str, path: str, detail: object) -> PlatformError:
    """The error for an answer on the socket that is not the Docker engine's."""
    return PlatformError(f"{action}: unix://{path} answered something that is not Docker's ({shown(detail)}): "
                         "check that "
                         "DOCKER_HOST (or /var/run/docker.sock) is the Docker engine's socket and that "
                         "`docker version` works")


def log_query(tail: int | None, since: float | None, **extra: str) -> dict[str, str]:
    """The query of a log read without following, both streams with the engine's timestamps: what the docker CLI
    sends for `logs --timestamps [--tail N] [--since T]`."""
    return {"stdout": "1", "stderr": "1", "timestamps": "1", **extra, "tail": "all" if tail is None else str(tail),
            **({} if since is None else {"since": docker_since(since)})}


def log_lines(body: bytes) -> list[tuple[bool, str]]:
    """A log body's lines with whether each came on stderr: the engine sends frames of an 8-byte header (the
    stream: 1 stdout, 2 stderr; then the size) and the bytes, unless the container has a TTY, when the body is
    the bare stdout (see the Engine API's "Attach to a container": stream format)."""
    if not _multiplexed(body):
        return [(False, line.removesuffix("\r")) for line in body.decode(errors="replace").split("\n") if line]
    lines: list[tuple[bool, str]] = []
    partial = {False: b"", True: b""}  # a frame may end inside a line: the rest comes in that stream's next one
    offset = 0
    while offset + 8 <= len(body):
        stderr = body[offset] == 2
        size = int.from_bytes(body[offset + 4:offset + 8], "big")
        *complete, partial[stderr] = (partial[stderr] + body[offset + 8:offset + 8 + size]).split(b"\n")
        lines.extend((stderr, line.decode(errors="replace").removesuffix("\r")) for line in complete)
        offset += 8 + size
    lines.extend((stderr, rest.decode(errors="replace")) for stderr, rest in partial.items() if rest)
    return lines


def _multiplexed(body: bytes) -> bool:
    """Whether a log body is in frames: a frame's header starts with the stream (0, 1 or 2) and three zero bytes,
    where a TTY's bare output with timestamps starts with the year's first digit."""
    return len(body) >= 8 and body[0] in (0, 1, 2) and body[1:4] == b"\0\0\0"


def filters(**values: list[str]) -> str:
    """The engine's `filters` query parameter: a JSON object of lists."""
    return json.dumps(values)


def _message(body: bytes) -> str:
    """The engine's error message from its JSON body, else the body, cut short."""
    text = body.decode(errors="replace")
    try:
        loaded = json.loads(text)
    except ValueError:
        return text.strip()[:300] or "no message"
    message = loaded.get("message") if isinstance(loaded, dict) else None
    return str(message or text).strip()[:300]
