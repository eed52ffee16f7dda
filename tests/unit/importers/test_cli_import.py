"""`procfleet import`: format detection and override, the report on stderr and in --json, never overwriting."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliResult

COMPOSE = """\
name: shop
services:
  web:
    image: shop:1
    command: ./serve
    ports: ["8000"]
    volumes: [".:/app"]
  db:
    image: postgres:16
"""


def test_import_compose_reports_each_key_left_behind(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    """One warning line per key on stderr, the same list in --json, and a formation `check` accepts."""
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    result = cli("import", "compose.yaml", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["format"] == "compose" and data["app"] == "shop" and data["types"] == ["web", "db"]
    assert data["warnings"] == [
        "compose.yaml: services.web.volumes: not carried over (procfleet formations have no volumes; factor VI: "
        "keep state in a backing service)",
    ]
    assert [line.removeprefix("warning: ") for line in result.err.splitlines()] == data["warnings"]
    checked = json.loads(cli("check", "--json").out)
    assert checked["app"]["backend"] == "compose"
    assert checked["processes"]["web"]["port"] == 8000


def test_format_and_app_override(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    """--format reads a file whatever its name; --app names the app whatever the source says."""
    (tmp_path / "services.txt").write_text(COMPOSE)
    result = cli("-f", "out/formation.toml", "import", "services.txt", "--format", "compose", "--app", "store")
    assert result.code == 0, result.err
    assert 'name = "store"' in (tmp_path / "out" / "formation.toml").read_text()
    assert "compose import, app store" in result.err


def test_unknown_format_suggests_one(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    """A misspelt --format is a usage error with a suggestion."""
    (tmp_path / "job.json").write_text("{}")
    result = cli("import", "job.json", "--format", "nomda")
    assert result.code == 2
    assert 'unknown format "nomda" (did you mean "nomad"?)' in result.err


def test_errors_name_the_source_and_key(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    """A source Compose itself would refuse is exit 2 with the file and key path, and nothing is written."""
    (tmp_path / "compose.yaml").write_text(COMPOSE.replace("./serve", "./serve ${MODE:?set MODE}"))
    result = cli("import", "compose.yaml")
    assert result.code == 2
    assert "compose.yaml: services.web.command: required variable MODE is missing a value: set MODE" in result.err
    assert not (tmp_path / "formation.toml").exists()


def test_existing_file_is_kept_without_force(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    """The target is checked before the source is read: nothing is overwritten without --force."""
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    (tmp_path / "formation.toml").write_text("# mine\n")
    assert cli("import", "compose.yaml").code == 2
    assert (tmp_path / "formation.toml").read_text() == "# mine\n"
    assert cli("import", "compose.yaml", "--force").code == 0


def test_the_report_is_also_in_the_file(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    """The written formation lists, in comments, what was left behind, for whoever reviews it."""
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    cli("import", "compose.yaml")
    text = (tmp_path / "formation.toml").read_text()
    assert "#   compose.yaml: services.web.volumes: not carried over" in text
