"""`docker inspect` elements of services and tasks, trimmed from what Docker 20.10 printed for a procfleet stack,
and varied by the tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from procfleet_swarm.status import Service, Snapshot, Task, parse_service, parse_task

NOW = datetime(2026, 11, 26, 22, 30, tzinfo=UTC)
NODE = "nfcsftfmhznrj7us0blv3viok"

# `docker service inspect pfone_web` (port_mode = "host", endpoint_mode = "dnsrr"), trimmed.
SERVICE: dict[str, Any] = {
    "ID": "hzveaaipd58yejqqzf3dwcdh7",
    "Version": {"Index": 288},
    "Spec": {
        "Name": "pfone_web",
        "Labels": {"com.docker.stack.image": "procfleet-test/busybox:latest", "com.docker.stack.namespace": "pfone",
                   "procfleet.app": "pfone", "procfleet.fingerprint": "4e10547cab4d4274", "procfleet.process": "web"},
        "TaskTemplate": {"ContainerSpec": {
            "Image": "procfleet-test/busybox:latest",
            "Labels": {"com.docker.stack.namespace": "pfone", "procfleet.app": "pfone",
                       "procfleet.fingerprint": "4e10547cab4d4274", "procfleet.process": "web"},
            "Healthcheck": {"Test": ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8080/"],
                            "Interval": 1000000000, "Timeout": 2000000000, "Retries": 3}},
            "RestartPolicy": {"Condition": "any", "Delay": 5000000000, "MaxAttempts": 0}},
        "Mode": {"Replicated": {"Replicas": 2}},
        "EndpointSpec": {"Mode": "dnsrr", "Ports": [{"Protocol": "tcp", "TargetPort": 8080, "PublishMode": "host"}]},
    },
    "Endpoint": {"Spec": {"Mode": "dnsrr"},
                 "Ports": [{"Protocol": "tcp", "TargetPort": 8080, "PublishMode": "host"}]},
}

# `docker inspect --type task` of one of its tasks, trimmed.
TASK: dict[str, Any] = {
    "ID": "pkr0zv03v0b88kx78h9bckjoa",
    "Version": {"Index": 22},
    "CreatedAt": "2026-11-26T22:06:21.656447677Z",
    "Spec": {"ContainerSpec": {"Image": "procfleet-test/busybox:latest",
                               "Labels": {"procfleet.app": "pfone", "procfleet.fingerprint": "4e10547cab4d4274",
                                          "procfleet.process": "web"}}},
    "ServiceID": "hzveaaipd58yejqqzf3dwcdh7",
    "Slot": 1,
    "NodeID": NODE,
    "Status": {"Timestamp": "2026-11-26T22:06:24.840496376Z", "State": "running", "Message": "started",
               "ContainerStatus": {"ContainerID": "ecc4b769ac73", "PID": 1892, "ExitCode": 0},
               "PortStatus": {"Ports": [
                   {"Protocol": "tcp", "TargetPort": 8080, "PublishedPort": 32798, "PublishMode": "host"},
                   {"Protocol": "tcp", "TargetPort": 8080, "PublishedPort": 32798, "PublishMode": "host"}]}},
    "DesiredState": "running",
}


def service(process: str = "web", *, replicas: int = 2, checked: bool = True, app: str | None = "shop",
            fingerprint: str = "f1", update: str | None = None, started: str | None = None,
            message: str = "", ingress: int | None = None) -> Service:
    """A service of the stack "shop", parsed from an element like SERVICE."""
    labels = {"com.docker.stack.namespace": "shop", "procfleet.process": process, "procfleet.fingerprint": fingerprint}
    if app is not None:
        labels["procfleet.app"] = app
    container: dict[str, Any] = {"Image": "shop:1", "Labels": labels}
    if checked:
        container["Healthcheck"] = {"Test": ["CMD-SHELL", "true"]}
    inspected: dict[str, Any] = {
        "ID": f"id-{process}",
        "Spec": {"Name": f"shop_{process}", "Labels": labels, "TaskTemplate": {"ContainerSpec": container},
                 "Mode": {"Replicated": {"Replicas": replicas}}},
        "Endpoint": {"Ports": [{"Protocol": "tcp", "TargetPort": 8000, "PublishedPort": ingress,
                                "PublishMode": "ingress"}] if ingress else []},
    }
    if update is not None:
        inspected["UpdateStatus"] = {"State": update, "StartedAt": started or "2026-11-26T22:29:00Z",
                                     "Message": message}
    return parse_service(inspected, "shop")


def task(process: str = "web", slot: int = 1, *, state: str = "running", desired: str = "running", age: float = 30,
         error: str = "", exit_code: int | None = None, fingerprint: str = "f1", ident: str | None = None,
         message: str = "", image: str = "shop:1") -> Task:
    """A task of service(process), created `age` seconds before NOW, parsed from an element like TASK."""
    status: dict[str, Any] = {"State": state, "Err": error, "Message": message,
                              "Timestamp": (NOW - timedelta(seconds=age / 2)).isoformat().replace("+00:00", "Z")}
    if exit_code is not None:
        status["ContainerStatus"] = {"ContainerID": "c", "ExitCode": exit_code}
    return parse_task({
        "ID": ident or f"{process}.{slot}.{state}.{age}",
        "CreatedAt": (NOW - timedelta(seconds=age)).isoformat().replace("+00:00", "Z"),
        "Spec": {"ContainerSpec": {"Image": image, "Labels": {"procfleet.fingerprint": fingerprint}}},
        "ServiceID": f"id-{process}", "Slot": slot, "NodeID": NODE, "DesiredState": desired, "Status": status,
    })


def snapshot(services: list[Service], tasks: list[Task]) -> Snapshot:
    """A look at the stack, on one node called vm."""
    return Snapshot(services=tuple(services), tasks=tuple(tasks), nodes={NODE: "vm"})
