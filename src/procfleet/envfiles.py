"""Env files read with Compose's rules, so that a value means the same on every backend.

Compose references the files and reads them itself (compose-go's dotenv); for the other backends procfleet reads
them, with python-dotenv's parser and Compose's meaning: a single-quoted value is taken literally, a double-quoted
or bare one is interpolated (`$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:+alt}`, `$$` for a
dollar) from the caller's environment, then from the keys the file set above it. python-dotenv alone would
interpolate single-quoted values too, and leave `$VAR` as it is.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path

from dotenv.parser import parse_stream

_SINGLE_QUOTED = re.compile(r"^\s*(?:export\s+)?[^=#\s]+\s*=\s*'")
_REFERENCE = re.compile(r"\$(?:(?P<dollar>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-+?])(?P<arg>[^}]*))?\}"
                        r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")


def interpolate(text: str, lookup: Callable[[str], str | None]) -> str:
    """Compose's substitution (compose-go template.Substitute) of a value; an unset variable is empty."""

    def one(found: re.Match[str]) -> str:
        if found.group("dollar"):
            return "$"
        name = found.group("braced") or found.group("bare")
        value, op, arg = lookup(name), found.group("op"), found.group("arg") or ""
        if op is None:
            return value or ""
        missing = value is None or (op.startswith(":") and value == "")
        if op.endswith("-"):
            return arg if missing else str(value)
        if op.endswith("+"):
            return "" if missing else arg
        return "" if missing else str(value)  # `?`: Compose refuses; procfleet leaves it empty, as for unset

    return _REFERENCE.sub(one, text)


def read_env_file(path: Path, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The file's keys and values; a bare `KEY` line, a comment or a line that does not parse sets nothing."""
    caller = os.environ if environ is None else environ
    values: dict[str, str] = {}
    with path.open(encoding="utf-8") as stream:
        for binding in parse_stream(stream):
            if binding.error or binding.key is None or binding.value is None:
                continue
            if _SINGLE_QUOTED.match(binding.original.string):
                values[binding.key] = binding.value
            else:
                values[binding.key] = interpolate(binding.value, lambda name: caller.get(name, values.get(name)))
    return values
