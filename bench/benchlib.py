"""What the bench scripts share: finding the tools to time, and timing them as installed packages run."""

from __future__ import annotations

import compileall
import importlib.util
import os
import shutil
import sys
import sysconfig
from pathlib import Path


def executable(name: str, install_hint: str) -> str:
    """The console script of this interpreter's environment, so version-manager shims are not timed."""
    candidate = Path(sysconfig.get_path("scripts")) / name
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        sys.exit(f"{name} is not installed ({install_hint})")
    return found


def ensure_bytecode(*packages: str) -> None:
    """Byte-compile the packages' sources where no bytecode sits beside them.

    pip compiles a wheel's modules when it installs them, but an editable install (`pip install -e`) leaves its
    sources bare, and with PYTHONDONTWRITEBYTECODE set (the benches set it, to write nothing while timing) every
    run would compile them again: about 45 ms of `procfleet deploy` that no installed copy pays. Compiling once
    here times both tools as installed packages run.
    """
    for package in packages:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue
        for folder in spec.submodule_search_locations:
            compileall.compile_dir(folder, quiet=1)
