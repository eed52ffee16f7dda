"""Secrets cannot leak: no trusted file at a path another user could plant, no token carried by a redirect."""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
import requests

from procfleet_nomad.connection import ca_bundle
from tests.integration.nomad.conftest import Agent, Project

PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def test_the_capath_bundle_is_private_and_never_a_planted_file(tmp_path: Path) -> None:
    """A CA planted in advance where the bundle used to go (/tmp/procfleet-nomad-ca-<hash of the CAs>.pem, a name
    anyone could compute from the public CA) is never used: the bundle is written into a 0700 folder of the
    process's own."""
    (tmp_path / "ca.crt").write_text(PEM)
    planted = Path(tempfile.gettempdir()) / f"procfleet-nomad-ca-{hashlib.sha256(PEM.encode()).hexdigest()[:16]}.pem"
    planted.write_text("-----BEGIN CERTIFICATE-----\nATTACKER\n-----END CERTIFICATE-----\n")
    try:
        bundle = Path(ca_bundle(tmp_path))
        assert bundle != planted and bundle.read_text() == PEM
        folder = bundle.parent
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700 and folder.stat().st_uid == os.getuid()
    finally:
        planted.unlink()


class Recorder(BaseHTTPRequestHandler):
    """Records every request it gets (the host a redirect points at)."""

    seen: ClassVar[list[tuple[str, str | None]]] = []

    def _any(self) -> None:
        Recorder.seen.append((self.command, self.headers.get("X-Nomad-Token")))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_PUT = do_POST = do_DELETE = _any  # noqa: N815

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


class Redirector(BaseHTTPRequestHandler):
    """A Nomad in front of which something answers every write with 307 to another host."""

    target = ""
    upstream = ""

    def _forward_or_redirect(self) -> None:
        if self.command == "GET":  # reads pass to the real (simulated) agent


            answer = requests.get(f"{Redirector.upstream}{self.path}", headers=dict(self.headers), timeout=10)
            self.send_response(answer.status_code)
            for key in ("Content-Type", "X-Nomad-Index"):
                if key in answer.headers:
                    self.send_header(key, answer.headers[key])
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)
            return
        self.send_response(307)
        self.send_header("Location", f"{Redirector.target}{self.path}")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_PUT = do_POST = do_DELETE = _forward_or_redirect  # noqa: N815

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


def _serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def elsewhere() -> Iterator[str]:
    Recorder.seen = []
    yield from _serve(Recorder)


@pytest.mark.scripted
def test_a_redirected_write_is_an_error_and_the_token_goes_nowhere(project: Project, agent: Agent,
                                                                  elsewhere: str) -> None:
    """A 307 on DELETE (or POST) is refused as Nomad itself never redirects: `down` fails (exit 1) and the
    host the redirect points at never sees a request, let alone X-Nomad-Token."""
    sim = agent.simulator()
    token = sim.enable_acl()
    project.write()
    environ = project.environ(NOMAD_TOKEN=token)
    assert project.cli("deploy", "-b", "nomad", env=environ).code == 0
    Redirector.target, Redirector.upstream = elsewhere, sim.address
    for front in _serve(Redirector):
        down = project.cli("down", "-b", "nomad", env={**environ, "NOMAD_ADDR": front})
        assert down.code == 1 and "with a redirect (307" in down.err and token not in down.err, down.err
    assert Recorder.seen == []
    assert sim.job(project.app) is not None and not sim.job(project.app)["Stop"]  # type: ignore[index]


@pytest.mark.scripted
def test_credentials_in_nomad_addr_are_used_and_never_shown(project: Project, agent: Agent) -> None:
    """http://user:secret@host becomes basic auth, and no message (errors included) shows the password."""
    sim = agent.simulator()
    project.write()
    address = sim.address.replace("http://", "http://deployer:s3cret-pass@")
    deployed = project.cli("deploy", "-b", "nomad", env=project.environ(NOMAD_ADDR=address))
    assert deployed.code == 0, deployed.err
    assert sim.requests[-1].headers.get("Authorization", "").startswith("Basic ")
    assert "s3cret-pass" not in deployed.out + deployed.err
    unreachable = address.rsplit(":", 1)[0] + ":1"  # the same credentials, a port nobody listens on
    failed = project.cli("ps", "-b", "nomad", env=project.environ(NOMAD_ADDR=unreachable))
    assert failed.code == 1 and "127.0.0.1:1" in failed.err and "s3cret-pass" not in failed.err, failed.err


def test_rendered_files_and_the_compose_copy_are_the_owners_only(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """They hold the app's env values: `render -o` writes 0600 files, and so does procfleet's compose copy."""
    from procfleet.cli import main
    from procfleet_compose import composefile

    path = tmp_path / "formation.toml"
    path.write_text('[app]\nname = "a"\nimage = "i:1"\nenv = { DATABASE_URL = "postgres://u:secret@db" }\n'
                    '[processes.web]\ncommand = "serve"\n')
    for backend in ("compose", "swarm", "nomad"):
        out = tmp_path / f"out-{backend}"
        assert main(["-f", str(path), "render", "-b", backend, "-o", str(out)]) == 0
        for written in out.iterdir():
            if not written.name.startswith(".procfleet"):
                assert stat.S_IMODE(written.stat().st_mode) == 0o600, written
    copy = tmp_path / ".procfleet" / "compose" / "a.yaml"
    composefile.write(copy, f"{composefile.MARK}\nservices: {{}}\n")
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    capsys.readouterr()
