"""The conformance checks, run over every installed backend."""

from __future__ import annotations

import pytest

from procfleet import conformance, registry

BACKENDS = sorted(registry.discover())


@pytest.mark.parametrize("name", BACKENDS)
def test_declarations(name: str) -> None:
    """Each backend declares its name, features, formats and the whole protocol."""
    conformance.check_declarations(registry.load(name))


@pytest.mark.parametrize("name", BACKENDS)
def test_render(name: str) -> None:
    """Each backend renders every format, purely and deterministically."""
    conformance.check_render_is_pure_and_deterministic(registry.load(name), conformance.sample_formation())


@pytest.mark.parametrize("name", BACKENDS)
def test_options(name: str) -> None:
    """Each backend validates its own options table."""
    conformance.check_options_reject_unknown_keys(registry.load(name))


def test_local_is_installed() -> None:
    """The default backend is always there."""
    assert "local" in BACKENDS
