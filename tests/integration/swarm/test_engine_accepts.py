"""What procfleet renders, Docker's own stack loader accepts, and reads back with every `$` as the formation has it
(issue 6, point 2)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.backends.swarm.helpers import rendered
from tests.backends.swarm.test_golden import CASES

pytestmark = pytest.mark.engine("docker")


def _stack_config(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", "stack", "config", "-c", str(path)], capture_output=True, text=True,
                          timeout=60, check=False)


@pytest.mark.parametrize("name", list(CASES))
def test_docker_stack_config_accepts_the_rendered_files(docker_engine: None, name: str, tmp_path: Path) -> None:
    """`docker stack config` (the docker CLI since 25.0; older ones lack it, and deploy checks the same) reads
    every golden case, and what it reads is the formation's text: it undoes procfleet's `$$`."""
    path = tmp_path / "stack.yaml"
    path.write_text(rendered(CASES[name]))
    done = _stack_config(path)
    if "unknown command" in done.stderr or "is not a docker command" in done.stderr:
        pytest.skip(f"this docker CLI has no `docker stack config`: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    services = yaml.safe_load(done.stdout)["services"]
    assert services["web"]["environment"]["PROCFLEET_PROCESS"] == "web.{{.Task.Slot}}"  # a template Swarm fills
    if name == "kitchen-sink":
        assert services["web"]["environment"]["DATABASE_URL"] == "postgres://shop:p$ss@db/shop"
        assert services["web"]["command"] == [
            "exec gunicorn shop.wsgi -b 0.0.0.0:$PORT --workers ${WEB_CONCURRENCY:-2}"]
        assert services["worker"]["environment"]["RATE"] == "5$ per call"
