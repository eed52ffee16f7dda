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
import subprocess
from pathlib import Path
from typing import Any

import pytest

from procfleet.actions.importing import Imported, import_file
from procfleet.cli import main
from procfleet.importers.compose_service import HANDLED as CARRIED_KEYS
from procfleet.importers.yamlfile import load_yaml
from tests.integration.conftest import engine_missing
from tests.unit.importers.roundtrip import (
    INSTALLED,
    carried,
    load,
    prepared,
    render,
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
    """At least 60 compose files, 20 Procfiles, 10 app.json and 5 Nomad jobs, in the shapes public projects use."""
    counts = {kind: len([case for case in CASES if case.startswith(f"{kind}-")])
              for kind in ("compose", "procfile", "heroku", "nomad")}
    assert counts["compose"] >= 60 and counts["procfile"] >= 20, counts
    assert counts["heroku"] >= 10 and counts["nomad"] >= 5, counts


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


def _docker_compose_config(path: Path) -> dict[str, Any]:
    """`docker compose config` of a file, as Compose itself reads it (no engine needed, only the CLI)."""
    if shutil.which("docker") is None:
        engine_missing("the docker CLI is not installed: `docker compose config` checks the rendered files")
    done = subprocess.run(["docker", "compose", "-f", str(path), "config", "--format", "json"], capture_output=True,
                          text=True, timeout=120, check=False, cwd=path.parent, env={"PATH": os.environ["PATH"]})
    if done.returncode != 0 and "is not a docker command" in done.stderr:
        engine_missing("the Compose v2 CLI plugin is missing: `docker compose config` checks the rendered files")
    assert done.returncode == 0, done.stderr
    config: dict[str, Any] = json.loads(done.stdout)
    return config


@pytest.mark.parametrize("case", CASES)
def test_import_check_render_compose_config_import_again(case: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole road a user takes: import, `check` accepts it, `render -b compose` writes a file that
    `docker compose config` accepts and that runs the same commands, and importing that file gives the same
    formation back."""
    folder, _ = _import(case, tmp_path, monkeypatch)
    assert main(["check", "-f", "formation.toml"]) == 0
    formation = prepared(load(folder / "formation.toml"), "compose")
    rendered = folder / "rendered-compose.yaml"  # beside the formation: its env files are named from there
    rendered.write_text(render(formation, "compose"))
    config = _docker_compose_config(rendered)
    for name, process in formation.processes.items():
        service = config["services"][name]
        if process.command is not None:
            assert service["entrypoint"] == ["/bin/sh", "-c"], name
        else:  # the argv Docker gets is the formation's, word for word (config prints `$` escaped as `$$`)
            argv = {key: None if service.get(key) is None else [word.replace("$$", "$") for word in service[key]]
                    for key in ("entrypoint", "command")}
            assert argv["entrypoint"] == (None if process.entrypoint is None else list(process.entrypoint)), name
            assert argv["command"] == (None if process.args is None else list(process.args)), name
    again, report = round_trip(formation, "compose")
    assert carried(again, "compose") == carried(formation, "compose")
    assert reported_keys(report) == []


@pytest.mark.parametrize("case", [case for case in CASES if case.startswith("compose-")])
def test_every_key_of_a_compose_file_is_carried_or_reported(case: str, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing is lost without a word: each service key the importer does not carry is a line of the report."""
    folder, imported = _import(case, tmp_path, monkeypatch)
    source = next(folder / name for name in SOURCES if (folder / name).exists())
    document = load_yaml(source)
    for key in document:
        if key not in ("name", "services", "include"):
            assert any(line.startswith(f"{source.name}: {key}:") for line in imported.warnings), key
    for service, spec in (document.get("services") or {}).items():
        for key, value in (spec or {}).items():
            if key in CARRIED_KEYS or key == "extends" or value in (None, [], {}):
                continue
            assert any(f"services.{service}.{key}" in line for line in imported.warnings), (service, key)


@pytest.mark.parametrize("case", [case for case in CASES if case.startswith("heroku-")])
def test_every_key_of_an_app_json_is_carried_or_reported(case: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Each top-level key, each formation entry and each env variable of app.json: in the formation, or a line."""
    folder, imported = _import(case, tmp_path, monkeypatch)
    document = json.loads((folder / "app.json").read_text())
    written = (folder / "formation.toml").read_text()
    said = "\n".join(imported.warnings)
    for key, value in document.items():
        if key not in ("name", "formation", "env") and value not in (None, "", [], {}):
            assert f"app.json: {key}:" in said, key
    for name in document.get("env") or {}:
        assert name in written.split("# Not carried over")[-1] or f"env.{name}" in said, name


@pytest.mark.parametrize("case", [case for case in CASES if case.startswith("procfile-")])
def test_every_line_of_a_procfile_is_a_type_or_reported(case: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Foreman runs every `name: command` line: each is a type of the formation, or a line of the report."""
    folder, imported = _import(case, tmp_path, monkeypatch)
    source = next(folder / name for name in ("Procfile", "Procfile.dev") if (folder / name).exists())
    formation = load(folder / "formation.toml")
    lines = [line for line in source.read_text().splitlines() if line.strip() and not line.lstrip().startswith("#")]
    said = "\n".join(imported.warnings)
    for number, line in enumerate(source.read_text().splitlines(), start=1):
        if line in lines:
            name = line.split(":", 1)[0].strip()
            assert name in formation.processes or f"{source.name}:{number}:" in said, (number, line)
