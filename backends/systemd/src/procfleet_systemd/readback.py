"""The inverse of escape.py and translate.py: a type's command and environment read back from the files procfleet
wrote, for `import --from-backend systemd` and plan's field diff. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

from procfleet.shellcommand import without_exec

_UNESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "s": " "}
_PREAMBLE = re.compile(r"^export PORT=\$\(\((?P<before>\d+) \+ %i\)\); ")
ARGV_SCRIPT = 'exec "$@"'


@dataclass(frozen=True)
class Command:
    """What an ExecStart= of procfleet's runs: a shell line, or an argv; and instance 1's PORT."""

    command: str | None
    argv: tuple[str, ...] | None
    first_port: int


def words(value: str) -> list[str]:
    """ExecStart='s words as systemd splits them (double-quoted C-escaped words, or bare ones)."""
    found: list[str] = []
    index = 0
    while index < len(value):
        if value[index].isspace():
            index += 1
            continue
        word: list[str] = []
        quoted = value[index] == '"'
        index += quoted
        while index < len(value) and (quoted or not value[index].isspace()):
            char = value[index]
            if quoted and char == '"':
                index += 1
                break
            if char == "\\" and index + 1 < len(value):
                escape = value[index + 1]
                if escape == "x":
                    word.append(chr(int(value[index + 2:index + 4], 16)))
                    index += 4
                    continue
                word.append(_UNESCAPES.get(escape, escape))
                index += 2
                continue
            word.append(char)
            index += 1
        found.append("".join(word))
    return found


def unescaped(word: str) -> str:
    """A word as the program receives it: `$$` and `%%` made single again."""
    return word.replace("$$", "$").replace("%%", "%")


def command(exec_start: str) -> Command | None:
    """The command procfleet wrote into ExecStart=; None when it is not one of procfleet's shape."""
    split = [unescaped(word) for word in words(exec_start)]
    if len(split) < 3 or split[:2] != ["/bin/sh", "-c"]:
        return None
    found = _PREAMBLE.match(split[2])
    if found is None:
        return None
    script = split[2][found.end():]
    first_port = int(found.group("before")) + 1
    if script == ARGV_SCRIPT and len(split) >= 4:
        return Command(None, tuple(split[4:]), first_port)
    return Command(without_exec(script), None, first_port)


def env_file(text: str) -> dict[str, str]:
    """The values of an environment file procfleet wrote (`NAME="…"`, backslash escapes, newlines kept)."""
    values: dict[str, str] = {}
    index = 0
    while index < len(text):
        end = text.find("\n", index)
        end = len(text) if end < 0 else end
        line = text[index:end]
        if line.startswith("#") or '="' not in line:
            index = end + 1
            continue
        name = line.split("=", 1)[0]
        index += len(name) + 2
        value: list[str] = []
        while index < len(text) and text[index] != '"':
            if text[index] == "\\" and index + 1 < len(text):
                index += 1
            value.append(text[index])
            index += 1
        values[name] = "".join(value)
        index = text.find("\n", index)
        index = len(text) if index < 0 else index + 1
    return values
