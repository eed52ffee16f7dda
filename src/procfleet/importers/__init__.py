"""Readers that turn what a team already has (Procfile, compose.yaml, app.json, a Nomad job) into a formation."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from procfleet.importers.appjson import read_app_json
from procfleet.importers.compose import read_compose
from procfleet.importers.detect import FORMATS, detect_format
from procfleet.importers.nomad import read_nomad
from procfleet.importers.procfile import read_procfile, read_text
from procfleet.importers.result import ImportResult

Reader = Callable[[Path, Mapping[str, str]], ImportResult]
READERS: dict[str, Reader] = {
    "procfile": read_procfile,
    "compose": read_compose,
    "app.json": read_app_json,
    "nomad": read_nomad,
}

# The formats a backend can export what it runs in (procfleet.backend.ExportedApp), read from a file or from text.
TextReader = Callable[[Path, Mapping[str, str], str | None], ImportResult]
EXPORT_READERS: dict[str, TextReader] = {"compose": read_compose, "nomad": read_nomad}

__all__ = ["EXPORT_READERS", "FORMATS", "READERS", "ImportResult", "read_exported", "read_source"]


def read_source(path: Path, fmt: str | None, environ: Mapping[str, str]) -> ImportResult:
    """Read path in the given format (detected when None); environ feeds Compose's interpolation."""
    chosen = fmt or detect_format(path, read_text(path))
    return READERS[chosen](path, environ)


def read_exported(fmt: str, source: Path, text: str | None, environ: Mapping[str, str]) -> ImportResult:
    """Read what a backend exported: the file at source, or text (named source in the report)."""
    return EXPORT_READERS[fmt](source, environ, text)
