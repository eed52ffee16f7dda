"""Names from other formats made portable (DESIGN §1): `_` and `.` become `-`, upper case becomes lower."""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection

from procfleet.importers.result import Report
from procfleet.validation import NAME_PATTERN, Where

NAME_RULE = "names are lowercase letters, digits and -, starting with a letter"
MAX_NAME = 63  # NAME_PATTERN's length limit


def is_portable(name: str) -> bool:
    """Whether name is already a valid app or process type name."""
    return bool(NAME_PATTERN.match(name)) and not name.endswith("-")


def portable(original: str) -> str | None:
    """The portable form of a name, or None when it cannot be made one without guessing."""
    name = _dashed(original)
    return name if is_portable(name) else None


def kept_name(original: str) -> str | None:
    """The portable form of a name that must not be refused (a Procfile's): portable()'s, with what may not start
    or end a name cut off and cut to 63 characters; None when no letter is left to start it."""
    name = re.sub(r"^[^a-z]+", "", _dashed(original))[:MAX_NAME].rstrip("-")
    return name if is_portable(name) else None


def _dashed(original: str) -> str:
    return re.sub(r"[_.\s]+", "-", original.strip().lower())


def unique_name(name: str, taken: Collection[str]) -> str:
    """name, or the first of name-2, name-3… that is not taken (cut so that it stays a portable name)."""
    candidates = itertools.chain([name], (_numbered(name, number) for number in itertools.count(2)))
    return next(candidate for candidate in candidates if candidate not in taken)


def _numbered(name: str, number: int) -> str:
    suffix = f"-{number}"
    return name[:MAX_NAME - len(suffix)].rstrip("-") + suffix


def renamed(original: str, name: str, reason: str) -> str:
    """The report's words for a process type whose name changed on the way, for formats that locate it by line."""
    return f'process type "{original}" renamed "{name}" ({reason})'


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
