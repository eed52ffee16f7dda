"""Fixtures for the local backend's tests: a uniquely named app, always cleaned up."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.local.harness import LocalApp


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalApp]:
    """A fresh app in the test's folder (the cwd), its supervisors stopped when the test ends, whatever happened."""
    local_app = LocalApp(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PROCFLEET_FILE", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")  # for commands run in this process; supervisors get LocalApp.env
    try:
        yield local_app
    finally:
        if local_app.path.exists():
            local_app.cleanup()
