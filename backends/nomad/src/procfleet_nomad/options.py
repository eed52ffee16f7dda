"""Validation of the `[backends.nomad]` table, and the typed settings translation and connection read from it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from procfleet import validation as v
from procfleet.model import Formation
from procfleet.validation import Where

Driver = Literal["docker", "exec", "raw_exec"]

OPTION_KEYS = ("datacenters", "namespace", "region", "driver", "node_pool")
DRIVERS: tuple[Driver, ...] = ("docker", "exec", "raw_exec")
DEFAULT_DATACENTERS = ("*",)  # Nomad's own default since 1.5, written out so render shows it
NAMESPACE_PATTERN = re.compile(r"^[a-zA-Z0-9-]{1,128}$")  # Nomad's namespace name rule (reference §2)
# nomad/structs/node_pool.go validNodePoolName: no dots.
NODE_POOL_PATTERN = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")


@dataclass(frozen=True)
class NomadOptions:
    """Where the job runs and with which task driver; None leaves the choice to Nomad or the environment."""

    datacenters: tuple[str, ...] = DEFAULT_DATACENTERS
    namespace: str | None = None
    region: str | None = None
    driver: Driver | None = None  # None: docker for types with an image, exec for the others
    node_pool: str | None = None


def validate(options: Mapping[str, Any], where: Where) -> dict[str, Any]:
    """Check the table; the result keeps only what was set, plus the datacenters default."""
    v.reject_unknown(options, OPTION_KEYS, where)
    result: dict[str, Any] = {}
    datacenters = v.string_list(options.get("datacenters", list(DEFAULT_DATACENTERS)), where.child("datacenters"))
    if not datacenters:
        raise where.child("datacenters").error('expected at least one datacenter (["*"] means any)')
    result["datacenters"] = datacenters
    if "namespace" in options:
        result["namespace"] = _matching(options["namespace"], where.child("namespace"), NAMESPACE_PATTERN,
                                        "letters, digits and -, at most 128 characters")
    if "region" in options:
        result["region"] = v.string(options["region"], where.child("region"))
    if "driver" in options:
        result["driver"] = v.choice(options["driver"], where.child("driver"), DRIVERS)
    if "node_pool" in options:
        result["node_pool"] = _matching(options["node_pool"], where.child("node_pool"), NODE_POOL_PATTERN,
                                        "letters, digits, _ and -, at most 128 characters")
    return result


def _matching(value: Any, where: Where, pattern: re.Pattern[str], rule: str) -> str:
    text = v.string(value, where)
    if not pattern.match(text):
        raise where.error(f"invalid name {v.describe(text)}: use {rule}")
    return text


def settings(formation: Formation) -> NomadOptions:
    """The formation's Nomad options, validated (again: a formation from loader.load alone is not)."""
    where = Where(formation.source, f"{formation.key_prefix}backends.nomad")
    checked = validate(formation.options("nomad"), where)
    return NomadOptions(
        datacenters=tuple(checked["datacenters"]),
        namespace=checked.get("namespace"),
        region=checked.get("region"),
        driver=checked.get("driver"),
        node_pool=checked.get("node_pool"),
    )
