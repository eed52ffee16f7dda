"""Reads Procfiles the way Foreman does: `name: command` lines, everything else skipped."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from procfleet.errors import FormationError
from procfleet.validation import NAME_PATTERN

# Foreman's own pattern (lib/foreman/procfile.rb); Honcho uses the same one.
LINE = re.compile(r"^([A-Za-z0-9_-]+):\s*(.+)$")


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
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        match = LINE.match(raw.strip())
        if not match:
            # Comments, blank lines and anything else Foreman would skip; only the last are worth a warning.
            if raw.strip() and not raw.strip().startswith("#"):
                warnings.append(f'{source}:{number}: not carried over (not a "name: command" line; Foreman skips '
                                "it too)")
            continue
        original, command = match.group(1), match.group(2).strip()
        name = original.lower().replace("_", "-")
        if name != original:
            warnings.append(f'{source}:{number}: process type "{original}" renamed "{name}" '
                            "(names must be lowercase letters, digits and -)")
        if not NAME_PATTERN.match(name) or name.endswith("-"):
            raise FormationError(source, f"line {number}",
                                 f'process type "{original}" cannot be made a portable name')
        if name in seen:
            raise FormationError(source, f"line {number}", f'process type "{name}" already defined on line '
                                 f"{seen[name]}")
        seen[name] = number
        entries.append(ProcfileEntry(original=original, name=name, command=command, line=number))
    if not entries:
        raise FormationError(source, "", "no process types found (expected lines like `web: command`)")
    return entries, warnings
