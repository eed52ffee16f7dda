"""Compose interpolates `$VAR` in every string value; procfleet's values are meant literally, so `$` is doubled."""

from __future__ import annotations

from typing import Any


def escape(text: str) -> str:
    """`$` → `$$`: Compose turns it back into one `$`, and the container's shell sees what the formation says."""
    return text.replace("$", "$$")


def escape_values(node: Any) -> Any:
    """A copy of a Compose document with every string value escaped (keys are never interpolated)."""
    if isinstance(node, str):
        return escape(node)
    if isinstance(node, dict):
        return {key: escape_values(value) for key, value in node.items()}
    if isinstance(node, list):
        return [escape_values(item) for item in node]
    return node
