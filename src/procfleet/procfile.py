"""Reads Procfiles the way Foreman does: `name: command` lines, everything else skipped."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from procfleet.errors import FormationError

# Foreman's own pattern (lib/foreman/procfile.rb); Honcho uses the same one.
LINE = re.compile(r"^([A-Za-z0-9_-]+):\s*(.+)$")
GENERATED = "process"  # the name, with its line number, of a type whose name has no letter to keep


@dataclass(frozen=True)
class ProcfileEntry:
    """One process type read from a Procfile, with the name as written and as procfleet names it."""

    original: str
    name: str
    command: str
    line: int


def parse_procfile(text: str, source: Path) -> tuple[list[ProcfileEntry], list[str]]:
    """The entries of a Procfile, and warnings about names that had to change and lines Foreman skips."""
    entries: list[ProcfileEntry] = []
    warnings: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        match = LINE.match(raw.strip())
        if not match:
            # Comments, blank lines and anything else Foreman would skip; only the last are worth a warning.
            if raw.strip() and not raw.strip().startswith("#"):
                warnings.append(f'{source}:{number}: not carried over (not a "name: command" line; Foreman skips '
                                "it too)")
            continue
        original, command = match.group(1), match.group(2).strip()
        _refuse_repeated(original, number, entries, source)
        name, reason = _type_name(original, number, entries)
        if reason is not None:
            warnings.append(f"{source}:{number}: {reason}")
        entries.append(ProcfileEntry(original=original, name=name, command=command, line=number))
    if not entries:
        raise FormationError(source, "", "no process types found (expected lines like `web: command`)")
    return entries, warnings


def _refuse_repeated(original: str, number: int, entries: Sequence[ProcfileEntry], source: Path) -> None:
    """The same name written twice is a mistake to fix: Honcho refuses it ("process names must be unique")."""
    for entry in entries:
        if entry.original == original:
            raise FormationError(source, f"line {number}", f'process type "{original}" already defined on line '
                                 f"{entry.line}")


def _type_name(original: str, number: int, entries: Sequence[ProcfileEntry]) -> tuple[str, str | None]:
    """A portable name no earlier line has, and the report's line when it is not the name as written.

    Every name Foreman's pattern accepts runs there, so none is refused: it is made portable, named after its
    line when no letter is left, and numbered when an earlier line already has the name (Foreman runs both)."""
    # Imported here: procfleet.importers, the package of names, imports this module while it loads.
    from procfleet.importers import names

    name, reason = names.kept_name(original), names.NAME_RULE
    if name is None:
        name, reason = f"{GENERATED}-{number}", f"no letter to keep: {names.NAME_RULE}"
    holder = next((entry for entry in entries if entry.name == name), None)
    if holder is not None:
        name = names.unique_name(name, {entry.name for entry in entries})
        reason = f'line {holder.line}\'s "{holder.original}" is already "{holder.name}"; Foreman and Honcho run both'
    return name, None if name == original else names.renamed(original, name, reason)
