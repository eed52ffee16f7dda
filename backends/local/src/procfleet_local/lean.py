"""The foreground supervisor in a fresh interpreter that holds only what supervising needs.

`procfleet deploy` has imported the CLI's libraries (typer, rich, PyYAML, python-dotenv…) by the time it
becomes the supervisor, and a process never gives imported modules back: the supervisor would carry them for
as long as the app runs. So the CLI process, once it holds the app's lock, execs this module instead
(`python -m procfleet_local.lean FD`): the same process (its PID, terminal, signals and the lock's descriptor
stay), a new interpreter. What the supervisor needs of the CLI's work (the formation, the counts, the session's
choices, the lock) comes through an anonymous file whose descriptor is the one argument.

    python -m procfleet_local.lean FD     # only ever exec'd by launch.run
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Two modules the supervisor never uses whose shared libraries cost megabytes of memory for the app's whole life:
# ssl (asyncio imports it only to offer TLS, and does without it) and _hashlib, OpenSSL's hashes (hashlib falls
# back to its built-in sha256). Marked absent before anything imports them, they are never loaded: about 5 MiB.
for _unused in ("ssl", "_ssl", "_hashlib"):
    sys.modules.setdefault(_unused, None)  # type: ignore[arg-type]  # None in sys.modules: "absent", by design

if TYPE_CHECKING:
    from procfleet.backend import Session
    from procfleet.model import Formation
    from procfleet_local.runtime import Address

# Session fields carried as they are; the streams, environment and folder are the new process's own.
_OWN = frozenset({"out", "err", "environ", "cwd"})


def possible(session: Session) -> bool:
    """Whether the supervisor can move into a new interpreter: it writes to this process's own stdout and
    stderr (not to a stream a caller handed in, as tests in-process do), nothing is left for the CLI to print
    after it (`deploy --json` prints its document when the supervisor ends), and the kernel has anonymous files."""
    try:
        own = session.out.fileno() == 1 and session.err.fileno() == 2
    except (AttributeError, OSError, ValueError):  # a stream without a descriptor
        return False
    return own and not session.json and hasattr(os, "memfd_create") and \
        not os.environ.get("PROCFLEET_SUPERVISE_IN_PLACE")


def become(formation: Formation, counts: Mapping[str, int], session: Session, where: Address, lock: int) -> None:
    """Exec the lean supervisor in this process; returns only if the exec itself failed (then the caller
    supervises in place)."""
    from procfleet_local.wire import formation_to_wire

    payload = {
        "formation": formation_to_wire(formation),
        "counts": dict(counts),
        "session": {f.name: getattr(session, f.name) for f in dataclasses.fields(session) if f.name not in _OWN},
        "where": {"app": where.app, "socket": str(where.socket)},
        "lock": lock,
    }
    handoff = os.memfd_create("procfleet-supervisor", 0)  # no MFD_CLOEXEC: the new interpreter reads it
    try:
        os.write(handoff, json.dumps(payload).encode())
        os.lseek(handoff, 0, os.SEEK_SET)
        os.set_inheritable(lock, True)
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, [sys.executable, "-m", "procfleet_local.lean", str(handoff)])
    except OSError:
        os.set_inheritable(lock, False)
        os.close(handoff)


def _session(choices: Mapping[str, Any]) -> Session:
    from procfleet.backend import Session

    fields = {f.name: f for f in dataclasses.fields(Session)}
    values: dict[str, Any] = {name: tuple(value) if isinstance(value, list) else value
                              for name, value in choices.items() if name in fields}
    return Session(out=sys.stdout, err=sys.stderr, environ=dict(os.environ), cwd=Path.cwd(), **values)


def main(argv: list[str]) -> int:
    """Read the handoff and supervise until the app stops; the exit status is the supervisor's."""
    from procfleet_local import foreground
    from procfleet_local.runtime import Address
    from procfleet_local.wire import formation_from_wire

    handoff = int(argv[1])
    with os.fdopen(handoff, "rb") as stream:
        payload = json.loads(stream.read())
    where = Address(app=payload["where"]["app"], socket=Path(payload["where"]["socket"]))
    lock = int(payload["lock"])
    os.set_inheritable(lock, False)  # the instances must never keep the app's lock alive
    return foreground.supervise_holding(formation_from_wire(payload["formation"]), payload["counts"],
                                        _session(payload["session"]), where, lock)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except KeyboardInterrupt:  # Ctrl-C before the supervisor's own handlers are in place: nothing started yet
        sys.exit(130)
