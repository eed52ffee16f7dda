"""Procfile (and the .env beside it) → formation, read as Foreman reads it (src/procfleet/procfile.py)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from procfleet.errors import FormationError
from procfleet.importers.result import ImportResult
from procfleet.model import ProcessType
from procfleet.procfile import ProcfileEntry, parse_procfile

FORMAT = "procfile"
# The first line of a Procfile procfleet renders (`render --format procfile`): the app and Foreman's -m formation.
RENDERED = re.compile(r"^#\s*(?P<app>[a-z][a-z0-9-]*): foreman start -m (?P<formation>[a-z0-9=,-]+)\s*$")
FOREMAN_COUNT = 1  # `foreman start` runs one of each type unless told otherwise
RELEASE = "release"  # Heroku's release phase: a command run once per deploy, not a process type


MAX_IMPORT_BYTES = 4 * 2**20  # Procfiles, app.json, compose files and job files are a few KiB


def read_text(path: Path) -> str:
    """A text file; a missing, binary or endless one (/dev/zero) is an error naming it."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_IMPORT_BYTES + 1)
        if len(data) > MAX_IMPORT_BYTES:
            raise FormationError(path, "", f"larger than {MAX_IMPORT_BYTES // 2**20} MiB: not a file to import")
        return data.decode("utf-8")
    except FileNotFoundError:
        raise FormationError(path, "", "file not found") from None
    except (IsADirectoryError, UnicodeDecodeError):
        raise FormationError(path, "", "not a readable text file") from None


def dotenv_beside(path: Path) -> tuple[Path, ...]:
    """The .env beside a Procfile, which Foreman and Honcho read, as the app's env file."""
    dotenv = path.parent / ".env"
    return (dotenv.resolve(),) if dotenv.is_file() else ()


def read_procfile(path: Path, environ: Mapping[str, str]) -> ImportResult:
    """One type per `name: command` line with Foreman's one instance each (or the counts procfleet rendered)."""
    text = read_text(path)
    entries, warnings = parse_procfile(text, path)
    entries = [entry for entry in entries if not _release(entry, path, warnings)]
    if not entries:
        raise FormationError(path, "", "no process types besides the release phase")
    first = text.splitlines()[0] if text else ""
    rendered = RENDERED.match(first.strip())
    counts = _formation(rendered.group("formation")) if rendered else {}
    default = counts.get("all", 0) if counts else FOREMAN_COUNT
    processes = {entry.name: _process(entry, counts.get(entry.name, default)) for entry in entries}
    return ImportResult(format=FORMAT, source=path, processes=processes,
                        app_name=rendered.group("app") if rendered else None, env_files=dotenv_beside(path),
                        warnings=tuple(warnings))


def _release(entry: ProcfileEntry, path: Path, warnings: list[str]) -> bool:
    """Whether the entry is Heroku's release phase, which is reported instead of imported."""
    if entry.original != RELEASE:
        return False
    warnings.append(release_warning(path, entry))
    return True


def release_warning(path: Path, entry: ProcfileEntry) -> str:
    """Why the release line of a Procfile is not a process type."""
    return (f'{path}:{entry.line}: process type "{RELEASE}" not carried over (Heroku\'s release phase runs once per '
            f"deploy, and procfleet has no release phase: run it with `procfleet run -- {entry.command}`)")


def _formation(text: str) -> dict[str, int]:
    """Foreman's `-m web=2,worker=1`."""
    pairs = (item.split("=", 1) for item in text.split(",") if "=" in item)
    return {name: int(count) for name, count in pairs if count.isdigit()}


def _process(entry: ProcfileEntry, count: int) -> ProcessType:
    return ProcessType(name=entry.name, command=entry.command, count=count)
