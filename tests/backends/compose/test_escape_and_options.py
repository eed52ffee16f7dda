"""`$` escaping, and the `[backends.compose]` table: known keys, did-you-mean, values checked with their key path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from procfleet.errors import FormationError
from procfleet.validation import Where
from procfleet_compose.escape import escape, escape_values
from procfleet_compose.options import ComposeOptions, validate
from tests.conftest import CliResult

WHERE = Where(Path("formation.toml"), "backends.compose")


@pytest.mark.parametrize(("text", "escaped"), [
    ("plain", "plain"),
    ("$HOME", "$$HOME"),
    ("$$", "$$$$"),
    ("${X:-y}", "$${X:-y}"),
    ("a$", "a$$"),
    ("$$$", "$$$$$$"),
])
def test_escape_doubles_every_dollar(text: str, escaped: str) -> None:
    """Compose reads `$$` as a literal `$`, so doubling each one makes the value reach the container as written."""
    assert escape(text) == escaped
    assert escaped.replace("$$", "$") == text


def test_escape_values_walks_the_document_and_leaves_keys_alone() -> None:
    """Nested tables and lists are escaped; keys, numbers and booleans are untouched."""
    document = {"services": {"$web": {"command": ["echo $X"], "deploy": {"replicas": 2}, "init": True}}}
    assert escape_values(document) == {"services": {"$web": {"command": ["echo $$X"], "deploy": {"replicas": 2},
                                                             "init": True}}}


def test_valid_options() -> None:
    """Every key, each checked; absent keys stay absent (defaults live in ComposeOptions)."""
    given = {"project": "shop_staging-2", "host_ip": "::1", "ports": {"web": 8080}}
    assert validate(given, WHERE) == given
    assert validate({}, WHERE) == {}
    assert ComposeOptions() == ComposeOptions(project=None, host_ip=None, ports={})


@pytest.mark.parametrize(("options", "message"), [
    ({"projcet": "x"}, r'backends\.compose\.projcet: unknown key \(did you mean "project"\?\)'),
    ({"project": "Shop"}, r"backends\.compose\.project: invalid Compose project name"),
    ({"project": 3}, r"backends\.compose\.project: expected a string, got 3"),
    ({"host_ip": "localhost"}, r'backends\.compose\.host_ip: expected an IP address such as "127\.0\.0\.1"'),
    ({"ports": {"web": 0}}, r"backends\.compose\.ports\.web: expected a host port between 1 and 65535, got 0"),
    ({"ports": {"web": "80"}}, r'backends\.compose\.ports\.web: expected a host port between 1 and 65535, got "80"'),
    ({"ports": {"Web": 80}}, r"backends\.compose\.ports\.Web: invalid process type name"),
    ({"ports": [80]}, r"backends\.compose\.ports: expected a table, got an array"),
])
def test_invalid_options(options: dict[str, Any], message: str) -> None:
    """Each error names the key path."""
    with pytest.raises(FormationError, match=message):
        validate(options, WHERE)


def test_check_validates_the_table_through_the_backend(write_formation: Callable[..., Path],
                                                       cli: Callable[..., CliResult]) -> None:
    """`procfleet check` asks the compose backend to validate its table: exit 2, file and key named."""
    write_formation('[app]\nname = "shop"\n[processes.web]\ncommand = "serve"\n'
                    '[backends.compose]\nhost_ipp = "127.0.0.1"\n')
    result = cli("check")
    assert result.code == 2
    assert 'formation.toml: backends.compose.host_ipp: unknown key (did you mean "host_ip"?)' in result.err
