"""Procfiles read as Foreman reads them, plus what procfleet adds; Heroku's app.json with its Procfile."""

from __future__ import annotations

import json

import pytest

from procfleet.errors import FormationError
from procfleet.importers import read_source
from tests.unit.importers.conftest import Write


def test_procfleets_rendered_header_gives_counts_and_app(write: Write) -> None:
    """`render --format procfile` writes Foreman's -m formation in a comment; import reads it back."""
    path = write("Procfile", "# shop: foreman start -m web=3,worker=0\nweb: serve\nworker: work\n")
    result = read_source(path, None, {})
    assert result.app_name == "shop"
    assert {n: p.count for n, p in result.processes.items()} == {"web": 3, "worker": 0}


def test_any_other_procfile_runs_one_of_each(write: Write) -> None:
    """Without that header every type gets Foreman's one instance; a look-alike comment elsewhere is ignored."""
    path = write("Procfile", "web: serve\n# shop: foreman start -m web=3\nworker: work\n")
    result = read_source(path, None, {})
    assert result.app_name is None
    assert {n: p.count for n, p in result.processes.items()} == {"web": 1, "worker": 1}


def test_release_is_reported_not_imported(write: Write) -> None:
    """Heroku's release phase is not a process type; a Procfile of only that is an error."""
    result = read_source(write("Procfile", "release: ./migrate\nweb: serve\n"), None, {})
    assert list(result.processes) == ["web"]
    assert 'Procfile:1: process type "release" not carried over' in result.warnings[0]
    with pytest.raises(FormationError, match="no process types besides the release phase"):
        read_source(write("Procfile", "release: ./migrate\n"), None, {})


def test_dotenv_beside_becomes_the_env_file(write: Write) -> None:
    """Foreman and Honcho read .env beside the Procfile; the formation names it."""
    write(".env", "A=1\n")
    result = read_source(write("Procfile.dev", "web: serve\n"), None, {})
    assert [path.name for path in result.env_files] == [".env"]


def test_app_json_needs_the_procfile_for_commands(write: Write) -> None:
    """Heroku keeps commands in the Procfile; without one there is nothing to run."""
    path = write("app.json", json.dumps({"formation": {"web": {"quantity": 1}}}))
    with pytest.raises(FormationError, match=r"app\.json: formation: no process type with a command"):
        read_source(path, None, {})


def test_app_json_env_values_and_counts(write: Write) -> None:
    """Values (string or {value}) become the app's env; a Procfile type missing from formation starts at 0."""
    write("Procfile", "web: serve\nworker: work\n")
    document = {"env": {"A": "1", "B": {"value": True}}, "formation": {"web": {"quantity": 3}}}
    path = write("app.json", json.dumps(document))
    result = read_source(path, None, {})
    assert dict(result.env) == {"A": "1", "B": "true"}
    assert {n: p.count for n, p in result.processes.items()} == {"web": 3, "worker": 0}


def test_app_json_types_formation_does_not_list_start_as_on_heroku(write: Write) -> None:
    """Heroku starts an unlisted web at 1 dyno and any other unlisted type at 0; each is a line of the report."""
    write("Procfile", "release: ./migrate\nweb: serve\nworker: work\nmy_clock: tick\n")
    path = write("app.json", json.dumps({"formation": {}}))
    result = read_source(path, None, {})
    assert {n: p.count for n, p in result.processes.items()} == {"web": 1, "worker": 0, "my-clock": 0}
    notes = [line for line in result.warnings if "not listed in formation" in line]
    assert notes == [
        f"{path}: formation.web: not listed in formation: Heroku starts it at 1 dyno, imported with count = 1",
        f"{path}: formation.worker: not listed in formation: Heroku starts it at 0 dynos, imported with count = 0",
        f"{path}: formation.my_clock: not listed in formation: Heroku starts it at 0 dynos, imported with count = 0",
    ]


def test_app_json_listed_types_keep_their_quantity_or_get_herokus_one(write: Write) -> None:
    """A listed quantity is the count, 0 included, without a line; a listed type without one gets 1, noted."""
    write("Procfile", "web: serve\nworker: work\nclock: tick\n")
    formation = {"web": {"quantity": 0}, "worker": {"quantity": 4}, "clock": {"size": "basic"}}
    path = write("app.json", json.dumps({"formation": formation}))
    result = read_source(path, None, {})
    assert {n: p.count for n, p in result.processes.items()} == {"web": 0, "worker": 4, "clock": 1}
    counted = [line for line in result.warnings if "count =" in line]
    assert counted == [f"{path}: formation.clock: no quantity: Heroku starts it at 1 dyno, imported with count = 1"]


def test_app_json_release_line_is_reported_not_counted(write: Write) -> None:
    """The Procfile's release phase is reported as a Procfile import reports it, and gets no count line."""
    procfile = write("Procfile", "release: ./migrate\nweb: serve\n")
    path = write("app.json", json.dumps({"formation": {"web": {"quantity": 2}}}))
    result = read_source(path, None, {})
    assert {n: p.count for n, p in result.processes.items()} == {"web": 2}
    assert list(result.warnings) == list(read_source(procfile, None, {}).warnings)


def test_app_json_dyno_sizes_become_memory_limits(write: Write) -> None:
    """A known size is its memory limit, noted; an unknown one is reported and sets nothing."""
    write("Procfile", "web: serve\nworker: work\nclock: tick\n")
    formation = {"web": {"size": "Performance-M"}, "worker": {"size": "standard-2x"}, "clock": {"size": "huge"}}
    path = write("app.json", json.dumps({"formation": formation}))
    result = read_source(path, None, {})
    memory = {name: p.resources.memory for name, p in result.processes.items()}
    assert memory == {"web": 2560 * 2**20, "worker": 2**30, "clock": None}
    assert any("formation.web.size: the dyno size Performance-M carried over" in line for line in result.warnings)
    assert any("formation.clock.size: not carried over (the dyno size huge" in line for line in result.warnings)
