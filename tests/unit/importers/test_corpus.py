"""The corpus: Procfiles, compose files, an app.json and Nomad jobs in the shapes public projects write them.

Each case folder holds the source, the files beside it (.env, env files, files it extends), optionally
environ.json (the caller's environment), and what import must produce: expected.toml (the file written, text
for text) and expected-warnings.txt (the report, a line per key not carried over).
Set PROCFLEET_UPDATE_GOLDEN=1 to rewrite the expected files after a deliberate change, then review the diff.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from procfleet.actions.importing import Imported, import_file
from tests.unit.importers.roundtrip import (
    INSTALLED,
    carried,
    load,
    prepared,
    reported_keys,
    round_trip,
)

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(path.name for path in CORPUS.iterdir() if path.is_dir())
SOURCES = ("app.json", "job.json", "compose.yaml", "compose.yml", "docker-compose.yml", "Procfile", "Procfile.dev")
# Each case goes round through the renderer of its own format; app.json, which no backend renders, goes through
# a Procfile (its commands' home) and through a Nomad job (which carries its env too).
NATIVE = {"procfile": ["procfile"], "compose": ["compose"], "nomad": ["nomad"], "app.json": ["procfile", "nomad"]}
UPDATE = os.environ.get("PROCFLEET_UPDATE_GOLDEN") == "1"


def _import(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Imported]:
    """Copy the case into its own folder (named as the case: the app name falls back to it) and import there."""
    folder = tmp_path / case
    shutil.copytree(CORPUS / case, folder)
    monkeypatch.chdir(folder)
    source = next(Path(name) for name in SOURCES if (folder / name).exists())
    environ_file = folder / "environ.json"
    environ = json.loads(environ_file.read_text()) if environ_file.exists() else {}
    return folder, import_file(source, Path("formation.toml"), environ=environ, installed=INSTALLED)


def test_corpus_has_enough_cases() -> None:
    """At least 15 Procfiles and compose files, besides the app.json and Nomad cases."""
    shapes = [case for case in CASES if case.startswith(("procfile-", "compose-"))]
    assert len(shapes) >= 15


@pytest.mark.parametrize("case", CASES)
def test_import_writes_the_expected_formation_and_report(case: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The formation written and every line of the report are exactly the reviewed ones."""
    folder, imported = _import(case, tmp_path, monkeypatch)
    written = (folder / "formation.toml").read_text()
    warnings = "".join(f"{line}\n" for line in imported.warnings)
    expected_toml, expected_warnings = CORPUS / case / "expected.toml", CORPUS / case / "expected-warnings.txt"
    if UPDATE:
        expected_toml.write_text(written)
        expected_warnings.write_text(warnings)
    assert written == expected_toml.read_text()
    assert warnings == expected_warnings.read_text()


@pytest.mark.parametrize("case", CASES)
def test_import_render_import_gives_the_same_formation(case: str, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Rendered by its format's backend and imported again, the formation comes back (as far as the format
    carries it: see roundtrip.carried), and procfleet's own rendering imports without losing anything more."""
    folder, imported = _import(case, tmp_path, monkeypatch)
    first = load(folder / "formation.toml")
    for renderer in NATIVE[imported.format]:
        original = prepared(first, renderer)
        again, report = round_trip(original, renderer)
        assert carried(again, renderer) == carried(original, renderer), renderer
        assert reported_keys(report) == [], renderer  # what the renderer wrote, the importer reads back whole
