"""A stand-in Docker engine API on a unix socket, answering as an engine that is not a swarm manager does.

The real docker CLI talks to it (DOCKER_HOST=unix://…): what procfleet reads is the CLI's own output for a node
outside any swarm, or for a worker node, which this machine's single engine cannot be while the other tests run.
"""

from __future__ import annotations

import json
import socketserver
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

# The engine's own words (moby daemon/cluster/errors.go).
NOT_IN_SWARM = ('This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this '
                "node to swarm and try again.")
WORKER = ("This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state. Please run "
          "this command on a manager node or promote the current node to a manager.")
API_VERSION = "1.41"


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    message = NOT_IN_SWARM
    worker = False
    requests: list[str]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # the base class names it so
        """Quiet: the test reads what the CLI prints, not the server."""

    def address_string(self) -> str:
        return "fake-engine"

    def _answer(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if not isinstance(body, bytes) else "text/plain")
        self.send_header("Api-Version", API_VERSION)
        self.send_header("Ostype", "linux")
        self.send_header("Swarm", "active/worker" if self.server.worker else "inactive")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _route(self) -> None:
        path = self.path.split("?", 1)[0]
        self.server.requests.append(f"{self.command} {path}")
        if path.endswith("/_ping"):
            self._answer(200, b"OK")
        elif path.endswith("/version"):
            self._answer(200, {"Version": "20.10.24", "ApiVersion": API_VERSION, "MinAPIVersion": "1.12",
                               "Os": "linux", "Arch": "amd64"})
        elif path.endswith("/info"):
            state = "active" if self.server.worker else "inactive"
            self._answer(200, {"ID": "fake", "Name": "fake", "ServerVersion": "20.10.24",
                               "Swarm": {"LocalNodeState": state, "ControlAvailable": False, "NodeID": ""}})
        else:
            self._answer(503, {"message": self.server.message})

    do_GET = do_HEAD = do_POST = do_DELETE = _route  # noqa: N815


@contextmanager
def fake_engine(worker: bool = False) -> Iterator[tuple[str, list[str]]]:
    """DOCKER_HOST for an engine outside any swarm (or a worker), and the requests it got."""
    folder = Path(tempfile.mkdtemp(prefix="pf-fake-", dir="/tmp"))  # unix socket paths are short
    path = folder / "docker.sock"
    server = _Server(str(path), _Handler)
    server.worker = worker
    server.message = WORKER if worker else NOT_IN_SWARM
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"unix://{path}", server.requests
    finally:
        server.shutdown()
        server.server_close()
        path.unlink(missing_ok=True)
        folder.rmdir()
