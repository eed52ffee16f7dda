"""Finds the formation file and reads it: formation.toml, -f PATH, PROCFLEET_FILE, or pyproject.toml."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from procfleet.errors import FormationError, UsageError
from procfleet.model import Formation
from procfleet.schema import build_formation

DEFAULT_FILE = "formation.toml"
PYPROJECT = "pyproject.toml"
ENV_VAR = "PROCFLEET_FILE"


def locate(explicit: Path | None, cwd: Path, environ: Mapping[str, str]) -> Path:
    """The formation file to use: -f, then $PROCFLEET_FILE, then formation.toml, then pyproject.toml."""
    if explicit is not None:
        return explicit
    if environ.get(ENV_VAR):
        return Path(environ[ENV_VAR])
    if (cwd / DEFAULT_FILE).exists():
        return Path(DEFAULT_FILE) if cwd == Path.cwd() else cwd / DEFAULT_FILE
    pyproject = cwd / PYPROJECT
    if pyproject.exists() and _has_procfleet_table(_read(pyproject)):
        return Path(PYPROJECT) if cwd == Path.cwd() else pyproject
    raise UsageError(
        f"no {DEFAULT_FILE} in {cwd}: pass -f PATH, set {ENV_VAR}, add [tool.procfleet] to {PYPROJECT}, "
        "or create one with `procfleet import Procfile`"
    )


def load(explicit: Path | None = None, cwd: Path | None = None,
         environ: Mapping[str, str] | None = None) -> Formation:
    """Locate, read and validate the formation; every error names the file and the key path."""
    path = locate(explicit, cwd or Path.cwd(), os.environ if environ is None else environ)
    document = _read(path)
    if _is_pyproject(path, document):
        tool = document.get("tool", {})
        if not isinstance(tool, Mapping):
            raise FormationError(path, "tool", f"expected a table, got {type(tool).__name__}")
        if "procfleet" not in tool:
            raise FormationError(path, "tool.procfleet", "missing table [tool.procfleet]")
        if not isinstance(tool["procfleet"], Mapping):
            raise FormationError(path, "tool.procfleet", f"expected a table, got {type(tool['procfleet']).__name__}")
        return build_formation(tool["procfleet"], path, key_prefix="tool.procfleet.")
    return build_formation(document, path)


MAX_FILE_BYTES = 2**20  # a formation (or pyproject.toml) is a few KiB; anything past 1 MiB is not one


def _has_procfleet_table(document: Mapping[str, Any]) -> bool:
    # any `procfleet` key under a `tool` table counts: load() then says what is wrong with it
    tool = document.get("tool")
    return isinstance(tool, Mapping) and "procfleet" in tool


def _is_pyproject(path: Path, document: Mapping[str, Any]) -> bool:
    # A pyproject.toml passed with -f is read through its [tool.procfleet] table too.
    return path.name == PYPROJECT and "app" not in document


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)  # bounded: `-f /dev/zero` must not fill the memory
        if len(data) > MAX_FILE_BYTES:
            raise FormationError(path, "", f"larger than {MAX_FILE_BYTES // 2**20} MiB: not a formation file")
        return tomllib.loads(data.decode("utf-8"))
    except FileNotFoundError:
        raise FormationError(path, "", "file not found") from None
    except IsADirectoryError:
        raise FormationError(path, "", "is a folder, not a formation file") from None
    except tomllib.TOMLDecodeError as exc:
        raise FormationError(path, "", f"invalid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise FormationError(path, "", "invalid TOML: not UTF-8 text") from None
    except OSError as exc:  # a symlink loop, no permission, a device that fails
        raise FormationError(path, "", f"cannot read: {exc.strerror or exc}") from None
