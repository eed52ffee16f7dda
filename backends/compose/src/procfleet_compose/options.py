"""Validation of the `[backends.compose]` table, and the typed settings the backend reads from it."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from procfleet import validation as v
from procfleet.model import Formation
from procfleet.validation import Where

OPTION_KEYS = ("project", "host_ip", "ports")
# What `docker compose -p` accepts.
PROJECT_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@dataclass(frozen=True)
class ComposeOptions:
    """The Compose project's name, where ports are published, and fixed host ports by type."""

    project: str | None = None  # None: the app's name
    host_ip: str | None = None  # None: every interface, as Compose does by default
    ports: Mapping[str, int] = field(default_factory=dict)  # type → a fixed host port (one instance only)

    def project_for(self, formation: Formation) -> str:
        """The Compose project this formation runs as."""
        return self.project or formation.app.name


def validate(options: Mapping[str, Any], where: Where) -> dict[str, Any]:
    """Check the table; keys left out stay out (their defaults live in ComposeOptions)."""
    v.reject_unknown(options, OPTION_KEYS, where)
    result: dict[str, Any] = {}
    if "project" in options:
        at = where.child("project")
        project = v.string(options["project"], at)
        if not PROJECT_PATTERN.match(project):
            raise at.error(f'invalid Compose project name {v.describe(project)}: use lowercase letters, digits, '
                           '"-" and "_", starting with a letter or a digit')
        result["project"] = project
    if "host_ip" in options:
        at = where.child("host_ip")
        host_ip = v.string(options["host_ip"], at)
        try:
            ipaddress.ip_address(host_ip)
        except ValueError:
            raise at.error(f'expected an IP address such as "127.0.0.1", got {v.describe(host_ip)}') from None
        result["host_ip"] = host_ip
    if "ports" in options:
        result["ports"] = v.ports_by_type(options["ports"], where.child("ports"), "a host port")
    return result


def settings(formation: Formation) -> ComposeOptions:
    """The formation's compose options, validated (again: a formation from loader.load alone is not)."""
    where = Where(formation.source, f"{formation.key_prefix}backends.compose")
    return ComposeOptions(**validate(formation.options("compose"), where))
