"""Formations for the swarm backend's pure tests, written into a test's folder and loaded as users load them."""

from __future__ import annotations

import textwrap
from pathlib import Path

from procfleet.loader import load
from procfleet.model import Formation

ROOT = Path(__file__).resolve().parents[3]
GOLDEN = Path(__file__).resolve().parent / "golden"

MINIMAL = """
[app]
name = "shop"
image = "shop:1"

[processes.web]
command = "serve --port $PORT"
count = 2
port = 8000

[processes.worker]
command = "work"
"""


def rendered(source: Path) -> str:
    """What `procfleet render -b swarm` prints for a formation file."""
    from procfleet.backend import Session
    from procfleet_swarm.backend import SwarmBackend

    return SwarmBackend(Session()).render(load(source), "stack")[0].content


def formation(folder: Path, text: str = MINIMAL, name: str = "formation.toml") -> Formation:
    """Write the formation (dedented) into folder and load it."""
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return load(path)
