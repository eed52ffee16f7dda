"""Rendering for Swarm never imports python-on-whales: only commands that talk to Docker do."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.backends.swarm.helpers import ROOT

PROBE = """
import json, sys
from procfleet.cli import main
code = main(sys.argv[1:])
print("\\n" + json.dumps({"code": code, "modules": sorted(m for m in sys.modules
                          if m.split(".")[0] in ("python_on_whales", "procfleet_swarm"))}))
"""


@pytest.mark.parametrize("args", [["render", "-b", "swarm"], ["check", "-b", "swarm"]])
def test_pure_commands_import_no_client(args: list[str]) -> None:
    """`render` and `check` load the translation only."""
    done = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=ROOT / "examples" / "02-compose",
                          capture_output=True, text=True, timeout=60, check=False, env={**os.environ, "NO_COLOR": "1"})
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] == 0, done.stderr
    assert not [m for m in report["modules"] if m.startswith("python_on_whales")]
