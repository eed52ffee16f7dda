"""`[backends.swarm]`: each key checked with its path, defaults filled in for `check --json`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from procfleet.errors import FormationError
from procfleet.validation import Where
from procfleet_swarm.options import SwarmOptions, settings, validate
from tests.backends.swarm.helpers import formation
from tests.conftest import CliResult

WHERE = Where(Path("formation.toml"), "backends.swarm")


def test_defaults_are_swarms_own() -> None:
    """Ingress ports, VIP endpoints, images resolved as "auto" says; stack and ports only when set."""
    assert validate({}, WHERE) == {"port_mode": "ingress", "endpoint_mode": "vip", "resolve_image": "auto"}
    assert SwarmOptions(**validate({}, WHERE)) == SwarmOptions()


def test_every_key() -> None:
    """A full table comes back as given."""
    table = {"stack": "shop_blue-2", "port_mode": "host", "endpoint_mode": "dnsrr", "ports": {"web": 8080},
             "resolve_image": "never"}
    assert validate(table, WHERE) == table


@pytest.mark.parametrize(("table", "message"), [
    ({"stak": "x"}, r'backends\.swarm\.stak: unknown key \(did you mean "stack"\?\)'),
    ({"stack": "Shop"}, r'backends\.swarm\.stack: invalid stack name "Shop"'),
    ({"stack": "s" * 62}, r"backends\.swarm\.stack: invalid stack name .*at most 61 characters"),
    ({"port_mode": "hots"}, r'backends\.swarm\.port_mode: expected one of ingress \| host, got "hots" '
                            r'\(did you mean "host"\?\)'),
    ({"endpoint_mode": "dns"}, r"backends\.swarm\.endpoint_mode: expected one of vip \| dnsrr"),
    ({"ports": {"web": 0}}, r"backends\.swarm\.ports\.web: expected a published port between 1 and 65535, got 0"),
    ({"ports": {"Web": 80}}, r'backends\.swarm\.ports\.Web: invalid process type name "Web"'),
    ({"resolve_image": "sometimes"}, r"backends\.swarm\.resolve_image: expected one of auto \| always \| changed "
                                     r"\| never"),
])
def test_bad_values_name_their_key(table: dict[str, object], message: str) -> None:
    """Each bad value is a FormationError at its key path."""
    with pytest.raises(FormationError, match=message):
        validate(table, WHERE)


def test_stack_defaults_to_the_app(tmp_path: Path) -> None:
    """The stack is named after the app unless `stack` says otherwise."""
    f = formation(tmp_path)
    assert settings(f).stack_for(f) == "shop"
    f = formation(tmp_path, '[app]\nname = "shop"\nimage = "i"\n[processes.web]\ncommand = "x"\n'
                            '[backends.swarm]\nstack = "shop-blue"\n')
    assert settings(f).stack_for(f) == "shop-blue"


def test_check_reports_the_table_with_defaults(cli: Callable[..., CliResult],
                                               write_formation: Callable[[str], Path]) -> None:
    """`procfleet check --json` shows the filled-in table, as for every backend."""
    write_formation('[app]\nname = "shop"\nimage = "i"\n[processes.web]\ncommand = "x"\n'
                    '[backends.swarm]\nport_mode = "host"\n')
    result = cli("check", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["backends"]["swarm"] == {"port_mode": "host", "endpoint_mode": "vip",
                                                           "resolve_image": "auto"}
