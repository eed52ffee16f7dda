"""Validation of the `[backends.local]` table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from procfleet import validation as v
from procfleet.validation import Where

from procfleet_local.instances import DEFAULT_BASE_PORT

OPTION_KEYS = ("base_port",)


def validate(options: Mapping[str, Any], where: Where) -> dict[str, Any]:
    """Check the table and fill in defaults."""
    v.reject_unknown(options, OPTION_KEYS, where)
    base_port = v.integer(options.get("base_port", DEFAULT_BASE_PORT), where.child("base_port"), minimum=1,
                          maximum=65535, what="a port between 1 and 65535")
    return {"base_port": base_port}
