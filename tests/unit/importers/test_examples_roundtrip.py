"""Every example, rendered by each backend whose output import reads, comes back as the same formation.

"The same" is the formation's normalised JSON reduced to what the rendered format carries (roundtrip.carried
lists each format's losses); the second import reports exactly the keys that reduction drops silently.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.unit.importers.roundtrip import (
    RENDERERS,
    carried,
    load,
    prepared,
    reported_keys,
    round_trip,
)

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
NAMES = sorted(path.parent.name for path in EXAMPLES.glob("*/formation.toml"))


@pytest.mark.parametrize("renderer", sorted(RENDERERS))
@pytest.mark.parametrize("example", NAMES)
def test_example_round_trips(example: str, renderer: str, tmp_path: Path) -> None:
    """render → import gives the example's formation back, as far as the format carries it."""
    folder = tmp_path / example
    shutil.copytree(EXAMPLES / example, folder)
    original = prepared(load(folder / "formation.toml"), renderer)
    again, report = round_trip(original, renderer)
    assert carried(again, renderer) == carried(original, renderer)
    assert reported_keys(report) == []  # what the renderer wrote, the importer reads back whole
    if RENDERERS[renderer][0] == original.app.backend:
        assert again.app.backend == original.app.backend  # imported for the platform it was rendered for


def test_every_example_is_covered() -> None:
    """The examples folder has formations to round-trip (a moved folder must not silently skip this)."""
    assert len(NAMES) >= 3
