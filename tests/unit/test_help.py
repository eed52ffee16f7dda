"""The help a person reads at 80 columns: whole summaries, examples that parse, placeholders that say what to type."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable

import pytest
import typer

from procfleet.cli import app
from tests.conftest import CliResult

_command = typer.main.get_command(app)
assert isinstance(_command, typer.core.TyperGroup)
GROUP = _command
COMMANDS = [name for name, command in GROUP.commands.items() if not command.hidden]
# What Click and typer print for a parameter without a metavar: its type (`<path>`, `FLOAT RANGE`), `{argv}`.
INTERNAL = re.compile(r"<[a-z ]+>|\{\w+\}|\b(TEXT|PATH|FLOAT|INTEGER|BOOLEAN|FILENAME|DIRECTORY|RANGE)\b")


def _help(cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch, *args: str,
          columns: str | None = "80") -> str:
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    result = cli(*args, "--help")
    assert result.code == 0 and result.err == "", result
    return result.out


def test_the_visible_commands() -> None:
    assert COMMANDS == ["check", "render", "backends", "import", "plan", "deploy", "scale", "ps", "restart", "logs",
                        "run", "down", "migrate"]


@pytest.mark.parametrize("columns", ["80", None], ids=["80 columns", "piped"])
def test_every_summary_is_whole_in_the_command_list(columns: str | None, cli: Callable[..., CliResult],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Click would cut a summary at 45 characters with "..."; each is its docstring's first line, wrapped."""
    text = _help(cli, monkeypatch, columns=columns)
    listing = text.split("\nCommands:\n", 1)[1].split("\n\n", 1)[0]
    summaries: dict[str, str] = {}
    for line in listing.splitlines():
        name, _, rest = line.strip().partition(" ")
        if line.startswith("  ") and not line.startswith("   "):
            summaries[name] = rest.strip()
        else:
            summaries[list(summaries)[-1]] += " " + line.strip()
    assert list(summaries) == COMMANDS
    for name in COMMANDS:
        doc = GROUP.commands[name].callback.__doc__
        assert doc and summaries[name] == doc.strip().splitlines()[0], name
    assert "..." not in listing


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_fits_80_columns_with_real_placeholders_and_examples(command: str | None, cli: Callable[..., CliResult],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """No line past 80 columns, no `<path>` or `FLOAT RANGE`, and an Examples section of commands that parse."""
    text = _help(cli, monkeypatch, *([command] if command else []))
    assert max(len(line) for line in text.splitlines()) <= 80, text
    found = [match.group(0) for line in text.splitlines() if not line.startswith("    procfleet ")
             for match in [INTERNAL.search(line)] if match]
    assert found == [], text
    usage = text.splitlines()[0].partition("[OPTIONS]")[2]
    assert not re.search("[a-z]", usage), text  # `[TYPE]...`, not the parameter's name `[types]...`
    examples = [line.split("#")[0].split(">")[0].strip() for line in text.split("\n  Examples:\n", 1)[1].splitlines()]
    assert examples and all(line.startswith(f"procfleet {command or ''}") for line in examples), text
    for example in examples if command else ():
        _parses(shlex.split(example)[1:])


def _parses(argv: list[str]) -> None:
    """The example's options exist and take the values given (Click's parsing, nothing run)."""
    root = GROUP.make_context("procfleet", [*argv], resilient_parsing=False)
    name, command, rest = GROUP.resolve_command(root, root._protected_args + root.args)
    assert command is not None, argv
    with command.make_context(name, rest, parent=root):
        pass


def test_run_without_a_command_says_how_to_give_one(cli: Callable[..., CliResult]) -> None:
    result = cli("run", "--type", "web")
    assert result.code == 2 and "procfleet run [--type TYPE] -- COMMAND [ARG]..." in result.err, result


def test_a_negative_timeout_is_refused_as_usage(cli: Callable[..., CliResult]) -> None:
    """Checked by the option's callback, which keeps Click's `x>=0` out of --help."""
    result = cli("deploy", "--timeout", "-1")
    assert result.code == 2 and "-1.0 is not a number of seconds (0 or more)" in result.err, result
