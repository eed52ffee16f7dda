"""Starts the foreground supervisor: in a fresh, lean interpreter where it can, else in this process.

Apart from the supervisor itself (procfleet_local.foreground, which brings asyncio and the event loop's machinery),
so that the commands that only talk to a running supervisor (ps, scale, logs, down) never import it, and so that
`deploy` execs the lean interpreter before paying for imports the new interpreter makes again.
"""

from __future__ import annotations

from collections.abc import Mapping

from procfleet.backend import Session
from procfleet.model import Formation
from procfleet_local import lean, runtime
from procfleet_local.runtime import Address


def run(formation: Formation, counts: Mapping[str, int], session: Session, where: Address) -> int:
    """Supervise the formation until Ctrl-C, SIGTERM or `procfleet down`; returns the exit status. Where it can,
    this process first becomes a fresh interpreter that holds only what supervising needs (procfleet_local.lean),
    so the CLI's libraries do not stay in memory for as long as the app runs."""
    lock = runtime.claim(where)  # refuses a second supervisor for the app before anything starts
    if lean.possible(session):
        lean.become(formation, counts, session, where, lock)  # returns only if the exec failed
    from procfleet_local import foreground

    return foreground.supervise_holding(formation, counts, session, where, lock)
