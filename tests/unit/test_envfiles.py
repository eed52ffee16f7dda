"""Env files mean what Compose makes of them: single quotes literal, the rest interpolated."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from procfleet.envfiles import EnvFileSyntaxError, interpolate, read_env_file
from tests.conftest import CliResult

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


# The odd lines, each as `docker compose config` (v2.40.3) read it from a service's env_file, with JUSTTEXT, A and
# B set in its environment; procfleet accepts what both Compose and python-dotenv read, with Compose's value.
ACCEPTED = [
    ("A=1 # comment\n", {"A": "1"}),  # Compose: A=1 (an inline comment after a space is cut off)
    ("A=1#c\n", {"A": "1#c"}),  # Compose: A=1#c (no space: part of the value)
    ("#comment\n", {}),  # Compose: nothing
    ("  # indented comment\n", {}),  # Compose: nothing
    ("   \n", {}),  # a line of only spaces; Compose: nothing
    (" \t \n\n", {}),  # Compose: nothing
    ("export A=1\n", {"A": "1"}),  # Compose: A=1
    ("export  A=1\n", {"A": "1"}),  # Compose: A=1
    ("exportA=1\n", {"exportA": "1"}),  # Compose: exportA=1
    ("JUSTTEXT\n", {}),  # Compose: JUSTTEXT from its environment; procfleet: a bare name sets nothing
    ("export A\n", {}),  # Compose: A from its environment; procfleet: a bare name sets nothing
    ("export\n", {}),  # Compose: nothing
    ("A =1\n", {"A": "1"}),  # Compose: A=1
    ("A= 1\n", {"A": "1"}),  # Compose: A=1
    ("A==1\n", {"A": "=1"}),  # Compose: A==1
    ("A=x y\n", {"A": "x y"}),  # Compose: A=x y
    ("A=\n", {"A": ""}),  # Compose: A empty
    ("A=#x\n", {"A": "#x"}),  # Compose: A=#x
    ('A="x" # c\n', {"A": "x"}),  # Compose: A=x
    # names of letters, digits and `_.-[]`; Compose: the same five
    ("A.B-c=1\nA[0]=2\n1A=3\n-A=4\nÄ=5\n", {"A.B-c": "1", "A[0]": "2", "1A": "3", "-A": "4", "Ä": "5"}),
    ('A="a\nb"\n', {"A": "a\nb"}),  # Compose: a newline inside double quotes
    ("A=1\r\nB=2\r\n", {"A": "1", "B": "2"}),  # Compose: A=1, B=2
]


@pytest.mark.parametrize(("text", "expected"), ACCEPTED)
def test_lines_compose_accepts_mean_what_compose_makes_of_them(tmp_path: Path, text: str,
                                                               expected: dict[str, str]) -> None:
    path = tmp_path / "app.env"
    path.write_text(text, newline="")
    assert read_env_file(path, {}) == expected


# Compose refuses a file with any of these lines (`failed to read .env: line N: ...`), or python-dotenv cannot parse
# it (it would drop the line with a warning): procfleet refuses the file, naming the line.
REFUSED = [
    ('A="x\n', 1),  # Compose: line 2 (where it ran out): unterminated quoted value "x
    ("A='x\n", 1),  # Compose: line 2: unterminated quoted value 'x
    ("MY VAR=1\n", 1),  # Compose: key cannot contain a space
    ("A B\n", 1),  # Compose: key cannot contain a space
    ('"A"=1\n', 1),  # Compose: unexpected character "\"" in variable name; python-dotenv: the name `"A"`
    ("'A'=1\n", 1),  # Compose: unexpected character "'" in variable name; python-dotenv: the name `A`
    ('export "A"=1\n', 1),  # Compose: unexpected character "\""
    ("A\\=1\n", 1),  # Compose: unexpected character "\\"; python-dotenv: the name `A\`
    ("A#x\n", 1),  # Compose: unexpected character "#"; python-dotenv: a bare `A` and a comment
    ("A #x\n", 1),  # Compose: unexpected character "#"
    ("A:1\n", 1),  # Compose: A=1 (a YAML-style `:`); python-dotenv: a bare name `A:1`, so it would set nothing
    ("\x01A=1\n", 1),  # Compose: unexpected character "\x01"
    ("=value\n", 1),  # Compose: a variable with an empty name; python-dotenv: cannot parse
    ("A: 1\n", 1),  # Compose: A=1; python-dotenv: cannot parse
    ('A="x" junk\n', 1),  # Compose: A=x, then a bare name `junk`; python-dotenv: cannot parse
    ("A='x'y\n", 1),  # Compose: A=x, then a bare name `y`; python-dotenv: cannot parse
    ("export \n", 1),  # Compose: nothing; python-dotenv: cannot parse
    ("A=1\n\n\nB C=2\n", 4),  # Compose: line 4: key cannot contain a space
    ("A=1\nB\nC D\n", 3),  # Compose: line 3: key cannot contain a space
    ('# c\nA=1\nB="x\nC=3\n', 3),  # Compose: line 5 (where it ran out): unterminated quoted value "x
    ("A=1\r\n\r\nB C=2\r\n", 3),  # Compose: line 3 (python-dotenv counts \r\n as one line break, as Compose does)
]


@pytest.mark.parametrize(("text", "line"), REFUSED)
def test_lines_compose_refuses_or_python_dotenv_cannot_parse_are_refused_by_number(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, text: str, line: int) -> None:
    path = tmp_path / "app.env"
    path.write_text(text, newline="")
    with pytest.raises(EnvFileSyntaxError) as refused:
        read_env_file(path, {})
    assert refused.value.line == line
    assert not caplog.records  # no python-dotenv "could not parse" warning


def test_check_refuses_a_broken_env_file_in_one_line_naming_key_file_and_line(
        cli: Callable[..., CliResult], write_formation: Callable[[str, str], Path], tmp_path: Path) -> None:
    """`procfleet check` exits 2 with one line on stderr; python-dotenv's own warning never shows."""
    (tmp_path / ".env").write_text("A=1\n# fine\nB=\"unterminated\nC=3\n")
    (tmp_path / "web.env").write_text("MY VAR=1\n")
    write_formation('[app]\nname = "demo"\nenv_file = [".env"]\n[processes.web]\ncommand = "sleep 1"\n',
                    "formation.toml")
    result = cli("check")
    assert (result.code, result.out) == (2, "")
    assert result.err.splitlines() == ["error: formation.toml: app.env_file[0]: .env:3: cannot parse this line "
                                       "(expected NAME=value, export NAME=value, a comment or a blank line)"]
    assert "python-dotenv" not in result.err
    write_formation('[app]\nname = "demo"\n[processes.web]\ncommand = "sleep 1"\nenv_file = ["web.env"]\n',
                    "formation.toml")
    assert cli("check").err.startswith("error: formation.toml: processes.web.env_file[0]: web.env:1: cannot parse")
