"""examples/02-compose, built from its Dockerfile and deployed as a user would (on a local base image)."""

from __future__ import annotations

import json
import shutil
import time
import urllib.request

import pytest

from tests.backends.compose.helpers import ROOT
from tests.integration.compose.conftest import ComposeApp
from tests.integration.conftest import PYTHON_IMAGE, engine_missing
from tests.integration.engine_app import docker

pytestmark = pytest.mark.engine("docker")

EXAMPLE = ROOT / "examples" / "02-compose"


def test_example_02_compose(app: ComposeApp) -> None:
    """Build, deploy (2 healthy web, 3 workers), answer over HTTP, scale, logs, down."""
    if not docker("image", "ls", "-q", PYTHON_IMAGE).strip():
        engine_missing(f"the test image {PYTHON_IMAGE} is missing")
    shutil.copytree(EXAMPLE, app.folder, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".procfleet"))
    image = f"procfleet-example/{app.name}:test"
    text = (app.folder / "formation.toml").read_text()
    (app.folder / "formation.toml").write_text(text.replace('"hello-compose"', f'"{app.name}"')
                                               .replace("procfleet-example/hello-compose:latest", image))
    docker("build", "-q", "--build-arg", f"BASE={PYTHON_IMAGE}", "-t", image, str(app.folder))
    try:
        app.ok("deploy", "-q")  # the formation says backend = "compose"; -b compose is given all the same
        status = app.ps()
        assert status["types"]["web"] == {"desired": 2, "running": 2, "healthy": 2, "placed": None, "done": 0}
        assert status["types"]["worker"]["running"] == 3
        port = next(i["ports"] for i in status["instances"] if i["process"] == "web").split("->")[0].rsplit(":")[-1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            answer = json.loads(response.read())
        assert answer["greeting"] == "hello from compose" and answer["process"] == "web"

        app.ok("scale", "worker=1")
        time.sleep(1)
        logs = app.ok("logs", "worker").out
        assert "hello from compose: worker@" in logs and "LOG_LEVEL=info" in logs
        # Compose left ${TICK_SECONDS:-2} alone; the container's shell expanded it from app.env (TICK_SECONDS=2).
        assert "starting: a round every 2s" in logs
        command = app.inspect(f"{app.name}-worker-1")["Config"]["Cmd"]
        assert command == ["exec python3 worker.py --every ${TICK_SECONDS:-2}"]  # the program gets the stop signal
        app.ok("down")
        assert app.containers() == {}
    finally:
        docker("rmi", "-f", image, check=False)
