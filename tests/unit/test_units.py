"""Durations and sizes read and print the way users write them."""

from __future__ import annotations

import pytest

from procfleet.units import format_duration, format_memory, parse_duration, parse_memory


@pytest.mark.parametrize(("text", "seconds"), [("500ms", 0.5), ("10s", 10), ("1m30s", 90), ("2h", 7200),
                                               ("1h1m1s", 3661), ("0s", 0), ("1.5s", 1.5)])
def test_durations(text: str, seconds: float) -> None:
    """Go-style durations become seconds."""
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "10", "s", "10 s", "1m30", "ten seconds", "-1s", "1d"])
def test_bad_durations(text: str) -> None:
    """Anything else is refused."""
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


@pytest.mark.parametrize(("seconds", "text"), [(0.5, "500ms"), (10, "10s"), (90, "1m30s"), (3600, "1h"), (0, "0s")])
def test_duration_round_trip(seconds: float, text: str) -> None:
    """Printing gives back what a user would write."""
    assert format_duration(seconds) == text
    assert parse_duration(format_duration(seconds)) == seconds


@pytest.mark.parametrize(("text", "size"), [("256M", 256 * 2**20), ("1G", 2**30), ("512Mi", 512 * 2**20),
                                            ("64KB", 64 * 1024), ("1g", 2**30), ("100", 100)])
def test_sizes(text: str, size: int) -> None:
    """Sizes use binary units, as Docker reads them."""
    assert parse_memory(text) == size


def test_size_printing() -> None:
    """Sizes print in the largest exact unit."""
    assert format_memory(256 * 2**20) == "256M"
    assert format_memory(2**30) == "1G"
    assert format_memory(1500) == "1500"
