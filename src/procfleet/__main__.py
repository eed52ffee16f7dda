"""`python -m procfleet`."""

from __future__ import annotations

from procfleet.cli import entry

entry()
