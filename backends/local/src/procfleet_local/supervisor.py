"""The supervisor: runs each type's instances, restarts them per policy, scales and reconciles them live."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from procfleet.backend import InstanceStatus, Status, TypeStatus
from procfleet.errors import UsageError
from procfleet.model import Formation, ProcessType, Readiness
from procfleet_local import instances, options
from procfleet_local.output import Printer
from procfleet_local.slot import Slot, describe_exit
from procfleet_local.watchdog import Watchdog

POLL = 0.05  # how often waits inside the supervisor (rollouts, shutdown) look again
ROLL_MIN_UPTIME = 0.5  # without a health check, a replacement counts as up once it has run this long
ROLL_EXTRA = 5.0  # on top of the health check's own schedule, before a rollout gives up on a replacement



@dataclass
class TypeState:
    """One process type as the supervisor runs it: its definition, desired count and slots."""

    process: ProcessType
    fingerprint: str
    desired: int
    slots: dict[int, Slot] = field(default_factory=dict)
    removed: bool = False  # no longer in the formation; stopping, then forgotten
    rollout: asyncio.Task[None] | None = None
    waiting: asyncio.Task[None] | None = None  # for the types it comes `after`, before its first start

    @property
    def rolling(self) -> bool:
        """Whether a rolling restart is under way."""
        return self.rollout is not None and not self.rollout.done()

    @property
    def live_fingerprint(self) -> str:
        """The definition every running instance runs; an older one's while any runs one (so plan says change)."""
        stale = (s.fingerprint for s in self.slots.values() if s.alive and s.fingerprint != self.fingerprint)
        return next(stale, self.fingerprint)


def status_of(returncode: int) -> int:
    """An exit as a shell reports it: the status, or 128 + N for a signal N."""
    return 128 - returncode if returncode < 0 else returncode


@dataclass
class Ending:
    """When the foreground supervisor ends by itself, and how it is told to (Stopper.begin)."""

    exit_with: frozenset[str] = frozenset()
    abort_on_exit: bool = False
    end: Callable[[int], object] = lambda code: None

    def ends_on(self, process: str) -> bool:
        """Whether an instance of this type ending ends the supervisor."""
        return self.abort_on_exit or process in self.exit_with


