"""Commands that only look write nothing: `ps`, `logs`, `plan` and `down` of an app never deployed leave the
folder as it was, and answer alike on every backend: `ps`, `plan` and `down` succeed (nothing runs, so there is
nothing to stop), `logs` fails with one line saying the app is not running."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conformance.platforms import Platform

FORMATION = """
[processes.web]
command = "python3 probe.py"
"""


def snapshot(folder: Path) -> dict[str, float]:
    """Every path under folder, hidden ones included, with its modification time."""
    return {str(path.relative_to(folder)): path.lstat().st_mtime for path in folder.rglob("*")}


def test_looking_at_an_app_never_deployed_writes_nothing(platform: Platform) -> None:
    platform.write(FORMATION)
    before = snapshot(platform.folder)
    for command, code in ((["ps"], 0), (["ps", "--json"], 0), (["logs"], 1), (["plan"], 0), (["down"], 0)):
        done = platform.cli(*command)
        assert done.code == code, (command, done.err)
        errors = [line for line in done.err.splitlines() if line.startswith("error:")]
        assert len(errors) == code and "Traceback" not in done.err, (command, done.err)
        assert snapshot(platform.folder) == before, command
    status = json.loads(platform.cli("ps", "--json").out)
    assert not status["instances"] and all(not item["running"] for item in status["types"].values()), status
    assert platform.leftovers() == []
