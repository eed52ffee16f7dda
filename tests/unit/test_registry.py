"""Backends are found through entry points, loaded lazily, and reported by distribution when broken."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PLATFORM_CLIENTS = ("python_on_whales", "nomad")
FORMATION = '[app]\nname = "lazy"\nimage = "acme/lazy:1"\n[processes.web]\ncommand = "serve"\nport = 80\n'

# Runs the CLI in a fresh interpreter and reports which modules it imported.
PROBE = textwrap.dedent("""
    import json, sys
    from procfleet.cli import main
    code = main(sys.argv[1:])
    loaded = sorted(m for m in sys.modules
                    if m.startswith(("procfleet_", "python_on_whales", "nomad", "tomlkit", "asyncio")))
    print("\\n" + json.dumps({"code": code, "modules": loaded}))
""")


def _probe(args: list[str], cwd: Path, extra_path: Path | None = None) -> dict[str, object]:
    env = {**os.environ, "NO_COLOR": "1"}
    if extra_path is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(extra_path), env.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          check=False, timeout=60)
    report: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    report["stderr"] = done.stderr
    return report


def test_help_imports_no_backend(tmp_path: Path) -> None:
    """`procfleet --help` discovers nothing and imports no backend module."""
    report = _probe(["--help"], tmp_path)
    assert report["code"] == 0
    assert report["modules"] == []


@pytest.mark.parametrize("args", [["check"], ["backends"], ["render"], ["render", "--format", "procfile"],
                                  ["render", "-b", "compose"], ["render", "-b", "nomad"],
                                  ["render", "-b", "nomad", "--format", "hcl"], ["check", "-b", "compose"]])
def test_commands_that_talk_to_no_platform_import_no_client(tmp_path: Path, args: list[str]) -> None:
    """Commands that touch no platform never import python-on-whales or python-nomad (nor tomlkit: they write no
    formation file)."""
    (tmp_path / "formation.toml").write_text(FORMATION)
    report = _probe(args, tmp_path)
    assert report["code"] == 0, report["stderr"]
    modules = report["modules"]
    assert isinstance(modules, list)
    assert not [m for m in modules if m.startswith((*PLATFORM_CLIENTS, "tomlkit"))]


def test_render_imports_only_the_chosen_backend(tmp_path: Path) -> None:
    """Rendering for local loads the local backend and no other."""
    (tmp_path / "formation.toml").write_text(FORMATION)
    report = _probe(["render"], tmp_path)
    modules = report["modules"]
    assert isinstance(modules, list)
    assert {m.split(".")[0] for m in modules} == {"procfleet_local"}


def test_a_command_loads_only_the_backend_it_runs_on_and_check_validates_every_table(tmp_path: Path) -> None:
    """render -b local with [backends.compose] and [backends.nomad] tables imports neither backend, even when one
    of those tables is wrong; check validates every table and names the wrong key."""
    (tmp_path / "formation.toml").write_text(FORMATION + '[backends.compose]\nhost_ip = "127.0.0.1"\n'
                                             '[backends.nomad]\nno_such_option = 1\n')
    report = _probe(["render", "-b", "local"], tmp_path)
    assert report["code"] == 0, report["stderr"]
    modules = report["modules"]
    assert isinstance(modules, list)
    assert {m.split(".")[0] for m in modules} == {"procfleet_local"}
    checked = _probe(["check"], tmp_path)
    assert checked["code"] == 2
    assert "backends.nomad.no_such_option" in str(checked["stderr"])


@pytest.mark.parametrize("args", [["ps"], ["logs", "--tail", "5"], ["down"], ["scale", "web=2"]])
def test_the_local_commands_that_talk_to_a_supervisor_import_no_event_loop(tmp_path: Path, args: list[str]) -> None:
    """ps, logs, down and scale on local only ask the supervisor over its socket: the supervisor's own machinery
    (asyncio) is imported only by the process that becomes one."""
    (tmp_path / "formation.toml").write_text(FORMATION)
    report = _probe([*args, "-b", "local"], tmp_path)
    modules = report["modules"]
    assert isinstance(modules, list)
    assert "procfleet_local.backend" in modules
    assert not [m for m in modules if m.startswith("asyncio")], report["stderr"]


@pytest.fixture
def broken_backend(tmp_path: Path) -> Path:
    """A distribution 'procfleet-broken' whose backend module fails to import."""
    site = tmp_path / "site"
    info = site / "procfleet_broken-9.9.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: procfleet-broken\nVersion: 9.9\n")
    (info / "entry_points.txt").write_text("[procfleet.backends]\nbroken = procfleet_broken:Backend\n")
    (site / "procfleet_broken.py").write_text("raise ImportError('needs libfoo')\n")
    return site


def test_broken_backend_is_reported_by_distribution(tmp_path: Path, broken_backend: Path) -> None:
    """A backend that fails to import names its distribution; the others keep working."""
    (tmp_path / "formation.toml").write_text(FORMATION)
    listing = _probe(["backends", "--json"], tmp_path, broken_backend)
    assert listing["code"] == 0
    used = _probe(["render", "-b", "broken"], tmp_path, broken_backend)
    assert used["code"] == 1
    assert 'backend "broken" from procfleet-broken 9.9 failed to load: ImportError: needs libfoo' in str(
        used["stderr"])
    assert "Traceback" not in str(used["stderr"])
    still = _probe(["render", "-b", "local"], tmp_path, broken_backend)
    assert still["code"] == 0
