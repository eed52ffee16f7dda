"""Quoting for unit files and environment files, so that systemd hands the program exactly the text written.

systemd reads a unit file's value in three passes: `%` specifiers are expanded (`%%` is a `%`), the value is split
into words with C escapes inside double quotes (`\\"`, `\\\\`, `\\n`), and in ExecStart= `$NAME` and `${NAME}` are then
replaced from the environment (`$$` is a `$`). An environment file is read like a shell's assignments instead, and
nothing in it is expanded.
"""

from __future__ import annotations

import re

_C_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# what a double-quoted value of an environment file escapes with a backslash (systemd's SHELL_NEED_ESCAPE)
_ENV_FILE_ESCAPES = re.compile(r'(["\\`$])')
# systemd takes only these names from Environment= and environment files (env_name_is_valid), ignoring the rest
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")


def specifiers(text: str) -> str:
    """The text with `%` doubled, so that systemd expands no specifier in it."""
    return text.replace("%", "%%")


def _quoted(text: str) -> str:
    """The text as one double-quoted word, C-escaped."""
    escaped = "".join(_C_ESCAPES.get(char, char) for char in text)
    return '"' + _CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", escaped) + '"'


def exec_word(text: str) -> str:
    """One word of ExecStart= that the program receives as written: no specifier, no variable expanded."""
    return _quoted(specifiers(text).replace("$", "$$"))


def assignment(name: str, value: str, *, expand: bool = False) -> str:
    """One `"NAME=value"` of Environment=; with expand, systemd's specifiers in value (`%i`) are meant."""
    return _quoted(f"{name}={value if expand else specifiers(value)}")


def env_file_line(name: str, value: str) -> str:
    """`NAME="value"` as systemd's environment file parser reads it back unchanged (newlines kept)."""
    escaped = _ENV_FILE_ESCAPES.sub(r"\\\1", value)
    return f'{name}="{escaped}"'


def path(text: str) -> str:
    """A path for WorkingDirectory= or EnvironmentFile=: taken whole, specifiers escaped."""
    return specifiers(text)
