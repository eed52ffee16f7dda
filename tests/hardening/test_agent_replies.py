"""An agent that answers in the wrong shape (not Nomad, or a broken proxy) is one clear line, exit 1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from procfleet.cli import main

FORMATION = '[app]\nname = "shop"\nimage = "i:1"\n[processes.web]\ncommand = "serve"\n[backends.nomad]\n'


class OddAgent(BaseHTTPRequestHandler):
    """Answers every request with the configured body and X-Nomad-Index."""

    body: ClassVar[bytes] = b"[]"
    index: ClassVar[str] = "1"
    status: ClassVar[int] = 200

    def do_GET(self) -> None:
        self.send_response(OddAgent.status)
        self.send_header("Content-Type", "application/json" if OddAgent.status == 200 else "text/plain")
        self.send_header("X-Nomad-Index", OddAgent.index)
        self.send_header("Content-Length", str(len(OddAgent.body)))
        self.end_headers()
        self.wfile.write(OddAgent.body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def odd_agent() -> Iterator[str]:
    OddAgent.body, OddAgent.index, OddAgent.status = b"[]", "1", 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), OddAgent)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(("body", "index", "message"), [
    (b'["not", "a", "job"]', "1", "JSON that is not an object"),
    (b'"hello"', "1", "JSON that is not an object"),
    (b'{"ID": "shop"}', "abc", "X-Nomad-Index that is not a number"),
], ids=["list", "string", "bad-index"])
def test_a_reply_of_the_wrong_shape_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch, odd_agent: str, body: bytes,
                                                index: str, message: str) -> None:
    OddAgent.body, OddAgent.index = body, index
    (tmp_path / "formation.toml").write_text(FORMATION)
    monkeypatch.setenv("NOMAD_ADDR", odd_agent)
    assert main(["-f", str(tmp_path / "formation.toml"), "ps", "-b", "nomad"]) == 1
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err


def test_a_huge_error_body_is_cut(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch, odd_agent: str) -> None:
    """A proxy's error page or a dump in a 500 is not poured onto the terminal."""
    OddAgent.status, OddAgent.body = 500, b"x" * 200_000
    (tmp_path / "formation.toml").write_text(FORMATION)
    monkeypatch.setenv("NOMAD_ADDR", odd_agent)
    assert main(["-f", str(tmp_path / "formation.toml"), "ps", "-b", "nomad"]) == 1
    err = capsys.readouterr().err
    assert "(500)" in err and "more characters" in err and len(err) < 2000, err[:300]


def test_an_address_with_a_path_prefix_is_named_not_taken_for_a_missing_job(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, odd_agent: str) -> None:
    """Under a prefix every path falls through to Nomad's empty 404 (command/agent/http.go
    handleRootFallthrough); "job not found" would make `ps` say the app is not deployed and `deploy` fail later."""
    OddAgent.status, OddAgent.body = 404, b""
    (tmp_path / "formation.toml").write_text(FORMATION)
    monkeypatch.setenv("NOMAD_ADDR", f"{odd_agent}/nomad")
    assert main(["-f", str(tmp_path / "formation.toml"), "ps", "-b", "nomad"]) == 1
    err = capsys.readouterr().err
    assert "has no Nomad API at /nomad/v1/job/shop" in err and "with no path" in err, err
    assert len(err.strip().splitlines()) == 1, err
