"""Expands a formation into numbered instances (web.1, web.2…) with Foreman's port scheme."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from procfleet.model import Formation, ProcessType, fingerprint

DEFAULT_BASE_PORT = 5000
PORT_STEP = 100  # Foreman: each type gets its own block of 100 ports
UNUSED_KEYS = ("image", "resources", "build")  # local runs no image and sets no limits: changing them restarts nothing


@dataclass(frozen=True)
class Instance:
    """One process to run: its name, type, number, port and full environment."""

    process: ProcessType
    number: int
    port: int
    env: Mapping[str, str]

    @property
    def name(self) -> str:
        """`web.1`, as Foreman, Honcho and Heroku name them."""
        return f"{self.process.name}.{self.number}"


MAX_PORT = 65535


def port_overflow(formation: Formation, counts: Mapping[str, int], base_port: int) -> str | None:
    """Why these counts would give an instance a port past 65535 (None when they all fit)."""
    for name, count in counts.items():
        if name in formation.processes and count:
            port = port_for(base_port, formation.position(name), count)
            if port > MAX_PORT:
                return (f"{name}.{count} would get port {port}, past {MAX_PORT}: lower [backends.local] base_port "
                        f"({base_port}) or the count")
    return None


def port_for(base_port: int, position: int, number: int) -> int:
    """Foreman's scheme: base_port + 100 × the type's position in the file + instance − 1."""
    return base_port + PORT_STEP * position + number - 1


def instance(formation: Formation, process: ProcessType, number: int, base_port: int,
             caller_env: Mapping[str, str]) -> Instance:
    """Build instance `number` of a type with its environment in DESIGN §1's precedence."""
    port = port_for(base_port, formation.position(process.name), number)
    env = {**caller_env, **formation.environment(process)}
    env.setdefault("PYTHONUNBUFFERED", "1")  # child Python output reaches the terminal as it is written
    env["PORT"] = str(port)
    env["PROCFLEET_PROCESS"] = f"{process.name}.{number}"
    return Instance(process=process, number=number, port=port, env=env)


def expand(formation: Formation, counts: Mapping[str, int], base_port: int,
           caller_env: Mapping[str, str]) -> list[Instance]:
    """Every instance of every type, in file order."""
    return [
        instance(formation, process, number, base_port, caller_env)
        for name, process in formation.processes.items()
        for number in range(1, counts.get(name, 0) + 1)
    ]


def type_fingerprint(formation: Formation, process: ProcessType, base_port: int) -> str:
    """The definition hash of a type's local instances: its block of ports in, image and resources out.

    A new `base_port`, or the type moving in the file, gives its instances other ports, so they restart.
    """
    first_port = port_for(base_port, formation.position(process.name), 1)
    return fingerprint(formation, process, {"first_port": first_port}, ignore=UNUSED_KEYS)
