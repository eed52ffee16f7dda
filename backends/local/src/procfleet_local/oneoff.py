"""`procfleet run -- CMD…`: a one-off process with the app's environment, like `heroku run`."""

from __future__ import annotations

import contextlib
import signal
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TextIO

from procfleet.model import Formation

ONE_OFF_NAME = "run.1"  # PROCFLEET_PROCESS of a one-off, as Heroku names its one-off dynos run.N


def environment(formation: Formation, process: str | None, caller_env: Mapping[str, str],
                port: int | None) -> dict[str, str]:
    """The caller's env, the env files, the app's env, the type's env if one is named, then PORT."""
    if process is None:
        env = {**caller_env, **formation.app.file_env, **formation.app.env}
    else:
        env = {**caller_env, **formation.environment(formation.processes[process])}
    if port is not None:
        env["PORT"] = str(port)
    env["PROCFLEET_PROCESS"] = ONE_OFF_NAME
    return env


@contextlib.contextmanager
def _signals_to_child() -> Iterator[None]:
    # Like system(3): Ctrl-C reaches the child through the terminal; we wait for its status instead of dying.
    saved = {}
    with contextlib.suppress(ValueError):  # not the main thread: nothing to ignore
        for sig in (signal.SIGINT, signal.SIGQUIT):
            saved[sig] = signal.signal(sig, signal.SIG_IGN)
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def run(argv: Sequence[str], env: Mapping[str, str], cwd: Path, err: TextIO) -> int:
    """Run argv as given (no shell) in cwd; returns its exit status, 128+N when killed by signal N."""
    try:
        with _signals_to_child():
            process = subprocess.Popen(list(argv), env=dict(env), cwd=cwd)
            returncode = process.wait()
    except FileNotFoundError:
        err.write(f"procfleet run: {argv[0]}: command not found\n")
        return 127
    except PermissionError:
        err.write(f"procfleet run: {argv[0]}: permission denied\n")
        return 126
    return 128 - returncode if returncode < 0 else returncode
