"""import --from-backend, without an engine: a stand-in backend exports a document, adopt writes it at its counts."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest

from procfleet import registry
from procfleet.actions.importing import adopt
from procfleet.backend import ExportedApp, Session
from procfleet.errors import NotRunning, UsageError
from tests.conftest import CliResult

STACK = """\
name: legacy_shop
services:
  web:
    image: shop:1
    command: ["sh", "-c", "serve --port 8000 --price '$$5'"]
    ports: ["8000"]
  queue_worker:
    image: shop:1
    command: work --project ${COMPOSE_PROJECT_NAME}
"""


class Exporting:
    """A backend that exports what the test sets in `exported` (and records that it was asked)."""

    name: ClassVar[str] = "compose"
    exported: ClassVar[ExportedApp | None] = None
    asked: ClassVar[list[str]] = []

    def __init__(self, session: Session) -> None:
        self.session = session

    def export(self, app: str) -> ExportedApp | None:
        Exporting.asked.append(app)
        return Exporting.exported


class NotExporting:
    """A backend with no export method, as the local one."""

    name: ClassVar[str] = "local"

    def __init__(self, session: Session) -> None:
        self.session = session


@pytest.fixture
def backends(monkeypatch: pytest.MonkeyPatch) -> type[Exporting]:
    """registry.load hands out the stand-ins: "local" has no export, anything else is Exporting."""
    Exporting.exported, Exporting.asked = None, []

    def load(name: str) -> Any:
        return NotExporting if name == "local" else Exporting

    monkeypatch.setattr(registry, "load", load)
    return Exporting


def _exported(**changes: Any) -> ExportedApp:
    values: dict[str, Any] = {
        "format": "compose", "source": Path("swarm:stack/legacy_shop"), "described": "the stack legacy_shop",
        "counts": {"queue_worker": 4}, "text": STACK, "variables": {"COMPOSE_PROJECT_NAME": "legacy_shop"},
        "notes": ("the stack was not created by procfleet",), "options": {"swarm": {"port_mode": "host"}},
    }
    return ExportedApp(**{**values, **changes})


def test_adopt_writes_the_document_at_the_live_counts(backends: type[Exporting], tmp_path: Path) -> None:
    """Counts by the platform's names land on the renamed types; a type with none gets 0; the backend's notes come
    first in the report; its options are added; the adopted backend becomes the default; `$$` and variables work."""
    backends.exported = _exported()
    target = tmp_path / "formation.toml"
    imported = adopt("swarm", "legacy_shop", target, Session(environ={}), installed=["swarm"])
    assert backends.asked == ["legacy_shop"]
    assert (imported.backend, imported.app, imported.format) == ("swarm", "legacy-shop", "compose")
    assert imported.counts == {"web": 0, "queue-worker": 4}
    assert imported.warnings[0] == "the stack was not created by procfleet"
    assert 'swarm:stack/legacy_shop: services.queue_worker: process type renamed "queue-worker"' in " ".join(
        imported.warnings)
    text = target.read_text()
    assert text.startswith("# Adopted from the stack legacy_shop\n# by `procfleet import --from-backend swarm --app "
                           "legacy_shop`, with the counts that ran then")
    written = tomllib.loads(text)
    assert written["app"] == {"name": "legacy-shop", "image": "shop:1", "backend": "swarm"}
    # its CMD exactly, handed to the image's ENTRYPOINT as Docker does (no entrypoint override to unwrap)
    assert written["processes"]["web"] == {"args": ["sh", "-c", "serve --port 8000 --price '$5'"], "count": 0,
                                           "port": 8000,
                                           "restart": "never"}
    assert written["processes"]["queue-worker"]["args"] == ["work", "--project", "legacy_shop"]
    assert written["backends"]["swarm"] == {"port_mode": "host"}


def test_adopt_refuses_before_asking_the_platform(backends: type[Exporting], tmp_path: Path) -> None:
    """An existing file without --force, and a backend without export, are usage errors; nothing is asked."""
    target = tmp_path / "formation.toml"
    target.write_text("# mine\n")
    with pytest.raises(UsageError, match="already exists: pass --force"):
        adopt("compose", "shop", target, Session(environ={}))
    with pytest.raises(UsageError, match="the local backend cannot export what it runs"):
        adopt("local", "shop", target, Session(environ={}), force=True)
    assert backends.asked == [] and target.read_text() == "# mine\n"


def test_nothing_running_is_a_platform_error(backends: type[Exporting], tmp_path: Path) -> None:
    with pytest.raises(NotRunning, match='nothing called "shop" runs on compose'):
        adopt("compose", "shop", tmp_path / "formation.toml", Session(environ={}))
    assert not (tmp_path / "formation.toml").exists()


def test_cli_import_from_backend(backends: type[Exporting], cli: Callable[..., CliResult], tmp_path: Path) -> None:
    """--json carries the backend and the counts (null for a file import); the text says what was adopted."""
    backends.exported = _exported(notes=(), options={})
    result = cli("import", "--from-backend", "compose", "--app", "legacy_shop", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert (data["backend"], data["counts"], data["source"]) == ("compose", {"web": 0, "queue-worker": 4},
                                                                 "swarm:stack/legacy_shop")
    again = cli("import", "--from-backend", "compose", "--app", "legacy_shop", "--force")
    assert again.code == 0, again.err
    assert again.err.splitlines()[-1].startswith(f"wrote {tmp_path / 'formation.toml'} (adopted from compose, app "
                                                 "legacy-shop) with the live counts web=0 queue-worker=4")
    (tmp_path / "compose.yaml").write_text(STACK)
    from_file = json.loads(cli("import", "compose.yaml", "-f", "other.toml", "--json").out)
    assert (from_file["backend"], from_file["counts"]) == (None, None)


@pytest.mark.parametrize(("args", "message"), [
    ((), "import needs a SOURCE file, or --from-backend NAME --app APP"),
    (("--from-backend", "compose"), "--from-backend compose needs --app NAME"),
    (("Procfile", "--from-backend", "compose", "--app", "shop"), "give no SOURCE file and no --format"),
    (("--from-backend", "compose", "--app", "shop", "--format", "compose"), "give no SOURCE file and no --format"),
    (("--from-backend", "local", "--app", "shop"), "the local backend cannot export what it runs"),
])
def test_cli_usage_errors(backends: type[Exporting], cli: Callable[..., CliResult], args: tuple[str, ...],
                          message: str) -> None:
    """Each is exit 2, says what to do, and asks no platform anything."""
    result = cli("import", *args)
    assert result.code == 2 and message in result.err
    assert backends.asked == []
