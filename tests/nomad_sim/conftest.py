"""Fixtures for the simulator's own tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .simulator import NomadSimulator, running_simulator


@pytest.fixture
def sim() -> Iterator[NomadSimulator]:
    """A fresh simulator with manual progress (nothing moves unless a test says so)."""
    yield from running_simulator()
