"""The local backend's entry point: the Backend protocol for processes on this machine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from procfleet.backend import RenderedFile, Session
from procfleet.model import Formation
from procfleet.validation import Where

from procfleet_local import options as local_options
from procfleet_local.instances import DEFAULT_BASE_PORT
from procfleet_local.render import file_counts, render_instances, render_procfile


class LocalBackend:
    """Runs the formation as child processes of a foreground supervisor."""

    name: ClassVar[str] = "local"
    features: ClassVar[frozenset[str]] = frozenset({
        "count", "port", "health", "env", "env_file", "restart", "stop_signal", "stop_timeout",
    })
    formats: ClassVar[tuple[str, ...]] = ("instances", "procfile")

    def __init__(self, session: Session) -> None:
        self.session = session

    def validate_options(self, options: Mapping[str, Any], where: Where) -> Mapping[str, Any]:
        """Check `[backends.local]`."""
        return local_options.validate(options, where)

    def base_port(self, formation: Formation) -> int:
        """The first port of Foreman's scheme for this formation."""
        return int(formation.options(self.name).get("base_port", DEFAULT_BASE_PORT))

    def render(self, formation: Formation, fmt: str) -> list[RenderedFile]:
        """The instances that would run, or a Procfile."""
        counts = file_counts(formation)
        if fmt == "procfile":
            return [render_procfile(formation, counts)]
        return [render_instances(formation, counts, self.base_port(formation))]
