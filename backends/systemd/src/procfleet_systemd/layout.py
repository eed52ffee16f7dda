"""Where a scope keeps its units and procfleet its environment files, and the commands that reach that manager."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from procfleet_systemd.options import Scope


@dataclass(frozen=True)
class Layout:
    """One systemd instance: the user's manager (`systemctl --user`) or the system's."""

    scope: Scope
    unit_dir: Path  # where procfleet writes its units
    env_dir: Path  # where it writes the environment files they read (owner-only: they hold the app's secrets)

    @property
    def flags(self) -> list[str]:
        """`--user` for the user's manager, nothing for the system's."""
        return ["--user"] if self.scope == "user" else []

    @property
    def wanted_by(self) -> str:
        """The target the app's target is started with at boot (or, for a user, at login or with linger)."""
        return "default.target" if self.scope == "user" else "multi-user.target"

    def systemctl(self, *args: str) -> list[str]:
        """A systemctl command line for this manager."""
        return ["systemctl", *self.flags, "--no-ask-password", *args]

    def journalctl(self, *args: str) -> list[str]:
        """A journalctl command line for this manager's journal."""
        return ["journalctl", *self.flags, "--no-pager", *args]


def config_home(environ: Mapping[str, str]) -> Path:
    """$XDG_CONFIG_HOME, else ~/.config, where `systemctl --user` looks for the user's own units."""
    given = environ.get("XDG_CONFIG_HOME", "")
    if given.startswith("/"):
        return Path(given)
    return Path(environ.get("HOME") or Path.home()) / ".config"


def layout(scope: Scope, environ: Mapping[str, str]) -> Layout:
    """The layout of a scope for the caller (the user scope is the caller's own)."""
    if scope == "system":
        return Layout("system", Path("/etc/systemd/system"), Path("/etc/procfleet/systemd"))
    home = config_home(environ)
    return Layout("user", home / "systemd" / "user", home / "procfleet" / "systemd")
