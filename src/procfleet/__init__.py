"""procfleet: one process formation, run on every platform."""

from __future__ import annotations

__version__ = "0.1.0"
