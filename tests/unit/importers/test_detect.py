"""Format detection: by name, then by content; --format overrides it."""

from __future__ import annotations

import pytest

from procfleet.errors import FormationError
from procfleet.importers.detect import detect_format
from tests.unit.importers.conftest import Write


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("Procfile", "web: serve\n", "procfile"),
    ("Procfile.dev", "web: serve\n", "procfile"),
    ("processes.txt", "# comment\nweb: serve\nworker: work\n", "procfile"),
    ("compose.yaml", "services: {}\n", "compose"),
    ("stack.yml", "services:\n  web: {image: a}\n", "compose"),
    ("all.yaml", "include:\n  - api/compose.yaml\n  - web/compose.yaml\n", "compose"),
    ("override.yml", "services:\n  web:\n    ports: !reset []\n    environment: !override {A: b}\n", "compose"),
    ("app.json", "{}", "app.json"),
    ("heroku.json", '{"formation": {"web": {"quantity": 1}}}', "app.json"),
    ("job.json", '{"Job": {"ID": "x"}}', "nomad"),
    ("exported.json", '{"ID": "x", "TaskGroups": []}', "nomad"),
])
def test_detects(write: Write, name: str, text: str, expected: str) -> None:
    """Each format is recognised by its name or by what it holds."""
    assert detect_format(write(name, text), text) == expected


def test_unknown_content_asks_for_format(write: Write) -> None:
    """A file that says nothing clear is an error suggesting --format."""
    text = "just some notes\n"
    with pytest.raises(FormationError, match="pass --format"):
        detect_format(write("notes.txt", text), text)
