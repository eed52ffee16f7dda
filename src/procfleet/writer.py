"""Writes formation files with tomlkit, keeping the user's comments and layout."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import tomlkit
from tomlkit.items import Table

from procfleet.errors import UsageError
from procfleet.procfile import ProcfileEntry


def formation_from_procfile(app: str, entries: list[ProcfileEntry], env_file: str | None) -> str:
    """A new formation.toml for the Procfile's types, each with one instance."""
    document = tomlkit.document()
    document.add(tomlkit.comment("Process formation: see `procfleet check` and docs/formation.md"))
    app_table = tomlkit.table()
    app_table.add("name", app)
    if env_file:
        app_table.add("env_file", [env_file])
    document.add("app", app_table)
    processes = tomlkit.table(is_super_table=True)
    for entry in entries:
        process = tomlkit.table()
        process.add("command", entry.command)
        process.add("count", 1)
        processes.add(entry.name, process)
    document.add("processes", processes)
    return tomlkit.dumps(document)


def write_new(path: Path, content: str, force: bool) -> None:
    """Write a file that must not already exist unless force is given."""
    if path.exists() and not force:
        raise UsageError(f"{path} already exists: pass --force to overwrite it")
    write_atomic(path, content)


def write_atomic(path: Path, content: str) -> None:
    """Replace path's content all at once, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(content)
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        else:
            os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def save_counts(path: Path, key_prefix: str, counts: Mapping[str, int]) -> None:
    """Set `count` of each named type in the formation file, leaving everything else as written."""
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    root: Table | tomlkit.TOMLDocument = document
    for part in [p for p in key_prefix.split(".") if p]:
        root = root[part]  # the loader already proved these tables exist
    processes = root["processes"]
    for name, count in counts.items():
        processes[name]["count"] = count  # validated formation: a table per type
    write_atomic(path, tomlkit.dumps(document))
