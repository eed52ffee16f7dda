"""Formation → stack file, as plain data: the compose backend's services with what Swarm needs on top. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from procfleet.model import Formation, ProcessType
from procfleet.validation import Where, unknown_type
from procfleet_compose.escape import escape_values
from procfleet_compose.options import ComposeOptions
from procfleet_compose.translate import APP_LABEL, labels
from procfleet_compose.translate import environment as compose_environment
from procfleet_compose.translate import service as compose_service
from procfleet_swarm.options import SERVICE_NAME_MAX, SwarmOptions

# Every docker CLI since 19.03 reads 3.8; `init` needs 3.7. Newer CLIs read it as the 3.x schema it is.
STACK_FILE_VERSION = "3.8"
RESTART_CONDITION = {"always": "any", "on-failure": "on-failure", "never": "none"}
MARK = "# Written by procfleet"


def stack_document(formation: Formation, counts: Mapping[str, int], options: SwarmOptions) -> dict[str, Any]:
    """The whole stack file as data, every `$` escaped (`docker stack deploy` interpolates as Compose does)."""
    _check_names(formation, options)
    _check_ports(formation, options)
    network = {"name": network_name(options.stack_for(formation)), "attachable": True,
               "labels": {APP_LABEL: formation.app.name}}
    document = {
        "version": STACK_FILE_VERSION,
        "services": {name: service(formation, process, counts.get(name, 0), options)
                     for name, process in formation.processes.items()},
        "networks": {"default": network},
    }
    escaped: dict[str, Any] = escape_values(document)
    return escaped


def service(formation: Formation, process: ProcessType, replicas: int, options: SwarmOptions) -> dict[str, Any]:
    """The compose backend's service for the type, made a Swarm service: restart, ports, deploy, env."""
    reference = image(formation, process)
    spec = compose_service(formation, process, replicas, ComposeOptions())
    # `docker stack deploy` ignores build: procfleet builds the image first (imagebuild) and the stack runs it
    spec.pop("build", None)
    spec.pop("depends_on", None)  # not in the stack file schema, and Swarm would ignore it
    spec = {"image": reference, **{key: value for key, value in spec.items() if key != "image"}}
    # Swarm ignores `restart` (deploy.restart_policy says it), and `docker stack deploy` reads env files with
    # Docker's own rules (quotes kept, `export` refused): their values are written in, as procfleet read them.
    del spec["restart"]
    spec.pop("env_file", None)
    spec["environment"] = environment(formation, process)
    # Each task learns its slot (1-based) through Swarm's service templates: PROCFLEET_PROCESS is `web.1`, as on
    # every backend that can number its instances.
    spec["environment"]["PROCFLEET_PROCESS"] = f"{process.name}.{{{{.Task.Slot}}}}"
    if process.port is not None:
        spec["ports"] = [port_mapping(process.port, options.port_mode, options.ports.get(process.name))]
    type_labels = labels(formation, process, option_extras(process, options))
    spec["labels"] = type_labels
    spec["deploy"] = deploy(process, replicas, options, spec["deploy"].get("resources"), type_labels)
    return spec


def option_extras(process: ProcessType, options: SwarmOptions) -> dict[str, Any]:
    """The `[backends.swarm]` settings that shape this type's service; only those away from Swarm's defaults, so
    a default stack hashes as the core's fingerprint does."""
    published = process.port is not None  # port settings do not touch a type that publishes no port
    extras = {"port_mode": None if options.port_mode == "ingress" or not published else options.port_mode,
              "endpoint_mode": None if options.endpoint_mode == "vip" else options.endpoint_mode,
              "published_port": options.ports.get(process.name) if published else None,
              "constraints": list(options.constraints.get(process.name, ())) or None,
              "max_replicas_per_node": options.max_replicas_per_node.get(process.name)}
    return {key: value for key, value in extras.items() if value is not None}


def image(formation: Formation, process: ProcessType) -> str:
    """The image the type runs; a type without one is a formation error naming the key to set."""
    found = formation.image_reference(process)
    if found is None:
        where = Where(formation.source, f"{formation.key_prefix}processes.{process.name}.image")
        raise where.error(f"the swarm backend needs an image: set [app].image or processes.{process.name}.image "
                          "(or a build)")
    return found


def environment(formation: Formation, process: ProcessType) -> dict[str, str]:
    """The env files' values, then the compose backend's environment (app env, type env, what procfleet sets)."""
    return {**formation.app.file_env, **process.file_env, **compose_environment(formation, process)}


def port_mapping(port: int, mode: str, fixed: int | None) -> dict[str, Any]:
    """The container port, published in the given mode; without a fixed port Swarm picks one."""
    mapping: dict[str, Any] = {"target": port, "protocol": "tcp", "mode": mode}
    if fixed is not None:
        mapping["published"] = fixed  # the stack schema wants an integer here, where Compose takes a string
    return mapping


