"""HTTP plumbing: a threading server that records requests, serves blocking queries and writes answers."""

from __future__ import annotations

import json
import posixpath
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote

from .errors import ApiError
from .gotypes import MINUTE, SECOND, parse_duration
from .handlers import Api
from .wire import Request, Response

DEFAULT_WAIT = 5 * MINUTE  # Nomad's default and maximum blocking wait.
MAX_WAIT = 10 * MINUTE


@dataclass(frozen=True)
class RecordedRequest:
    """A request as received: method, raw path, decoded path, query, parsed JSON body and headers."""

    method: str
    raw_path: str
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str]


class SimulatorServer(ThreadingHTTPServer):
    """The listening server; handler threads share its Api and request log."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], api: Api) -> None:
        super().__init__(address, _Handler)
        self.api = api
        self.log: list[RecordedRequest] = []
        self.log_lock = threading.Lock()
        self.parked: int = 0  # blocking queries waiting now for a newer index (changed under the cluster lock)

    def answer(self, request: Request) -> Response:
        """Route and run the request under the cluster lock; a GET with ?index= blocks until newer data."""
        cluster = self.api.cluster
        try:
            with cluster.lock:
                handler, argument = self.api.route(request)
                self.api.check_region(request.arg("region"))
                min_index, deadline = _blocking(request)
                while True:
                    response = handler(request, argument)
                    remaining = deadline - time.monotonic()
                    index = response.index or 0
                    if index > min_index or remaining <= 0 or cluster.closing:
                        return response
                    self.parked += 1  # nomad/rpc.go blockingRPC: parked on its watch set until a change or timeout
                    try:
                        cluster.changed.wait(remaining)
                    finally:
                        self.parked -= 1
        except ApiError as exc:
            return Response(exc.status, exc.message, content_type="text/plain; charset=utf-8")


def _blocking(request: Request) -> tuple[int, float]:
    """The minimum index and monotonic deadline of a blocking query (index 0 means no blocking)."""
    if request.method != "GET" or "index" not in request.query:
        return 0, 0.0
    raw_index = request.arg("index")
    if not raw_index.isdigit():
        raise ApiError(400, "Invalid index")
    wait = DEFAULT_WAIT
    if "wait" in request.query:
        try:
            wait = min(parse_duration(request.arg("wait")), MAX_WAIT)
        except ValueError as exc:
            raise ApiError(400, "Invalid wait time") from exc
    return int(raw_index), time.monotonic() + wait / SECOND


def _clean(path: str) -> str:
    """Go's path.Clean, used by ServeMux to redirect non-canonical paths."""
    cleaned = posixpath.normpath(path)
    cleaned = "/" + cleaned.lstrip("/")
    if path.endswith("/") and cleaned != "/":
        cleaned += "/"
    return cleaned


class _Handler(BaseHTTPRequestHandler):
    """Turns each HTTP request into a Request, records it, and writes the Response."""

    server: SimulatorServer
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        """Handle one request of any method."""
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        # The target as sent: http.server rewrites a leading "//" in self.path, and urlsplit would read the
        # "v1" of "//v1/jobs" as a host name; Nomad (Go's ServeMux) redirects such paths instead.
        target = self.requestline.split(" ")[1] if self.requestline.count(" ") >= 2 else self.path
        raw_path, _, raw_query = target.partition("?")
        request = Request(
            method=self.command,
            path=unquote(raw_path),
            query=parse_qs(raw_query, keep_blank_values=True),
            headers={key: value for key, value in self.headers.items()},
            body=raw,
        )
        self._record(request, raw_path)
        if _clean(raw_path) != raw_path:
            # Go's ServeMux answers an unclean path (e.g. //v1/job/x) with a redirect to the clean one.
            location = _clean(raw_path) + (f"?{raw_query}" if raw_query else "")
            body = f'<a href="{location}">Moved Permanently</a>.\n\n'
            self._write(Response(301, body, content_type="text/html; charset=utf-8", headers={"Location": location}))
            return
        self._write(self.server.answer(request))

    def _record(self, request: Request, raw_path: str) -> None:
        """Append to the request log that tests inspect."""
        try:
            body: Any = json.loads(request.body) if request.body else None
        except ValueError:
            body = request.body.decode(errors="replace")
        entry = RecordedRequest(request.method, raw_path, request.path, request.query, body, dict(request.headers))
        with self.server.log_lock:
            self.server.log.append(entry)

    def _write(self, response: Response) -> None:
        """Serialise the answer with Nomad's headers."""
        if isinstance(response.body, bytes):
            payload = response.body
        elif response.content_type.startswith("text/"):
            payload = str(response.body).encode()
        else:
            indent = 4 if "pretty" in parse_qs(self.path.partition("?")[2], keep_blank_values=True) else None
            payload = json.dumps(response.body, indent=indent).encode()
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        if response.stream is not None:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(payload)))
        if response.index is not None:
            self.send_header("X-Nomad-Index", str(response.index))
            if self.command == "GET":
                self.send_header("X-Nomad-KnownLeader", "true")
                self.send_header("X-Nomad-LastContact", "0")
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command == "HEAD":
            return
        if response.stream is None:
            self.wfile.write(payload)
            return
        try:
            for chunk in (payload, *response.stream) if payload else response.stream:
                if chunk:
                    self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the reader went away: so does the stream

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    # BaseHTTPRequestHandler dispatches on these names; every verb goes through routing (405s included).
    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve  # noqa: N815


def serve_in_thread(server: SimulatorServer) -> tuple[threading.Thread, Callable[[], None]]:
    """Run the server on a daemon thread; returns the thread and a function that stops it."""
    # A short poll interval keeps stop() (which waits for the serve loop to notice) fast.
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), name="nomad-sim", daemon=True)
    thread.start()

    def stop() -> None:
        """Stop the serve loop, close the socket and wait for the thread."""
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return thread, stop
