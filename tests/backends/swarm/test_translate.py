"""Formation → stack file: the compose backend's services, made Swarm services (issue 6, point 2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from procfleet.errors import FormationError
from procfleet.exitcodes import ExitCode
from procfleet.model import fingerprint
from procfleet_compose.options import ComposeOptions
from procfleet_compose.translate import compose_document, file_counts
from procfleet_swarm.options import SwarmOptions, settings
from procfleet_swarm.translate import stack_document
from tests.backends.swarm.helpers import GOLDEN, ROOT, formation, rendered
from tests.backends.swarm.stackformat import check_stack_keys

HEALTHY = """
[app]
name = "shop"
image = "shop:1"
[processes.web]
command = "serve"
port = 8000
health = { http = "/up" }
[processes.worker]
command = "work"
restart = "on-failure"
[processes.clock]
command = "tick"
restart = "never"
"""


def test_one_service_per_type_from_the_compose_translation(tmp_path: Path) -> None:
    """The compose backend's service (image, `/bin/sh -c`, init, health, stop) with Swarm's deploy keys on top."""
    f = formation(tmp_path)
    stack = stack_document(f, {"web": 2, "worker": 1}, SwarmOptions())
    compose = compose_document(f, {"web": 2, "worker": 1}, ComposeOptions())
    assert stack["version"] == "3.8" and "name" not in stack
    assert list(stack["services"]) == ["web", "worker"]
    web, compose_web = stack["services"]["web"], compose["services"]["web"]
    for key in ("image", "init", "entrypoint", "command", "stop_signal", "stop_grace_period", "labels"):
        assert web[key] == compose_web[key], key
    assert web["command"] == ["exec serve --port $$PORT"] and web["init"] is True
    assert "restart" not in web and "env_file" not in web  # Swarm reads deploy.restart_policy; env files: below
    # Named apart from the Compose project's `shop_default`, so both can run on one engine (migrate).
    assert stack["networks"] == {"default": {"name": "shop_swarm", "attachable": True,
                                             "labels": {"procfleet.app": "shop"}}}


def test_deploy_keys(tmp_path: Path) -> None:
    """replicas, endpoint mode, service labels with the fingerprint, restart policy, rolling update with rollback."""
    f = formation(tmp_path, HEALTHY)
    services = stack_document(f, {"web": 3, "worker": 1, "clock": 0}, SwarmOptions())["services"]
    web = services["web"]["deploy"]
    assert web["replicas"] == 3 and web["endpoint_mode"] == "vip"
    owned = {"procfleet.app": "shop", "procfleet.process": "web",
             "procfleet.fingerprint": fingerprint(f, f.processes["web"])}
    assert web["labels"] == services["web"]["labels"] == owned
    assert web["update_config"] == {"parallelism": 1, "order": "start-first", "failure_action": "rollback"}
    assert web["rollback_config"] == {"parallelism": 1, "order": "start-first"}
    assert services["worker"]["deploy"]["update_config"]["order"] == "stop-first"  # no check says when it is ready
    # a type whose tasks may end is not rolled back when one ends within Swarm's monitor window
    assert {name: s["deploy"]["update_config"]["failure_action"] for name, s in services.items()} == \
        {"web": "rollback", "worker": "continue", "clock": "continue"}
    conditions = {name: s["deploy"]["restart_policy"] for name, s in services.items()}
    assert conditions == {"web": {"condition": "any"}, "worker": {"condition": "on-failure"},
                          "clock": {"condition": "none"}}
    assert services["clock"]["deploy"]["replicas"] == 0


def test_ports_ingress_by_default_host_and_fixed_as_options(tmp_path: Path) -> None:
    """Ingress with a port Swarm picks; `port_mode = "host"`; a fixed published port is an integer."""
    f = formation(tmp_path)
    assert stack_document(f, {}, SwarmOptions())["services"]["web"]["ports"] == [
        {"target": 8000, "protocol": "tcp", "mode": "ingress"}]
    assert "ports" not in stack_document(f, {}, SwarmOptions())["services"]["worker"]
    host = stack_document(f, {}, SwarmOptions(port_mode="host", endpoint_mode="dnsrr"))["services"]["web"]
    assert host["ports"] == [{"target": 8000, "protocol": "tcp", "mode": "host"}]
    assert host["deploy"]["endpoint_mode"] == "dnsrr"
    fixed = stack_document(f, {"web": 5}, SwarmOptions(ports={"web": 8080}))["services"]["web"]
    assert fixed["ports"] == [{"target": 8000, "protocol": "tcp", "mode": "ingress", "published": 8080}]


def test_a_fixed_host_port_updates_stop_first(tmp_path: Path) -> None:
    """Two tasks cannot hold one host port on a node: start-first would never start the new one."""
    f = formation(tmp_path, HEALTHY)
    options = SwarmOptions(port_mode="host", endpoint_mode="dnsrr", ports={"web": 8080})
    web = stack_document(f, {"web": 1}, options)["services"]["web"]["deploy"]
    assert web["update_config"]["order"] == web["rollback_config"]["order"] == "stop-first"
    ingress = stack_document(f, {"web": 1}, SwarmOptions(ports={"web": 8080}))["services"]["web"]["deploy"]
    assert ingress["update_config"]["order"] == "start-first"  # the routing mesh holds the port, not the task


def test_resources_as_the_stack_schema_wants_them(tmp_path: Path) -> None:
    """`cpus` is a string in the 3.x stack schema (Compose takes a number); memory as Compose writes it."""
    f = formation(tmp_path, '[app]\nname = "shop"\nimage = "i"\n[processes.web]\ncommand = "serve"\n'
                            'resources = { cpu = 0.5, memory = "256M" }\n[processes.big]\ncommand = "x"\n'
                            "resources = { cpu = 2 }\n")
    services = stack_document(f, file_counts(f), SwarmOptions())["services"]
    assert services["web"]["deploy"]["resources"] == {"limits": {"cpus": "0.5", "memory": "256M"}}
    assert services["big"]["deploy"]["resources"] == {"limits": {"cpus": "2"}}


def test_env_files_are_read_by_procfleet_and_written_in(tmp_path: Path) -> None:
    """`docker stack deploy` would keep quotes and refuse `export`: the values procfleet read go in, lowest first."""
    (tmp_path / "base.env").write_text('A="quoted value"\nexport B=from-file\nPORT=1\n')
    f = formation(tmp_path, """
        [app]
        name = "shop"
        image = "shop:1"
        env_file = ["base.env"]
        env = { B = "app" }
        [processes.web]
        command = "serve"
        port = 8000
    """)
    web = stack_document(f, file_counts(f), SwarmOptions())["services"]["web"]
    assert "env_file" not in web
    assert web["environment"] == {"A": "quoted value", "B": "app", "PORT": "8000",
                                  "PROCFLEET_PROCESS": "web.{{.Task.Slot}}"}


def test_every_dollar_is_escaped(tmp_path: Path) -> None:
    """`docker stack deploy` interpolates `$VAR` as Compose does: commands, env values, probes reach it doubled."""
    (tmp_path / "f.env").write_text("FROM_FILE='a$b'\n")  # single quotes: literal, as Compose reads it
    f = formation(tmp_path, """
        [app]
        name = "shop"
        image = "shop:1"
        env_file = ["f.env"]
        env = { URL = "postgres://u:p$ss@db" }
        [processes.web]
        command = "echo $HOME $$ ${X:-y}"
        health = { command = "test $$ -gt 0" }
    """)
    web = stack_document(f, file_counts(f), SwarmOptions())["services"]["web"]
    assert web["command"] == ["exec echo $$HOME $$$$ $${X:-y}"]
    assert web["environment"]["URL"] == "postgres://u:p$$ss@db" and web["environment"]["FROM_FILE"] == "a$$b"
    assert web["healthcheck"]["test"] == ["CMD-SHELL", "test $$$$ -gt 0"]


@pytest.mark.parametrize(("text", "key", "message"), [
    ('[app]\nname = "shop"\n[processes.web]\ncommand = "serve"\n', r"processes\.web\.image",
     "the swarm backend needs an image"),
    (f'[app]\nname = "{"a" * 40}"\nimage = "i"\n[processes.{"b" * 30}]\ncommand = "x"\n', rf"processes\.{'b' * 30}",
     rf'the Swarm service "{"a" * 40}_{"b" * 30}" would be 71 characters, over Swarm\'s 63'),
    ('[app]\nname = "shop"\nimage = "i"\n[processes.web]\ncommand = "serve"\nport = 80\n'
     '[backends.swarm]\nendpoint_mode = "dnsrr"\n', r"backends\.swarm\.endpoint_mode",
     r"Swarm cannot publish ingress ports for a dnsrr service \(processes\.web\.port\): set port_mode = \"host\""),
    ('[app]\nname = "shop"\nimage = "i"\n[processes.web]\ncommand = "serve"\nport = 80\n'
     "[backends.swarm]\nports = { wbe = 80 }\n", r"backends\.swarm\.ports\.wbe",
     r'no process type "wbe" \(did you mean "web"\?\)'),
    ('[app]\nname = "shop"\nimage = "i"\n[processes.web]\ncommand = "serve"\n'
     "[backends.swarm]\nports = { web = 80 }\n", r"backends\.swarm\.ports\.web", "processes.web has no port"),
])
def test_formation_errors_name_the_key(tmp_path: Path, text: str, key: str, message: str) -> None:
    """What Swarm would refuse is refused first, naming the key; exit status 2, nothing touched."""
    f = formation(tmp_path, text)
    with pytest.raises(FormationError, match=f"{key}: {message}") as info:
        stack_document(f, file_counts(f), settings(f))
    assert info.value.exit_code == ExitCode.USAGE


def test_dnsrr_without_ports_needs_no_host_mode(tmp_path: Path) -> None:
    """Only published ports clash with dnsrr."""
    f = formation(tmp_path, '[app]\nname = "shop"\nimage = "i"\n[processes.worker]\ncommand = "x"\n'
                            '[backends.swarm]\nendpoint_mode = "dnsrr"\n')
    assert stack_document(f, file_counts(f), settings(f))["services"]["worker"]["deploy"]["endpoint_mode"] == "dnsrr"


@pytest.mark.parametrize("source", [GOLDEN / "kitchen-sink.toml", GOLDEN / "no-ipvs.toml",
                                    ROOT / "examples" / "02-compose" / "formation.toml"])
def test_rendered_files_use_only_what_the_stack_format_has(source: Path) -> None:
    """Every key and value type in the rendered file is one the 3.x stack format defines (the engine test runs
    `docker stack config` on the same files)."""
    document: dict[str, Any] = yaml.safe_load(rendered(source))
    check_stack_keys(document)


def test_the_format_check_refuses_what_swarm_refuses(tmp_path: Path) -> None:
    """The compose backend's own file fails it: `name`, `restart`, a numeric `cpus`, `host_ip` in a port."""
    f = formation(tmp_path, '[app]\nname = "shop"\nimage = "i"\n[processes.web]\ncommand = "serve"\nport = 80\n'
                            "resources = { cpu = 0.5 }\n")
    document = compose_document(f, {"web": 1}, ComposeOptions(host_ip="127.0.0.1"))
    with pytest.raises(AssertionError, match="top-level keys"):
        check_stack_keys(document)
    document = {"version": "3.8", **{k: v for k, v in document.items() if k != "name"}}
    web = document["services"]["web"]
    for key, message in (("ports", r"ports\[0\]\.host_ip: not a key"), ("restart", r"web\.restart: not a key"),
                         ("deploy", r"limits\.cpus: 0\.5 is not str")):
        with pytest.raises(AssertionError, match=message):
            check_stack_keys(document)
        del web[key]
    check_stack_keys(document)
