"""Compose `ports` and `expose` entries: the container port, and where (if anywhere) it is published."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from procfleet.validation import Where, describe

# [[host_ip:]published:]target[/protocol], host_ip possibly [IPv6] and published possibly empty or a range.
SHORT = re.compile(r"^(?:(?:(?P<ip>\[[^\]]+\]|[^:]*):)?(?P<published>[0-9-]*):)?"
                   r"(?P<target>[0-9-]+)(?:/(?P<protocol>\w+))?$")


@dataclass(frozen=True)
class PortSpec:
    """One port entry: the container port, the fixed host port (None: ephemeral) and the host address."""

    target: int
    published: str | None = None
    host_ip: str | None = None
    protocol: str = "tcp"


def parse_port(entry: Any, where: Where) -> PortSpec | str:
    """The entry, or the reason it cannot be a process type's port (a range, a bad value)."""
    if isinstance(entry, int) and not isinstance(entry, bool):
        return PortSpec(target=entry)
    if isinstance(entry, dict):
        return _long(entry, where)
    if not isinstance(entry, str):
        raise where.error(f'expected a port like "8000", "80:8000" or {{target: 8000}}, got {describe(entry)}')
    match = SHORT.match(entry.strip())
    if not match:
        raise where.error(f'expected a port like "8000", "80:8000" or "127.0.0.1::8000", got "{entry}"')
    target = match.group("target")
    if "-" in target:
        return f'the port range "{entry}" has no one container port'
    ip = _address((match.group("ip") or "").strip("[]"))
    return PortSpec(target=int(target), published=match.group("published") or None, host_ip=ip,
                    protocol=(match.group("protocol") or "tcp").lower())


def _long(entry: dict[str, Any], where: Where) -> PortSpec | str:
    target = entry.get("target")
    if isinstance(target, str) and target.isdigit():
        target = int(target)
    if not isinstance(target, int) or isinstance(target, bool):
        return f"the port has no single container port (target: {describe(target)})"
    published = entry.get("published")
    return PortSpec(target=target, published=None if published in (None, "") else str(published),
                    host_ip=_address(str(entry.get("host_ip") or "")),
                    protocol=str(entry.get("protocol") or "tcp").lower())


def _address(host_ip: str) -> str | None:
    """The host address, None for every interface (Compose's default, however it is written)."""
    return None if host_ip in ("", "0.0.0.0", "::") else host_ip