class Supervisor:
    """Owns every instance of one formation; all its methods run on the event loop's thread."""

    def __init__(self, formation: Formation, counts: Mapping[str, int], caller_env: Mapping[str, str],
                 cwd: Path, printer: Printer, watchdog: Watchdog, ending: Ending | None = None) -> None:
        self.formation = formation
        self.ending = ending or Ending()
        self.settings = options.settings(formation, caller_env)
        self.printer = printer
        self.watchdog = watchdog
        self.stopping = False
        self._caller_env = dict(caller_env)
        self._cwd = cwd
        self._tasks: set[asyncio.Task[Any]] = set()
        self.types: dict[str, TypeState] = {
            name: TypeState(process, instances.type_fingerprint(formation, process, self.settings.base_port),
                            counts.get(name, 0))
            for name, process in formation.processes.items()
        }
        self._reserve()

    # Requests (from the control socket and signals).

    def start(self) -> None:
        """Start every type with its count."""
        for state in self.types.values():
            self._converge(state)

    def scale(self, targets: Mapping[str, int]) -> None:
        """Set counts live: new instances start, the highest-numbered stop; the others are not touched."""
        if not isinstance(targets, Mapping):
            raise UsageError(f"expected counts by type, got {targets!r}")
        for name, count in targets.items():
            self._running_type(name)
            if not isinstance(count, int) or isinstance(count, bool) or count < 0:
                raise UsageError(f"{name}: expected a count of zero or more, got {count!r}")
            if count > options.MAX_INSTANCES:  # whoever sent it over the socket: the supervisor must not try 10**8
                raise UsageError(f"{name}={count}: the local backend runs at most {options.MAX_INSTANCES} "
                                 "instances of a type")
        overflow = instances.port_overflow(self.formation, targets, self.settings.base_port)
        if overflow is not None:
            raise UsageError(overflow)
        for name, count in targets.items():
            self.types[name].desired = count
        self._reserve()
        for name in targets:
            self._converge(self.types[name])

    def reconcile(self, formation: Formation, counts: Mapping[str, int]) -> None:
        """Run a new formation: add and remove types, restart changed ones one instance at a time."""
        self.formation, self.settings = formation, options.settings(formation, self._caller_env)
        for name, process in formation.processes.items():
            new_print = instances.type_fingerprint(formation, process, self.settings.base_port)
            state = self.types.get(name)
            if state is None:
                self.types[name] = state = TypeState(process, new_print, counts.get(name, 0))
            else:
                state.removed = False
                state.desired = counts.get(name, state.desired)
                # Instances left on an older definition (a paused rollout) are replaced too.
                if state.fingerprint != new_print or state.live_fingerprint != new_print:
                    state.process, state.fingerprint = process, new_print
                    self._roll(name, state)
                else:
                    self._revive_crashed(state)
        for name, state in self.types.items():
            if name not in formation.processes and not state.removed:
                self.printer.system(f"{name} is no longer in the formation: stopping it")
                state.removed, state.desired = True, 0
                if state.rollout is not None:
                    state.rollout.cancel()
        self._reserve()
        for state in list(self.types.values()):
            self._converge(state)

    def _revive_crashed(self, state: TypeState) -> None:
        """A deploy is the user's word to try again: crashed instances get a fresh start, as `compose up` gives."""
        for number, slot in state.slots.items():
            if slot.state == "crashed" and number <= state.desired:
                self.printer.system(f"{slot.name} was marked crashed: starting it again for this deploy")
                slot.exits.clear()
                slot.state = "stopped"  # _converge starts stopped slots

    async def shutdown(self) -> None:
        """Stop every instance gracefully and return once all are gone."""
        self.stopping = True
        for state in self.types.values():
            if state.rollout is not None:
                state.rollout.cancel()
        while True:
            slots = [slot for state in self.types.values() for slot in state.slots.values()]
            for slot in slots:
                if slot.backoff is not None:
                    slot.backoff.cancel()
                    slot.backoff = None
                if slot.state in ("running", "starting"):
                    slot.stop()
            if not any(slot.alive or slot.state == "starting" for slot in slots):
                return
            await asyncio.sleep(POLL)

    def restart(self, names: list[str]) -> None:
        """Restart every instance of these types one after another, each replacement up before the next stops
        (the rollout a changed definition gets); crashed and exited ones start again."""
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            raise UsageError(f"expected a list of type names, got {names!r}")
        for name in names:
            self._running_type(name)
        for name in names:
            state = self.types[name]
            for slot in state.slots.values():
                slot.fingerprint = ""  # stale: the rollout replaces it
            self.printer.system(f"restarting {name}, one instance at a time")
            self._roll(name, state)

    def _running_type(self, name: str) -> TypeState:
        """The state of a type the supervisor runs; a type it does not run (or is removing) is a usage error."""
        state = self.types.get(name)
        if state is None or state.removed:
            running = ", ".join(n for n, s in self.types.items() if not s.removed)
            raise UsageError(f'the supervisor runs no type "{name}" (it runs {running or "none"}): '
                             "deploy the formation to add it")
        return state

    def signal_all(self, sig: signal.Signals) -> None:
        """Pass a signal on to every running instance, as Foreman does with SIGUSR1 and SIGUSR2."""
        for state in self.types.values():
            for slot in state.slots.values():
                slot.send(sig)

    def kill(self) -> None:
        """SIGKILL every instance's group at once (a second Ctrl-C)."""
        self.stopping = True
        for state in self.types.values():
            for slot in state.slots.values():
                slot.kill()

    # What slots report.

    def exited(self, slot: Slot, returncode: int) -> None:
        """A slot's group is gone: restart it per policy, or let it go."""
        state = self.types[slot.process]
        how = describe_exit(returncode)
        slot.status = status_of(returncode)
        if self.stopping or slot.wanted_stop or slot.number > state.desired:
            self.printer.system(f"{slot.name} {how}")
            self._converge(state)
            return
        if self.ending.ends_on(slot.process):
            why = "--abort-on-exit" if self.ending.abort_on_exit else f"--exit-with {slot.process}"
            self.printer.system(f"{slot.name} {how}: stopping every process ({why})")
            slot.state, slot.detail = "exited", how
            self.ending.end(slot.status)
            return
        policy = state.process.restart
        if policy == "never" or (policy == "on-failure" and returncode == 0):
            slot.state = "exited"
            slot.detail = "done" if returncode == 0 else how  # a one-shot task that succeeded is done, not failed
            self.printer.system(f"{slot.name} {how} (restart = \"{policy}\": leaving it stopped)")
            self._end_when_all_ended()
            return
        now = time.monotonic()
        slot.exits.append(now)
        while slot.exits and now - slot.exits[0] > self.settings.crash_window:
            slot.exits.popleft()
        if len(slot.exits) >= self.settings.crash_limit:
            slot.state = "crashed"
            slot.detail = f"{how}; {len(slot.exits)} exits in {self.settings.crash_window:g}s"
            self.printer.system(f"{slot.name} {how} and keeps dying ({len(slot.exits)} exits within "
                                f"{self.settings.crash_window:g}s): marked crashed, not restarting it")
            self._end_when_all_ended()
            return
        delay = min(self.settings.backoff * 2 ** (len(slot.exits) - 1), self.settings.backoff_max)
        slot.state, slot.detail = "backoff", f"{how}; restarting in {delay:g}s"
        self.printer.system(f"{slot.name} {how}: restarting in {delay:g}s")
        slot.backoff = asyncio.get_running_loop().call_later(delay, self._restart, state, slot)

    # Internals.

    def _end_when_all_ended(self) -> None:
        """Every instance has ended and none will restart (one-shot tasks done, the rest crashed): say so and end,
        with 0 when each ended with 0, else the first other status, so a CI wrapper does not wait forever."""
        slots = [slot for state in self.types.values() for number, slot in state.slots.items()
                 if number <= state.desired]
        if not slots or any(slot.state not in ("exited", "crashed") for slot in slots):
            return
        if any(state.desired > len(state.slots) for state in self.types.values()):
            return
        failed = [slot.status for slot in slots if slot.status]
        self.printer.system("every process has ended and none will restart: exiting")
        self.ending.end(failed[0] if failed else 0)

    def _restart(self, state: TypeState, slot: Slot) -> None:
        slot.backoff = None
        if self.stopping or slot.number > state.desired or slot.state != "backoff":
            self._converge(state)
            return
        slot.restarts += 1
        self._spawn(state, slot)

    def _ready(self, name: str, ready: Readiness) -> bool:
        """Whether a type others come `after` is ready as asked: each of its instances running, healthy, or done
        (exited 0), as Compose's depends_on conditions say."""
        state = self.types.get(name)
        if state is None or state.removed or state.desired == 0:
            return True
        slots = [state.slots.get(number) for number in range(1, state.desired + 1)]
        if ready == "healthy":
            return all(slot is not None and slot.state == "running" and slot.healthy for slot in slots)
        if ready == "done":
            return all(slot is not None and slot.state == "exited" and slot.status == 0 for slot in slots)
        return all(slot is not None and slot.state == "running" for slot in slots)

    def _blocked(self, state: TypeState) -> bool:
        """Whether the type still waits for the types it comes after; if so a waiter starts it when they are."""
        waiting_for = [f"{name} to be {wanted}" for name, wanted in state.process.after.items()
                       if not self._ready(name, wanted)]
        if not waiting_for:
            return False
        if state.waiting is None or state.waiting.done():
            self.printer.system(f"{state.process.name} waits for {', '.join(waiting_for)} (after)")
            state.waiting = self._track(self._start_when_ready(state))
        return True

    async def _start_when_ready(self, state: TypeState) -> None:
        while not self.stopping and any(not self._ready(name, wanted) for name, wanted in state.process.after.items()):
            await asyncio.sleep(POLL)
        if not self.stopping and self.types.get(state.process.name) is state:
            self._converge(state)

    def _converge(self, state: TypeState) -> None:
        """Start missing instances up to the desired count; stop and forget the ones above it."""
        if not self.stopping and not (state.process.after and self._new_slots(state) and self._blocked(state)):
            for number in range(1, state.desired + 1):
                slot = state.slots.get(number)
                if slot is None:
                    slot = state.slots[number] = Slot(self, state.process.name, number)
                    self._spawn(state, slot)
                elif slot.state == "stopped":  # stopped for a rollout, or scaled back up while stopping
                    self._spawn(state, slot)
        for number, slot in list(state.slots.items()):
            if number <= state.desired and not self.stopping:
                continue
            if slot.state in ("running", "starting"):
                slot.stop()
            elif not slot.alive:
                if slot.backoff is not None:
                    slot.backoff.cancel()
                del state.slots[number]
        if state.removed and not state.slots:
            del self.types[state.process.name]

    @staticmethod
    def _new_slots(state: TypeState) -> bool:
        """Whether converging would start an instance that never ran (the ordering gates only first starts)."""
        return any(number not in state.slots for number in range(1, state.desired + 1))

    def _spawn(self, state: TypeState, slot: Slot) -> None:
        slot.state = "starting"
        instance = instances.instance(self.formation, state.process, slot.number, self.settings.base_port,
                                      self._caller_env)
        self._track(slot.start(instance, state.fingerprint, self._cwd))

    def _roll(self, name: str, state: TypeState) -> None:
        if state.rollout is not None:
            state.rollout.cancel()
        self.printer.system(f"{name} has a new definition: restarting its instances one at a time")
        state.rollout = self._track(self._rollout(state))

    async def _rollout(self, state: TypeState) -> None:
        """Replace each instance running an old definition, waiting for each replacement to be up."""
        for number in sorted(state.slots):
            slot = state.slots.get(number)
            if slot is None or number > state.desired or slot.fingerprint == state.fingerprint:
                continue
            if slot.state in ("running", "starting"):
                slot.stop()
            if slot.alive and slot.finished is not None:
                await slot.finished  # exited() converges, which starts the replacement
            elif slot.state in ("backoff", "exited", "crashed"):
                if slot.backoff is not None:
                    slot.backoff.cancel()
                    slot.backoff = None
                slot.exits.clear()  # a new definition gets a fresh chance
                slot.state = "stopped"
                self._converge(state)
            if not await self._replacement_up(state, slot):
                self.printer.system(f"{slot.name} is not up with the new definition: pausing the rollout of "
                                    f"{state.process.name} (the other instances keep the old one)")
                return
        self.printer.system(f"{state.process.name} runs its new definition")

    async def _replacement_up(self, state: TypeState, slot: Slot) -> bool:
        check = state.process.health
        wait = ROLL_MIN_UPTIME if check is None else \
            check.start_period + check.retries * (check.interval + check.timeout) + ROLL_EXTRA
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if slot.state in ("exited", "crashed", "backoff"):
                return False
            up = slot.state == "running" and slot.fingerprint == state.fingerprint
            if up and check is not None and slot.healthy:
                return True
            await asyncio.sleep(POLL)
        return check is None and slot.state == "running" and slot.fingerprint == state.fingerprint

    def _track(self, coroutine: Any) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self._tasks.discard)
        return task

    def _reserve(self) -> None:
        names = [f"{name}.{max(state.desired, len(state.slots), 1)}" for name, state in self.types.items()]
        positions = {name: index for index, name in enumerate(self.formation.processes)}
        self.printer.reserve(names, positions)

    def instance_names(self, types: Collection[str]) -> list[str]:
        """The names of these types' instances, those that run and those wanted, for `logs TYPE…` to align."""
        return [f"{name}.{number}" for name, state in self.types.items() if name in types
                for number in {*state.slots, *range(1, state.desired + 1)}]

    # Reporting.

    def status(self) -> dict[str, Any]:
        """A snapshot for `ps`, `scale --wait` and `deploy`'s plan: counts, instances, fingerprints."""
        types, rows = [], []
        for name, state in self.types.items():
            slots = [state.slots[number] for number in sorted(state.slots)]
            checked = state.process.health is not None
            types.append(TypeStatus(name=name, desired=state.desired,
                                    running=sum(1 for slot in slots if slot.alive),
                                    healthy=sum(1 for s in slots if s.healthy and s.state == "running")
                                    if checked else None,
                                    done=sum(1 for s in slots if s.state == "exited" and s.status == 0)))
            rows += [InstanceStatus(name=slot.name, process=name, state=slot.state, healthy=slot.healthy,
                                    pid=slot.pid, ports=str(slot.port) if slot.port else "",
                                    restarts=slot.restarts, uptime=slot.uptime(),
                                    detail=slot.detail or _checked(slot) or (
                                        "previous definition" if slot.alive and
                                        slot.fingerprint != state.fingerprint else ""))
                     for slot in slots]
        status = Status(backend="local", app=self.formation.app.name, types=tuple(types), instances=tuple(rows))
        return {
            "status": status,
            "pid": os.getpid(),
            "fingerprints": {name: s.live_fingerprint for name, s in self.types.items() if not s.removed},
            "removed": [name for name, s in self.types.items() if s.removed],
            "rolling": [name for name, s in self.types.items() if s.rolling],
        }


def _checked(slot: Slot) -> str:
    """`health check: GET /healthz: HTTP/1.0 503 …` for a running instance whose check fails, else ""."""
    return f"health check: {slot.check_output}" if slot.state == "running" and slot.check_output and \
        not slot.healthy else ""
