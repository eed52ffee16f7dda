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


TERMINAL_SIGNALS = (signal.SIGINT, signal.SIGQUIT)  # the terminal sends them to the child itself
PASSED_ON = (signal.SIGTERM, signal.SIGHUP)  # sent to procfleet alone (kill, a closed terminal): passed on


@contextlib.contextmanager
def _signals_to_child(child: list[subprocess.Popen[bytes]]) -> Iterator[None]:
    r"""Like system(3), procfleet waits for the child's status instead of dying: Ctrl-C and Ctrl-\ reach the child
    through the terminal (its foreground process group), and SIGTERM or SIGHUP to procfleet are sent on to it.

    The handlers are Python functions, not SIG_IGN: exec resets a caught signal to its default in the child, while
    an ignored one stays ignored there, and a REPL run this way could not be interrupted."""
    def ignore(number: int, frame: object) -> None:
        """The child got it from the terminal too; its exit status tells what it did."""

    def forward(number: int, frame: object) -> None:
        for process in child:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(number)

    saved = {}
    with contextlib.suppress(ValueError):  # not the main thread: signals stay as they are
        for sig in TERMINAL_SIGNALS:
            saved[sig] = signal.signal(sig, ignore)
        for sig in PASSED_ON:
            saved[sig] = signal.signal(sig, forward)
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def run(argv: Sequence[str], env: Mapping[str, str], cwd: Path, err: TextIO) -> int:
    """Run argv as given (no shell) in cwd; returns its exit status, 128+N when killed by signal N."""
    child: list[subprocess.Popen[bytes]] = []
    try:
        with _signals_to_child(child):
            process = subprocess.Popen(list(argv), env=dict(env), cwd=cwd)
            child.append(process)
            returncode = process.wait()
    except FileNotFoundError:
        err.write(f"procfleet run: {argv[0]}: command not found\n")
        return 127
    except PermissionError:
        err.write(f"procfleet run: {argv[0]}: permission denied\n")
        return 126
    return 128 - returncode if returncode < 0 else returncode
