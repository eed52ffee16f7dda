"""Rendering for Nomad never imports python-nomad (nor requests): only commands that talk to Nomad do."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.backends.nomad.formations import EXAMPLES

PROBE = """
import json, sys
from procfleet.cli import main
code = main(sys.argv[1:])
print("\\n" + json.dumps({"code": code, "modules": sorted(m for m in sys.modules
                          if m.split(".")[0] in ("nomad", "requests", "procfleet_nomad"))}))
"""


@pytest.mark.parametrize("args", [["render", "-b", "nomad"], ["render", "-b", "nomad", "--format", "hcl"],
                                  ["check", "-b", "nomad"]])
def test_pure_commands_import_no_client(args: list[str]) -> None:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=EXAMPLES / "03-nomad", capture_output=True,
                          text=True, timeout=60, check=False, env={**os.environ, "NO_COLOR": "1"})
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] == 0, done.stderr
    assert not [m for m in report["modules"] if m.split(".")[0] in ("nomad", "requests")]
    assert "procfleet_nomad.client" not in report["modules"]
