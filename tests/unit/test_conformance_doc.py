"""docs/conformance.md's table of declared differences is the one the installed backends declare."""

from __future__ import annotations

import os
from pathlib import Path

from procfleet import registry
from procfleet.backend import BEHAVIOURS, declared_differences

DOC = Path(__file__).resolve().parents[2] / "docs" / "conformance.md"
START, END = "<!-- differences:start -->", "<!-- differences:end -->"


def generated_table() -> str:
    """The Markdown table: one row per backend and behaviour it declares it cannot meet the same way."""
    rows = ["| backend | behaviour (what the suite asserts elsewhere) | what happens instead |", "|---|---|---|"]
    for name in sorted(registry.discover()):
        for behaviour, instead in declared_differences(registry.load(name)).items():
            rows.append(f"| {name} | `{behaviour}`: {BEHAVIOURS[behaviour]} | {instead} |")
    return "\n".join(rows)


def test_the_differences_table_is_generated_from_the_backends() -> None:
    text = DOC.read_text()
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    wanted = f"{before}{START}\n{generated_table()}\n{END}{after}"
    if os.environ.get("PROCFLEET_UPDATE_GOLDEN") == "1":
        DOC.write_text(wanted)
    assert text == wanted, "docs/conformance.md is out of date: run with PROCFLEET_UPDATE_GOLDEN=1"
