"""`docker service inspect` of a stack → the stack file the compose importer reads, the counts and the options."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from procfleet.backend import Session
from procfleet.importers import read_exported
from procfleet.model import HealthCheck, Resources
from procfleet_swarm.backend import SwarmBackend
from procfleet_swarm.engine import Engine
from procfleet_swarm.export import exported, stack_file

HTTP_PROBE = (
    "if command -v wget >/dev/null; then wget -q -O /dev/null http://127.0.0.1:8080/; elif command -v curl "
    ">/dev/null; then curl -fsS -o /dev/null http://127.0.0.1:8080/; elif command -v python3 >/dev/null; then "
    "python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=10)' http://127.0.0.1:8080/;"
    ' else echo "procfleet: the image has no wget, curl or python3 for this health check" >&2; exit 1; fi')
# Varied: pinned as `--resolve-image always` pins it (the stack this was read from resolved nothing).
DIGEST = "sha256:9ae97d36d26566ff84e8893c64a6dc4fe8ca6d1144bf5b87b2b85a32def253c7"
OWNED = {"com.docker.stack.namespace": "pfexp", "procfleet.app": "pfexp", "procfleet.process": "web",
         "procfleet.fingerprint": "fefb04482e11e21f"}

# `docker service inspect pfexp_web pfexp_worker` (Docker 20.10; port_mode = "host", endpoint_mode = "dnsrr"),
# trimmed of what the export does not read (Privileges, Networks, UpdateConfig, RollbackConfig…).
WEB: dict[str, Any] = {
    "ID": "m6x6bfml6hb12shjz8120sb0k",
    "Version": {"Index": 117},
    "Spec": {
        "Name": "pfexp_web",
        "Labels": {"com.docker.stack.image": "procfleet-test/busybox:latest", **OWNED},
        "TaskTemplate": {
            "ContainerSpec": {
                "Image": f"procfleet-test/busybox:latest@{DIGEST}",
                "Labels": OWNED,
                "Command": ["/bin/sh", "-c"],
                "Args": ["mkdir -p /www && echo ok >/www/index.html && exec httpd -f -p $PORT -h /www"],
                "Env": ["GREETING=hi $HOME", "PORT=8080", "PRICE=5$", "PROCFLEET_PROCESS=web"],
                "Init": True,
                "StopSignal": "SIGTERM",
                "StopGracePeriod": 1500000000,
                "Healthcheck": {"Test": ["CMD-SHELL", HTTP_PROBE], "Interval": 1000000000, "Timeout": 2000000000,
                                "Retries": 3},
            },
            "Resources": {"Limits": {"NanoCPUs": 500000000, "MemoryBytes": 67108864}},
            "RestartPolicy": {"Condition": "any", "Delay": 5000000000, "MaxAttempts": 0},
        },
        "Mode": {"Replicated": {"Replicas": 1}},
        "EndpointSpec": {"Mode": "dnsrr", "Ports": [{"Protocol": "tcp", "TargetPort": 8080, "PublishMode": "host"}]},
    },
}
WORKER: dict[str, Any] = {
    "ID": "jnhfbdbhyoz4z7g54l36txecg",
    "Version": {"Index": 113},
    "Spec": {
        "Name": "pfexp_worker",
        "Labels": {"com.docker.stack.image": "procfleet-test/busybox:latest", **OWNED, "procfleet.process": "worker"},
        "TaskTemplate": {
            "ContainerSpec": {
                "Image": "procfleet-test/busybox:latest",
                "Labels": {**OWNED, "procfleet.process": "worker"},
                "Command": ["/bin/sh", "-c"],
                "Args": ["while true; do echo $GREETING; sleep 5; done"],
                "Env": ["GREETING=hi $HOME", "PRICE=5$", "PROCFLEET_PROCESS=worker"],
                "Init": True,
                "StopSignal": "SIGINT",
                "StopGracePeriod": 10000000000,
            },
            "Resources": {},
            "RestartPolicy": {"Condition": "on-failure", "Delay": 5000000000, "MaxAttempts": 0},
        },
        "Mode": {"Replicated": {"Replicas": 3}},
        "EndpointSpec": {"Mode": "dnsrr"},
    },
}


def test_the_stack_file_holds_what_the_importer_reads() -> None:
    """Command/Args are the entrypoint and command; `$` doubled; durations from nanoseconds; Swarm's labels left out."""
    document = stack_file("pfexp", [WEB, WORKER])
    assert document["services"]["web"] == {
        "image": "procfleet-test/busybox:latest",  # as written (com.docker.stack.image), not pinned to its digest
        "init": True,
        "entrypoint": ["/bin/sh", "-c"],
        "command": ["mkdir -p /www && echo ok >/www/index.html && exec httpd -f -p $$PORT -h /www"],
        "environment": {"GREETING": "hi $$HOME", "PORT": "8080", "PRICE": "5$$", "PROCFLEET_PROCESS": "web"},
        "ports": [{"target": 8080, "protocol": "tcp"}],
        "healthcheck": {"test": ["CMD-SHELL", HTTP_PROBE.replace("$", "$$")], "interval": "1s", "timeout": "2s",
                        "retries": 3},
        "stop_signal": "SIGTERM",
        "stop_grace_period": "1500ms",
        "deploy": {"replicas": 1, "restart_policy": {"condition": "any"},
                   "resources": {"limits": {"cpus": "0.5", "memory": 67108864}}},
        "labels": {"procfleet.app": "pfexp", "procfleet.process": "web", "procfleet.fingerprint": "fefb04482e11e21f"},
    }
    worker = document["services"]["worker"]
    assert (worker["deploy"], worker["stop_grace_period"], "ports" in worker, "healthcheck" in worker) == (
        {"replicas": 3, "restart_policy": {"condition": "on-failure"}}, "10s", False, False)


