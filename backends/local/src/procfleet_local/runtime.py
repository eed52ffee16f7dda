"""Where a supervisor's control socket lives, and the lock that lets only one supervisor run per app."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from procfleet.errors import PlatformError
from procfleet.model import Formation

SOCKET_PATH_LIMIT = 100  # sun_path holds 108 bytes on Linux and 104 on macOS, with the trailing NUL


def formation_folder(formation: Formation, cwd: Path) -> Path:
    """The formation's folder as an absolute path: instances run there and the socket is keyed by it."""
    return (cwd / formation.source).resolve().parent


@dataclass(frozen=True)
class Address:
    """The control socket and lock file of one app's supervisor."""

    app: str
    socket: Path

    @property
    def lock(self) -> Path:
        """The file whose flock a live supervisor holds; the kernel drops it when the supervisor dies."""
        return self.socket.with_suffix(".lock")


def runtime_dirs(environ: Mapping[str, str]) -> list[Path]:
    """Candidate folders for sockets: $XDG_RUNTIME_DIR/procfleet, then /tmp/procfleet-<uid>."""
    dirs = []
    xdg = environ.get("XDG_RUNTIME_DIR", "")
    if xdg and os.path.isabs(xdg) and os.path.isdir(xdg):
        dirs.append(Path(xdg) / "procfleet")
    # Not tempfile.gettempdir(): macOS's $TMPDIR alone nearly fills sun_path.
    dirs.append(Path("/tmp") / f"procfleet-{os.getuid()}")
    return dirs


def address(formation: Formation, cwd: Path, environ: Mapping[str, str]) -> Address:
    """`<app>-<hash of the formation folder>.sock` in the first runtime folder short enough for sun_path."""
    digest = hashlib.sha256(str(formation_folder(formation, cwd)).encode()).hexdigest()[:8]
    name = f"{formation.app.name}-{digest}.sock"
    for folder in runtime_dirs(environ):
        path = folder / name
        if len(os.fsencode(path)) < SOCKET_PATH_LIMIT:
            return Address(formation.app.name, path)
    raise PlatformError(f"no runtime folder short enough for the control socket {name}")


def check_private(folder: Path) -> bool:
    """Whether folder exists as a real folder owned by us with no access for others; False if absent."""
    try:
        info = folder.lstat()
    except FileNotFoundError:
        return False
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        # Someone else could read our env or pose as our supervisor there.
        raise PlatformError(f"{folder} must be a folder owned by you with mode 0700 (it is not): remove it")
    return True


def claim(where: Address) -> int:
    """Take the app's lock for this process's life; refuse when another supervisor holds it."""
    folder = where.socket.parent
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    check_private(folder)
    while True:
        # os.open's descriptors are not inherited (PEP 446): children never keep the lock alive.
        fd = os.open(where.lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise PlatformError(
                f"a supervisor for {where.app} already runs from this folder ({where.socket}): use "
                "`procfleet ps/scale/logs/down` against it, or `procfleet deploy` to reconcile it"
            ) from None
        if _same_file(fd, where.lock):
            break
        os.close(fd)  # a supervisor that was exiting removed this file after we opened it: take the new one
    # The lock is ours, so a socket file left here is stale: its supervisor died without removing it.
    with contextlib.suppress(FileNotFoundError):
        where.socket.unlink()
    return fd


def clear_stale(where: Address) -> bool:
    """Remove the socket and lock files of a supervisor that died without removing them (SIGKILL, a crash, the
    machine's power); True if they were stale. A live supervisor holds the lock, and its files are left alone."""
    try:
        fd = os.open(where.lock, os.O_RDWR | os.O_NOFOLLOW)
    except FileNotFoundError:
        fd = None  # no lock file: nobody claims the app, so a socket file here is stale
    except OSError:
        return False
    try:
        if fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False  # a supervisor runs (and makes its socket again if it was removed)
            if not _same_file(fd, where.lock):
                return False  # replaced meanwhile by a supervisor starting now
        found = False
        for path in (where.socket, where.lock) if fd is not None else (where.socket,):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                found = True
        return found
    finally:
        if fd is not None:
            os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        on_disk = path.stat()
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)


def release(where: Address, fd: int) -> None:
    """Remove the socket and the lock file, then drop the lock (claim checks it locked the file on disk)."""
    for path in (where.socket, where.lock):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    os.close(fd)
