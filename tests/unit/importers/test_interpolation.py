"""Compose's interpolation forms, each against unset, empty and set variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from procfleet.errors import FormationError
from procfleet.importers.interpolation import interpolate
from procfleet.validation import Where

VARIABLES = {"SET": "value", "EMPTY": ""}
WHERE = Where(Path("compose.yaml"), "services.web.command")


def _run(text: str) -> tuple[str, list[str]]:
    unset: list[str] = []
    result = interpolate(text, VARIABLES, WHERE, lambda name, where: unset.append(name))
    return result, unset


@pytest.mark.parametrize(("text", "expected"), [
    ("plain", "plain"),
    ("$SET and ${SET}", "value and value"),
    ("${SET:-d} ${EMPTY:-d} ${UNSET:-d}", "value d d"),
    ("${SET-d} ${EMPTY-d} ${UNSET-d}", "value  d"),
    ("${SET:+alt} ${EMPTY:+alt} ${UNSET:+alt}", "alt  "),
    ("${SET+alt} ${EMPTY+alt} ${UNSET+alt}", "alt alt "),
    ("${EMPTY?ok}", ""),
    ("${UNSET:-${SET}}/${UNSET:-${ALSO_UNSET:-deep}}", "value/deep"),
    ("$$SET costs $$5 and $${SET}", "$SET costs $5 and ${SET}"),
    ("${SET}_suffix $SET_suffix", "value_suffix "),
    ("multi\nline $SET", "multi\nline value"),
])
def test_forms(text: str, expected: str) -> None:
    """Each form resolves as Compose resolves it (`:` makes an empty value count as unset)."""
    assert _run(text)[0] == expected


def test_unset_variables_are_reported_and_blank() -> None:
    """An unset variable without a default is a blank string, and the caller hears of it (Compose warns)."""
    assert _run("a${UNSET}b$OTHER") == ("ab", ["UNSET", "OTHER"])


@pytest.mark.parametrize(("text", "message"), [
    ("${UNSET:?set it in .env}", "required variable UNSET is missing a value: set it in .env"),
    ("${EMPTY:?}", "required variable EMPTY is missing a value: it is not set"),
    ("${UNSET?needed}", "required variable UNSET is missing a value: needed"),
    ("cost: 5$", "invalid interpolation"),
    ("${SET", 'a "${" is never closed'),
    ("${1BAD}", "invalid interpolation"),
])
def test_errors_name_the_file_and_key(text: str, message: str) -> None:
    """Required variables and malformed templates are errors at the key path, as in Compose."""
    with pytest.raises(FormationError) as caught:
        _run(text)
    assert str(caught.value).startswith("compose.yaml: services.web.command: ")
    assert message in str(caught.value)