def test_the_export_reads_back_as_the_formation_that_was_deployed() -> None:
    """Through the compose importer: the same types, env (literal `$`), check, limits; live counts; the modes."""
    export = exported("pfexp", [WORKER, WEB])
    assert export is not None
    assert (export.format, export.source, export.counts, export.notes) == (
        "compose", Path("swarm:stack/pfexp"), {"web": 1, "worker": 3}, ())
    assert export.options == {"swarm": {"port_mode": "host", "endpoint_mode": "dnsrr"}}
    assert export.text is not None
    result = read_exported(export.format, export.source, export.text, {"HOME": "/root"})
    assert (result.app_name, result.image, result.warnings) == ("pfexp", "procfleet-test/busybox:latest", ())
    assert dict(result.env) == {"GREETING": "hi $HOME", "PRICE": "5$"}
    web, worker = result.processes["web"], result.processes["worker"]
    assert (web.command, web.port, web.restart, web.stop_timeout) == (
        "mkdir -p /www && echo ok >/www/index.html && exec httpd -f -p $PORT -h /www", 8080, "always", 1.5)
    assert web.health == HealthCheck(kind="http", http_path="/", interval=1.0, timeout=2.0, retries=3,
                                     start_period=0.0)
    assert web.resources == Resources(cpu=0.5, memory=64 * 1024 * 1024)
    assert (worker.command, worker.restart, worker.stop_signal, worker.stop_timeout, worker.health) == (
        "while true; do echo $GREETING; sleep 5; done", "on-failure", "SIGINT", 10.0, None)
    assert result.backends == {}  # nothing for [backends.compose]: no project, no fixed host port


def test_another_stack_name_fixed_ports_and_swarm_defaults() -> None:
    """A stack not named after the app is kept; fixed published ports go to [backends.swarm] ports; vip and
    ingress, Swarm's defaults, are not written."""
    web = copy.deepcopy(WEB)
    web["Spec"]["Name"] = "other_web"
    web["Spec"]["EndpointSpec"] = {"Mode": "vip", "Ports": [{"Protocol": "tcp", "TargetPort": 8080,
                                                             "PublishedPort": 30080, "PublishMode": "ingress"}]}
    export = exported("other", [web])
    assert export is not None
    assert export.options == {"swarm": {"stack": "other", "ports": {"web": 30080}}}
    assert export.text is not None and "30080" not in export.text  # not [backends.compose] ports


def test_services_procfleet_did_not_create() -> None:
    """Named after the service, with a note that deploy will refuse them; a global service counts as one."""
    theirs = copy.deepcopy(WORKER)
    theirs["Spec"]["Labels"] = {"com.docker.stack.namespace": "legacy"}
    theirs["Spec"]["TaskTemplate"]["ContainerSpec"]["Labels"] = {}
    theirs["Spec"]["Name"] = "legacy_jobs"
    theirs["Spec"]["Mode"] = {"Global": {}}
    export = exported("legacy", [theirs])
    assert export is not None
    assert export.counts == {"jobs": 1}
    assert len(export.notes) == 2 and "were not created by procfleet" in export.notes[0]
    assert "global mode" in export.notes[1]
    assert exported("legacy", []) is None


def test_the_backend_exports_what_the_engine_inspects(monkeypatch: pytest.MonkeyPatch) -> None:
    """export() looks at the stack named by --app, and only looks."""
    asked: list[str] = []

    def inspect_services(engine: Engine) -> list[dict[str, Any]]:
        asked.append(engine.stack)
        return [WEB]

    monkeypatch.setattr(Engine, "inspect_services", inspect_services)
    export = SwarmBackend(Session()).export("pfexp")
    assert asked == ["pfexp"] and export is not None and export.counts == {"web": 1}
