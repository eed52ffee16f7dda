"""One error root; each subclass knows the exit status it maps to."""

from __future__ import annotations

import json
from pathlib import Path

from procfleet.exitcodes import ExitCode


def quoted(text: str) -> str:
    """A string in double quotes as TOML writes it, control characters escaped, so a message stays one line."""
    if text.isprintable():
        return f'"{text}"'
    return json.dumps(text, ensure_ascii=False)


class ProcfleetError(Exception):
    """Root of every error procfleet reports to the user as one clear line."""

    exit_code: ExitCode = ExitCode.PLATFORM


class UsageError(ProcfleetError):
    """The command line itself is wrong."""

    exit_code = ExitCode.USAGE


class FormationError(UsageError):
    """A formation file is unreadable or invalid; names the file and the key path."""

    def __init__(self, file: Path | str, key: str, message: str) -> None:
        self.file = str(file)
        self.key = key
        self.message = message
        # a key or a file name may hold a newline or another control character: escaped, the line stays one
        shown, name = (_escaped(text) for text in (key, self.file))
        where = f"{name}: {shown}: " if key else f"{name}: "
        super().__init__(where + message)


def _escaped(text: str) -> str:
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


class BackendNotFound(UsageError):
    """The chosen backend is not installed."""


class BackendLoadError(ProcfleetError):
    """A backend was found but failed to import."""


class PlatformError(ProcfleetError):
    """The platform refused a request or could not be reached."""


class NotConverged(PlatformError):
    """The platform did not reach the desired formation in time."""


class NotRunning(PlatformError):
    """There is nothing running to act on (for example no supervisor)."""
