"""What every screen must be, whatever the backend: as wide as the terminal at most, every name whole, and no
escape code at all when colour is off."""

from __future__ import annotations

import re

ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def plain(text: str) -> str:
    """The text without its escape codes."""
    return ESCAPE.sub("", text)


def assert_screen(text: str, columns: int, color: bool, whole: list[str]) -> None:
    """No line wider than the terminal, each of `whole` on some line as a word of its own (not cut, not folded
    over two lines), and escape codes only in colour."""
    if not color:
        assert "\x1b" not in text, f"escape codes with colour off:\n{text!r}"
    else:
        assert ESCAPE.search(text), f"no colour with --color always:\n{text}"
    lines = plain(text).splitlines()
    too_wide = [line for line in lines if len(line) > columns]
    assert not too_wide, f"wider than {columns} columns:\n" + "\n".join(too_wide)
    for word in whole:
        assert any(re.search(rf"(?<![\w.-]){re.escape(word)}(?![\w.-])", line) for line in lines), \
            f"{word} is not whole on any line at {columns} columns:\n" + "\n".join(lines)
