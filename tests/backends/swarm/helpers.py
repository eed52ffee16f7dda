"""The swarm backend's pure tests: the compose tests' formations (swarm reuses that translation), swarm's render."""

from __future__ import annotations

from pathlib import Path

from procfleet.loader import load
from tests.backends.compose.helpers import ROOT, formation

__all__ = ["GOLDEN", "ROOT", "formation", "rendered"]

GOLDEN = Path(__file__).resolve().parent / "golden"


def rendered(source: Path) -> str:
    """What `procfleet render -b swarm` prints for a formation file."""
    from procfleet.backend import Session
    from procfleet_swarm.backend import SwarmBackend

    return SwarmBackend(Session()).render(load(source), "stack")[0].content
