"""The health probes' fallbacks, run by this machine's /bin/sh against a server on loopback (no engine needed).

Busybox images always find their wget and nc applets, so the branches for images without them (python:*-slim
has neither wget nor curl) are tested here, with a PATH holding only what each case allows.
"""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from procfleet_compose.probes import http_probe, tcp_probe


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[int]:
    """An HTTP server on 127.0.0.1 serving tmp_path/site; its port."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("ok\n")
    handler = lambda *args: _Quiet(*args, directory=str(site))  # noqa: E731
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def _path_with(tmp_path: Path, tools: dict[str, str]) -> str:
    """A PATH holding only the named tools (links to the given programs)."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    for name, target in tools.items():
        (folder / name).symlink_to(target)
    return str(folder)


def _run(probe: str, path: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["/bin/sh", "-c", probe], env={**os.environ, "PATH": path}, capture_output=True, text=True,
                          timeout=30, check=False)


def test_http_probe_uses_python_without_wget_or_curl(server: int, tmp_path: Path) -> None:
    """python3 -c urllib: 200 passes, 404 and a closed port fail."""
    path = _path_with(tmp_path, {"python3": sys.executable})
    assert _run(http_probe(server, "/index.html"), path).returncode == 0
    assert _run(http_probe(server, "/missing"), path).returncode != 0
    assert _run(http_probe(1, "/"), path).returncode != 0


def test_tcp_probe_uses_python_without_nc(server: int, tmp_path: Path) -> None:
    """socket.create_connection: an open port passes, a closed one fails."""
    path = _path_with(tmp_path, {"python3": sys.executable})
    assert _run(tcp_probe(server), path).returncode == 0
    assert _run(tcp_probe(1), path).returncode != 0


@pytest.mark.parametrize("probe", [http_probe(8000, "/"), tcp_probe(8000)])
def test_an_image_without_any_client_says_so(probe: str, tmp_path: Path) -> None:
    """No wget, curl, nc or python3: the probe fails and its output (shown by `ps`) says why."""
    done = _run(probe, _path_with(tmp_path, {}))
    assert done.returncode == 1
    assert "procfleet: the image has no" in done.stderr
