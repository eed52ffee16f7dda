"""Validation of the `[backends.swarm]` table, and the typed settings the backend reads from it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from procfleet import validation as v
from procfleet.model import Formation
from procfleet.validation import Where

PortMode = Literal["ingress", "host"]
EndpointMode = Literal["vip", "dnsrr"]
ResolveImage = Literal["auto", "always", "changed", "never"]

OPTION_KEYS = ("stack", "port_mode", "endpoint_mode", "ports", "resolve_image")
PORT_MODES: tuple[PortMode, ...] = ("ingress", "host")
ENDPOINT_MODES: tuple[EndpointMode, ...] = ("vip", "dnsrr")
RESOLVE_IMAGE: tuple[ResolveImage, ...] = ("auto", "always", "changed", "never")
# Swarm's service names are `<stack>_<type>`, at most 63 characters; the stack's name is their prefix.
STACK_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
SERVICE_NAME_MAX = 63


@dataclass(frozen=True)
class SwarmOptions:
    """The stack's name, how ports are published and services addressed, and how images are resolved."""

    stack: str | None = None  # None: the app's name
    port_mode: PortMode = "ingress"  # Swarm's default: the routing mesh (needs IPVS in every node's kernel)
    endpoint_mode: EndpointMode = "vip"  # Swarm's default: one virtual IP per service (needs IPVS too)
    ports: Mapping[str, int] = field(default_factory=dict)  # type → a fixed published port
    resolve_image: ResolveImage = "auto"

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
    return result


def settings(formation: Formation) -> SwarmOptions:
    """The formation's swarm options, validated (again: a formation from loader.load alone is not)."""
    where = Where(formation.source, f"{formation.key_prefix}backends.swarm")
    return SwarmOptions(**validate(formation.options("swarm"), where))
