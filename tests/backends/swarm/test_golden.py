"""Golden files: what `procfleet render -b swarm` prints for the examples and for every key at once.

PROCFLEET_UPDATE_GOLDEN=1 rewrites them; review the diff before committing it.
"""

from __future__ import annotations

import os

import pytest

from tests.backends.swarm.helpers import GOLDEN, ROOT, rendered

# Every key at once, the options a swarm without IPVS needs, and every example with a container image (the
# same formation moves between backends, so the compose example is rendered for Swarm too).
CASES = {
    "kitchen-sink": GOLDEN / "kitchen-sink.toml",
    "no-ipvs": GOLDEN / "no-ipvs.toml",
    "example-02-compose": ROOT / "examples" / "02-compose" / "formation.toml",
}


@pytest.mark.parametrize("name", list(CASES))
def test_render_matches_golden(name: str) -> None:
    """The rendered stack.yaml is byte for byte the reviewed one."""
    golden = GOLDEN / f"{name}.yaml"
    text = rendered(CASES[name])
    if os.environ.get("PROCFLEET_UPDATE_GOLDEN") == "1":
        golden.write_text(text)
    assert text == golden.read_text(), f"{golden} differs; PROCFLEET_UPDATE_GOLDEN=1 rewrites it"
