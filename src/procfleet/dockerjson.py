"""Reading what the docker CLI prints as JSON, where a broken or foreign `docker` binary must be one clear line."""

from __future__ import annotations

import json
from typing import Any

from procfleet.errors import PlatformError

NOT_DOCKER = "check that `docker` on PATH is Docker's own CLI and that it works (`docker version`)"


def not_docker(action: str, detail: object) -> PlatformError:
    """The error for output that is not what the Docker CLI prints."""
    return PlatformError(f"{action}: docker printed something that is not Docker's output ({shown(detail)}): "
                         f"{NOT_DOCKER}")


def shown(detail: object) -> str:
    """Foreign output as an error quotes it: its first line, cut at 160 characters, or "nothing"."""
    return str(detail).strip().splitlines()[0][:160] if str(detail).strip() else "nothing"


def objects(output: str, action: str) -> list[dict[str, Any]]:
    """`docker inspect`'s JSON array of objects; anything else is an error naming the action."""
    try:
        loaded = json.loads(output or "[]")
    except ValueError:
        raise not_docker(action, output) from None
    if not isinstance(loaded, list) or not all(isinstance(item, dict) for item in loaded):
        raise not_docker(action, output)
    return loaded
