"""Changes made at once are not lost: ten `scale worker+1` at the same moment end at +10, everywhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conformance.platforms import Platform

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
