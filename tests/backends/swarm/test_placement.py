"""`[backends.swarm]` constraints and max_replicas_per_node: validated, rendered as deploy.placement, planned."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from procfleet.backend import LiveType, Session
from procfleet.errors import FormationError
from procfleet.exitcodes import ExitCode
from procfleet.loader import load
from procfleet.plan import fingerprint_for, make_plan
from procfleet.validation import Where
from procfleet_swarm.backend import SwarmBackend
from procfleet_swarm.options import settings, validate
from procfleet_swarm.translate import stack_document
from tests.backends.swarm.helpers import formation
from tests.backends.swarm.stackformat import check_stack_keys
from tests.conftest import CliResult

WHERE = Where(Path("formation.toml"), "backends.swarm")
BASE = """
[app]
name = "shop"
image = "acme/shop:1"
[processes.web]
command = "serve"
port = 8000
[processes.worker]
command = "work"
"""


def test_constraints_and_spread_are_validated_per_type() -> None:
    """A string or an array of strings per type, each normalised to `<attribute> <op> <value>`; counts ≥ 1."""
    table = {"constraints": {"web": ["node.role==worker", "  node.labels.zone != b "],
                             "worker": "engine.labels.ssd == 1"},
             "max_replicas_per_node": {"web": 2}}
    checked = validate(table, WHERE)
    assert checked["constraints"] == {"web": ["node.role == worker", "node.labels.zone != b"],
                                      "worker": ["engine.labels.ssd == 1"]}
    assert checked["max_replicas_per_node"] == {"web": 2}
    assert validate(checked, WHERE) == checked  # the validated table is valid input again (settings() re-reads it)
    assert "constraints" not in validate({}, WHERE) and "max_replicas_per_node" not in validate({}, WHERE)


@pytest.mark.parametrize(("table", "message"), [
    ({"constraints": {"web": "node.role = worker"}},
     r'backends\.swarm\.constraints\.web\[0\]: invalid placement constraint "node.role = worker": expected '
     r"<attribute> == <value> or <attribute> != <value>"),
    ({"constraints": {"web": ["node.role == worker", "node.hostnme == a"]}},
     r'backends\.swarm\.constraints\.web\[1\]: unknown node attribute "node.hostnme" .*\(did you mean '
     r'"node.hostname"\?\)'),
    ({"constraints": {"web": "== worker"}}, r"constraints\.web\[0\]: invalid placement constraint"),
    ({"constraints": {"web": "node.labels.== a"}}, r'constraints\.web\[0\]: unknown node attribute "node.labels."'),
    ({"constraints": {"web": "node.role == workers"}},
     r'constraints\.web\[0\]: node.role is manager or worker, got "workers" .*\(did you mean "worker"\?\)'),
    ({"constraints": {"web": 3}}, r"constraints\.web: expected a string or an array of strings, got 3"),
    ({"constraints": ["node.role == worker"]}, r"backends\.swarm\.constraints: expected a table"),
    ({"constraints": {"Web": "node.role == worker"}}, r'constraints\.Web: invalid process type name "Web"'),
    ({"max_replicas_per_node": {"web": 0}},
     r"backends\.swarm\.max_replicas_per_node\.web: expected a number of tasks, 1 or more, got 0"),
    ({"max_replicas_per_node": {"web": "2"}}, r'max_replicas_per_node\.web: expected a number of tasks.*got "2"'),
    ({"max_replica_per_node": {"web": 1}}, r'unknown key \(did you mean "max_replicas_per_node"\?\)'),
])
def test_bad_placement_names_its_key(table: dict[str, object], message: str) -> None:
    """Each bad value is a FormationError at its key path, with a suggestion where one is close."""
    with pytest.raises(FormationError, match=message):
        validate(table, WHERE)


def test_rendered_as_deploy_placement(tmp_path: Path) -> None:
    """deploy.placement of the types that set it, nothing for the others; every key one the stack format has."""
    f = formation(tmp_path, BASE + '[backends.swarm]\nconstraints = { web = ["node.role == worker"] }\n'
                                   "max_replicas_per_node = { web = 2, worker = 1 }\n")
    document = stack_document(f, {"web": 6, "worker": 1}, settings(f))
    check_stack_keys(document)
    assert document["services"]["web"]["deploy"]["placement"] == {"constraints": ["node.role == worker"],
                                                                  "max_replicas_per_node": 2}
    assert document["services"]["worker"]["deploy"]["placement"] == {"max_replicas_per_node": 1}
    plain = formation(tmp_path, BASE)
    services = stack_document(plain, {"web": 1, "worker": 1}, settings(plain))["services"]
    assert "placement" not in services["web"]["deploy"]


@pytest.mark.parametrize("key", ["constraints", "max_replicas_per_node"])
def test_a_type_not_in_the_formation_is_an_error(cli: Callable[..., CliResult],
                                                 write_formation: Callable[[str], Path], key: str) -> None:
    """`procfleet check` names the key and the types there are, exit 2, one line."""
    value = '"node.role == worker"' if key == "constraints" else "1"
    write_formation(BASE + f"[backends.swarm]\n{key} = {{ wbe = {value} }}\n")
    result = cli("render", "-b", "swarm")
    assert result.code == ExitCode.USAGE
    assert f"backends.swarm.{key}.wbe: " in result.err and 'did you mean "web"' in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_a_placement_change_plans_as_a_change_of_that_type(tmp_path: Path) -> None:
    """The fingerprint carries a type's placement: editing it changes that type only."""
    backend = SwarmBackend(Session())
    deployed = tmp_path / "deployed.toml"
    deployed.write_text(textwrap.dedent(BASE))
    services = yaml.safe_load(backend.render(load(deployed, environ={}), backend.formats[0])[0].content)["services"]
    live = {name: LiveType(name, 1, spec["deploy"]["labels"]["procfleet.fingerprint"])
            for name, spec in services.items()}
    fingerprints = fingerprint_for(backend)
    for extra in ('constraints = { worker = "node.role == worker" }', "max_replicas_per_node = { worker = 1 }"):
        edited = tmp_path / "edited.toml"
        edited.write_text(textwrap.dedent(BASE) + f"[backends.swarm]\n{extra}\n")
        plan = make_plan(load(edited, environ={}), "swarm", live, False, fingerprint_of=fingerprints)
        assert {c.process: c.action for c in plan.changes} == {"web": "unchanged", "worker": "change"}, extra
