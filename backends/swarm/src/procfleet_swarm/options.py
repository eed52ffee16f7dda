"""Validation of the `[backends.swarm]` table, and the typed settings the backend reads from it."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from procfleet import validation as v
from procfleet.model import Formation
from procfleet.validation import Where

PortMode = Literal["ingress", "host"]
EndpointMode = Literal["vip", "dnsrr"]
ResolveImage = Literal["auto", "always", "changed", "never"]

OPTION_KEYS = ("stack", "port_mode", "endpoint_mode", "ports", "resolve_image", "constraints",
               "max_replicas_per_node")
PORT_MODES: tuple[PortMode, ...] = ("ingress", "host")
ENDPOINT_MODES: tuple[EndpointMode, ...] = ("vip", "dnsrr")
RESOLVE_IMAGE: tuple[ResolveImage, ...] = ("auto", "always", "changed", "never")
# Swarm's service names are `<stack>_<type>`, at most 63 characters; the stack's name is their prefix.
STACK_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
SERVICE_NAME_MAX = 63
# Swarm's placement constraints: `<attribute> == <value>` or `!=`, the attributes swarmkit's scheduler knows.
CONSTRAINT = re.compile(r"^\s*([A-Za-z0-9_.-]+)\s*(==|!=)\s*(\S(?:.*\S)?)\s*$")
NODE_ATTRIBUTES = ("node.id", "node.hostname", "node.role", "node.platform.os", "node.platform.arch")
LABEL_ATTRIBUTES = ("node.labels.", "engine.labels.")
ROLES = ("manager", "worker")


@dataclass(frozen=True)
class SwarmOptions:
    """The stack's name, how ports are published and services addressed, and how images are resolved."""

    stack: str | None = None  # None: the app's name
    port_mode: PortMode = "ingress"  # Swarm's default: the routing mesh (needs IPVS in every node's kernel)
    endpoint_mode: EndpointMode = "vip"  # Swarm's default: one virtual IP per service (needs IPVS too)
    ports: Mapping[str, int] = field(default_factory=dict)  # type → a fixed published port
    resolve_image: ResolveImage = "auto"
    constraints: Mapping[str, Sequence[str]] = field(default_factory=dict)  # type → placement constraints
    max_replicas_per_node: Mapping[str, int] = field(default_factory=dict)  # type → at most this many per node

    def stack_for(self, formation: Formation) -> str:
        """The stack this formation runs as."""
        return self.stack or formation.app.name


def validate(options: Mapping[str, Any], where: Where) -> dict[str, Any]:
    """Check the table; the modes are filled in with their defaults, stack and ports only when set."""
    v.reject_unknown(options, OPTION_KEYS, where)
    result: dict[str, Any] = {}
    if "stack" in options:
        at = where.child("stack")
        stack = v.string(options["stack"], at)
        if not STACK_PATTERN.match(stack) or len(stack) > SERVICE_NAME_MAX - 2:
            raise at.error(f'invalid stack name {v.describe(stack)}: use lowercase letters, digits, "-" and "_", '
                           f"starting with a letter or a digit, at most {SERVICE_NAME_MAX - 2} characters")
        result["stack"] = stack
    result["port_mode"] = v.choice(options.get("port_mode", "ingress"), where.child("port_mode"), PORT_MODES)
    result["endpoint_mode"] = v.choice(options.get("endpoint_mode", "vip"), where.child("endpoint_mode"),
                                       ENDPOINT_MODES)
    if "ports" in options:
        result["ports"] = v.ports_by_type(options["ports"], where.child("ports"), "a published port")
    result["resolve_image"] = v.choice(options.get("resolve_image", "auto"), where.child("resolve_image"),
                                       RESOLVE_IMAGE)
    if "constraints" in options:
        result["constraints"] = constraints(options["constraints"], where.child("constraints"))
    if "max_replicas_per_node" in options:
        at = where.child("max_replicas_per_node")
        result["max_replicas_per_node"] = {
            key: v.integer(count, at.child(key), minimum=1, what="a number of tasks, 1 or more")
            for key, count in _by_type(options["max_replicas_per_node"], at).items()}
    return result


def _by_type(value: Any, where: Where) -> Mapping[str, Any]:
    table = v.table(value, where)
    for key in table:
        v.name(key, where.child(key), "process type name")
    return table


def constraints(value: Any, where: Where) -> dict[str, list[str]]:
    """Type → Swarm placement constraints, each `<attribute> ==|!= <value>` as `docker service create` takes."""
    result = {}
    for key, items in _by_type(value, where).items():
        checked = []
        for index, text in enumerate(v.string_list(items, where.child(key))):
            checked.append(constraint(text, Where(where.file, f"{where.child(key).key}[{index}]")))
        result[key] = checked
    return result


def constraint(text: str, where: Where) -> str:
    """One constraint, normalised to `<attribute> == <value>`; an attribute Swarm does not know is an error."""
    match = CONSTRAINT.match(text)
    if match is None:
        raise where.error(f"invalid placement constraint {v.describe(text)}: expected <attribute> == <value> or "
                          '<attribute> != <value>, e.g. "node.role == worker" or "node.labels.zone == a"')
    attribute, operator, wanted = match.groups()
    known = attribute in NODE_ATTRIBUTES or any(attribute.startswith(p) and len(attribute) > len(p)
                                                for p in LABEL_ATTRIBUTES)
    if not known:
        raise where.error(f"unknown node attribute {v.describe(attribute)} in {v.describe(text)}: expected one of "
                          f"{' | '.join(NODE_ATTRIBUTES)}, node.labels.<name> or engine.labels.<name>"
                          + v.did_you_mean(attribute, NODE_ATTRIBUTES))
    if attribute == "node.role" and wanted not in ROLES:
        raise where.error(f"node.role is manager or worker, got {v.describe(wanted)} in {v.describe(text)}"
                          + v.did_you_mean(wanted, ROLES))
    return f"{attribute} {operator} {wanted}"


def settings(formation: Formation) -> SwarmOptions:
    """The formation's swarm options, validated (again: a formation from loader.load alone is not)."""
    where = Where(formation.source, f"{formation.key_prefix}backends.swarm")
    return SwarmOptions(**validate(formation.options("swarm"), where))
