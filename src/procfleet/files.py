"""Writing files whole: never half a file after a crash, never over a file that must not be replaced.

Kept apart from the TOML writer so that backends writing their own files do not load tomlkit.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from procfleet.errors import UsageError


def write_new(path: Path, content: str, force: bool) -> None:
    """Write a file that must not already exist unless force is given (write_atomic refuses a dangling symlink)."""
    if path.exists() and not force:
        raise UsageError(f"{path} already exists: pass --force to overwrite it")
    write_atomic(path, content)


def write_atomic(path: Path, content: str, *, private: bool = False) -> None:
    """Replace path's content all at once, so a crash never leaves half a file; private files (they may hold
    env values: secrets) are the owner's only, 0600, whatever mode an earlier copy had. Through a symlink the
    file it points to is written, and the link stays a link."""
    if path.is_symlink():
        if not path.exists():  # a dangling link would make procfleet create a file wherever it points
            raise UsageError(f"{path} is a symlink to {os.readlink(path)}, which does not exist: not writing "
                             "through it")
        path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(content)
        if private:
            os.chmod(temporary, 0o600)
        elif path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        else:
            os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
