"""GET /v1/client/fs/logs/:alloc_id (a task's stdout/stderr) and /v1/client/fs/ls/:alloc_id?path=alloc/logs (its
log files), as a Nomad server relays them from the client."""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Iterator

from . import acl as caps
from .acl import Acl
from .errors import ApiError
from .gotypes import ZERO_TIME, rfc3339
from .model import Allocation
from .state import Cluster
from .wire import Request, Response

FOLLOW_POLL = 0.1  # seconds between looks at a followed log file


def client_logs(cluster: Cluster, acl: Acl, request: Request, alloc_id: str) -> Response:
    """Logs as plain text (?plain=true) or one JSON frame; ?follow returns what exists and ends."""
    if not cluster.options.logs_available:
        # What a server answers when it cannot reach the client that runs the allocation.
        raise ApiError(500, "No path to node")
    if not alloc_id:
        raise ApiError(400, "must provide a valid alloc id")
    alloc = cluster.find_alloc(alloc_id)
    if alloc is None:
        raise ApiError(404, f'Unknown allocation "{alloc_id}"')
    acl.check(request.token, alloc.namespace, caps.READ_LOGS)
    task, kind = request.arg("task"), request.arg("type")
    if not task:
        raise ApiError(400, "must provide task name")
    if kind not in ("stdout", "stderr"):
        raise ApiError(400, "must provide log type (stdout/stderr)")
    origin = request.arg("origin", "start")
    if origin not in ("start", "end"):
        raise ApiError(400, "origin must be start or end")
    raw_offset = request.arg("offset", "0")
    if not raw_offset.lstrip("-").isdigit():
        raise ApiError(400, f'strconv.ParseInt: parsing "{raw_offset}": invalid syntax')
    follow = request.flag("follow")
    if task not in alloc.tasks:
        raise ApiError(400, f'unknown task name "{task}"')
    state = alloc.task_states.get(task) or {}
    if state.get("StartedAt", ZERO_TIME) == ZERO_TIME:
        # client/fs_endpoint.go logs: a task that never started has no log files yet.
        raise ApiError(404, f'task "{task}" not started yet. No logs available')
    data = alloc.logs.get((task, kind), "").encode()
    if (task, kind) in alloc.log_files:  # the client runs tasks for real (taskrunner.py)
        with open(alloc.log_files[(task, kind)], "rb") as handle:
            data = handle.read()
    offset = max(int(raw_offset), 0)
    chunk = data[offset:] if origin == "start" else data[max(len(data) - offset, 0) :]
    if request.flag("plain"):
        if follow and (task, kind) in alloc.log_files:
            path = alloc.log_files[(task, kind)]
            return Response(200, chunk, content_type="text/plain; charset=utf-8",
                            stream=_grown(cluster, path, len(data)))
        return Response(200, chunk, content_type="text/plain; charset=utf-8")
    if not chunk:
        return Response(200, b"")
    frame = {"Data": base64.b64encode(chunk).decode(), "File": f"alloc/logs/{task}.{kind}.0", "Offset": len(data)}
    return Response(200, frame)


def _grown(cluster: Cluster, path: str, offset: int) -> Iterator[bytes]:
    """What a followed log file gains from offset on, until the reader leaves or the simulator stops.

    client/fs_endpoint.go logsImpl: a followed stream does not end when the task does; it waits for more (the
    next rotated file) until the caller cancels.
    """
    while not cluster.closing:
        try:
            with open(path, "rb") as handle:
                handle.seek(offset)
                data = handle.read()
        except FileNotFoundError:
            return  # the client removed the allocation's directory
        offset += len(data)
        yield data  # the server writes only non-empty chunks; a reader that left is noticed on the next one
        time.sleep(FOLLOW_POLL)


def client_ls(cluster: Cluster, acl: Acl, request: Request, alloc_id: str) -> Response:
    """The allocation's `alloc/logs` folder: `<task>.stdout.0` and `<task>.stderr.0` of every task that started,
    with Size and ModTime, as client/allocdir's List describes files (one file each: the simulator never rotates).
    Nomad's FileSystem.List wants the read-fs capability; other folders are not simulated."""
    if not cluster.options.logs_available:
        raise ApiError(500, "No path to node")
    alloc = cluster.find_alloc(alloc_id)
    if alloc is None:
        raise ApiError(404, f'Unknown allocation "{alloc_id}"')
    acl.check(request.token, alloc.namespace, caps.READ_FS)
    path = request.arg("path", "/").strip("/")
    if path != "alloc/logs":
        raise ApiError(501, f"the Nomad simulator lists only alloc/logs, not {path or '/'}")
    files = []
    for task in alloc.tasks:
        started = (alloc.task_states.get(task) or {}).get("StartedAt", ZERO_TIME)
        if started == ZERO_TIME:
            continue  # logmon creates a task's files when the task starts
        for kind in ("stdout", "stderr"):
            size, modified = _log_file(alloc, task, kind, started)
            files.append({"Name": f"{task}.{kind}.0", "IsDir": False, "Size": size, "FileMode": "-rw-r--r--",
                          "ModTime": modified})
    return Response(200, files)


def _log_file(alloc: Allocation, task: str, kind: str, started: str) -> tuple[int, str]:
    """A log file's size and last write: the real file of a task the client runs, else what write_log appended."""
    if (task, kind) in alloc.log_files:
        try:
            stat = os.stat(alloc.log_files[(task, kind)])
        except FileNotFoundError:
            return 0, started
        return stat.st_size, rfc3339(stat.st_mtime_ns)
    written = alloc.log_times.get((task, kind))
    return len(alloc.logs.get((task, kind), "").encode()), started if written is None else rfc3339(written)
