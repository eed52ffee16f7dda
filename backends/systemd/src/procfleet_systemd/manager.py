"""The edge: systemctl, journalctl and systemd-run, run as programs; their failures become one-line PlatformErrors."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence

from procfleet.errors import PlatformError
from procfleet_systemd.layout import Layout

TIMEOUT = 120.0  # seconds for one systemctl call; starting or stopping waits for the units' own timeouts
# What systemctl --user says when there is no user manager to talk to (no login session and no linger).
NO_USER_MANAGER = ("Failed to connect to bus", "XDG_RUNTIME_DIR", "No medium found")


class Manager:
    """One systemd instance, driven through its command-line tools."""

    def __init__(self, layout: Layout, environ: Mapping[str, str]) -> None:
        self.layout = layout
        self.environ = dict(environ)

    def systemctl(self, *args: str, check: bool = True) -> str:
        """Run `systemctl [--user] ARGS…` and return its output; a failure raises PlatformError (with check)."""
        return self._run(self.layout.systemctl(*args), check)

    def show(self, units: Sequence[str], properties: Sequence[str]) -> list[dict[str, str]]:
        """`systemctl show -p …` of each unit, in order (one call for all of them)."""
        if not units:
            return []
        text = self.systemctl("show", *(f"--property={name}" for name in properties), "--", *units)
        blocks = [block for block in text.split("\n\n") if block.strip()]
        shown = []
        for block in blocks:
            pairs = (line.split("=", 1) for line in block.splitlines() if "=" in line)
            shown.append({key: value for key, value in pairs})
        return shown

    def loaded(self, pattern: str) -> list[str]:
        """The units systemd has loaded whose names match the glob (running, failed or merely known)."""
        text = self.systemctl("list-units", "--all", "--plain", "--no-legend", "--full", "--", pattern)
        return [line.split()[0] for line in text.splitlines() if line.strip()]

    def reload(self) -> None:
        """`systemctl daemon-reload`: systemd reads the unit files procfleet wrote."""
        self.systemctl("daemon-reload")

    def _run(self, argv: list[str], check: bool) -> str:
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, env=self.environ,
                                  check=False, errors="replace")
        except FileNotFoundError:
            raise PlatformError(f"{argv[0]} is not installed: the systemd backend runs the app under systemd on "
                                "this machine") from None
        except subprocess.TimeoutExpired:
            raise PlatformError(f"{' '.join(argv)} did not finish within {TIMEOUT:g}s") from None
        if check and done.returncode != 0:
            raise PlatformError(self._explain(argv, done.stderr.strip() or done.stdout.strip() or
                                              f"exited with status {done.returncode}"))
        return done.stdout

    def _explain(self, argv: list[str], output: str) -> str:
        line = output.splitlines()[-1]
        if self.layout.scope == "user" and any(marker in output for marker in NO_USER_MANAGER):
            return (f"{' '.join(argv[:3])}: no user manager answers ({line}): log in, or run `loginctl "
                    "enable-linger` once so that yours runs without a session, or set [backends.systemd] "
                    'scope = "system"')
        shown = argv if len(argv) <= 8 else [*argv[:8], "…"]
        return f"{' '.join(shown)}: {line}"
