"""Names from other formats made portable (DESIGN §1): `_` and `.` become `-`, upper case becomes lower."""

from __future__ import annotations

import re

from procfleet.importers.result import Report
from procfleet.validation import NAME_PATTERN, Where

NAME_RULE = "names are lowercase letters, digits and -, starting with a letter"


def is_portable(name: str) -> bool:
    """Whether name is already a valid app or process type name."""
    return bool(NAME_PATTERN.match(name)) and not name.endswith("-")


def portable(original: str) -> str | None:
    """The portable form of a name, or None when it cannot be made one without guessing."""
    name = re.sub(r"[_.\s]+", "-", original.strip().lower())
    return name if is_portable(name) else None


def type_name(original: str, where: Where, taken: dict[str, str], report: Report) -> str:
    """A process type's portable name, reported when changed; taken maps the names given so far to the names they
    came from."""
    name = portable(original)
    if name is None:
        raise where.error(f'"{original}" cannot be made a process type name ({NAME_RULE}, at most 63 characters)')
    if name in taken:
        raise where.error(f'"{original}" and "{taken[name]}" would both become the process type "{name}"')
    taken[name] = original
    if name != original:
        report.note(where.key, f'process type renamed "{name}" ({NAME_RULE})')
    return name


def app_name(original: str) -> str | None:
    """A portable app name from a project or job name ("My_Shop" → "my-shop"), or None."""
    name = re.sub(r"[^a-z0-9-]+", "-", original.strip().lower()).strip("-")
    name = re.sub(r"^[^a-z]+", "", name)[:63].rstrip("-")
    name = re.sub(r"-{2,}", "-", name)
    return name if is_portable(name) else None


def source_app_name(original: str, where: Where, report: Report) -> str | None:
    """The app name a source gives (a project, job or app name), made portable and reported when changed."""
    name = app_name(original)
    if name is None:
        report.skipped(where.key, f'"{original}" cannot be made an app name: the folder\'s name is used instead')
    elif name != original:
        report.note(where.key, f'app name "{original}" renamed "{name}" ({NAME_RULE})')
    return name
