"""examples/04-systemd as its README tells a user: deploy, answer over HTTP, scale, ps, logs, down."""

from __future__ import annotations

import shutil
import urllib.request
from pathlib import Path

from tests.integration.systemd.inner.conftest import SCOPE, SystemdApp, eventually

EXAMPLE = Path(__file__).resolve().parents[4] / "examples" / "04-systemd"


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def test_example_04_systemd(app: SystemdApp) -> None:
    """The example's formation as it is (renamed for the test), in the scope under test."""
    shutil.copytree(EXAMPLE, app.folder, dirs_exist_ok=True)
    text = (app.folder / "formation.toml").read_text().replace('"hello-systemd"', f'"{app.name}"')
    (app.folder / "formation.toml").write_text(text.replace('scope = "user"', f'scope = "{SCOPE}"'))
    app.ok("deploy", "-q")
    eventually(lambda: _answers(5000))
    app.ok("scale", "worker=4", "-q")
    assert {t: v["running"] for t, v in app.ps()["types"].items()} == {"web": 1, "worker": 4}
    eventually(lambda: "hello from systemd: worker.4 working" in app.ok("logs", "worker").out)
    app.ok("down", "-q")
    assert not _answers(5000)
