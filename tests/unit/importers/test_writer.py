"""Writing a whole formation: every key the model has, only non-defaults, and readable."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from procfleet.jsonshape import formation_json
from procfleet.model import App, Formation, ProcessType
from procfleet.writer import formation_toml
from tests.unit.importers.conftest import Write
from tests.unit.importers.roundtrip import RENDERERS, carried, load, prepared, round_trip

# Every key the model has, each away from its default.
KITCHEN_SINK = """\
[app]
name = "sink"
image = "registry.example/sink:1"
env_file = ["one.env", "two.env"]
env = { SHARED = "yes", API_TOKEN = "not-a-secret" }
backend = "nomad"

[processes.web]
command = "gunicorn app:app -b 0.0.0.0:$PORT"
count = 3
port = 8000
health = { http = "/healthz", interval = "5s", timeout = "1s", retries = 4, start_period = "20s" }
env = { WEB_CONCURRENCY = "4" }
restart = "on-failure"
stop_signal = "SIGINT"
stop_timeout = "1m30s"
resources = { cpu = 1.5, memory = "512M" }

[processes.db-proxy]
command = "./proxy"
port = 5432
health = { tcp = true, interval = "3s", timeout = "1s" }
restart = "never"
image = "registry.example/proxy:2"

[processes.worker]
command = '''set -e
./prepare
exec ./work'''
count = 0
health = { command = "test -f /tmp/alive" }
stop_timeout = "500ms"
resources = { memory = "1G" }

[backends.nomad]
datacenters = ["dc1", "dc2"]
namespace = "apps"
region = "eu"
node_pool = "large"

[backends.compose]
project = "sink_project"
host_ip = "127.0.0.1"
ports = { db-proxy = 15432 }
"""


def _sink(write: Write) -> Formation:
    write("one.env", "ONE=1\n")
    write("two.env", "TWO=2\n")
    return load(write("formation.toml", KITCHEN_SINK))


def test_every_key_survives_writing_and_loading(write: Write, tmp_path: Path) -> None:
    """formation_toml then the loader give back the same formation, every key and every value."""
    original = _sink(write)
    path = tmp_path / "again.toml"
    path.write_text(formation_toml(original))
    again = load(path)
    assert formation_json(again) == formation_json(original)
    assert [again.environment(p) for p in again.processes.values()] == \
        [original.environment(p) for p in original.processes.values()]


@pytest.mark.parametrize("renderer", sorted(RENDERERS))
def test_every_key_round_trips_through_each_backend(write: Write, renderer: str) -> None:
    """The kitchen sink rendered by each backend and imported again: all that the format carries comes back."""
    original = prepared(_sink(write), renderer)
    again, report = round_trip(original, renderer)
    assert carried(again, renderer) == carried(original, renderer)
    assert not report.warnings  # what the renderer wrote, the importer reads back whole


def test_defaults_are_not_written(tmp_path: Path) -> None:
    """A formation of defaults is its name and commands."""
    formation = Formation(app=App(name="tiny"), processes={"web": ProcessType(name="web", command="serve")},
                          source=tmp_path / "formation.toml")
    assert formation_toml(formation) == '[app]\nname = "tiny"\n\n[processes.web]\ncommand = "serve"\n'


def test_layout_is_readable(tmp_path: Path) -> None:
    """Multi-line commands are literal blocks; short tables inline, long ones sections; quotes stay safe."""
    env = {f"VAR_{index}": str(index) for index in range(6)}
    web = ProcessType(name="web", command="a\nb 'c'", env={"A": "1"})
    worker = ProcessType(name="worker", command="x '''\ny", env=env)
    formation = Formation(app=App(name="tidy"), processes={"web": web, "worker": worker},
                          source=tmp_path / "formation.toml")
    text = formation_toml(formation, ["a comment"])
    assert text.startswith("# a comment\n\n[app]")
    assert "command = '''a\nb 'c''''" not in text and "command = '''a\nb 'c'" not in text  # ends in a quote
    assert 'env = {A = "1"}' in text and "[processes.worker.env]\nVAR_0 = " in text
    path = tmp_path / "formation.toml"
    path.write_text(text)
    assert [p.command for p in load(path).processes.values()] == ["a\nb 'c'", "x '''\ny"]
    block = dataclasses.replace(web, command="first\nsecond")
    text = formation_toml(dataclasses.replace(formation, processes={"web": block}))
    assert "command = '''first\nsecond'''" in text


def test_save_backend_sets_the_default_and_keeps_comments(tmp_path: Path) -> None:
    """`migrate --set-default`: app.backend changes, nothing else of the file does."""
    from procfleet.writer import save_backend

    path = tmp_path / "formation.toml"
    path.write_text('# the shop\n[app]\nname = "shop"  # its name\n\n[processes.web]\ncommand = "serve"\n')
    save_backend(path, "", "compose")
    assert path.read_text() == ('# the shop\n[app]\nname = "shop"  # its name\nbackend = "compose"\n\n'
                                '[processes.web]\ncommand = "serve"\n')
