"""Small checks shared by the formation schema and the backends' option tables."""

from __future__ import annotations

import math
import re
import signal
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from procfleet.errors import FormationError, quoted
from procfleet.units import parse_duration, parse_memory

# \Z, not $: `$` also matches before a trailing newline, which would let "web\n" through.
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,62}\Z")
# Dots and dashes after the first character too: programs read such names (Elasticsearch's discovery.type, as
# Compose files set it), though a shell cannot expand them.
ENV_NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*\Z")
T = TypeVar("T")


def describe(value: Any) -> str:
    """Show a TOML value in an error message the way the user wrote it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return quoted(value)
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return str(value)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ' (did you mean "x"?)' suffix when a close match exists, else ''."""
    import difflib  # only when a name is wrong: the supervisor and every good run skip its import

    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f' (did you mean "{matches[0]}"?)' if matches else ""


@dataclass(frozen=True)
class Where:
    """A position in a formation file: the file and a dotted key path, for error messages."""

    file: Path
    key: str

    def child(self, name: str) -> Where:
        """The position of a key inside this table."""
        return Where(self.file, f"{self.key}.{name}" if self.key else name)

    def error(self, message: str) -> FormationError:
        """An error at this position."""
        return FormationError(self.file, self.key, message)


def table(value: Any, where: Where) -> Mapping[str, Any]:
    """Require a TOML table."""
    if not isinstance(value, Mapping):
        raise where.error(f"expected a table, got {describe(value)}")
    return value


def unknown_type(name: str, names: Iterable[str]) -> str:
    """The message for a process type the formation does not have, with the closest one and the whole list."""
    names = list(names)
    return f'no process type {quoted(name)}{did_you_mean(name, names)}; the formation has: {", ".join(names)}'


def reject_unknown(data: Mapping[str, Any], allowed: Iterable[str], where: Where) -> None:
    """Fail on the first key not in allowed, suggesting the closest allowed key."""
    allowed = list(allowed)
    for key in data:
        if key not in allowed:
            hint = did_you_mean(key, allowed)
            known = ", ".join(allowed)
            raise where.child(key).error(f"unknown key{hint}; known keys: {known}")


def string(value: Any, where: Where, *, allow_empty: bool = False) -> str:
    """Require a string (non-empty unless allowed)."""
    if not isinstance(value, str):
        raise where.error(f"expected a string, got {describe(value)}")
    if not allow_empty and not value.strip():
        raise where.error("must not be empty")
    if "\0" in value:
        # no program can receive it (argv and the environment are C strings): exec would fail at every start
        raise where.error("must not contain a NUL byte")
    return value


def name(value: Any, where: Where, what: str = "name") -> str:
    """Require a portable lowercase DNS-label name (DESIGN §1)."""
    text = string(value, where)
    if not NAME_PATTERN.match(text) or text.endswith("-"):
        raise where.error(
            f'invalid {what} {describe(text)}: use lowercase letters, digits and "-", '
            "starting with a letter and not ending with \"-\", at most 63 characters"
        )
    return text


def integer(value: Any, where: Where, *, minimum: int = 0, maximum: int | None = None,
            what: str = "a non-negative integer") -> int:
    """Require an integer within bounds."""
    out_of_range = isinstance(value, int) and not isinstance(value, bool) and (
        value < minimum or (maximum is not None and value > maximum)
    )
    if not isinstance(value, int) or isinstance(value, bool) or out_of_range:
        raise where.error(f"expected {what}, got {describe(value)}")
    return value


def number(value: Any, where: Where, *, what: str = "a positive number") -> float:
    """Require a positive int or float."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise where.error(f"expected {what}, got {describe(value)}")
    return float(value)


def boolean(value: Any, where: Where) -> bool:
    """Require true or false."""
    if not isinstance(value, bool):
        raise where.error(f"expected true or false, got {describe(value)}")
    return value


def _parsed(parse: Callable[[str], T], value: Any, where: Where, what: str) -> T:
    if not isinstance(value, str):
        raise where.error(f"expected {what}, got {describe(value)}")
    try:
        return parse(value)
    except ValueError as exc:
        raise where.error(str(exc)) from None


def duration(value: Any, where: Where) -> float:
    """Require a duration string ("500ms", "10s", "1m30s") or a number of seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value >= 0:
        return float(value)
    return _parsed(parse_duration, value, where, 'a duration like "10s"')


def memory(value: Any, where: Where) -> int:
    """Require a memory size string ("256M", "1G")."""
    size = _parsed(parse_memory, value, where, 'a size like "256M"')
    if size <= 0:
        raise where.error(f"expected a positive size, got {describe(value)}")
    return size


def signal_name(value: Any, where: Where) -> str:
    """Require a signal name; "TERM" and "sigterm" are normalised to "SIGTERM"."""
    text = string(value, where).strip().upper()
    canonical = text if text.startswith("SIG") else f"SIG{text}"
    known = [s.name for s in signal.Signals if not s.name.startswith("SIG_")]
    if canonical not in known:
        raise where.error(f"unknown signal {describe(value)}{did_you_mean(canonical, known)}")
    return canonical


def choice(value: Any, where: Where, choices: Iterable[str]) -> str:
    """Require one of a fixed set of strings."""
    options = list(choices)
    text = string(value, where)
    if text not in options:
        allowed = " | ".join(options)
        raise where.error(f"expected one of {allowed}, got {describe(value)}{did_you_mean(text, options)}")
    return text


def env_table(value: Any, where: Where) -> dict[str, str]:
    """Require a table of env var names to scalar values (numbers and booleans become strings)."""
    result: dict[str, str] = {}
    for key, raw in table(value, where).items():
        at = where.child(key)
        if not ENV_NAME_PATTERN.match(key):
            raise at.error("invalid environment variable name: use letters, digits, _, . and -, starting with a "
                           "letter or _")
        if isinstance(raw, bool):
            result[key] = "true" if raw else "false"
        elif isinstance(raw, str) and "\0" in raw:
            raise at.error("must not contain a NUL byte (no program can receive one in its environment)")
        elif isinstance(raw, float) and not math.isfinite(raw):
            raise at.error(f"expected a finite number, got {describe(raw)}")
        elif isinstance(raw, str | int | float):
            result[key] = str(raw)
        else:
            raise at.error(f"expected a string, number or boolean, got {describe(raw)}")
    return result


def ports_by_type(value: Any, where: Where, what: str) -> dict[str, int]:
    """Require a table of process type names to ports; `what` names the port in errors ("a host port")."""
    ports = {}
    for key, port in table(value, where).items():
        name(key, where.child(key), "process type name")
        ports[key] = integer(port, where.child(key), minimum=1, maximum=65535, what=f"{what} between 1 and 65535")
    return ports


def string_list(value: Any, where: Where) -> list[str]:
    """Require a string or an array of strings."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise where.error(f"expected a string or an array of strings, got {describe(value)}")
    return [string(item, Where(where.file, f"{where.key}[{index}]")) for index, item in enumerate(items)]
