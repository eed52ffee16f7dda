"""`ps` from unit states: what `systemctl show` says of each instance, as procfleet's Status. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from procfleet.backend import InstanceStatus, Status, TypeStatus

PROPERTIES = ("Id", "LoadState", "ActiveState", "SubState", "MainPID", "NRestarts", "Result",
              "ActiveEnterTimestampMonotonic", "ExecMainCode", "ExecMainStatus")
CLD_EXITED = "1"  # ExecMainCode when the program exited (siginfo's CLD_EXITED), not killed by a signal


@dataclass(frozen=True)
class Unit:
    """One instance as systemd sees it."""

    process: str
    number: int
    active: str  # ActiveState: active, activating, deactivating, inactive, failed
    sub: str  # SubState: running, auto-restart, exited, dead, failed…
    pid: int
    restarts: int
    result: str  # Result: success, exit-code, signal, start-limit-hit…
    since: float | None  # seconds on the monotonic clock when it became active
    exit_status: int | None  # the program's exit status, when it exited

    @property
    def name(self) -> str:
        """`web.2`."""
        return f"{self.process}.{self.number}"

    @property
    def running(self) -> bool:
        """Whether the program runs now."""
        return self.active == "active" and self.sub == "running"

    @property
    def state(self) -> str:
        """procfleet's words for it, as ps prints them for every backend."""
        if self.running:
            return "running"
        if self.active == "activating":
            return "restarting" if self.sub == "auto-restart" else "starting"
        if self.active == "deactivating":
            return "stopping"
        if self.active == "failed":
            return "crashed" if self.result == "start-limit-hit" else "failed"
        return "exited" if self.exit_status is not None else "stopped"


def unit_from(shown: Mapping[str, str], process: str, number: int) -> Unit:
    """A Unit from one `systemctl show` block."""
    entered = int(shown.get("ActiveEnterTimestampMonotonic") or 0)
    status = shown.get("ExecMainStatus", "")
    exited = shown.get("ExecMainCode") == CLD_EXITED and status.isdigit()
    return Unit(process=process, number=number, active=shown.get("ActiveState", "inactive"),
                sub=shown.get("SubState", "dead"), pid=int(shown.get("MainPID") or 0),
                restarts=int(shown.get("NRestarts") or 0), result=shown.get("Result", ""),
                since=entered / 1e6 if entered else None, exit_status=int(status) if exited else None)


def stays_down(unit: Unit, restart: str) -> bool:
    """Whether the unit is an instance that exited by itself and that its restart policy leaves stopped: after exit
    0 under "never" or "on-failure", after any exit under "never" (one stopped by hand or killed has no exit status)."""
    if unit.active not in ("inactive", "failed") or unit.exit_status is None:
        return False
    return restart == "never" or (restart == "on-failure" and unit.exit_status == 0)


def build_status(app: str, order: Sequence[str], desired: Mapping[str, int], units: Sequence[Unit],
                 ports: Mapping[str, int], now: float, restarts: Mapping[str, str] | None = None) -> Status:
    """Per type desired (enabled instances), running and done; per instance state, PID, PORT, restarts, uptime.

    `ports` is each type's first PORT; `now` the monotonic clock the units' times are on; `restarts` each type's
    restart policy (a type without one counts nothing as done).
    """
    types = []
    for name in [*order, *(name for name in desired if name not in order)]:
        running = sum(unit.running for unit in units if unit.process == name)
        restart = (restarts or {}).get(name)
        done = sum(unit.exit_status == 0 and stays_down(unit, restart) for unit in units if unit.process == name) \
            if restart is not None else 0
        types.append(TypeStatus(name=name, desired=desired.get(name, 0), running=running, done=done))
    instances = []
    for unit in sorted(units, key=lambda u: (order.index(u.process) if u.process in order else len(order), u.number)):
        detail = "" if unit.running or unit.exit_status is None else f"exit status {unit.exit_status}"
        if unit.result == "start-limit-hit":
            detail = "crash loop: systemd's start limit was hit"
        port = ports.get(unit.process)
        instances.append(InstanceStatus(
            name=unit.name, process=unit.process, state=unit.state, pid=unit.pid or None,
            ports="" if port is None else str(port + unit.number - 1), restarts=unit.restarts,
            uptime=max(0.0, now - unit.since) if unit.running and unit.since else None, detail=detail))
    return Status(backend="systemd", app=app, types=tuple(types), instances=tuple(instances))
