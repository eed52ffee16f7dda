"""Env files mean what Compose makes of them: single quotes literal, the rest interpolated."""

from __future__ import annotations

from pathlib import Path

import pytest

from procfleet.envfiles import interpolate, read_env_file

FILE = r"""# a comment
PLAIN=plain value
SINGLE='pa${ss}word $HOME'
DOUBLE="two\nlines ${PLAIN}"
REF=$PLAIN-x
DOLLAR=cost $$5
export EXPORTED=yes
BARE
"""


def test_single_quotes_are_literal_and_the_rest_is_interpolated(tmp_path: Path) -> None:
    path = tmp_path / "app.env"
    path.write_text(FILE)
    assert read_env_file(path, {"HOME": "/root", "ss": "SS"}) == {
        "PLAIN": "plain value", "SINGLE": "pa${ss}word $HOME", "DOUBLE": "two\nlines plain value",
        "REF": "plain value-x", "DOLLAR": "cost $5", "EXPORTED": "yes"}


def test_the_callers_environment_comes_before_the_files_own_keys(tmp_path: Path) -> None:
    """compose-go dotenv ExpandVariables: the lookup (the caller's environment) first, then the file."""
    path = tmp_path / "app.env"
    path.write_text("A=file\nB=${A}\n")
    assert read_env_file(path, {"A": "caller"})["B"] == "caller"
    assert read_env_file(path, {})["B"] == "file"


@pytest.mark.parametrize(("text", "expected"), [
    ("${UNSET:-d}", "d"), ("${EMPTY:-d}", "d"), ("${EMPTY-d}", ""), ("${SET-d}", "v"), ("${SET:+alt}", "alt"),
    ("${UNSET:+alt}", ""), ("$UNSET", ""), ("$$SET", "$SET"), ("${SET}${SET}", "vv"),
])
def test_compose_substitution_forms(text: str, expected: str) -> None:
    values = {"SET": "v", "EMPTY": ""}
    assert interpolate(text, values.get) == expected
