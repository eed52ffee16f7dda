"""Golden files: what `procfleet render -b compose` prints for the examples and for every key at once.

PROCFLEET_UPDATE_GOLDEN=1 rewrites them; review the diff before committing it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from procfleet.loader import load
from tests.backends.compose.helpers import GOLDEN, ROOT
from tests.backends.compose.helpers import rendered as rendered_text
from tests.conftest import CliResult

# Every example whose formation chooses the compose backend, and one formation using every key.
CASES = {
    "kitchen-sink": GOLDEN / "kitchen-sink.toml",
    **{f"example-{path.parent.name}": path for path in sorted((ROOT / "examples").glob("*/formation.toml"))
       if load(path).app.backend == "compose"},
}


@pytest.mark.parametrize("name", list(CASES))
def test_render_matches_golden(name: str) -> None:
    """The rendered compose.yaml is byte for byte the reviewed one."""
    golden = GOLDEN / f"{name}.yaml"
    rendered = rendered_text(CASES[name])
    if os.environ.get("PROCFLEET_UPDATE_GOLDEN") == "1":
        golden.write_text(rendered)
    assert rendered == golden.read_text(), f"{golden} differs; PROCFLEET_UPDATE_GOLDEN=1 rewrites it"


def test_the_compose_example_is_covered() -> None:
    """examples/02-compose is one of the golden cases."""
    assert "example-02-compose" in CASES


def test_render_through_the_cli(cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch,
                                tmp_path: Path) -> None:
    """`procfleet render -b compose` from the example's folder prints the golden file; -o writes compose.yaml."""
    example = ROOT / "examples" / "02-compose"
    monkeypatch.chdir(example)
    result = cli("render", "-b", "compose")
    assert result.code == 0, result.err
    assert result.out == (GOLDEN / "example-02-compose.yaml").read_text()
    out = tmp_path / "rendered"
    written = cli("render", "-b", "compose", "-o", str(out))
    assert written.code == 0, written.err
    assert (out / "compose.yaml").read_text() == result.out


def test_render_loads_no_docker_client(tmp_path: Path) -> None:
    """Rendering for compose imports the backend but never python_on_whales (so it works without Docker)."""
    probe = ("import json, sys\nfrom procfleet.cli import main\ncode = main(sys.argv[1:])\n"
             "print(json.dumps({'code': code, 'whales': any(m.startswith('python_on_whales') for m in sys.modules),"
             " 'compose': 'procfleet_compose.backend' in sys.modules}))")
    example = ROOT / "examples" / "02-compose"
    done = subprocess.run([sys.executable, "-c", probe, "render", "-b", "compose"], cwd=example, capture_output=True,
                          text=True, check=False, timeout=60, env={**os.environ, "NO_COLOR": "1"})
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"code": 0, "whales": False, "compose": True}, done.stderr
