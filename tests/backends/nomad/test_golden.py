"""The examples rendered for Nomad, compared with reviewed files (PROCFLEET_UPDATE_GOLDEN=1 rewrites them)."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from procfleet.backend import Session
from procfleet_nomad.backend import NomadBackend
from tests.backends.nomad.formations import EXAMPLES, NOMAD_EXAMPLES, example

GOLDEN = Path(__file__).parent / "golden"
SUFFIX = {"json": "json", "hcl": "hcl"}


def render(name: str, fmt: str) -> tuple[str, str]:
    """The one file the backend renders for an example: its name and text."""
    files = NomadBackend(Session(err=io.StringIO())).render(example(name), fmt)
    assert len(files) == 1
    return files[0].name, files[0].content


@pytest.mark.parametrize("fmt", ["json", "hcl"])
@pytest.mark.parametrize("name", NOMAD_EXAMPLES)
def test_example_matches_golden(name: str, fmt: str) -> None:
    """render --backend nomad [--format hcl] of each example is exactly the reviewed file."""
    _, text = render(name, fmt)
    golden = GOLDEN / f"{name}.nomad.{SUFFIX[fmt]}"
    if os.environ.get("PROCFLEET_UPDATE_GOLDEN"):
        golden.write_text(text)
    assert golden.is_file(), f"missing {golden}: run with PROCFLEET_UPDATE_GOLDEN=1 and review the file"
    assert text == golden.read_text()


def test_json_is_the_register_body() -> None:
    """The JSON file is a JobRegisterRequest body: {"Job": {...}} and nothing else, named after the app."""
    name, text = render("03-nomad", "json")
    assert name == "greeter.nomad.json"
    body = json.loads(text)
    assert list(body) == ["Job"] and body["Job"]["ID"] == "greeter"


def test_every_example_folder_with_nomad_settings_has_a_golden() -> None:
    """An example that configures [backends.nomad] is covered here."""
    configured = {p.parent.name for p in EXAMPLES.glob("*/formation.toml") if "[backends.nomad]" in p.read_text()}
    assert configured <= set(NOMAD_EXAMPLES)
