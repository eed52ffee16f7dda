"""Parsing and printing of durations ("1m30s") and memory sizes ("256M")."""

from __future__ import annotations

import re

_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)")  # ASCII digits only: a fullwidth digit is no number
_DURATION_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_MEMORY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)[ \t]*([KMGT]?)(i?B?)\Z", re.IGNORECASE)
_MEMORY_FACTOR = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def parse_duration(text: str) -> float:
    """Return the seconds in a Go-style duration such as "500ms", "10s" or "1m30s"."""
    text = text.strip()
    if not text:
        raise ValueError("empty duration")
    position = 0
    total = 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != position:
            break
        total += float(match.group(1)) * _DURATION_SECONDS[match.group(2)]
        position = match.end()
    if position != len(text):
        raise ValueError(f'expected a duration like "500ms", "10s" or "1m30s", got "{text}"')
    return total


def format_duration(seconds: float) -> str:
    """Print seconds the way a user would write them ("1m30s", "500ms")."""
    if seconds < 1 and seconds != 0:
        return f"{round(seconds * 1000)}ms"
    whole = int(seconds)
    if whole != seconds:
        return f"{seconds:g}s"
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else "", f"{secs}s" if secs else ""]
    return "".join(parts) or "0s"


def parse_memory(text: str) -> int:
    """Return the bytes in a size such as "256M", "1G" or "512MiB" (binary units, as Docker reads them)."""
    match = _MEMORY.match(text.strip())
    if not match:
        raise ValueError(f'expected a size like "256M" or "1G", got "{text}"')
    number, unit = float(match.group(1)), match.group(2).upper()
    return int(number * _MEMORY_FACTOR[unit])


def format_memory(size: int) -> str:
    """Print bytes in the largest binary unit that divides them ("256M")."""
    for unit in ("T", "G", "M", "K"):
        factor = _MEMORY_FACTOR[unit]
        if size % factor == 0 and size >= factor:
            return f"{size // factor}{unit}"
    return str(size)
