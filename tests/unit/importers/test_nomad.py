"""The Nomad importer: both JSON shapes, Nomad's defaults, and the inverse of the backend's mappings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from procfleet.errors import FormationError
from procfleet.importers import read_source
from procfleet.importers.result import ImportResult
from procfleet.loader import load
from procfleet_nomad.translate import translate
from tests.unit.importers.conftest import Write

SECOND = 1_000_000_000


def _job(**task: Any) -> dict[str, Any]:
    base = {"Name": "worker", "Driver": "exec", "Config": {"command": "/bin/sh", "args": ["-c", "./work --fast"]}}
    return {"ID": "shop", "TaskGroups": [{"Name": "worker", "Count": 2, "Tasks": [{**base, **task}]}]}


def _read(write: Write, document: dict[str, Any]) -> ImportResult:
    return read_source(write("job.json", json.dumps(document)), None, {})


def test_bare_job_and_register_body_read_alike(write: Write) -> None:
    """GET /v1/job's bare job and the {"Job": …} body of POST /v1/jobs give the same formation."""
    bare, body = _read(write, _job()), _read(write, {"Job": _job()})
    assert bare.processes == body.processes and bare.app_name == body.app_name == "shop"
    assert bare.processes["worker"].command == "./work --fast"
    assert bare.processes["worker"].count == 2


def test_nomad_defaults_fill_what_the_job_leaves_out(write: Write) -> None:
    """No KillSignal: SIGINT (SIGTERM for docker, as docker stop sends); no KillTimeout: 5s; no policy: on-failure."""
    exec_type = _read(write, _job()).processes["worker"]
    assert (exec_type.stop_signal, exec_type.stop_timeout, exec_type.restart) == ("SIGINT", 5.0, "on-failure")
    docker = _read(write, _job(Driver="docker", Config={"image": "a:1", "command": "./w"}))
    assert docker.processes["worker"].stop_signal == "SIGTERM" and docker.image == "a:1"


def test_resources_are_the_backends_mapping_inverted(write: Write) -> None:
    """CPU in MHz at 1000 a core, MemoryMB in MiB; Cores counts whole cores."""
    mhz = _read(write, _job(Resources={"CPU": 250, "MemoryMB": 128})).processes["worker"].resources
    assert (mhz.cpu, mhz.memory) == (0.25, 128 * 1024**2)
    cores = _read(write, _job(Resources={"Cores": 2})).processes["worker"].resources
    assert cores.cpu == 2


def test_a_restart_policy_of_its_own_is_mapped_by_mode_and_reported(write: Write) -> None:
    """A policy that is not one of procfleet's three is mapped by its mode, with a line saying so."""
    document = _job()
    document["TaskGroups"][0]["RestartPolicy"] = {"Attempts": 5, "Interval": 60 * SECOND, "Mode": "delay"}
    result = _read(write, document)
    assert result.processes["worker"].restart == "always"
    assert any("TaskGroups.worker.RestartPolicy: carried over as restart" in line for line in result.warnings)


def test_port_is_procfleets_own(write: Write) -> None:
    """PORT pointing at the group port is what procfleet sets; a number without a port becomes the port."""
    document = _job(Env={"PORT": "9000", "A": "1"})
    assert _read(write, document).processes["worker"].port == 9000
    assert _read(write, document).processes["worker"].env == {"A": "1"}


def test_a_job_without_an_id_is_an_error(write: Write) -> None:
    """The error names the key path, inside the register body when there is one."""
    with pytest.raises(FormationError, match=r"job.json: Job.ID: missing: a Nomad job needs an ID"):
        _read(write, {"Job": {"TaskGroups": []}})


def test_hcl_is_pointed_at_its_json(write: Write) -> None:
    """An HCL job is not guessed at: the error says how to get its JSON."""
    path = write("web.nomad.hcl", 'job "web" {\n  group "web" {}\n}\n')
    with pytest.raises(FormationError, match="nomad job run -output"):
        read_source(path, None, {})


def test_invalid_json_names_the_line(write: Write) -> None:
    """Broken JSON is an error naming the file and line."""
    path: Path = write("job.json", '{"Job": {\n  "ID": }\n')
    with pytest.raises(FormationError, match=r"job.json: line 2: invalid JSON"):
        read_source(path, "nomad", {})


@pytest.mark.parametrize("command", ["sleep ${TICK:-30}", "echo ${HOME} %{x} $$ \"q 'r'\"", "echo $${kept}"])
@pytest.mark.parametrize("driver", ["docker", "raw_exec"])
def test_the_clients_escapes_are_undone(write: Write, command: str, driver: str, tmp_path: Path) -> None:
    """What the Nomad backend escapes for the client's HCL2 pass comes back as the formation's own command."""
    source = tmp_path / "formation.toml"
    source.write_text(f'[app]\nname = "shop"\nimage = "i:1"\n[processes.p]\ncommand = {json.dumps(command)}\n'
                      f'[backends.nomad]\ndriver = "{driver}"\n')
    assert _read(write, translate(load(source)).job).processes["p"].command == command


def test_the_group_port_variable_becomes_port(write: Write) -> None:
    """${NOMAD_PORT_<label>} (or $NOMAD_PORT_<label>) of the group port is $PORT, which every backend sets; the
    label procfleet renders is its own, so the job's label would not survive a render."""
    document = _job(Config={"command": "/bin/sh", "args": ["-c", "serve -p ${NOMAD_PORT_http} -q $NOMAD_PORT_http "
                                                                       "$NOMAD_PORT_https ${NOMAD_PORT_admin}"]},
                    Env={"PORT": "${NOMAD_PORT_http}"})
    document["TaskGroups"][0]["Networks"] = [{"DynamicPorts": [{"Label": "http", "To": 8080}]}]
    imported = _read(write, document).processes["worker"]
    assert imported.port == 8080
    assert imported.command == "serve -p ${PORT} -q ${PORT} $NOMAD_PORT_https ${NOMAD_PORT_admin}"


def test_what_the_server_adds_to_a_job_is_not_reported(write: Write) -> None:
    """Implied constraints, the default identity and a service's cluster and namespace come from Nomad itself; a
    constraint of the author's own is still reported."""
    document = _job(KillSignal="SIGTERM", Identity={"Name": "default", "Audience": ["nomadproject.io"], "TTL": 0,
                                                    "ExtraClaims": None})
    group = document["TaskGroups"][0]
    group["Networks"] = [{"Mode": "host", "DynamicPorts": [{"Label": "port", "To": 8000}]}]
    group["Services"] = [{"Name": "shop-worker", "PortLabel": "port", "Provider": "nomad", "Cluster": "default",
                          "Namespace": "apps", "Checks": [{"Name": "health", "Type": "tcp", "Interval": SECOND,
                                                           "Timeout": SECOND}]}]
    group["Constraints"] = [
        {"LTarget": "${attr.os.signals}", "RTarget": "SIGTERM", "Operand": "set_contains"},
        {"LTarget": "${attr.nomad.service_discovery}", "RTarget": "true", "Operand": "="},
        {"LTarget": "${attr.nomad.version}", "RTarget": ">= 1.4.0", "Operand": "semver"},
    ]
    document["Namespace"] = "apps"
    assert _read(write, document).warnings == ()
    group["Constraints"].append({"LTarget": "${attr.os.signals}", "RTarget": "SIGHUP", "Operand": "set_contains"})
    group["Services"][0]["Namespace"] = "other"
    warnings = _read(write, document).warnings
    assert [line.split(": ")[1] for line in warnings] == ["TaskGroups.worker.Services[0].Namespace",
                                                          "TaskGroups.worker.Constraints"]
