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


RULE = "names are lowercase letters, digits and -, starting with a letter"


def test_every_name_foremans_pattern_accepts_is_renamed_not_refused(write: Write) -> None:
    """Foreman's and Honcho's Procfile line is `^([A-Za-z0-9_-]+):\\s*(.+)$`: `1web`, `worker-`, `Clock`,
    `_beat` and `foo_bar` all run there, so each becomes a portable name with one line of the report."""
    path = write("Procfile", "1web: serve\nworker-: work\nClock: tick\n_beat: beat\nfoo_bar: fb\n")
    result = read_source(path, None, {})
    assert {n: p.command for n, p in result.processes.items()} == {
        "web": "serve", "worker": "work", "clock": "tick", "beat": "beat", "foo-bar": "fb"}
    assert list(result.warnings) == [
        f'{path}:1: process type "1web" renamed "web" ({RULE})',
        f'{path}:2: process type "worker-" renamed "worker" ({RULE})',
        f'{path}:3: process type "Clock" renamed "clock" ({RULE})',
        f'{path}:4: process type "_beat" renamed "beat" ({RULE})',
        f'{path}:5: process type "foo_bar" renamed "foo-bar" ({RULE})',
    ]


def test_names_that_become_the_same_are_all_kept(write: Write) -> None:
    """Foreman and Honcho (`^([A-Za-z0-9_-]+):\\s*(.+)$`) run `foo_bar`, `foo-bar` and `Foo_Bar` as three types:
    the first keeps the portable name, each later one gets the next free `-2`, `-3`, and its line says why."""
    path = write("Procfile", "foo_bar: a\nfoo-bar: b\nFoo_Bar: c\nfoo-bar-2: d\n")
    result = read_source(path, None, {})
    assert {n: p.command for n, p in result.processes.items()} == {
        "foo-bar": "a", "foo-bar-2": "b", "foo-bar-3": "c", "foo-bar-2-2": "d"}
    assert list(result.warnings) == [
        f'{path}:1: process type "foo_bar" renamed "foo-bar" ({RULE})',
        f'{path}:2: process type "foo-bar" renamed "foo-bar-2" (line 1\'s "foo_bar" is already "foo-bar"; '
        "Foreman and Honcho run both)",
        f'{path}:3: process type "Foo_Bar" renamed "foo-bar-3" (line 1\'s "foo_bar" is already "foo-bar"; '
        "Foreman and Honcho run both)",
        f'{path}:4: process type "foo-bar-2" renamed "foo-bar-2-2" (line 2\'s "foo-bar" is already "foo-bar-2"; '
        "Foreman and Honcho run both)",
    ]


def test_a_name_without_a_letter_gets_one_from_its_line(write: Write) -> None:
    """Foreman's and Honcho's pattern `^([A-Za-z0-9_-]+):\\s*(.+)$` accepts `123` and `--`: with no letter to
    keep, the type is named after its line, `process-<line>`, and the report says so."""
    path = write("Procfile", "web: serve\n123: count\n--: dash\n")
    result = read_source(path, None, {})
    assert list(result.processes) == ["web", "process-2", "process-3"]
    assert list(result.warnings) == [
        f'{path}:2: process type "123" renamed "process-2" (no letter to keep: {RULE})',
        f'{path}:3: process type "--" renamed "process-3" (no letter to keep: {RULE})',
    ]


def test_a_name_longer_than_63_characters_is_cut(write: Write) -> None:
    """Foreman's and Honcho's pattern `^([A-Za-z0-9_-]+):\\s*(.+)$` sets no length: a longer name is cut to the
    63 characters a type name may have (and a dash it would end with is cut too)."""
    long_name = "a" * 62 + "_b" + "c" * 10
    path = write("Procfile", f"{long_name}: run\n{long_name}x: run2\n")
    result = read_source(path, None, {})
    assert list(result.processes) == ["a" * 62, "a" * 61 + "-2"]


def test_a_name_written_twice_is_refused_as_honcho_refuses_it(write: Write) -> None:
    """Honcho asserts "process names must be unique within a Procfile"; the same name twice (not two names that
    become one) is a mistake to fix, not two types."""
    with pytest.raises(FormationError, match=r'line 3: process type "web" already defined on line 1'):
        read_source(write("Procfile", "web: a\nworker: b\nweb: c\n"), None, {})


def test_app_json_keeps_procfile_names_that_become_the_same(write: Write) -> None:
    """Heroku reads the Procfile beside app.json; names Foreman's `^([A-Za-z0-9_-]+):\\s*(.+)$` accepts that
    become the same portable name are both imported, as from the Procfile alone."""
    write("Procfile", "web: serve\nmy_worker: a\nmy-worker: b\n")
    path = write("app.json", json.dumps({"formation": {"my-worker": {"quantity": 2}}}))
    result = read_source(path, None, {})
    assert {n: (p.command, p.count) for n, p in result.processes.items()} == {
        "my-worker-2": ("b", 2), "web": ("serve", 1), "my-worker": ("a", 0)}
