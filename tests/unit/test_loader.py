"""Finding and reading the formation: the file, its defaults and its environment."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from procfleet.errors import UsageError
from procfleet.loader import load
from procfleet.model import fingerprint

FULL = """
[app]
name = "shop"
image = "acme/shop:1"
env_file = [".env", "config/extra.env"]
env = { LOG_LEVEL = "info", SHARED = "app" }

[processes.web]
command = "serve --port $PORT"
count = 2
port = 8000
health = { http = "/healthz", interval = "5s" }
env = { SHARED = "web", DEBUG = false }
restart = "on-failure"
stop_signal = "quit"
stop_timeout = "1m30s"
resources = { cpu = 0.5, memory = "256M" }

[processes.worker]
command = "work"
"""


def test_every_key_is_parsed_with_defaults(tmp_path: Path, write_formation: Callable[[str], Path]) -> None:
    """Every key lands in the model, defaults are filled, env files resolve from the file's folder."""
    (tmp_path / ".env").write_text("FROM_FILE=1\nSHARED=file\nOVERRIDDEN=first\n")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "extra.env").write_text("OVERRIDDEN=second\n")
    path = write_formation(FULL)
    formation = load(path, cwd=Path("/"), environ={})
    web, worker = formation.processes["web"], formation.processes["worker"]
    assert list(formation.processes) == ["web", "worker"]
    assert (web.count, web.port, web.restart, web.stop_signal, web.stop_timeout) == (2, 8000, "on-failure",
                                                                                    "SIGQUIT", 90.0)
    assert web.health is not None and (web.health.kind, web.health.http_path, web.health.interval,
                                       web.health.timeout, web.health.retries) == ("http", "/healthz", 5.0, 2.0, 3)
    assert (web.resources.cpu, web.resources.memory) == (0.5, 256 * 2**20)
    assert (worker.count, worker.port, worker.restart, worker.stop_signal, worker.stop_timeout) == (
        None, None, "always", "SIGTERM", 10.0)
    assert formation.image_for(worker) == "acme/shop:1"
    env = formation.environment(web)
    # Precedence, lowest first: env files in order, [app].env, [processes.web].env.
    assert env["FROM_FILE"] == "1"
    assert env["OVERRIDDEN"] == "second"
    assert env["SHARED"] == "web"
    assert env["DEBUG"] == "false"
    assert formation.environment(worker)["SHARED"] == "app"


def test_discovery_order(tmp_path: Path, write_formation: Callable[..., Path]) -> None:
    """-f beats PROCFLEET_FILE, which beats formation.toml, which beats pyproject.toml."""
    write_formation('[app]\nname = "from-default"\n[processes.w]\ncommand = "x"\n')
    write_formation('[app]\nname = "from-env"\n[processes.w]\ncommand = "x"\n', "other.toml")
    write_formation('[app]\nname = "from-flag"\n[processes.w]\ncommand = "x"\n', "flag.toml")
    (tmp_path / "pyproject.toml").write_text('[tool.procfleet.app]\nname = "from-pyproject"\n'
                                             '[tool.procfleet.processes.w]\ncommand = "x"\n')
    env = {"PROCFLEET_FILE": str(tmp_path / "other.toml")}
    assert load(tmp_path / "flag.toml", tmp_path, env).app.name == "from-flag"
    assert load(None, tmp_path, env).app.name == "from-env"
    assert load(None, tmp_path, {}).app.name == "from-default"
    (tmp_path / "formation.toml").unlink()
    formation = load(None, tmp_path, {})
    assert formation.app.name == "from-pyproject"
    assert formation.key_prefix == "tool.procfleet."


def test_no_formation_found(tmp_path: Path) -> None:
    """Without any file the error says how to make one."""
    with pytest.raises(UsageError, match="procfleet import Procfile"):
        load(None, tmp_path, {})


def test_fingerprint_ignores_count_but_not_command(write_formation: Callable[[str], Path]) -> None:
    """The definition hash changes with what instances run, not with how many."""
    base = load(write_formation('[app]\nname = "a"\n[processes.w]\ncommand = "x"\ncount = 1\n'), environ={})
    scaled = load(write_formation('[app]\nname = "a"\n[processes.w]\ncommand = "x"\ncount = 5\n'), environ={})
    changed = load(write_formation('[app]\nname = "a"\n[processes.w]\ncommand = "y"\ncount = 1\n'), environ={})
    w = "w"
    assert fingerprint(base, base.processes[w]) == fingerprint(scaled, scaled.processes[w])
    assert fingerprint(base, base.processes[w]) != fingerprint(changed, changed.processes[w])
