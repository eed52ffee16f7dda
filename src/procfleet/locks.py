"""A machine-wide lock per app and backend, so read-modify-write changes made at once are not lost.

`scale web+1` reads the live count and sends an absolute one (the platforms' replica APIs are absolute): ten at
once would each read the same count. Under this lock they run one after another and each sees the last one's
result, as `heroku ps:scale web+1` does on Heroku's side. `deploy` takes the same lock, so a deploy and a scale
at once run one after the other instead of each undoing the other's counts.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from procfleet.errors import PlatformError


def lock_folder() -> Path:
    """$XDG_RUNTIME_DIR/procfleet, else a folder in the temporary directory owned by this user, mode 0700."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    folder = Path(runtime) / "procfleet" if runtime else Path(tempfile.gettempdir()) / f"procfleet-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) & 0o077:
        raise PlatformError(f"{folder} is not a private folder of this user: procfleet will not keep locks in it")
    return folder


@contextlib.contextmanager
def app_lock(backend: str, app: str, where: str = "",
             waiting: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the lock of one app on one backend (and platform address) for the duration of the block; when
    another procfleet holds it, call waiting (to tell the user) and wait for it."""
    key = hashlib.sha256(f"{backend}\0{app}\0{where}".encode()).hexdigest()[:24]
    path = lock_folder() / f"{key}.lock"
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting is not None:
                waiting()
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock
