"""import: writes a formation.toml from a file a team already has."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from procfleet.errors import FormationError, UsageError
from procfleet.procfile import parse_procfile
from procfleet.validation import NAME_PATTERN
from procfleet.writer import formation_from_procfile, write_new


@dataclass(frozen=True)
class Imported:
    """The file written, the types it holds, and what the user should know."""

    path: Path
    types: list[str]
    warnings: list[str]


def app_name_for(folder: Path) -> str:
    """A valid app name from a folder name ("My_Shop" → "my-shop")."""
    name = re.sub(r"[^a-z0-9-]+", "-", folder.resolve().name.lower()).strip("-")
    name = re.sub(r"^[^a-z]+", "", name)[:63].rstrip("-")
    return name if NAME_PATTERN.match(name) else "app"


def import_procfile(source: Path, target: Path, app: str | None, force: bool) -> Imported:
    """Turn a Procfile (and a .env beside it, if any) into a new formation file."""
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FormationError(source, "", "file not found") from None
    except (IsADirectoryError, UnicodeDecodeError):
        raise FormationError(source, "", "not a readable text file") from None
    entries, warnings = parse_procfile(text, source)
    name = app or app_name_for(target.parent)
    if not NAME_PATTERN.match(name) or name.endswith("-"):
        raise UsageError(f'invalid app name "{name}": use lowercase letters, digits and "-"')
    dotenv = source.parent / ".env"
    env_file = None
    if dotenv.is_file():
        env_file = str(dotenv.resolve().relative_to(target.parent.resolve())) if _inside(dotenv, target.parent) \
            else str(dotenv.resolve())
    write_new(target, formation_from_procfile(name, entries, env_file), force)
    return Imported(path=target, types=[e.name for e in entries], warnings=warnings)


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())
