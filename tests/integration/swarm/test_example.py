"""examples/02-compose moved to Swarm as it is (plus the options this machine's kernel needs): built from its
Dockerfile, deployed, answering over HTTP, scaled, logs, down."""

from __future__ import annotations

import json
import shutil
import urllib.request

import pytest

from tests.backends.swarm.helpers import ROOT
from tests.integration.conftest import PYTHON_IMAGE, engine_missing
from tests.integration.engine_app import docker
from tests.integration.swarm.conftest import NO_IPVS, SwarmApp

pytestmark = pytest.mark.engine("swarm")

EXAMPLE = ROOT / "examples" / "02-compose"


def test_example_02_compose_on_swarm(app: SwarmApp) -> None:
    """2 healthy web tasks and 3 workers; a web task answers on its host port; scale; logs; down."""
    if not docker("image", "ls", "-q", PYTHON_IMAGE).strip():
        engine_missing(f"the test image {PYTHON_IMAGE} is missing")
    shutil.copytree(EXAMPLE, app.folder, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".procfleet"))
    image = f"procfleet-example/{app.name}:test"
    text = (app.folder / "formation.toml").read_text()
    (app.folder / "formation.toml").write_text(text.replace('"hello-compose"', f'"{app.name}"')
                                               .replace("procfleet-example/hello-compose:latest", image) + NO_IPVS)
    docker("build", "-q", "--build-arg", f"BASE={PYTHON_IMAGE}", "-t", image, str(app.folder))
    try:
        app.ok("deploy", "-q")  # the formation says backend = "compose"; -b swarm moves it
        status = app.ps()
        assert status["types"]["web"] == {"desired": 2, "running": 2, "healthy": 2, "placed": None, "done": 0}
        assert status["types"]["worker"]["running"] == 3
        port = next(i["ports"] for i in status["instances"] if i["process"] == "web").split("->")[0].rsplit(":")[-1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            answer = json.loads(response.read())
        # Swarm numbers its tasks, so the process knows its instance (compose declares it cannot)
        assert answer["greeting"] == "hello from compose" and answer["process"] in ("web.1", "web.2")

        app.ok("scale", "worker=1", "--wait")
        logs = app.ok("logs", "worker").out
        assert "hello from compose: worker.1@" in logs and "LOG_LEVEL=info" in logs
        # `docker stack deploy` left ${TICK_SECONDS:-2} alone; the task's shell expanded it from app.env.
        assert "starting: a round every 2s" in logs
        app.ok("down")
        assert app.services() == []
    finally:
        docker("rmi", "-f", image, check=False)
