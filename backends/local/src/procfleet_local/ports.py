"""Who listens on a local TCP port: checked before an instance that listens starts, and by its health check."""

from __future__ import annotations

import contextlib
import errno
import os
import socket
from pathlib import Path

LISTEN = "0A"  # the TCP state /proc/net/tcp writes for a listening socket (include/net/tcp_states.h)
PROC = Path("/proc")


def in_use(port: int) -> bool:
    """Whether another socket listens on the port, on any address (a bind with SO_REUSEADDR, which a socket in
    TIME_WAIT from the instance's last run does not block)."""
    for family, address in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        with contextlib.suppress(OSError), socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((address, port))
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:  # EADDRNOTAVAIL (no IPv6 here) is not a holder
                    return True
    return False


def _listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("tcp", "tcp6"):
        with contextlib.suppress(OSError):
            for line in (PROC / "net" / table).read_text().splitlines()[1:]:
                fields = line.split()
                if len(fields) > 9 and fields[3] == LISTEN and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(fields[9])
    return inodes


def _holds(pid: int, inodes: set[str]) -> bool:
    with contextlib.suppress(OSError):
        return any(os.readlink(fd) in inodes for fd in (PROC / str(pid) / "fd").iterdir())
    return False


def listeners(port: int, first: int | None = None) -> list[int]:
    """The PIDs (of this user's processes that procfs lets us read) holding a listening socket on the port; with
    first, that process alone when it holds one (the common case, and one directory read instead of all)."""
    inodes = {f"socket:[{inode}]" for inode in _listening_inodes(port)}
    if not inodes:
        return []
    if first is not None and _holds(first, inodes):
        return [first]
    pids = (int(entry.name) for entry in (PROC.iterdir() if PROC.is_dir() else ()) if entry.name.isdigit())
    return sorted(pid for pid in pids if _holds(pid, inodes))


def holder(port: int) -> str:
    """Who holds the port, for a message: `pid 123 (python3)`, or `another program` when procfs cannot say."""
    pids = listeners(port)
    if not pids:
        return "another program"
    name = ""
    with contextlib.suppress(OSError):
        name = (PROC / str(pids[0]) / "comm").read_text().strip()
    return f"pid {pids[0]} ({name})" if name else f"pid {pids[0]}"


def held_by_group(port: int, pgid: int) -> bool | None:
    """Whether the port's listener belongs to this process group; None when procfs cannot tell (no /proc)."""
    if not (PROC / "net" / "tcp").exists():
        return None
    for pid in listeners(port, first=pgid):  # the group's leader is the program itself after exec
        with contextlib.suppress(OSError):
            if os.getpgid(pid) == pgid:
                return True
    return False
