"""Validation of the `[backends.systemd]` table, and the typed settings the backend reads from it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from procfleet import validation as v
from procfleet.model import Formation
from procfleet.validation import Where

Scope = Literal["user", "system"]
SCOPES: tuple[Scope, ...] = ("user", "system")
DEFAULT_BASE_PORT = 5000  # Foreman's, as the local backend's
OPTION_KEYS = ("scope", "base_port", "backoff", "crash_limit", "crash_window", "working_directory")


@dataclass(frozen=True)
class SystemdOptions:
    """Which systemd instance runs the app, its ports, and how crashed instances are restarted."""

    scope: Scope = "user"
    base_port: int = DEFAULT_BASE_PORT
    backoff: float = 0.5  # RestartSec=: how long systemd waits before starting a crashed instance again
    crash_limit: int = 5  # StartLimitBurst=: this many starts inside crash_window, and the instance stays failed
    crash_window: float = 60.0  # StartLimitIntervalSec=
    working_directory: Path | None = None  # None: the formation's folder


def validate(options: Mapping[str, Any], where: Where) -> dict[str, Any]:
    """Check the table; keys left out stay out (their defaults live in SystemdOptions)."""
    v.reject_unknown(options, OPTION_KEYS, where)
    result: dict[str, Any] = {}
    if "scope" in options:
        result["scope"] = v.choice(options["scope"], where.child("scope"), SCOPES)
    if "base_port" in options:
        result["base_port"] = v.integer(options["base_port"], where.child("base_port"), minimum=1, maximum=65535,
                                        what="a port between 1 and 65535")
    for key in ("backoff", "crash_window"):
        if key in options:
            result[key] = v.duration(options[key], where.child(key))
    if "crash_limit" in options:
        result["crash_limit"] = v.integer(options["crash_limit"], where.child("crash_limit"), minimum=1,
                                          what="a positive integer")
    if "working_directory" in options:
        at = where.child("working_directory")
        folder = v.string(options["working_directory"], at)
        if not folder.startswith("/") or not folder.isprintable():
            raise at.error("expected an absolute path on one line, such as \"/srv/shop\"")
        result["working_directory"] = folder
    return result


def settings(formation: Formation) -> SystemdOptions:
    """The formation's systemd options, validated (again: a formation from loader.load alone is not).

    Without `base_port`, a PORT in the app's env files is the base port, as the local backend and Foreman take it.
    """
    where = Where(formation.source, f"{formation.key_prefix}backends.systemd")
    values = validate(formation.options("systemd"), where)
    if "base_port" not in values and "PORT" in formation.app.file_env:
        given = formation.app.file_env["PORT"]
        if not (given.isascii() and given.isdigit() and 0 < int(given) < 65536):
            raise where.child("base_port").error(f"PORT in app.env_file is {given!r}, not a port: set base_port")
        values["base_port"] = int(given)
    if "working_directory" in values:
        values["working_directory"] = Path(values["working_directory"])
    return SystemdOptions(**values)