def update_order(process: ProcessType, options: SwarmOptions) -> str:
    """start-first where a health check says when the new task is ready, unless a fixed host port forbids two."""
    fixed_host_port = options.port_mode == "host" and process.name in options.ports
    return "start-first" if process.health is not None and not fixed_host_port else "stop-first"


def deploy(process: ProcessType, replicas: int, options: SwarmOptions, resources: Mapping[str, Any] | None,
           owned: Mapping[str, str]) -> dict[str, Any]:
    """Replicas, endpoint mode, service labels, restart policy, rolling updates, resource limits."""
    order = update_order(process, options)
    spec: dict[str, Any] = {
        "replicas": replicas,
        "endpoint_mode": options.endpoint_mode,
        "labels": dict(owned),
        "restart_policy": {"condition": RESTART_CONDITION[process.restart]},
        # One task at a time; a new task that fails within Swarm's monitor window rolls the service back, but for
        # a type whose tasks may end: Swarm's monitor takes any end within its window as a failure ("failure or
        # early termination"), and would undo a one-shot's restart or new definition after running it again
        "update_config": {"parallelism": 1, "order": order,
                          "failure_action": "rollback" if process.restart == "always" else "continue"},
        "rollback_config": {"parallelism": 1, "order": order},
    }
    placement = placement_of(process, options)
    if placement:
        spec["placement"] = placement
    limits = dict((resources or {}).get("limits") or {})
    if "cpus" in limits:
        limits["cpus"] = f"{limits['cpus']:g}"  # the stack schema wants a string
    if limits:
        spec["resources"] = {"limits": limits}
    return spec


def placement_of(process: ProcessType, options: SwarmOptions) -> dict[str, Any]:
    """`deploy.placement`: the type's constraints (every one must hold) and how many of its tasks one node runs."""
    placement: dict[str, Any] = {}
    if options.constraints.get(process.name):
        placement["constraints"] = list(options.constraints[process.name])
    if process.name in options.max_replicas_per_node:
        placement["max_replicas_per_node"] = options.max_replicas_per_node[process.name]
    return placement


def service_name(stack: str, process: str) -> str:
    """The Swarm service a type runs as."""
    return f"{stack}_{process}"


def network_name(stack: str) -> str:
    """The stack's overlay network: not `<stack>_default`, which is the Compose project's network of the same app.

    On one engine the two would clash ("network with name shop_default already exists"), and `procfleet migrate`
    runs both at once. Attachable, so that `procfleet run` can start its one-off container on it.
    """
    return f"{stack}_swarm"


def to_yaml(document: Mapping[str, Any], formation: Formation, stack: str) -> str:
    """The stack file as YAML, under a header saying where it comes from and how to apply it by hand."""
    header = (f'{MARK} from {formation.source.name} (app "{formation.app.name}"). '
              f"Apply it by hand with `docker stack deploy --prune -c <this file> {stack}`.\n")
    body = yaml.safe_dump(dict(document), sort_keys=False, default_flow_style=False, allow_unicode=True, width=1000)
    return header + body


def _check_names(formation: Formation, options: SwarmOptions) -> None:
    stack = options.stack_for(formation)
    for name in formation.processes:
        full = service_name(stack, name)
        if len(full) > SERVICE_NAME_MAX:
            where = Where(formation.source, f"{formation.key_prefix}processes.{name}")
            raise where.error(f'the Swarm service "{full}" would be {len(full)} characters, over Swarm\'s '
                              f"{SERVICE_NAME_MAX}: shorten the type's name, or the stack's ([backends.swarm] stack)")


def _check_ports(formation: Formation, options: SwarmOptions) -> None:
    root = Where(formation.source, f"{formation.key_prefix}backends.swarm")
    for key, names in (("constraints", options.constraints), ("max_replicas_per_node", options.max_replicas_per_node)):
        for name in names:
            if name not in formation.processes:
                raise root.child(key).child(name).error(unknown_type(name, formation.processes))
    for name in options.ports:
        where = root.child("ports").child(name)
        process = formation.processes.get(name)
        if process is None:
            raise where.error(unknown_type(name, formation.processes))
        if process.port is None:
            raise where.error(f"processes.{name} has no port to publish")
    with_port = [name for name, p in formation.processes.items() if p.port is not None]
    if options.endpoint_mode == "dnsrr" and options.port_mode == "ingress" and with_port:
        raise root.child("endpoint_mode").error(
            f'Swarm cannot publish ingress ports for a dnsrr service (processes.{with_port[0]}.port): '
            'set port_mode = "host" as well, or keep endpoint_mode = "vip"')
