"""`procfleet logs` on Nomad: each allocation's task output through the client fs API, as every backend prints it.

Nomad keeps no time per line: its logs endpoint serves the bytes of a task's rotated log files (client/fs_endpoint.go
logsImpl), and a frame (api/fs.go StreamFrame) holds an offset, a file name and data, nothing else. So a line
carries the time procfleet read it: while following, when Nomad passed it on (it batches for 200 ms); otherwise
the moment of the read, the same for every line. `--since` goes by the only times Nomad has, each log file's
ModTime (GET /v1/client/fs/ls): a stream's files last written before then are skipped, and a file written to
since then is shown whole, its older lines too. The backend declares both differences.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from procfleet.errors import PlatformError
from procfleet.loglines import LogLine, LogWriter
from procfleet.lognames import rfc3339
from procfleet_nomad.client import NomadClient

Json = dict[str, Any]
Starts = Mapping[tuple[str, str], int | None]  # (task, stream) → where lines since --since begin; None: none do

BYTES_PER_LINE = 512  # a generous average, to fetch enough of a log's end for --tail N lines
MAX_TAIL_BYTES = 4 * 1024**2
STREAMS = (("stdout", False), ("stderr", True))  # and whether its lines go to stderr


def label(alloc: Json) -> str:
    """The instance's name as every backend writes it, `web.1` for Nomad's `<job>.web[0]` (its PROCFLEET_PROCESS)."""
    name = str(alloc.get("Name", "")).removeprefix(f"{alloc.get('JobID', '')}.")
    numbered = re.fullmatch(r"(.+)\[(\d+)\]", name)
    return f"{numbered.group(1)}.{int(numbered.group(2)) + 1}" if numbered else name


def chosen(allocs: Sequence[Json], types: Sequence[str]) -> list[Json]:
    """The allocations `logs TYPE…` reads: those meant to run, of those types (every type when none is named)."""
    return [a for a in allocs if a.get("DesiredStatus") == "run" and (not types or a.get("TaskGroup") in types)]


def since_offset(files: Sequence[Json], task: str, stream: str, since: float) -> int | None:
    """Where, counted as the logs endpoint counts from origin=start, the first of a task stream's log files written
    to at or after `since` begins; None when none was (fs/ls lists `web.stdout.0`, `web.stdout.1`… oldest first)."""
    pattern = re.compile(rf"{re.escape(task)}\.{stream}\.(\d+)")
    indexed = sorted((int(found.group(1)), item) for item in files
                     if not item.get("IsDir") and (found := pattern.fullmatch(str(item.get("Name", "")))))
    offset = 0
    for _, item in indexed:
        modified = rfc3339(str(item.get("ModTime", "")))
        if modified is None or modified >= since:  # a time it cannot read: shown rather than lost
            return offset
        offset += int(item.get("Size") or 0)
    return None


def _tasks(alloc: Json) -> list[str]:
    """The allocation's task names (procfleet puts one task, named like its group, in each group)."""
    return sorted(alloc.get("TaskStates") or {}) or [str(alloc.get("TaskGroup", ""))]


def show_logs(client: NomadClient, allocs: Sequence[Json], follow: bool, tail: int | None, since: float | None,
              writer: LogWriter) -> None:
    """Print the allocations' stdout and stderr lines (to stdout and stderr), each under its instance's name."""
    if not allocs:
        return
    starts: dict[str, Starts] = {}
    unread: list[PlatformError] = []
    for alloc in allocs:
        try:
            if since is not None:
                starts[str(alloc["ID"])] = _starts(client, alloc, since)
            if not follow or tail is not None:
                # With -f --tail N: the last N lines first, then only what comes next (as `docker logs -f --tail`).
                _backlog(client, alloc, tail, starts.get(str(alloc["ID"])), writer)
        except PlatformError as exc:
            # A pending allocation has no logs yet ("task … not started yet"), a lost node none to serve:
            # say so for that one and go on with the others, as `nomad alloc logs` does per allocation.
            unread.append(exc)
            writer.write(LogLine(label(alloc), alloc.get("TaskGroup"), f"(no logs: {exc.__cause__ or exc})",
                                 time.time(), stderr=True))
    if len(unread) == len(allocs):
        raise unread[0]
    if follow:
        _follow(client, allocs, tail is None, starts, writer)


