"""Changes made at once are not lost: ten `scale worker+1` at the same moment end at +10, everywhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from procfleet.locks import app_lock
from tests.conformance.platforms import Platform
from tests.integration.nomad.conftest import eventually

FORMATION = """
[processes.worker]
command = "python3 probe.py"
stop_timeout = "1s"
"""


def test_ten_relative_scales_at_once_all_count(platform: Platform) -> None:
    """Each reads the live count and sends an absolute one (the platforms' replica APIs are absolute): without
    serialising them, most would read the same count and the result would be +1 or +2."""
    platform.write(FORMATION)
    platform.deploy()
    env = {**os.environ, "NO_COLOR": "1", **platform.environ}
    started = [subprocess.Popen([sys.executable, "-m", "procfleet", "-b", platform.backend, "scale", "worker+1"],
                                cwd=platform.folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True) for _ in range(10)]
    failures = [err for process in started if (err := process.communicate(timeout=300)[1]) and process.returncode]
    assert not failures, failures
    status = json.loads(platform.cli("ps", "--json").out)
    assert status["types"]["worker"]["desired"] == 11, status["types"]
    platform.down()


def test_a_deploy_waits_for_a_change_in_progress_and_then_applies(platform: Platform, tmp_path: Path) -> None:
    """A deploy and a scale at once serialise: while a scale holds the app's lock (held here, as a running
    `procfleet scale` holds it), a deploy says it waits and touches nothing; then it applies its own counts."""
    platform.write(FORMATION)
    platform.deploy()
    platform.write(FORMATION + "count = 2\n")
    errors = tmp_path / "deploy.err"
    env = {**os.environ, "NO_COLOR": "1", **platform.environ}
    with app_lock(platform.backend, platform.app), errors.open("w") as sink:
        deploying = subprocess.Popen([sys.executable, "-m", "procfleet", "-b", platform.backend, "deploy",
                                      "--timeout", "120"], cwd=platform.folder, env=env,
                                     stdout=subprocess.DEVNULL, stderr=sink, text=True)
        eventually(lambda: "waiting for another procfleet deploy or scale" in errors.read_text(), timeout=60,
                   what="the deploy to say it waits")
        assert deploying.poll() is None, errors.read_text()
        assert json.loads(platform.cli("ps", "--json").out)["types"]["worker"]["desired"] == 1
    assert deploying.wait(300) == 0, errors.read_text()
    eventually(lambda: json.loads(platform.cli("ps", "--json").out)["types"]["worker"]["running"] == 2,
               timeout=120, what="the deploy's two workers")
    platform.down()
