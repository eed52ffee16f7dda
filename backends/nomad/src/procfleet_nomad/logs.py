"""`procfleet logs` on Nomad: each allocation's task output through the client fs API, prefixed by instance."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import Any, TextIO

from procfleet.errors import NotRunning, PlatformError
from procfleet_nomad.client import NomadClient

Json = dict[str, Any]

BYTES_PER_LINE = 512  # a generous average, to fetch enough of a log's end for --tail N lines
MAX_TAIL_BYTES = 4 * 1024**2


def label(alloc: Json) -> str:
    """The instance's name as every backend writes it, `web.1` for Nomad's `<job>.web[0]` (its PROCFLEET_PROCESS)."""
    name = str(alloc.get("Name", "")).removeprefix(f"{alloc.get('JobID', '')}.")
    numbered = re.fullmatch(r"(.+)\[(\d+)\]", name)
    return f"{numbered.group(1)}.{int(numbered.group(2)) + 1}" if numbered else name


def _tasks(alloc: Json) -> list[str]:
    """The allocation's task names (procfleet puts one task, named like its group, in each group)."""
    return sorted(alloc.get("TaskStates") or {}) or [str(alloc.get("TaskGroup", ""))]


def show_logs(client: NomadClient, allocs: Sequence[Json], types: Sequence[str], follow: bool, tail: int | None,
              out: TextIO, err: TextIO) -> None:
    """Print every chosen allocation's stdout to out and stderr to err, each line prefixed `web[0] | `."""
    chosen = [a for a in allocs if a.get("DesiredStatus") == "run" and (not types or a.get("TaskGroup") in types)]
    if not chosen:
        which = ", ".join(types) if types else "the app"
        raise NotRunning(f"no allocation of {which} runs on Nomad: nothing to read logs from")
    width = max(len(label(a)) for a in chosen)
    tail_bytes = None if tail is None else min(max(tail, 1) * BYTES_PER_LINE, MAX_TAIL_BYTES)
    lock = threading.Lock()
    if not follow or tail is not None:
        # With -f --tail N: the last N lines first, then only what comes next (as `docker logs -f --tail`).
        unread: list[PlatformError] = []
        for alloc in chosen:
            try:
                streams = [(target, _read(client, alloc, task, stream, tail_bytes)) for task in _tasks(alloc)
                           for stream, target in (("stdout", out), ("stderr", err))]
            except PlatformError as exc:
                # A pending allocation has no logs yet ("task … not started yet"), a lost node none to serve:
                # say so for that one and go on with the others, as `nomad alloc logs` does per allocation.
                unread.append(exc)
                _write(err, lock, label(alloc), width, [f"(no logs: {exc.__cause__ or exc})"])
                continue
            for target, text in streams:
                lines = text.splitlines()
                if tail is not None:
                    lines = lines[-tail:] if tail else []
                _write(target, lock, label(alloc), width, lines)
        if len(unread) == len(chosen):
            raise unread[0]
    if follow:
        _follow(client, chosen, width, tail is None, out, err, lock)


def _read(client: NomadClient, alloc: Json, task: str, stream: str, tail_bytes: int | None) -> str:
    try:
        return client.read_log(str(alloc["ID"]), task, stream, tail_bytes=tail_bytes)
    except PlatformError as exc:
        raise PlatformError(_unavailable(client, alloc, exc)) from exc


def _unavailable(client: NomadClient, alloc: Json, exc: PlatformError) -> str:
    return (f"the logs of {label(alloc)} are not available through {client.connection.address}: {exc} "
            f"(Nomad serves them from the client node that runs allocation {str(alloc.get('ID', ''))[:8]}, "
            "through the agent you talk to)")


def _write(target: TextIO, lock: threading.Lock, name: str, width: int, lines: Sequence[str]) -> None:
    with lock:
        for line in lines:
            target.write(f"{name:<{width}} | {line}\n")
        target.flush()


def _follow(client: NomadClient, chosen: Sequence[Json], width: int, from_start: bool, out: TextIO, err: TextIO,
            lock: threading.Lock) -> None:
    """One reader thread per task stream; the first failure is reported once every reader has stopped."""
    problems: list[str] = []

    def reader(alloc: Json, task: str, stream: str, target: TextIO) -> None:
        try:
            for line in client.follow_log(str(alloc["ID"]), task, stream, from_start=from_start):
                _write(target, lock, label(alloc), width, [line])
        except PlatformError as exc:
            with lock:
                problems.append(_unavailable(client, alloc, exc))

    threads = [
        threading.Thread(target=reader, args=(alloc, task, stream, target), daemon=True)
        for alloc in chosen for task in _tasks(alloc) for stream, target in (("stdout", out), ("stderr", err))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if problems:
        raise PlatformError(problems[0])
