"""Compose's variable interpolation: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`,
`${VAR?error}`, `${VAR:+alternative}`, `${VAR+alternative}` and `$$` for a literal `$`, in every value (not keys).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from procfleet.importers.yamlfile import Override
from procfleet.validation import Where

NAME = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*")
BRACED = re.compile(r"^(?P<name>[_a-zA-Z][_a-zA-Z0-9]*)(?:(?P<op>:?[-?+])(?P<rest>.*))?$", re.DOTALL)

Unset = Callable[[str, Where], None]  # told about each variable that is not set (Compose warns, then uses "")


def interpolate_tree(node: Any, variables: Mapping[str, str], where: Where, unset: Unset) -> Any:
    """A copy of a parsed YAML tree with every string value interpolated."""
    if isinstance(node, str):
        return interpolate(node, variables, where, unset)
    if isinstance(node, dict):
        return {key: interpolate_tree(value, variables, where.child(str(key)), unset) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolate_tree(item, variables, Where(where.file, f"{where.key}[{index}]"), unset)
                for index, item in enumerate(node)]
    if isinstance(node, Override):
        return Override(interpolate_tree(node.value, variables, where, unset))
    return node


def interpolate(text: str, variables: Mapping[str, str], where: Where, unset: Unset) -> str:
    """One string with its variables substituted the way Compose substitutes them."""
    out: list[str] = []
    index = 0
    while index < len(text):
        dollar = text.find("$", index)
        if dollar < 0:
            out.append(text[index:])
            break
        out.append(text[index:dollar])
        following = text[dollar + 1:dollar + 2]
        if following == "$":
            out.append("$")
            index = dollar + 2
        elif following == "{":
            end = _closing_brace(text, dollar + 2, where)
            out.append(_braced(text[dollar + 2:end], variables, where, unset))
            index = end + 1
        elif match := NAME.match(text, dollar + 1):
            out.append(_value(match.group(), variables, where, unset))
            index = match.end()
        else:
            raise where.error(f'invalid interpolation in "{text}" at "{text[dollar:dollar + 10]}": write $$ for a '
                              "literal $")
    return "".join(out)


def _closing_brace(text: str, start: int, where: Where) -> int:
    depth = 1
    index = start
    while index < len(text):
        if text.startswith("$$", index):
            index += 2
            continue
        if text.startswith("${", index):
            depth += 1
            index += 2
            continue
        if text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    raise where.error(f'invalid interpolation in "{text}": a "${{" is never closed')


def _braced(inner: str, variables: Mapping[str, str], where: Where, unset: Unset) -> str:
    match = BRACED.match(inner)
    if not match:
        raise where.error(f'invalid interpolation "${{{inner}}}": expected ${{NAME}}, ${{NAME:-default}} or similar')
    name, op, rest = match.group("name"), match.group("op"), match.group("rest") or ""
    value = variables.get(name)
    if op is None:
        return _value(name, variables, where, unset)
    empty_counts = op.startswith(":")  # with ":", an empty value counts as unset
    missing = value is None or (empty_counts and value == "")
    kind = op[-1]
    if kind == "-":
        return interpolate(rest, variables, where, unset) if missing else str(value)
    if kind == "+":
        return "" if missing else interpolate(rest, variables, where, unset)
    if missing:
        message = interpolate(rest, variables, where, unset) or "it is not set"
        raise where.error(f"required variable {name} is missing a value: {message}")
    return str(value)


def _value(name: str, variables: Mapping[str, str], where: Where, unset: Unset) -> str:
    value = variables.get(name)
    if value is None:
        unset(name, where)
        return ""
    return value
