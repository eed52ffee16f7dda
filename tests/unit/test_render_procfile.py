"""`render -b local --format procfile`: what a Procfile cannot hold is reported, one warning line per key."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliResult

SHOP = """
[app]
name = "shop"
env = { LOG_LEVEL = "info" }
env_file = [".env.shared"]

[processes.web]
command = "gunicorn shop.wsgi -b 0.0.0.0:$PORT"
count = 2
port = 8000
health = { http = "/healthz" }
env = { WORKERS = "4" }
env_file = [".env.web"]

[processes.worker]
command = "celery -A shop worker"
restart = "on-failure"
stop_signal = "INT"
stop_timeout = "30s"

[processes.clock]
command = "./bin/clock"

[backends.local]
base_port = 7000
"""
PROCFILE = ("# shop: foreman start -m web=2,worker=1,clock=1\n"
            "web: gunicorn shop.wsgi -b 0.0.0.0:$PORT\n"
            "worker: celery -A shop worker\n"
            "clock: ./bin/clock\n")
LOST = ["app.env", "app.env_file", "backends.local.base_port", "processes.web.port", "processes.web.health",
        "processes.web.env", "processes.web.env_file", "processes.worker.restart", "processes.worker.stop_signal",
        "processes.worker.stop_timeout"]
REASON = "not carried into the Procfile (a Procfile holds names and commands only)"
Formation = Callable[..., Path]
Cli = Callable[..., CliResult]


def _shop(write_formation: Formation, tmp_path: Path, text: str = SHOP) -> None:
    (tmp_path / ".env.shared").write_text("DATABASE_URL=postgres://db/shop\n")
    (tmp_path / ".env.web").write_text("WEB_CONCURRENCY=2\n")
    write_formation(text)


def _warnings(err: str) -> list[str]:
    return [line.removeprefix("warning: ") for line in err.splitlines() if line.startswith("warning: ")]


def test_every_key_a_procfile_cannot_hold_is_one_warning(write_formation: Formation, cli: Cli,
                                                         tmp_path: Path) -> None:
    """Foreman and Honcho read a Procfile line as `^([A-Za-z0-9_-]+):\\s*(.+)$`, a name and a command, and
    nothing else: each other key the formation sets is named on stderr, as `import` names what it leaves; the
    counts ride in procfleet's header comment (Foreman's `-m` formation), so they are not among them."""
    _shop(write_formation, tmp_path)
    result = cli("render", "-b", "local", "--format", "procfile")
    assert result.code == 0, result.err
    assert result.out == PROCFILE
    assert _warnings(result.err) == [f"formation.toml: {key}: {REASON}" for key in LOST]


def test_defaults_and_names_commands_counts_are_not_reported(write_formation: Formation, cli: Cli) -> None:
    """A formation of what a Procfile (`^([A-Za-z0-9_-]+):\\s*(.+)$`) and Foreman's `-m` hold, with every other
    key at its default (written out or not), renders without a warning."""
    write_formation("""
    [app]
    name = "shop"

    [processes.web]
    command = "serve"
    count = 3
    restart = "always"
    stop_signal = "TERM"
    stop_timeout = "10s"

    [processes.worker]
    command = "work"

    [backends.local]
    base_port = 5000
    """)
    result = cli("render", "--format", "procfile")
    assert result.code == 0, result.err
    assert result.out == "# shop: foreman start -m web=3,worker=1\nweb: serve\nworker: work\n"
    assert _warnings(result.err) == []


def test_json_carries_the_warnings_beside_the_files(write_formation: Formation, cli: Cli, tmp_path: Path) -> None:
    """With --json, stdout is the render document, whose warnings are the lines stderr has (Foreman's Procfile
    line `^([A-Za-z0-9_-]+):\\s*(.+)$` holds a name and a command only)."""
    _shop(write_formation, tmp_path)
    result = cli("render", "--json", "--format", "procfile")
    assert result.code == 0, result.err
    expected = [f"formation.toml: {key}: {REASON}" for key in LOST]
    assert json.loads(result.out) == {"backend": "local", "format": "procfile",
                                      "files": [{"name": "Procfile", "content": PROCFILE}], "warnings": expected}
    assert _warnings(result.err) == expected


def test_writing_the_procfile_reports_the_same_keys(write_formation: Formation, cli: Cli, tmp_path: Path) -> None:
    """`render -o DIR` writes the Procfile (`^([A-Za-z0-9_-]+):\\s*(.+)$` lines, as Foreman reads them) and names
    the same keys as printing it does."""
    _shop(write_formation, tmp_path)
    result = cli("render", "--format", "procfile", "-o", "out")
    assert result.code == 0, result.err
    assert (tmp_path / "out" / "Procfile").read_text() == PROCFILE
    assert _warnings(result.err) == [f"formation.toml: {key}: {REASON}" for key in LOST]


def test_instances_carry_env_and_ports_and_report_nothing(write_formation: Formation, cli: Cli,
                                                          tmp_path: Path) -> None:
    """`--format instances` lists each instance with its PORT (Foreman's base_port + 100 × position scheme) and
    env, so the keys a Procfile drops are not reported there."""
    _shop(write_formation, tmp_path)
    result = cli("render", "--format", "instances")
    assert result.code == 0, result.err
    assert result.out.splitlines()[0].startswith("web.1\tPORT=7000\tDATABASE_URL=")
    assert _warnings(result.err) == []
    assert json.loads(cli("render", "--json", "--format", "instances").out)["warnings"] == []
