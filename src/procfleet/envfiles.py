"""Env files read with Compose's rules, so that a value means the same on every backend.

Compose references the files and reads them itself (compose-go's dotenv); for the other backends procfleet reads
them, with python-dotenv's parser and Compose's meaning: a single-quoted value is taken literally, a double-quoted
or bare one is interpolated (`$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:+alt}`, `$$` for a
dollar) from the caller's environment, then from the keys the file set above it. python-dotenv alone would
interpolate single-quoted values too, and leave `$VAR` as it is.

A line is refused, never skipped, when either reader would not take it as a variable, a bare name, a comment or a
blank: what python-dotenv cannot parse, and what Compose refuses (a name with a character other than letters, digits
and `_.-[]`, such as a quote, a `#` or a backslash).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # python-dotenv is imported when a file is read: a formation without env files never pays for it
    from dotenv.parser import Binding

_SINGLE_QUOTED = re.compile(r"^\s*(?:export\s+)?[^=#\s]+\s*=\s*'")
# compose-go's dotenv takes letters, digits and `_.-[]` in a name and refuses any other character; `\w` is
# Python's letters, digits and `_`
_NAME = r"(?:export\s+)?(?P<name>[\w.\-\[\]]+)\s*"
_ASSIGNMENT = re.compile(rf"\s*{_NAME}=")
_BARE_NAME = re.compile(rf"\s*{_NAME}\Z")
_LINE_BREAK = re.compile(r"\r\n|\n|\r")  # python-dotenv counts lines by these
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


class EnvFileSyntaxError(ValueError):
    """A line of an env file that is not a variable, a bare name, a comment or a blank line."""

    message = "cannot parse this line (expected NAME=value, export NAME=value, a comment or a blank line)"

    def __init__(self, line: int) -> None:
        super().__init__(f"line {line}: {self.message}")
        self.line = line


def read_env_file(path: Path, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The file's keys and values (a bare `KEY` line or a comment sets nothing); raises EnvFileSyntaxError."""
    from dotenv.parser import parse_stream

    caller = os.environ if environ is None else environ
    values: dict[str, str] = {}
    with path.open(encoding="utf-8") as stream:
        # parse_stream reports a bad line as a binding with error set; only dotenv_values and load_dotenv log
        # python-dotenv's "could not parse" warning, and they are not called here
        for binding in parse_stream(stream):
            if binding.error or not _read_alike(binding):
                raise EnvFileSyntaxError(_line_of(binding))
            if binding.key is None or binding.value is None:
                continue
            if _SINGLE_QUOTED.match(binding.original.string):
                values[binding.key] = binding.value
            else:
                values[binding.key] = interpolate(binding.value, lambda name: caller.get(name, values.get(name)))
    return values


def _read_alike(binding: Binding) -> bool:
    """Whether the name python-dotenv found is written as Compose takes one, with nothing else on a bare line."""
    # python-dotenv unquotes `'A'=1`, reads `A#x` as a bare `A` and lets any character but `=`, `#` and spaces into
    # a name; compose-go refuses all three
    if binding.key is None:
        return True  # a comment or blank lines
    pattern = _BARE_NAME if binding.value is None else _ASSIGNMENT
    found = pattern.match(binding.original.string)
    return found is not None and found.group("name") == binding.key


def _line_of(binding: Binding) -> int:
    """The line the statement is on: python-dotenv's line is where the blank lines before it begin."""
    text = binding.original.string
    return binding.original.line + len(_LINE_BREAK.findall(text[:len(text) - len(text.lstrip())]))
