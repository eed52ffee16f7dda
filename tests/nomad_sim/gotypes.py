"""Go standard-library behaviours that show through Nomad's API: ParseBool, durations, zero times."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from .errors import ApiError

SECOND = 1_000_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE

# Go marshals a zero time.Time like this; Nomad's TaskState.StartedAt/FinishedAt show it before a task runs.
ZERO_TIME = "0001-01-01T00:00:00Z"

_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}
_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": SECOND, "m": MINUTE, "h": HOUR}
_PART = re.compile(r"(\d*\.?\d*)(ns|us|µs|μs|ms|s|m|h)")


def parse_bool(field: str, value: str) -> bool:
    """strconv.ParseBool as Nomad's query parsing uses it; a bad value is a 500 (reference §4 DELETE)."""
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ApiError(
        500,
        f'Failed to parse value of "{field}" ({value}) as a bool: strconv.ParseBool: parsing "{value}": invalid syntax',
    )


def parse_duration(text: str) -> int:
    """time.ParseDuration, returning nanoseconds; raises ValueError on bad input."""
    body = text.lstrip("+-")
    if body == "0":
        return 0
    if not body:
        raise ValueError(f"time: invalid duration {text!r}")
    total = 0.0
    pos = 0
    for match in _PART.finditer(body):
        if match.start() != pos or match.group(1) in ("", "."):
            raise ValueError(f"time: invalid duration {text!r}")
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(body):
        raise ValueError(f"time: invalid duration {text!r}")
    return -int(total) if text.startswith("-") else int(total)


def _fraction(value: int, digits: int) -> str:
    """Render value / 10**digits with trailing zeros trimmed, as Go's fmtFrac does."""
    whole, frac = divmod(value, 10**digits)
    text = str(frac).rjust(digits, "0").rstrip("0")
    return f"{whole}.{text}" if text else str(whole)


def format_duration(ns: int) -> str:
    """time.Duration.String: 5s, 30m0s, 24h0m0s, 1.5s, 100ms."""
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    ns = abs(ns)
    if ns < 1_000:
        return f"{sign}{ns}ns"
    if ns < 1_000_000:
        return f"{sign}{_fraction(ns, 3)}µs"
    if ns < SECOND:
        return f"{sign}{_fraction(ns, 6)}ms"
    hours, rest = divmod(ns, HOUR)
    minutes, rest = divmod(rest, MINUTE)
    seconds = _fraction(rest, 9) + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}"
    if minutes:
        return f"{sign}{minutes}m{seconds}"
    return f"{sign}{seconds}"


def rfc3339(ns: int) -> str:
    """A Unix time in nanoseconds as Go marshals a time.Time (RFC 3339, UTC)."""
    stamp = datetime.fromtimestamp(ns / SECOND, tz=UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ns % SECOND:09d}Z"
