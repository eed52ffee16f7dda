"""The exit statuses procfleet promises (DESIGN §3)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Every status the CLI can exit with."""

    OK = 0
    PLATFORM = 1  # the platform refused, was unreachable, or did not converge
    USAGE = 2  # bad usage or a bad formation; nothing was touched
    CHANGES_PENDING = 3  # `plan --exit-code` only, like terraform's detailed exit code
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)
    TERMINATED = 143  # SIGTERM (128 + SIGTERM), for the foreground supervisor
