"""README.md starts with the two commands a fresh machine needs, and CI runs the second one verbatim."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S)[:2]]


def test_readme_starts_with_two_commands() -> None:
    """The first two blocks are one command each: run the example, run the tests."""
    run_example, run_tests = _readme_commands()
    assert "\n" not in run_example and "\n" not in run_tests
    assert "examples/01-hello" in run_example and "procfleet deploy" in run_example
    assert "nox" in run_tests
    first_block = (ROOT / "README.md").read_text().split("```sh\n", 1)[0]
    assert first_block.strip() == "# procfleet"


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run contains the README's test command as a line of its own."""
    _, run_tests = _readme_commands()
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert run_tests in lines
