"""The part of the compose file format 3.x (what `docker stack deploy` reads) that procfleet writes: each key it may
use and the type the format wants there. Written from Docker's compose file v3 reference; the engine tests run
the real `docker stack config` on the same files."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

STRING, INTEGER, BOOLEAN, STRINGS = str, int, bool, "strings"
DURATION = str
HEALTHCHECK = {"test": STRINGS, "interval": DURATION, "timeout": DURATION, "retries": INTEGER,
               "start_period": DURATION}
UPDATE = {"parallelism": INTEGER, "order": ("start-first", "stop-first"), "failure_action": ("continue", "pause",
                                                                                              "rollback")}
DEPLOY = {
    "replicas": INTEGER,
    "endpoint_mode": ("vip", "dnsrr"),
    "labels": "labels",
    "restart_policy": {"condition": ("none", "on-failure", "any")},
    "update_config": UPDATE,
    "rollback_config": UPDATE,
    "resources": {"limits": {"cpus": STRING, "memory": STRING}},
    "placement": {"constraints": STRINGS, "max_replicas_per_node": INTEGER},  # the latter since format 3.8
}
SERVICE = {
    "image": STRING, "init": BOOLEAN, "entrypoint": STRINGS, "command": STRINGS, "environment": "labels",
    "ports": [{"target": INTEGER, "published": INTEGER, "protocol": ("tcp", "udp"), "mode": ("ingress", "host")}],
    "healthcheck": HEALTHCHECK, "stop_signal": STRING, "stop_grace_period": DURATION, "deploy": DEPLOY,
    "labels": "labels",
}
NETWORK = {"name": STRING, "attachable": BOOLEAN, "labels": "labels"}


def _check(value: Any, rule: Any, at: str) -> None:
    if rule == "labels":
        assert isinstance(value, Mapping) and all(isinstance(v, str) for v in value.values()), f"{at}: string map"
    elif rule == STRINGS:
        assert isinstance(value, list) and all(isinstance(v, str) for v in value), f"{at}: list of strings"
    elif isinstance(rule, tuple):
        assert value in rule, f"{at}: {value!r} is not one of {rule}"
    elif isinstance(rule, list):
        assert isinstance(value, list), f"{at}: a list"
        for index, item in enumerate(value):
            _check(item, rule[0], f"{at}[{index}]")
    elif isinstance(rule, dict):
        assert isinstance(value, Mapping), f"{at}: a mapping"
        for key, item in value.items():
            assert key in rule, f"{at}.{key}: not a key of the stack format procfleet should write"
            _check(item, rule[key], f"{at}.{key}")
    else:
        assert isinstance(value, rule) and not (rule is int and isinstance(value, bool)), \
            f"{at}: {value!r} is not {rule.__name__}"


def check_stack_keys(document: Mapping[str, Any]) -> None:
    """Raise AssertionError naming the first key or value the 3.x stack format would not take."""
    assert set(document) <= {"version", "services", "networks"}, f"top-level keys: {sorted(document)}"
    assert document["version"] == "3.8"
    for name, service in document["services"].items():
        _check(service, SERVICE, f"services.{name}")
    for name, network in (document.get("networks") or {}).items():
        _check(network, NETWORK, f"networks.{name}")