def _starts(client: NomadClient, alloc: Json, since: float) -> Starts:
    """Where each of the allocation's streams has lines written since `since`, from its log files' ModTimes."""
    try:
        files = client.log_files(str(alloc["ID"]))
    except PlatformError as exc:
        raise PlatformError(f"{_unavailable(client, alloc, exc)}; --since reads when each log file was last "
                            "written, which needs the read-fs capability") from exc
    return {(task, stream): since_offset(files, task, stream, since) for task in _tasks(alloc)
            for stream, _ in STREAMS}


def _backlog(client: NomadClient, alloc: Json, tail: int | None, starts: Starts | None, writer: LogWriter) -> None:
    """Print what the allocation's streams hold now: all of it, its last `tail` lines, or what --since keeps."""
    tail_bytes = None if tail is None or starts is not None else min(max(tail, 1) * BYTES_PER_LINE, MAX_TAIL_BYTES)
    texts = []  # every stream read before any is printed: one that fails leaves nothing half shown
    for task in _tasks(alloc):
        for stream, stderr in STREAMS:
            start = 0 if starts is None else starts.get((task, stream))
            if start is not None:
                texts.append((stderr, _read(client, alloc, task, stream, tail_bytes, start)))
    at = time.time()  # Nomad keeps no time per line: the moment of the read (module docstring)
    for stderr, text in texts:
        lines = text.splitlines()
        if tail is not None:
            lines = lines[-tail:] if tail else []
        for line in lines:
            writer.write(LogLine(label(alloc), alloc.get("TaskGroup"), line, at, stderr))


def last_lines(client: NomadClient, alloc: Json, count: int) -> list[str]:
    """The allocation's last lines, stdout's then stderr's, for an error that says it failed; none when its client
    cannot serve them (the error stands without them)."""
    found: list[str] = []
    for task in _tasks(alloc):
        for stream, _ in STREAMS:
            try:
                text = client.read_log(str(alloc["ID"]), task, stream, tail_bytes=count * BYTES_PER_LINE)
            except PlatformError:
                continue
            found += text.splitlines()[-count:]
    return found


def _read(client: NomadClient, alloc: Json, task: str, stream: str, tail_bytes: int | None, start: int) -> str:
    try:
        return client.read_log(str(alloc["ID"]), task, stream, tail_bytes=tail_bytes, start=start)
    except PlatformError as exc:
        raise PlatformError(_unavailable(client, alloc, exc)) from exc


def _unavailable(client: NomadClient, alloc: Json, exc: PlatformError) -> str:
    return (f"the logs of {label(alloc)} are not available through {client.connection.address}: {exc} "
            f"(Nomad serves them from the client node that runs allocation {str(alloc.get('ID', ''))[:8]}, "
            "through the agent you talk to)")


def _follow(client: NomadClient, allocs: Sequence[Json], from_start: bool, starts: Mapping[str, Starts],
            writer: LogWriter) -> None:
    """One reader thread per task stream; the first failure is reported once every reader has stopped."""
    problems: list[str] = []
    lock = threading.Lock()

    def reader(alloc: Json, task: str, stream: str, stderr: bool) -> None:
        start = 0 if str(alloc["ID"]) not in starts else starts[str(alloc["ID"])].get((task, stream))
        try:
            # with --since, from where its lines begin, or (a stream quiet since then) only what comes next
            for line in client.follow_log(str(alloc["ID"]), task, stream, from_start=from_start and start is not None,
                                          start=start or 0):
                writer.write(LogLine(label(alloc), alloc.get("TaskGroup"), line, time.time(), stderr))
        except PlatformError as exc:
            with lock:
                problems.append(_unavailable(client, alloc, exc))

    threads = [threading.Thread(target=reader, args=(alloc, task, stream, stderr), daemon=True)
               for alloc in allocs for task in _tasks(alloc) for stream, stderr in STREAMS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if problems:
        raise PlatformError(problems[0])
