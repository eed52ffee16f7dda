"""Validation of the `[backends.local]` table, and the typed settings the supervisor reads from it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from procfleet import validation as v
from procfleet.model import Formation
from procfleet.validation import Where
from procfleet_local.instances import DEFAULT_BASE_PORT

MAX_INSTANCES = 1000  # of one type: LocalBackend.max_count, which the CLI enforces before asking the supervisor
OPTION_KEYS = ("base_port", "backoff", "backoff_max", "crash_limit", "crash_window")


@dataclass(frozen=True)
class LocalOptions:
    """Ports, restart backoff and crash-loop detection for the local supervisor."""

    base_port: int = DEFAULT_BASE_PORT
    backoff: float = 0.5  # the first restart delay; it doubles with each exit inside crash_window
    backoff_max: float = 30.0
    crash_limit: int = 5  # this many exits inside crash_window and the instance is marked crashed
    crash_window: float = 60.0


def validate(options: Mapping[str, Any], where: Where) -> dict[str, Any]:
    """Check the table and fill in defaults."""
    v.reject_unknown(options, OPTION_KEYS, where)
    default = LocalOptions()
    base_port = v.integer(options.get("base_port", default.base_port), where.child("base_port"), minimum=1,
                          maximum=65535, what="a port between 1 and 65535")
    backoff = v.duration(options.get("backoff", default.backoff), where.child("backoff"))
    backoff_max = v.duration(options.get("backoff_max", default.backoff_max), where.child("backoff_max"))
    if backoff_max < backoff:
        raise where.child("backoff_max").error(f"must not be below backoff ({backoff:g}s)")
    crash_limit = v.integer(options.get("crash_limit", default.crash_limit), where.child("crash_limit"),
                            minimum=1, what="a positive integer")
    crash_window = v.duration(options.get("crash_window", default.crash_window), where.child("crash_window"))
    return {"base_port": base_port, "backoff": backoff, "backoff_max": backoff_max, "crash_limit": crash_limit,
            "crash_window": crash_window}


def settings(formation: Formation, environ: Mapping[str, str] | None = None) -> LocalOptions:
    """The formation's local options, validated (again: a formation from loader.load alone is not).

    Without `base_port`, a PORT in the caller's environment, else in the app's env files, is the base port, as
    Foreman and Honcho take it (Rails' bin/dev exports PORT=3000 before `foreman start`)."""
    where = Where(formation.source, f"{formation.key_prefix}backends.local")
    options = dict(formation.options("local"))
    if "base_port" not in options:
        given = (environ or {}).get("PORT") or formation.app.file_env.get("PORT")
        if given is not None:
            source = "PORT in the environment" if (environ or {}).get("PORT") else "PORT in app.env_file"
            if not (given.isascii() and given.isdigit() and 0 < int(given) < 65536):
                raise where.child("base_port").error(f"{source} is {given!r}, not a port: set base_port")
            options["base_port"] = int(given)
    return LocalOptions(**validate(options, where))

