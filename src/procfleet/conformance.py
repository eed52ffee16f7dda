"""Checks every backend must pass, shipped with procfleet so third-party backends can run them too.

Each check takes the backend class (and, where needed, a formation) and raises AssertionError with a
sentence saying what is wrong. tests/contract runs them over every installed backend.
"""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path

from procfleet.backend import FEATURES, Backend, Session
from procfleet.errors import FormationError
from procfleet.model import App, Formation, HealthCheck, ProcessType, Resources
from procfleet.validation import Where

PROTOCOL_METHODS = ("validate_options", "render", "live", "apply", "scale", "status", "logs", "run", "down")


def sample_formation(source: Path = Path("formation.toml")) -> Formation:
    """A formation using every feature, for render checks."""
    web = ProcessType(name="web", command="serve --port $PORT", count=2, port=8000,
                      health=HealthCheck(kind="http", http_path="/healthz"), env={"MODE": "web"},
                      resources=Resources(cpu=0.5, memory=256 * 2**20), stop_signal="SIGQUIT", stop_timeout=5.0)
    worker = ProcessType(name="worker", command="work ${QUEUE:-default}", restart="on-failure")
    return Formation(app=App(name="conformance", image="example/app:1", env={"LOG_LEVEL": "info"}),
                     processes={"web": web, "worker": worker}, source=source)


def check_declarations(backend_class: type[Backend]) -> None:
    """Name, features and formats are declared, and every protocol method exists."""
    assert isinstance(backend_class.name, str) and backend_class.name, "the backend has no name"
    unknown = set(backend_class.features) - set(FEATURES)
    assert not unknown, f"{backend_class.name}: unknown features declared: {sorted(unknown)}"
    assert backend_class.formats, f"{backend_class.name}: declares no render format"
    for method in PROTOCOL_METHODS:
        assert callable(getattr(backend_class, method, None)), f"{backend_class.name}: no method {method}()"
    assert not inspect.iscoroutinefunction(backend_class.render), "render must be a plain function"


def check_render_is_pure_and_deterministic(backend_class: type[Backend], formation: Formation) -> None:
    """Every format renders at least one non-empty file, the same text twice, without touching the formation."""
    backend = backend_class(Session())
    before = dataclasses.replace(formation)
    for fmt in backend_class.formats:
        first = backend.render(formation, fmt)
        assert first, f"{backend_class.name}: render --format {fmt} produced no file"
        assert all(item.name and item.content for item in first), f"{backend_class.name}: empty file for {fmt}"
        assert backend.render(formation, fmt) == first, f"{backend_class.name}: render {fmt} is not deterministic"
    assert formation == before, f"{backend_class.name}: render changed the formation"


def check_options_reject_unknown_keys(backend_class: type[Backend]) -> None:
    """An unknown key in [backends.<name>] is a FormationError naming the key path."""
    backend = backend_class(Session())
    where = Where(Path("formation.toml"), f"backends.{backend_class.name}")
    try:
        backend.validate_options({"no_such_option_here": 1}, where)
    except FormationError as exc:
        assert f"backends.{backend_class.name}.no_such_option_here" in str(exc), str(exc)
    else:
        raise AssertionError(f"{backend_class.name}: an unknown option was accepted")
    backend.validate_options({}, where)  # an empty table is always valid: every option has a default
